"""A small forward proxy on 127.0.0.1 for integration tests.

It forwards absolute-form requests (RFC 9112 §3.2.2) over a fresh upstream
connection each (made with :mod:`http.client`, so the proxy shares no code
with the client under test), and opens CONNECT tunnels (RFC 9110 §9.3.6) by
piping bytes both ways. It records what it saw so tests can assert on it:
every request head (``requests``), every CONNECT target (``connects``), and
how many client connections it accepted (``connections_accepted``).

Options: ``auth`` (the exact Proxy-Authorization value required, else 407),
``ssl_context`` (serve the proxy itself over TLS), ``connect_status`` (answer
every CONNECT with this status instead of tunnelling), ``upstream_ssl_context``
(for forwarded https:// requests). Upstream connections go to 127.0.0.1 and
localhost only. Every socket has a timeout and every loop a bound.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
import time
import typing
from urllib.parse import urlsplit

from loopback import ThreadedServer, first_header

_MAX_HEAD = 65536
_MAX_BODY = 1 << 20
_SOCKET_TIMEOUT = 10.0
# A tunnel lives at most this long, whatever the peers do.
_TUNNEL_LIFETIME = 30.0
_ALLOWED_UPSTREAM = ("127.0.0.1", "localhost")
# Hop-by-hop fields (RFC 9110 §7.6.1) and framing the proxy re-does itself.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class ProxyRequest:
    """One request head as the proxy received it."""

    def __init__(self, conn_id: int, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.conn_id = conn_id
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively, or None."""
        return first_header(self.headers, name)

    def __repr__(self) -> str:
        return f"<ProxyRequest #{self.conn_id} {self.method} {self.target}>"


class ProxyServer(ThreadedServer):
    """A threaded forward proxy; use as a context manager."""

    thread_name = "proxy"

    def __init__(
        self,
        *,
        auth: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_status: int | None = None,
        upstream_ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__("127.0.0.1", backlog=64)
        self.auth = auth
        self.ssl_context = ssl_context
        self.connect_status = connect_status
        self.upstream_ssl_context = upstream_ssl_context
        self.requests: list[ProxyRequest] = []
        self.connects: list[str] = []
        self.errors: list[BaseException] = []

    @property
    def url(self) -> str:
        """The proxy's URL."""
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ serving

    def _serve(self, sock: typing.Any, conn_id: int) -> None:
        try:
            sock.settimeout(_SOCKET_TIMEOUT)
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                self._track(sock)
            buf = b""
            for _ in range(1000):  # requests per client connection, bounded
                if self._stop.is_set():
                    return
                parsed = _read_request(sock, buf)
                if parsed is None:
                    return
                method, target, headers, body, buf = parsed
                req = ProxyRequest(conn_id, method, target, headers, body)
                with self._lock:
                    self.requests.append(req)
                if self.auth is not None and req.header("Proxy-Authorization") != self.auth:
                    _respond(sock, 407, [("Proxy-Authenticate", 'Basic realm="proxy"')], b"proxy auth required")
                    if method == "CONNECT":
                        return
                    continue
                if method == "CONNECT":
                    with self._lock:
                        self.connects.append(target)
                    self._tunnel(sock, target)
                    return
                self._forward(sock, req)
        except (OSError, ValueError) as e:
            if not self._stop.is_set():
                self.errors.append(e)
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def _tunnel(self, sock: typing.Any, target: str) -> None:
        if self.connect_status is not None:
            _respond(sock, self.connect_status, [("Connection", "close")], b"tunnel refused")
            return
        host, _, port = target.rpartition(":")
        if host not in _ALLOWED_UPSTREAM or not port.isdigit():
            _respond(sock, 502, [("Connection", "close")], b"upstream not allowed")
            return
        try:
            upstream = socket.create_connection((host, int(port)), timeout=_SOCKET_TIMEOUT)
        except OSError:
            _respond(sock, 502, [("Connection", "close")], b"upstream unreachable")
            return
        self._track(upstream)
        try:
            sock.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(sock, upstream, self._stop)
        finally:
            upstream.close()

    def _forward(self, sock: typing.Any, req: ProxyRequest) -> None:
        parts = urlsplit(req.target)
        if parts.scheme not in ("http", "https") or parts.hostname not in _ALLOWED_UPSTREAM:
            _respond(sock, 502, [], b"bad forward target")
            return
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if parts.scheme == "https":
            upstream: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=_SOCKET_TIMEOUT, context=self.upstream_ssl_context
            )
        else:
            upstream = http.client.HTTPConnection(parts.hostname, parts.port, timeout=_SOCKET_TIMEOUT)
        headers = [(k, v) for k, v in req.headers if k.lower() not in _HOP_BY_HOP]
        try:
            upstream.putrequest(req.method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                upstream.putheader(k, v)
            if req.body or req.method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                upstream.putheader("Content-Length", str(len(req.body)))
            upstream.endheaders(req.body or None)
            resp = upstream.getresponse()
            body = resp.read(_MAX_BODY) if req.method != "HEAD" else b""
            out = [(k, v) for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP]
            _respond(sock, resp.status, out, body, reason=resp.reason, head_only=req.method == "HEAD")
        except OSError:
            _respond(sock, 502, [], b"upstream failed")
        finally:
            upstream.close()


def _respond(
    sock: typing.Any,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    reason: str = "",
    head_only: bool = False,
) -> None:
    reason = reason or http.client.responses.get(status, "Unknown")
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
    lines.append(f"Content-Length: {len(body)}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else body))


def _recv(sock: typing.Any) -> bytes:
    return bytes(sock.recv(65536))


def _read_request(sock: typing.Any, buf: bytes) -> tuple[str, str, list[tuple[str, str]], bytes, bytes] | None:
    while b"\r\n\r\n" not in buf:
        if len(buf) > _MAX_HEAD:
            raise ValueError("request head too large")
        data = _recv(sock)
        if not data:
            return None
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise ValueError(f"bad request line {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name, value.strip()))
    lower = {k.lower(): v for k, v in headers}
    body = b""
    if "transfer-encoding" in lower:
        for _ in range(10000):  # chunks, bounded
            while b"\r\n" not in buf:
                data = _recv(sock)
                if not data:
                    return None
                buf += data
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if len(body) + size > _MAX_BODY:
                raise ValueError("request body too large")
            while len(buf) < size + 2:
                data = _recv(sock)
                if not data:
                    return None
                buf += data
            body += buf[:size]
            buf = buf[size + 2 :]
            if size == 0:
                break
    elif "content-length" in lower:
        n = int(lower["content-length"])
        if n > _MAX_BODY:
            raise ValueError("request body too large")
        while len(buf) < n:
            data = _recv(sock)
            if not data:
                return None
            buf += data
        body, buf = buf[:n], buf[n:]
    return method, target, headers, body, buf


def _pipe(client: typing.Any, upstream: socket.socket, stop: threading.Event) -> None:
    # Copy bytes both ways until either side closes, the server stops, or
    # the tunnel's lifetime is up. A TLS client socket may hold decrypted
    # bytes that select() can't see: pending() tells.
    deadline = time.monotonic() + _TUNNEL_LIFETIME
    while not stop.is_set() and time.monotonic() < deadline:
        if isinstance(client, ssl.SSLSocket) and client.pending():
            readable = [client]
        else:
            readable, _, _ = select.select([client, upstream], [], [], 0.2)
        for s in readable:
            other = upstream if s is client else client
            try:
                data = s.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not data:
                return
            other.sendall(data)
