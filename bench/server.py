"""Local HTTP/1.1 servers for the benchmarks: nginx for static bodies (over
plain HTTP and over TLS 1.3), plus a small threaded Python server for chunked
bodies (RFC 9112 §7.1) and for uploads.

``start_servers()`` is a context manager that starts both, waits until they
accept connections, and stops them on exit (also on Ctrl-C, on an exception,
and through ``atexit``; children also get a parent-death signal on Linux, so a
killed harness leaves no server behind).  Everything listens on loopback only.

nginx serves, from files generated in a temporary directory:

* ``/small``  1 KiB, nginx's default header set (about 8 fields)
* ``/h20``    1 KiB with extra ``add_header`` lines: 20 header fields
* ``/big``    64 MiB
* ``/gz``     about 1 MiB of text, gzip-compressed ahead of time and served
  with ``Content-Encoding: gzip``, so the server does no compression work
* ``/post``   a small JSON answer to a POST (the ~1 KiB request body is read
  and dropped)

on ``127.0.0.1:PORT`` and on ``127.0.0.2`` … ``127.0.0.51`` at the same port
(the 50-hosts scenario), and the same files over TLS 1.3 only on
``127.0.0.1:TLS_PORT``, with a CA and server certificate made at start-up
(trustme, or the openssl command when trustme is not installed); clients
verify against that CA (``Servers.ca_file``).

The Python server answers ``/chunked32k`` (64 MiB in 32 KiB chunks) and
``/chunked100`` (16 MiB in 100-byte chunks) from responses built once in
memory, and takes uploads at ``/upload``: it reads the whole request body
(Content-Length or chunked) into one reused buffer and only then sends a small
JSON answer.  nginx cannot do both of those cheaply: a location that answers
with ``return`` discards the body *after* answering (so an upload looks done
while megabytes are still in flight), and one that reads the body first
(``mirror_request_body``) copies it into memory or a temporary file, which
caps uploads at about a third of what a client can send.

When nginx is missing, the Python server serves every path (TLS included) and
the caller gets a warning saying the numbers are server-bound.

Run as ``python -m bench.server --serve ...`` this module is that Python
server (used as a subprocess so it can be pinned to a CPU).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import gzip
import json
import os
import random
import select
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

# Sizes of the full run; ``small_bodies=True`` (smoke runs, quick tests)
# shrinks the large ones so a run takes seconds.
FULL_SIZES = {"big": 64 << 20, "chunked32k": 64 << 20, "chunked100": 16 << 20}
SMALL_SIZES = {"big": 1 << 20, "chunked32k": 1 << 20, "chunked100": 64 << 10}
FULL_SIZES["upload"] = 64 << 20
SMALL_SIZES["upload"] = 1 << 20
SMALL_BODY = 1024
GZ_TEXT_SIZE = 1 << 20
#: What /post and /upload answer (a small JSON document).
ANSWER = b'{"status":"ok","id":12345}'

#: 127.0.0.2 … 127.0.0.51: the 50-hosts scenario.
HOST_COUNT = 50
# Extra headers for /h20: nginx's own 8 (Server, Date, Content-Type,
# Content-Length, Last-Modified, Connection, ETag, Accept-Ranges) + 12 = 20.
_EXTRA_HEADERS = [(f"X-Bench-{i:02d}", f"value-{i:02d}-abcdefghijklmnop") for i in range(12)]

# Bounds on waiting for a server: long enough for a loaded machine, short
# enough that a broken server fails the run quickly.
_READY_TIMEOUT = 15.0
_STOP_TIMEOUT = 5.0
_APT_TIMEOUT = 300


@dataclass
class Servers:
    """Where the running servers listen, and how they were set up."""

    kind: str  #: "nginx" or "python"
    main: str  #: base URL of the static server, e.g. http://127.0.0.1:PORT
    chunked: str  #: base URL of the chunked server (the Python one)
    hosts: list[str]  #: base URLs on 127.0.0.2 … 127.0.0.51, same port as main
    sizes: dict[str, int]  #: decoded body size per path, for checking replies
    pinning: str  #: e.g. "taskset -c 0" or why there is no pinning
    cpu: int | None  #: the CPU servers and clients are pinned to, or None
    server_version: str = ""
    warnings: list[str] = field(default_factory=list)
    #: base URL of the static server over TLS 1.3 (https://127.0.0.1:PORT), or ""
    tls: str = ""
    #: the CA certificate (PEM) that signed the TLS server's certificate
    ca_file: str = ""
    #: why there is no TLS server, when ``tls`` is ""
    tls_missing: str = ""
    #: base URL that takes uploads (``/upload``): the Python server
    upload: str = ""
    #: bytes per upload, and a file of that many bytes to upload from
    upload_size: int = 0
    upload_file: str = ""

    def to_json(self) -> str:
        """The fields as one JSON object (passed to worker processes)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "Servers":
        """Inverse of :meth:`to_json`."""
        return cls(**json.loads(text))

    def pin_prefix(self) -> list[str]:
        """Command prefix that pins a process to the servers' CPU (or [])."""
        return _pin_prefix(self.cpu)


# --------------------------------------------------------------------------- #
# Bodies


def _gz_text() -> bytes:
    """About 1 MiB of word-like text: compresses the way real text does."""
    rng = random.Random(1234)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(2000)]
    out: list[str] = []
    size = 0
    while size < GZ_TEXT_SIZE:
        line = " ".join(rng.choice(words) for _ in range(12)) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:GZ_TEXT_SIZE]


def _chunked_body(total: int, chunk: int) -> bytes:
    """A complete chunked body of ``total`` data bytes in ``chunk``-byte pieces."""
    full, rest = divmod(total, chunk)
    piece = b"%x\r\n" % chunk + b"c" * chunk + b"\r\n"
    tail = (b"%x\r\n" % rest + b"c" * rest + b"\r\n") if rest else b""
    return piece * full + tail + b"0\r\n\r\n"


def _head(status: str, fields: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _static_fields(length: int, ctype: str = "application/octet-stream") -> list[tuple[str, str]]:
    # Mirrors nginx's default set for a static file, so /small costs clients
    # the same header work from either server.
    return [
        ("Server", "bench"),
        ("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
        ("Content-Type", ctype),
        ("Content-Length", str(length)),
        ("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT"),
        ("Connection", "keep-alive"),
        ("ETag", '"6553f1a5-400"'),
        ("Accept-Ranges", "bytes"),
    ]


def _python_responses(all_paths: bool, sizes: dict[str, int]) -> dict[bytes, bytes]:
    """Every response the Python server sends, built once."""
    chunked_fields = [
        ("Server", "bench"),
        ("Content-Type", "application/octet-stream"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "keep-alive"),
    ]
    answer = _head("200 OK", _answer_fields()) + ANSWER
    resp = {
        b"/chunked32k": _head("200 OK", chunked_fields) + _chunked_body(sizes["chunked32k"], 32 << 10),
        b"/chunked100": _head("200 OK", chunked_fields) + _chunked_body(sizes["chunked100"], 100),
        b"/upload": answer,
    }
    if all_paths:
        small = b"s" * SMALL_BODY
        gz = gzip.compress(_gz_text(), compresslevel=6, mtime=0)
        resp[b"/small"] = _head("200 OK", _static_fields(len(small))) + small
        resp[b"/h20"] = _head("200 OK", _static_fields(len(small)) + _EXTRA_HEADERS) + small
        resp[b"/big"] = _head("200 OK", _static_fields(sizes["big"])) + bytes(sizes["big"])
        resp[b"/gz"] = _head("200 OK", _static_fields(len(gz), "text/plain") + [("Content-Encoding", "gzip")]) + gz
        resp[b"/post"] = answer
    return resp


def _answer_fields() -> list[tuple[str, str]]:
    # What nginx sends with ``return 200 '...'`` and default_type application/json.
    return [
        ("Server", "bench"),
        ("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(ANSWER))),
        ("Connection", "keep-alive"),
    ]


# --------------------------------------------------------------------------- #
# The Python server (runs in its own process: python -m bench.server --serve)

_NOT_FOUND = _head("404 Not Found", [("Content-Length", "0"), ("Connection", "keep-alive")])
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_REQUEST = _head("400 Bad Request", [("Content-Length", "0"), ("Connection", "close")])
_MAX_REQUEST_HEAD = 16 << 10
_MAX_CHUNK_LINE = 4 << 10
# One receive buffer per connection, reused for every request head and body:
# an upload costs the server one copy out of the kernel and nothing else.
_RECV_BUFFER = 1 << 20
# An idle connection checks for shutdown this often; a send may wait much
# longer, because a slow client takes seconds to drain 64 MiB.
_IDLE_POLL = 1.0
_SEND_TIMEOUT = 120.0


class _Closed(Exception):
    """The peer closed the connection, or the server is stopping."""


class _BadRequest(Exception):
    """A request the server will not parse (answered with 400, then closed)."""


class _Connection:
    """One keep-alive connection: request heads and bodies through one buffer."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop
        self.buf = bytearray(_RECV_BUFFER)
        self.mv = memoryview(self.buf)
        self.start = self.end = 0

    def _recv_into(self, view: memoryview) -> int:
        while True:
            if self.stop.is_set():
                raise _Closed
            try:
                got = self.sock.recv_into(view)
            except socket.timeout:
                continue
            if not got:
                raise _Closed
            return got

    def _fill(self) -> None:
        """Read more bytes after ``end`` (moving unread bytes to the front first)."""
        if self.start == self.end:
            self.start = self.end = 0
        elif self.end == len(self.buf):
            if self.start == 0:
                raise _BadRequest("request line, head or chunk size line too long")
            n = self.end - self.start
            self.buf[:n] = self.buf[self.start : self.end]
            self.start, self.end = 0, n
        self.end += self._recv_into(self.mv[self.end :])

    def head(self) -> bytes:
        """The next request head, without its final CRLF CRLF."""
        while True:
            i = self.buf.find(b"\r\n\r\n", self.start, self.end)
            if i >= 0:
                head = bytes(self.buf[self.start : i])
                self.start = i + 4
                return head
            if self.end - self.start > _MAX_REQUEST_HEAD:
                raise _BadRequest("request head too long")
            self._fill()

    def skip(self, n: int) -> None:
        """Read and drop ``n`` body bytes."""
        have = min(n, self.end - self.start)
        self.start += have
        n -= have
        if n:
            self.start = self.end = 0  # everything buffered was consumed
        while n:
            n -= self._recv_into(self.mv[: min(n, len(self.buf))])

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n", self.start, self.end)
            if i >= 0:
                line = bytes(self.buf[self.start : i])
                self.start = i + 2
                return line
            if self.end - self.start > _MAX_CHUNK_LINE:
                raise _BadRequest("chunk size line too long")
            self._fill()

    def skip_chunked(self) -> int:
        """Read and drop a chunked body (RFC 9112 §7.1), trailers included; its data size."""
        total = 0
        while True:
            line = self._line().split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise _BadRequest(f"bad chunk size {line[:20]!r}") from None
            if size == 0:
                while self._line():  # trailer fields, up to the empty line
                    pass
                return total
            self.skip(size)
            total += size
            if self._line():
                raise _BadRequest("chunk data not followed by CRLF")


def _body_framing(head_lower: bytes) -> tuple[bool, int]:
    """(chunked, content_length) of a request from its lower-cased head (RFC 9112 §6.3)."""
    chunked, length = False, 0
    for line in head_lower.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip()
        if name == b"transfer-encoding":
            if value.strip().rsplit(b",", 1)[-1].strip() != b"chunked":
                raise _BadRequest("a request body's transfer coding must end with chunked")
            chunked = True
        elif name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise _BadRequest("bad Content-Length") from None
    return chunked, length


def _serve_connection(
    conn: socket.socket,
    responses: dict[bytes, bytes],
    stop: threading.Event,
    tls: ssl.SSLContext | None = None,
) -> None:
    # Keep-alive loop.  A request body (a POST or an upload) is read to its
    # last byte before the answer goes out, so an upload is timed whole.  The
    # recv timeout lets an idle connection notice shutdown.
    try:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            conn.settimeout(_SEND_TIMEOUT)
            conn = tls.wrap_socket(conn, server_side=True)
        conn.settimeout(_IDLE_POLL)
        c = _Connection(conn, stop)
        while True:
            head = c.head()
            lower = head.lower()
            line_end = head.find(b"\r\n")
            request_line = head if line_end < 0 else head[:line_end]
            parts = request_line.split(b" ")
            path = parts[1].split(b"?", 1)[0] if len(parts) == 3 else b""
            chunked, length = _body_framing(lower)
            if (chunked or length) and b"\r\nexpect: 100-continue" in lower:
                conn.sendall(_CONTINUE)  # RFC 9110 §10.1.1
            if chunked:
                c.skip_chunked()
            elif length:
                c.skip(length)
            conn.settimeout(_SEND_TIMEOUT)
            conn.sendall(responses.get(path, _NOT_FOUND))
            conn.settimeout(_IDLE_POLL)
            if b"\r\nconnection: close" in lower:
                return
    except _BadRequest:
        with contextlib.suppress(OSError):
            conn.sendall(_BAD_REQUEST)
    except (_Closed, OSError, ValueError):
        return
    finally:
        conn.close()


def _bind_all(addresses: list[str], port: int) -> list[socket.socket]:
    socks = []
    try:
        for addr in addresses:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            port = s.getsockname()[1]
            s.listen(128)
            socks.append(s)
    except OSError:
        for s in socks:
            s.close()
        raise
    return socks


def _server_tls_context(cert: str, key: str) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    return ctx


def _serve(all_paths: bool, small_bodies: bool, max_seconds: float, tls_cert: str = "", tls_key: str = "") -> None:
    sizes = SMALL_SIZES if small_bodies else FULL_SIZES
    responses = _python_responses(all_paths, sizes)
    addresses = ["127.0.0.1"]
    if all_paths:
        addresses += [f"127.0.0.{i}" for i in range(2, 2 + HOST_COUNT)]
    socks: list[socket.socket] = []
    for _attempt in range(10):
        try:
            socks = _bind_all(addresses, 0)
            break
        except OSError:
            continue
    if not socks:
        raise OSError("could not bind the Python benchmark server on loopback")
    tls_ctx = _server_tls_context(tls_cert, tls_key) if tls_cert else None
    tls_sock = _bind_all(["127.0.0.1"], 0)[0] if tls_ctx is not None else None
    stop = threading.Event()

    def _watch_parent() -> None:
        # stdin is a pipe from the parent: EOF means the parent is gone.
        try:
            sys.stdin.buffer.read()
        finally:
            stop.set()

    threading.Thread(target=_watch_parent, daemon=True).start()
    sel = selectors.DefaultSelector()
    for s in socks + ([tls_sock] if tls_sock is not None else []):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    ready = {"port": socks[0].getsockname()[1]}
    if tls_sock is not None:
        ready["tls_port"] = tls_sock.getsockname()[1]
    print(json.dumps(ready), flush=True)
    deadline = time.monotonic() + max_seconds
    while not stop.is_set() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            try:
                conn, _addr = key.fileobj.accept()  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            conn.setblocking(True)
            ctx = tls_ctx if key.fileobj is tls_sock else None
            threading.Thread(target=_serve_connection, args=(conn, responses, stop, ctx), daemon=True).start()
    for s in socks + ([tls_sock] if tls_sock is not None else []):
        s.close()


# --------------------------------------------------------------------------- #
# TLS material


def make_tls_files(directory: Path, use_trustme: bool = True) -> tuple[str, str, str]:
    """A CA and a server certificate for 127.0.0.1 and localhost, as PEM files.

    Returns the paths of (CA certificate, server certificate chain, server
    key).  Uses trustme when it is importable (and ``use_trustme``), else the
    ``openssl`` command; raises RuntimeError when neither can.
    """
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "server.pem", "server.key"))
    trustme = None
    if use_trustme:
        try:
            import trustme  # type: ignore[no-redef]
        except ImportError:
            trustme = None
    if trustme is not None:
        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1", "localhost")
        ca.cert_pem.write_to_path(str(ca_file))
        leaf.private_key_pem.write_to_path(str(key_file))
        cert_file.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
        return str(ca_file), str(cert_file), str(key_file)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("neither trustme (pip install trustme) nor the openssl command is installed")
    ca_key, csr, ext = directory / "ca.key", directory / "server.csr", directory / "server.ext"
    ext.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    steps = [
        [
            openssl,
            "req",
            "-x509",
            *ec,
            "-keyout",
            str(ca_key),
            "-out",
            str(ca_file),
            "-days",
            "2",
            "-subj",
            "/O=pool bench/CN=pool bench CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        [openssl, "req", *ec, "-keyout", str(key_file), "-out", str(csr), "-subj", "/O=pool bench/CN=127.0.0.1"],
        [
            openssl,
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca_file),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-out",
            str(cert_file),
            "-days",
            "2",
            "-extfile",
            str(ext),
        ],
    ]
    for cmd in steps:
        try:
            subprocess.run(cmd, capture_output=True, timeout=60, check=True)
        except subprocess.CalledProcessError as exc:
            tail = exc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise RuntimeError(f"openssl {cmd[1]} failed: {tail[0]}") from exc
        except (subprocess.SubprocessError, OSError) as exc:
            raise RuntimeError(f"openssl {cmd[1]} failed: {exc}") from exc
    return str(ca_file), str(cert_file), str(key_file)


# --------------------------------------------------------------------------- #
# Process helpers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pick_cpu() -> tuple[int | None, str]:
    """The CPU to pin servers and clients to, and a sentence saying so."""
    if shutil.which("taskset") is None:
        return None, "not pinned: taskset not found"
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        allowed = list(range(os.cpu_count() or 1))
    if len(allowed) < 2:
        return None, "not pinned: only one CPU available"
    cpu = 0 if 0 in allowed else allowed[0]
    return cpu, f"servers and each client pinned to CPU {cpu} (taskset -c {cpu})"


def _pin_prefix(cpu: int | None) -> list[str]:
    return [] if cpu is None else ["taskset", "-c", str(cpu)]


def die_with_parent() -> None:
    """preexec_fn: ask Linux to SIGTERM this child when its parent dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _popen(cmd: list[str], **kw) -> subprocess.Popen:
    if sys.platform.startswith("linux"):
        kw.setdefault("preexec_fn", die_with_parent)
    return subprocess.Popen(cmd, **kw)


def _stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        proc.send_signal(sig)
    try:
        proc.wait(_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(_STOP_TIMEOUT)


def _wait_port(host: str, port: int, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def _start_python_server(
    all_paths: bool, small_bodies: bool, cpu: int | None, tls: tuple[str, str, str] | None = None
) -> tuple[subprocess.Popen, int, int | None]:
    """Start ``python -m bench.server --serve``; (process, port, TLS port or None)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = _pin_prefix(cpu) + [sys.executable, "-m", "bench.server", "--serve"]
    if all_paths:
        cmd.append("--all")
    if small_bodies:
        cmd.append("--small-bodies")
    if tls is not None:
        cmd += ["--tls-cert", tls[1], "--tls-key", tls[2]]
    proc = _popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=root, env=env)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], _READY_TIMEOUT * 2)
    line = proc.stdout.readline() if ready else b""
    if not line:
        _stop(proc)
        raise RuntimeError("the Python benchmark server did not start")
    ready_msg = json.loads(line)
    port = ready_msg["port"]
    if not _wait_port("127.0.0.1", port, proc, _READY_TIMEOUT):
        _stop(proc)
        raise RuntimeError("the Python benchmark server does not accept connections")
    return proc, port, ready_msg.get("tls_port")


# --------------------------------------------------------------------------- #
# nginx


def find_nginx(install: bool = False) -> tuple[str | None, str]:
    """Path of nginx (installing nginx-light when allowed), or None and why not."""
    for cand in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if cand and os.access(cand, os.X_OK):
            return cand, ""
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if (install or os.environ.get("CI")) and is_root and shutil.which("apt-get"):
        try:
            subprocess.run(
                ["apt-get", "install", "-y", "nginx-light"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=_APT_TIMEOUT,
                check=True,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
            )
        except (subprocess.SubprocessError, OSError) as exc:
            return None, f"apt-get install nginx-light failed ({exc})"
        if os.access("/usr/sbin/nginx", os.X_OK):
            return "/usr/sbin/nginx", ""
        return None, "nginx-light installed but /usr/sbin/nginx is missing"
    return None, "nginx not found (install nginx-light, or run as root with --install)"


def _nginx_conf(
    tmp: Path, www: Path, port: int, tls_port: int | None = None, tls: tuple[str, str, str] | None = None
) -> str:
    listens = "\n".join(f"        listen 127.0.0.{i}:{port};" for i in range(1, 2 + HOST_COUNT))
    extra = "\n".join(f'            add_header {k} "{v}";' for k, v in _EXTRA_HEADERS)
    user = "user root root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    answer = ANSWER.decode().replace("'", "\\'")
    tls_server = ""
    if tls is not None and tls_port:
        # TLS 1.3 only; keep-alive makes the handshake a once-per-connection cost.
        tls_server = f"""
    server {{
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {tls[1]};
        ssl_certificate_key {tls[2]};
        ssl_protocols TLSv1.3;
        root {www};
    }}"""
    return f"""# generated by bench/server.py for one benchmark run
{user}worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ }}
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
{listens}
        root {www};
        location = /h20 {{
{extra}
        }}
        location = /gz {{
            default_type text/plain;
            add_header Content-Encoding gzip;
        }}
        # A POST gets a small JSON answer; its small body is read and dropped
        # (with the client on the same CPU, it is already buffered by then).
        location = /post {{
            default_type application/json;
            return 200 '{answer}';
        }}
    }}{tls_server}
}}
"""


def _start_nginx(
    nginx: str, tmp: Path, small_bodies: bool, cpu: int | None, tls: tuple[str, str, str] | None = None
) -> tuple[subprocess.Popen, int, int | None, dict[str, int], str]:
    """Start nginx; (process, port, TLS port or None, body sizes, why no TLS or "")."""
    sizes = SMALL_SIZES if small_bodies else FULL_SIZES
    www = tmp / "www"
    www.mkdir(exist_ok=True)
    (www / "small").write_bytes(b"s" * SMALL_BODY)
    (www / "h20").write_bytes(b"s" * SMALL_BODY)
    with open(www / "big", "wb") as f:
        f.truncate(sizes["big"])  # sparse: no disk work, sendfile reads zeros
    text = _gz_text()
    (www / "gz").write_bytes(gzip.compress(text, compresslevel=6, mtime=0))
    decoded = {"/small": SMALL_BODY, "/h20": SMALL_BODY, "/big": sizes["big"], "/gz": len(text), "/post": len(ANSWER)}
    last_error = ""
    for _attempt in range(5):
        port = _free_port()
        tls_port = _free_port() if tls is not None else None
        conf = tmp / "nginx.conf"
        conf.write_text(_nginx_conf(tmp, www, port, tls_port, tls))
        cmd = _pin_prefix(cpu) + [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
        proc = _popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if (
            _wait_port("127.0.0.1", port, proc, _READY_TIMEOUT)
            and _wait_port(f"127.0.0.{1 + HOST_COUNT}", port, proc, _READY_TIMEOUT)
            and (tls_port is None or _wait_port("127.0.0.1", tls_port, proc, _READY_TIMEOUT))
        ):
            return proc, port, tls_port, decoded, ""
        _stop(proc, signal.SIGQUIT)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        with contextlib.suppress(OSError):
            err += (tmp / "error.log").read_text(errors="replace")
        last_error = err.strip().splitlines()[-1] if err.strip() else "exited without a message"
        if "Address already in use" not in err:
            break
    if tls is not None and "ssl" in last_error.lower():
        # An nginx built without TLS still serves everything else.
        proc, port, _none, decoded, _ = _start_nginx(nginx, tmp, small_bodies, cpu, None)
        return proc, port, None, decoded, f"nginx could not serve TLS ({last_error})"
    raise RuntimeError(f"nginx did not start: {last_error}")


def _nginx_version(nginx: str) -> str:
    try:
        out = subprocess.run([nginx, "-v"], capture_output=True, timeout=10).stderr.decode()
    except (subprocess.SubprocessError, OSError):
        return "nginx"
    return out.strip().replace("nginx version: ", "")


@contextlib.contextmanager
def start_servers(
    small_bodies: bool = False, install: bool = False, pin: bool = True, use_nginx: bool = True
) -> Iterator[Servers]:
    """Start nginx (or the Python fallback) and the chunked/upload server; stop both on exit.

    :param small_bodies: 1 MiB instead of 64 MiB bodies (smoke runs, tests).
    :param install: allow ``apt-get install nginx-light`` when nginx is missing
        (only as root; ``CI`` in the environment allows it too).
    :param pin: pin servers to one CPU with taskset when there are two or more.
    :param use_nginx: False forces the Python server for every path.
    """
    cpu, pinning = pick_cpu() if pin else (None, "not pinned: disabled")
    warnings: list[str] = []
    procs: list[tuple[subprocess.Popen, int]] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-nginx-"))

    def _cleanup() -> None:
        while procs:
            proc, sig = procs.pop()
            _stop(proc, sig)
        shutil.rmtree(tmp, ignore_errors=True)

    atexit.register(_cleanup)
    try:
        size_table = SMALL_SIZES if small_bodies else FULL_SIZES
        os.chmod(tmp, 0o755)
        tls_dir = tmp / "tls"
        tls_dir.mkdir()
        tls: tuple[str, str, str] | None = None
        tls_missing = ""
        try:
            tls = make_tls_files(tls_dir)
        except RuntimeError as exc:
            tls_missing = f"no TLS certificate: {exc}"
        # The file the upload-from-a-file scenario sends (page-cached after the first run).
        upload_file = tmp / "upload.bin"
        with open(upload_file, "wb") as f:
            piece = b"u" * (1 << 20)
            left = size_table["upload"]
            while left:
                left -= f.write(piece[: min(left, len(piece))])

        nginx, why = find_nginx(install) if use_nginx else (None, "nginx disabled")
        kind = "python"
        version = f"Python {sys.version.split()[0]} (bench.server)"
        tls_port: int | None = None
        if nginx:
            try:
                proc, port, tls_port, sizes, no_tls = _start_nginx(nginx, tmp, small_bodies, cpu, tls)
                procs.append((proc, signal.SIGQUIT))  # graceful: finish, then exit
                kind, version = "nginx", _nginx_version(nginx)
                tls_missing = tls_missing or no_tls
            except RuntimeError as exc:
                why = str(exc)
        if kind == "python":
            warnings.append(
                f"WARNING: {why}; falling back to the Python server (bench.server). "
                "It is much slower than nginx, so fast clients will look alike."
            )
            proc, port, tls_port = _start_python_server(True, small_bodies, cpu, tls)
            procs.append((proc, signal.SIGTERM))
            sizes = {
                "/small": SMALL_BODY,
                "/h20": SMALL_BODY,
                "/big": size_table["big"],
                "/gz": len(_gz_text()),
                "/post": len(ANSWER),
            }
            chunked_port = port
        else:
            cproc, chunked_port, _ = _start_python_server(False, small_bodies, cpu)
            procs.append((cproc, signal.SIGTERM))
        sizes["/chunked32k"] = size_table["chunked32k"]
        sizes["/chunked100"] = size_table["chunked100"]
        sizes["/upload"] = len(ANSWER)
        if tls_missing:
            warnings.append(f"WARNING: {tls_missing}: the HTTPS scenarios are skipped.")
        yield Servers(
            kind=kind,
            main=f"http://127.0.0.1:{port}",
            chunked=f"http://127.0.0.1:{chunked_port}",
            hosts=[f"http://127.0.0.{i}:{port}" for i in range(2, 2 + HOST_COUNT)],
            sizes=sizes,
            pinning=pinning,
            cpu=cpu,
            server_version=version,
            warnings=warnings,
            tls=f"https://127.0.0.1:{tls_port}" if tls is not None and tls_port else "",
            ca_file=tls[0] if tls is not None and tls_port else "",
            tls_missing=tls_missing,
            upload=f"http://127.0.0.1:{chunked_port}",
            upload_size=size_table["upload"],
            upload_file=str(upload_file),
        )
    finally:
        _cleanup()
        atexit.unregister(_cleanup)


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__.splitlines()[0])
    p.add_argument("--serve", action="store_true", help="run the Python server in this process")
    p.add_argument("--all", action="store_true", help="serve every path (nginx fallback)")
    p.add_argument("--small-bodies", action="store_true")
    p.add_argument("--tls-cert", default="", help="serve TLS 1.3 on a second port with this chain")
    p.add_argument("--tls-key", default="")
    p.add_argument("--max-seconds", type=float, default=6 * 3600, help="exit after this long")
    args = p.parse_args(argv)
    if args.serve:
        _serve(args.all, args.small_bodies, args.max_seconds, args.tls_cert, args.tls_key)
        return 0
    # Without --serve: start everything and wait, for trying clients by hand.
    with start_servers(small_bodies=args.small_bodies) as servers:
        print(servers.to_json(), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
