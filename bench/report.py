"""Turning measurements into the table, the JSON file and the chart."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path

from .clients import CLIENTS, base_client


def machine_facts(pinning: str) -> dict:
    """CPU model, core count, Python and OS: printed first and saved with the results."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):
        load = "?"
    return {
        "cpu": model,
        "cores": os.cpu_count() or 1,
        "usable_cores": usable,
        "load_average": load,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "pinning": pinning,
    }


def fmt_value(value: float, unit: str) -> str:
    """``12,345 req/s`` or ``689.2 MB/s``."""
    if unit == "B/s":
        return f"{value / 1e6:,.1f} MB/s"
    return f"{value:,.0f} req/s"


def _fmt_range(lo: float, hi: float, unit: str) -> str:
    if unit == "B/s":
        return f"{lo / 1e6:,.1f}–{hi / 1e6:,.1f}"
    return f"{lo:,.0f}–{hi:,.0f}"


def summarize(samples: dict[tuple[str, str], list[float]], scenarios, clients) -> list[dict]:
    """One row per (scenario, client) with median, min, max and the two ratios."""
    rows = []
    for sc in scenarios:
        med = {c: statistics.median(samples[(sc.name, c)]) for c in clients if samples.get((sc.name, c))}
        for c in clients:
            vals = samples.get((sc.name, c)) or []
            row = {"scenario": sc.name, "client": c, "unit": sc.unit, "samples": vals}
            if vals:
                m = med[c]
                row.update(median=m, min=min(vals), max=max(vals))
                row["ratio_urllib3"] = m / med["urllib3"] if med.get("urllib3") else None
                row["ratio_raw"] = m / med["raw"] if med.get("raw") else None
            rows.append(row)
    return rows


def table(
    rows: list[dict],
    status: dict[str, dict],
    errors: dict[tuple[str, str], str],
    skipped: dict[tuple[str, str], str] | None = None,
) -> str:
    """The one table people read (``skipped``: scenarios a client or the run cannot do, and why)."""
    skipped = skipped or {}
    header = ("scenario", "client", "median", "min–max", "× urllib3", "× raw")
    lines = []
    for r in rows:
        c = r["client"]
        if "median" in r:
            ru, rr = r.get("ratio_urllib3"), r.get("ratio_raw")
            lines.append(
                (
                    r["scenario"],
                    c,
                    fmt_value(r["median"], r["unit"]),
                    _fmt_range(r["min"], r["max"], r["unit"]),
                    f"{ru:.2f}" if ru else "-",
                    f"{rr:.2f}" if rr else "-",
                )
            )
        elif status.get(c, {}).get("status") == "n/a" or (r["scenario"], c) in skipped:
            lines.append((r["scenario"], c, "n/a", "", "", ""))
        elif (r["scenario"], c) in errors or status.get(c, {}).get("status") != "ok":
            lines.append((r["scenario"], c, "error", "", "", ""))
        else:
            lines.append((r["scenario"], c, "not run", "", "", ""))
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    out = []
    fmt_row = lambda cells: "  ".join(  # noqa: E731
        cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths))
    )
    out.append(fmt_row(header))
    out.append("  ".join("-" * w for w in widths))
    last = None
    for line in lines:
        if last is not None and line[0] != last:
            out.append("")
        last = line[0]
        out.append(fmt_row(line))
    notes = []
    for c, st in status.items():
        if st.get("status") == "n/a":
            notes.append(f"n/a   {c}: {st.get('reason', '')}")
        elif st.get("note"):
            notes.append(f"note  {c}: {st['note']}")
    # One note per reason: "no TLS" applies to every client of a scenario.
    by_reason: dict[str, list[str]] = {}
    for (sc, c), why in skipped.items():
        by_reason.setdefault(why, []).append(f"{sc}/{c}")
    for why, where in by_reason.items():
        notes.append(f"n/a   {', '.join(where)}: {why}")
    for (sc, c), why in errors.items():
        notes.append(f"error {sc}/{c}: {why}")
    if notes:
        out.append("")
        out.extend(notes)
    return "\n".join(out)


def noise(rows: list[dict]) -> list[dict]:
    """The spread within each A/A pair (a client and its ``#`` twin), per scenario.

    For every scenario both measured: the difference of the two medians
    relative to their mean.  Summarised as the median and the largest of
    those over the run's scenarios; a ratio between two other clients that
    is within that spread is within the noise of the run.
    """
    med = {(r["scenario"], r["client"]): r["median"] for r in rows if "median" in r}
    clients = list(dict.fromkeys(r["client"] for r in rows))
    out = []
    for twin in clients:
        first = base_client(twin)
        if twin == first or first not in clients:
            continue
        per = {}
        for r in rows:
            a, b = med.get((r["scenario"], first)), med.get((r["scenario"], twin))
            if r["client"] == first and a and b:
                per[r["scenario"]] = abs(a - b) / ((a + b) / 2)
        if per:
            worst = max(per, key=per.get)  # type: ignore[arg-type]
            out.append(
                {
                    "client": first,
                    "twin": twin,
                    "per_scenario": per,
                    "median": statistics.median(per.values()),
                    "max": per[worst],
                    "max_scenario": worst,
                }
            )
    return out


def noise_text(pairs: list[dict]) -> str:
    """One line per A/A pair."""
    return "\n".join(
        f"A/A noise ({p['client']} vs {p['twin']}, the same client measured twice): "
        f"median {p['median']:.1%} between their medians over {len(p['per_scenario'])} scenario(s), "
        f"largest {p['max']:.1%} ({p['max_scenario']}); differences this small are noise."
        for p in pairs
    )


def readme_table(payload: dict) -> str:
    """The README's table from a run's JSON (``--json``): one row per
    scenario, one column per client except A/A twins, each cell the median
    with its ratio to urllib3 (``python -m bench.report docs/bench.json``)."""
    clients = [c for c in payload["clients"] if base_client(c) == c]
    cells = {(r["scenario"], r["client"]): r for r in payload["results"]}
    out = ["| scenario | " + " | ".join(clients) + " |", "| --- |" + " --- |" * len(clients)]
    for name, doc in payload["scenarios"].items():
        row = [f"{name}: {doc}"]
        for c in clients:
            r = cells.get((name, c))
            if r is None or "median" not in r:
                row.append("n/a")
                continue
            value = f"{r['median'] / 1e6:,.0f} MB/s" if r["unit"] == "B/s" else f"{r['median']:,.0f}/s"
            ratio = r.get("ratio_urllib3")
            row.append(f"{value} ({ratio:.2f}×)" if ratio else value)
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Print the README's table for a run's JSON file."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m bench.report", description=main.__doc__)
    p.add_argument("json", type=Path, help="a run's results, as written by python -m bench --json")
    args = p.parse_args(argv)
    print(readme_table(json.loads(args.json.read_text(encoding="utf-8"))))
    return 0


def write_json(path: Path, payload: dict) -> None:
    """Write the results file (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_chart(path: Path, rows: list[dict], scenarios, clients, title: str) -> str:
    """Grouped bars of the ratio to urllib3 per scenario; returns a note for the output."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install matplotlib)"
    by = {(r["scenario"], r["client"]): r.get("ratio_urllib3") for r in rows}
    shown = [c for c in clients if c != "urllib3" and any(by.get((s.name, c)) for s in scenarios)]
    if not shown:
        return "chart skipped: no ratio to urllib3 (urllib3 or every other client not measured)"
    ratios = [v for (_s, c), v in by.items() if v and c in shown] + [1.0]
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(scenarios)), 5))
    width = 0.8 / len(shown)
    for k, c in enumerate(shown):
        xs = [i + (k - (len(shown) - 1) / 2) * width for i in range(len(scenarios))]
        ys = [by.get((s.name, c)) or 1.0 for s in scenarios]
        # Bars grow from ×1, up for faster and down for slower than urllib3.
        base = base_client(c)
        color = f"C{CLIENTS.index(base) % 10}" if base in CLIENTS else None  # same colour every chart
        hatch = "//" if base != c else None  # an A/A twin: its client's colour, hatched
        ax.bar(xs, [y - 1.0 for y in ys], width, bottom=1.0, label=c, color=color, hatch=hatch)
    ax.axhline(1.0, color="black", linewidth=1.0, label="urllib3 (×1)")
    ax.set_yscale("log")
    ax.set_ylim(min(ratios) / 1.3, max(ratios) * 1.3)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"×{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _pos: f"×{v:g}" if str(v)[0] in "25" else ""))
    ax.set_xticks(range(len(scenarios)))
    ax.set_xticklabels([s.name for s in scenarios], rotation=20)
    ax.set_ylabel("speed relative to urllib3 (log scale, higher is faster)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, ncol=min(4, len(shown)))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart: {path}"


def progress(msg: str) -> None:
    """One progress line on stderr."""
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
