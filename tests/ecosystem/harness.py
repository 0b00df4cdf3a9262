"""What every ecosystem script shares: choosing the backend, running
scenarios in isolation, and reporting each result on its own stdout line.

A script is run as ``python <lib>_script.py BACKEND [SCENARIO...]``, where
BACKEND is one of:

- ``urllib3``: the real urllib3;
- ``pool``: ``pool.install_as_urllib3()`` with the compiled core;
- ``pool-py``: the same with POOL_NO_EXTENSIONS set (the pure-Python twin).

The script imports this module before anything else, so that pool is
installed before the library under test imports urllib3; a backend whose
environment does not match (the compiled core missing for ``pool``, or
present for ``pool-py``) stops the run instead of passing on the wrong code.

Each scenario is a function of the script's shared fixtures (servers started
once per run).  It runs in its own thread with a deadline: a scenario that
hangs is reported as such, with the stack it is stuck in, and the next one
still runs.  Results are printed as they come, one ``RESULT {json}`` line per
scenario, so a run killed from outside still reports what it finished.  A
failure carries the exception, its traceback, the innermost frame that lies
in pool's own sources (``pool_frame``) or, failing that, in urllib3's, and the
innermost frame of all (``last_frame``: where a library reached for something
the HTTP layer does not have).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
import types
import typing
from pathlib import Path

HERE = Path(__file__).resolve().parent
# tests/: the shared local servers (httpserver, loopback).
sys.path.insert(0, str(HERE.parent))

BACKENDS = ("urllib3", "pool", "pool-py")
BACKEND = sys.argv[1] if len(sys.argv) > 1 else "urllib3"
ON_POOL = BACKEND != "urllib3"

#: Every timeout a scenario sets on its requests and servers is at most this.
IO_TIMEOUT = 10.0


def _install() -> None:
    if BACKEND not in BACKENDS:
        raise SystemExit(f"unknown backend {BACKEND!r}; expected one of {BACKENDS}")
    if BACKEND == "urllib3":
        if "pool" in sys.modules:
            raise SystemExit("the urllib3 backend must not import pool")
        return
    pure = bool(os.environ.get("POOL_NO_EXTENSIONS"))
    if pure != (BACKEND == "pool-py"):
        raise SystemExit(f"backend {BACKEND} with POOL_NO_EXTENSIONS={os.environ.get('POOL_NO_EXTENSIONS')!r}")
    if "urllib3" in sys.modules:
        raise SystemExit("urllib3 was imported before pool could be installed")
    import pool

    pool.install_as_urllib3()
    from pool import _wire

    if _wire.HAS_EXTENSIONS != (BACKEND == "pool"):
        raise SystemExit(f"backend {BACKEND}: pool._wire.HAS_EXTENSIONS is {_wire.HAS_EXTENSIONS}")


_install()


def origin(obj: typing.Any) -> str:
    """The top-level package a class, function or module comes from
    ("urllib3" or "pool" for the HTTP layer)."""
    if isinstance(obj, types.ModuleType):
        name = obj.__name__
    else:
        name = getattr(obj, "__module__", None) or type(obj).__module__
    if isinstance(obj, types.ModuleType) and name == "urllib3" and "_pool" in vars(obj):
        return "pool"  # the alias module install_as_urllib3() puts in place
    return name.split(".")[0]


def http_layer() -> dict[str, typing.Any]:
    """What ``import urllib3`` gives in this process, and which core runs."""
    import urllib3

    wire = None
    if ON_POOL:
        from pool import _wire

        wire = "c" if _wire.HAS_EXTENSIONS else "py"
    return {
        "urllib3": origin(urllib3),
        "PoolManager": origin(urllib3.PoolManager),
        "HTTPConnection": origin(urllib3.connection.HTTPConnection),
        "HTTPResponse": origin(urllib3.response.HTTPResponse),
        "wire": wire,
        "pool_imported": "pool" in sys.modules,
    }


def _source_frame(tb: types.TracebackType | None, package: str) -> str | None:
    """The innermost frame of ``tb`` in ``package``'s sources, as
    ``pkg/file.py:LINE in FUNC: CODE``."""
    try:
        mod = __import__(package)
    except ImportError:
        return None
    pkg_dir = os.path.dirname(os.path.abspath(mod.__file__ or ""))
    found = None
    for frame in traceback.extract_tb(tb):
        path = os.path.abspath(frame.filename)
        if path.startswith(pkg_dir + os.sep):
            rel = os.path.relpath(path, os.path.dirname(pkg_dir))
            found = f"{rel}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    return found


def _failure(e: BaseException) -> dict[str, typing.Any]:
    tb = e.__traceback__
    where = _source_frame(tb, "pool") if ON_POOL else None
    # Chained exceptions (a library re-raising its own error) keep the origin.
    cause = e.__cause__ or e.__context__
    while where is None and cause is not None and ON_POOL:
        where = _source_frame(cause.__traceback__, "pool")
        cause = cause.__cause__ or cause.__context__
    if where is None:
        where = _source_frame(tb, "urllib3")
    frames = traceback.extract_tb(tb)
    last = (
        f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}: {(frames[-1].line or '').strip()}"
        if frames
        else None
    )
    return {
        "error": f"{type(e).__module__}.{type(e).__name__}: {e}"[:2000],
        "pool_frame": where,
        "last_frame": last,
        "tb": "".join(traceback.format_exception(type(e), e, tb))[-6000:],
    }


def _emit(name: str, result: dict[str, typing.Any]) -> None:
    result = {"scenario": name, **result}
    sys.stdout.write("RESULT " + json.dumps(result, default=repr) + "\n")
    sys.stdout.flush()


def _run_one(fn: typing.Callable[[], typing.Any], deadline: float) -> dict[str, typing.Any]:
    box: dict[str, typing.Any] = {}

    def target() -> None:
        try:
            box["ok"] = fn()
        except BaseException as e:  # reported, not raised: one scenario must not hide the others
            box.update(_failure(e))

    t = threading.Thread(target=target, daemon=True)
    t0 = time.monotonic()
    t.start()
    t.join(deadline)
    if t.is_alive():
        frame = sys._current_frames().get(t.ident or 0)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        return {"error": f"Timeout: still running after {deadline:.0f}s", "pool_frame": None, "tb": stack[-6000:]}
    box["seconds"] = round(time.monotonic() - t0, 2)
    return box


def run(
    scenarios: dict[str, typing.Callable[..., typing.Any]],
    setup: typing.Callable[[], typing.Any],
    teardown: typing.Callable[[typing.Any], None] | None = None,
    deadline: float = 20.0,
) -> None:
    """Start the fixtures, run the scenarios named on the command line (all
    by default), report each, stop the fixtures, and exit.

    Exits with os._exit(): a scenario stuck in a read (reported above)
    must not keep the interpreter from leaving.
    """
    names = sys.argv[2:] or list(scenarios)
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        raise SystemExit(f"unknown scenarios {unknown}")
    try:
        fixtures = setup()
    except Exception as e:
        # Reported per scenario: a failing fixture must not read as "no results".
        failure = _failure(e)
        failure["error"] = "setup failed: " + failure["error"]
        for name in names:
            _emit(name, failure)
        sys.stdout.flush()
        os._exit(0)
    try:
        for name in names:
            _emit(name, _run_one(lambda fn=scenarios[name]: fn(fixtures), deadline))
    finally:
        if teardown is not None:
            stopper = threading.Thread(target=teardown, args=(fixtures,), daemon=True)
            stopper.start()
            stopper.join(10)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def scenarios_of(namespace: dict[str, typing.Any]) -> dict[str, typing.Callable[..., typing.Any]]:
    """The functions named ``s_<scenario>`` of a script, in definition order."""
    return {name[2:]: fn for name, fn in namespace.items() if name.startswith("s_") and callable(fn)}
