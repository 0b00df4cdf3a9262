"""Client adapters and scenarios for the benchmarks.

Every client is wrapped in the same small interface (``get`` a whole body,
``stream`` a body in pieces, ``close``) so one scenario runs unchanged against
each of them.  The urllib3-shaped clients (``pool``, ``pool-py``, ``urllib3``)
share one adapter written against urllib3 2.x's public API; ``raw`` is the
floor: the least work a Python program can do to fetch the same bytes over
HTTP/1.1 (RFC 9112 §6 framing by Content-Length or chunked, nothing else).

Some clients are import-time choices (``pool-py`` needs POOL_NO_EXTENSIONS
before ``pool`` is imported; ``requests-pool`` needs
``pool.install_as_urllib3()`` before ``requests`` is imported), so the harness
loads each client in a fresh process; see ``bench.worker``.
"""

from __future__ import annotations

import importlib
import io
import os
import socket
import zlib
from dataclasses import dataclass
from typing import Callable, Protocol
from urllib.parse import urlsplit

#: Every client the harness knows, in table order.
CLIENTS = ("pool", "pool-py", "urllib3", "requests", "requests-pool", "httpx", "pycurl", "raw")

#: Piece size for the streaming scenario.
STREAM_PIECE = 64 << 10


@dataclass(frozen=True)
class Scenario:
    """One benchmark shape."""

    name: str
    path: str
    unit: str  #: "req/s" (requests per second) or "B/s" (body bytes per second)
    kind: str  #: "get", "stream", "threads" or "hosts"
    server: str  #: "main" (nginx) or "chunked" (the Python chunked server)
    doc: str


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
    )
}

THREADS = 8


class Client(Protocol):
    """What every adapter offers."""

    def get(self, url: str) -> bytes:
        """GET ``url`` and return the whole (decoded) body."""

    def stream(self, url: str, piece: int) -> int:
        """GET ``url``, read the body ``piece`` bytes at a time; return the byte count."""

    def close(self) -> None:
        """Release every connection."""


@dataclass
class ClientFactory:
    """A loaded client: how to make one, and facts about it."""

    name: str
    make: Callable[..., Client]  #: make(maxsize=1, num_pools=10)
    version: str
    thread_safe: bool = True  #: False: one instance per thread
    note: str = ""


class Unavailable(Exception):
    """The client cannot run here (not installed, or missing a needed API)."""


# --------------------------------------------------------------------------- #
# urllib3-shaped clients: urllib3, pool, pool-py


class _Urllib3Like:
    def __init__(self, mod, maxsize: int = 1, num_pools: int = 10) -> None:
        self._pm = mod.PoolManager(num_pools=num_pools, maxsize=maxsize)

    def get(self, url: str) -> bytes:
        return self._pm.request("GET", url).data

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
        lambda maxsize=1, num_pools=10: _Urllib3Like(mod, maxsize, num_pools),
        getattr(mod, "__version__", "?"),
        note=note,
    )


# --------------------------------------------------------------------------- #
# requests (on urllib3, or on pool through install_as_urllib3)


class _Requests:
    def __init__(self, requests, maxsize: int = 1, num_pools: int = 10) -> None:
        self._s = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=num_pools, pool_maxsize=maxsize)
        self._s.mount("http://", adapter)

    def get(self, url: str) -> bytes:
        return self._s.get(url).content

    def stream(self, url: str, piece: int) -> int:
        n = 0
        with self._s.get(url, stream=True) as r:
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
        lambda maxsize=1, num_pools=10: _Requests(requests, maxsize, num_pools),
        requests.__version__,
        note=note,
    )


# --------------------------------------------------------------------------- #
# httpx


class _Httpx:
    def __init__(self, httpx, maxsize: int = 1, num_pools: int = 10) -> None:
        keep = max(maxsize, num_pools)
        limits = httpx.Limits(max_connections=max(keep, 100), max_keepalive_connections=keep)
        self._c = httpx.Client(limits=limits)

    def get(self, url: str) -> bytes:
        return self._c.get(url).content

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
        name, lambda maxsize=1, num_pools=10: _Httpx(httpx, maxsize, num_pools), httpx.__version__
    )


# --------------------------------------------------------------------------- #
# pycurl: one easy handle, reused (libcurl keeps the connections alive)


class _Pycurl:
    def __init__(self, pycurl, maxsize: int = 1, num_pools: int = 10) -> None:
        self._pycurl = pycurl
        c = self._c = pycurl.Curl()
        c.setopt(pycurl.NOSIGNAL, 1)
        c.setopt(pycurl.MAXCONNECTS, max(maxsize, num_pools))
        c.setopt(pycurl.ACCEPT_ENCODING, "")  # decode gzip like the others do
        c.setopt(pycurl.BUFFERSIZE, STREAM_PIECE)
        c.setopt(pycurl.TCP_NODELAY, 1)

    def get(self, url: str) -> bytes:
        buf = io.BytesIO()
        c = self._c
        c.setopt(self._pycurl.URL, url)
        c.setopt(self._pycurl.WRITEDATA, buf)
        c.perform()
        return buf.getvalue()

    def stream(self, url: str, piece: int) -> int:
        # libcurl decides the piece size (BUFFERSIZE, set to 64 KiB above).
        count = [0]

        def _write(data: bytes) -> None:
            count[0] += len(data)

        c = self._c
        c.setopt(self._pycurl.URL, url)
        c.setopt(self._pycurl.WRITEFUNCTION, _write)
        c.perform()
        return count[0]

    def close(self) -> None:
        self._c.close()


def _load_pycurl(name: str) -> ClientFactory:
    try:
        pycurl = importlib.import_module("pycurl")
    except ImportError as exc:
        raise Unavailable(f"import pycurl failed: {exc}") from exc
    version = pycurl.version.split()[0] if isinstance(pycurl.version, str) else "?"
    return ClientFactory(
        name,
        lambda maxsize=1, num_pools=10: _Pycurl(pycurl, maxsize, num_pools),
        version,
        thread_safe=False,
    )


# --------------------------------------------------------------------------- #
# raw: the floor


class _RawConn:
    """One keep-alive connection; reads with recv_into into a reused buffer."""

    _BUF = 256 << 10

    def __init__(self, host: str, port: int, timeout: float | None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.buf = bytearray(self._BUF)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0
        self.sock: socket.socket | None = None
        self.requests: dict[str, bytes] = {}

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
            req = self.requests[target] = (
                f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
            )
        sock.sendall(req)
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
        length, chunked, gz = self._head(target)
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
        piece_buf = memoryview(bytearray(piece))
        left = length
        while left:
            take = min(piece, left)
            self._body_into(piece_buf[:take])
            left -= take
        return length

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class _Raw:
    def __init__(self, maxsize: int = 1, num_pools: int = 10, timeout: float | None = None) -> None:
        self._conns: dict[tuple[str, int], _RawConn] = {}
        self._targets: dict[str, tuple[_RawConn, str]] = {}
        self._timeout = timeout if timeout is not None else socket.getdefaulttimeout()

    def _conn(self, url: str) -> tuple[_RawConn, str]:
        hit = self._targets.get(url)
        if hit is None:
            parts = urlsplit(url)
            key = (parts.hostname or "", parts.port or 80)
            conn = self._conns.get(key)
            if conn is None:
                conn = self._conns[key] = _RawConn(key[0], key[1], self._timeout)
            hit = self._targets[url] = (conn, parts.path or "/")
        return hit

    def get(self, url: str) -> bytes:
        conn, target = self._conn(url)
        return conn.get(target)  # type: ignore[return-value]

    def stream(self, url: str, piece: int) -> int:
        conn, target = self._conn(url)
        return conn.stream(target, piece)

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


def client_env(name: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a worker process for client ``name`` needs."""
    env = dict(os.environ if base is None else base)
    env.pop("POOL_NO_EXTENSIONS", None)
    if name == "pool-py":
        env["POOL_NO_EXTENSIONS"] = "1"
    return env


def load(name: str) -> ClientFactory:
    """Import client ``name`` in this process; raise Unavailable when it can't run."""
    try:
        loader = _LOADERS[name]
    except KeyError:
        raise Unavailable(f"unknown client {name!r}; known: {', '.join(CLIENTS)}") from None
    try:
        return loader(name)
    except Unavailable:
        raise
    except Exception as exc:  # a half-built package must read as n/a, not crash the run
        raise Unavailable(f"loading {name} failed: {exc!r}") from exc


# --------------------------------------------------------------------------- #
# One unit of work per scenario


def scenario_urls(scenario: Scenario, servers) -> list[str]:
    """The URLs a scenario cycles through."""
    if scenario.kind == "hosts":
        return [h + scenario.path for h in servers.hosts]
    base = servers.chunked if scenario.server == "chunked" else servers.main
    return [base + scenario.path]


class Job:
    """A prepared scenario: ``op()`` does one request/download, returns its units.

    Units are 1 per request for req/s scenarios, body bytes for B/s ones.
    Every body is checked against the size the server is known to send, so a
    client that returns wrong data fails loudly instead of looking fast.
    """

    def __init__(self, factory: ClientFactory, scenario: Scenario, servers, client: Client | None = None):
        self.scenario = scenario
        self.urls = scenario_urls(scenario, servers)
        self.expected = servers.sizes[scenario.path]
        if client is None:
            if scenario.kind == "hosts":
                client = factory.make(maxsize=1, num_pools=len(self.urls))
            elif scenario.kind == "threads":
                client = factory.make(maxsize=THREADS)
            else:
                client = factory.make()
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
                return n

            return op
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

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()
