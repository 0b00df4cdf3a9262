# Shortcuts for working on pool; each target wraps a command or a script in
# .ci/ that works without make too.  `make help` lists them.
#
# Run from an activated virtual environment (CONTRIBUTING.md), or name its
# interpreter: `make test PYTHON=.venv/bin/python`.  The .ci/ scripts call
# `python`, so the directory of $(PYTHON) goes first on their PATH.

PYTHON ?= python
# Seconds per libFuzzer target in `make c` (CI runs 30).
FUZZ_SECONDS ?= 5
# Extra arguments: `make test ARGS="-x tests/test_wire_head.py"`,
# `make bench ARGS="--quick"`.
ARGS ?=
# What `make format` rewrites: the whole tree, or `make format FILES="a.py"`.
FILES ?= .

PYDIR := $(abspath $(dir $(shell command -v $(PYTHON))))
SCRIPT_ENV := PATH="$(PYDIR):$$PATH"

.DEFAULT_GOAL := help
.PHONY: help dev test test-py c typecheck annotate bench profile lint format pythons ci

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

dev:  ## build the compiled code in place (after changing csrc/ or the request path, pool/_compiled.py)
	@$(PYTHON) -c "import Cython, setuptools" 2>/dev/null \
		|| $(PYTHON) -m pip install -q "Cython>=3.0" "setuptools>=64"
	$(PYTHON) setup.py -q build_ext --inplace
	@$(PYTHON) -c "import pool; print('pool.HAS_EXTENSIONS =', pool.HAS_EXTENSIONS, \
		'/ request path compiled =', pool._compiled.request_path_compiled())"

test:  ## the suite on the compiled core
	$(PYTHON) -m pytest $(ARGS)

test-py:  ## the suite on the pure-Python twin
	POOL_NO_EXTENSIONS=1 $(PYTHON) -m pytest $(ARGS)

c:  ## the C core alone: -Werror build, C tests under ASan/UBSan, a short fuzz pass
	POOL_FUZZ_SECONDS=$(FUZZ_SECONDS) bash .ci/c-tests.sh

typecheck:  ## mypy --strict on pool/, stubtest on the compiled module
	$(SCRIPT_ENV) bash .ci/typecheck.sh

# Into build/annotate/, not csrc/: a csrc/_wire_c.c newer than the .pyx
# would be taken as up to date by the next build, without setup.py's
# compiler directives.
annotate:  ## cython -a: build/annotate/_wire_c.html shows the Python calls per line
	@$(PYTHON) -c "import Cython" 2>/dev/null || $(PYTHON) -m pip install -q "Cython>=3.0"
	@mkdir -p build/annotate
	$(PYTHON) -m cython -a -I csrc -o build/annotate/_wire_c.c csrc/_wire_c.pyx
	@echo "open build/annotate/_wire_c.html"

bench:  ## python -m bench: pool against urllib3 and its peers (needs the bench extra)
	$(PYTHON) -m bench $(ARGS)

profile:  ## python -m bench.profile: where each client's time per request goes (needs perf)
	$(PYTHON) -m bench.profile $(ARGS)

lint:  ## ruff check and ruff format --check (pinned ruff)
	$(SCRIPT_ENV) bash .ci/lint.sh

format:  ## ruff format, then ruff check --fix (FILES="..." for fewer)
	$(PYTHON) -m ruff format $(FILES)
	$(PYTHON) -m ruff check --fix $(FILES)

pythons:  ## the suite on every other CPython found (.ci/pythons.sh; PYTHONS="..." to choose)
	$(SCRIPT_ENV) bash .ci/pythons.sh

ci:  ## everything CI runs, from a fresh venv (.ci/run; takes a while)
	bash .ci/run
