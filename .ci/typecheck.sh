#!/usr/bin/env bash
# Static types: installs mypy into the active environment, runs
# `mypy --strict pool/` (settings in pyproject.toml), then checks that
# pool/_wire_c.pyi matches the compiled module with mypy's stubtest.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q --disable-pip-version-check "mypy>=1.11"
python -m mypy --version

# Any error fails the run.
python -m mypy --strict pool/
echo "typecheck: mypy --strict pool/ is clean"

# A user's strict type check sees pool's own public names too: mypy takes a
# name imported into a package without `as` (and not in __all__) as private.
user="$(mktemp -d)"
cat >"$user/uses_pool.py" <<'PY'
import pool

pool.install_as_urllib3()
version: str = pool.__version__
compiled: bool = pool.HAS_EXTENSIONS
http = pool.PoolManager(retries=pool.Retry(2), timeout=pool.Timeout(connect=1.0))
PY
(cd "$user" && MYPYPATH="$OLDPWD" python -m mypy --strict --no-incremental --config-file "$OLDPWD/pyproject.toml" uses_pool.py) || { rm -rf "$user"; exit 1; }
rm -rf "$user"
echo "typecheck: pool's public names type-check in user code"

# stubtest imports the compiled module and compares it with the .pyi.  It
# runs on a copy holding just that module and what it imports, so errors
# elsewhere in the package cannot stop it.
so="$(ls pool/_wire_c.*.so pool/_wire_c.*.pyd 2>/dev/null | head -n 1 || true)"
if [ -z "$so" ]; then
    echo "stubtest skipped: pool._wire_c is not built (python setup.py build_ext --inplace)"
    exit 0
fi
stub="$(mktemp -d)"
trap 'rm -rf "$stub"' EXIT
mkdir "$stub/pool"
cp "$so" pool/_wire_c.pyi pool/exceptions.py pool/py.typed "$stub/pool/"
: >"$stub/pool/__init__.py"
(cd "$stub" && python -m mypy.stubtest pool._wire_c)
echo "typecheck: pool/_wire_c.pyi matches the compiled module"
