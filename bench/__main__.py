"""``python -m bench``: how fast is pool against urllib3 and its peers, end to end.

Starts local servers (nginx, or a Python fallback; see bench/server.py),
checks that the server is not the bottleneck, measures every scenario for
every installed client in a fresh pinned process per measurement
(bench/worker.py), alternating the client order round by round so drift on a
busy machine is spread over all of them, then prints one table with ratios to
urllib3 and to the ``raw`` floor, and saves JSON and a chart.

    python -m bench [--quick | --smoke] [--rounds R] [--clients a,b] [--aa CLIENT]
                    [--scenarios x,y | all] [--json PATH] [--chart PATH]

A client listed twice under two names (``--clients pool,pool#2`` or
``--aa pool``) is an A/A pair: the same code measured as two clients, so the
spread between them is the run's noise, printed under the table.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import report
from .clients import CLIENTS, DEFAULT_SCENARIOS, POST_BODY, SCENARIOS, base_client, client_env, is_client_name
from .server import Servers, die_with_parent, start_servers

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parent
RESULTS = _HERE / "results"

#: Above this share of what the server can do, a number says more about the server.
SERVER_SHARE_WARNING = 0.80
# Presets: (rounds, seconds per request-scenario run, downloads per body run).
_DEFAULT = (3, 1.5, 3)
_QUICK = (3, 0.5, 2)
_SMOKE = (1, 0.05, 1)
_MAX_REQUESTS = 2_000_000


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="3 rounds of 0.5 s: a few minutes")
    mode.add_argument("--smoke", action="store_true", help="every scenario once, tiny durations and bodies (for tests)")
    p.add_argument("--rounds", type=int, help="rounds per (client, scenario); default 3")
    p.add_argument("--seconds", type=float, help="seconds per request-scenario run; default 1.5")
    p.add_argument("--downloads", type=int, help="downloads per body-scenario run; default 3")
    p.add_argument(
        "--clients",
        help=f"comma-separated, from: {','.join(CLIENTS)} (default: all); NAME#2 measures NAME a second time",
    )
    p.add_argument(
        "--aa", metavar="CLIENT", help="add CLIENT#2, an A/A twin of CLIENT: their spread is the run's noise"
    )
    p.add_argument(
        "--scenarios",
        help=f"comma-separated, from: {','.join(SCENARIOS)}; or 'all' "
        f"(default: all but {','.join(s for s in SCENARIOS if s not in DEFAULT_SCENARIOS)}; --smoke: all)",
    )
    p.add_argument("--json", type=Path, default=RESULTS / "latest.json", help="results file")
    p.add_argument("--chart", type=Path, default=RESULTS / "bench.png", help="chart file (PNG)")
    p.add_argument("--no-chart", action="store_true")
    p.add_argument("--install", action="store_true", help="apt-get install nginx-light if missing (root)")
    p.add_argument("--python-server", action="store_true", help="use the Python server even if nginx exists")
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to one CPU")
    args = p.parse_args(argv)
    rounds, seconds, downloads = _SMOKE if args.smoke else _QUICK if args.quick else _DEFAULT
    args.rounds = max(1, args.rounds or rounds)
    args.seconds = args.seconds if args.seconds and args.seconds > 0 else seconds
    args.downloads = max(1, args.downloads or downloads)
    args.client_list = _pick(args.clients, CLIENTS, "client", p, is_client_name)
    if args.aa:
        if not is_client_name(args.aa) or "#" in args.aa:
            p.error(f"--aa: unknown client {args.aa!r}; known: {', '.join(CLIENTS)}")
        if args.aa not in args.client_list:
            args.client_list.append(args.aa)
        twin = f"{args.aa}#2"
        if twin not in args.client_list:
            args.client_list.append(twin)
    scenario_text = args.scenarios
    if scenario_text and scenario_text.strip() == "all":
        scenario_text = ",".join(SCENARIOS)
    default_scenarios = tuple(SCENARIOS) if args.smoke else DEFAULT_SCENARIOS
    names = _pick(scenario_text, tuple(SCENARIOS), "scenario", p, default=default_scenarios)
    args.scenario_list = [SCENARIOS[s] for s in names]
    return args


def _pick(
    text: str | None,
    known: tuple[str, ...],
    what: str,
    p: argparse.ArgumentParser,
    valid=None,
    default: tuple[str, ...] | None = None,
) -> list[str]:
    if not text:
        return list(default if default is not None else known)
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if not (valid(n) if valid else n in known)]
    if bad:
        p.error(f"unknown {what}(s): {', '.join(bad)}; known: {', '.join(known)}")
    return list(dict.fromkeys(names))


def _worker(servers: Servers, client: str, extra: list[str], timeout: float) -> dict:
    """Run one bench.worker process (pinned); its JSON line, or an error dict."""
    cmd = servers.pin_prefix() + [sys.executable, "-m", "bench.worker", "--client", client] + extra
    env = client_env(client)
    env["PYTHONPATH"] = str(_ROOT) + (":" + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen(
        cmd,
        cwd=_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
        return {"status": "error", "reason": f"worker timed out after {timeout:.0f} s"}
    except BaseException:
        proc.kill()
        proc.wait(10)
        raise
    for line in reversed(out.decode(errors="replace").splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
    return {"status": "error", "reason": f"worker exited {proc.returncode}: {tail[0][:300]}"}


# What wrk runs to learn the server's capacity for each request scenario:
# (path, connections, POST body or None).  threads8 gets 8 connections like
# the clients do.  Body scenarios (downloads and uploads) are left out: wrk
# reads in 8 KiB pieces, so it moves bulk data slower than a Python client
# with large reads and would understate the server; there the raw column is
# the ceiling (the kernel's copies).
_WRK_LOADS: dict[str, tuple[str, int, bytes | None]] = {
    "small": ("/small", 1, None),
    "small-stream": ("/small", 1, None),
    "h20": ("/h20", 1, None),
    "gzip": ("/gz", 1, None),
    "threads8": ("/small", 8, None),
    "hosts50": ("/small", 1, None),
    "https-small": ("/small", 1, None),
    "post-small": ("/post", 1, POST_BODY),
}
_WRK_SIZE = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def _wrk(base: str, path: str, conns: int, prefix: list[str], post: bytes | None = None) -> tuple[float, float] | None:
    """(requests/s, bytes/s) that wrk gets from one server on the pinned CPU (POSTing ``post``)."""
    cmd = prefix + ["wrk", "-t1", f"-c{conns}", "-d1s", "--timeout", "10s"]
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        if post is not None:
            script = Path(tmp) / "post.lua"
            script.write_text(
                'wrk.method = "POST"\n'
                f"wrk.body = [==[{post.decode()}]==]\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
            )
            cmd += ["-s", str(script)]
        cmd.append(base + path)
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=30).stdout.decode(errors="replace")
        except (subprocess.SubprocessError, OSError):
            return None
    req = re.search(r"Requests/sec:\s*([\d.]+)", out)
    xfer = re.search(r"Transfer/sec:\s*([\d.]+)\s*([KMGT]?B)", out)
    if not req or not xfer or "Non-2xx" in out:
        return None
    return float(req.group(1)), float(xfer.group(1)) * _WRK_SIZE[xfer.group(2)]


def _server_check(servers: Servers, scenarios, previous: dict | None = None) -> dict:
    """What wrk gets per scenario, in the scenario's unit (best of this and any previous check)."""
    if shutil.which("wrk") is None:
        return {"tool": None, "note": "wrk not installed (apt package wrk): comparing with the raw floor only"}
    loads: dict[tuple[str, str, int, bytes | None], list] = {}
    for sc in scenarios:
        if sc.name in _WRK_LOADS:
            base = servers.tls if sc.server == "tls" else servers.main
            if base:
                loads.setdefault((base, *_WRK_LOADS[sc.name]), []).append(sc)
    best = dict((previous or {}).get("capacity") or {})
    for (base, path, conns, post), scs in loads.items():
        got = _wrk(base, path, conns, servers.pin_prefix(), post)
        for sc in scs:
            value = None if got is None else got[1] if sc.unit == "B/s" else got[0]
            if value and value > (best.get(sc.name) or 0):
                best[sc.name] = value
    return {"tool": "wrk -t1 -d1s (-c1; -c8 for threads8)", "capacity": best}


def _server_warnings(rows: list[dict], check: dict) -> list[str]:
    """Warnings for numbers close to what the server itself can do (one line per client)."""
    capacity = check.get("capacity") or {}
    near_server: dict[str, list[str]] = {}
    near_raw: dict[str, list[str]] = {}
    for r in rows:
        if "median" not in r:
            continue
        cap = capacity.get(r["scenario"])
        if cap:
            share = r["median"] / cap
            if share > SERVER_SHARE_WARNING:
                near_server.setdefault(r["client"], []).append(f"{r['scenario']} {share:.0%}")
        elif (
            not capacity
            and r["unit"] == "req/s"
            and base_client(r["client"]) != "raw"
            and (r.get("ratio_raw") or 0) > SERVER_SHARE_WARNING
        ):
            # Without wrk, the raw floor stands in for the server's capacity.
            near_raw.setdefault(r["client"], []).append(f"{r['scenario']} {r['ratio_raw']:.0%}")
    warnings = [
        f"WARNING: {c} reaches more than {SERVER_SHARE_WARNING:.0%} of what the server serves to wrk "
        f"({', '.join(items)}): there the server, not the client, sets the pace."
        for c, items in near_server.items()
    ]
    warnings += [
        f"WARNING: {c} reaches more than {SERVER_SHARE_WARNING:.0%} of the raw floor "
        f"({', '.join(items)}): the server may be the limit there."
        for c, items in near_raw.items()
    ]
    return warnings


def _load_warning(facts: dict) -> str:
    """A warning when other work is keeping the machine busy, else ''."""
    try:
        load1 = float(facts["load_average"].split()[0])
    except (ValueError, IndexError):
        return ""
    if load1 > max(1.0, facts["usable_cores"] / 2):
        return (
            f"WARNING: load average {load1:.1f} on {facts['usable_cores']} cores: other work is running, "
            "so expect wide min–max ranges; medians over more --rounds help."
        )
    return ""


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_check(check: dict, when: str) -> None:
    if check.get("tool"):
        caps = ", ".join(f"{k} {report.fmt_value(v, SCENARIOS[k].unit)}" for k, v in check["capacity"].items() if v)
        print(f"server check, {when} ({check['tool']}, same CPU): {caps or 'no answer'}")
    else:
        print(f"server check: {check.get('note')}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if a client failed, 130 if interrupted."""
    args = _parse(argv)
    log = report.progress
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    t_start = time.monotonic()
    with start_servers(
        small_bodies=args.smoke, install=args.install, pin=not args.no_pin, use_nginx=not args.python_server
    ) as servers:
        facts = report.machine_facts(servers.pinning)
        print(
            f"machine: {facts['cpu']}, {facts['cores']} cores ({facts['usable_cores']} usable), "
            f"load {facts['load_average']}"
        )
        print(f"python:  {facts['python']} on {facts['platform']}")
        print(f"pinning: {facts['pinning']}")
        print(
            f"server:  {servers.server_version} at {servers.main}"
            + (f", TLS 1.3 at {servers.tls}" if servers.tls else "")
            + f"; chunked bodies and uploads at {servers.chunked}"
        )
        if args.smoke:
            print("mode:    smoke (one tiny run each, 1 MiB bodies: numbers are not meaningful)")
        load_warning = _load_warning(facts)
        if load_warning:
            servers.warnings.append(load_warning)
        for w in servers.warnings:
            print(w)
        sys.stdout.flush()

        # Which clients can run here at all (one cheap process each).
        status: dict[str, dict] = {}
        for c in args.client_list:
            st = _worker(servers, c, ["--probe"], timeout=60)
            status[c] = st
            log(
                f"client {c}: "
                + (
                    st.get("version", "")
                    if st.get("status") == "ok"
                    else f"{st.get('status')} ({st.get('reason', '')})"
                )
            )
        runnable = [c for c in args.client_list if status[c].get("status") == "ok"]

        # Smoke runs only check the first scenario: the check costs a second each.
        check = _server_check(servers, args.scenario_list[:1] if args.smoke else args.scenario_list)
        _print_check(check, "before")

        samples: dict[tuple[str, str], list[float]] = {}
        errors: dict[tuple[str, str], str] = {}
        skipped: dict[tuple[str, str], str] = {}  # scenarios a client (or this run) cannot do
        total = args.rounds * len(args.scenario_list) * len(runnable)
        done = 0
        interrupted = False
        common = [
            "--servers",
            servers.to_json(),
            "--max-requests",
            str(_MAX_REQUESTS),
            "--seconds",
            str(args.seconds),
            "--downloads",
            str(args.downloads),
        ]
        if args.smoke:
            common.append("--no-warmup")
        try:
            for rnd in range(args.rounds):
                for sc in args.scenario_list:
                    # Rotate the order each round: no client always runs first or last.
                    k = rnd % len(runnable) if runnable else 0
                    order = runnable[k:] + runnable[:k]
                    for c in order:
                        done += 1
                        if (sc.name, c) in errors or (sc.name, c) in skipped:
                            continue
                        budget = args.seconds * (8 if sc.unit == "B/s" else 1) + 90
                        res = _worker(servers, c, ["--scenario", sc.name] + common, timeout=budget)
                        if res.get("status") == "ok":
                            samples.setdefault((sc.name, c), []).append(res["value"])
                            log(
                                f"[{done:>4}/{total}] round {rnd + 1} {sc.name:<16} {c:<14} "
                                f"{report.fmt_value(res['value'], sc.unit)}"
                            )
                        elif res.get("status") == "n/a":
                            skipped[(sc.name, c)] = res.get("reason", "")
                            log(f"[{done:>4}/{total}] round {rnd + 1} {sc.name:<16} {c:<14} n/a: {res.get('reason')}")
                        else:
                            errors[(sc.name, c)] = res.get("reason", "unknown error")
                            log(
                                f"[{done:>4}/{total}] round {rnd + 1} {sc.name:<16} {c:<14} "
                                f"{res.get('status')}: {res.get('reason')}"
                            )
        except KeyboardInterrupt:
            interrupted = True
            log("interrupted: reporting what was measured so far")

        if not args.smoke and not interrupted:
            check = _server_check(servers, args.scenario_list, check)
            _print_check(check, "best of before and after")
        for (sc_name, c), _why in errors.items():
            samples.pop((sc_name, c), None)
        rows = report.summarize(samples, args.scenario_list, args.client_list)
        noise = report.noise(rows)
        warnings = list(servers.warnings)
        if not args.smoke:  # smoke numbers are too short to judge the server by
            warnings += _server_warnings(rows, check)

        print()
        print(report.table(rows, status, errors, skipped))
        if noise:
            print()
            print(report.noise_text(noise))
        if warnings:
            print()
            print("\n".join(warnings))

        payload = {
            "machine": facts,
            "servers": {
                "kind": servers.kind,
                "version": servers.server_version,
                "main": servers.main,
                "chunked": servers.chunked,
                "tls": servers.tls,
                "tls_missing": servers.tls_missing,
                "upload": servers.upload,
                "upload_size": servers.upload_size,
                "sizes": servers.sizes,
            },
            "settings": {
                "rounds": args.rounds,
                "seconds": args.seconds,
                "downloads": args.downloads,
                "mode": "smoke" if args.smoke else "quick" if args.quick else "default",
                "interrupted": interrupted,
            },
            "server_check": check,
            "clients": status,
            "scenarios": {s.name: s.doc for s in args.scenario_list},
            "results": rows,
            "noise": noise,
            "errors": [{"scenario": s, "client": c, "reason": r} for (s, c), r in errors.items()],
            "skipped": [{"scenario": s, "client": c, "reason": r} for (s, c), r in skipped.items()],
            "warnings": warnings,
            "elapsed_s": time.monotonic() - t_start,
        }
        print()
        report.write_json(args.json, payload)
        print(f"results: {args.json}")
        if not args.no_chart:
            title = (
                f"{facts['cpu']} · {facts['python']} · {servers.server_version} · "
                f"{args.rounds} rounds · {facts['pinning']}"
            )
            print(report.write_chart(args.chart, rows, args.scenario_list, args.client_list, title))
    if interrupted:
        return 130
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C during start-up; servers are already stopped
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        sys.exit(130)
