"""Small conversions shared by the utilities: str/bytes coercion and re-raising
an exception with a chosen traceback (how :meth:`Retry.increment` hands the
original error back when retries are disabled)."""

from __future__ import annotations

import typing
from types import TracebackType


def to_bytes(x: str | bytes, encoding: str | None = None, errors: str | None = None) -> bytes:
    """Return *x* as bytes, encoding a str (UTF-8 unless *encoding* is given).

    :raises TypeError: if *x* is neither str nor bytes.
    """
    if isinstance(x, bytes):
        return x
    if not isinstance(x, str):
        raise TypeError(f"not expecting type {type(x).__name__}")
    if encoding or errors:
        return x.encode(encoding or "utf-8", errors or "strict")
    return x.encode()


def to_str(x: str | bytes, encoding: str | None = None, errors: str | None = None) -> str:
    """Return *x* as str, decoding bytes (UTF-8 unless *encoding* is given).

    :raises TypeError: if *x* is neither str nor bytes.
    """
    if isinstance(x, str):
        return x
    if not isinstance(x, bytes):
        raise TypeError(f"not expecting type {type(x).__name__}")
    if encoding or errors:
        return x.decode(encoding or "utf-8", errors or "strict")
    return x.decode()


def reraise(
    tp: type[BaseException] | None,
    value: BaseException,
    tb: TracebackType | None = None,
) -> typing.NoReturn:
    """Raise *value* again, attaching traceback *tb* when it differs from the
    one the exception already carries.  *tp* is accepted for urllib3
    compatibility and not used."""
    try:
        if value.__traceback__ is not tb:
            raise value.with_traceback(tb)
        raise value
    finally:
        # Drop the frame's references so the traceback doesn't keep the
        # exception (and everything it refers to) alive in a cycle.
        value = None  # type: ignore[assignment]
        tb = None
