"""``python -m bench`` still works end to end: servers up, clients measured, table out.

The benchmark is the README's main job; this runs its smoke mode (every
scenario once, tiny durations and bodies) so it cannot rot unnoticed, and
checks the command line's choices of scenarios and clients.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "small",
    "h20",
    "threads8",
    "big",
    "big-stream",
    "chunked32k",
    "chunked100",
    "gzip",
    "hosts50",
    "small-stream",
    "post-small",
    "https-small",
    "https-big",
    "https-big-stream",
    "upload",
    "upload-file",
    "upload-chunked",
)
_NOT_UNDER_ASAN = pytest.mark.skipif(
    bool(os.environ.get("POOL_UNDER_ASAN")),
    reason="the bench spawns nginx, wrk and workers, which the AddressSanitizer preload would follow",
)


def _run_bench(tmp_path, *args: str) -> tuple[str, dict]:
    out_json = tmp_path / "bench.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            *args,
            "--json",
            str(out_json),
            "--chart",
            str(tmp_path / "bench.png"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    stdout = proc.stdout.decode(errors="replace")
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, f"exit {proc.returncode}\n{stdout[-3000:]}\n{stderr[-3000:]}"
    return stdout, json.loads(out_json.read_text())


@_NOT_UNDER_ASAN
def test_bench_smoke(tmp_path):
    stdout, data = _run_bench(tmp_path, "--clients", "urllib3,raw,pool")

    # Machine facts first, then the table with a row per scenario and client.
    assert stdout.startswith("machine:")
    assert "pinning:" in stdout
    assert "scenario" in stdout and "× urllib3" in stdout and "× raw" in stdout
    lines = stdout.splitlines()
    for scenario in SCENARIOS:
        for client in ("urllib3", "raw"):
            row = [ln for ln in lines if ln.split()[:2] == [scenario, client]]
            assert row, f"no table row for {scenario}/{client}"
            assert "req/s" in row[0] or "MB/s" in row[0], row[0]
        pool_row = [ln for ln in lines if ln.split()[:2] == [scenario, "pool"]]
        assert pool_row, f"no table row for {scenario}/pool (measured or n/a)"

    # The JSON agrees with the table: every urllib3/raw pair measured, ratios set.
    assert data["settings"]["mode"] == "smoke"
    assert data["servers"]["tls"].startswith("https://")
    measured = {(r["scenario"], r["client"]): r for r in data["results"] if "median" in r}
    for scenario in SCENARIOS:
        for client in ("urllib3", "raw"):
            row = measured[(scenario, client)]
            assert row["median"] > 0
        assert measured[(scenario, "urllib3")]["ratio_urllib3"] == 1.0
        assert measured[(scenario, "raw")]["ratio_raw"] == 1.0
    assert data["clients"]["pool"]["status"] in ("ok", "n/a")


@_NOT_UNDER_ASAN
def test_bench_smoke_aa_pair(tmp_path):
    """--aa adds a twin of a client; the run states its noise in the output and the JSON."""
    stdout, data = _run_bench(tmp_path, "--clients", "urllib3,raw", "--aa", "raw", "--scenarios", "small,upload")
    lines = stdout.splitlines()
    for scenario in ("small", "upload"):
        assert [ln for ln in lines if ln.split()[:2] == [scenario, "raw#2"]], scenario
    assert "A/A noise (raw vs raw#2" in stdout
    (pair,) = data["noise"]
    assert (pair["client"], pair["twin"]) == ("raw", "raw#2")
    assert set(pair["per_scenario"]) == {"small", "upload"}
    assert data["clients"]["raw#2"]["status"] == "ok"


def test_scenario_and_client_choices():
    """Big new scenarios are opt-in; 'all' and --smoke take every one; twins are NAME#tag."""
    from bench.__main__ import _parse
    from bench.clients import DEFAULT_SCENARIOS
    from bench.clients import SCENARIOS as ALL

    assert set(SCENARIOS) == set(ALL), "the smoke test must cover every scenario"
    assert [s.name for s in _parse([]).scenario_list] == list(DEFAULT_SCENARIOS)
    assert {"small", "post-small", "https-small", "upload"} <= set(DEFAULT_SCENARIOS)
    assert [s.name for s in _parse(["--scenarios", "all"]).scenario_list] == list(ALL)
    assert [s.name for s in _parse(["--smoke"]).scenario_list] == list(ALL)
    args = _parse(["--clients", "urllib3,pool#b", "--aa", "pool"])
    assert args.client_list == ["urllib3", "pool#b", "pool", "pool#2"]
    for bad in (["--clients", "nope#2"], ["--clients", "pool#"], ["--aa", "pool#2"]):
        with pytest.raises(SystemExit):
            _parse(bad)


def test_readme_table_is_the_committed_run():
    """The README's benchmark table is docs/bench.json rendered by
    ``python -m bench.report``: a table typed by hand once printed bytes per
    second under an MB/s heading."""
    from bench.report import readme_table

    root = Path(__file__).resolve().parent.parent
    payload = json.loads((root / "docs" / "bench.json").read_text(encoding="utf-8"))
    table = readme_table(payload)
    assert table.splitlines()[0].startswith("| scenario | pool |")
    assert table in (root / "README.md").read_text(encoding="utf-8")


@_NOT_UNDER_ASAN
def test_server_cost_smoke():
    """``python -m bench.server_cost`` runs its three raw loops and prints a row each."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.server_cost", "--requests", "300", "--rounds", "1", "--work-us", "5"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {ln.split("|")[1].strip(): ln for ln in proc.stdout.splitlines() if ln.startswith("| ")}
    assert set(rows) >= {"none", "spin", "walk"}, proc.stdout
    for mode in ("none", "spin", "walk"):
        wall = float(rows[mode].split("|")[3])
        assert wall > 0, rows[mode]
