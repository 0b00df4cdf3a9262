#!/usr/bin/env bash
# The distributions, built and tested as users get them:
#  1. a clean export of the tree (tracked and new files, nothing git ignores;
#     POOL_EXPORT=HEAD exports the last commit instead) goes to a temp dir;
#  2. `python -m build` there makes the sdist, then the wheel from the sdist,
#     which proves the sdist is complete;
#  3. the sdist, unpacked, builds a pure-Python wheel with POOL_NO_EXTENSIONS
#     set, which must be tagged py3-none-any;
#  4. each wheel goes into its own fresh venv (with the `test` extra), and the
#     suite runs from a copy of tests/ and bench/ in a directory with no
#     pool/ in it, so it can only import the installed package.  A pytest
#     plugin written below stops the run unless pool comes from that venv's
#     site-packages, with HAS_EXTENSIONS, the compiled request path
#     (pool/_compiled.py) and py.typed as the wheel promises.
# Exits non-zero on any failure.  Needs network access to the package index
# (build requirements and test dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH POOL_NO_EXTENSIONS
PY="${PYTHON:-python3}"
TEST_TIMEOUT="${POOL_TEST_TIMEOUT:-900}"

work="$(mktemp -d)"
# POOL_KEEP_WORK=1 keeps the builds, venvs and logs for a look afterwards.
if [ -n "${POOL_KEEP_WORK:-}" ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
src="$work/export"
mkdir -p "$src"

echo "== export (${POOL_EXPORT:-working tree}) to $src"
if [ "${POOL_EXPORT:-}" = "HEAD" ]; then
    git archive HEAD | tar -x -C "$src"
else
    # Files deleted but not yet committed are still listed: copy what exists.
    git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - -cf - | tar -xf - -C "$src"
fi
if [ -e "$src/csrc/_wire_c.c" ] || compgen -G "$src/pool/*.so" >/dev/null; then
    echo "FAIL: the export holds generated files (csrc/_wire_c.c or pool/*.so)"
    exit 1
fi

echo "== build tools in a fresh venv"
"$PY" -m venv "$work/venv-build"
"$work/venv-build/bin/python" -m pip install -q --upgrade pip build

echo "== python -m build: sdist, then the wheel from the sdist"
(cd "$src" && "$work/venv-build/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1) \
    || { tail -n 60 "$work/build.log"; echo "FAIL: python -m build"; exit 1; }
sdist="$(ls "$work"/dist/*.tar.gz)"
wheel="$(ls "$work"/dist/*.whl)"

echo "== pure-Python wheel from the unpacked sdist (POOL_NO_EXTENSIONS=1)"
mkdir -p "$work/sdist"
tar -xzf "$sdist" -C "$work/sdist"
sdist_dir="$(ls -d "$work"/sdist/*/)"
POOL_NO_EXTENSIONS=1 "$work/venv-build/bin/python" -m build --wheel --outdir "$work/dist-pure" "$sdist_dir" \
    >"$work/build-pure.log" 2>&1 || { tail -n 60 "$work/build-pure.log"; echo "FAIL: pure build"; exit 1; }
pure="$(ls "$work"/dist-pure/*.whl)"

echo "== contents"
"$work/venv-build/bin/python" - "$sdist" "$wheel" "$pure" <<'EOF'
import ast, sys, tarfile, zipfile
from pathlib import PurePosixPath

sdist, wheel, pure = sys.argv[1:]
problems = []

names = {PurePosixPath(*PurePosixPath(n).parts[1:]).as_posix() for n in tarfile.open(sdist).getnames()}
for need in ("csrc/pool_http.c", "csrc/pool_http.h", "csrc/_wire_c.pyx", "csrc/pool_http.pxd",
             "setup.py", "pyproject.toml", "MANIFEST.in", "CHANGELOG.md", "README.md",
             "pool/py.typed", "pool/_wire_c.pyi", "tests/conftest.py"):
    if need not in names:
        problems.append(f"sdist lacks {need}")
for name in names:
    if name == "csrc/_wire_c.c" or name.endswith((".so", ".pyd", ".pyc")) or (name.startswith("pool/") and name.endswith(".c")):
        problems.append(f"sdist carries the generated file {name}")

def members(path):
    return set(zipfile.ZipFile(path).namelist())

w, p = members(wheel), members(pure)
wname, pname = wheel.rsplit("/", 1)[1], pure.rsplit("/", 1)[1]
if wname.endswith("-py3-none-any.whl") or not any(n.startswith("pool/_wire_c.") and n.endswith((".so", ".pyd")) for n in w):
    problems.append(f"{wname}: not a compiled wheel")
if not pname.endswith("-py3-none-any.whl"):
    problems.append(f"{pname}: the pure wheel is not tagged py3-none-any")
if any(n.endswith((".so", ".pyd")) for n in p):
    problems.append(f"{pname}: carries a compiled module")
# The request path (pool/_compiled.py's MODULES): compiled in the wheel, each
# beside its .py (tracebacks quote it; POOL_NO_EXTENSIONS=1 imports it).
request_path = ast.literal_eval(next(
    node.value for node in ast.walk(ast.parse(zipfile.ZipFile(wheel).read("pool/_compiled.py")))
    if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["MODULES"]
))
if not request_path:
    problems.append(f"{wname}: pool/_compiled.py lists no MODULES")
for module in request_path:
    stem = module.replace(".", "/")
    if not any(n.startswith(stem + ".") and n.endswith((".so", ".pyd")) for n in w):
        problems.append(f"{wname}: {module} is not compiled")
    for n, ms in ((wname, w), (pname, p)):
        if stem + ".py" not in ms:
            problems.append(f"{n} lacks {stem}.py")
for n, ms in ((wname, w), (pname, p)):
    generated = sorted(m for m in ms if m.endswith(".c"))
    if generated:
        problems.append(f"{n} carries generated C: {generated[:5]}")
for n, ms in ((wname, w), (pname, p)):
    for need in ("pool/py.typed", "pool/__init__.py", "pool/_wire_py.py", "pool/util/retry.py"):
        if need not in ms:
            problems.append(f"{n} lacks {need}")
    stray = sorted(m for m in ms if not m.startswith(("pool/", "pool-")))
    if stray:
        problems.append(f"{n} carries files outside pool/: {stray[:5]}")
print("sdist:", sdist.rsplit("/", 1)[1], f"({len(names)} files)")
print("wheel:", wname, f"({len(w)} files)")
print("pure: ", pname, f"({len(p)} files)")
if problems:
    print("\n".join("FAIL: " + x for x in problems))
    sys.exit(1)
EOF

# A pytest plugin, kept outside the copied tests: the session does not start
# unless pool is the installed one.
mkdir -p "$work/plugin"
cat >"$work/plugin/pool_installed_check.py" <<'EOF'
"""Refuse to run unless pool is imported from this venv's site-packages."""
import os
import sys
import sysconfig
from pathlib import Path

import pytest


def pytest_configure(config):
    import pool

    where = Path(pool.__file__).resolve().parent
    site = {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
    if where.parent not in site:
        raise pytest.UsageError(f"pool imported from {where}, not from site-packages {sorted(map(str, site))}")
    want = os.environ["POOL_EXPECT_EXTENSIONS"] == "1"
    if want and pool.HAS_EXTENSIONS is not True:
        raise pytest.UsageError("compiled wheel installed, but pool.HAS_EXTENSIONS is not True")
    if not want and pool.HAS_EXTENSIONS is not False:
        raise pytest.UsageError("pure wheel installed, but pool.HAS_EXTENSIONS is not False")
    import pool._compiled

    if pool._compiled.request_path_compiled() is not want:
        raise pytest.UsageError(f"compiled request path: {pool._compiled.compiled_modules()}, want all: {want}")
    if not (where / "py.typed").is_file():
        raise pytest.UsageError(f"{where} has no py.typed")


def pytest_report_header(config):
    import pool

    return f"installed pool {pool.__version__} at {Path(pool.__file__).parent} (HAS_EXTENSIONS={pool.HAS_EXTENSIONS})"
EOF

summary=()
failed=()
run_suite() {  # kind wheel expect_extensions
    local kind="$1" whl="$2" expect="$3" venv="$work/venv-$1" run="$work/run-$1"
    echo "== $kind: fresh venv, pip install $(basename "$whl")[test]"
    "$PY" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "$whl[test]"
    mkdir -p "$run"
    # csrc/ is copied too: the tests of the C core compile it on its own;
    # README.md and docs/ because tests run the examples they show.
    cp -R "$src/tests" "$src/bench" "$src/csrc" "$src/pyproject.toml" "$src/README.md" "$src/docs" "$run/"
    [ ! -e "$run/pool" ] || { echo "FAIL: $run has a pool/"; exit 1; }

    # Without POOL_NO_EXTENSIONS, the compiled wheel must load its core and
    # the pure wheel must fall back to the twin (it has no core to load).
    (cd "$run" && "$venv/bin/python" -c "import pool, sys; print('import pool ->', pool.__file__, 'HAS_EXTENSIONS =', pool.HAS_EXTENSIONS); sys.exit(0 if pool.HAS_EXTENSIONS is bool($expect) else 1)") \
        || { echo "FAIL: $kind: HAS_EXTENSIONS is not $([ "$expect" = 1 ] && echo True || echo False)"; exit 1; }
    # One version everywhere: the package, the installed metadata, CHANGELOG.md.
    (cd "$run" && "$venv/bin/python" - "$src/CHANGELOG.md" <<'EOF'
import re, sys
from importlib.metadata import version
import pool
meta = version("pool")
assert pool.__version__ == meta, f"pool.__version__ {pool.__version__} != installed metadata {meta}"
log = open(sys.argv[1], encoding="utf-8").read()
assert re.search(rf"^## \[?{re.escape(meta)}\]?(\s|$)", log, re.M), f"CHANGELOG.md has no heading for {meta}"
print("version", meta, "(pool.__version__ = metadata = CHANGELOG.md)")
EOF
    ) || { echo "FAIL: $kind: version mismatch"; exit 1; }

    echo "== $kind: test suite against the installed wheel"
    local env=(env "PYTHONPATH=$work/plugin" "POOL_EXPECT_EXTENSIONS=$expect")
    [ "$expect" = 1 ] || env+=("POOL_NO_EXTENSIONS=1")
    local log="$work/pytest-$kind.log" rc=0
    (cd "$run" && timeout "$TEST_TIMEOUT" "${env[@]}" "$venv/bin/python" -m pytest -p pool_installed_check \
        -p no:cacheprovider -q -rfEs tests bench) >"$log" 2>&1 || rc=$?
    if [ "$rc" != 0 ]; then
        grep -E "^(FAILED|ERROR) " "$log" || tail -n 60 "$log"
        echo "FAIL: $kind: pytest exit $rc"
        failed+=("$kind")
    fi
    grep -E "^SKIPPED" "$log" || true
    tail -n 1 "$log"
    summary+=("$kind $(basename "$whl"): $(tail -n 1 "$log" | sed 's/=//g; s/^ *//; s/ *$//')")
}

run_suite compiled "$wheel" 1
run_suite pure "$pure" 0

echo "== results"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAIL: test suite failed against: ${failed[*]}"
    exit 1
fi
echo "== wheels passed"
