"""requests on pool: its common paths behave as they do on urllib3.

tests/requests_script.py runs every scenario against local HTTP and HTTPS
servers, in a fresh interpreter per backend (installing pool as urllib3 must
not leak into this process).  Each scenario's result on pool must equal its
result on urllib3, and, so that agreeing on something wrong cannot pass, also
the value written down here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).resolve().parent / "requests_script.py"


def _start(backend: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(ROOT),
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, dict]]:
    """{backend: {scenario: {"ok": value} | {"error": ...}}}, both run at once."""
    procs = {b: _start(b) for b in ("urllib3", "pool")}
    results = {}
    try:
        for backend, proc in procs.items():
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, f"{backend} run failed:\n{err[-3000:]}"
            results[backend] = json.loads(out.strip().splitlines()[-1])
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
    return results


def _ok(runs: dict, backend: str, scenario: str) -> object:
    result = runs[backend][scenario]
    assert "error" not in result, f"{scenario} on {backend}: {result.get('tb', result['error'])}"
    return result["ok"]


def _without_zstd(value: object) -> object:
    # pool advertises zstd whenever it can decode it (with zstandard); urllib3
    # 2.7 only with backports.zstd or Python 3.14's compression.zstd. The rest
    # of Accept-Encoding must match.
    if isinstance(value, dict) and isinstance(value.get("headers"), list):
        value = dict(value)
        value["headers"] = [
            [k, ", ".join(t for t in v.split(", ") if t != "zstd")] if k == "accept-encoding" else [k, v]
            for k, v in value["headers"]
        ]
    return value


# What each scenario must give (on both backends). Scenarios whose result is
# a whole echoed request are checked for agreement, plus the key facts below.
EXPECTED = {
    "session_keepalive": {"distinct_conns": 1, "opened": 1, "pools": 2},
    "session_close_unread_stream": {"reused_after_close": False},
    "params": "/echo?a=1&b=x&b=y&c=%C3%A9+%C3%BC&d=",
    "head_and_status": {"head": [200, "b''", "h"], "404": [404, "Not Found", "HTTPError"]},
    "stream_iter_content": {"joined": "chunk0chunk1chunk2chunk3chunk4", "max": 4, "reused": True},
    "stream_iter_lines": ["alpha", "beta", "", "gamma", "delta"],
    "stream_raw_read": [10, 90, "", 100],
    "gzip": {
        "content_ok": True,
        "text_start": "line one",
        "encoding": "gzip",
        "raw_is_compressed": True,
        "iter_ok": True,
    },
    "redirects": {
        "get": [200, [302], "echo"],
        "303": ["GET", ""],
        "307": ["POST", "body"],
        "off": [302, True, "/echo", "echo"],
    },
    "redirect_cross_host_drops_auth": [302, False],
    "redirect_loop": ["TooManyRedirects", 5],
    "cookies": {
        "response_cookies": [["a", "1"], ["b", "2"]],
        "jar": [["a", "1"], ["b", "2"]],
        "sent": "a=1; b=2",
        "after_redirect": "a=1; b=2; session=abc",
        "history": [302],
    },
    "auth_basic": "Basic dXNlcjpw5HNzd29yZA==",
    "auth_digest": [200, "digest ok", [401]],
    "read_timeout": [["ReadTimeout", True, True], ["ReadTimeout", True, True]],
    "stream_read_timeout": ["ConnectionError", "ReadTimeoutError"],
    "connect_timeout": ["ConnectTimeout", True, True],
    "connection_refused": ["ConnectionError", False, "NewConnectionError"],
    "retry_status": {"error": "RetryError", "attempts": 3, "no_raise": 503},
    "retry_connect": ["ConnectionError", "MaxRetryError", "NewConnectionError"],
    "retry_after": ["RetryError", 2, True],
    "https_verify_ca": [200, "tls"],
    "https_verify_default_fails": ["SSLError", True],
    "https_verify_false": [200, "noverify", ["InsecureRequestWarning"], True],
    "https_session_reuse": [["k", "k", "k"], 1],
    "https_client_cert": ["pool client", "pool client"],
    "https_client_cert_missing": ["RequestException", True],
    "large_body": [3000000, "3000000"],
}

# Echoed requests: (method, body) facts on top of agreement.
ECHOED = {
    "data_form": ("POST", "k=v&list=1&list=2&sp=a+b%26c", ("content-type", "application/x-www-form-urlencoded")),
    "data_bytes": ("PUT", "\x00\x01raw bytes\xff", ("content-length", "12")),
    "data_generator": ("POST", "part1-part2-part3", ("transfer-encoding", "chunked")),
    "data_file": ("POST", [10000, "01234567890123456789"], ("content-length", "10000")),
    "json": ("POST", '{"a": [1, 2, {"b": null}], "u": "\\u00e9"}', ("content-type", "application/json")),
    "files": ("POST", None, ("content-type", "multipart/form-data; boundary=BOUNDARY")),
    "headers": ("GET", "", ("x-one", "1")),
}

# Results that differ on purpose (see docs/differences.md), or that need
# what pool does not have yet.
NOT_COMPARED = {"backend", "proxies", "cl_te_response"}


def test_requests_really_runs_on_pool(runs):
    on_pool = _ok(runs, "pool", "backend")
    assert on_pool["poolmanager"] == "pool.poolmanager"
    assert on_pool["raw"] == "pool.response.HTTPResponse"
    assert on_pool["retry"] == "pool.util.retry"
    assert on_pool["packages_alias"] is True
    from pool._version import URLLIB3_API_VERSION

    assert on_pool["version"] == URLLIB3_API_VERSION
    on_urllib3 = _ok(runs, "urllib3", "backend")
    assert on_urllib3["poolmanager"] == "urllib3.poolmanager"
    assert on_urllib3["raw"] == "urllib3.response.HTTPResponse"
    assert on_urllib3["pool_imported"] is False


def test_every_scenario_is_covered(runs):
    scenarios = set(runs["urllib3"])
    assert scenarios == set(runs["pool"])
    assert scenarios == set(EXPECTED) | set(ECHOED) | NOT_COMPARED


@pytest.mark.parametrize("scenario", sorted(EXPECTED))
def test_scenario(runs, scenario):
    on_urllib3 = _ok(runs, "urllib3", scenario)
    on_pool = _ok(runs, "pool", scenario)
    assert on_urllib3 == EXPECTED[scenario]
    assert on_pool == on_urllib3


@pytest.mark.parametrize("scenario", sorted(ECHOED))
def test_upload_scenario(runs, scenario):
    on_urllib3 = _ok(runs, "urllib3", scenario)
    on_pool = _ok(runs, "pool", scenario)
    method, body, header = ECHOED[scenario]
    for doc in (on_urllib3, on_pool):
        assert doc["method"] == method
        if body is not None:
            assert doc["body"] == body
        assert list(header) in doc["headers"]
    assert _without_zstd(on_pool) == _without_zstd(on_urllib3)


def test_files_multipart_body(runs):
    doc = _ok(runs, "pool", "files")
    assert doc["body"] == (
        '--BOUNDARY\r\nContent-Disposition: form-data; name="k"\r\n\r\nv\r\n'
        '--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\nfile content\r\n"
        '--BOUNDARY\r\nContent-Disposition: form-data; name="g"; filename="b.bin"\r\n\r\n\x00\x01\r\n'
        "--BOUNDARY--\r\n"
    )


def test_response_with_content_length_and_transfer_encoding(runs):
    # On purpose: pool refuses the smuggling shape that urllib3 reads as chunked.
    assert _ok(runs, "urllib3", "cl_te_response") == [200, "hello"]
    assert _ok(runs, "pool", "cl_te_response") == ["ConnectionError", "InvalidFraming"]


def test_proxies(runs):
    expected = {"proxied": "id?id=via", "auth": "Basic cHU6cHA="}
    assert _ok(runs, "urllib3", "proxies") == expected
    assert _ok(runs, "pool", "proxies") == expected
