"""A small threaded HTTP/1.1 server on 127.0.0.1 for integration tests.

One thread accepts, one thread serves each connection; every socket has a
timeout, so nothing blocks a test for long. Requests are parsed by hand (so a
test sees exactly the bytes the client sent) and recorded; responses come
from built-in routes or from a test's own handler, which may also write raw
bytes or drop the connection.

Built-in routes (query parameters in brackets):

- ``/id[?id=X]``: 200, body ``X``, header ``X-Id: X`` (threads match
  responses to requests with it).
- ``/conn``: 200, body = the server-side connection number.
- ``/echo``: 200, JSON of method, target, headers (list) and body (latin-1).
- ``/status?code=N[&retry_after=S]``: a response with that status.
- ``/redirect?target=URL[&status=302]`` (also ``.../redirect``): a redirect to URL.
- ``/loop``: a redirect to itself.
- ``/chunked[?n=3]``: a chunked body ``chunk0chunk1...``.
- ``/close``: a close-delimited body (no Content-Length, then close).
- ``/drip?n=N&delay=S``: Content-Length N, one byte every S seconds.
- ``/sleep?s=S``: waits S seconds, then 200.
- anything else: 200, body ``hello``.

``Server(idle_close=S)`` closes a keep-alive connection idle for S seconds.
``Server(ssl_context=ctx)`` serves TLS (see :func:`tls_contexts`).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import typing
from urllib.parse import parse_qs, urlsplit

from loopback import ThreadedServer, first_header

# A handler's return value: (status, [(name, value)...], body) for a normal
# response; RAW when it wrote to req.sock itself and the connection stays
# open; CLOSE to close the connection without (more) response.
RAW = object()
CLOSE = object()

_MAX_HEAD = 65536
_SOCKET_TIMEOUT = 10.0


class Request:
    """One request as the server received it."""

    def __init__(
        self,
        conn_id: int,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        raw: bytes,
        sock: typing.Any,
        stop: threading.Event | None = None,
    ) -> None:
        self.conn_id = conn_id
        #: Set when the server stops: handlers wait on it instead of sleeping.
        self.stop = stop or threading.Event()
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.raw = raw
        self.sock = sock
        split = urlsplit(target)
        self.path = split.path
        self.query = {k: v[0] for k, v in parse_qs(split.query).items()}

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively, or None."""
        return first_header(self.headers, name)

    def __repr__(self) -> str:
        return f"<Request #{self.conn_id} {self.method} {self.target}>"


def _reply(
    status: int, headers: list[tuple[str, str]] | None = None, body: bytes = b""
) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, headers or [], body


def default_routes(req: Request) -> typing.Any:
    """The built-in routes listed in the module docstring."""
    q = req.query
    path = req.path
    if path == "/id":
        ident = q.get("id", "")
        return _reply(200, [("X-Id", ident)], ident.encode())
    if path == "/conn":
        return _reply(200, [], str(req.conn_id).encode())
    if path == "/echo":
        doc = {
            "method": req.method,
            "target": req.target,
            "headers": req.headers,
            "body": req.body.decode("latin-1"),
        }
        return _reply(200, [("Content-Type", "application/json")], json.dumps(doc).encode())
    if path == "/status":
        code = int(q.get("code", "200"))
        hdrs = []
        if "retry_after" in q:
            hdrs.append(("Retry-After", q["retry_after"]))
        return _reply(code, hdrs, f"status {code}".encode())
    if path == "/loop":
        return _reply(302, [("Location", "/loop")], b"again")
    if path.endswith("/redirect"):
        code = int(q.get("status", "302"))
        return _reply(code, [("Location", q.get("target", "/"))], b"redirecting")
    if path == "/chunked":
        n = int(q.get("n", "3"))
        parts = [b"chunk%d" % i for i in range(n)]
        raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        raw += b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        req.sock.sendall(raw)
        return RAW
    if path == "/close":
        req.sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close")
        return CLOSE
    if path == "/drip":
        n = int(q.get("n", "10"))
        delay = float(q.get("delay", "0.1"))
        req.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
        try:
            for _ in range(n):
                if req.stop.wait(delay):
                    return CLOSE
                req.sock.sendall(b"x")
        except OSError:
            return CLOSE
        return RAW
    if path == "/sleep":
        if req.stop.wait(float(q.get("s", "0.1"))):
            return CLOSE
        return _reply(200, [], b"slept")
    return _reply(200, [], b"hello")


class Server(ThreadedServer):
    """A threaded HTTP/1.1 server; use as a context manager.

    :param handler: ``handler(req)`` returning a response (see RAW/CLOSE), or
        None to fall through to the built-in routes.
    :param host: Address to listen on (127.0.0.1, 127.0.0.2, ::1...).
    :param ssl_context: A server-side SSLContext for TLS.
    :param idle_close: Close a keep-alive connection after this many idle seconds.
    """

    thread_name = "httpserver"

    def __init__(
        self,
        handler: typing.Callable[[Request], typing.Any] | None = None,
        host: str = "127.0.0.1",
        ssl_context: ssl.SSLContext | None = None,
        idle_close: float | None = None,
    ) -> None:
        super().__init__(host)
        self.handler = handler
        self.ssl_context = ssl_context
        self.idle_close = idle_close
        self.requests: list[Request] = []
        self.open_connections = 0
        self.max_open_connections = 0
        self.bytes_received: list[bytes] = []  # raw bytes per connection
        self.handshake_errors: list[BaseException] = []
        self.errors: list[BaseException] = []

    @property
    def scheme(self) -> str:
        """ "https" for a TLS server, else "http"."""
        return "https" if self.ssl_context else "http"

    def url(self, path: str = "/", host: str | None = None) -> str:
        """An absolute URL on this server."""
        host = host or self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}{path}"

    # ----------------------------------------------------------- serving

    def _on_accept(self, conn_id: int) -> None:
        self.open_connections += 1
        self.max_open_connections = max(self.max_open_connections, self.open_connections)
        self.bytes_received.append(b"")

    def _serve(self, sock: socket.socket, conn_id: int) -> None:
        try:
            sock.settimeout(_SOCKET_TIMEOUT)
            if self.ssl_context is not None:
                try:
                    sock = self.ssl_context.wrap_socket(sock, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.handshake_errors.append(e)
                    return
                self._track(sock)
            buf = b""
            # Bounded: a test connection never carries this many requests.
            for _ in range(100000):
                if self._stop.is_set():
                    return
                sock.settimeout(self.idle_close if self.idle_close is not None else _SOCKET_TIMEOUT)
                try:
                    parsed = self._read_request(sock, buf, conn_id)
                except socket.timeout:
                    return  # idle: close the keep-alive connection
                if parsed is None:
                    return
                req, buf = parsed
                with self._lock:
                    self.requests.append(req)
                sock.settimeout(_SOCKET_TIMEOUT)
                result = None
                if self.handler is not None:
                    result = self.handler(req)
                if result is None:
                    result = default_routes(req)
                if result is CLOSE:
                    return
                if result is RAW:
                    continue
                status, headers, body = result
                close = any(k.lower() == "connection" and v.lower() == "close" for k, v in headers)
                names = {k.lower() for k, _ in headers}
                head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
                head += [f"{k}: {v}" for k, v in headers]
                if "content-length" not in names and "transfer-encoding" not in names:
                    head.append(f"Content-Length: {len(body)}")
                out = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                if req.method != "HEAD":
                    out += body
                sock.sendall(out)
                if close:
                    return
        except (OSError, ValueError) as e:
            if not self._stop.is_set():
                self.errors.append(e)
        finally:
            with self._lock:
                self.open_connections -= 1
            try:
                sock.close()
            except OSError:
                pass

    def _recv(self, sock: socket.socket, conn_id: int) -> bytes:
        data = sock.recv(65536)
        if data:
            with self._lock:
                self.bytes_received[conn_id - 1] += data
        return data

    def _read_request(self, sock: socket.socket, buf: bytes, conn_id: int) -> tuple[Request, bytes] | None:
        while b"\r\n\r\n" not in buf:
            if len(buf) > _MAX_HEAD:
                raise ValueError("request head too large")
            data = self._recv(sock, conn_id)
            if not data:
                return None
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
        if version != "HTTP/1.1":
            raise ValueError(f"bad request line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name, value.strip()))
        lower = {k.lower(): v for k, v in headers}
        body = b""
        raw_start = head + b"\r\n\r\n"
        if "transfer-encoding" in lower:
            # Bounded by the socket timeout and the data the client sends.
            while True:
                while b"\r\n" not in buf:
                    data = self._recv(sock, conn_id)
                    if not data:
                        return None
                    buf += data
                size_line, buf = buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(buf) < size + 2:
                    data = self._recv(sock, conn_id)
                    if not data:
                        return None
                    buf += data
                body += buf[:size]
                buf = buf[size + 2 :]
                if size == 0:
                    break
        elif "content-length" in lower:
            n = int(lower["content-length"])
            while len(buf) < n:
                data = self._recv(sock, conn_id)
                if not data:
                    return None
                buf += data
            body, buf = buf[:n], buf[n:]
        return Request(conn_id, method, target, headers, body, raw_start + body, sock, self._stop), buf


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    404: "Not Found",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def tls_contexts(
    tmp_path: typing.Any, identities: tuple[str, ...] = ("localhost", "127.0.0.1"), **cert_kw: typing.Any
) -> dict[str, typing.Any]:
    """A trustme CA and a server SSLContext for ``identities``.

    Returns a dict with ``ca`` (trustme.CA), ``ca_file`` (PEM path),
    ``server_ctx`` and ``cert`` (the server's trustme.LeafCert).
    ``cert_kw`` go to ``CA.issue_cert`` (e.g. ``not_after``).
    """
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(*identities, **cert_kw)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = str(tmp_path / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    return {"ca": ca, "ca_file": ca_file, "server_ctx": server_ctx, "cert": cert}
