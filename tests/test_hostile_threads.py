"""Many threads on a small blocking pool, against a keep-alive server that
also misbehaves now and then: no response may be lost, duplicated or handed
to the wrong request, and a blocking pool never opens more than ``maxsize``
connections at once.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from hostile import CLOSE, HostileServer, impl, response  # noqa: F401

from pool.connectionpool import HTTPConnectionPool
from pool.poolmanager import PoolManager

THREADS = 12
PER_THREAD = 40
MAXSIZE = 3


def _run_threads(fn, n: int = THREADS) -> list:
    errors: list = []

    def worker(t: int) -> None:
        try:
            fn(t)
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not any(th.is_alive() for th in threads), "a worker thread hung"
    return errors


def _echo(req):
    # The body is the request target: a crossed response shows at once.
    return [response(req.target.encode(), headers=[f"X-Target: {req.target}"])]


def test_blocking_pool_no_crossed_responses(impl):
    with HostileServer(_echo) as srv:
        pool = HTTPConnectionPool(srv.host, srv.port, maxsize=MAXSIZE, block=True, timeout=5, retries=False)

        def work(t: int) -> None:
            for i in range(PER_THREAD):
                target = f"/t{t}/r{i}"
                r = pool.request("GET", target)
                assert r.status == 200
                assert r.data == target.encode(), (target, r.data)
                assert r.headers["X-Target"] == target

        start = time.monotonic()
        assert _run_threads(work) == []
        assert time.monotonic() - start < 30
        targets = [r.target for r in srv.requests]
        expected = {f"/t{t}/r{i}" for t in range(THREADS) for i in range(PER_THREAD)}
        assert len(targets) == len(expected) and set(targets) == expected
        # Never more connections than maxsize, all kept alive.
        assert srv.accepted <= MAXSIZE
        assert pool.num_connections <= MAXSIZE
        stats = pool.stats()
        assert stats["in_use"] == 0
        pool.close()


def test_blocking_pool_streamed_and_abandoned(impl):
    # Threads stream bodies, some fully, some partially then release: the
    # partial ones cost a connection, never a crossed response.
    body = bytes(range(256)) * 64

    def script(req):
        return [response(req.target.encode() + b"|" + body)]

    with HostileServer(script) as srv:
        pool = HTTPConnectionPool(srv.host, srv.port, maxsize=MAXSIZE, block=True, timeout=5, retries=False)

        def work(t: int) -> None:
            rng = random.Random(t)
            for i in range(PER_THREAD // 2):
                target = f"/t{t}/r{i}"
                prefix = target.encode() + b"|"
                r = pool.request("GET", target, preload_content=False)
                if rng.random() < 0.3:
                    head = r.read(len(prefix) + 10)
                    assert head == prefix + body[:10]
                    r.release_conn()
                else:
                    assert r.read() == prefix + body
                    r.release_conn()

        assert _run_threads(work) == []
        assert len(srv.requests) == THREADS * (PER_THREAD // 2)
        assert pool.stats()["in_use"] == 0
        # Connections were replaced after partial reads, but never more than
        # maxsize were open at once (a blocking pool).
        assert pool.num_connections >= MAXSIZE
        pool.close()


def test_misbehaving_server_under_threads(impl):
    # Now and then the server closes after answering without saying so, or
    # appends a smuggled response after the body. Every request still gets
    # exactly its own body.
    rng = random.Random(1234)
    lock = threading.Lock()

    def script(req):
        with lock:
            roll = rng.random()
        own = response(req.target.encode())
        if roll < 0.1:
            return [own, CLOSE]
        if roll < 0.2:
            return [own + response(b"SMUGGLED")]
        return [own]

    with HostileServer(script) as srv:
        pool = HTTPConnectionPool(srv.host, srv.port, maxsize=MAXSIZE, block=True, timeout=5, retries=3)

        def work(t: int) -> None:
            for i in range(PER_THREAD // 2):
                target = f"/t{t}/r{i}"
                assert pool.request("GET", target).data == target.encode()

        assert _run_threads(work) == []
        assert pool.stats()["in_use"] == 0
        pool.close()


def test_poolmanager_shared_by_threads_across_hosts(impl):
    with HostileServer(_echo) as a, HostileServer(_echo, host="127.0.0.2") as b:
        with PoolManager(maxsize=2, block=True, timeout=5, retries=False) as pm:

            def work(t: int) -> None:
                for i in range(PER_THREAD // 2):
                    srv = a if (t + i) % 2 else b
                    target = f"/t{t}/r{i}"
                    assert pm.request("GET", srv.url(target)).data == target.encode()

            assert _run_threads(work) == []
        assert a.accepted <= 2 and b.accepted <= 2
        assert len(a.requests) + len(b.requests) == THREADS * (PER_THREAD // 2)


@pytest.mark.parametrize("block", [True, False])
def test_nonblocking_pool_keeps_at_most_maxsize(impl, block):
    with HostileServer(_echo) as srv:
        pool = HTTPConnectionPool(srv.host, srv.port, maxsize=2, block=block, timeout=5, retries=False)

        def work(t: int) -> None:
            for i in range(10):
                assert pool.request("GET", f"/{t}/{i}").data == f"/{t}/{i}".encode()

        assert _run_threads(work, 8) == []
        # Whatever was opened under contention, at most maxsize stay pooled.
        assert pool.stats()["idle"] <= 2
        if block:
            assert srv.accepted <= 2
        pool.close()
