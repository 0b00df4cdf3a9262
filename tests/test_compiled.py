"""The compiled request path (setup.py's REQUEST_PATH, pool/_compiled.py).

A build with extensions compiles pool's request-path modules from their own
.py files.  A default run requires them compiled (as tests/conftest.py
requires the wire core), a POOL_NO_EXTENSIONS run requires them loaded from
source; and what compiling changes for a user is checked on whichever the
run has: warnings name the caller's line, tracebacks reach the .py files,
classes stay open to subclassing and patching, profilers see only source.
"""

from __future__ import annotations

import ast
import importlib.machinery
import inspect
import json
import linecache
import os
import pathlib
import ssl
import subprocess
import sys
import warnings

import pytest

import pool
from httpserver import Server
from pool import _compiled
from pool.connection import HTTPConnection, HTTPSConnection

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The package under test: the source tree's, or an installed wheel's.
POOL_DIR = pathlib.Path(pool.__file__).resolve().parent
PURE = bool(os.environ.get("POOL_NO_EXTENSIONS"))


def _is_compiled(name: str) -> bool:
    return isinstance(sys.modules[name].__spec__.loader, importlib.machinery.ExtensionFileLoader)


@pytest.mark.skipif(not (ROOT / "setup.py").is_file(), reason="no source tree: an installed pool is under test")
def test_setup_py_compiles_the_modules_pool_checks():
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    found = [
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["REQUEST_PATH"]
    ]
    assert found == [_compiled.MODULES]


def test_every_module_has_its_source_beside_it():
    for name in _compiled.MODULES:
        module = sys.modules[name]
        source = pathlib.Path(module.__file__).parent / (name.rpartition(".")[2] + ".py")
        assert source.is_file(), name


@pytest.mark.skipif(PURE, reason="POOL_NO_EXTENSIONS is set")
def test_default_run_uses_the_compiled_request_path():
    assert _compiled.request_path_compiled() is True
    assert _compiled.compiled_modules() == _compiled.MODULES
    for name in _compiled.MODULES:
        assert _is_compiled(name), name
        assert not sys.modules[name].__file__.endswith(".py"), name


@pytest.mark.skipif(not PURE, reason="POOL_NO_EXTENSIONS is not set")
def test_twin_run_loads_the_request_path_from_source():
    assert _compiled.request_path_compiled() is False
    assert _compiled.compiled_modules() == ()
    for name in _compiled.MODULES:
        assert sys.modules[name].__file__.endswith(".py"), name


PROBE = (
    "import pool, pool._wire as w, pool._compiled as c; "
    "print(pool.HAS_EXTENSIONS, w.Reader.__module__, len(c.compiled_modules()), c.request_path_compiled())"
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", "False pool._wire_py 0 False"),
        ("yes", "False pool._wire_py 0 False"),
        # Empty is unset, as for the wire core.
        ("", f"True pool._wire_c {len(_compiled.MODULES)} True"),
        (None, f"True pool._wire_c {len(_compiled.MODULES)} True"),
    ],
)
def test_env_var_switches_the_wire_core_and_the_request_path_together(value, expected):
    """In a fresh process, whatever this run's setting: one switch, all or
    nothing compiled."""
    if PURE and value in ("", None) and not _compiled_files_present():
        pytest.skip("no compiled modules in this tree")
    env = {k: v for k, v in os.environ.items() if k != "POOL_NO_EXTENSIONS"}
    if value is not None:
        env["POOL_NO_EXTENSIONS"] = value
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=str(ROOT.parent), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


def _compiled_files_present() -> bool:
    folder = pathlib.Path(pool.__file__).parent
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return all(
        any((folder / (name.rpartition(".")[2] + suffix)).is_file() for suffix in suffixes)
        for name in _compiled.MODULES
    )


def _finders() -> list[object]:
    return [f for f in sys.meta_path if isinstance(f, _compiled._RequestPathFinder)]


def test_one_finder_takes_sources_exactly_when_the_env_var_says():
    assert [f.sources for f in _finders()] == [PURE]
    assert _compiled.sources_wanted() is PURE
    _compiled.install()
    assert len(_finders()) == 1


# ------------------------------------------------------------------ warnings


@pytest.fixture(scope="module")
def server():
    with Server() as s:
        yield s


def _set_cert(server):
    HTTPSConnection("localhost").set_cert()


def _request_chunked(server):
    conn = HTTPConnection("127.0.0.1", server.port)
    try:
        conn.request_chunked("POST", "/", body=[b"x"])
        conn.getresponse().read()
    finally:
        conn.close()


def _proxy_ssl_context(server):
    pool.ProxyManager(
        f"https://127.0.0.1:{server.port}", use_forwarding_for_https=True, ssl_context=ssl.create_default_context()
    )


def _urlopen_without_scheme(server):
    pm = pool.PoolManager()
    try:
        pm.urlopen("GET", f"127.0.0.1:{server.port}/", retries=False).data
    finally:
        pm.clear()


@pytest.mark.parametrize(
    "call, message",
    [
        (_set_cert, "HTTPSConnection.set_cert() is deprecated"),
        (_request_chunked, "HTTPConnection.request_chunked() is deprecated"),
        (_proxy_ssl_context, "Passing ssl_context when use_forwarding_for_https=True"),
        (_urlopen_without_scheme, "URLs without a scheme"),
    ],
    ids=["set_cert", "request_chunked", "ProxyManager", "urlopen"],
)
def test_deprecation_warning_names_the_callers_line(server, call, message):
    """stacklevel counts frames, and a compiled function has none: the
    warning still points at the line that called pool, compiled or not."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(server)
    ours = [w for w in caught if str(w.message).startswith(message)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert ours[0].category is FutureWarning
    assert ours[0].filename == __file__
    source_line = pathlib.Path(__file__).read_text(encoding="utf-8").splitlines()[ours[0].lineno - 1]
    assert "(" in source_line and "def " not in source_line


# ------------------------------------------------------------------ introspection


TRACEBACK = """
import json, pathlib, sys, traceback
import pool
http = pool.HTTPConnectionPool("127.0.0.1", 1)
try:
    http.urlopen("GET", "/", body=object(), retries=False)
except TypeError as e:
    frames = traceback.extract_tb(e.__traceback__)
print(json.dumps([[f.filename, f.lineno, f.line] for f in frames if pathlib.Path(f.filename).parent.name == "pool"]))
"""


def test_traceback_through_the_request_path_quotes_its_source(tmp_path):
    """A traceback names pool's .py files and lines, with their text,
    whether the frames are real or made up by compiled code, from a
    directory that has no pool/ in it (as for an installed pool: compiled
    frames name their file relative to the package's parent)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", TRACEBACK], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    frames = json.loads(proc.stdout.strip().splitlines()[-1])
    names = {pathlib.Path(name).name for name, _, _ in frames}
    assert {"connectionpool.py", "connection.py"} <= names, frames
    for name, lineno, line in frames:
        assert line, (name, lineno)
        source = (POOL_DIR / pathlib.Path(name).name).read_text(encoding="utf-8")
        assert source.splitlines()[lineno - 1].strip() == line, (name, lineno)


def test_request_path_functions_keep_their_source_lines_and_signature():
    """Each function's code object names its line in the .py file, which
    linecache (and so traceback) finds on sys.path.  inspect.getsource,
    though, declines a compiled module (docs/performance.md says so)."""
    for function in (pool.PoolManager.urlopen, pool.HTTPConnectionPool.urlopen, HTTPConnection.getresponse):
        code = function.__code__
        line = linecache.getline(code.co_filename, code.co_firstlineno)
        assert line.strip().startswith("def " + function.__name__ + "("), (code.co_filename, line)
        assert "self" in inspect.signature(function).parameters
        if _is_compiled(function.__module__):
            with pytest.raises((OSError, TypeError)):
                inspect.getsource(function)
        else:
            assert inspect.getsource(function).lstrip().startswith("def " + function.__name__ + "(")


def test_classes_stay_open_to_subclasses_and_patches(server):
    """vcrpy and botocore subclass and patch these classes; compiled method
    bodies must not change that."""
    seen = []

    class Recording(HTTPConnection):
        def request(self, method, url, *args, **kwargs):
            seen.append(("subclass", method, url))
            return super().request(method, url, *args, **kwargs)

    original = pool.HTTPConnectionPool._get_conn

    def patched(self, timeout=None):
        seen.append(("patched", self.port))
        return original(self, timeout)

    pool.HTTPConnectionPool._get_conn = patched
    try:
        http = pool.HTTPConnectionPool("127.0.0.1", server.port)
        http.ConnectionCls = Recording
        assert http.request("GET", "/x").data == b"hello"
        http.close()
    finally:
        pool.HTTPConnectionPool._get_conn = original
    assert seen == [("patched", server.port), ("subclass", "GET", "/x")]


def test_profiler_sees_the_request_path_only_from_source(server):
    """sys.setprofile (and cProfile) see Python functions only: a compiled
    urlopen makes no call event.  POOL_NO_EXTENSIONS=1 is the way to profile
    the request path (bench/profile.py --functions says so)."""
    http = pool.HTTPConnectionPool("127.0.0.1", server.port)
    http.request("GET", "/").data
    names = set()

    def hook(frame, event, arg):
        if event == "call":
            names.add((pathlib.Path(frame.f_code.co_filename).name, frame.f_code.co_name))

    sys.setprofile(hook)
    try:
        http.request("GET", "/").data
    finally:
        sys.setprofile(None)
        http.close()
    assert (("connectionpool.py", "urlopen") in names) is (not _is_compiled("pool.connectionpool"))


# ------------------------------------------------------------------ wrong calls

# A call no signature accepts, on each compiled module: (what, call).  None
# gets as far as connecting; if one did, it would find a closed port.
NOWHERE = "http://127.0.0.1:1/"
WRONG_CALLS = [
    ("request-too-many", lambda m: m.PoolManager().request("GET", NOWHERE, None, {}, True, False, 1, 2, 3)),
    ("urlopen-missing", lambda m: m.HTTPConnectionPool("127.0.0.1", 1).urlopen()),
    ("urlopen-unknown-keyword", lambda m: m.PoolManager().urlopen("GET", NOWHERE, bogus=1)),
    ("read-too-many", lambda m: m.HTTPResponse(body=b"").read(1, 2, 3, 4, 5)),
    ("read-unknown-keyword", lambda m: m.HTTPResponse(body=b"").read(bogus=1)),
    ("connection-missing", lambda m: m.connection.HTTPConnection()),
    ("connection-request-missing", lambda m: m.connection.HTTPConnection("127.0.0.1", 1).request("GET")),
]


@pytest.mark.parametrize("call", [c for _, c in WRONG_CALLS], ids=[w for w, _ in WRONG_CALLS])
def test_a_call_no_signature_accepts_raises_typeerror_as_on_urllib3(call):
    """Compiled or not, the class is urllib3's (TypeError) and the message
    names the function; compiled, the wording is Cython's, not Python's
    (docs/differences.md)."""
    import urllib3
    import urllib3.connection

    import pool.connection

    with pytest.raises(TypeError) as theirs:
        call(urllib3)
    with pytest.raises(TypeError) as ours:
        call(pool)
    function = str(theirs.value).partition("(")[0].rpartition(".")[2]
    assert function + "() " in str(ours.value), (str(ours.value), str(theirs.value))
    if PURE:
        assert str(ours.value).replace("pool.", "") == str(theirs.value).replace("urllib3.", "")
