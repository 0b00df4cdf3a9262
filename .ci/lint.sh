#!/usr/bin/env bash
# Lint: `ruff check` and `ruff format --check` over the whole tree, with the
# rules, exceptions and layout in pyproject.toml ([tool.ruff]).  Any finding,
# or any file the formatter would change (the diff is printed), fails the run.
#
# ruff comes from the `dev` extra; it is installed into the active
# environment at the pinned version when missing or different, so a local
# run gives CI's verdict.
set -euo pipefail
cd "$(dirname "$0")/.."

want="$(sed -n 's/.*"ruff==\([0-9][0-9.]*\)".*/\1/p' pyproject.toml | head -n 1)"
have="$(python -m ruff --version 2>/dev/null | awk '{print $2}' || true)"
if [ -z "$want" ]; then
    echo "lint: no ruff==X.Y.Z pin in pyproject.toml" >&2
    exit 1
fi
if [ "$have" != "$want" ]; then
    python -m pip install -q --disable-pip-version-check "ruff==$want"
fi
python -m ruff --version

python -m ruff check --no-cache .
echo "lint: ruff check is clean"

python -m ruff format --no-cache --diff .
echo "lint: ruff format --check is clean"
