#!/usr/bin/env bash
# Build the compiled wire core with AddressSanitizer and UndefinedBehaviorSanitizer
# in a scratch copy of the tree, and run the whole test suite against it.
# ASan must be the first library loaded, hence LD_PRELOAD; leak detection is off
# because CPython itself keeps memory alive at exit by design.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src/pool" "$src/csrc" "$src/tests" "$src/bench" "$src/setup.py" "$src/pyproject.toml" "$src/README.md" "$src/docs" "$work/"
rm -f "$work"/pool/*.so
cd "$work"
python -m pip install -q --disable-pip-version-check "Cython>=3.0" "setuptools>=64"
POOL_SANITIZE=1 python setup.py -q build_ext --inplace 2>&1 | grep -v "^$" || true
ls pool/_wire_c*.so >/dev/null
asan="$(gcc -print-file-name=libasan.so)"
export POOL_UNDER_ASAN=1 LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export PYTHONPATH="$work"
python -c "import pool, pool._wire_c, sys; assert pool.__file__.startswith('$work'), pool.__file__; assert pool.HAS_EXTENSIONS"
python -m pytest -q -p no:cacheprovider tests
