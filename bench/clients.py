"""Client adapters and scenarios for the benchmarks.

Every client is wrapped in the same small interface (``get`` a whole body,
``stream`` a body in pieces, ``send`` a request with a body, ``close``) so one
scenario runs unchanged against each of them.  The urllib3-shaped clients
(``pool``, ``pool-py``, ``urllib3``) share one adapter written against
urllib3 2.x's public API; ``raw`` is the floor: the least work a Python
program can do to fetch (or send) the same bytes over HTTP/1.1 (RFC 9112 §6
framing by Content-Length or chunked, nothing else), over TLS an
``ssl``-wrapped socket sending the same prebuilt requests.

Some clients are import-time choices (``pool-py`` needs POOL_NO_EXTENSIONS
before ``pool`` is imported; ``requests-pool`` needs
``pool.install_as_urllib3()`` before ``requests`` is imported), so the harness
loads each client in a fresh process; see ``bench.worker``.

A client name may carry a ``#`` suffix (``pool#2``): the same client under a
second name, measured as if it were another one.  Its difference from the
first is an A/A pair: the noise of the run.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import socket
import ssl
import zlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol
from urllib.parse import urlsplit

#: Every client the harness knows, in table order.
CLIENTS = ("pool", "pool-py", "urllib3", "requests", "requests-pool", "httpx", "pycurl", "raw")

#: Piece size for the streaming scenarios, and of the chunked upload's pieces.
STREAM_PIECE = 64 << 10


def _post_body() -> bytes:
    """A ~1 KiB JSON document, encoded once (the scenarios time the client, not json.dumps)."""
    items = [
        {"id": i, "sku": f"SKU-{i:05d}", "qty": i % 7 + 1, "price": round(3.5 * i + 0.99, 2), "tags": ["bench"]}
        for i in range(15)
    ]
    return json.dumps({"order": 4217, "customer": "bench", "items": items}, separators=(",", ":")).encode()


#: The body of every POST in ``post-small``.
POST_BODY = _post_body()


@dataclass(frozen=True)
class Scenario:
    """One benchmark shape."""

    name: str
    path: str
    unit: str  #: "req/s" (requests per second) or "B/s" (body bytes per second)
    kind: str  #: "get", "stream", "threads", "hosts" or "send" (a request with a body)
    #: "main" (nginx), "tls" (nginx over TLS 1.3), "chunked" or "upload" (the Python server)
    server: str
    doc: str
    #: for kind "send": "json" (POST of POST_BODY), or a PUT of the upload size from
    #: "bytes", an open "file" (Content-Length given), or a "chunked" generator
    body: str = ""
    #: in the set ``python -m bench`` runs without --scenarios
    default: bool = True


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("small", "/small", "req/s", "get", "main", "keep-alive GET, 1 KiB body, ~8 headers"),
        Scenario("h20", "/h20", "req/s", "get", "main", "keep-alive GET, 1 KiB body, 20 headers"),
        Scenario("threads8", "/small", "req/s", "threads", "main", "8 threads sharing one pool of 8"),
        Scenario("big", "/big", "B/s", "get", "main", "64 MiB body read whole"),
        Scenario("big-stream", "/big", "B/s", "stream", "main", "64 MiB body in 64 KiB pieces"),
        Scenario("chunked32k", "/chunked32k", "B/s", "get", "chunked", "64 MiB chunked, 32 KiB chunks"),
        Scenario("chunked100", "/chunked100", "B/s", "get", "chunked", "16 MiB chunked, 100-byte chunks"),
        Scenario("gzip", "/gz", "req/s", "get", "main", "~1 MiB text, gzip-decoded"),
        Scenario("hosts50", "/small", "req/s", "hosts", "main", "round-robin over 50 hosts, one manager"),
        Scenario(
            "small-stream",
            "/small",
            "req/s",
            "stream",
            "main",
            "small, read as requests does: preload_content=False, stream(64 KiB)",
        ),
        Scenario(
            "post-small",
            "/post",
            "req/s",
            "send",
            "main",
            f"keep-alive POST of a {len(POST_BODY)}-byte JSON body, 26-byte JSON answer",
            body="json",
        ),
        Scenario(
            "https-small",
            "/small",
            "req/s",
            "get",
            "tls",
            "small over TLS 1.3 (keep-alive), verified against the run's CA",
        ),
        Scenario("https-big", "/big", "B/s", "get", "tls", "64 MiB over TLS 1.3, read whole"),
        Scenario(
            "https-big-stream",
            "/big",
            "B/s",
            "stream",
            "tls",
            "64 MiB over TLS 1.3 in 64 KiB pieces",
            default=False,
        ),
        Scenario(
            "upload",
            "/upload",
            "B/s",
            "send",
            "upload",
            "PUT 64 MiB from bytes; the server reads it all, then answers",
            body="bytes",
        ),
        Scenario(
            "upload-file",
            "/upload",
            "B/s",
            "send",
            "upload",
            "PUT 64 MiB from an open file (Content-Length given)",
            body="file",
            default=False,
        ),
        Scenario(
            "upload-chunked",
            "/upload",
            "B/s",
            "send",
            "upload",
            "PUT 64 MiB chunked, from a generator of 64 KiB pieces",
            body="chunked",
            default=False,
        ),
    )
}

#: What ``python -m bench`` runs without --scenarios (the rest with --scenarios all).
DEFAULT_SCENARIOS = tuple(name for name, s in SCENARIOS.items() if s.default)

THREADS = 8


class Client(Protocol):
    """What every adapter offers."""

    def get(self, url: str) -> bytes:
        """GET ``url`` and return the whole (decoded) body."""

    def stream(self, url: str, piece: int) -> int:
        """GET ``url``, read the body ``piece`` bytes at a time; return the byte count."""

    def send(self, method: str, url: str, body: Any, headers: dict[str, str], chunked: bool) -> bytes:
        """Send ``body`` (bytes, an open binary file, or an iterable of bytes sent
        chunked when ``chunked``); return the whole answer body."""

    def close(self) -> None:
        """Release every connection."""


@dataclass
class ClientFactory:
    """A loaded client: how to make one, and facts about it."""

    name: str
    make: Callable[..., Client]  #: make(maxsize=1, num_pools=10, ca_certs=None)
    version: str
    thread_safe: bool = True  #: False: one instance per thread
    note: str = ""


class Unavailable(Exception):
    """The client cannot run here (not installed, or missing a needed API)."""


# --------------------------------------------------------------------------- #
# urllib3-shaped clients: urllib3, pool, pool-py


class _Urllib3Like:
    def __init__(self, mod, maxsize: int = 1, num_pools: int = 10, ca_certs: str | None = None) -> None:
        tls = {"ca_certs": ca_certs} if ca_certs else {}
        self._pm = mod.PoolManager(num_pools=num_pools, maxsize=maxsize, **tls)

    def get(self, url: str) -> bytes:
        return self._pm.request("GET", url).data

    def send(self, method: str, url: str, body, headers: dict[str, str], chunked: bool) -> bytes:
        if chunked:
            return self._pm.request(method, url, body=body, headers=headers, chunked=True).data
        return self._pm.request(method, url, body=body, headers=headers).data

    def stream(self, url: str, piece: int) -> int:
        r = self._pm.request("GET", url, preload_content=False)
        n = 0
        for chunk in r.stream(piece):
            n += len(chunk)
        r.release_conn()
        return n

    def close(self) -> None:
        self._pm.clear()


def _load_urllib3_like(name: str) -> ClientFactory:
    modname = "urllib3" if name == "urllib3" else "pool"
    try:
        mod = importlib.import_module(modname)
    except ImportError as exc:
        raise Unavailable(f"import {modname} failed: {exc}") from exc
    if not hasattr(mod, "PoolManager"):
        raise Unavailable(f"{modname} has no PoolManager yet")
    note = ""
    if modname == "pool":
        has_ext = bool(getattr(mod, "HAS_EXTENSIONS", False))
        if name == "pool" and not has_ext:
            note = "compiled core missing: pure-Python twin"
        if name == "pool-py" and has_ext:
            raise Unavailable("POOL_NO_EXTENSIONS was not honoured")
    return ClientFactory(
        name,
        lambda maxsize=1, num_pools=10, ca_certs=None: _Urllib3Like(mod, maxsize, num_pools, ca_certs),
        getattr(mod, "__version__", "?"),
        note=note,
    )


# --------------------------------------------------------------------------- #
# requests (on urllib3, or on pool through install_as_urllib3)


class _Requests:
    def __init__(self, requests, maxsize: int = 1, num_pools: int = 10, ca_certs: str | None = None) -> None:
        self._s = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=num_pools, pool_maxsize=maxsize)
        self._s.mount("http://", adapter)
        self._s.mount("https://", adapter)
        # Per request: a Session.verify would lose to REQUESTS_CA_BUNDLE from the environment.
        self._kw = {"verify": ca_certs} if ca_certs else {}

    def get(self, url: str) -> bytes:
        return self._s.get(url, **self._kw).content

    def send(self, method: str, url: str, body, headers: dict[str, str], chunked: bool) -> bytes:
        # requests sends a generator chunked, and a file with its size as Content-Length.
        return self._s.request(method, url, data=body, headers=headers).content

    def stream(self, url: str, piece: int) -> int:
        n = 0
        with self._s.get(url, stream=True, **self._kw) as r:
            for chunk in r.iter_content(piece):
                n += len(chunk)
        return n

    def close(self) -> None:
        self._s.close()


def _load_requests(name: str) -> ClientFactory:
    note = ""
    if name == "requests-pool":
        try:
            pool = importlib.import_module("pool")
        except ImportError as exc:
            raise Unavailable(f"import pool failed: {exc}") from exc
        if not hasattr(pool, "install_as_urllib3"):
            raise Unavailable("pool has no install_as_urllib3() yet")
        try:
            pool.install_as_urllib3()
        except Exception as exc:  # any failure of a half-built pool is "n/a"
            raise Unavailable(f"pool.install_as_urllib3() failed: {exc!r}") from exc
        if not getattr(pool, "HAS_EXTENSIONS", False):
            note = "compiled core missing: pure-Python twin"
    try:
        requests = importlib.import_module("requests")
        importlib.import_module("requests.adapters")
    except Exception as exc:
        raise Unavailable(f"import requests failed: {exc!r}") from exc
    return ClientFactory(
        name,
        lambda maxsize=1, num_pools=10, ca_certs=None: _Requests(requests, maxsize, num_pools, ca_certs),
        requests.__version__,
        note=note,
    )


# --------------------------------------------------------------------------- #
# httpx


class _Httpx:
    def __init__(self, httpx, maxsize: int = 1, num_pools: int = 10, ca_certs: str | None = None) -> None:
        keep = max(maxsize, num_pools)
        limits = httpx.Limits(max_connections=max(keep, 100), max_keepalive_connections=keep)
        tls = {"verify": ssl.create_default_context(cafile=ca_certs)} if ca_certs else {}
        self._c = httpx.Client(limits=limits, **tls)

    def get(self, url: str) -> bytes:
        return self._c.get(url).content

    def send(self, method: str, url: str, body, headers: dict[str, str], chunked: bool) -> bytes:
        # httpx sends an iterator chunked, and reads a file 64 KiB at a time.
        return self._c.request(method, url, content=body, headers=headers).content

    def stream(self, url: str, piece: int) -> int:
        n = 0
        with self._c.stream("GET", url) as r:
            for chunk in r.iter_bytes(piece):
                n += len(chunk)
        return n

    def close(self) -> None:
        self._c.close()


def _load_httpx(name: str) -> ClientFactory:
    try:
        httpx = importlib.import_module("httpx")
    except ImportError as exc:
        raise Unavailable(f"import httpx failed: {exc}") from exc
    return ClientFactory(
        name,
        lambda maxsize=1, num_pools=10, ca_certs=None: _Httpx(httpx, maxsize, num_pools, ca_certs),
        httpx.__version__,
    )


# --------------------------------------------------------------------------- #
# pycurl: one easy handle, reused (libcurl keeps the connections alive)


class _Pycurl:
    def __init__(self, pycurl, maxsize: int = 1, num_pools: int = 10, ca_certs: str | None = None) -> None:
        self._pycurl = pycurl
        self._base = [
            (pycurl.NOSIGNAL, 1),
            (pycurl.MAXCONNECTS, max(maxsize, num_pools)),
            (pycurl.ACCEPT_ENCODING, ""),  # decode gzip like the others do
            (pycurl.BUFFERSIZE, STREAM_PIECE),
            (pycurl.TCP_NODELAY, 1),
        ]
        if ca_certs:
            self._base.append((pycurl.CAINFO, ca_certs))
        self._c = pycurl.Curl()
        for opt, value in self._base:
            self._c.setopt(opt, value)
        self._shape: tuple = ("GET",)  #: the request shape the handle is set up for

    def _reshape(self, shape: tuple, opts: list) -> None:
        # A new shape starts from a clean handle: curl_easy_reset keeps the
        # live connections, so keep-alive carries over.
        c = self._c
        c.reset()
        for opt, value in self._base + opts:
            c.setopt(opt, value)
        self._shape = shape

    def get(self, url: str) -> bytes:
        if self._shape != ("GET",):
            self._reshape(("GET",), [])
        buf = io.BytesIO()
        c = self._c
        c.setopt(self._pycurl.URL, url)
        c.setopt(self._pycurl.WRITEDATA, buf)
        c.perform()
        return buf.getvalue()

    def stream(self, url: str, piece: int) -> int:
        # libcurl decides the piece size (BUFFERSIZE, set to 64 KiB above).
        if self._shape != ("GET",):
            self._reshape(("GET",), [])
        count = [0]

        def _write(data: bytes) -> None:
            count[0] += len(data)

        c = self._c
        c.setopt(self._pycurl.URL, url)
        c.setopt(self._pycurl.WRITEFUNCTION, _write)
        c.perform()
        return count[0]

    def send(self, method: str, url: str, body, headers: dict[str, str], chunked: bool) -> bytes:
        p, c = self._pycurl, self._c
        # "Expect:" turns off libcurl's Expect: 100-continue (a round trip the
        # other clients do not make); libcurl frames the body itself.
        fields = [f"{k}: {v}" for k, v in headers.items() if k.lower() != "content-length"] + ["Expect:"]
        size = int(headers.get("Content-Length", -1))
        if isinstance(body, (bytes, bytearray)):
            shape: tuple = (method, "bytes", tuple(fields))
            if self._shape != shape:
                opts = [(p.HTTPHEADER, fields)]
                if method != "POST":
                    opts.append((p.CUSTOMREQUEST, method))
                self._reshape(shape, opts)
            c.setopt(p.POSTFIELDSIZE_LARGE, len(body))
            c.setopt(p.POSTFIELDS, body)  # pycurl keeps a reference: no copy
        else:
            if chunked:
                fields.append("Transfer-Encoding: chunked")
            shape = (method, "chunked" if chunked else "file", tuple(fields))
            if self._shape != shape:
                opts = [(p.UPLOAD, 1), (p.HTTPHEADER, fields)]
                if method != "PUT":
                    opts.append((p.CUSTOMREQUEST, method))
                self._reshape(shape, opts)
            if chunked:
                c.setopt(p.READFUNCTION, _reader(body))
            else:
                c.setopt(p.INFILESIZE_LARGE, size)
                c.setopt(p.READFUNCTION, body.read)
        buf = io.BytesIO()
        c.setopt(p.URL, url)
        c.setopt(p.WRITEDATA, buf)
        c.perform()
        return buf.getvalue()

    def close(self) -> None:
        self._c.close()


def _reader(chunks: Iterable[bytes]) -> Callable[[int], bytes]:
    """A libcurl read callback over an iterable of bytes: at most ``size`` bytes a call.

    libcurl 8 asks for at most 65,524 bytes when it frames chunks itself
    (UPLOAD_BUFFERSIZE does not change that), so a 64 KiB piece goes out as
    two chunks, the second 12 bytes long: that is pycurl's cost, measured.
    """
    it = iter(chunks)
    rest = memoryview(b"")

    def read(size: int) -> bytes:
        nonlocal rest
        while not rest:
            piece = next(it, None)
            if piece is None:
                return b""
            if len(piece) <= size:
                return piece
            rest = memoryview(piece)
        out, rest = rest[:size], rest[size:]
        return bytes(out)

    return read


def _load_pycurl(name: str) -> ClientFactory:
    try:
        pycurl = importlib.import_module("pycurl")
    except ImportError as exc:
        raise Unavailable(f"import pycurl failed: {exc}") from exc
    version = pycurl.version.split()[0] if isinstance(pycurl.version, str) else "?"
    return ClientFactory(
        name,
        lambda maxsize=1, num_pools=10, ca_certs=None: _Pycurl(pycurl, maxsize, num_pools, ca_certs),
        version,
        thread_safe=False,
    )


# --------------------------------------------------------------------------- #
# raw: the floor


class _RawConn:
    """One keep-alive connection; reads with recv_into into a reused buffer.

    With an SSL context the socket is wrapped (TLS, certificate and host name
    verified) and everything else stays the same: the same prebuilt requests,
    the same framing.
    """

    _BUF = 256 << 10
    #: Request bodies up to this size go out in one send with their head.
    _ONE_SEND = 64 << 10

    def __init__(self, host: str, port: int, timeout: float | None, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
        self.buf = bytearray(self._BUF)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0
        self.sock: socket.socket | None = None
        self.requests: dict[Any, bytes] = {}
        self.pieces: dict[int, memoryview] = {}

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock
        self.start = self.end = 0
        return sock

    def _fill(self) -> None:
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end == len(self.buf):
            n = self.end - self.start
            if self.start == 0:
                raise ValueError("raw client: response head larger than its buffer")
            self.buf[:n] = self.buf[self.start : self.end]
            self.start, self.end = 0, n
        got = self.sock.recv_into(self.mv[self.end :])  # type: ignore[union-attr]
        if not got:
            raise ConnectionError("raw client: server closed the connection")
        self.end += got

    def _head(self, target: str) -> tuple[int, bool, bool]:
        """Send the request; parse the head; return (content_length, chunked, gzip)."""
        sock = self.sock or self._connect()
        req = self.requests.get(target)
        if req is None:
            req = self.requests[target] = f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        sock.sendall(req)
        return self._response_head()

    def _response_head(self) -> tuple[int, bool, bool]:
        """Parse the next response head; return (content_length, chunked, gzip)."""
        buf = self.buf
        while True:
            i = buf.find(b"\r\n\r\n", self.start, self.end)
            if i >= 0:
                break
            self._fill()
        head = bytes(buf[self.start : i + 2]).lower()
        self.start = i + 4
        if not head.startswith(b"http/1.1 200"):
            raise ValueError(f"raw client: unexpected status line {head[:40]!r}")
        j = head.find(b"\r\ncontent-length:")
        length = int(head[j + 17 : head.find(b"\r\n", j + 2)]) if j >= 0 else -1
        chunked = length < 0 and b"\r\ntransfer-encoding: chunked" in head
        if length < 0 and not chunked:
            raise ValueError("raw client: response without Content-Length or chunked framing")
        return length, chunked, b"\r\ncontent-encoding: gzip" in head

    def _body_into(self, out: memoryview) -> None:
        # Leftover bytes in our buffer first, then straight into ``out``.
        n = len(out)
        have = min(self.end - self.start, n)
        out[:have] = self.mv[self.start : self.start + have]
        self.start += have
        pos = have
        recv_into = self.sock.recv_into  # type: ignore[union-attr]
        while pos < n:
            got = recv_into(out[pos:])
            if not got:
                raise ConnectionError("raw client: body cut short")
            pos += got

    def _chunked(self, sink: Callable[[memoryview], object]) -> None:
        # Fast path: a whole chunk (size line, data, CRLF) already buffered
        # costs one find, one int() and one sink call.
        buf, mv, find = self.buf, self.mv, self.buf.find
        start, end = self.start, self.end
        while True:
            i = find(b"\r\n", start, end)
            if i < 0:
                self.start, self.end = start, end
                self._fill()
                start, end = self.start, self.end
                continue
            line = buf[start:i]
            try:
                size = int(line, 16)
            except ValueError:  # a chunk extension
                size = int(bytes(line).split(b";", 1)[0], 16)
            data_end = i + 2 + size
            if data_end + 2 <= end:
                if size == 0:
                    self.start = data_end + 2  # no trailers from our server
                    return
                sink(mv[i + 2 : data_end])
                start = data_end + 2
                continue
            # Slow path: the chunk runs past what is buffered.
            self.start, self.end = i + 2, end
            last = size == 0
            while size:
                if self.start == self.end:
                    self._fill()
                take = min(size, self.end - self.start)
                sink(mv[self.start : self.start + take])
                self.start += take
                size -= take
            while self.end - self.start < 2:
                self._fill()
            if last:
                self.start += 2
                return
            start, end = self.start + 2, self.end

    def get(self, target: str) -> bytes | bytearray:
        return self._body(*self._head(target))

    def _body(self, length: int, chunked: bool, gz: bool) -> bytes | bytearray:
        if chunked:
            out = bytearray()
            self._chunked(out.extend)
            body: bytes | bytearray = out
        elif length <= self.end - self.start:  # the common small case: one copy
            body = bytes(self.mv[self.start : self.start + length])
            self.start += length
        else:
            body = bytearray(length)
            self._body_into(memoryview(body))
        if gz:
            body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        return body

    def stream(self, target: str, piece: int) -> int:
        length, chunked, _gz = self._head(target)
        if chunked:
            count = [0]
            self._chunked(lambda m: count.__setitem__(0, count[0] + len(m)))
            return count[0]
        piece_buf = self.pieces.get(piece)
        if piece_buf is None:  # one buffer per piece size, reused: small bodies cost no allocation
            piece_buf = self.pieces[piece] = memoryview(bytearray(piece))
        left = length
        while left:
            take = min(piece, left)
            self._body_into(piece_buf[:take])
            left -= take
        return length

    def _request_head(self, method: str, target: str, headers: dict[str, str], length: int, chunked: bool) -> bytes:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif not any(k.lower() == "content-length" for k in headers):
            lines.append(f"Content-Length: {length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, method: str, target: str, body, headers: dict[str, str], chunked: bool) -> bytes | bytearray:
        sock = self.sock or self._connect()
        if type(body) is bytes and len(body) <= self._ONE_SEND:
            # Small bodies: the whole request prebuilt once (bytes cache their hash).
            key = (method, target, body)
            req = self.requests.get(key)
            if req is None:
                req = self.requests[key] = self._request_head(method, target, headers, len(body), False) + body
            sock.sendall(req)
        else:
            key = (method, target, chunked, tuple(headers.items()))
            head = self.requests.get(key)
            if head is None:
                length = len(body) if isinstance(body, (bytes, bytearray, memoryview)) else -1
                head = self.requests[key] = self._request_head(method, target, headers, length, chunked)
            sock.sendall(head)
            if chunked:
                self._send_chunked(sock, body)
            elif isinstance(body, (bytes, bytearray, memoryview)):
                sock.sendall(body)
            else:
                sock.sendfile(body)  # a file: the kernel copies it (over TLS, a send loop)
        return self._body(*self._response_head())

    @staticmethod
    def _send_chunked(sock: socket.socket, pieces: Iterable[bytes]) -> None:
        # One sendmsg per chunk: size line, data and CRLF without joining them.
        if isinstance(sock, ssl.SSLSocket):  # no sendmsg over TLS
            for piece in pieces:
                if piece:
                    sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
        else:
            sendmsg = sock.sendmsg
            for piece in pieces:
                n = len(piece)
                if not n:
                    continue
                parts = (b"%x\r\n" % n, piece, b"\r\n")
                sent = sendmsg(parts)
                if sent < n + len(parts[0]) + 2:  # a short send: finish it the slow way
                    sock.sendall(b"".join(parts)[sent:])
        sock.sendall(b"0\r\n\r\n")

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Raw:
    def __init__(
        self, maxsize: int = 1, num_pools: int = 10, timeout: float | None = None, ca_certs: str | None = None
    ) -> None:
        self._conns: dict[tuple[str, str, int], _RawConn] = {}
        self._targets: dict[str, tuple[_RawConn, str]] = {}
        self._timeout = timeout if timeout is not None else socket.getdefaulttimeout()
        self._tls = ssl.create_default_context(cafile=ca_certs) if ca_certs else None

    def _conn(self, url: str) -> tuple[_RawConn, str]:
        hit = self._targets.get(url)
        if hit is None:
            parts = urlsplit(url)
            https = parts.scheme == "https"
            key = (parts.scheme, parts.hostname or "", parts.port or (443 if https else 80))
            conn = self._conns.get(key)
            if conn is None:
                tls = None
                if https:
                    tls = self._tls or ssl.create_default_context()
                conn = self._conns[key] = _RawConn(key[1], key[2], self._timeout, tls)
            hit = self._targets[url] = (conn, parts.path or "/")
        return hit

    def get(self, url: str) -> bytes:
        conn, target = self._conn(url)
        return conn.get(target)  # type: ignore[return-value]

    def stream(self, url: str, piece: int) -> int:
        conn, target = self._conn(url)
        return conn.stream(target, piece)

    def send(self, method: str, url: str, body, headers: dict[str, str], chunked: bool) -> bytes:
        conn, target = self._conn(url)
        return conn.send(method, target, body, headers, chunked)  # type: ignore[return-value]

    def close(self) -> None:
        for c in self._conns.values():
            c.close()


def _load_raw(name: str) -> ClientFactory:
    return ClientFactory(name, _Raw, "stdlib socket", thread_safe=False)


# --------------------------------------------------------------------------- #

_LOADERS = {
    "pool": _load_urllib3_like,
    "pool-py": _load_urllib3_like,
    "urllib3": _load_urllib3_like,
    "requests": _load_requests,
    "requests-pool": _load_requests,
    "httpx": _load_httpx,
    "pycurl": _load_pycurl,
    "raw": _load_raw,
}


def base_client(name: str) -> str:
    """The client behind a name: ``pool#2`` is ``pool`` measured a second time."""
    return name.split("#", 1)[0]


def is_client_name(name: str) -> bool:
    """A known client, or one with a ``#`` suffix (letters and digits) for an A/A pair."""
    base, sep, tag = name.partition("#")
    return base in CLIENTS and (not sep or (tag.isascii() and tag.isalnum()))


def client_env(name: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a worker process for client ``name`` needs."""
    env = dict(os.environ if base is None else base)
    env.pop("POOL_NO_EXTENSIONS", None)
    if base_client(name) == "pool-py":
        env["POOL_NO_EXTENSIONS"] = "1"
    return env


def load(name: str) -> ClientFactory:
    """Import client ``name`` in this process; raise Unavailable when it can't run."""
    if not is_client_name(name):
        raise Unavailable(f"unknown client {name!r}; known: {', '.join(CLIENTS)} (and NAME#2 for a twin)")
    base = base_client(name)
    try:
        factory = _LOADERS[base](base)
    except Unavailable:
        raise
    except Exception as exc:  # a half-built package must read as n/a, not crash the run
        raise Unavailable(f"loading {name} failed: {exc!r}") from exc
    factory.name = name
    return factory


# --------------------------------------------------------------------------- #
# One unit of work per scenario


def scenario_urls(scenario: Scenario, servers) -> list[str]:
    """The URLs a scenario cycles through."""
    if scenario.kind == "hosts":
        return [h + scenario.path for h in servers.hosts]
    base = {
        "main": servers.main,
        "tls": servers.tls,
        "chunked": servers.chunked,
        "upload": servers.upload or servers.chunked,
    }[scenario.server]
    return [base + scenario.path]


def upload_pieces(size: int, piece: int = STREAM_PIECE) -> Iterator[bytes]:
    """``size`` bytes as a generator of ``piece``-byte pieces (the chunked upload's body)."""
    full, rest = divmod(size, piece)
    data = b"u" * piece
    for _ in range(full):
        yield data
    if rest:
        yield data[:rest]


class Job:
    """A prepared scenario: ``op()`` does one request/download/upload, returns its units.

    Units are 1 per request for req/s scenarios, body bytes (received, or sent
    for uploads) for B/s ones.  Every answer is checked against the size the
    server is known to send, so a client that returns wrong data fails loudly
    instead of looking fast.  A scenario this run or client cannot do raises
    Unavailable (reported as n/a).
    """

    def __init__(self, factory: ClientFactory, scenario: Scenario, servers, client: Client | None = None):
        self.scenario = scenario
        if scenario.server == "tls" and not servers.tls:
            raise Unavailable(servers.tls_missing or "this run has no HTTPS server")
        self.urls = scenario_urls(scenario, servers)
        self.expected = servers.sizes[scenario.path]
        self.upload_size = servers.upload_size
        self.upload_file = servers.upload_file
        if client is None:
            tls = {"ca_certs": servers.ca_file} if scenario.server == "tls" else {}
            if scenario.kind == "hosts":
                client = factory.make(maxsize=1, num_pools=len(self.urls))
            elif scenario.kind == "threads":
                client = factory.make(maxsize=THREADS)
            else:
                client = factory.make(**tls)
        if scenario.kind == "send" and not hasattr(client, "send"):
            client.close()
            raise Unavailable(f"{factory.name} cannot send a request body")
        self.client = client
        self._i = 0
        self.op = self._build()

    def _build(self) -> Callable[[], int]:
        client, expected, unit_bytes = self.client, self.expected, self.scenario.unit == "B/s"
        if self.scenario.kind == "stream":
            url = self.urls[0]

            def op() -> int:
                n = client.stream(url, STREAM_PIECE)
                if n != expected:
                    raise ValueError(f"streamed {n} bytes, expected {expected}")
                return n if unit_bytes else 1

            return op
        if self.scenario.kind == "send":
            return self._build_send()
        if self.scenario.kind == "hosts":
            urls, count = self.urls, len(self.urls)

            def op() -> int:
                i = self._i
                self._i = (i + 1) % count
                n = len(client.get(urls[i]))
                if n != expected:
                    raise ValueError(f"got {n} bytes, expected {expected}")
                return 1

            return op
        url = self.urls[0]

        def op() -> int:
            n = len(client.get(url))
            if n != expected:
                raise ValueError(f"got {n} bytes, expected {expected}")
            return n if unit_bytes else 1

        return op

    def _build_send(self) -> Callable[[], int]:
        client, expected, url = self.client, self.expected, self.urls[0]
        body, size = self.scenario.body, self.upload_size
        units = size if self.scenario.unit == "B/s" else 1
        octets = {"Content-Type": "application/octet-stream"}

        def check(answer: bytes) -> int:
            if len(answer) != expected:
                raise ValueError(f"answer of {len(answer)} bytes, expected {expected}")
            return units

        if body == "json":
            json_type = {"Content-Type": "application/json"}
            return lambda: check(client.send("POST", url, POST_BODY, json_type, False))
        if body == "bytes":
            data = b"u" * size
            return lambda: check(client.send("PUT", url, data, octets, False))
        if body == "file":
            path, sized = self.upload_file, {**octets, "Content-Length": str(size)}

            def op() -> int:
                with open(path, "rb") as f:
                    return check(client.send("PUT", url, f, sized, False))

            return op
        if body == "chunked":
            return lambda: check(client.send("PUT", url, upload_pieces(size), octets, True))
        raise ValueError(f"unknown request body kind {body!r}")

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()
