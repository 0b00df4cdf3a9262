"""Encoding of ``multipart/form-data`` request bodies (RFC 7578; the
delimiter syntax is RFC 2046 §5.1.1)."""

from __future__ import annotations

import binascii
import io
import os
import typing

from .fields import _TYPE_FIELD_VALUE_TUPLE, RequestField

_TYPE_FIELDS_SEQUENCE = typing.Sequence[typing.Union[typing.Tuple[str, _TYPE_FIELD_VALUE_TUPLE], RequestField]]
_TYPE_FIELDS = typing.Union[_TYPE_FIELDS_SEQUENCE, typing.Mapping[str, _TYPE_FIELD_VALUE_TUPLE]]


def choose_boundary() -> str:
    """A random boundary: 32 hex digits (128 bits), so no field's content
    realistically contains it."""
    return binascii.hexlify(os.urandom(16)).decode()


def iter_field_objects(fields: _TYPE_FIELDS) -> typing.Iterable[RequestField]:
    """Yield a :class:`RequestField` for each field of a mapping, a sequence
    of ``(name, value)`` pairs, or a sequence of RequestFields."""
    iterable = fields.items() if isinstance(fields, typing.Mapping) else fields
    for field in iterable:
        if isinstance(field, RequestField):
            yield field
        else:
            yield RequestField.from_tuples(*field)


def encode_multipart_formdata(fields: _TYPE_FIELDS, boundary: str | None = None) -> tuple[bytes, str]:
    """Encode ``fields`` as a multipart/form-data body.

    :param fields: As for :func:`iter_field_objects`; values go through
        :meth:`RequestField.from_tuples`.
    :param boundary: The delimiter; a random one from :func:`choose_boundary` by default.
    :returns: ``(body, content_type)``, the Content-Type carrying the boundary.
    """
    body = io.BytesIO()
    if boundary is None:
        boundary = choose_boundary()
    delimiter = f"--{boundary}\r\n".encode("latin-1")
    for field in iter_field_objects(fields):
        body.write(delimiter)
        body.write(field.render_headers().encode("utf-8"))
        data = field.data
        if isinstance(data, int):
            data = str(data)  # accepted for backwards compatibility
        if isinstance(data, str):
            data = data.encode("utf-8")
        body.write(data)
        body.write(b"\r\n")
    body.write(f"--{boundary}--\r\n".encode("latin-1"))
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"
