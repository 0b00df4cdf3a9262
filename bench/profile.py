"""Where the time of a request goes: ``python -m bench.profile``.

    python -m bench.profile [--scenarios small,post-small] [--clients pool,pycurl,raw]
                            [--seconds 5] [--markdown FILE]

For each (scenario, client) it runs one ``bench.worker`` process, the same
measurement ``python -m bench`` makes, under ``perf record`` with a fixed
CPU-clock sampling period, and sorts the client's CPU time by the shared object
it was spent in:

- **kernel**: system calls, TCP on loopback, the scheduler (``[kernel.*]``, vDSO);
- **interpreter**: libpython / the python executable (bytecode, object churn);
- **compiled**: the client's own compiled code (pool's ``_wire_c`` and its
  compiled request path, pool/_compiled.py's MODULES; pycurl's module and
  libcurl);
- **tls**: OpenSSL and the ``_ssl`` module;
- **other**: libc, the dynamic loader and other extension modules.

The server's CPU time (nginx workers, or the Python bench server for the
scenarios it serves) is read from ``/proc`` before and after each run.  Every
figure is microseconds per request (per MiB for body scenarios), so clients
can be compared column by column.  Start-up (imports, server set-up) is
subtracted: a worker that only loads the client is sampled too, and only
the difference is counted.

Needs Linux and ``perf`` (Debian: linux-perf) with permission to sample
(root, or ``kernel.perf_event_paranoid`` <= 1 for the kernel column).  Not
part of CI: it is a tool for reading where time goes, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pool._compiled import MODULES as _REQUEST_PATH

from .clients import SCENARIOS, client_env
from .server import start_servers
from .worker import _WARMUP_REQUESTS

_ROOT = Path(__file__).resolve().parent.parent
# One sample per 250 µs of CPU time: samples × period = CPU time.
_PERIOD_NS = 250_000
_CATEGORIES = ("kernel", "interpreter", "compiled", "tls", "other")
_DEFAULT_SCENARIOS = "small,small-stream,post-small,https-small,big,https-big,upload"
_DEFAULT_CLIENTS = "pool,pycurl,raw,urllib3"
_WORKER_TIMEOUT = 300.0
# pool's compiled modules, named like pool/connection.cpython-311-x86_64-linux-gnu.so.
_POOL_COMPILED = tuple(name.rpartition(".")[2] + "." for name in ("pool._wire_c", *_REQUEST_PATH))


def _category(dso: str) -> str:
    """The column a shared object's samples go to."""
    name = os.path.basename(dso)
    if dso.startswith("[kernel") or dso in ("[vdso]", "[vsyscall]"):
        return "kernel"
    if name.startswith("libpython") or name.startswith("python3") or name == "python":
        return "interpreter"
    if name.startswith(("pycurl", "libcurl", *_POOL_COMPILED)):
        return "compiled"
    if name.startswith(("libssl", "libcrypto", "_ssl")):
        return "tls"
    return "other"


def _dso_samples(data: str) -> dict[str, int]:
    """Samples per shared object in a perf.data file."""
    out = subprocess.run(
        ["perf", "report", "-i", data, "--sort", "dso", "--stdio", "-q", "-n", "-F", "sample,dso"],
        capture_output=True,
        text=True,
        timeout=_WORKER_TIMEOUT,
        check=False,
    )
    samples: dict[str, int] = {}
    for line in out.stdout.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            samples[parts[1].strip()] = samples.get(parts[1].strip(), 0) + int(parts[0])
    return samples


def _server_pids() -> list[int]:
    """nginx and Python bench-server processes (their CPU time is the server's)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if cmd.startswith(b"nginx") or b"bench.server --serve" in cmd:
            pids.append(int(entry))
    return pids


def _cpu_ns(pids: list[int]) -> int:
    """utime + stime of ``pids`` (and their exited children) in nanoseconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime are fields 14-17 (1-based) of stat.
        total += sum(int(v) for v in fields[11:15])
    return total * 1_000_000_000 // tick


def _sampled(servers, client: str, scenario: str, worker_args: list[str], tmp: str) -> tuple[dict, dict, int]:
    """Run one worker under perf: (its JSON result, samples per category, server CPU ns)."""
    data = os.path.join(tmp, f"{scenario}-{client}.data")
    worker = [sys.executable, "-m", "bench.worker", "--client", client, "--scenario", scenario]
    worker += ["--servers", servers.to_json()] + worker_args
    cmd = ["perf", "record", "-q", "-e", "cpu-clock", "-c", str(_PERIOD_NS), "-o", data, "--"]
    cmd += servers.pin_prefix() + worker
    env = client_env(client)
    env["PYTHONPATH"] = str(_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    spids = _server_pids()
    s0 = _cpu_ns(spids)
    proc = subprocess.run(cmd, cwd=_ROOT, env=env, capture_output=True, text=True, timeout=_WORKER_TIMEOUT, check=False)
    server_ns = _cpu_ns(spids) - s0
    result: dict = {}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            result = json.loads(line)
            break
    if result.get("status") != "ok":
        reason = result.get("reason") or (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "skipped", "reason": reason}, {}, 0
    by_cat = dict.fromkeys(_CATEGORIES, 0)
    samples = _dso_samples(data)
    for dso, n in samples.items():
        by_cat[_category(dso)] += n
    result["top"] = sorted(samples.items(), key=lambda kv: -kv[1])[:6]
    return result, by_cat, server_ns


def _run_one(servers, client: str, scenario: str, seconds: float, downloads: int, tmp: str) -> dict:
    """Profile one (scenario, client): a full run minus a start-up-only run.

    The baseline only loads the client (``bench.worker --probe``), so the
    difference is the work: the warm-up (``_WARMUP_REQUESTS`` requests, or
    one download) and the measured requests or downloads.
    """
    body = SCENARIOS[scenario].unit == "B/s"
    common = ["--max-requests", "100000000", "--downloads", str(downloads)]
    full, cats, server_ns = _sampled(servers, client, scenario, ["--seconds", str(seconds)] + common, tmp)
    if full.get("status") != "ok":
        return full
    _, base_cats, _ = _sampled(servers, client, scenario, ["--probe"], tmp)
    if body:
        units = full["units"] * (full["count"] + 1) / full["count"] / (1 << 20)
        per, rate = "MiB", full["value"] / (1 << 20)
    else:
        units, per, rate = full["count"] + _WARMUP_REQUESTS, "request", full["value"]
    us = {k: max(0, cats[k] - base_cats.get(k, 0)) * _PERIOD_NS / 1000 / units for k in _CATEGORIES}
    return {
        "status": "ok",
        "per": per,
        "rate": rate,
        "wall_us": 1e6 / rate,
        "client_us": us,
        "client_total_us": sum(us.values()),
        "server_us": server_ns / 1000 / units,
        "top": full["top"],
    }


def _python_functions(servers, client: str, scenario: str, count: int, most: int = 15) -> str:
    """The Python functions ``client`` spends a ``scenario`` request in, by self time.

    cProfile in this process, timing CPU (not waiting for the server).  Its
    own overhead is spread over every call, so read the shares and the calls
    per request.
    """
    import cProfile
    import pstats

    from .clients import Job, load

    job = Job(load(client), SCENARIOS[scenario], servers)
    try:
        for _ in range(_WARMUP_REQUESTS):
            job.op()
        # CPU time, not wall time: waiting for the server is not the client's cost.
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(count):
            job.op()
        prof.disable()
    finally:
        job.close()
    stats = pstats.Stats(prof)
    rows = []
    total_self = 0.0
    total_calls = 0
    for (path, line, name), (_cc, ncalls, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total_self += tottime
        total_calls += ncalls
        where = f"{Path(path).name}:{line}" if path != "~" else "built-in"
        rows.append((tottime, ncalls, f"{name} ({where})"))
    rows.sort(reverse=True)
    lines = [
        f"### {client}, {scenario}: {total_calls / count:.1f} Python-level calls per request",
        "",
    ]
    # cProfile sees no compiled function: say which ones it could not list.
    tracker = sys.modules.get("pool._compiled")
    unseen = tracker.compiled_modules() if tracker is not None else ()
    if unseen:
        lines += [f"Compiled, so not listed: {', '.join(unseen)} (POOL_NO_EXTENSIONS=1 runs them from source).", ""]
    lines += [
        "| function | calls/request | share of self time |",
        "|---|---|---|",
    ]
    for tottime, ncalls, label in rows[:most]:
        label = label.replace("|", "\\|")
        lines.append(f"| `{label}` | {ncalls / count:.2f} | {100 * tottime / total_self:.1f}% |")
    return "\n".join(lines) + "\n"


def _table(scenario: str, rows: dict[str, dict]) -> str:
    per = next((r["per"] for r in rows.values() if r["status"] == "ok"), "request")
    unit = "MiB/s" if per == "MiB" else "req/s"
    head = f"| client | {unit} | wall µs/{per} | client CPU | " + " | ".join(_CATEGORIES) + " | server |"
    lines = [f"### {scenario}", "", head, "|" + "---|" * (5 + len(_CATEGORIES))]
    for client, r in rows.items():
        if r["status"] != "ok":
            lines.append(f"| {client} | n/a: {r['reason'][:60]} |" + " |" * (3 + len(_CATEGORIES)))
            continue
        cells = " | ".join(f"{r['client_us'][k]:.1f}" for k in _CATEGORIES)
        lines.append(
            f"| {client} | {r['rate']:,.0f} | {r['wall_us']:.1f} | {r['client_total_us']:.1f} | {cells} "
            f"| {r['server_us']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    p.add_argument("--scenarios", default=_DEFAULT_SCENARIOS)
    p.add_argument("--clients", default=_DEFAULT_CLIENTS)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--downloads", type=int, default=8, help="downloads per body-scenario run")
    p.add_argument("--markdown", help="also write the tables to this file")
    p.add_argument("--json", help="also write the raw figures to this file")
    p.add_argument(
        "--functions",
        metavar="SCENARIO",
        help="instead: cProfile the first of --clients on SCENARIO in this process and list its Python functions "
        "by self time (cProfile sees no compiled function: set POOL_NO_EXTENSIONS=1 yourself to see pool's "
        "request path, which then runs from source, with the twin)",
    )
    p.add_argument("--requests", type=int, default=5000, help="requests profiled with --functions")
    args = p.parse_args(argv)
    if args.functions:
        if args.functions not in SCENARIOS:
            p.error(f"unknown scenario: {args.functions}")
        with start_servers() as servers:
            text = _python_functions(servers, args.clients.split(",")[0], args.functions, args.requests)
        print(text)
        if args.markdown:
            Path(args.markdown).write_text(text)
        return 0
    if shutil.which("perf") is None:
        print("perf is not installed (Debian: apt-get install linux-perf)", file=sys.stderr)
        return 2
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(unknown)}")
    clients = [c for c in args.clients.split(",") if c]
    results: dict[str, dict[str, dict]] = {}
    out = []
    with start_servers() as servers, tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        print(f"server: {servers.server_version}; pinning: {servers.pinning}", flush=True)
        for sc in scenarios:
            results[sc] = {}
            for c in clients:
                results[sc][c] = r = _run_one(servers, c, sc, args.seconds, args.downloads, tmp)
                if r["status"] == "ok":
                    top = ", ".join(f"{os.path.basename(d)} {n * _PERIOD_NS / 1e9:.2f}s" for d, n in r["top"][:4])
                    print(f"{sc:<14} {c:<9} {r['rate']:>10,.0f}/s  top: {top}", flush=True)
                else:
                    print(f"{sc:<14} {c:<9} skipped: {r['reason']}", flush=True)
            out.append(_table(sc, results[sc]))
    text = "\n".join(out)
    print()
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
