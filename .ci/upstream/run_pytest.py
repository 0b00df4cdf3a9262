"""Run pytest with pool installed as urllib3: ``python run_pytest.py ARGS``.

The plugin ``pool_as_urllib3`` must be imported before anything imports
urllib3.  Loading it with ``-p`` alone is too late for urllib3's suite:
pytest resolves the warning categories of the ini file's ``filterwarnings``
(``urllib3.exceptions.HTTPWarning``) before it imports ``-p`` plugins, and
that imports urllib3.  So import the plugin first, then hand it to pytest.
"""

from __future__ import annotations

import sys

import pool_as_urllib3  # noqa: F401  (installs pool as urllib3 on import)
import pytest

if __name__ == "__main__":
    sys.exit(pytest.main(["-p", "pool_as_urllib3", *sys.argv[1:]]))
