"""Where the time of one request went: :class:`Timings`, read from
``response.timings``.

The pool takes :func:`time.perf_counter_ns` stamps at points the request
path passes anyway (no extra system calls) and keeps them as plain ints on
the response; the :class:`Timings` object is built from them only when
``response.timings`` is read.  See docs/timings.md for what each stamp
means and for metrics adapters built on ``on_request_done``.
"""

from __future__ import annotations

import typing

__all__ = ["Timings"]

_NS = 1e-9


def _span(end: int | None, start: int | None) -> float | None:
    if end is None or start is None:
        return None
    return (end - start) * _NS


class Timings(typing.NamedTuple):
    """The stamps of one request and response, read-only.

    Each stamp is a :func:`time.perf_counter_ns` value (nanoseconds, only
    differences between them mean anything), or ``None`` when that step did
    not happen for this request:

    - ``start``: the pool began the request (before taking a connection
      from the pool, so a wait for a free connection counts).
    - ``connect_start``: a new connection began connecting (``None`` on a
      reused connection).
    - ``resolved``: name resolution finished (``getaddrinfo`` or the
      ``resolver``/``resolve`` map returned); ``None`` on a reused
      connection, or when a connection class's own ``connect()`` does not
      use pool's :func:`~pool.util.connection.create_connection`.
    - ``connected``: the TCP connection was established (to the proxy, when
      there is one).
    - ``tls_done``: the TLS handshake with the origin finished (HTTPS only).
    - ``sent``: the request head and body were written to the socket.
    - ``head``: the response head was received and parsed (the status line
      and every header field; the parser reads the head in one call, so
      this is "head received", not "first byte").
    - ``body_done``: the body was read to its end, or the response was
      released, drained or closed before that (what ended it is not told
      apart); equals ``head`` when the body came with the head.  ``None``
      while the body is still being read.
    - ``reused``: whether the request went out on a connection that had
      already carried one.
    """

    start: int
    connect_start: int | None
    resolved: int | None
    connected: int | None
    tls_done: int | None
    sent: int | None
    head: int | None
    body_done: int | None
    reused: bool

    @property
    def total(self) -> float | None:
        """Seconds from ``start`` to ``body_done`` (``None`` until the body
        is done)."""
        return _span(self.body_done, self.start)

    def durations(self) -> dict[str, float]:
        """The phases, in seconds, of those that happened: ``"resolve"``
        (connect_start to resolved), ``"connect"`` (to connected),
        ``"tls"`` (to tls_done), ``"send"`` (from the last of start,
        connected and tls_done to sent), ``"wait"`` (sent to head),
        ``"receive"`` (head to body_done) and ``"total"``."""
        out: dict[str, float] = {}
        pairs = (
            ("resolve", self.resolved, self.connect_start),
            ("connect", self.connected, self.resolved if self.resolved is not None else self.connect_start),
            ("tls", self.tls_done, self.connected),
            ("send", self.sent, self.tls_done or self.connected or self.start),
            ("wait", self.head, self.sent),
            ("receive", self.body_done, self.head),
            ("total", self.body_done, self.start),
        )
        for name, end, begin in pairs:
            span = _span(end, begin)
            if span is not None:
                out[name] = span
        return out
