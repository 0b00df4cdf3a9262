"""Connection caps shared by a PoolManager's pools: ``max_connections`` in
total and ``max_connections_per_host`` per origin (scheme, host, port).

urllib3's ``maxsize`` bounds one pool's idle connections, and bounds open
connections only with ``block=True``; nothing bounds them across pools. The
limiter here counts connection objects that pools have made and not yet
dropped, in use and idle alike. A connection object holds at most one
socket, and a closed one kept in a pool still holds its slot (it reconnects
on its next use), so the count is an upper bound on the process's sockets.

A slot is taken where a pool makes a connection object and given back where
the object is dropped for good (pool full, error, pool closed), or when it
is garbage collected, so a response closed without being released does not
leak its slot. At a cap, an idle connection of any pool sharing the limiter
(of the same host, when the per-host cap is the one reached) is closed to
make room; when every connection is busy the request waits up to its
``pool_timeout`` and then raises :class:`~pool.exceptions.EmptyPoolError`,
as a blocking urllib3 pool does.
"""

from __future__ import annotations

import threading
import time
import typing
import weakref

from .exceptions import EmptyPoolError

if typing.TYPE_CHECKING:
    from .connection import HTTPConnection
    from .connectionpool import HTTPConnectionPool

_Key = tuple[str, str, typing.Optional[int]]


def _check_cap(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int or None, not {value!r}")
    return value


class _Limiter:
    """Counts connection objects across the pools it is handed to, and makes
    pools wait (or close an idle connection) rather than exceed a cap."""

    def __init__(self, max_connections: int | None, max_connections_per_host: int | None) -> None:
        self.max_connections = _check_cap("max_connections", max_connections)
        self.max_connections_per_host = _check_cap("max_connections_per_host", max_connections_per_host)
        # Re-entrant: a collected connection's finalizer gives its slot back
        # (_release) and may run inside a section that holds the lock.
        self._cond = threading.Condition(threading.RLock())
        self._total = 0
        self._hosts: dict[_Key, int] = {}
        # Pools whose idle connections may be closed to make room, by id():
        # weak, so an evicted pool still frees its connections when
        # collected, and by identity, as connections are (below).
        self._pools: weakref.WeakValueDictionary[int, HTTPConnectionPool] = weakref.WeakValueDictionary()
        self._waiting = 0
        # id() of each connection object holding a slot -> the finalizer
        # that gives the slot back; kept here, so nothing is written on the
        # connection.  Keyed by identity, not by the object: a connection
        # class may define __eq__ (then two connections to one origin can be
        # equal, or none hashable).  An id stays unique while its entry is
        # here: the finalizer removes the entry before the object is freed.
        self._slots: dict[int, weakref.finalize[typing.Any, typing.Any]] = {}

    def counts(self) -> tuple[int, dict[_Key, int]]:
        """(connection objects held, per (scheme, host, port))."""
        with self._cond:
            return self._total, dict(self._hosts)

    def new_conn(self, pool: HTTPConnectionPool, timeout: float | None) -> HTTPConnection:
        """Take a slot for ``pool`` (waiting up to ``timeout`` seconds, forever
        when None), then make the connection with ``pool._new_conn()``."""
        key: _Key = (pool.scheme, pool.host, pool.port)
        self._acquire(pool, key, timeout)
        try:
            conn = pool._new_conn()
            # Called once: by release() when the pool drops the connection,
            # or when the connection is collected without having been dropped.
            fin = weakref.finalize(conn, self._release, key, id(conn))
            with self._cond:
                self._slots[id(conn)] = fin
        except BaseException:
            with self._cond:
                self._release_locked(key)
            raise
        return conn

    def idle(self) -> None:
        """A connection went back to a pool: a waiter may now close it."""
        if self._waiting:
            with self._cond:
                self._cond.notify_all()

    def _acquire(self, pool: HTTPConnectionPool, key: _Key, timeout: float | None) -> None:
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._pools[id(pool)] = pool
            # Each pass takes the slot, frees one by closing an idle
            # connection, or waits for a release; bounded by ``end``.
            while True:
                host_n = self._hosts.get(key, 0)
                per_host = self.max_connections_per_host
                host_full = per_host is not None and host_n >= per_host
                total_full = self.max_connections is not None and self._total >= self.max_connections
                if not (host_full or total_full):
                    self._total += 1
                    self._hosts[key] = host_n + 1
                    return
                taken = self._take_idle(key if host_full else None)
                if taken is not None:
                    self._close_counted(*taken)
                    continue
                if end is None:
                    remaining = None
                else:
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        raise EmptyPoolError(pool, self._full_message(key, host_full))
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1

    def _full_message(self, key: _Key, host_full: bool) -> str:
        if host_full:
            cap = f"max_connections_per_host={self.max_connections_per_host} reached for {key[1]}:{key[2]}"
        else:
            cap = f"max_connections={self.max_connections} reached"
        return f"Pool is empty and a new connection can't be opened: {cap}, all connections busy."

    def _take_idle(self, key: _Key | None) -> tuple[typing.Any, _Key, bool] | None:
        # Called with the lock held. Takes the least recently used idle
        # connection object (bottom of a LIFO queue) of the first pool that
        # has one and leaves an empty slot (None) in its place; returns it
        # for _close_counted, with its origin and whether it holds a count.
        # ``key`` restricts the search to one origin.
        for p in list(self._pools.values()):
            if key is not None and (p.scheme, p.host, p.port) != key:
                continue
            q = p.pool
            if q is None:
                continue
            with q.mutex:
                items = q.queue
                for i, conn in enumerate(items):
                    fin = self._slots.pop(id(conn), None) if conn is not None else None
                    if fin is not None and fin.alive:
                        items[i] = None
                        break
                else:
                    continue
            # finalize.detach() now, then a direct release after the close.
            return conn, (p.scheme, p.host, p.port), fin.detach() is not None
        return None

    def _close_counted(self, conn: typing.Any, key: _Key, held: bool) -> None:
        # Called with the lock held, by _acquire. Closes ``conn`` without
        # the lock (a close can block: SO_LINGER in socket_options, or a
        # subclass's close(); every other checkout would wait on it), and
        # only then frees its count: a socket still open must never be
        # outside the count, or another thread could connect past a cap
        # while it closes.
        self._cond.release()
        try:
            conn.close()
        finally:
            self._cond.acquire()
            if held:
                self._release_locked(key)

    def release(self, conn: typing.Any) -> None:
        """Give back the slot of a connection a pool drops for good (a no-op
        for a connection that holds none, and on a second call)."""
        with self._cond:
            fin = self._slots.pop(id(conn), None)
        if fin is not None:
            fin()

    def _release(self, key: _Key, ident: int) -> None:
        # The finalizer's call: on release(), or when the connection is
        # collected without one (then its entry goes too, before its id can
        # be another object's).
        with self._cond:
            self._slots.pop(ident, None)
            self._release_locked(key)

    def _release_locked(self, key: _Key) -> None:
        self._total -= 1
        n = self._hosts.get(key, 0) - 1
        if n > 0:
            self._hosts[key] = n
        else:
            self._hosts.pop(key, None)
        if self._waiting:
            self._cond.notify_all()
