"""Shared fixtures.

``wire`` runs a test against both wire implementations (ids ``c`` and ``py``).
The compiled one is required unless the whole run is pure Python
(POOL_NO_EXTENSIONS set): a default build that silently lost its extension
fails here instead of passing on the twin alone.
"""

import importlib
import os

import pytest

PURE = bool(os.environ.get("POOL_NO_EXTENSIONS"))


def _load(name: str):
    if name == "c":
        if PURE:
            pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test")
        return importlib.import_module("pool._wire_c")
    return importlib.import_module("pool._wire_py")


@pytest.fixture(params=["c", "py"])
def wire(request):
    """The wire module under test: pool._wire_c or pool._wire_py."""
    return _load(request.param)
