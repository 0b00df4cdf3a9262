"""One PoolManager shared by many threads: every response belongs to its
request, and a blocking pool never opens more than maxsize connections."""

import threading
import time

from httpserver import Server

from pool.poolmanager import PoolManager
from pool.util.timeout import Timeout

THREADS = 16
PER_THREAD = 200


def test_threads_share_one_blocking_pool():
    with Server() as server:
        pm = PoolManager(maxsize=4, block=True, timeout=Timeout(connect=5, read=10))
        url = server.url("/id?id=")
        mismatches: list = []
        errors: list = []
        done = []

        def worker(t: int) -> None:
            try:
                for i in range(PER_THREAD):
                    ident = f"{t}-{i}"
                    r = pm.request("GET", url + ident, pool_timeout=30)
                    if r.data != ident.encode() or r.headers["X-Id"] != ident:
                        mismatches.append((ident, r.data))
                done.append(t)
            except Exception as e:  # reported below, with the thread's id
                errors.append((t, repr(e)))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
        t0 = time.monotonic()
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        assert not any(th.is_alive() for th in threads), "a worker hung"
        assert errors == []
        assert mismatches == []
        assert sorted(done) == list(range(THREADS))
        assert len(server.requests) == THREADS * PER_THREAD
        # Counted at the server: never more than maxsize at once.
        assert 1 <= server.max_open_connections <= 4
        assert server.connections_accepted <= 4
        p = pm.connection_from_url(server.url("/"))
        assert p.num_requests == THREADS * PER_THREAD
        assert p.num_connections <= 4
        st = p.stats()
        assert st["in_use"] == 0
        assert time.monotonic() - t0 < 120
        pm.clear()


def test_threads_non_blocking_pool_opens_extra_connections_but_keeps_maxsize():
    with Server() as server:
        pm = PoolManager(maxsize=2)
        barrier = threading.Barrier(6, timeout=10)
        results = []

        def worker(t: int) -> None:
            r = pm.request("GET", server.url("/sleep?s=0.2"), preload_content=False)
            barrier.wait()
            results.append(r.read())

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=30)
        assert results == [b"slept"] * 6
        assert server.max_open_connections == 6
        time.sleep(0.05)
        assert server.open_connections == 2  # the rest were discarded on return
        pm.clear()


def test_threads_with_pool_eviction_churn():
    """num_pools=1 and two origins: pools are evicted and closed while other
    threads are about to use them, and no request fails for it."""
    with Server() as server:
        pm = PoolManager(num_pools=1, maxsize=2)
        hosts = ["127.0.0.1", "localhost"]
        errors: list = []
        count = []

        def worker(t: int) -> None:
            try:
                for i in range(60):
                    ident = f"{t}-{i}"
                    r = pm.request("GET", server.url(f"/id?id={ident}", host=hosts[(t + i) % 2]))
                    assert r.data == ident.encode()
                    count.append(1)
            except Exception as e:
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert errors == []
        assert len(count) == 8 * 60
        assert len(pm.pools) == 1
        pm.clear()
        time.sleep(0.1)
        assert server.open_connections == 0
