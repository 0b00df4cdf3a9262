"""Response-side functions kept from urllib3's ``urllib3.util.response``.

pool's responses are parsed by the wire layer, not by :mod:`http.client`, so
:func:`assert_header_parsing` checks whatever header object it is given
instead of requiring an ``http.client.HTTPMessage``.
"""

from __future__ import annotations

import typing

from ..exceptions import HeaderParsingError

__all__ = ["assert_header_parsing", "is_fp_closed", "is_response_to_head"]


def is_fp_closed(obj: object) -> bool:
    """Whether a file-like object is closed.

    Tries ``isclosed()``, then ``closed``, then ``fp is None`` (a wrapper that
    drops its file when exhausted).

    :raises ValueError: if none of those is available.
    """
    try:
        return obj.isclosed()  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        pass
    try:
        return obj.closed  # type: ignore[attr-defined,no-any-return]
    except AttributeError:
        pass
    try:
        return obj.fp is None  # type: ignore[attr-defined]
    except AttributeError:
        pass
    raise ValueError("Unable to determine whether fp is closed.")


def assert_header_parsing(headers: typing.Any) -> None:
    """Raise :exc:`HeaderParsingError` if *headers* record parse problems.

    Accepts pool's header objects and :class:`http.client.HTTPMessage` alike:
    problems are read from a ``defects`` attribute (a list; multipart
    boundary defects, which http.client reports for every multipart head, are
    ignored) and unparsed text from ``get_payload()`` when present.  pool's
    parser raises on malformed heads instead, so for its objects this finds
    nothing.

    :raises TypeError: if *headers* is not a header mapping.
    """
    if not hasattr(headers, "get") or not hasattr(headers, "items"):
        raise TypeError(f"expected a header mapping, got {type(headers)}.")

    defects = list(getattr(headers, "defects", None) or ())
    if defects:
        from email.errors import MultipartInvariantViolationDefect, StartBoundaryNotFoundDefect

        ignored = (StartBoundaryNotFoundDefect, MultipartInvariantViolationDefect)
        defects = [d for d in defects if not isinstance(d, ignored)]

    unparsed_data = None
    get_payload = getattr(headers, "get_payload", None)
    is_multipart = getattr(headers, "is_multipart", None)
    if get_payload is not None and not (is_multipart is not None and is_multipart()):
        payload = get_payload()
        if isinstance(payload, (bytes, str)):
            unparsed_data = payload

    if defects or unparsed_data:
        raise HeaderParsingError(defects=defects, unparsed_data=unparsed_data)


def is_response_to_head(response: typing.Any) -> bool:
    """Whether *response* answers a HEAD request.

    Reads the request method a response keeps (``_request_method`` on pool's
    responses, ``_method`` on :class:`http.client.HTTPResponse`).
    """
    method = getattr(response, "_request_method", None)
    if method is None:
        method = getattr(response, "_method", None)
    if method is None:
        return False
    if isinstance(method, bytes):
        method = method.decode("latin-1")
    return bool(method.upper() == "HEAD")
