"""pytest-benchmark versions of ``python -m bench``'s scenarios, in one process.

One group per scenario, the client as a parameter, so pytest-benchmark's table
compares the clients side by side:

    python -m pytest bench/test_client_bench.py --benchmark-group-by=group
    python -m pytest bench/test_client_bench.py --benchmark-disable -q   # correctness only

Clients that are import-time choices (``pool-py``, ``requests-pool``) need a
process of their own and are measured by ``python -m bench`` only.  With
``--benchmark-disable`` the servers send 1 MiB instead of 64 MiB bodies, so the
run takes seconds; the test process and the servers share one CPU only when
benchmarks are enabled.  Without nginx the Python fallback server is used.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import report
from bench.clients import POST_BODY, SCENARIOS, THREADS, Job, Unavailable, load
from bench.server import (
    ANSWER,
    _answer_fields,
    _body_framing,
    _Closed,
    _Connection,
    _head,
    _server_tls_context,
    make_tls_files,
    start_servers,
)

IN_PROCESS = ("pool", "urllib3", "requests", "httpx", "pycurl", "raw")
# Requests per benchmark call in the threads8 scenario (8 per thread).
_THREAD_BATCH = 8 * THREADS
# Rounds for the body scenarios: each call moves up to 64 MiB.
_BODY_ROUNDS = 5


def _disabled(config) -> bool:
    # pytest-benchmark's own rule: --benchmark-enable wins over --benchmark-disable.
    return bool(config.getoption("benchmark_disable", False)) and not config.getoption("benchmark_enable", False)


@pytest.fixture(scope="session")
def bench_servers(request):
    """The benchmark servers for the whole session (small bodies when benchmarks are off)."""
    disabled = _disabled(request.config)
    old_affinity = None
    with start_servers(small_bodies=disabled, pin=not disabled) as servers:
        if servers.cpu is not None and hasattr(os, "sched_setaffinity"):
            old_affinity = os.sched_getaffinity(0)
            os.sched_setaffinity(0, {servers.cpu})
        try:
            yield servers
        finally:
            if old_affinity is not None:
                os.sched_setaffinity(0, old_affinity)


_factories: dict[str, object] = {}


def _factory(name: str):
    if name not in _factories:
        try:
            _factories[name] = load(name)
        except Unavailable as exc:
            _factories[name] = exc
    got = _factories[name]
    if isinstance(got, Unavailable):
        pytest.skip(f"{name}: {got}")
    return got


def _threads_op(factory, scenario, servers):
    """One call = _THREAD_BATCH requests spread over THREADS threads."""
    local = threading.local()
    jobs: list[Job] = []
    lock = threading.Lock()
    shared = Job(factory, scenario, servers) if factory.thread_safe else None
    if shared is not None:
        jobs.append(shared)

    def one() -> int:
        job = shared
        if job is None:
            job = getattr(local, "job", None)
            if job is None:
                job = local.job = Job(factory, scenario, servers, factory.make())
                with lock:
                    jobs.append(job)
        return job.op()

    pool = ThreadPoolExecutor(THREADS)

    def op() -> int:
        return sum(f.result(timeout=60) for f in [pool.submit(one) for _ in range(_THREAD_BATCH)])

    def close() -> None:
        pool.shutdown(wait=True)
        for j in jobs:
            j.close()

    return op, close


@pytest.mark.parametrize("client", IN_PROCESS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_scenario(benchmark, bench_servers, scenario, client):
    """Each scenario, each client: the body is checked on every call."""
    factory = _factory(client)
    sc = SCENARIOS[scenario]
    benchmark.group = scenario
    benchmark.extra_info["unit"] = sc.unit
    if sc.kind == "threads":
        op, close = _threads_op(factory, sc, bench_servers)
        expected_units = _THREAD_BATCH
    else:
        job = Job(factory, sc, bench_servers)
        op, close = job.op, job.close
        if sc.unit != "B/s":
            expected_units = 1
        elif sc.kind == "send":  # an upload counts the bytes it sent
            expected_units = bench_servers.upload_size
        else:
            expected_units = bench_servers.sizes[sc.path]
    try:
        assert op() == expected_units  # warm-up, and a check that can fail
        if sc.kind == "hosts":
            for _ in range(len(bench_servers.hosts)):  # every host answers
                assert op() == 1
        if sc.unit == "B/s":
            units = benchmark.pedantic(op, rounds=_BODY_ROUNDS, iterations=1)
        else:
            units = benchmark(op)
        assert units == expected_units
    finally:
        close()


# --------------------------------------------------------------------------- #
# The raw floor is our own code: check its framing against awkward splits.


def _serve_once(payloads: list[bytes], requests_expected: int) -> tuple[int, threading.Thread]:
    """A one-connection server that answers each request with the next payload,
    written in 7-byte pieces so every parser state meets a buffer edge."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(5)

    def run() -> None:
        conn, _ = lsock.accept()
        conn.settimeout(5)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn, lsock:
            for payload in payloads[:requests_expected]:
                got = b""
                while b"\r\n\r\n" not in got:
                    data = conn.recv(4096)
                    if not data:
                        return
                    got += data
                for k in range(0, len(payload), 7):
                    conn.sendall(payload[k : k + 7])

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return lsock.getsockname()[1], t


def test_raw_client_framing_across_splits():
    """raw reads Content-Length and chunked bodies (with an extension) split anywhere."""
    raw = load("raw").make(timeout=5)
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
    )
    fixed = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
    port, t = _serve_once([chunked, fixed, chunked], 3)
    url = f"http://127.0.0.1:{port}/x"
    try:
        assert bytes(raw.get(url)) == b"hello world"
        assert bytes(raw.get(url)) == b"hello world"
        assert raw.stream(url, 4) == 11
    finally:
        raw.close()
    t.join(5)
    assert not t.is_alive()


def test_raw_client_rejects_unframed_response():
    """A response without Content-Length or chunked is refused, not misread."""
    raw = load("raw").make(timeout=5)
    port, t = _serve_once([b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody"], 1)
    try:
        with pytest.raises(ValueError, match="without Content-Length"):
            raw.get(f"http://127.0.0.1:{port}/")
    finally:
        raw.close()
    t.join(5)


def test_servers_send_what_the_scenarios_promise(bench_servers):
    """Header counts, gzip, chunked framing and all 50 hosts, as the scenarios assume."""
    _check_contract(bench_servers)


def test_python_fallback_server_keeps_the_contract():
    """Without nginx, the Python server serves every path the same way, and says so."""
    with start_servers(small_bodies=True, pin=False, use_nginx=False) as servers:
        assert servers.kind == "python"
        assert any("falling back" in w for w in servers.warnings)
        _check_contract(servers)
        for sc in ("post-small", "https-small", "upload-chunked"):
            job = Job(load("raw"), SCENARIOS[sc], servers)
            try:
                assert job.op() == (servers.upload_size if SCENARIOS[sc].unit == "B/s" else 1)
            finally:
                job.close()


def _check_contract(bench_servers) -> None:
    import gzip

    import urllib3

    pm = urllib3.PoolManager(num_pools=60, timeout=10, retries=False)
    small = pm.request("GET", bench_servers.main + "/small")
    assert small.status == 200 and len(small.data) == 1024
    assert 6 <= len(small.headers) <= 9
    h20 = pm.request("GET", bench_servers.main + "/h20")
    assert len(h20.headers) == 20 and len(h20.data) == 1024
    gz = pm.request("GET", bench_servers.main + "/gz", decode_content=False)
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gz.headers["Content-Type"].startswith("text/")
    assert len(gzip.decompress(gz.data)) == bench_servers.sizes["/gz"]
    for path in ("/chunked32k", "/chunked100"):
        r = pm.request("GET", bench_servers.chunked + path)
        assert r.headers["Transfer-Encoding"] == "chunked"
        assert len(r.data) == bench_servers.sizes[path]
    hosts = {h.split("//")[1].split(":")[0] for h in bench_servers.hosts}
    assert hosts == {f"127.0.0.{i}" for i in range(2, 52)}
    for base in bench_servers.hosts:
        assert pm.request("GET", base + "/small").status == 200

    # A POST gets a small JSON answer; so does an upload, in either framing.
    post = pm.request(
        "POST", bench_servers.main + "/post", body=POST_BODY, headers={"Content-Type": "application/json"}
    )
    assert post.status == 200 and post.data == ANSWER
    assert post.headers["Content-Type"] == "application/json"
    assert 1000 <= len(POST_BODY) <= 1100
    upload = bench_servers.upload + "/upload"
    assert pm.request("PUT", upload, body=b"u" * 300_000).data == ANSWER
    assert pm.request("PUT", upload, body=iter([b"u" * 70_000] * 3), chunked=True).data == ANSWER
    with open(bench_servers.upload_file, "rb") as f:
        assert len(f.read()) == bench_servers.upload_size
    _check_upload_read_before_answer(upload)

    # TLS 1.3 only, with a certificate that verifies against the run's CA.
    assert bench_servers.tls.startswith("https://127.0.0.1:"), bench_servers.tls_missing
    tls = urllib3.PoolManager(ca_certs=bench_servers.ca_file, timeout=10, retries=False)
    r = tls.request("GET", bench_servers.tls + "/small")
    assert r.status == 200 and len(r.data) == 1024
    tls.clear()
    port = int(bench_servers.tls.rsplit(":", 1)[1])
    ctx = ssl.create_default_context(cafile=bench_servers.ca_file)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw_sock:
        with ctx.wrap_socket(raw_sock, server_hostname="127.0.0.1") as t:
            assert t.version() == "TLSv1.3"
    ctx12 = ssl.create_default_context(cafile=bench_servers.ca_file)
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw_sock:
        with pytest.raises(ssl.SSLError):
            ctx12.wrap_socket(raw_sock, server_hostname="127.0.0.1")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw_sock:
        with pytest.raises(ssl.SSLCertVerificationError):
            _untrusted_context().wrap_socket(raw_sock, server_hostname="127.0.0.1")
    pm.clear()


def _untrusted_context() -> ssl.SSLContext:
    # Verifying, but trusting nothing: only the CA of the run could make it pass.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _check_upload_read_before_answer(url: str) -> None:
    """The upload server answers only after the last body byte: an upload is timed whole."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"u" * 1000)
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(100)
        sock.settimeout(10)
        sock.sendall(b"u" * 199_000)
        got = b""
        while not got.endswith(ANSWER):
            data = sock.recv(1000)
            assert data, "connection closed before the answer"
            got += data
        assert got.startswith(b"HTTP/1.1 200 ")


# --------------------------------------------------------------------------- #
# What goes on the wire for requests with a body, client by client.


class _CaptureServer:
    """Answers like the upload server and records each request's framing:
    (method, chunked, Content-Length, sent Expect, body bytes received)."""

    def __init__(self) -> None:
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.lsock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.lsock.getsockname()[1]}"
        self.seen: list[tuple[bytes, bool, int, bool, int]] = []
        self.stop = threading.Event()
        self.answer = _head("200 OK", _answer_fields()) + ANSWER
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.lsock.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        c = _Connection(conn, self.stop)
        try:
            while True:
                head = c.head()
                lower = head.lower()
                chunked, length = _body_framing(lower)
                expect = b"\r\nexpect:" in lower
                if expect:
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                received = c.skip_chunked() if chunked else length
                if not chunked:
                    c.skip(length)
                self.seen.append((head.split(b" ", 1)[0], chunked, length, expect, received))
                conn.sendall(self.answer)
        except (_Closed, OSError):
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.lsock.close()


# scenario: (method, chunked framing)
_SEND_SHAPES = {
    "post-small": (b"POST", False),
    "upload": (b"PUT", False),
    "upload-file": (b"PUT", False),
    "upload-chunked": (b"PUT", True),
}


@pytest.mark.parametrize("client", IN_PROCESS)
def test_bodies_go_out_as_the_scenarios_say(client, bench_servers, tmp_path):
    """Each client frames each body as promised, without Expect: 100-continue."""
    factory = _factory(client)
    capture = _CaptureServer()
    size = 300_000
    upload_file = tmp_path / "upload.bin"
    upload_file.write_bytes(b"u" * size)
    servers = dataclasses.replace(
        bench_servers, main=capture.url, upload=capture.url, upload_size=size, upload_file=str(upload_file)
    )
    try:
        for name, (method, chunked) in _SEND_SHAPES.items():
            job = Job(factory, SCENARIOS[name], servers)
            try:
                for _ in range(2):  # the second on the kept-alive connection
                    job.op()
            finally:
                job.close()
            expected_size = len(POST_BODY) if name == "post-small" else size
            for seen in capture.seen:
                got_method, got_chunked, length, expect, received = seen
                assert (got_method, got_chunked, expect) == (method, chunked, False), (name, seen)
                assert received == expected_size, (name, seen)
                if not chunked:
                    assert length == expected_size, (name, seen)
            assert len(capture.seen) == 2, (name, capture.seen)
            capture.seen.clear()
    finally:
        capture.close()


# --------------------------------------------------------------------------- #
# The parts of a run that a healthy machine never shows.


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_tls_files_without_trustme(tmp_path):
    """The openssl fallback makes a CA and a server certificate that verify for TLS 1.3."""
    ca, cert, key = make_tls_files(tmp_path, use_trustme=False)
    server_ctx = _server_tls_context(cert, key)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(10)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = lsock.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as t:
                t.sendall(b"hello")
                t.recv(1)
        except BaseException as exc:  # reported below
            errors.append(exc)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    client_ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection(lsock.getsockname(), timeout=10) as sock:
        with client_ctx.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            assert tls.version() == "TLSv1.3"
            assert tls.recv(5) == b"hello"
    t.join(10)
    lsock.close()
    assert not errors


def test_no_tls_is_not_applicable_not_an_error(bench_servers):
    """Without a TLS server, the HTTPS scenarios are n/a with the reason, in the table too."""
    servers = dataclasses.replace(bench_servers, tls="", ca_file="", tls_missing="no TLS certificate: test")
    with pytest.raises(Unavailable, match="no TLS certificate: test"):
        Job(load("raw"), SCENARIOS["https-small"], servers)
    rows = report.summarize({("small", "raw"): [1.0]}, [SCENARIOS["small"], SCENARIOS["https-small"]], ["raw"])
    text = report.table(rows, {"raw": {"status": "ok"}}, {}, {("https-small", "raw"): "no TLS certificate: test"})
    line = next(ln for ln in text.splitlines() if ln.startswith("https-small"))
    assert line.split()[:3] == ["https-small", "raw", "n/a"]
    assert "n/a   https-small/raw: no TLS certificate: test" in text


def test_aa_noise_is_the_spread_between_twins():
    """pool and pool#2 are one client twice: their relative difference is the noise."""
    scs = [SCENARIOS["small"], SCENARIOS["big"]]
    samples = {
        ("small", "pool"): [100.0],
        ("small", "pool#2"): [110.0],
        ("big", "pool"): [50.0],
        ("big", "pool#2"): [50.0],
        ("small", "urllib3"): [10.0],
        ("big", "urllib3"): [10.0],
    }
    rows = report.summarize(samples, scs, ["pool", "urllib3", "pool#2"])
    (pair,) = report.noise(rows)
    assert (pair["client"], pair["twin"], pair["max_scenario"]) == ("pool", "pool#2", "small")
    assert pair["per_scenario"] == {"small": pytest.approx(10 / 105), "big": 0.0}
    assert pair["median"] == pytest.approx(5 / 105)
    assert "A/A noise (pool vs pool#2" in report.noise_text([pair])
    assert report.noise(report.summarize(samples, scs, ["pool", "urllib3"])) == []
