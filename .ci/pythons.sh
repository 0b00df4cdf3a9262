#!/usr/bin/env bash
# The test suite on every other CPython this machine has (requires-python is
# >=3.10), for the compiled core and the pure-Python twin.  .ci/run tests the
# interpreter of its own venv in full; this covers the rest.
#
# Which interpreters: $PYTHONS if set (space-separated commands or paths,
# run as given; PYTHONS=none runs none); else the CPython 3.10+ versions
# installed under `pyenv root` (or $PYENV_ROOT, or ~/.pyenv, when pyenv is
# not on PATH); else python3.10 ... python3.14 found on PATH.  Without
# PYTHONS, the version of the active `python` is left out (.ci/run has just
# tested it in full), as are other implementations, free-threaded builds and
# older patch releases of a minor version.  None found: a notice, exit 0.
#
# For each: a fresh venv, `pip install -e '.[test]'`, the compiled core built
# in place, then `python -m pytest` and `POOL_NO_EXTENSIONS=1 python -m
# pytest` on a subset of the suite (below).  All of it runs on an export of
# the tree in a temporary directory (as .ci/wheels.sh makes one), so other
# versions' compiled modules never land in pool/ here, where
# .ci/typecheck.sh would find them.  Failed tests are run once more on their
# own (a few tests time the code, and a busy machine can stall one
# measurement); failing twice fails the run, as does a crash.
#
# If `.[test]` cannot be installed whole (a pinned dependency with no wheel
# and no build for that version), the package is installed alone, then each
# test requirement alone; those that fail are reported, and the tests that
# need them skip as they do anywhere they are missing (test_ecosystem.py
# skips its module unless all of its libraries are there; others use
# pytest.importorskip).  pool itself failing to install or build fails the run.
#
# The subset.  CI has 90 minutes on 2 cores, and the rest of .ci/run takes
# about 20 and grows.  Measured here for 3.10, 3.12 and 3.13: set-up 90-125 s
# per version, the subset 75-130 s per implementation, 16 minutes in all
# (27 once, while the machine was busy with other work).  The whole suite
# takes twice as long per run (3.13: 209 s compiled and 158 s twin, against
# 108 and 76), about 27 minutes for the three versions on a quiet machine,
# and grows with the suite.  Left out:
#   - tests/test_read_matrix.py: 3,800 combinations of body framing x read
#     call over real sockets, through the same wire code that
#     test_wire_*.py and the hostile tests cover case by case; the slowest
#     module by far (a fifth of the suite's time);
#   - tests/test_ecosystem.py: six third-party libraries, three backends
#     each, in subprocesses; what they exercise is pool's urllib3
#     surface, not the interpreter;
#   - tests/test_bench_smoke.py and bench/: the benchmark harness (nginx,
#     wrk, worker processes).
# They run in .ci/run's own version, and in the hosted CI workflow on every
# version.  Everything else runs here: the wire tests (C against the twin),
# the hostile servers, urllib3 parity, TLS, proxies, SOCKS, the C core
# tests.  POOL_PYTHONS_FULL=1 runs the whole suite instead.
#
# Exits non-zero when any suite fails on any version.
set -uo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH POOL_NO_EXTENSIONS
TEST_TIMEOUT="${POOL_TEST_TIMEOUT:-1800}"
start=$SECONDS

if [ -n "${POOL_PYTHONS_FULL:-}" ]; then
    SUBSET=()
else
    SUBSET=(tests --ignore=tests/test_read_matrix.py --ignore=tests/test_ecosystem.py --ignore=tests/test_bench_smoke.py)
fi

# ------------------------------------------------------------ interpreters
probe='import sys, sysconfig
print(sys.implementation.name, "%d.%d" % sys.version_info[:2], "%d.%d.%d" % sys.version_info[:3],
      int(sys.version_info >= (3, 10)), int(bool(sysconfig.get_config_var("Py_GIL_DISABLED"))))'
if [ "${PYTHONS:-}" = none ]; then
    echo "PYTHONS=none: no other Python tested"
    exit 0
fi
explicit=0
candidates=()
if [ -n "${PYTHONS:-}" ]; then
    explicit=1
    read -r -a candidates <<<"$PYTHONS"
else
    pyroot="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
    if [ -d "$pyroot/versions" ]; then
        for exe in "$pyroot"/versions/*/bin/python3; do
            [ -x "$exe" ] && candidates+=("$exe")
        done
    else
        for minor in 10 11 12 13 14; do
            exe="$(command -v "python3.$minor" 2>/dev/null)" && candidates+=("$exe")
        done
    fi
fi

main_ver=""
[ "$explicit" = 1 ] || main_ver="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"

declare -A chosen=() chosen_full=()
for exe in "${candidates[@]}"; do
    info="$("$exe" -c "$probe" 2>/dev/null)" || { echo "skip $exe: does not run"; continue; }
    read -r impl ver full supported freethreaded <<<"$info"
    if [ "$explicit" = 0 ]; then
        [ "$impl" = cpython ] || continue
        [ "$supported" = 1 ] || continue
        [ "$freethreaded" = 0 ] || continue
        [ "$ver" != "$main_ver" ] || continue
    fi
    if [ -n "${chosen[$ver]:-}" ] && [ "$(printf '%s\n%s\n' "${chosen_full[$ver]}" "$full" | sort -V | tail -n 1)" != "$full" ]; then
        continue
    fi
    chosen[$ver]=$exe
    chosen_full[$ver]=$full
done
if [ ${#chosen[@]} -eq 0 ]; then
    echo "no other CPython 3.10+ found (set PYTHONS to name some); nothing to do"
    exit 0
fi
mapfile -t versions < <(printf '%s\n' "${!chosen[@]}" | sort -V)
echo "== interpreters${main_ver:+ (besides $main_ver, the active python)}:"
for v in "${versions[@]}"; do echo "   $v: ${chosen[$v]} (${chosen_full[$v]})"; done
echo "== suite: ${SUBSET[*]:-the whole of it (POOL_PYTHONS_FULL)}"

# ------------------------------------------------------------ the tree
work="$(mktemp -d)"
if [ -n "${POOL_KEEP_WORK:-}" ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
src="$work/src"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$src"

# ------------------------------------------------------------ each version
status=0
summary=()
run_version() {  # version interpreter
    local ver=$1 exe=$2 venv="$work/venv-$1" t0=$SECONDS log="$work/install-$1.log"
    local vpy="$venv/bin/python"
    echo "== $ver: fresh venv, pip install -e '.[test]'"
    # setuptools upgraded, not just ">=64": the one a 3.10 venv starts with
    # has no bdist_wheel of its own, which --no-build-isolation then needs.
    if ! { "$exe" -m venv "$venv" && "$vpy" -m pip install -q --upgrade pip setuptools \
        && "$vpy" -m pip install -q "Cython>=3.0"; } >"$log" 2>&1; then
        tail -n 30 "$log"
        summary+=("$ver: FAILED to make a venv")
        status=1
        return
    fi
    # The build tools are in the venv already, and the build goes into the
    # export; the in-place build below reuses what pip compiled.
    local missing=()
    if ! "$vpy" -m pip install -q --no-build-isolation -e "$src[test]" >>"$log" 2>&1; then
        echo "   '.[test]' did not install whole; the package alone, then each test requirement"
        if ! "$vpy" -m pip install -q --no-build-isolation -e "$src" >>"$log" 2>&1; then
            tail -n 40 "$log"
            summary+=("$ver: FAILED: pool does not install")
            status=1
            return
        fi
        local reqs=()
        mapfile -t reqs < <("$vpy" - <<'EOF'
import re
from importlib.metadata import requires

for r in requires("pool") or []:
    name, _, marker = r.partition(";")
    if not re.search(r"""extra\s*==\s*["']test["']""", marker):
        continue
    marker = re.sub(r"""\s*(and\s+)?extra\s*==\s*["']test["']""", "", marker).strip()
    marker = re.sub(r"^and\s+", "", marker)
    print(name.strip() + (f"; {marker}" if marker else ""))
EOF
        )
        local req
        for req in "${reqs[@]}"; do
            "$vpy" -m pip install -q "$req" >>"$log" 2>&1 || missing+=("${req%%;*}")
        done
        echo "   not installable on $ver: ${missing[*]:-none}"
    fi
    if ! (cd "$src" && "$vpy" setup.py -q build_ext --inplace) >>"$log" 2>&1 \
        || ! (cd "$src" && "$vpy" -c "import pool, sys; sys.exit(0 if pool.HAS_EXTENSIONS else 1)") >>"$log" 2>&1; then
        tail -n 30 "$log"
        summary+=("$ver: FAILED: the compiled core did not build or load")
        status=1
        return
    fi
    echo "   set-up took $((SECONDS - t0)) s${missing[*]:+; missing: ${missing[*]}}"

    local impl rc t1 plog res
    for impl in compiled twin; do
        echo "== $ver [$impl]: python -m pytest ${SUBSET[*]}"
        t1=$SECONDS
        plog="$work/pytest-$ver-$impl.log"
        run_pytest "$impl" "$vpy" "${SUBSET[@]}" >"$plog" 2>&1 && rc=0 || rc=$?
        res="$(result_of "$plog")"
        if [ "$rc" != 0 ]; then
            if grep -q "Fatal Python error" "$plog"; then
                grep -m 1 -A 14 "Fatal Python error" "$plog"
            else
                grep -E "^(FAILED|ERROR) " "$plog" || tail -n 60 "$plog"
            fi
            # Once more, the failed tests alone: a few tests time the code
            # (linear parsing, deadlines), and a machine busy with other work
            # can stall one measurement.  Failing twice fails the step.
            local -a again=()
            mapfile -t again < <(grep -E "^(FAILED|ERROR) " "$plog" | sed -E 's/^(FAILED|ERROR) //; s/ - .*$//' | sort -u)
            if [ "${#again[@]}" -gt 0 ] && [ "${#again[@]}" -le 10 ]; then
                echo "   re-running ${#again[@]} failed test(s) once"
                if run_pytest "$impl" "$vpy" "${again[@]}" >"$plog.rerun" 2>&1; then
                    res="$res; passed when re-run: ${again[*]}"
                    rc=0
                else
                    grep -E "^(FAILED|ERROR) " "$plog.rerun" || tail -n 30 "$plog.rerun"
                fi
            fi
            [ "$rc" = 0 ] || status=1
        fi
        echo "   $res ($((SECONDS - t1)) s, pytest exit $rc)"
        summary+=("$ver [$impl]: $res ($((SECONDS - t1)) s)${missing[*]:+; not installed: ${missing[*]}}")
    done
}

run_pytest() {  # impl interpreter pytest-args...
    local impl=$1 vpy=$2
    shift 2
    (
        cd "$src" || exit 1
        if [ "$impl" = twin ]; then export POOL_NO_EXTENSIONS=1; fi
        timeout "$TEST_TIMEOUT" "$vpy" -m pytest -q -p no:cacheprovider -rfE "$@"
    )
}

result_of() {  # pytest log -> its closing counts, or what stopped it
    local line
    line="$(grep -E "^=* ?[0-9]+ (passed|failed|errors?|skipped|deselected)|no tests ran" "$1" | tail -n 1 | sed 's/=//g; s/^ *//; s/ *$//')"
    if [ -n "$line" ]; then
        echo "$line"
    elif grep -q "Fatal Python error" "$1"; then
        grep -m 1 -o "Fatal Python error.*" "$1"
    else
        echo "no pytest summary"
    fi
}

for v in "${versions[@]}"; do
    run_version "$v" "${chosen[$v]}"
done

echo "== other Pythons: summary"
printf '%s\n' "${summary[@]}"
echo "other Pythons took $((SECONDS - start)) s"
if [ "$status" != 0 ]; then
    echo "FAIL: the suite failed on another Python"
fi
exit "$status"
