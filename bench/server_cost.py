"""What the server's CPU per request owes to the client's own work.

``python -m bench.server_cost`` sends the ``small`` GET from the raw loop (the
floor: one ``sendall``, one ``recv_into``, the same bytes every time) in
three ways, alternated over ``--rounds``:

- ``none``: request after request;
- ``spin``: then ``--work-us`` µs of a loop that touches no memory;
- ``walk``: then ``--work-us`` µs of copying 64 KiB slices of a 1 MiB buffer.

The server sees the same bytes in all three, yet in the profile
(``bench.profile``) its CPU per request grows with the client's time per
request.  This shows whether that comes from what the client does between
requests (the server and the client share a CPU when the bench pins them),
not from what it sends.  The server's CPU is read from /proc as
``bench.profile`` reads it.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from .profile import _cpu_ns, _server_pids
from .server import start_servers

# The client, in its own process (pinned as the bench pins its workers).  It
# prints "ready" after a warm-up, waits for a line, then runs and prints
# its wall time in seconds.
_CLIENT = r"""
import os, socket, sys, time
base, mode, n, work_ns, cpu = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
if cpu != "None" and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {int(cpu)})
host, port = base.rsplit("/", 1)[-1].rsplit(":", 1)
req = f"GET /small HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
s = socket.create_connection((host, int(port)), timeout=10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
buf = bytearray(65536)
big = memoryview(bytearray(1 << 20))
clock = time.perf_counter_ns

def one():
    s.sendall(req)
    if s.recv_into(buf) < 1024:  # the 1 KiB body came with the head
        raise SystemExit("short answer: expected the whole small response in one read")

def spin():
    end = clock() + work_ns
    while clock() < end:
        pass

def walk():
    end = clock() + work_ns
    i = 0
    while clock() < end:
        bytes(big[i : i + 65536])
        i = (i + 65536 + 4160) % (len(big) - 65536)

extra = {"none": None, "spin": spin, "walk": walk}[mode]
for _ in range(500):
    one()
print("ready", flush=True)
sys.stdin.readline()
t0 = time.perf_counter()
for _ in range(n):
    one()
    if extra is not None:
        extra()
print(time.perf_counter() - t0, flush=True)
"""

MODES = ("none", "spin", "walk")


def _run(servers, pids: list[int], mode: str, n: int, work_us: float) -> tuple[float, float]:
    """(server CPU µs per request, wall µs per request) of one client run."""
    cmd = [sys.executable, "-c", _CLIENT, servers.main, mode, str(n), str(int(work_us * 1000)), str(servers.cpu)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"client ({mode}) did not start")
        before = _cpu_ns(pids)
        proc.stdin.write("\n")
        proc.stdin.flush()
        wall = float(proc.stdout.readline())
        after = _cpu_ns(pids)
        if proc.wait(timeout=60) != 0:
            raise RuntimeError(f"client ({mode}) failed")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return (after - before) / n / 1000, wall / n * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.server_cost", description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=20000, help="requests per run (default 20000)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each mode, alternated (default 3)")
    ap.add_argument("--work-us", type=float, default=30.0, help="client work after each request, µs (default 30)")
    args = ap.parse_args(argv)
    with start_servers() as servers:
        print(f"server: {servers.server_version}; pinning: {servers.pinning}", flush=True)
        pids = _server_pids()
        runs: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                runs[mode].append(_run(servers, pids, mode, args.requests, args.work_us))
    print(f"\n{args.requests} requests per run, {args.rounds} rounds, {args.work_us:g} µs of client work")
    print("\n| client between requests | server CPU µs/request (median; range) | wall µs/request (median) |")
    print("|---|---|---|")
    for mode in MODES:
        server = [r[0] for r in runs[mode]]
        wall = [r[1] for r in runs[mode]]
        print(
            f"| {mode} | {statistics.median(server):.1f} ({min(server):.1f}–{max(server):.1f}) "
            f"| {statistics.median(wall):.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
