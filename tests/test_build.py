"""The build: the compiled wire core loads when it should, the twin when asked,
and the C core compiles without a single warning.

A default run (POOL_NO_EXTENSIONS unset) fails here if the extension silently
didn't load, so the rest of the suite can't pass on the Python twin alone.
"""

import functools
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

import pool
import pool._wire

ROOT = pathlib.Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
PURE = bool(os.environ.get("POOL_NO_EXTENSIONS"))

CONTRACT = {
    "DEFAULT_MAX_HEAD_SIZE": 65536,
    "DEFAULT_MAX_HEADERS": 100,
    "DEFAULT_MAX_CHUNK_LINE": 4096,
    "DEFAULT_MAX_TRAILER_SIZE": 65536,
    "DEFAULT_MAX_INTERIM": 32,
    "FRAMING_NONE": 0,
    "FRAMING_LENGTH": 1,
    "FRAMING_CHUNKED": 2,
    "FRAMING_CLOSE": 3,
}
CLASSES = {"HeadParser", "ChunkedDecoder", "Reader", "serialize_request"}


def _run_python(code: str, **env: str) -> str:
    full_env = {k: v for k, v in os.environ.items() if k != "POOL_NO_EXTENSIONS"}
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), full_env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        cwd=str(ROOT.parent),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.skipif(PURE, reason="POOL_NO_EXTENSIONS is set")
def test_default_run_uses_the_compiled_core():
    import pool._wire_c as compiled

    assert pool.HAS_EXTENSIONS is True
    assert tuple(pool._wire.__all__) == tuple(compiled.__all__)
    for name in compiled.__all__:
        assert getattr(pool._wire, name) is getattr(compiled, name), name
    assert pool._wire.Reader.__module__ == "pool._wire_c"


def test_facade_exports_the_contract():
    assert set(pool._wire.__all__) == set(CONTRACT) | CLASSES
    for name, value in CONTRACT.items():
        assert getattr(pool._wire, name) == value, name


@pytest.mark.skipif(PURE, reason="POOL_NO_EXTENSIONS is set")
def test_both_implementations_export_the_same_names():
    import pool._wire_c as compiled
    import pool._wire_py as twin

    assert set(compiled.__all__) == set(twin.__all__)
    for name in CONTRACT:
        assert getattr(compiled, name) == getattr(twin, name), name


def test_env_var_selects_the_twin():
    out = _run_python(
        "import pool, pool._wire as w; print(pool.HAS_EXTENSIONS, w.Reader.__module__)",
        POOL_NO_EXTENSIONS="1",
    )
    assert out == "False pool._wire_py"


@pytest.mark.skipif(PURE, reason="POOL_NO_EXTENSIONS is set")
def test_unset_env_var_selects_the_compiled_core_in_a_fresh_process():
    out = _run_python("import pool, pool._wire as w; print(pool.HAS_EXTENSIONS, w.Reader.__module__)")
    assert out == "True pool._wire_c"


@pytest.fixture(params=["gcc", "clang"])
def cc(request):
    """Each C compiler the build is held warning-free under, where installed
    (the system's ``cc`` stands in for a missing gcc)."""
    found = shutil.which(request.param) or (shutil.which("cc") if request.param == "gcc" else None)
    if found is None:
        pytest.skip(f"no {request.param}")
    return found


def test_c_core_compiles_without_warnings(tmp_path, cc):
    proc = subprocess.run(
        [
            cc,
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-c",
            str(CSRC / "pool_http.c"),
            "-o",
            str(tmp_path / "pool_http.o"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def _cythonize(source, module_name, c_file, *options):
    """Cython's C for one module, as setup.py generates it."""
    cmd = [sys.executable, "-m", "cython", "-3", *options, "--module-name", module_name, str(source), "-o", str(c_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_cython_module_compiles_without_warnings(tmp_path, request, cc):
    """The C that Cython generates is held to the same -Wall -Wextra bar.

    Several seconds of compiling: runs only when slow tests are asked for
    (``-m slow``)."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("compiles the whole extension; run with -m slow")
    pytest.importorskip("Cython")
    c_file = tmp_path / "_wire_c.c"
    _cythonize(CSRC / "_wire_c.pyx", "pool._wire_c", c_file, "-I", str(CSRC))
    proc = subprocess.run(
        [
            cc,
            "-O2",
            "-fPIC",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            str(CSRC),
            "-I",
            sysconfig.get_paths()["include"],
            "-c",
            str(c_file),
            "-o",
            str(tmp_path / "_wire_c.o"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


@functools.lru_cache(maxsize=None)
def _setup_py_constants():
    """setup.py's module-level constants (NAME = literal), parsed once."""
    import ast

    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:  # not a literal
                pass
    return found


def _setup_py_constant(name):
    value = _setup_py_constants().get(name)
    assert value is not None, f"setup.py defines no {name}"
    return value


@pytest.mark.slow
@pytest.mark.skipif(PURE, reason="the same generated C as the compiled run checks")
@pytest.mark.skipif(not (ROOT / "setup.py").is_file(), reason="no source tree: an installed pool is under test")
def test_request_path_compiles_without_warnings(tmp_path, request, cc):
    """The request path's generated C, with setup.py's flags for it, has no
    warning either: -Werror on each module, compiled side by side.

    Only the false positives setup.py names (REQUEST_PATH_CFLAGS) are off."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("compiles five modules; run with -m slow")
    pytest.importorskip("Cython")
    modules = _setup_py_constant("REQUEST_PATH")
    extra = _setup_py_constant("REQUEST_PATH_CFLAGS")
    assert modules and all(flag.startswith("-Wno-") for flag in extra)
    compiles = []
    for name in modules:
        c_file = tmp_path / (name.rpartition(".")[2] + ".c")
        source = ROOT / (name.replace(".", "/") + ".py")
        _cythonize(source, name, c_file, "-X", "annotation_typing=False", "-X", "binding=True")
        cmd = [cc, "-O2", "-g0", "-fPIC", "-Wall", "-Wextra", "-Werror", *extra]
        cmd += ["-I", sysconfig.get_paths()["include"], "-c", str(c_file), "-o", str(c_file.with_suffix(".o"))]
        compiles.append((name, subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)))
    failures = []
    for name, proc in compiles:
        _, err = proc.communicate(timeout=600)
        if proc.returncode != 0 or err:
            failures.append(f"{name}:\n{err}")
    assert not failures, "\n".join(failures)
