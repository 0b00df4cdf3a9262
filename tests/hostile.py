"""A raw-socket HTTP server for hostile-server tests: it answers each request
with hand-written bytes, sent whole, in timed pieces, or cut off by a close or
a reset (SO_LINGER 0) at a chosen point, and records exactly what it received.

Scripts are given per request, not per connection: the n-th request the
server reads (on whatever connection it arrives) is answered by the n-th
script.  So a test can say "the first response is malformed, the second is
good" and then check, from :attr:`HostileServer.accepted`, whether the client
sent its second request on the same connection or on a new one, and that the
second response it got is the second script's, never bytes of the first.

A script is a list of steps:

- ``bytes``: sent at once;
- :class:`Drip`: bytes sent in pieces with a pause between them;
- :class:`Repeat`: one piece of bytes sent many times (an endless stream);
- :class:`Pause`: wait (cut short when the server closes);
- :class:`Discard`: read and drop what the client sends, for a while;
- :data:`CLOSE`: close the connection (FIN; over TLS, close_notify first);
- :data:`TRUNCATE`: over TLS, close the TCP connection without close_notify
  (what a truncation attack looks like); over plain HTTP the same as CLOSE;
- :data:`HALF_CLOSE`: stop sending but keep reading (over TLS, close_notify
  alone; over plain HTTP, shutdown(SHUT_WR): a FIN);
- :data:`RESET`: close with SO_LINGER 0, so the peer gets an RST;
- :data:`HANG`: keep the connection open and silent until the test ends;
- :class:`Raw`: bytes written to the TCP socket under TLS (a garbage record,
  an alert in the clear); over plain HTTP the same as ``bytes``;
- :data:`KEY_UPDATE` (TLS 1.3) and :data:`RENEGOTIATE` (TLS 1.2): the server
  updates its keys, or renegotiates the session, before the next step (see
  :func:`tls_control_available`).

After a script without CLOSE/TRUNCATE/RESET/HANG the connection reads the
next request.  A script may also be a callable ``f(request) -> script``.
When a request arrives and no script is left, the connection is closed (as by
CLOSE).

``HostileServer(tls=True)`` (or ``"TLSv1.2"``/``"TLSv1.3"`` to pin the
version) serves every script over TLS with a certificate for 127.0.0.1,
127.0.0.2 and localhost from a test CA made once per process; clients verify
against it with :func:`client_pool` / :func:`client_kw`.  The handshake comes
first, then the greeting (if any), then the requests.

Every socket has a timeout and every wait is bounded, so a client bug shows
as a failed assertion, never as a hung test run.

Also here, for the hostile test modules: the ``impl`` fixture (each test
runs against the compiled wire layer and its Python twin, with a hang guard),
:class:`MemoryPeak` (peak allocations and RSS growth around a block), and,
run as a script, a keep-alive echo server in its own process (the soak test).
"""

from __future__ import annotations

import faulthandler
import importlib
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time
import typing

import pytest

__all__ = [
    "CLOSE",
    "TRUNCATE",
    "HALF_CLOSE",
    "RESET",
    "HANG",
    "KEY_UPDATE",
    "RENEGOTIATE",
    "Discard",
    "Drip",
    "Pause",
    "Raw",
    "Repeat",
    "HostileServer",
    "Received",
    "response",
    "client_kw",
    "client_pool",
    "tls_control_available",
    "impl",
    "client",
    "transport",
    "HANG_GUARD",
    "MemoryPeak",
]

# A request head larger than this is not a request this server understands.
_MAX_REQUEST_HEAD = 1 << 20
_SOCKET_TIMEOUT = 5.0


class _Step:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


CLOSE = _Step("CLOSE")
TRUNCATE = _Step("TRUNCATE")
HALF_CLOSE = _Step("HALF_CLOSE")
RESET = _Step("RESET")
HANG = _Step("HANG")
KEY_UPDATE = _Step("KEY_UPDATE")
RENEGOTIATE = _Step("RENEGOTIATE")


class Raw:
    """Bytes written straight to the TCP socket, under TLS if there is one."""

    def __init__(self, data: bytes) -> None:
        self.data = data


class Pause:
    """Wait ``seconds`` before the next step."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Drip:
    """Send ``data`` in pieces of ``size`` bytes, ``delay`` seconds apart
    (at most ``limit`` seconds in all: the rest is then dropped)."""

    def __init__(self, data: bytes, size: int = 1, delay: float = 0.01, limit: float = 10.0) -> None:
        self.data = data
        self.size = size
        self.delay = delay
        self.limit = limit


class Repeat:
    """Send ``piece`` ``count`` times (no big buffer is built: an "endless"
    stream costs the server nothing), stopping when the peer goes away."""

    def __init__(self, piece: bytes, count: int, delay: float = 0.0) -> None:
        self.piece = piece
        self.count = count
        self.delay = delay


class Discard:
    """Read and drop whatever the client sends, for up to ``seconds`` or until
    it closes (a server that answered early, then swallows the body)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Received:
    """One request as it reached the server: the raw bytes, and the parts."""

    def __init__(self, conn: int, raw: bytes, head: bytes, body: bytes) -> None:
        self.conn = conn
        self.raw = raw
        self.body = body
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        self.method = parts[0].decode("latin-1")
        self.target = parts[1].decode("latin-1") if len(parts) > 1 else ""
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(b":")
                self.headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self) -> str:
        return f"<Received conn={self.conn} {self.method} {self.target}>"


def response(
    body: bytes = b"", status: str = "200 OK", headers: typing.Iterable[str] = (), length: bool = True
) -> bytes:
    """A well-formed HTTP/1.1 response (Content-Length framing unless ``length`` is False)."""
    lines = [f"HTTP/1.1 {status}"]
    lines += list(headers)
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Conn:
    def __init__(self, server: HostileServer, sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock: typing.Any = sock
        self.index = index
        self.buf = b""
        self.raw = bytearray()  # every byte received on this connection
        #: over TLS: the version negotiated, and what happened on the way
        #: ("key-update", "renegotiated", a handshake error...)
        self.tls_version: str | None = None
        self.tls_events: list[str] = []
        # Over TLS: send close_notify when the connection ends (not after
        # TRUNCATE or RESET).
        self._notify = True

    def _recv(self, raise_timeout: bool = False) -> bytes:
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            if raise_timeout:
                raise
            return b""
        except OSError:
            return b""
        self.raw += data
        return data

    def read_request(self) -> Received | None:
        """Read one request (head, then a Content-Length or chunked body);
        None if the client closed or sent garbage."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > _MAX_REQUEST_HEAD:
                return None
            data = self._recv()
            if not data:
                return None
            self.buf += data
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        start = len(self.raw) - len(self.buf)
        lower = head.lower()
        body = b""
        if not self.server.read_body:
            pass
        elif b"\r\ntransfer-encoding:" in lower:
            # Good enough for the bodies pool sends: up to the last chunk.
            while b"0\r\n\r\n" not in rest:
                data = self._recv()
                if not data:
                    return None
                rest += data
            end = rest.index(b"0\r\n\r\n") + 5
            body, rest = rest[:end], rest[end:]
        else:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    # A client under test may send nonsense: take no body then.
                    value = value.strip()
                    length = int(value) if value.isdigit() else 0
            while len(rest) < length:
                data = self._recv()
                if not data:
                    return None
                rest += data
            body, rest = rest[:length], rest[length:]
        self.buf = rest
        consumed = len(head) + 4 + len(body)
        return Received(self.index, bytes(self.raw[start : start + consumed]), head, body)

    def _handshake(self) -> bool:
        ctx = self.server.tls_context
        if ctx is None:
            return True
        try:
            # Set before the handshake, so that close() can wake it.
            self.sock = ctx.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
            self.sock.do_handshake()
        except (OSError, ValueError) as e:
            self.tls_events.append(f"handshake failed: {e!r}")
            self._notify = False
            return False
        self.tls_version = self.sock.version()
        return True

    def run(self) -> None:
        try:
            if not self._handshake():
                return
            greeting = self.server.greeting
            if callable(greeting):
                greeting = greeting(self.index)
            if greeting is not None and not self._play(greeting):
                return
            while not self.server._stop.is_set():
                req = self.read_request()
                if req is None:
                    return
                script = self.server._next_script(req)
                if script is None:
                    return
                if callable(script):
                    script = script(req)
                if not self._play(script):
                    return
        finally:
            self._drain_and_close()

    def _play(self, script: typing.Iterable[typing.Any]) -> bool:
        """Run the steps; False when the connection is finished."""
        stop = self.server._stop
        try:
            for step in script:
                if isinstance(step, (bytes, bytearray)):
                    self.sock.sendall(step)
                elif isinstance(step, Pause):
                    if stop.wait(step.seconds):
                        return False
                elif isinstance(step, Drip):
                    end = time.monotonic() + step.limit
                    for i in range(0, len(step.data), step.size):
                        if time.monotonic() > end:
                            break
                        self.sock.sendall(step.data[i : i + step.size])
                        if stop.wait(step.delay):
                            return False
                elif isinstance(step, Discard):
                    end = time.monotonic() + step.seconds
                    self.buf = b""
                    self.sock.settimeout(0.05)
                    while time.monotonic() < end and not stop.is_set():
                        try:
                            if not self._recv(raise_timeout=True):
                                break
                        except socket.timeout:
                            continue
                    self.sock.settimeout(_SOCKET_TIMEOUT)
                elif isinstance(step, Repeat):
                    # Small pieces go out batched (~64 KiB per send), or the
                    # server, not the client, would be what a test measures.
                    per = 1 if step.delay else max(1, 65536 // len(step.piece))
                    batch = step.piece * per
                    for i in range(0, step.count, per):
                        if step.count - i < per:
                            batch = step.piece * (step.count - i)
                        self.sock.sendall(batch)
                        if step.delay and stop.wait(step.delay):
                            return False
                        if stop.is_set():
                            return False
                elif isinstance(step, Raw):
                    # The plain socket's own sendall, beneath any TLS layer.
                    socket.socket.sendall(self.sock, step.data)
                elif step is CLOSE:
                    return False
                elif step is TRUNCATE:
                    self._notify = False
                    return False
                elif step is HALF_CLOSE:
                    if self._tls:
                        self._close_notify()
                        self._notify = False
                    else:
                        self.sock.shutdown(socket.SHUT_WR)
                elif step is RESET:
                    self._notify = False
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.sock.close()
                    return False
                elif step is KEY_UPDATE:
                    _TLSControl(self.sock).key_update()
                    self.tls_events.append("key-update")
                elif step is RENEGOTIATE:
                    self._renegotiate()
                elif step is HANG:
                    # Read (and record) whatever comes, send nothing.
                    while not stop.is_set():
                        try:
                            self.sock.settimeout(0.05)
                            data = self.sock.recv(65536)
                        except socket.timeout:
                            continue
                        except OSError:
                            return False
                        if not data:
                            return False
                        self.raw += data
                    return False
                else:  # pragma: no cover - a mistake in a test
                    raise TypeError(f"unknown step {step!r}")
        except OSError:
            return False
        return True

    @property
    def _tls(self) -> bool:
        return isinstance(self.sock, ssl.SSLSocket)

    def _close_notify(self) -> None:
        # unwrap() sends close_notify, then waits for the peer's: on a
        # non-blocking socket it gives up at once (SSLWantReadError), the
        # close_notify already sent.  The socket then reads on as before.
        try:
            self.sock.setblocking(False)
            try:
                self.sock.unwrap()
            except (OSError, ValueError):
                pass
        finally:
            try:
                self.sock.settimeout(_SOCKET_TIMEOUT)
            except OSError:
                pass

    def _renegotiate(self) -> None:
        # TLS 1.2: send a HelloRequest, then read (the client answers while
        # it waits for the rest of the response) until the new handshake is
        # done; any request bytes that come meanwhile are kept.
        ctl = _TLSControl(self.sock)
        before = self.sock.get_channel_binding("tls-unique")
        ctl.renegotiate()
        end = time.monotonic() + 3
        self.sock.settimeout(0.05)
        try:
            while ctl.renegotiate_pending() and time.monotonic() < end:
                try:
                    data = self.sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                self.raw += data
                self.buf += data
        finally:
            self.sock.settimeout(_SOCKET_TIMEOUT)
        done = not ctl.renegotiate_pending() and self.sock.get_channel_binding("tls-unique") != before
        self.tls_events.append("renegotiated" if done else "renegotiation unfinished")

    def _drain_and_close(self) -> None:
        if self.sock.fileno() >= 0:
            if self._notify and self._tls:
                self._close_notify()
            try:
                self.sock.close()
            except OSError:
                pass
        with self.server._lock:
            self.server._open -= 1
            self.server._cond.notify_all()


class HostileServer:
    """Serve scripted responses on ``host`` (127.0.0.1 by default), port 0.

    :param scripts: one script per request, in order of arrival, or a
        callable ``f(request) -> script`` used for every request.
    :param read_body: read each request's body before its script runs
        (False: the script runs once the head is in; see :class:`Discard`).
    :param greeting: a script played on every connection as soon as it is
        accepted, before any request is read (a server that speaks first, or,
        without ``tls``, answers a TLS handshake with something else); or a
        callable ``f(connection index) -> script or None``.
    :param tls: serve over TLS: True (the highest version both sides
        support), ``"TLSv1.2"`` or ``"TLSv1.3"`` (only that version), or a
        server :class:`ssl.SSLContext`.  Certificates come from the test CA
        (see :func:`tls_server_context`).
    """

    def __init__(
        self,
        scripts: typing.Sequence[typing.Any] | typing.Callable[[Received], typing.Any],
        host: str = "127.0.0.1",
        backlog: int = 64,
        read_body: bool = True,
        greeting: typing.Any = None,
        tls: typing.Any = None,
    ) -> None:
        self._scripts = scripts
        self.read_body = read_body
        self.greeting = greeting
        self.host = host
        if tls is None or tls is False:
            self.tls_context: ssl.SSLContext | None = None
        elif isinstance(tls, ssl.SSLContext):
            self.tls_context = tls
        else:
            self.tls_context = tls_server_context(None if tls is True else tls)
        self.scheme = "https" if self.tls_context is not None else "http"
        self._lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind((host, 0))
        self._lsock.listen(backlog)
        # close() wakes accept() with shutdown(); the timeout is a fallback.
        self._lsock.settimeout(0.5)
        self.port = self._lsock.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._conns: list[_Conn] = []
        self._threads: list[threading.Thread] = []
        self._open = 0
        #: every request read, in order of arrival
        self.requests: list[Received] = []
        self._accept_thread = threading.Thread(target=self._accept_loop, name="hostile-accept", daemon=True)
        self._accept_thread.start()

    # ------------------------------------------------------------ inspection

    @property
    def accepted(self) -> int:
        """Connections accepted so far."""
        return len(self._conns)

    def received(self, conn: int | None = None) -> bytes:
        """Every byte received, on connection ``conn`` or on all of them."""
        conns = self._conns if conn is None else [self._conns[conn]]
        return b"".join(bytes(c.raw) for c in conns)

    def url(self, path: str = "/") -> str:
        """http://host:port + path (https:// over TLS)."""
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    @property
    def tls_versions(self) -> list[str | None]:
        """Over TLS: the version negotiated on each connection (None: the
        handshake failed)."""
        return [c.tls_version for c in self._conns]

    @property
    def tls_events(self) -> list[str]:
        """Over TLS: key updates, renegotiations and handshake failures, on
        all connections in order of acceptance."""
        return [e for c in self._conns for e in c.tls_events]

    def wait_closed(self, timeout: float = 2.0) -> bool:
        """Wait until every accepted connection ended; True if they did."""
        end = time.monotonic() + timeout
        with self._lock:
            while self._open:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # ------------------------------------------------------------- internals

    def _next_script(self, req: Received) -> typing.Any:
        with self._lock:
            n = len(self.requests)
            self.requests.append(req)
        if callable(self._scripts):
            return self._scripts(req)
        if n < len(self._scripts):
            return self._scripts[n]
        return None

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.settimeout(_SOCKET_TIMEOUT)
            # Pieces must leave as separate segments, as a test wrote them.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                conn = _Conn(self, sock, len(self._conns))
                self._conns.append(conn)
                self._open += 1
            t = threading.Thread(target=conn.run, name=f"hostile-conn-{conn.index}", daemon=True)
            self._threads.append(t)
            t.start()

    def close(self) -> None:
        """Stop accepting, end every connection, join the threads."""
        self._stop.set()
        try:
            self._lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._accept_thread.join(2)
        self._lsock.close()
        for c in list(self._conns):
            try:
                # The plain socket's shutdown: SSLSocket.shutdown() would drop
                # the TLS state under the connection's thread.
                socket.socket.shutdown(c.sock, socket.SHUT_RDWR)
            except OSError:
                pass
        for t in list(self._threads):
            t.join(2)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------- TLS

_tls_cache: dict[typing.Any, typing.Any] = {}

#: The host names and addresses the test certificate is good for.
TLS_IDENTITIES = ("127.0.0.1", "127.0.0.2", "localhost")


def _tls_ca() -> typing.Any:
    # One CA and one server certificate per process: key generation is the
    # slow part of TLS set-up.
    if "ca" not in _tls_cache:
        import trustme

        ca = trustme.CA()
        _tls_cache["ca"] = ca
        _tls_cache["cert"] = ca.issue_cert(*TLS_IDENTITIES)
        _tls_cache["ca_pem"] = ca.cert_pem.bytes().decode("ascii")
    return _tls_cache["ca"]


def tls_server_context(version: str | None = None) -> ssl.SSLContext:
    """A server context with the test certificate; ``version`` ("TLSv1.2",
    "TLSv1.3") pins the protocol version.  One per version, per process."""
    key = ("server", version)
    if key not in _tls_cache:
        _tls_ca()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        _tls_cache["cert"].configure_cert(ctx)
        if version is not None:
            v = getattr(ssl.TLSVersion, version.replace(".", "_"))
            ctx.minimum_version = ctx.maximum_version = v
        _tls_cache[key] = ctx
    return typing.cast(ssl.SSLContext, _tls_cache[key])


def tls_reset_reads_as_eof() -> bool:
    """Whether this interpreter's ssl module reports a TCP reset in the
    middle of a TLS stream as an end of stream (an SSLEOFError, "EOF in
    violation of protocol", which ``recv`` turns into b""), or as
    ConnectionResetError.  CPython 3.13 changed from the first to the
    second; pool and urllib3 both take what the ssl module says, so a
    close-delimited body cut by a reset ends (before) or fails (after).
    Probed once per process on a real connection, not by version number."""
    if "reset_is_eof" not in _tls_cache:
        script = [b"HTTP/1.1 200 OK\r\n\r\npartial", Pause(0.05), RESET]
        with HostileServer([script], tls=True) as srv:
            ctx = ssl.create_default_context(cadata=client_kw(srv)["ca_cert_data"])
            with socket.create_connection((srv.host, srv.port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname=srv.host) as tls:
                    tls.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\n\r\n")
                    eof = False
                    try:
                        for _ in range(100):
                            if not tls.recv(65536):
                                eof = True
                                break
                    except ConnectionResetError:
                        eof = False
        _tls_cache["reset_is_eof"] = eof
    return bool(_tls_cache["reset_is_eof"])


def client_kw(srv: HostileServer | None = None) -> dict[str, typing.Any]:
    """Keyword arguments for a client that trusts the test CA (for a
    PoolManager; empty for a plain-HTTP server)."""
    if srv is not None and srv.tls_context is None:
        return {}
    _tls_ca()
    return {"ca_cert_data": _tls_cache["ca_pem"]}


def client_pool(srv: HostileServer, module: typing.Any = None, **kw: typing.Any) -> typing.Any:
    """A connection pool for ``srv``: HTTPConnectionPool, or over TLS an
    HTTPSConnectionPool verifying against the test CA.  ``module``: the
    package to take it from (default pool; urllib3 to compare)."""
    if module is None:
        import pool as module
    if srv.tls_context is None:
        return module.HTTPConnectionPool(srv.host, srv.port, **kw)
    return module.HTTPSConnectionPool(srv.host, srv.port, **dict(client_kw(srv), **kw))


# Python's ssl module can't send a TLS 1.3 KeyUpdate or start a TLS 1.2
# renegotiation; OpenSSL can.  _TLSControl calls it, through ctypes, on the
# SSL object of a server-side SSLSocket: the one in the libssl the ssl module
# uses (found in /proc/self/maps), at the place CPython keeps it (after the
# object header and one pointer in _ssl._SSLSocket), checked before use by
# asking OpenSSL for the socket's file descriptor.

_SSL_KEY_UPDATE_REQUESTED = 1
_SSL_ERROR_WANT_READ = 2
_SSL_ERROR_WANT_WRITE = 3


def _libssl() -> typing.Any:
    if "libssl" not in _tls_cache:
        lib = None
        try:
            import ctypes

            if sys.implementation.name == "cpython":
                with open("/proc/self/maps") as f:
                    paths = {line.split()[-1] for line in f if "/libssl" in line}
                if len(paths) == 1:
                    lib = ctypes.CDLL(paths.pop())
                    vp = ctypes.c_void_p
                    for name, args in [
                        ("SSL_get_fd", [vp]),
                        ("SSL_key_update", [vp, ctypes.c_int]),
                        ("SSL_renegotiate", [vp]),
                        ("SSL_renegotiate_pending", [vp]),
                        ("SSL_do_handshake", [vp]),
                        ("SSL_get_error", [vp, ctypes.c_int]),
                    ]:
                        getattr(lib, name).argtypes = args
                        getattr(lib, name).restype = ctypes.c_int
        except (ImportError, OSError, AttributeError):
            lib = None
        _tls_cache["libssl"] = lib
    return _tls_cache["libssl"]


class _TLSControl:
    def __init__(self, sock: ssl.SSLSocket) -> None:
        import ctypes

        lib = _libssl()
        if lib is None:
            raise RuntimeError("OpenSSL can't be called here")
        obj = sock._sslobj  # type: ignore[attr-defined]
        ptr = ctypes.c_void_p.from_address(id(obj) + object.__basicsize__ + ctypes.sizeof(ctypes.c_void_p)).value
        if not ptr or lib.SSL_get_fd(ptr) != sock.fileno():
            raise RuntimeError("the SSL object of this socket was not found")
        self.lib, self.ptr, self.sock = lib, ptr, sock

    def _handshake(self) -> None:
        # The socket has a timeout, so its descriptor is non-blocking: wait
        # for it as OpenSSL asks.
        lib, ptr = self.lib, self.ptr
        end = time.monotonic() + _SOCKET_TIMEOUT
        while True:
            ret = lib.SSL_do_handshake(ptr)
            if ret == 1:
                return
            err = lib.SSL_get_error(ptr, ret)
            if time.monotonic() > end or err not in (_SSL_ERROR_WANT_READ, _SSL_ERROR_WANT_WRITE):
                raise ssl.SSLError(f"SSL_do_handshake failed: {ret}, error {err}")
            if err == _SSL_ERROR_WANT_READ:
                select.select([self.sock], [], [], 0.05)
            else:
                select.select([], [self.sock], [], 0.05)

    def key_update(self) -> None:
        """TLS 1.3: send a KeyUpdate (asking the peer to update its keys too)
        now; what follows goes out under the new keys."""
        if self.sock.version() != "TLSv1.3" or self.lib.SSL_key_update(self.ptr, _SSL_KEY_UPDATE_REQUESTED) != 1:
            raise ssl.SSLError(f"no KeyUpdate over {self.sock.version()}")
        self._handshake()

    def renegotiate(self) -> None:
        """TLS 1.2: send a HelloRequest; the handshake itself happens as the
        peer's messages are read (see :meth:`renegotiate_pending`)."""
        if self.sock.version() != "TLSv1.2" or self.lib.SSL_renegotiate(self.ptr) != 1:
            raise ssl.SSLError(f"no renegotiation over {self.sock.version()}")
        self._handshake()

    def renegotiate_pending(self) -> bool:
        return bool(self.lib.SSL_renegotiate_pending(self.ptr))


def tls_control_available() -> bool:
    """Whether KEY_UPDATE and RENEGOTIATE steps can work in this process
    (CPython on Linux, with the libssl the ssl module is linked against)."""
    return _libssl() is not None


# ------------------------------------------------------------ test fixtures
#
# Imported by the hostile test modules (``from hostile import impl``): they
# run every case against both wire implementations through the public API.

#: No hostile test may take longer than this: past it the run is aborted with
#: every thread's stack, instead of hanging.
HANG_GUARD = 60.0


def _use_wire(name: str, monkeypatch: typing.Any) -> typing.Any:
    if name == "c":
        if os.environ.get("POOL_NO_EXTENSIONS"):
            pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test")
        mod = importlib.import_module("pool._wire_c")
    else:
        mod = importlib.import_module("pool._wire_py")
    import pool.connection as connection_module

    monkeypatch.setattr(connection_module, "Reader", mod.Reader)
    monkeypatch.setattr(connection_module, "serialize_request", mod.serialize_request)
    return mod


@pytest.fixture(params=["c", "py"])
def impl(request: typing.Any, monkeypatch: typing.Any) -> typing.Any:
    """Make new connections use the compiled wire layer (``c``) or the
    Python twin (``py``) for reading responses and serializing requests."""
    mod = _use_wire(request.param, monkeypatch)
    faulthandler.dump_traceback_later(HANG_GUARD, exit=True, file=_guard_stream(request.config))
    try:
        yield mod
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(params=["c", "py", "urllib3"])
def client(request: typing.Any, monkeypatch: typing.Any) -> typing.Any:
    """The package under test: pool with either wire layer (as ``impl``),
    or urllib3 itself, to hold pool's outcome against urllib3's."""
    if request.param == "urllib3":
        mod = pytest.importorskip("urllib3")
    else:
        _use_wire(request.param, monkeypatch)
        mod = importlib.import_module("pool")
    faulthandler.dump_traceback_later(HANG_GUARD, exit=True, file=_guard_stream(request.config))
    try:
        yield mod
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(params=["http", "https"])
def transport(request: typing.Any) -> typing.Any:
    """The ``tls`` argument for a :class:`HostileServer`: None (plain HTTP)
    or True (TLS; clients from :func:`client_pool` verify it)."""
    return None if request.param == "http" else True


_guard: list[typing.Any] = []


def _guard_stream(config: typing.Any) -> typing.Any:
    # The real stderr, not pytest's capture file, so the stacks of a hung
    # test are seen even though the run is aborted.  Opened once per run.
    if not _guard:
        try:
            from _pytest.faulthandler import fault_handler_stderr_fd_key

            stream = os.fdopen(os.dup(config.stash[fault_handler_stderr_fd_key]), "w")

            def _close() -> None:
                # Closed with the run: left to interpreter shutdown, it ends
                # the output with a ResourceWarning (3.10, 3.13).
                _guard.clear()
                stream.close()

            config.add_cleanup(_close)
            _guard.append(stream)
        except Exception:  # pragma: no cover - another pytest version
            _guard.append(sys.__stderr__)
    return _guard[0]


class MemoryPeak:
    """Peak memory while the block runs: Python allocations (tracemalloc)
    and resident set size growth (sampled from /proc every few ms)."""

    def __enter__(self) -> MemoryPeak:
        import tracemalloc

        self._tm = tracemalloc
        self._was_tracing = tracemalloc.is_tracing()
        if not self._was_tracing:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._base_py = tracemalloc.get_traced_memory()[0]
        self._base_rss = _rss()
        self._max_rss = self._base_rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.002):
            self._max_rss = max(self._max_rss, _rss())

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._max_rss = max(self._max_rss, _rss())
        #: bytes: peak Python allocation above the start
        self.py_peak = self._tm.get_traced_memory()[1] - self._base_py
        #: bytes: peak resident set size above the start
        self.rss_growth = self._max_rss - self._base_rss
        if not self._was_tracing:
            self._tm.stop()


#: False in a process running with AddressSanitizer preloaded (.ci/sanitize.sh
#: sets POOL_UNDER_ASAN): its allocator quarantines freed memory, so RSS grows
#: whatever the code does. tracemalloc peaks stay meaningful and are still checked.
RSS_MEASURABLE = not os.environ.get("POOL_UNDER_ASAN")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _echo_forever() -> None:
    """``python tests/hostile.py``: serve, in this process, a keep-alive echo
    (the body is the request target; every 5000th response also closes the
    connection); print the port, stop when stdin closes."""

    count = [0]
    lock = threading.Lock()

    def script(req: Received) -> list:
        with lock:
            count[0] += 1
            n = count[0]
        own = response(req.target.encode())
        if n % 5000 == 0:
            return [response(req.target.encode(), headers=["Connection: close"]), CLOSE]
        return [own]

    srv = HostileServer(script, backlog=128)
    print(srv.port, flush=True)
    try:
        sys.stdin.read()
    finally:
        srv.close()


if __name__ == "__main__":
    _echo_forever()
