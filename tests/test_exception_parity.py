"""For every bad response that urllib3 2.8 refuses, pool raises an instance
of the class urllib3 raises for the same bytes.

Each case is served by a raw-socket server to urllib3 and to pool (both wire
implementations), preloaded and streamed; the test asserts that urllib3
raises the class in the table (so a wrong case cannot pass) and that pool's
exception is an instance of it.  Also checked through requests, whose
mapping of urllib3's classes to its own is what its users catch.
"""

from __future__ import annotations

import typing

import pytest
import urllib3

import pool
from hostile import CLOSE, HostileServer, impl  # noqa: F401

H = b"HTTP/1.1 200 OK\r\n"

# name -> (response steps, urllib3's class, the class of its first argument
# when urllib3 wraps another exception, or None)
CASES: dict[str, tuple[list[typing.Any], str, str | None]] = {
    "content-length-twice-differ": (
        [H + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", CLOSE],
        "InvalidHeader",
        None,
    ),
    "content-length-list-differ": ([H + b"Content-Length: 3, 4\r\n\r\nabcd", CLOSE], "InvalidHeader", None),
    "body-shorter-than-length": ([H + b"Content-Length: 10\r\n\r\nabc", CLOSE], "ProtocolError", "IncompleteRead"),
    "chunked-cut-mid-chunk": ([H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nab", CLOSE], "ProtocolError", None),
    "chunked-no-last-chunk": ([H + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", CLOSE], "ProtocolError", None),
    "chunk-size-not-hex": (
        [H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", CLOSE],
        "ProtocolError",
        None,
    ),
    "status-line-garbage": ([b"HTTQ/1.1 200 OK\r\n\r\n", CLOSE], "ProtocolError", None),
    "status-code-not-digits": ([b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", CLOSE], "ProtocolError", None),
    "closed-before-any-byte": ([CLOSE], "ProtocolError", "RemoteDisconnected"),
}


def _fetch(mod: typing.Any, url: str, stream: bool) -> BaseException:
    pm = mod.PoolManager(retries=False, timeout=3)
    try:
        r = pm.request("GET", url, preload_content=not stream)
        if stream:
            for _ in r.stream(1024):
                pass
    except Exception as e:  # the outcome under test
        return e
    raise AssertionError(f"{mod.__name__} accepted the response")


@pytest.mark.parametrize("stream", [False, True], ids=["preload", "stream"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_pool_raises_a_subclass_of_what_urllib3_raises(impl, name: str, stream: bool) -> None:  # noqa: F811
    steps, cls_name, inner = CASES[name]
    with HostileServer([steps, steps]) as srv:
        theirs = _fetch(urllib3, srv.url("/"), stream)
        ours = _fetch(pool, srv.url("/"), stream)
    expected = getattr(urllib3.exceptions, cls_name)
    assert isinstance(theirs, expected), f"the table is wrong about urllib3: {theirs!r}"
    if inner is not None:
        assert type(theirs.args[1]).__name__ == inner
    # pool's class is pool's own (install_as_urllib3 makes it urllib3's).
    assert isinstance(ours, getattr(pool.exceptions, cls_name)), f"{ours!r} is not a {cls_name}"
    # And its class names urllib3's in its bases, so code written against
    # urllib3's names reads it the same way.
    assert cls_name in {c.__name__ for c in type(ours).__mro__}


REQUESTS_SCRIPT = r"""
import sys, json
import pool
if sys.argv[1] == "pool":
    pool.install_as_urllib3()
import requests
out = {}
for name, url in json.loads(sys.argv[2]).items():
    try:
        requests.get(url, timeout=3)
        out[name] = "ok"
    except requests.RequestException as e:
        out[name] = type(e).__name__
print(json.dumps(out))
"""


def test_requests_maps_pool_errors_as_urllib3_errors() -> None:
    import json
    import subprocess
    import sys

    pytest.importorskip("requests")
    names = sorted(CASES)

    def script(req: typing.Any) -> list[typing.Any]:
        return CASES[req.target.rsplit("/", 1)[-1]][0]

    with HostileServer(script) as srv:
        results = {}
        for backend in ("urllib3", "pool"):
            urls = {n: srv.url(f"/{backend}/{n}") for n in names}
            proc = subprocess.run(
                [sys.executable, "-c", REQUESTS_SCRIPT, backend, json.dumps(urls)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert proc.returncode == 0, proc.stderr
            results[backend] = json.loads(proc.stdout)
    assert results["pool"] == results["urllib3"]
    assert results["urllib3"]["content-length-twice-differ"] == "InvalidHeader"
