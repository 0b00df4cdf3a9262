"""One field of a ``multipart/form-data`` request body (RFC 7578) and the
quoting of its Content-Disposition parameters.

Parameter values are quoted the way the WHATWG HTML Standard says browsers
encode form submissions (``\\n``, ``\\r`` and ``"`` percent-encoded, the rest
sent as UTF-8), which is what servers expect; RFC 2231 ``name*=`` encoding
is not valid for multipart/form-data (RFC 7578 §4.2) and is kept only as a
deprecated helper.
"""

from __future__ import annotations

import email.utils
import mimetypes
import typing
import warnings

_TYPE_FIELD_VALUE = typing.Union[str, bytes]
_TYPE_FIELD_VALUE_TUPLE = typing.Union[
    _TYPE_FIELD_VALUE,
    typing.Tuple[str, _TYPE_FIELD_VALUE],
    typing.Tuple[str, _TYPE_FIELD_VALUE, str],
]

# "\n", "\r" and '"' would end the quoted parameter: percent-encode them.
_HTML5_ESCAPES = {10: "%0A", 13: "%0D", 34: "%22"}


def guess_content_type(filename: str | None, default: str = "application/octet-stream") -> str:
    """The Content-Type :mod:`mimetypes` guesses from ``filename``, or ``default``."""
    if filename:
        return mimetypes.guess_type(filename)[0] or default
    return default


def format_header_param_rfc2231(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """Format one header parameter with RFC 2231 encoding for non-ASCII values.

    .. deprecated:: 2.0.0
        Not valid for multipart/form-data; use :func:`format_multipart_header_param`.
    """
    warnings.warn(
        "'format_header_param_rfc2231' is insecure, deprecated and will be removed in urllib3 v3.0. "
        "This is not valid for multipart/form-data header parameters.",
        FutureWarning,
        stacklevel=2,
    )
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not any(ch in value for ch in '"\\\r\n'):
        result = f'{name}="{value}"'
        if result.isascii():
            return result
    return f"{name}*={email.utils.encode_rfc2231(value, 'utf-8')}"


def format_multipart_header_param(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """Format one multipart header parameter as ``name="value"``.

    Follows the WHATWG HTML Standard: the value (a str, or UTF-8 bytes) is
    kept as is except ``\\n``, ``\\r`` and ``"``, which are percent-encoded.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return f'{name}="{value.translate(_HTML5_ESCAPES)}"'


def format_header_param_html5(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """Deprecated name of :func:`format_multipart_header_param`."""
    warnings.warn(
        "'format_header_param_html5' has been renamed to 'format_multipart_header_param'. "
        "The old name will be removed in urllib3 v3.0.",
        FutureWarning,
        stacklevel=2,
    )
    return format_multipart_header_param(name, value)


def format_header_param(name: str, value: _TYPE_FIELD_VALUE) -> str:
    """Deprecated name of :func:`format_multipart_header_param`."""
    warnings.warn(
        "'format_header_param' has been renamed to 'format_multipart_header_param'. "
        "The old name will be removed in urllib3 v3.0.",
        FutureWarning,
        stacklevel=2,
    )
    return format_multipart_header_param(name, value)


class RequestField:
    """One part of a multipart body: a name, data, an optional filename and headers.

    :param name: The field name (str).
    :param data: The field's content (str or bytes).
    :param filename: The file name to announce, if any.
    :param headers: Headers of the part to start from.
    :param header_formatter: Deprecated: a function formatting one
        ``name="value"`` parameter.
    """

    def __init__(
        self,
        name: str,
        data: _TYPE_FIELD_VALUE,
        filename: str | None = None,
        headers: typing.Mapping[str, str] | None = None,
        header_formatter: typing.Callable[[str, _TYPE_FIELD_VALUE], str] | None = None,
    ) -> None:
        self._name = name
        self._filename = filename
        self.data = data
        self.headers: dict[str, str | None] = dict(headers) if headers else {}
        if header_formatter is not None:
            warnings.warn(
                "The 'header_formatter' parameter is deprecated and will be removed in urllib3 v3.0.",
                FutureWarning,
                stacklevel=2,
            )
            self.header_formatter = header_formatter
        else:
            self.header_formatter = format_multipart_header_param

    @classmethod
    def from_tuples(
        cls,
        fieldname: str,
        value: _TYPE_FIELD_VALUE_TUPLE,
        header_formatter: typing.Callable[[str, _TYPE_FIELD_VALUE], str] | None = None,
    ) -> RequestField:
        """Build a field from the old tuple forms: ``value`` is the data, or
        ``(filename, data)`` (Content-Type guessed from the filename), or
        ``(filename, data, content_type)``."""
        filename: str | None
        content_type: str | None
        if isinstance(value, tuple):
            if len(value) == 3:
                filename, data, content_type = value
            else:
                filename, data = value
                content_type = guess_content_type(filename)
        else:
            filename = None
            content_type = None
            data = value
        field = cls(fieldname, data, filename=filename, header_formatter=header_formatter)
        field.make_multipart(content_type=content_type)
        return field

    def _render_part(self, name: str, value: _TYPE_FIELD_VALUE) -> str:
        """Format one header parameter; override to change the quoting.

        :meta public:
        """
        return self.header_formatter(name, value)

    def _render_parts(
        self,
        header_parts: dict[str, _TYPE_FIELD_VALUE | None] | typing.Sequence[tuple[str, _TYPE_FIELD_VALUE | None]],
    ) -> str:
        """Format ``k1="v1"; k2="v2"`` from pairs, skipping None values."""
        iterable = header_parts.items() if isinstance(header_parts, dict) else header_parts
        return "; ".join(self._render_part(name, value) for name, value in iterable if value is not None)

    def render_headers(self) -> str:
        """The part's header lines, ending with the blank line.

        Content-Disposition, Content-Type and Content-Location come first, in
        that order; headers with an empty value are left out.
        """
        lines = []
        sort_keys = ["Content-Disposition", "Content-Type", "Content-Location"]
        for key in sort_keys:
            if self.headers.get(key, False):
                lines.append(f"{key}: {self.headers[key]}")
        for name, value in self.headers.items():
            if name not in sort_keys and value:
                lines.append(f"{name}: {value}")
        lines.append("\r\n")
        return "\r\n".join(lines)

    def make_multipart(
        self,
        content_disposition: str | None = None,
        content_type: str | None = None,
        content_location: str | None = None,
    ) -> None:
        """Set the part's Content-Disposition (default ``form-data`` with the
        name and filename), Content-Type and Content-Location headers."""
        params = self._render_parts((("name", self._name), ("filename", self._filename)))
        self.headers["Content-Disposition"] = f"{content_disposition or 'form-data'}; {params}"
        self.headers["Content-Type"] = content_type
        self.headers["Content-Location"] = content_location
