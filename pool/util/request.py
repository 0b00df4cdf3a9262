"""Request-side functions: header shortcuts, body framing and body rewinding.

Body framing follows RFC 9112 §6: a body of known size is sent with
Content-Length, one of unknown size (a file or an iterator) with
``Transfer-Encoding: chunked``.
"""

from __future__ import annotations

import importlib
import io
import typing
from base64 import b64encode
from enum import Enum

from ..exceptions import UnrewindableBodyError
from .util import to_bytes

__all__ = [
    "ACCEPT_ENCODING",
    "SKIP_HEADER",
    "SKIPPABLE_HEADERS",
    "ChunksAndContentLength",
    "body_to_chunks",
    "make_headers",
    "rewind_body",
    "set_file_position",
]

#: A header value meaning "don't send this header at all", for the headers the
#: connection would otherwise add itself (those in :data:`SKIPPABLE_HEADERS`).
SKIP_HEADER = "@@@SKIP_HEADER@@@"

#: Lower-case names of the headers :data:`SKIP_HEADER` can suppress.
SKIPPABLE_HEADERS = frozenset(["accept-encoding", "host", "user-agent"])


def _available_encodings() -> str:
    # Advertise only what the response layer can decode here: gzip and
    # deflate always; br and zstd when a decoder module is importable.
    encodings = ["gzip", "deflate"]
    try:
        import brotlicffi  # noqa: F401
    except ImportError:
        try:
            import brotli  # noqa: F401
        except ImportError:
            pass
        else:
            encodings.append("br")
    else:
        encodings.append("br")
    # zstd: the response layer decodes it with the standard library's module
    # (compression.zstd, backports.zstd) or the zstandard package.
    for name in ("compression.zstd", "backports.zstd", "zstandard"):
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        encodings.append("zstd")
        break
    return ",".join(encodings)


#: The Accept-Encoding value ``make_headers(accept_encoding=True)`` sends.
ACCEPT_ENCODING = _available_encodings()


class _TYPE_FAILEDTELL(Enum):
    token = 0


#: Recorded body position when ``tell()`` failed: the body can't be rewound.
_FAILEDTELL: typing.Final[_TYPE_FAILEDTELL] = _TYPE_FAILEDTELL.token

_TYPE_BODY_POSITION = typing.Union[int, _TYPE_FAILEDTELL]

# Methods whose requests normally carry no body: without a body they get no
# Content-Length either.  Any other method (POST, PUT, an unknown one) gets
# "Content-Length: 0", since a server may wait for a body otherwise.
_METHODS_NOT_EXPECTING_BODY = {"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"}


def make_headers(
    keep_alive: bool | None = None,
    accept_encoding: bool | list[str] | str | None = None,
    user_agent: str | None = None,
    basic_auth: str | None = None,
    proxy_basic_auth: str | None = None,
    disable_cache: bool | None = None,
    *,
    basic_auth_encoding: str = "latin-1",
    proxy_basic_auth_encoding: str = "latin-1",
) -> dict[str, str]:
    """Build common request headers (lower-case names).

    :param keep_alive: adds ``connection: keep-alive``.
    :param accept_encoding: ``True`` sends :data:`ACCEPT_ENCODING` (gzip,
        deflate, plus br / zstd when their decoders are installed); a list is
        joined with commas; a str is sent as given.
    :param user_agent: the ``user-agent`` value.
    :param basic_auth: ``"user:password"`` for ``authorization: Basic ...``
        (RFC 7617), encoded with ``basic_auth_encoding`` (latin-1 by default;
        RFC 7617 section 2.1 lets a server ask for UTF-8).
    :param proxy_basic_auth: the same for ``proxy-authorization``, encoded
        with ``proxy_basic_auth_encoding``.
    :param disable_cache: adds ``cache-control: no-cache``.

    .. code-block:: python

        make_headers(keep_alive=True, user_agent="inventory-sync/3.1")
        # {'user-agent': 'inventory-sync/3.1', 'connection': 'keep-alive'}
    """
    headers: dict[str, str] = {}
    if accept_encoding:
        if isinstance(accept_encoding, list):
            accept_encoding = ",".join(accept_encoding)
        elif not isinstance(accept_encoding, str):
            accept_encoding = ACCEPT_ENCODING
        headers["accept-encoding"] = accept_encoding
    if user_agent:
        headers["user-agent"] = user_agent
    if keep_alive:
        headers["connection"] = "keep-alive"
    if basic_auth:
        headers["authorization"] = "Basic " + b64encode(basic_auth.encode(basic_auth_encoding)).decode()
    if proxy_basic_auth:
        headers["proxy-authorization"] = (
            "Basic " + b64encode(proxy_basic_auth.encode(proxy_basic_auth_encoding)).decode()
        )
    if disable_cache:
        headers["cache-control"] = "no-cache"
    return headers


def set_file_position(body: typing.Any, pos: _TYPE_BODY_POSITION | None) -> _TYPE_BODY_POSITION | None:
    """Rewind *body* to *pos* if given; otherwise record where it is now.

    Returns the position to rewind to before a retry or redirect: an int,
    ``None`` when the body has no ``tell()``, or a marker that makes a later
    :func:`rewind_body` raise :exc:`UnrewindableBodyError` when ``tell()``
    failed.
    """
    if pos is not None:
        rewind_body(body, pos)
    elif getattr(body, "tell", None) is not None:
        try:
            pos = body.tell()
        except OSError:
            pos = _FAILEDTELL
    return pos


def body_is_replayable(body: typing.Any) -> bool:
    """Whether a retry or redirect may send ``body`` again.

    True for no body, bytes-like and str bodies, and file-like bodies (those
    are rewound to their recorded start first; :func:`rewind_body` raises
    UnrewindableBodyError when that is impossible, as urllib3 does).  False for
    iterators and generators: a first attempt may have consumed them, and
    sending what is left would silently send a shorter or empty body under
    the same method.
    """
    return body is None or isinstance(body, (bytes, str, bytearray, memoryview)) or hasattr(body, "read")


def rewind_body(body: typing.IO[typing.AnyStr], body_pos: _TYPE_BODY_POSITION) -> None:
    """Seek *body* back to *body_pos* before sending it again.

    :raises UnrewindableBodyError: if seeking fails, the position could not
        be recorded, or *body* has no ``seek()``.
    :raises ValueError: if *body_pos* is not an int.
    """
    body_seek = getattr(body, "seek", None)
    if body_seek is not None and isinstance(body_pos, int):
        try:
            body_seek(body_pos)
        except OSError as e:
            raise UnrewindableBodyError("An error occurred when rewinding request body for redirect/retry.") from e
    elif body_pos is _FAILEDTELL:
        raise UnrewindableBodyError(
            "Unable to record file position for rewinding request body during a redirect/retry."
        )
    elif body_seek is None:
        raise UnrewindableBodyError("body does not implement seek.")
    else:
        raise ValueError(f"body_pos must be of type integer, instead it was {type(body_pos)}.")


class ChunksAndContentLength(typing.NamedTuple):
    """What :func:`body_to_chunks` returns: the pieces to send, and the
    Content-Length (``None``: unknown, send chunked — or no body at all when
    ``chunks`` is ``None`` too)."""

    chunks: typing.Iterable[bytes] | None
    content_length: int | None


def body_to_chunks(body: typing.Any | None, method: str, blocksize: int) -> ChunksAndContentLength:
    """Turn a request body into pieces for ``socket.sendall()`` and a length.

    * ``None``: no chunks; Content-Length 0 for methods that normally carry a
      body (POST, PUT, unknown ones), none for GET, HEAD, DELETE, TRACE,
      OPTIONS, CONNECT.
    * str or bytes: one piece (str encoded UTF-8) of known length.
    * anything with ``read()``: pieces of up to *blocksize* read lazily (text
      files encoded UTF-8); length unknown.
    * a buffer (bytearray, memoryview, array...): one piece of ``nbytes``.
    * any other iterable: its items, length unknown.

    :raises TypeError: for anything else.
    """
    if body is None:
        return ChunksAndContentLength(None, None if method.upper() in _METHODS_NOT_EXPECTING_BODY else 0)

    if isinstance(body, (str, bytes)):
        data = to_bytes(body)
        return ChunksAndContentLength((data,), len(data))

    if hasattr(body, "read"):
        return ChunksAndContentLength(_read_in_blocks(body, blocksize), None)

    try:
        view = memoryview(body)
    except TypeError:
        try:
            chunks = iter(body)
        except TypeError:
            raise TypeError(
                f"'body' must be a bytes-like object, file-like object, or iterable. Instead was {body!r}"
            ) from None
        return ChunksAndContentLength(chunks, None)
    return ChunksAndContentLength((body,), view.nbytes)


def _read_in_blocks(body: typing.Any, blocksize: int) -> typing.Iterator[bytes]:
    encode = isinstance(body, io.TextIOBase)
    while True:
        block = body.read(blocksize)
        if not block:
            return
        yield block.encode("utf-8") if encode else block
