"""Timeout: connect, read and total time limits for one request.

Same names, defaults and validation as urllib3 2.x's ``urllib3.util.timeout``.
One addition: :meth:`Timeout.deadline` gives the monotonic instant at which
``total`` runs out, so the connection layer can hold a whole request (connect,
send, every read) to it rather than only each socket operation.
"""

from __future__ import annotations

import time
import typing
from enum import Enum
from socket import getdefaulttimeout

from ..exceptions import TimeoutStateError

__all__ = ["Timeout", "DEFAULT_TIMEOUT", "_DEFAULT_TIMEOUT", "_TYPE_DEFAULT", "_TYPE_TIMEOUT"]


class _TYPE_DEFAULT(Enum):
    """Sentinel type for "use the socket module's global default timeout"."""

    # -1 so that handing the sentinel to socket.settimeout() by mistake fails
    # loudly (negative timeouts are a ValueError) instead of meaning "no limit".
    token = -1


_DEFAULT_TIMEOUT: typing.Final[_TYPE_DEFAULT] = _TYPE_DEFAULT.token

#: Public spelling of the sentinel, as ``Timeout.DEFAULT_TIMEOUT``.
DEFAULT_TIMEOUT: typing.Final[_TYPE_DEFAULT] = _DEFAULT_TIMEOUT

_TYPE_TIMEOUT = typing.Optional[typing.Union[float, _TYPE_DEFAULT]]


class Timeout:
    """Timeout configuration for a pool or a single request.

    .. code-block:: python

        http = PoolManager(timeout=Timeout(connect=2.0, read=7.0))
        http.request("GET", "https://example.com/", timeout=Timeout(total=10))

    :param total: Limit for connect plus reads together; the read timeout is
        what remains of it after connecting.  When ``connect`` or ``read`` is
        also given, the smaller limit applies.  Defaults to ``None`` (no total).
    :param connect: Seconds to wait for the TCP (and TLS) connection.  Omitted:
        :func:`socket.getdefaulttimeout`.  ``None``: wait forever.
    :param read: Seconds to wait between two reads from the server.  Omitted:
        :func:`socket.getdefaulttimeout`.  ``None``: wait forever.

    Each value must be a positive int or float, ``None`` or the default
    sentinel; anything else (zero, negative, bool, str) raises ``ValueError``.

    ``read`` and ``connect`` bound each socket operation, not the whole
    request: a server that trickles a byte every few seconds never trips a
    read timeout.  Use ``total`` with :meth:`deadline` for an overall bound.
    """

    #: Sentinel meaning "use the system default timeout".
    DEFAULT_TIMEOUT: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT

    def __init__(
        self,
        total: _TYPE_TIMEOUT = None,
        connect: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
        read: _TYPE_TIMEOUT = _DEFAULT_TIMEOUT,
    ) -> None:
        self._connect = self._validate_timeout(connect, "connect")
        self._read = self._validate_timeout(read, "read")
        self.total = self._validate_timeout(total, "total")
        self._start_connect: float | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(connect={self._connect!r}, read={self._read!r}, total={self.total!r})"

    # urllib3 keeps __str__ equal to __repr__.
    __str__ = __repr__

    @staticmethod
    def resolve_default_timeout(timeout: _TYPE_TIMEOUT) -> float | None:
        """Replace the default sentinel by :func:`socket.getdefaulttimeout`."""
        return getdefaulttimeout() if timeout is _DEFAULT_TIMEOUT else timeout

    @classmethod
    def _validate_timeout(cls, value: _TYPE_TIMEOUT, name: str) -> _TYPE_TIMEOUT:
        """Return *value* if it is a valid timeout, else raise ValueError
        naming the attribute *name*."""
        if value is None or value is _DEFAULT_TIMEOUT:
            return value
        # bool is an int subclass, but True as "1 second" is always a mistake.
        if isinstance(value, bool):
            raise ValueError("Timeout cannot be a boolean value. It must be an int, float or None.")
        try:
            float(value)
            positive = value > 0
        except (TypeError, ValueError):
            raise ValueError(f"Timeout value {name} was {value}, but it must be an int, float or None.") from None
        if not positive:
            raise ValueError(
                f"Attempted to set {name} timeout to {value}, but the timeout cannot be set to a value "
                "less than or equal to 0."
            )
        return value

    @classmethod
    def from_float(cls, timeout: _TYPE_TIMEOUT) -> Timeout:
        """Build a Timeout whose connect and read limits are both *timeout*
        (the single-number form that http.client and socket use)."""
        return Timeout(read=timeout, connect=timeout)

    def clone(self) -> Timeout:
        """Return an unstarted copy with the same limits.

        A pool keeps one Timeout; each request needs its own clock.  The values
        were validated when this object was built, so the copy skips that.
        """
        new = object.__new__(Timeout)
        new._connect = self._connect
        new._read = self._read
        new.total = self.total
        new._start_connect = None
        return new

    def start_connect(self) -> float:
        """Start the clock (at the start of connect) and return its reading.

        :raises TimeoutStateError: if the clock was already started.
        """
        if self._start_connect is not None:
            raise TimeoutStateError("Timeout timer has already been started.")
        self._start_connect = time.monotonic()
        return self._start_connect

    def get_connect_duration(self) -> float:
        """Seconds elapsed since :meth:`start_connect`.

        :raises TimeoutStateError: if the clock was not started.
        """
        if self._start_connect is None:
            raise TimeoutStateError("Can't get connect duration for timer that has not started.")
        return time.monotonic() - self._start_connect

    def deadline(self) -> float | None:
        """The :func:`time.monotonic` instant at which ``total`` runs out.

        That is the moment :meth:`start_connect` was called plus ``total``.
        ``None`` when there is no total or the clock has not been started.
        The connection layer compares ``time.monotonic()`` with it before
        each blocking operation, so ``total`` bounds the whole request even
        when every single read is within ``read``.
        """
        if self.total is None or self.total is _DEFAULT_TIMEOUT or self._start_connect is None:
            return None
        return self._start_connect + self.total

    @property
    def connect_timeout(self) -> _TYPE_TIMEOUT:
        """The limit for connecting: the smaller of ``connect`` and ``total``
        (either may be unset), possibly the default sentinel or ``None``."""
        if self.total is None:
            return self._connect
        if self._connect is None or self._connect is _DEFAULT_TIMEOUT:
            return self.total
        return min(self._connect, self.total)  # type: ignore[type-var]

    @property
    def read_timeout(self) -> float | None:
        """The limit for each read.

        With ``total`` set, this is what is left of it after connecting
        (never below 0), further capped by ``read``; that needs the clock,
        so :exc:`TimeoutStateError` is raised when only ``total`` is set and
        :meth:`start_connect` was not called.
        """
        total = self.total
        read = self._read
        if total is not None and total is not _DEFAULT_TIMEOUT:
            if read is not None and read is not _DEFAULT_TIMEOUT:
                if self._start_connect is None:
                    # Not connected yet: urllib3 answers with the read limit.
                    return read
                return max(0, min(total - self.get_connect_duration(), read))
            return max(0, total - self.get_connect_duration())
        return self.resolve_default_timeout(read)
