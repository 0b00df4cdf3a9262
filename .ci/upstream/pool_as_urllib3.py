"""pytest plugin: run a test suite with pool installed as urllib3.

Started through ``run_pytest.py``, which imports this module before pytest
starts (so before pytest resolves warning categories from the ini file, and
before it loads the plugins of installed packages, conftests and test
modules, any of which may import urllib3 or requests), then passes it to
pytest as ``-p pool_as_urllib3``.  The checks below stop the run if the real
urllib3 got in anyway: at import, after collection, and at the end.

PYTEST_DONT_REWRITE (imported before pytest could rewrite its asserts).
"""

from __future__ import annotations

import os
import sys
import typing

import pytest

_early = sorted(n for n in sys.modules if n == "urllib3" or n.startswith("urllib3.") or n == "requests")
if _early:
    raise SystemExit(f"pool_as_urllib3: imported too late, already loaded: {_early}")

import pool  # noqa: E402

pool.install_as_urllib3()

# Imported for its effect: the alias must resolve to pool (_check() below).
import urllib3  # noqa: E402, F401

_POOL_DIR = os.path.dirname(os.path.abspath(pool.__file__))


def _check() -> list[str]:
    """Every loaded urllib3 module must be pool's; return the problems."""
    problems = []
    mod = sys.modules.get("urllib3")
    if mod is None or getattr(mod, "PoolManager", None) is not pool.PoolManager:
        problems.append("urllib3.PoolManager is not pool.PoolManager")
    if mod is not None and os.path.dirname(os.path.abspath(mod.__file__ or "")) != _POOL_DIR:
        problems.append(f"urllib3.__file__ is {mod.__file__!r}, not pool's")
    for name, module in list(sys.modules.items()):
        if not (name == "urllib3" or name.startswith("urllib3.")) or module is None:
            continue
        where = getattr(module, "__file__", None)
        if where and not os.path.abspath(where).startswith(_POOL_DIR + os.sep):
            problems.append(f"{name} was loaded from {where}")
    req = sys.modules.get("requests")
    if req is not None:
        adapters = sys.modules.get("requests.adapters")
        if adapters is not None and getattr(adapters, "PoolManager", None) is not pool.PoolManager:
            problems.append("requests.adapters.PoolManager is not pool.PoolManager")
        packaged = sys.modules.get("requests.packages.urllib3")
        if packaged is not None and packaged is not mod:
            problems.append("requests.packages.urllib3 is not pool's urllib3")
    want = os.environ.get("POOL_NO_EXTENSIONS", "") not in ("", "0")
    if pool.HAS_EXTENSIONS == want:
        problems.append(
            f"pool.HAS_EXTENSIONS is {pool.HAS_EXTENSIONS} with POOL_NO_EXTENSIONS={os.environ.get('POOL_NO_EXTENSIONS')!r}"
        )
    return problems


_problems = _check()
if _problems:
    raise SystemExit("pool_as_urllib3: " + "; ".join(_problems))


def pytest_report_header(config: pytest.Config) -> str:
    impl = "compiled core" if pool.HAS_EXTENSIONS else "pure-Python twin"
    return f"urllib3 is pool {pool.__version__} ({impl}) from {_POOL_DIR}"


def pytest_collection_finish(session: pytest.Session) -> None:
    # Conftests and test modules are imported now.
    problems = _check()
    if problems:
        raise pytest.UsageError("pool_as_urllib3: " + "; ".join(problems))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    problems = _check()
    if problems:
        sys.stderr.write("pool_as_urllib3: " + "; ".join(problems) + "\n")
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


# The deselect list (POOL_UPSTREAM_DESELECT names the file; lines are
# "node-id  # category: reason").  An entry matches its node id exactly, and
# every parametrization of it ("id[...]"); an entry ending in "[" matches every
# parametrization starting with it.  pytest's own --deselect matches any
# prefix, which would also drop test_headers_x for an entry test_headers.
_deselected: dict[str, str] = {}


def _entries() -> list[tuple[str, str]]:
    path = os.environ.get("POOL_UPSTREAM_DESELECT")
    if not path:
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            node, _, reason = line.rstrip("\n").partition("  # ")
            out.append((node.strip(), reason.split(":", 1)[0].strip() or "no reason"))
    return out


def _matches(nodeid: str, entry: str) -> bool:
    if entry.endswith("["):
        return nodeid.startswith(entry)
    return nodeid == entry or nodeid.startswith(entry + "[")


_used: set[str] = set()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    entries = _entries()
    if not entries:
        return
    keep, drop = [], []
    for item in items:
        hit = next((e for e in entries if _matches(item.nodeid, e[0])), None)
        if hit is None:
            keep.append(item)
        else:
            _used.add(hit[0])
            _deselected[item.nodeid] = hit[1]
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


_marker_deselected: list[str] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    _marker_deselected.extend(i.nodeid for i in items if i.nodeid not in _deselected)


def pytest_terminal_summary(terminalreporter: typing.Any, exitstatus: int, config: pytest.Config) -> None:
    stats = terminalreporter.stats
    n = {k: len(stats.get(k, [])) for k in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")}
    by_reason: dict[str, int] = {}
    for reason in _deselected.values():
        by_reason[reason] = by_reason.get(reason, 0) + 1
    if _marker_deselected:
        by_reason["marker (-m)"] = len(_marker_deselected)
    impl = "compiled" if pool.HAS_EXTENSIONS else "twin"
    suite = os.environ.get("POOL_UPSTREAM_SUITE", "suite")
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(by_reason.items())) or "none"
    total = len(_deselected) + len(_marker_deselected)
    terminalreporter.write_line(
        f"UPSTREAM TOTALS {suite} [{impl}]: passed={n['passed']} failed={n['failed']} errors={n['error']} "
        f"skipped={n['skipped']} xfailed={n['xfailed']} xpassed={n['xpassed']} deselected={total} ({reasons})"
    )
    for node, _ in _entries():
        if node not in _used:
            terminalreporter.write_line(f"UPSTREAM STALE deselect entry (matched no collected test): {node}")
