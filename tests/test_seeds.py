"""The two connection-reuse examples this project started from, run as
written with ``pool`` in place of ``urllib3`` against a local server (the
internet hosts replaced by 127.0.0.1), their printed output checked."""

import contextlib
import io
import json

import pytest
from httpserver import Server

import pool

ROBOTS = b"User-agent: *\nDisallow: /deny\n"


def _handler(req):
    if req.path == "/robots.txt":
        return 200, [("Content-Type", "text/plain")], ROBOTS
    if req.path == "/ip":
        return 200, [("Content-Type", "application/json")], json.dumps({"origin": "127.0.0.1"}).encode()
    if req.path == "/ajax/services/search/web":
        # The original service answered both queries with 211 bytes.
        doc = {"responseData": None, "responseDetails": "search for " + req.query.get("q", ""), "v": req.query.get("v")}
        body = json.dumps(doc).encode()
        body = body + b" " * (211 - len(body))
        return 200, [("Content-Type", "text/javascript; charset=utf-8")], body
    return None


@pytest.fixture
def server():
    with Server(handler=_handler) as s:
        yield s


def test_seed_persistent_connections_poolmanager(server):
    base = server.url("")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        # Step 1-2: import and create a PoolManager.
        http = pool.PoolManager()
        # Step 3-4: make a request and read the response.
        response = http.request("GET", base + "/robots.txt")
        data = response.data
        print(data)
        # Step 5: another request reusing the same connection.
        another_response = http.request("GET", base + "/ip")
        print(another_response.data)
        # Step 6: close the pool.
        http.clear()
        # Advanced usage.
        http = pool.PoolManager(num_pools=5, maxsize=10, retries=pool.Retry(3, redirect=2))
        assert http.request("GET", base + "/robots.txt").data == ROBOTS

    lines = out.getvalue().splitlines()
    assert lines == [repr(ROBOTS), repr(b'{"origin": "127.0.0.1"}')]
    assert server.connections_accepted == 2  # one for steps 3-5, one for the advanced manager
    p = http.connection_from_url(base + "/")
    assert p.pool.maxsize == 10 and http.pools._maxsize == 5
    assert p.retries.total == 3 and p.retries.redirect == 2
    http.clear()


def test_seed_connection_reuse_httpconnectionpool(server):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        from pool import HTTPConnectionPool

        pool_ = HTTPConnectionPool("127.0.0.1", port=server.port, maxsize=1)
        r = pool_.request("GET", "/ajax/services/search/web", fields={"q": "python", "v": "1.0"})
        print("Response Status:", r.status)

        # Header of the response
        print("Header: ", r.headers["content-type"])

        # Content of the response
        print("Python: ", len(r.data))

        r = pool_.request("GET", "/ajax/services/search/web", fields={"q": "php", "v": "1.0"})

        # Content of the response
        print("php: ", len(r.data))

        print("Number of Connections: ", pool_.num_connections)

        print("Number of requests: ", pool_.num_requests)

    assert out.getvalue().splitlines() == [
        "Response Status: 200",
        "Header:  text/javascript; charset=utf-8",
        "Python:  211",
        "php:  211",
        "Number of Connections:  1",
        "Number of requests:  2",
    ]
    assert [r.target for r in server.requests] == [
        "/ajax/services/search/web?q=python&v=1.0",
        "/ajax/services/search/web?q=php&v=1.0",
    ]
    assert server.connections_accepted == 1
    pool_.close()
