"""The request helpers shared by pools and pool managers: turn ``fields``,
``json`` or ``body`` into a request target, headers and body, then call
``urlopen()``.

Form encodings follow the HTML Living Standard (application/x-www-form-urlencoded)
and RFC 7578 (multipart/form-data); JSON is RFC 8259, sent as UTF-8.
"""

from __future__ import annotations

import json as _json
import typing
from urllib.parse import urlencode

from ._collections import HTTPHeaderDict

if typing.TYPE_CHECKING:
    from .response import BaseHTTPResponse

__all__ = ["RequestMethods"]

_TYPE_BODY = typing.Union[bytes, typing.IO[typing.Any], typing.Iterable[typing.Union[bytes, str]], str]
_TYPE_ENCODE_URL_FIELDS = typing.Union[
    typing.Sequence[typing.Tuple[str, typing.Union[str, bytes]]],
    typing.Mapping[str, typing.Union[str, bytes]],
]


class RequestMethods:
    """Mixin for classes with a :meth:`urlopen` method, such as
    :class:`~pool.HTTPConnectionPool` and :class:`~pool.PoolManager`.

    :meth:`request_encode_url` puts ``fields`` in the query string (GET,
    HEAD, DELETE, OPTIONS); :meth:`request_encode_body` puts them in the body
    (POST, PUT, PATCH...); :meth:`request` picks one by method.

    :param headers: Headers to include with all requests, unless other
        headers are given explicitly.
    """

    _encode_url_methods = {"DELETE", "GET", "HEAD", "OPTIONS"}

    def __init__(self, headers: typing.Mapping[str, str] | None = None) -> None:
        self.headers = headers or {}

    def urlopen(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        headers: typing.Mapping[str, str] | None = None,
        encode_multipart: bool = True,
        multipart_boundary: str | None = None,
        **kw: typing.Any,
    ) -> BaseHTTPResponse:  # Abstract
        """Send the request; implemented by pools and managers."""
        raise NotImplementedError("Classes extending RequestMethods must implement their own ``urlopen`` method.")

    def request(
        self,
        method: str,
        url: str,
        body: _TYPE_BODY | None = None,
        fields: typing.Any | None = None,
        headers: typing.Mapping[str, str] | None = None,
        json: typing.Any | None = None,
        **urlopen_kw: typing.Any,
    ) -> BaseHTTPResponse:
        """Make a request with ``fields`` encoded in the URL or the body,
        depending on ``method``.

        :param method: HTTP request method (such as GET, POST, PUT, etc.)
        :param url: The URL to perform the request on.
        :param body: bytes, str, a file-like object or an iterable of bytes/str.
        :param fields: Data to encode in the query string or the body.
        :param headers: Headers to send; replace (not extend) the default ones.
        :param json: Data to send as JSON (UTF-8, compact separators);
            Content-Type defaults to ``application/json``.
        :raises TypeError: when both ``body`` and ``json`` are given.
        """
        method = method.upper()

        if json is not None and body is not None:
            raise TypeError("request got values for both 'body' and 'json' parameters which are mutually exclusive")

        if json is not None:
            if headers is None:
                headers = self.headers
            if "content-type" not in map(str.lower, headers.keys()):
                headers = HTTPHeaderDict(headers)
                headers["Content-Type"] = "application/json"
            body = _json.dumps(json, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

        if body is not None:
            urlopen_kw["body"] = body

        if method in self._encode_url_methods:
            if not fields and type(self).request_encode_url is RequestMethods.request_encode_url:
                # All request_encode_url() would do here: one call less on
                # the path of every GET.
                urlopen_kw["headers"] = self.headers if headers is None else headers
                return self.urlopen(method, url, **urlopen_kw)
            return self.request_encode_url(method, url, fields=fields, headers=headers, **urlopen_kw)
        return self.request_encode_body(method, url, fields=fields, headers=headers, **urlopen_kw)

    def request_encode_url(
        self,
        method: str,
        url: str,
        fields: _TYPE_ENCODE_URL_FIELDS | None = None,
        headers: typing.Mapping[str, str] | None = None,
        **urlopen_kw: typing.Any,
    ) -> BaseHTTPResponse:
        """Make a request with ``fields`` appended to the URL as a query
        string (for GET, HEAD, DELETE, ...).

        :param method: HTTP request method.
        :param url: The URL to perform the request on.
        :param fields: Data to encode and send in the URL.
        :param headers: Headers to send; replace the default ones.
        """
        if headers is None:
            headers = self.headers
        urlopen_kw["headers"] = headers
        if fields:
            url += "?" + urlencode(fields)
        return self.urlopen(method, url, **urlopen_kw)

    def request_encode_body(
        self,
        method: str,
        url: str,
        fields: typing.Any | None = None,
        headers: typing.Mapping[str, str] | None = None,
        encode_multipart: bool = True,
        multipart_boundary: str | None = None,
        **urlopen_kw: typing.Any,
    ) -> BaseHTTPResponse:
        """Make a request with ``fields`` encoded in the body (for POST, PUT,
        PATCH, ...).

        With ``encode_multipart=True`` (default) the fields are encoded as
        multipart/form-data by :func:`~pool.encode_multipart_formdata`, where
        a value may be a ``(filename, data[, MIME type])`` tuple; otherwise as
        application/x-www-form-urlencoded. The Content-Type is set unless the
        headers already have one.

        :param method: HTTP request method.
        :param url: The URL to perform the request on.
        :param fields: Data to encode and send in the body.
        :param headers: Headers to send; replace the default ones.
        :param encode_multipart: Use multipart/form-data (else urlencoded).
        :param multipart_boundary: Boundary string (random when not given).
        :raises TypeError: when both ``fields`` and ``body`` are given.
        """
        if headers is None:
            headers = self.headers

        extra_kw: dict[str, typing.Any] = {"headers": HTTPHeaderDict(headers)}
        body: bytes | str

        if fields:
            if "body" in urlopen_kw:
                raise TypeError("request got values for both 'fields' and 'body', can only specify one.")
            if encode_multipart:
                from .filepost import encode_multipart_formdata

                body, content_type = encode_multipart_formdata(fields, boundary=multipart_boundary)
            else:
                body, content_type = (urlencode(fields), "application/x-www-form-urlencoded")
            extra_kw["body"] = body
            extra_kw["headers"].setdefault("Content-Type", content_type)

        extra_kw.update(urlopen_kw)
        return self.urlopen(method, url, **extra_kw)
