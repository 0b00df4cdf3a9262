"""pool: urllib3 2.x's interface on a C wire core.

``import pool as urllib3`` runs urllib3 code several times faster; see README.md.
``pool.install_as_urllib3()`` makes ``import urllib3`` (and so requests) use
pool. ``__all__`` is urllib3's plus :class:`Limits`, pool's own knob for the
sizes a server may make the client hold.
"""

from __future__ import annotations

import logging
import typing
import warnings
from logging import NullHandler

# _compiled first, before anything imports the request path: its finder
# loads those modules from their sources when POOL_NO_EXTENSIONS is set, even
# where compiled ones are installed, and else hands tracebacks of the
# compiled ones their source lines.
from . import _compiled, exceptions  # noqa: F401
from ._collections import HTTPHeaderDict

# pool's own public names beside urllib3's __all__: the `as` form exports
# them to type checkers (mypy --strict reports a bare import as private).
from ._install import install_as_urllib3 as install_as_urllib3
from ._version import __version__ as __version__
from ._wire import HAS_EXTENSIONS as HAS_EXTENSIONS
from .connectionpool import HTTPConnectionPool, HTTPSConnectionPool, connection_from_url
from .filepost import encode_multipart_formdata
from .poolmanager import PoolManager, ProxyManager, proxy_from_url
from .response import BaseHTTPResponse, HTTPResponse
from .util.limits import Limits
from .util.request import make_headers
from .util.retry import Retry
from .util.timeout import Timeout

__all__ = (
    "HTTPConnectionPool",
    "HTTPHeaderDict",
    "HTTPSConnectionPool",
    "PoolManager",
    "ProxyManager",
    "HTTPResponse",
    "Retry",
    "Timeout",
    "add_stderr_logger",
    "connection_from_url",
    "disable_warnings",
    "encode_multipart_formdata",
    "make_headers",
    "proxy_from_url",
    "request",
    "BaseHTTPResponse",
    "Limits",
)

logging.getLogger(__name__).addHandler(NullHandler())


def add_stderr_logger(level: int = logging.DEBUG) -> logging.StreamHandler[typing.TextIO]:
    """Add a StreamHandler on stderr to pool's logger (for debugging) and
    return it."""
    logger = logging.getLogger(__name__)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.debug("Added a stderr logging handler to logger: %s", __name__)
    return handler


del NullHandler

# Appended, so users' own filters win. Security warnings are shown every
# time; platform warnings once, as urllib3 does.
warnings.simplefilter("always", exceptions.SecurityWarning, append=True)
warnings.simplefilter("default", exceptions.InsecurePlatformWarning, append=True)


def disable_warnings(category: type[Warning] = exceptions.HTTPWarning) -> None:
    """Silence pool's warnings (all of them by default)."""
    warnings.simplefilter("ignore", category)


_DEFAULT_POOL = PoolManager()


def request(
    method: str,
    url: str,
    *,
    body: typing.Any = None,
    fields: typing.Any = None,
    headers: typing.Mapping[str, str] | None = None,
    preload_content: bool | None = True,
    decode_content: bool | None = True,
    redirect: bool | None = True,
    retries: Retry | bool | int | None = None,
    timeout: Timeout | float | int | None = 3,
    json: typing.Any | None = None,
) -> BaseHTTPResponse:
    """Make a request with a module-wide :class:`PoolManager` (shared by
    every caller in the process; make your own PoolManager to avoid that).

    :param method: HTTP request method (such as GET, POST, PUT, etc.)
    :param url: The absolute URL to perform the request on.
    :param body: bytes, str, a file-like object or an iterable of bytes/str.
    :param fields: Data to encode in the query string or the body.
    :param headers: Headers to send.
    :param preload_content: Read the whole body before returning.
    :param decode_content: Decode the body per Content-Encoding.
    :param redirect: Follow redirects (each counts as a retry).
    :param retries: A Retry, an int, False, or None (``Retry.DEFAULT``).
    :param timeout: Seconds, or a :class:`Timeout` (default 3 seconds).
    :param json: Data to send as JSON.
    """
    return _DEFAULT_POOL.request(
        method,
        url,
        body=body,
        fields=fields,
        headers=headers,
        preload_content=preload_content,
        decode_content=decode_content,
        redirect=redirect,
        retries=retries,
        timeout=timeout,
        json=json,
    )
