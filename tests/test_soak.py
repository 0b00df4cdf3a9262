"""Soak: 100,000 requests through one PoolManager from 8 threads against a
local keep-alive server (in its own process, so the figures are the
client's).  Every response must be the right one, and open file descriptors
and resident memory must stay flat.  Left out of the default run (``slow``);
run it with ``python -m pytest -m slow tests/test_soak.py -s``.
The count can be changed with ``POOL_SOAK_REQUESTS``.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time

import pytest

from pool.poolmanager import PoolManager

pytestmark = pytest.mark.slow

THREADS = 8
TOTAL = int(os.environ.get("POOL_SOAK_REQUESTS", "100000"))


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.fixture
def echo_server():
    server = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile.py")
    proc = subprocess.Popen([sys.executable, server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


def test_soak(echo_server):
    per_thread = TOTAL // THREADS
    with PoolManager(maxsize=THREADS, block=True, timeout=10, retries=2) as pm:
        errors: list = []
        wrong = [0]
        done = [0]
        lock = threading.Lock()

        def work(t: int, count: int) -> None:
            bad = ok = 0
            try:
                for i in range(count):
                    target = f"/t{t}/r{i}"
                    r = pm.request("GET", echo_server + target)
                    if r.status != 200 or r.data != target.encode():
                        bad += 1
                    else:
                        ok += 1
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
            with lock:
                wrong[0] += bad
                done[0] += ok

        def run(count: int) -> float:
            start = time.monotonic()
            threads = [threading.Thread(target=work, args=(t, count)) for t in range(THREADS)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(1800)
            assert not any(th.is_alive() for th in threads)
            return time.monotonic() - start

        # Warm-up, with all threads: every connection open, caches filled,
        # the allocator settled.
        run(250)
        assert errors == [] and wrong[0] == 0
        done[0] = 0
        gc.collect()
        fds_before, rss_before = _fds(), _rss()
        elapsed = run(per_thread)
        gc.collect()
        fds_after, rss_after = _fds(), _rss()
        pool_stats = pm.connection_from_url(echo_server).stats()
    print(
        f"\nsoak: {done[0]} requests in {elapsed:.1f} s ({done[0] / elapsed:.0f}/s), "
        f"fds {fds_before} -> {fds_after}, RSS {rss_before / 2**20:.1f} -> {rss_after / 2**20:.1f} MiB, "
        f"pool {pool_stats}"
    )
    assert errors == []
    assert wrong[0] == 0
    assert done[0] == per_thread * THREADS
    assert fds_after <= fds_before
    assert rss_after - rss_before < 16 * 2**20
