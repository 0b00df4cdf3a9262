"""The machinery every threaded test server here shares: a listener on a
loopback address, one thread per accepted connection, and a bounded stop that
wakes every blocked thread (shutdown() before close(), because close() alone
does not wake a thread blocked in recv() or accept())."""

from __future__ import annotations

import socket
import threading
import typing

_S = typing.TypeVar("_S", bound="ThreadedServer")


def first_header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of a header in a received list, case-insensitively."""
    lname = name.lower()
    for k, v in headers:
        if k.lower() == lname:
            return v
    return None


class ThreadedServer:
    """Listen on ``host`` (loopback only) and call ``self._serve(sock, conn_id)``
    in a thread per connection; use as a context manager.  Subclasses
    implement ``_serve`` and may extend ``_on_accept`` (called under the lock)."""

    thread_name = "server"

    def __init__(self, host: str = "127.0.0.1", backlog: int = 128) -> None:
        self.host = host
        self.connections_accepted = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[typing.Any] = []  # every socket to shut down on stop
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(backlog)
        self._listener.settimeout(0.5)  # a fallback: stop() wakes accept() at once
        self.port: int = self._listener.getsockname()[1]

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(self, *exc: typing.Any) -> None:
        self.stop()

    def start(self) -> None:
        """Start accepting connections."""
        t = threading.Thread(target=self._accept_loop, name=f"{self.thread_name}-{self.port}", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        """Stop accepting, close every connection, join the threads (bounded)."""
        self._stop.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=5)
        self._listener.close()

    def _track(self, sock: typing.Any) -> None:
        """Remember a socket (a TLS-wrapped one, an upstream) so stop() closes it."""
        with self._lock:
            self._socks.append(sock)

    def _on_accept(self, conn_id: int) -> None:
        """Count a new connection; called with the lock held."""

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections_accepted += 1
                conn_id = self.connections_accepted
                self._socks.append(sock)
                self._on_accept(conn_id)
            t = threading.Thread(target=self._serve, args=(sock, conn_id), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, sock: typing.Any, conn_id: int) -> None:
        raise NotImplementedError
