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

import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.clients import SCENARIOS, THREADS, Job, Unavailable, load
from bench.server import start_servers

IN_PROCESS = ("pool", "urllib3", "requests", "httpx", "pycurl", "raw")
# Requests per benchmark call in the threads8 scenario (8 per thread).
_THREAD_BATCH = 8 * THREADS
# Rounds for the body scenarios: each call moves up to 64 MiB.
_BODY_ROUNDS = 5


def _disabled(config) -> bool:
    # pytest-benchmark's own rule: --benchmark-enable wins over --benchmark-disable.
    return bool(config.getoption("benchmark_disable", False)) and not config.getoption(
        "benchmark_enable", False
    )


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
        expected_units = bench_servers.sizes[sc.path] if sc.unit == "B/s" else 1
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
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
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
    pm.clear()
