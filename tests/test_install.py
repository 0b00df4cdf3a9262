"""pool.install_as_urllib3(): ``import urllib3`` resolving to pool.

Installing changes ``sys.modules`` for the whole process, so every test that
installs does so in a fresh interpreter (a subprocess) and reports back on
stdout; this process never installs and may import the real urllib3.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from httpserver import Server
from pool import _install

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

# Run first in every child: install, whether or not pool/__init__.py exports
# install_as_urllib3 yet.
PRELUDE = """\
import sys
import pool
install = getattr(pool, "install_as_urllib3", None)
if install is None:
    from pool._install import install_as_urllib3 as install
"""


def run_child(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter with the tree and tests/ on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=str(ROOT),
    )


def run_ok(code: str, *args: str, timeout: float = 60) -> str:
    """Like run_child, but the child must exit 0; returns its stdout."""
    proc = run_child(code, *args, timeout=timeout)
    assert proc.returncode == 0, f"child failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def run_json(body: str, *args: str) -> object:
    """Run PRELUDE + body in a child; body prints one JSON document last."""
    out = run_ok(PRELUDE + textwrap.dedent(body), *args)
    return json.loads(out.strip().splitlines()[-1])


def _real_urllib3_modules() -> set[str]:
    """Every module of the installed urllib3, from its files (nothing imported)."""
    import importlib.util

    spec = importlib.util.find_spec("urllib3")
    assert spec is not None and spec.submodule_search_locations
    base = Path(next(iter(spec.submodule_search_locations)))
    names = set()
    for path in base.rglob("*.py"):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(["urllib3", *parts]))
    return names


# ------------------------------------------------------------------ the table


def test_table_covers_every_urllib3_module():
    table = {"urllib3" + suffix for suffix in _install._MODULE_TABLE + _install._OPTIONAL_MODULE_TABLE}
    missing = set()
    for name in _real_urllib3_modules():
        if name in table:
            continue
        if any(name == n or name.startswith(n + ".") for n in _install._NOT_PROVIDED):
            continue
        missing.add(name)
    assert not missing, f"urllib3 modules neither mapped nor listed as not provided: {sorted(missing)}"
    # And the table names only modules urllib3 really has.
    assert table <= _real_urllib3_modules()


def test_every_module_entered_at_once_as_pools_own():
    result = run_json(
        """
        import importlib, json
        from pool import _install
        before = set(sys.modules)
        install()
        entered = sorted(n for n in set(sys.modules) - before if n == "urllib3" or n.startswith("urllib3."))
        same = {}
        for suffix in _install._MODULE_TABLE:
            if suffix in ("", "._version"):
                continue
            same[suffix] = sys.modules["urllib3" + suffix] is importlib.import_module("pool" + suffix)
        print(json.dumps({"entered": entered, "same": same}))
        """
    )
    expected = sorted("urllib3" + s for s in _install._MODULE_TABLE)
    assert result["entered"] == expected
    assert result["same"] and all(result["same"].values()), result["same"]


def test_from_imports_give_pools_objects():
    result = run_json(
        """
        import json
        install()
        import urllib3
        from urllib3 import PoolManager, HTTPConnectionPool, HTTPResponse, Retry, Timeout, exceptions
        from urllib3.exceptions import MaxRetryError, ReadTimeoutError, NewConnectionError
        from urllib3.poolmanager import PoolManager as PM2, ProxyManager
        from urllib3.connectionpool import HTTPSConnectionPool
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.response import BaseHTTPResponse
        from urllib3.fields import RequestField
        from urllib3.filepost import encode_multipart_formdata
        from urllib3._collections import HTTPHeaderDict
        from urllib3.util import parse_url, Url, make_headers
        from urllib3.util.retry import Retry as R2
        from urllib3.util.timeout import Timeout as T2
        from urllib3.util.url import parse_url as pu2
        from urllib3.util.ssl_ import create_urllib3_context
        from urllib3.util.request import make_headers as mh2
        from urllib3.util.response import is_fp_closed
        from urllib3.util.connection import create_connection
        from urllib3.util.wait import wait_for_read
        import urllib3.contrib
        import pool.poolmanager, pool.connection, pool.util.ssl_, pool.util.connection, pool.util.wait
        checks = {
            "PoolManager": PoolManager is PM2 is pool.PoolManager is pool.poolmanager.PoolManager,
            "ProxyManager": ProxyManager is pool.ProxyManager,
            "HTTPConnectionPool": HTTPConnectionPool is pool.HTTPConnectionPool,
            "HTTPSConnectionPool": HTTPSConnectionPool is pool.HTTPSConnectionPool,
            "HTTPResponse": HTTPResponse is pool.HTTPResponse and issubclass(HTTPResponse, BaseHTTPResponse),
            "Retry": Retry is R2 is pool.Retry,
            "Timeout": Timeout is T2 is pool.Timeout,
            "exceptions": exceptions is pool.exceptions and MaxRetryError is pool.exceptions.MaxRetryError,
            "ReadTimeoutError": ReadTimeoutError is pool.exceptions.ReadTimeoutError,
            "NewConnectionError": NewConnectionError is pool.exceptions.NewConnectionError,
            "HTTPConnection": HTTPConnection is pool.connection.HTTPConnection,
            "HTTPSConnection": HTTPSConnection is pool.connection.HTTPSConnection,
            "RequestField": RequestField.__module__ == "pool.fields",
            "encode_multipart_formdata": encode_multipart_formdata is pool.encode_multipart_formdata,
            "HTTPHeaderDict": HTTPHeaderDict is pool.HTTPHeaderDict,
            "parse_url": parse_url is pu2 and parse_url.__module__ == "pool.util.url",
            "Url": Url.__module__ == "pool.util.url",
            "make_headers": make_headers is mh2 is pool.make_headers,
            "create_urllib3_context": create_urllib3_context is pool.util.ssl_.create_urllib3_context,
            "is_fp_closed": is_fp_closed.__module__ == "pool.util.response",
            "create_connection": create_connection is pool.util.connection.create_connection,
            "wait_for_read": wait_for_read is pool.util.wait.wait_for_read,
            "contrib": urllib3.contrib is sys.modules["pool.contrib"],
            "attribute path": urllib3.util.retry.Retry is pool.Retry and urllib3.exceptions is pool.exceptions,
        }
        print(json.dumps(checks))
        """
    )
    assert result and all(result.values()), {k: v for k, v in result.items() if not v}


def test_idempotent():
    result = run_json(
        """
        import json, logging
        from pool import _install
        install()
        import urllib3
        first = sys.modules["urllib3"]
        install()
        install()
        finders = sum(isinstance(f, _install._RefuseCopies) for f in sys.meta_path)
        nulls = sum(isinstance(h, logging.NullHandler) for h in logging.getLogger("urllib3").handlers)
        print(json.dumps({"same": sys.modules["urllib3"] is first is urllib3, "finders": finders, "nulls": nulls}))
        """
    )
    assert result == {"same": True, "finders": 1, "nulls": 1}


def test_concurrent_installs_make_one_alias():
    result = run_json(
        """
        import json, threading
        seen, errors = [], []
        def go():
            try:
                install()
                seen.append(id(sys.modules["urllib3"]))
            except BaseException as e:
                errors.append(repr(e))
        threads = [threading.Thread(target=go) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        print(json.dumps({"ids": len(set(seen)), "n": len(seen), "errors": errors}))
        """
    )
    assert result == {"ids": 1, "n": 8, "errors": []}


@pytest.mark.parametrize("first", ["import urllib3", "import requests", "import urllib3.util.retry"])
def test_refuses_when_real_urllib3_already_imported(first):
    result = run_json(
        f"""
        import json
        {first}
        real = sys.modules["urllib3"]
        try:
            install()
        except ImportError as e:
            msg = str(e)
        else:
            msg = None
        import urllib3
        print(json.dumps({{"msg": msg, "untouched": sys.modules["urllib3"] is real,
                          "file": real.__file__, "is_pool": urllib3.PoolManager.__module__.startswith("pool")}}))
        """
    )
    assert result["msg"] is not None, "install_as_urllib3() did not refuse"
    assert "already imported" in result["msg"]
    assert "before" in result["msg"]
    assert os.path.dirname(result["file"]) in result["msg"]
    assert result["untouched"] and not result["is_pool"]


def test_a_failed_install_can_be_retried_after_nothing_was_entered():
    # The refusal leaves no urllib3.* entry of pool's behind.
    result = run_json(
        """
        import json
        import urllib3
        try:
            install()
        except ImportError:
            pass
        ours = [n for n, m in sys.modules.items() if n.startswith("urllib3") and getattr(m, "__name__", "").startswith("pool")]
        print(json.dumps(ours))
        """
    )
    assert result == []


# ------------------------------------------------------------------ version


def test_version_is_the_api_version_and_pools_own_stays():
    result = run_json(
        """
        import json
        install()
        import urllib3
        from urllib3 import __version__ as v1
        from urllib3._version import __version__ as v2, version, version_tuple, __version_tuple__, commit_id
        import pool._version
        print(json.dumps({"attr": urllib3.__version__, "v1": v1, "v2": v2, "version": version,
                          "tuple": list(version_tuple), "tuple2": list(__version_tuple__), "commit": commit_id,
                          "pool": pool.__version__, "pool_mod": pool._version.__version__,
                          "api": pool._version.URLLIB3_API_VERSION, "dir": "__version__" in dir(urllib3)}))
        """
    )
    api = result["api"]
    assert api.startswith("2.")
    assert result["attr"] == result["v1"] == result["v2"] == result["version"] == api
    assert result["tuple"] == result["tuple2"] == [int(p) for p in api.split(".")]
    assert result["commit"] is None
    from pool._version import __version__ as pool_version

    assert result["pool"] == result["pool_mod"] == pool_version
    assert result["dir"]


def test_alias_reads_and_writes_go_to_pool():
    result = run_json(
        """
        import json
        install()
        import urllib3
        urllib3.some_patch = 42
        patched = getattr(pool, "some_patch", None)
        del urllib3.some_patch
        gone = not hasattr(pool, "some_patch")
        try:
            urllib3.no_such_name
        except AttributeError as e:
            err = str(e)
        print(json.dumps({"patched": patched, "gone": gone, "err": err,
                          "all": sorted(urllib3.__all__),
                          "request": urllib3.request is pool.request,
                          "disable_warnings": urllib3.disable_warnings is pool.disable_warnings}))
        """
    )
    assert result["patched"] == 42 and result["gone"]
    assert "urllib3" in result["err"] and "no_such_name" in result["err"]
    import urllib3 as real

    assert result["all"] == sorted(real.__all__)
    assert result["request"] and result["disable_warnings"]


# ------------------------------------------------------------------ modules pool lacks


def test_modules_pool_does_not_provide_fail_to_import():
    result = run_json(
        """
        import json, importlib
        from pool import _install
        install()
        out = {}
        for name in _install._NOT_PROVIDED:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as e:
                out[name] = e.name
            else:
                out[name] = "imported"
        import importlib.util
        out["find_spec"] = importlib.util.find_spec("urllib3.contrib.pyopenssl") is None
        out["find_spec_top"] = importlib.util.find_spec("urllib3") is not None
        print(json.dumps(out))
        """
    )
    for name in _install._NOT_PROVIDED:
        assert result[name] == name, result
    assert result["find_spec"] and result["find_spec_top"]


def test_optional_modules_map_on_first_import_only():
    # urllib3.contrib.socks is not entered at install (PySocks may be
    # missing); importing it gives pool's module, or, without PySocks, the
    # ImportError urllib3 raises. tests/test_socks.py covers the module.
    result = run_json(
        """
        import json, importlib
        sys.modules["socks"] = None  # PySocks not installed
        install()
        out = {"entered": "urllib3.contrib.socks" in sys.modules}
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError as e:
            out["probe"] = [type(e).__name__, e.name]
        out["left"] = "urllib3.contrib.socks" in sys.modules or "pool.contrib.socks" in sys.modules
        print(json.dumps(out))
        """
    )
    assert result == {"entered": False, "probe": ["ModuleNotFoundError", "socks"], "left": False}


def test_no_pool_file_is_loaded_twice_under_a_urllib3_name(tmp_path):
    # A module in one of pool's package directories that is not in the table
    # (simulated by extending pool.util's search path in the child).
    (tmp_path / "extra_mod.py").write_text("VALUE = object()\n")
    result = run_json(
        """
        import json
        install()
        import pool.util
        pool.util.__path__.append(sys.argv[1])
        try:
            import urllib3.util.extra_mod
        except ImportError as e:
            err = str(e)
        else:
            err = None
        import pool.util.extra_mod
        loaded_as_urllib3 = "urllib3.util.extra_mod" in sys.modules
        print(json.dumps({"err": err, "loaded": loaded_as_urllib3}))
        """,
        str(tmp_path),
    )
    assert result["err"] is not None and "pool.util.extra_mod" in result["err"]
    assert result["loaded"] is False


# ------------------------------------------------------------------ loggers


def test_logs_go_to_urllib3_loggers():
    with Server() as server:
        result = run_json(
            """
            import json, logging, importlib
            from pool import _install
            install()
            names = {}
            for suffix in _install._MODULE_TABLE:
                mod = importlib.import_module("pool" + suffix)
                log = getattr(mod, "log", None)
                if isinstance(log, logging.Logger):
                    names[suffix] = log.name
            records = []
            class H(logging.Handler):
                def emit(self, record):
                    records.append(record.name)
            root = logging.getLogger()
            root.addHandler(H())
            root.setLevel(logging.DEBUG)
            import urllib3
            http = urllib3.PoolManager()
            http.request("GET", sys.argv[1] + "/redirect?target=/id", retries=urllib3.Retry(2))
            try:
                http.request("GET", sys.argv[1] + "/status?code=503", retries=urllib3.Retry(1, status_forcelist=[503]))
            except urllib3.exceptions.MaxRetryError:
                pass
            print(json.dumps({"names": names, "records": sorted(set(records))}))
            """,
            server.url("").rstrip("/"),
        )
    names = result["names"]
    for suffix in (".connectionpool", ".poolmanager", ".response", ".connection", ".util.retry"):
        assert names.get(suffix) == "urllib3" + suffix, names
    assert all(v == "urllib3" + k for k, v in names.items())
    records = result["records"]
    assert "urllib3.connectionpool" in records and "urllib3.util.retry" in records
    assert not [r for r in records if r.startswith("pool")], records


def test_add_stderr_logger_targets_urllib3():
    with Server() as server:
        proc = run_child(
            PRELUDE
            + textwrap.dedent(
                """
                install()
                import logging, urllib3
                handler = urllib3.add_stderr_logger()
                assert handler in logging.getLogger("urllib3").handlers
                urllib3.PoolManager().request("GET", sys.argv[1])
                """
            ),
            server.url("/id"),
        )
    assert proc.returncode == 0, proc.stderr
    assert "Starting new HTTP connection" in proc.stderr
    assert "Added a stderr logging handler to logger: urllib3" in proc.stderr


# ------------------------------------------------------------------ API surface


# Public names of urllib3 that pool leaves out on purpose or has not added
# yet; each is listed in docs/differences.md.
_KNOWN_GAPS = {
    ".response": {"GzipDecoderState"},  # an implementation detail of urllib3's GzipDecoder
    ".util.wait": {"poll_wait_for_socket", "select_wait_for_socket"},  # wait_for_socket picks for you
}


@pytest.mark.parametrize(
    "suffix", [s for s in _install._MODULE_TABLE + _install._OPTIONAL_MODULE_TABLE if s != "._version"]
)
def test_pool_module_has_urllib3_public_names(suffix):
    if suffix == ".contrib.socks":
        pytest.importorskip("socks")
    real = importlib.import_module("urllib3" + suffix)
    ours = importlib.import_module("pool" + suffix)
    if not real.__name__.startswith("urllib3"):
        pytest.skip("urllib3 is aliased to pool in this process")
    wanted = set(getattr(real, "__all__", ())) | {
        n for n, v in vars(real).items() if not n.startswith("_") and getattr(v, "__module__", None) == real.__name__
    }
    missing = sorted(n for n in wanted - _KNOWN_GAPS.get(suffix, set()) if not hasattr(ours, n))
    assert not missing, f"pool{suffix} lacks urllib3{suffix}'s {missing}"


# ------------------------------------------------------------------ acceptance


def test_urllib3_script_same_output_on_urllib3_and_pool():
    script = str(TESTS / "urllib3_script.py")
    with Server() as server:
        base = server.url("").rstrip("/")
        on_urllib3 = run_ok(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')", script, base
        )
        on_pool = run_ok(
            PRELUDE
            + "install()\nimport runpy\nsys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"
            + "assert type(sys.modules['urllib3']).__name__ == '_Urllib3Alias'\n"
            + "assert sys.modules['urllib3.poolmanager'] is sys.modules['pool.poolmanager']\n",
            script,
            base,
        )
    assert "loggers" in on_urllib3 and len(on_urllib3.splitlines()) > 30
    assert on_pool.splitlines() == on_urllib3.splitlines()
