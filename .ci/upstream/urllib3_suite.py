"""pytest plugin for urllib3's own suite run against pool.

Load after ``pool_as_urllib3``.  urllib3's ``test/conftest.py`` and
``test_https.py`` import ``urllib3.http2`` at module level; pool speaks
HTTP/1.1 only and has no such module (docs/differences.md, "Not offered").
A stand-in module lets those files import; every test that turns HTTP/2 on
through it is skipped, so the HTTP/1.1 half of each test still runs.
"""

from __future__ import annotations

import sys
import types

import pytest
import urllib3

_REASON = "not offered: pool speaks HTTP/1.1 only (no urllib3.http2)"


def _skip(*args: object, **kwargs: object) -> None:
    pytest.skip(_REASON)


def _noop(*args: object, **kwargs: object) -> None:
    return None


http2 = types.ModuleType("urllib3.http2", "Stand-in: pool has no HTTP/2.")
http2.inject_into_urllib3 = _skip  # type: ignore[attr-defined]
http2.extract_from_urllib3 = _noop  # type: ignore[attr-defined]
probe = types.ModuleType("urllib3.http2.probe", "Stand-in: pool has no HTTP/2.")
probe._reset = _noop  # type: ignore[attr-defined]
probe._values = dict  # type: ignore[attr-defined]
http2.probe = probe  # type: ignore[attr-defined]

sys.modules.setdefault("urllib3.http2", http2)
sys.modules.setdefault("urllib3.http2.probe", probe)
# On the alias module itself, not passed through to pool.
urllib3.__dict__.setdefault("http2", http2)
