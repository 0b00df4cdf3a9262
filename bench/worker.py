"""One measurement in a fresh process: ``python -m bench.worker``.

    python -m bench.worker --client C --scenario S --seconds T --max-requests N \
        --servers JSON

loads client C (import-time choices such as POOL_NO_EXTENSIONS or
``pool.install_as_urllib3()`` happen here, before anything else is imported),
warms up, runs scenario S for T seconds or N requests (request scenarios) or a
fixed number of downloads (body scenarios), and prints one JSON line:
``{"status": "ok", "value": ..., "unit": "req/s"|"B/s", "count": ..., "elapsed": ...}``.
A client that cannot run (or cannot do this scenario: say, no HTTPS server in
this run) prints ``{"status": "n/a", "reason": ...}`` and exits 0;
a client that fails mid-run prints ``{"status": "error", ...}`` and exits 1.
``--probe`` only loads the client and reports its version.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import traceback

# Warm-up: enough requests to open every connection and fill caches, bounded
# in time so a slow client on a loaded machine still starts measuring.
_WARMUP_REQUESTS = 50
_WARMUP_SECONDS = 0.3
# Body scenarios stop early once they have run this many times --seconds.
_BYTES_TIME_FACTOR = 8


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def _run_single(op, seconds: float, max_ops: int, min_ops: int = 1) -> tuple[int, int, float]:
    """Call ``op`` until ``seconds`` pass or ``max_ops`` calls; return (calls, units, elapsed)."""
    clock = time.perf_counter
    t0 = clock()
    deadline = t0 + seconds
    n = units = 0
    while n < max_ops:
        units += op()
        n += 1
        if n >= min_ops and clock() >= deadline:
            break
    return n, units, clock() - t0


def _run_threads(ops: list, seconds: float, max_ops: int) -> tuple[int, int, float]:
    """Run one ``op`` per thread at once; totals over all threads."""
    per_thread = max(1, max_ops // len(ops))
    results: list[tuple[int, int] | BaseException] = [(0, 0)] * len(ops)
    start = threading.Barrier(len(ops) + 1, timeout=30)
    clock = time.perf_counter
    holder = {}

    def body(k: int) -> None:
        op = ops[k]
        n = units = 0
        try:
            start.wait()
            deadline = holder["deadline"]
            while n < per_thread:
                units += op()
                n += 1
                if clock() >= deadline:
                    break
            results[k] = (n, units)
        except BaseException as exc:  # reported by the main thread
            results[k] = exc

    threads = [threading.Thread(target=body, args=(k,), daemon=True) for k in range(len(ops))]
    for t in threads:
        t.start()
    t0 = clock()
    holder["deadline"] = t0 + seconds
    start.wait()
    for t in threads:
        t.join(seconds + 60)
    elapsed = clock() - t0
    n = units = 0
    for r in results:
        if isinstance(r, BaseException):
            raise r
        n += r[0]
        units += r[1]
    if any(t.is_alive() for t in threads):
        raise TimeoutError("a benchmark thread did not finish")
    return n, units, elapsed


def measure(factory, scenario, servers, seconds: float, max_requests: int, downloads: int, warmup: bool = True) -> dict:
    """Run one scenario with a loaded client in this process; the result as a dict."""
    from .clients import THREADS, Job

    jobs = []
    try:
        if scenario.kind == "threads":
            if factory.thread_safe:
                shared = Job(factory, scenario, servers)
                jobs = [shared]
                ops = [shared.op] * THREADS
            else:  # e.g. a pycurl handle or a raw socket: one per thread
                jobs = [Job(factory, scenario, servers, factory.make()) for _ in range(THREADS)]
                ops = [j.op for j in jobs]
            if warmup:
                _run_threads(ops, _WARMUP_SECONDS, _WARMUP_REQUESTS * THREADS)
            n, units, elapsed = _run_threads(ops, seconds, max_requests)
        else:
            job = Job(factory, scenario, servers)
            jobs = [job]
            if scenario.unit == "B/s":
                if warmup:
                    job.op()
                n, units, elapsed = _run_single(job.op, seconds * _BYTES_TIME_FACTOR, max(1, downloads), min_ops=1)
            else:
                if warmup:
                    # hosts50: at least two full rounds, so every connection is open.
                    count = max(_WARMUP_REQUESTS, 2 * len(job.urls))
                    _run_single(job.op, _WARMUP_SECONDS, count, min_ops=len(job.urls) * 2)
                n, units, elapsed = _run_single(job.op, seconds, max_requests)
    finally:
        for j in jobs:
            try:
                j.close()
            except Exception:
                pass
    return {
        "status": "ok",
        "client": factory.name,
        "scenario": scenario.name,
        "unit": scenario.unit,
        "value": units / elapsed if elapsed > 0 else 0.0,
        "count": n,
        "units": units,
        "elapsed": elapsed,
        "version": factory.version,
        "note": factory.note,
    }


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse arguments, measure, print one JSON line."""
    p = argparse.ArgumentParser(prog="python -m bench.worker", description="one benchmark measurement")
    p.add_argument("--client", required=True)
    p.add_argument("--scenario")
    p.add_argument("--seconds", type=float, default=1.5)
    p.add_argument("--max-requests", type=int, default=1_000_000)
    p.add_argument("--downloads", type=int, default=3, help="downloads for body scenarios")
    p.add_argument("--servers", help="JSON from bench.server.Servers.to_json()")
    p.add_argument("--no-warmup", action="store_true")
    p.add_argument("--probe", action="store_true", help="only load the client and report its version")
    args = p.parse_args(argv)

    # Load the client first: its import-time choices must precede other imports.
    from .clients import SCENARIOS, Unavailable, load

    base = {"client": args.client, "scenario": args.scenario}
    try:
        factory = load(args.client)
    except Unavailable as exc:
        _emit({**base, "status": "n/a", "reason": str(exc)})
        return 0
    if args.probe:
        _emit({**base, "status": "ok", "version": factory.version, "note": factory.note})
        return 0
    from .server import Servers

    if not args.servers or args.scenario not in SCENARIOS:
        _emit({**base, "status": "error", "reason": "need --servers and a known --scenario"})
        return 2
    servers = Servers.from_json(args.servers)
    try:
        result = measure(
            factory,
            SCENARIOS[args.scenario],
            servers,
            args.seconds,
            max(1, args.max_requests),
            args.downloads,
            warmup=not args.no_warmup,
        )
    except Unavailable as exc:
        _emit({**base, "status": "n/a", "reason": str(exc)})
        return 0
    except Exception as exc:
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        _emit({**base, "status": "error", "reason": tb[:300]})
        return 1
    _emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
