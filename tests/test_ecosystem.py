"""Libraries built on urllib3, run on pool: boto3/botocore, docker,
kubernetes, vcrpy, minio and elasticsearch.

These libraries go beyond urllib3's documented API: they subclass its
connection and pool classes, swap them at runtime, or reach into
``response.raw._fp``.  tests/ecosystem/<lib>_script.py drives each library
as an application would, against a local server the script starts (moto's
S3, a fake Docker Engine on a UNIX socket, fake Kubernetes and Elasticsearch
API servers, a plain HTTP server for vcrpy), in a fresh interpreter per
backend:

- ``urllib3``: the real urllib3 (an ordinary test: it must pass, so that a
  scenario which is wrong about its library cannot pass as a pool success);
- ``pool``: ``pool.install_as_urllib3()`` with the compiled core;
- ``pool-py``: the same with POOL_NO_EXTENSIONS set (the pure-Python twin).

Every scenario's result on every backend must equal the value written down
here; a pool case also fails while its urllib3 case does.  With
POOL_NO_EXTENSIONS set in this process the compiled backend is skipped, as
elsewhere in the suite.  The ``backend`` scenario of each script shows the
library really runs on the backend under test (a silent fallback to urllib3
must not pass for pool).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import typing
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = Path(__file__).resolve().parent / "ecosystem"
PURE = bool(os.environ.get("POOL_NO_EXTENSIONS"))

BACKENDS = ("urllib3", "pool", "pool-py")
LIBS = ("boto3", "docker", "kubernetes", "vcrpy", "minio", "elasticsearch")
# Looked up, not imported: this process must not import urllib3 for them.
_MISSING = [
    m
    for m in ("boto3", "docker", "kubernetes", "vcr", "minio", "elasticsearch", "moto", "werkzeug")
    if importlib.util.find_spec(m) is None
]
if _MISSING:
    pytest.skip(f"not installed: {', '.join(_MISSING)} (the test extras)", allow_module_level=True)
if os.environ.get("POOL_UNDER_ASAN"):
    # Under the preloaded ASan runtime the libraries' own C extensions abort
    # (minio's stack does, on real urllib3 too); pool's code paths that these
    # libraries take are run under ASan by the rest of the suite
    # (test_connection_subclass.py, test_read_matrix.py).
    pytest.skip("third-party C extensions under a preloaded AddressSanitizer", allow_module_level=True)

# A run's bound: every request in the scripts has a timeout, and each
# scenario a deadline of its own (harness.py), so only a broken run gets here.
RUN_TIMEOUT = 75
PARALLEL = 6

# ------------------------------------------------------------ expectations

_LOG_PIECES = ["starting server\n", "warning: no config\n", "listening on :80\n", [9001, True], "shutting down\n"]
_VCR_EXCHANGE = {
    "get_query": {
        "status": 200,
        "headers": [["content-length", "33"], ["content-type", "application/json"], ["x-served", "search"]],
        "body": '{"q": "pool \\u00fc", "page": "2"}',
    },
    "post_json": {
        "status": 201,
        "headers": [["content-length", "61"], ["content-type", "application/json"], ["location", "/items/17"]],
        "body": '{"created": {"name": "widget", "tags": ["a", "b"]}, "id": 17}',
    },
    "chunked": {
        "status": 200,
        "headers": [["content-type", "text/plain"]],
        "body": "first chunk|second chunk|third chunk",
    },
    "gzip": {
        "status": 200,
        "headers": [["content-encoding", "gzip"], ["content-length", "61"], ["content-type", "text/plain"]],
        "body": True,
    },
    "not_found": {
        "status": 404,
        "headers": [["content-length", "13"], ["content-type", "text/plain"]],
        "body": "no such thing",
    },
    "streamed": "first chunk|second chunk|third chunk",
}

EXPECTED: dict[str, dict[str, typing.Any]] = {
    "boto3": {
        "create_bucket": [200, 200, True],
        "put_get_small": {
            "etag": True,
            "body": "hello from the ecosystem tests\n",
            "type": "text/plain",
            "length": 31,
            "meta": {"k": "v"},
            "get_etag": True,
        },
        "put_get_large": {"md5_etag": True, "length": [4194427, 4194427], "sha256": True, "range": [206, 1000, True]},
        "checksum_sha256": {"put_checksum": True, "get_checksum": True, "sha256": True},
        "multipart_transfer": {"parts_etag": True, "length": 12587233, "sha256": True},
        "paginate": {"pages": [5, 5, 5, 5, 3], "truncated": [True, True, True, True, False], "all_keys": True},
        "presigned_get": {
            "manager": "<backend>",
            "get": [200, "presigned content"],
            "put": [200, "put through a presigned URL"],
            "missing": [404, True],
        },
        "missing_key": {"get": ["NoSuchKey", 404], "head": ["404", 404], "after": 200},
        # The header went out, botocore read the interim response itself and
        # found a 100, then sent the body.
        "expect_continue": {
            "expect_header": ["100-continue"],
            "handled": [[["100"], True]],
            "status": 200,
            "sha256": True,
        },
    },
    "docker": {
        "ping_version": {
            "ping": True,
            "detected_api": "1.45",
            "version": ["26.1.0", "1.45", "linux"],
            "targets": ["/v1.45/_ping", "/v1.45/version", "/version"],
        },
        "containers_list": [
            ["f00dfeedf00d", "web", "running", {"app": "web"}],
            ["7777aaaa7777", "shell", "running", {"app": "shell"}],
        ],
        "logs_buffered": [9067, True],
        "logs_stream": _LOG_PIECES,
        "logs_stream_follow_api": [*_LOG_PIECES, True],
        "logs_stream_tty": "$ echo hi\r\nhi\r\n$ ",
        "pull_progress": [
            ["Pulling from library/busybox", "latest"],
            ["Pulling fs layer", "abc123"],
            ["Downloading", "abc123"],
            ["Download complete", "abc123"],
            ["Pull complete", "abc123"],
            ["Digest: sha256:" + "0" * 64, None],
            ["Status: Downloaded newer image for busybox:latest", None],
        ],
        # One piece per chunk, as sent.
        "pull_raw_chunks": [7, True, True],
        "missing_container": ["NotFound", 404, True],
    },
    "kubernetes": {
        "list_pods": {
            "kind": ["PodList", "300"],
            "pods": [
                ["db-0", "Pending", "nginx:1.27"],
                ["web-0", "Running", "nginx:1.27"],
                ["web-1", "Running", "nginx:1.27"],
            ],
        },
        "list_pods_label_selector": [3, "app=web", "10"],
        "read_pod": ["web-1", "uid-web-1", {"app": "web"}, "10.0.0.101"],
        "create_pod": {
            "created": ["new-0", "default", "Pending", ["sleep", "3600"]],
            "sent": ["Pod", "v1", "busybox"],
            "conflict": [409, "AlreadyExists"],
        },
        "delete_pod": ["db-0", True, [404, "Not Found", "NotFound"]],
        # All seven events, in order, from one request.
        "watch_pods": {
            "events": [
                ["ADDED", "w-0", "200", "Pending"],
                ["ADDED", "w-1", "201", "Pending"],
                ["MODIFIED", "w-0", "202", "Running"],
                ["ADDED", "w-2", "203", "Pending"],
                ["MODIFIED", "w-1", "204", "Running"],
                ["DELETED", "w-0", "205", "Succeeded"],
                ["MODIFIED", "w-2", "206", "Running"],
            ],
            "resource_version": "206",
            "requests": 1,
        },
        "watch_then_list": [["w-0", "w-1"], True],
        "follow_logs": [True, 6, ["log line 0: "]],
        "read_log_whole": True,
    },
    "vcrpy": {
        "record": {
            "result": _VCR_EXCHANGE,
            "server_saw": 6,
            "play_count": 0,
            "cassette": {
                "interactions": [
                    ["GET", "search?q=pool+%C3%BC&page=2", 200],
                    ["POST", "items", 201],
                    ["GET", "stream", 200],
                    ["GET", "gzip", 200],
                    ["GET", "missing", 404],
                    ["GET", "stream", 200],
                ],
                "post_body": {"name": "widget", "tags": ["a", "b"]},
            },
        },
        "urllib3_record_replay": {
            "recorded": [200, {"q": "direct", "page": "1"}, "search", "first chunk|second chunk|third chunk", True],
            "server_saw": 3,
            "replayed_same": True,
            "play_count": 3,
        },
        # With the server stopped: everything from the cassette.
        "replay": {"same_as_recorded": True, "result": _VCR_EXCHANGE, "play_count": 6, "all_played": True},
        "replay_unknown_request": ["CannotOverwriteExistingCassetteException", True],
    },
    "minio": {
        "make_bucket": [False, True, True],
        "put_get_small": {"etag": True, "body": "small object for minio\n", "headers": [200, "text/plain", "v"]},
        "stream_large": {"length": 3145827, "sha256": True, "max_piece": True, "range": [206, True]},
        "multipart_unknown_length": {"size": 11534341, "parts_etag": True, "sha256": True},
        "fput_stat": [204800, "application/x-test", True, "blue"],
        "list_objects": {"flat": ["list/a/", "list/b/"], "recursive": True},
        "copy_remove": ["copy me", ["NoSuchKey", 404]],
        "missing_object": ["S3Error", "NoSuchKey", 404],
        "presigned_get": [200, "presigned by minio"],
    },
    "elasticsearch": {
        "info": ["eco-cluster", "8.19.0", 200, "Elasticsearch"],
        "index_get": ["created", 201, {"title": "Dune", "year": 1965, "tags": ["sf"]}, ["NotFoundError", 404, False]],
        "bulk_search": {"bulk": [6, [], 2], "hits": ["Foundation", "Foundation and Empire"], "total": 2, "count": 6},
        "compressed": {"gzip_requests": 2, "roundtrip": True, "hits": 1, "accept_encoding": True},
        "index_not_found": ["NotFoundError", 404, "index_not_found_exception"],
    },
}

# The ``backend`` scenario: these entries name the package the library's
# HTTP layer comes from ("urllib3" or "pool"); the rest are fixed values.
_HTTP_LAYER_KEYS = ("urllib3", "PoolManager", "HTTPConnection", "HTTPResponse")
BACKEND_KEYS: dict[str, tuple[str, ...]] = {
    "boto3": ("httpsession.PoolManager", "AWSHTTPConnection.base", "AWSHTTPConnectionPool.base", "session.manager"),
    "docker": ("UnixHTTPConnection.base", "UnixHTTPConnectionPool.base", "pool"),
    "kubernetes": ("rest.urllib3", "pool_manager"),
    "vcrpy": ("requests.PoolManager", "VCRRequestsHTTPConnection.real"),
    "minio": ("client._http",),
    "elasticsearch": ("node.pool", "Urllib3HttpNode.urllib3"),
}
BACKEND_FIXED: dict[str, dict[str, typing.Any]] = {
    "vcrpy": {"patched_connection_is_stub": True},
    "elasticsearch": {"node": "Urllib3HttpNode"},
}


def _package(backend: str) -> str:
    return "urllib3" if backend == "urllib3" else "pool"


def _expected(lib: str, scenario: str, backend: str) -> typing.Any:
    value = EXPECTED[lib][scenario]
    if isinstance(value, dict) and value.get("manager") == "<backend>":
        value = {**value, "manager": _package(backend)}
    return value


def _expected_backend(lib: str, backend: str) -> dict[str, typing.Any]:
    doc: dict[str, typing.Any] = {k: _package(backend) for k in (*_HTTP_LAYER_KEYS, *BACKEND_KEYS[lib])}
    doc.update(BACKEND_FIXED.get(lib, {}))
    doc["wire"] = {"urllib3": None, "pool": "c", "pool-py": "py"}[backend]
    doc["pool_imported"] = backend != "urllib3"
    return doc


# ------------------------------------------------------------------ runs


class Run(typing.NamedTuple):
    results: dict[str, dict[str, typing.Any]]
    returncode: int | None
    stderr: str
    seconds: float


def _env(backend: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("POOL_NO_EXTENSIONS", None)
    if backend == "pool-py":
        env["POOL_NO_EXTENSIONS"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run(lib: str, backend: str) -> Run:
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPTS / f"{lib}_script.py"), backend],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(backend),
        cwd=str(ROOT),
    )
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
        err += f"\n[killed after {RUN_TIMEOUT}s]"
    results = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            doc = json.loads(line[len("RESULT ") :])
            results[doc.pop("scenario")] = doc
    return Run(results, proc.returncode, err, time.monotonic() - t0)


def _backends() -> list[str]:
    return [b for b in BACKENDS if not (PURE and b == "pool")]


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, str], Run]:
    """{(lib, backend): Run}: every script on every backend under test, a
    few at a time."""
    jobs = [(lib, backend) for lib in LIBS for backend in _backends()]
    lock = threading.Lock()
    done: dict[tuple[str, str], Run] = {}

    def one(job: tuple[str, str]) -> None:
        run = _run(*job)
        with lock:
            done[job] = run

    with ThreadPoolExecutor(PARALLEL) as ex:
        list(ex.map(one, jobs))
    return done


def _skip_compiled_when_pure(backend: str) -> None:
    if PURE and backend == "pool":
        pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test")


def _result(runs: dict[tuple[str, str], Run], lib: str, backend: str, scenario: str) -> typing.Any:
    run = runs[(lib, backend)]
    if scenario not in run.results:
        pytest.fail(f"{lib} on {backend}: no result for {scenario} (exit {run.returncode})\n{run.stderr[-3000:]}")
    result = run.results[scenario]
    if "error" in result:
        pytest.fail(
            f"{lib}.{scenario} on {backend}: {result['error']}\n"
            f"  pool frame: {result.get('pool_frame')}\n  last frame: {result.get('last_frame')}\n\n{result['tb']}"
        )
    return result["ok"]


ALL_SCENARIOS = [(lib, scenario) for lib in LIBS for scenario in EXPECTED[lib]]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("lib", "scenario"), ALL_SCENARIOS, ids=[f"{lib}-{s}" for lib, s in ALL_SCENARIOS])
def test_scenario(runs, lib, scenario, backend):
    _skip_compiled_when_pure(backend)
    if backend != "urllib3":
        # A pool result counts only where the scenario holds on urllib3.
        assert _result(runs, lib, "urllib3", scenario) == _expected(lib, scenario, "urllib3"), (
            "the scenario fails on urllib3"
        )
    assert _result(runs, lib, backend, scenario) == _expected(lib, scenario, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lib", LIBS)
def test_library_runs_on_backend(runs, lib, backend):
    _skip_compiled_when_pure(backend)
    assert _result(runs, lib, backend, "backend") == _expected_backend(lib, backend)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lib", LIBS)
def test_run_is_complete(runs, lib, backend):
    """Every scenario reported, and the script exited cleanly."""
    _skip_compiled_when_pure(backend)
    run = runs[(lib, backend)]
    assert run.returncode == 0, f"{lib} on {backend}: exit {run.returncode}\n{run.stderr[-3000:]}"
    assert set(run.results) == {"backend", *EXPECTED[lib]}
