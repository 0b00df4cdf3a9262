"""``python -m bench`` still works end to end: servers up, clients measured, table out.

The benchmark is the README's main job; this runs its smoke mode (every
scenario once, tiny durations and bodies) so it cannot rot unnoticed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("small", "h20", "threads8", "big", "big-stream", "chunked32k", "chunked100", "gzip", "hosts50")


@pytest.mark.skipif(
    bool(os.environ.get("POOL_UNDER_ASAN")),
    reason="the bench spawns nginx, wrk and workers, which the AddressSanitizer preload would follow",
)
def test_bench_smoke(tmp_path):
    out_json = tmp_path / "bench.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(
        [
            sys.executable, "-m", "bench", "--smoke", "--clients", "urllib3,raw,pool",
            "--json", str(out_json), "--chart", str(tmp_path / "bench.png"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    stdout = proc.stdout.decode(errors="replace")
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, f"exit {proc.returncode}\n{stdout[-3000:]}\n{stderr[-3000:]}"

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
    data = json.loads(out_json.read_text())
    assert data["settings"]["mode"] == "smoke"
    measured = {(r["scenario"], r["client"]): r for r in data["results"] if "median" in r}
    for scenario in SCENARIOS:
        for client in ("urllib3", "raw"):
            row = measured[(scenario, client)]
            assert row["median"] > 0
        assert measured[(scenario, "urllib3")]["ratio_urllib3"] == 1.0
        assert measured[(scenario, "raw")]["ratio_raw"] == 1.0
    assert data["clients"]["pool"]["status"] in ("ok", "n/a")
