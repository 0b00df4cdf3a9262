"""Local HTTP/1.1 servers for the benchmarks: nginx for static bodies, plus a
small threaded Python server for chunked bodies (RFC 9112 §7.1).

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

on ``127.0.0.1:PORT`` and on ``127.0.0.2`` … ``127.0.0.51`` at the same port
(the 50-hosts scenario).  The Python server answers ``/chunked32k`` (64 MiB in
32 KiB chunks) and ``/chunked100`` (16 MiB in 100-byte chunks) from responses
built once in memory.  When nginx is missing, the Python server serves every
path and the caller gets a warning saying the numbers are server-bound.

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
SMALL_BODY = 1024
GZ_TEXT_SIZE = 1 << 20
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
    chunked: str  #: base URL of the chunked server
    hosts: list[str]  #: base URLs on 127.0.0.2 … 127.0.0.51, same port as main
    sizes: dict[str, int]  #: decoded body size per path, for checking replies
    pinning: str  #: e.g. "taskset -c 0" or why there is no pinning
    cpu: int | None  #: the CPU servers and clients are pinned to, or None
    server_version: str = ""
    warnings: list[str] = field(default_factory=list)

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
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        for _ in range(2000)
    ]
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
    resp = {
        b"/chunked32k": _head("200 OK", chunked_fields) + _chunked_body(sizes["chunked32k"], 32 << 10),
        b"/chunked100": _head("200 OK", chunked_fields) + _chunked_body(sizes["chunked100"], 100),
    }
    if all_paths:
        small = b"s" * SMALL_BODY
        gz = gzip.compress(_gz_text(), compresslevel=6, mtime=0)
        resp[b"/small"] = _head("200 OK", _static_fields(len(small))) + small
        resp[b"/h20"] = _head("200 OK", _static_fields(len(small)) + _EXTRA_HEADERS) + small
        resp[b"/big"] = _head("200 OK", _static_fields(sizes["big"])) + bytes(sizes["big"])
        resp[b"/gz"] = (
            _head("200 OK", _static_fields(len(gz), "text/plain") + [("Content-Encoding", "gzip")]) + gz
        )
    return resp


# --------------------------------------------------------------------------- #
# The Python server (runs in its own process: python -m bench.server --serve)

_NOT_FOUND = _head("404 Not Found", [("Content-Length", "0"), ("Connection", "keep-alive")])
_MAX_REQUEST_HEAD = 16 << 10
# An idle connection checks for shutdown this often; a send may wait much
# longer, because a slow client takes seconds to drain 64 MiB.
_IDLE_POLL = 1.0
_SEND_TIMEOUT = 120.0


def _serve_connection(conn: socket.socket, responses: dict[bytes, bytes], stop: threading.Event) -> None:
    # Keep-alive loop; GET only (the benchmarks send nothing else).  The recv
    # timeout lets an idle connection notice shutdown.
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.settimeout(_IDLE_POLL)
    buf = b""
    try:
        while not stop.is_set():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_REQUEST_HEAD:
                    return
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    return
                buf += data
                continue
            head, buf = buf[:end], buf[end + 4 :]
            line_end = head.find(b"\r\n")
            request_line = head if line_end < 0 else head[:line_end]
            parts = request_line.split(b" ")
            path = parts[1].split(b"?", 1)[0] if len(parts) == 3 else b""
            conn.settimeout(_SEND_TIMEOUT)
            conn.sendall(responses.get(path, _NOT_FOUND))
            conn.settimeout(_IDLE_POLL)
            if b"\r\nconnection: close" in head.lower():
                return
    except OSError:
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


def _serve(all_paths: bool, small_bodies: bool, max_seconds: float) -> None:
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
    stop = threading.Event()

    def _watch_parent() -> None:
        # stdin is a pipe from the parent: EOF means the parent is gone.
        try:
            sys.stdin.buffer.read()
        finally:
            stop.set()

    threading.Thread(target=_watch_parent, daemon=True).start()
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    print(json.dumps({"port": socks[0].getsockname()[1]}), flush=True)
    deadline = time.monotonic() + max_seconds
    while not stop.is_set() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            try:
                conn, _addr = key.fileobj.accept()  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            conn.setblocking(True)
            threading.Thread(target=_serve_connection, args=(conn, responses, stop), daemon=True).start()
    for s in socks:
        s.close()


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
    all_paths: bool, small_bodies: bool, cpu: int | None
) -> tuple[subprocess.Popen, int]:
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = _pin_prefix(cpu) + [sys.executable, "-m", "bench.server", "--serve"]
    if all_paths:
        cmd.append("--all")
    if small_bodies:
        cmd.append("--small-bodies")
    proc = _popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=root, env=env)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], _READY_TIMEOUT * 2)
    line = proc.stdout.readline() if ready else b""
    if not line:
        _stop(proc)
        raise RuntimeError("the Python benchmark server did not start")
    port = json.loads(line)["port"]
    if not _wait_port("127.0.0.1", port, proc, _READY_TIMEOUT):
        _stop(proc)
        raise RuntimeError("the Python benchmark server does not accept connections")
    return proc, port


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


def _nginx_conf(tmp: Path, www: Path, port: int) -> str:
    listens = "\n".join(
        f"        listen 127.0.0.{i}:{port};" for i in range(1, 2 + HOST_COUNT)
    )
    extra = "\n".join(f'            add_header {k} "{v}";' for k, v in _EXTRA_HEADERS)
    user = "user root root;\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
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
    }}
}}
"""


def _start_nginx(
    nginx: str, tmp: Path, small_bodies: bool, cpu: int | None
) -> tuple[subprocess.Popen, int, dict[str, int]]:
    sizes = SMALL_SIZES if small_bodies else FULL_SIZES
    www = tmp / "www"
    www.mkdir()
    (www / "small").write_bytes(b"s" * SMALL_BODY)
    (www / "h20").write_bytes(b"s" * SMALL_BODY)
    with open(www / "big", "wb") as f:
        f.truncate(sizes["big"])  # sparse: no disk work, sendfile reads zeros
    text = _gz_text()
    (www / "gz").write_bytes(gzip.compress(text, compresslevel=6, mtime=0))
    decoded = {"/small": SMALL_BODY, "/h20": SMALL_BODY, "/big": sizes["big"], "/gz": len(text)}
    last_error = ""
    for _attempt in range(5):
        port = _free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(_nginx_conf(tmp, www, port))
        cmd = _pin_prefix(cpu) + [nginx, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]
        proc = _popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if _wait_port("127.0.0.1", port, proc, _READY_TIMEOUT) and _wait_port(
            f"127.0.0.{1 + HOST_COUNT}", port, proc, _READY_TIMEOUT
        ):
            return proc, port, decoded
        _stop(proc, signal.SIGQUIT)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        with contextlib.suppress(OSError):
            err += (tmp / "error.log").read_text(errors="replace")
        last_error = err.strip().splitlines()[-1] if err.strip() else "exited without a message"
        if "Address already in use" not in err:
            break
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
    """Start nginx (or the Python fallback) and the chunked server; stop both on exit.

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
        nginx, why = find_nginx(install) if use_nginx else (None, "nginx disabled")
        kind = "python"
        version = f"Python {sys.version.split()[0]} (bench.server)"
        if nginx:
            try:
                os.chmod(tmp, 0o755)
                proc, port, sizes = _start_nginx(nginx, tmp, small_bodies, cpu)
                procs.append((proc, signal.SIGQUIT))  # graceful: finish, then exit
                kind, version = "nginx", _nginx_version(nginx)
            except RuntimeError as exc:
                why = str(exc)
        if kind == "python":
            warnings.append(
                f"WARNING: {why}; falling back to the Python server (bench.server). "
                "It is much slower than nginx, so fast clients will look alike."
            )
            proc, port = _start_python_server(True, small_bodies, cpu)
            procs.append((proc, signal.SIGTERM))
            size_table = SMALL_SIZES if small_bodies else FULL_SIZES
            sizes = {
                "/small": SMALL_BODY,
                "/h20": SMALL_BODY,
                "/big": size_table["big"],
                "/gz": len(_gz_text()),
            }
            chunked_port = port
        else:
            cproc, chunked_port = _start_python_server(False, small_bodies, cpu)
            procs.append((cproc, signal.SIGTERM))
        size_table = SMALL_SIZES if small_bodies else FULL_SIZES
        sizes["/chunked32k"] = size_table["chunked32k"]
        sizes["/chunked100"] = size_table["chunked100"]
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
        )
    finally:
        _cleanup()
        atexit.unregister(_cleanup)


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__.splitlines()[0])
    p.add_argument("--serve", action="store_true", help="run the Python server in this process")
    p.add_argument("--all", action="store_true", help="serve every path (nginx fallback)")
    p.add_argument("--small-bodies", action="store_true")
    p.add_argument("--max-seconds", type=float, default=6 * 3600, help="exit after this long")
    args = p.parse_args(argv)
    if args.serve:
        _serve(args.all, args.small_bodies, args.max_seconds)
        return 0
    # Without --serve: start everything and wait, for trying clients by hand.
    with start_servers(small_bodies=args.small_bodies) as servers:
        print(servers.to_json(), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
