"""Instructions per request, for comparing two versions of pool on the request
path: ``python -m bench.instructions``.

    python -m bench.instructions [--kinds get,stream,post] [--requests 1000]
    python -m bench.instructions --clients raw,pycurl,pool,urllib3
    python -m bench.instructions --copies 5

Wall-clock rates on a shared machine move by 10-40% between runs of the same
client; instruction counts do not.  For each kind of keep-alive request this
runs a client loop of 1 and of N+1 requests against the bench's nginx under
``valgrind --tool=callgrind`` (client only) and prints the difference divided
by N: the client's instructions per request, start-up excluded, the same
run after run in one directory (the hash seed is fixed).  To compare two
versions, run it in each checkout (built in place) with ``--copies``.
``--clients`` counts a small keep-alive GET the way ``python -m bench``
makes it, through each named client's wrapper in bench.clients: pool
against the raw floor and pycurl in instructions rather than seconds.

The same build counts a few percent differently from another directory
(the process's layout moves: which names collide in CPython's method cache
and dicts).  ``--copies N`` counts in N copies of the built package at
paths of different lengths and prints the median and the range: compare
two versions by their medians.
Needs valgrind; slow (about 50x), so keep N small.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .clients import client_env, is_client_name
from .server import start_servers

_ROOT = Path(__file__).resolve().parent.parent
_TIMEOUT = 900.0

# The client loop: the checkout's pool (cwd first on sys.path), one warm-up
# request, then N more.
_LOOP = r"""
import sys
sys.path.insert(0, ".")
import pool
base, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
pm = pool.PoolManager()
body = b'{"k": "' + b"v" * 1000 + b'"}'
def get():
    pm.request("GET", base + "/small").data
def stream():
    r = pm.request("GET", base + "/small", preload_content=False)
    for _ in r.stream(65536):
        pass
    r.release_conn()
def post():
    pm.request("POST", base + "/post", body=body, headers={"Content-Type": "application/json"}).data
fn = {"get": get, "stream": stream, "post": post}[kind]
for _ in range(n + 1):
    fn()
"""

# The same small GET through a benchmark client's wrapper (bench.clients).
_CLIENT_LOOP = r"""
import sys
sys.path.insert(0, ".")
from bench.clients import load
name, url, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = load(name).make()
for _ in range(n + 1):
    client.get(url)
"""


def _count(loop: str, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", loop, *args],
        cwd=cwd,
        # A fixed hash seed: with a random one, dict-lookup collisions move
        # the count by 1-2k instructions between runs of the same code.
        env={**(os.environ if env is None else env), "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )
    for line in out.stderr.splitlines():
        if "Collected" in line:
            return int(line.split()[-1])
    raise RuntimeError(f"callgrind gave no count for {args}: {out.stderr.strip()[-300:]}")


def _per_request(loop: str, args: list[str], n: int, dirs: list[Path], env: dict[str, str] | None = None) -> str:
    # Instructions per request in each directory: one figure, or the
    # median and the range over the copies.
    counts = sorted((_count(loop, [*args, str(n)], d, env) - _count(loop, [*args, "0"], d, env)) / n for d in dirs)
    if len(counts) == 1:
        return f"{counts[0]:>10,.0f}"
    return f"{statistics.median(counts):>10,.0f} (range {counts[0]:,.0f}-{counts[-1]:,.0f} over {len(counts)} copies)"


def _copies(n: int, top: Path) -> list[Path]:
    # The checkout's built package (and the bench package, for --clients),
    # copied to n directories whose paths differ in length.
    dirs = []
    for i in range(n):
        d = top / ("c" + "x" * (7 * i))
        for name in ("pool", "bench"):
            shutil.copytree(_ROOT / name, d / name, ignore=shutil.ignore_patterns("__pycache__"))
        dirs.append(d)
    return dirs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.split("\n\n")[0])
    p.add_argument("--kinds", default="get,stream,post")
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--clients", default="", help="count these bench clients' small GET instead (e.g. raw,pycurl,pool)")
    p.add_argument("--copies", type=int, default=1, help="count in N copies of the built package at different paths")
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    kinds = [k for k in args.kinds.split(",") if k]
    bad = [k for k in kinds if k not in ("get", "stream", "post")]
    if bad:
        p.error(f"unknown kind(s): {', '.join(bad)}")
    clients = [c for c in args.clients.split(",") if c]
    bad = [c for c in clients if not is_client_name(c)]
    if bad:
        p.error(f"unknown client(s): {', '.join(bad)}")
    n = max(1, args.requests)
    with contextlib.ExitStack() as stack:
        dirs = [_ROOT]
        if args.copies > 1:
            top = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-instructions-")))
            dirs = _copies(args.copies, top)
        servers = stack.enter_context(start_servers(pin=False))
        if clients:
            url = servers.main + "/small"
            for name in clients:
                counted = _per_request(_CLIENT_LOOP, [name, url], n, dirs, client_env(name))
                print(f"{name:<9} {counted} instructions per small GET", flush=True)
            return 0
        for kind in kinds:
            counted = _per_request(_LOOP, [servers.main, kind], n, dirs)
            print(f"{kind:<7} {counted} instructions per request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
