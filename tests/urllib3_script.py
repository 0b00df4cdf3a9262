"""An ordinary urllib3 2.x program: it imports urllib3 and nothing of pool.

tests/test_install.py runs it twice against the same local server, once on
urllib3 itself and once after ``pool.install_as_urllib3()``, and requires the
same output from both.  Usage: ``python urllib3_script.py http://127.0.0.1:PORT``
(the server is tests/httpserver.py).  The output names no port or address,
so the two runs compare line for line.
"""

from __future__ import annotations

import gzip
import io
import logging
import socket
import sys

import urllib3
from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
    TimeoutError,
)
from urllib3.util import Retry, Timeout, parse_url


class _Names(logging.Handler):
    """Collects the names of the loggers that emitted records."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)


def _refused_port() -> int:
    # A port nothing listens on: bind one, then let it go.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main(base: str) -> None:
    host, port = parse_url(base).host, parse_url(base).port
    out = print
    log_names = _Names()
    logging.getLogger("urllib3").addHandler(log_names)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)

    out("version", urllib3.__version__)
    out("exceptions", issubclass(ReadTimeoutError, TimeoutError), issubclass(MaxRetryError, HTTPError))

    http = urllib3.PoolManager(num_pools=2, maxsize=2, retries=Retry(3), timeout=Timeout(connect=2.0, read=2.0))

    r = http.request("GET", base + "/id?id=abc")
    out("get", r.status, r.reason, r.data, r.headers["X-Id"], r.headers.get("content-length"), r.version)

    r = http.request("GET", base + "/echo", fields={"q": "1 2", "lang": "fr"})
    doc = r.json()
    out("fields-get", doc["method"], doc["target"])

    r = http.request("POST", base + "/echo", fields={"a": "1", "f": ("f.txt", b"file body", "text/plain")})
    doc = r.json()
    ctype = dict((k.lower(), v) for k, v in doc["headers"])["content-type"]
    out(
        "multipart",
        ctype.split(";")[0],
        'name="a"' in doc["body"],
        "file body" in doc["body"],
        'filename="f.txt"' in doc["body"],
    )

    r = http.request("POST", base + "/echo", json={"k": [1, 2]}, headers={"X-Test": "yes"})
    doc = r.json()
    hdrs = dict((k.lower(), v) for k, v in doc["headers"])
    out("json", doc["body"], hdrs["content-type"], hdrs["x-test"], hdrs["content-length"])

    r = http.request("PUT", base + "/echo", body=b"raw bytes")
    doc = r.json()
    out("body", doc["method"], doc["body"])

    r = http.request("HEAD", base + "/id?id=head")
    out("head", r.status, r.data, r.headers["X-Id"])

    # Streaming: chunked body in small pieces, then a Content-Length body by amt.
    r = http.request("GET", base + "/chunked?n=4", preload_content=False)
    pieces = list(r.stream(4))
    out("stream", r.chunked, b"".join(pieces), all(len(p) <= 4 for p in pieces))
    r.release_conn()

    r = http.request("GET", base + "/drip?n=5&delay=0.01", preload_content=False)
    parts = [r.read(2), r.read(2), r.read(2), r.read(2)]
    out("read-amt", parts, r.tell())
    r.release_conn()

    r = http.request("GET", base + "/id?id=iter", preload_content=False)
    out("iter", list(r), r.isclosed())

    # Redirects: followed (history in the Retry), or returned.
    r = http.request("GET", base + "/redirect?target=/id%3Fid%3Dafter")
    out("redirect", r.status, r.data, [h.status for h in r.retries.history], parse_url(r.geturl()).request_uri)
    r = http.request("GET", base + "/redirect?target=/x&status=301", redirect=False)
    out("no-redirect", r.status, r.get_redirect_location())
    try:
        http.request("GET", base + "/loop", retries=Retry(redirect=2))
    except MaxRetryError as e:
        out("loop", type(e.reason).__name__, str(e.reason))

    # Retries on status.
    try:
        http.request("GET", base + "/status?code=503", retries=Retry(total=2, status_forcelist=[503]))
    except MaxRetryError as e:
        out("status-retry", type(e.reason).__name__, isinstance(e.reason, ResponseError), str(e.reason))
    r = http.request(
        "GET", base + "/status?code=503", retries=Retry(total=1, status_forcelist=[503], raise_on_status=False)
    )
    out("status-no-raise", r.status, r.data, len(r.retries.history))

    # Errors: a refused port, a slow endpoint.
    refused = f"http://127.0.0.1:{_refused_port()}/"
    try:
        http.request("GET", refused, retries=Retry(connect=1))
    except MaxRetryError as e:
        out(
            "refused",
            type(e.reason).__name__,
            isinstance(e.reason, NewConnectionError),
            "refused" in str(e.reason).lower(),
        )
    try:
        http.request("GET", refused, retries=False)
    except NewConnectionError as e:
        out("refused-no-retry", type(e).__name__)
    try:
        http.request("GET", base + "/sleep?s=1", timeout=Timeout(read=0.2), retries=False)
    except ReadTimeoutError as e:
        out("read-timeout", type(e).__name__, "read timeout=0.2" in str(e))
    try:
        http.request("GET", base + "/sleep?s=1", timeout=0.2, retries=Retry(read=0))
    except MaxRetryError as e:
        out("read-timeout-retry", type(e.reason).__name__)
    r = http.request(
        "GET", base + "/drip?n=3&delay=0.3", timeout=Timeout(read=0.1), preload_content=False, retries=False
    )
    try:
        r.read()
    except ReadTimeoutError as e:
        out("body-timeout", type(e).__name__)
    except ProtocolError as e:
        out("body-timeout", "ProtocolError", e)

    # A connection pool of its own: keep-alive reuse shows in /conn.
    cp = urllib3.HTTPConnectionPool(host, port, maxsize=1)
    conns = [cp.request("GET", "/conn").data for _ in range(3)]
    out("pool", len(set(conns)), cp.num_connections, cp.num_requests)
    cp.close()
    cp2 = urllib3.connection_from_url(base)
    out("from-url", type(cp2).__name__, cp2.request("GET", "/id?id=cfu").data)
    cp2.close()

    out("module-request", urllib3.request("GET", base + "/id?id=top").data)

    # Helpers.
    h = urllib3.HTTPHeaderDict()
    h.add("Set-Cookie", "a=1")
    h.add("set-cookie", "b=2")
    out("headerdict", h["SET-COOKIE"], h.getlist("set-cookie"), list(h.items()))
    out("make_headers", sorted(urllib3.make_headers(basic_auth="u:p", keep_alive=True, user_agent="x").items()))
    out("retry", repr(Retry(3)), Retry.from_int(5).total, Retry.DEFAULT_BACKOFF_MAX)
    out("timeout", str(Timeout(connect=1, read=2)), Timeout(total=3, connect=1).connect_timeout)
    out("url", tuple(parse_url("HTTP://user@Example.COM:80/a/../b?x=1#f")))
    body, ctype = urllib3.encode_multipart_formdata({"a": "b"}, boundary="BOUNDARY")
    out("encode", body, ctype)
    made = urllib3.HTTPResponse(
        body=io.BytesIO(gzip.compress(b"decoded" * 3)),
        headers={"Content-Encoding": "gzip"},
        status=200,
        preload_content=False,
    )
    out("hand-made", made.read(), made.status)

    out("pools", len(http.pools))
    http.clear()
    out("cleared", len(http.pools))
    logging.getLogger("urllib3").removeHandler(log_names)
    out("loggers", sorted(log_names.names))


if __name__ == "__main__":
    main(sys.argv[1])
