"""Hostile servers, framing and smuggling (RFC 9112 sections 4-7, RFC 9110
section 8.6): every case is a first response written by hand, then a second,
good response.  The first must give the right body or the right
pool.exceptions class; the second request, on a maxsize=1 pool, must get its
own response (``second``), never bytes of the first, and must go out on the
same connection only when the first response left it clean.  Every case runs
over plain HTTP and over TLS (``transport``).
"""

from __future__ import annotations

import time

import pytest
from hostile import CLOSE, Drip, HostileServer, Pause, client_pool, impl, response, transport  # noqa: F401
from pool.exceptions import (
    InvalidChunkedEncoding,
    InvalidContentLength,
    InvalidFraming,
    InvalidResponseHeader,
    InvalidStatusLine,
    MaxRetryError,
    ProtocolError,
    UnexpectedProtocolSwitch,
)

SECOND = response(b"second")
SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"


def H(*lines: str, body: bytes = b"") -> bytes:
    """A head from lines (CRLF added), then ``body``."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


OK = "HTTP/1.1 200 OK"
TE = "Transfer-Encoding: chunked"

# (id, first script, expected body or exception class, reused, method)
# reused: True = the second request must go out on the same connection,
# False = on a new one.
CASES = [
    # -- Content-Length
    ("cl-exact", [H(OK, "Content-Length: 5", body=b"hello")], b"hello", True, "GET"),
    ("cl-leading-zeros", [H(OK, "Content-Length: 0005", body=b"hello")], b"hello", True, "GET"),
    ("cl-zero", [H(OK, "Content-Length: 0")], b"", True, "GET"),
    ("cl-twice-same", [H(OK, "Content-Length: 5", "Content-Length: 5", body=b"hello")], b"hello", True, "GET"),
    ("cl-twice-same-number", [H(OK, "Content-Length: 5", "Content-Length: 05", body=b"hello")], b"hello", True, "GET"),
    ("cl-list-same", [H(OK, "Content-Length: 5, 5", body=b"hello")], b"hello", True, "GET"),
    (
        "cl-twice-differ",
        [H(OK, "Content-Length: 5", "Content-Length: 6", body=b"hello!")],
        InvalidContentLength,
        False,
        "GET",
    ),
    ("cl-list-differ", [H(OK, "Content-Length: 5, 6", body=b"hello!")], InvalidContentLength, False, "GET"),
    ("cl-list-empty-element", [H(OK, "Content-Length: 5,,5", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-negative", [H(OK, "Content-Length: -1", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-plus", [H(OK, "Content-Length: +5", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-hex", [H(OK, "Content-Length: 0x5", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-inner-space", [H(OK, "Content-Length: 5 5", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-underscore", [H(OK, "Content-Length: 1_0", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-trailing-junk", [H(OK, "Content-Length: 5abc", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-empty", [H(OK, "Content-Length: ", body=b"hello")], InvalidContentLength, False, "GET"),
    (
        "cl-overflow",
        [H(OK, "Content-Length: 99999999999999999999999", body=b"hello")],
        InvalidContentLength,
        False,
        "GET",
    ),
    ("cl-2-pow-64", [H(OK, "Content-Length: 18446744073709551621", body=b"hello")], InvalidContentLength, False, "GET"),
    ("cl-unicode-digit", [H(OK, "Content-Length: \xb9", body=b"h")], InvalidContentLength, False, "GET"),
    # -- bytes after a complete body: never read as the next response
    ("bytes-after-body", [H(OK, "Content-Length: 5", body=b"helloEVIL")], b"hello", False, "GET"),
    ("response-after-body", [H(OK, "Content-Length: 5", body=b"hello" + SMUGGLED)], b"hello", False, "GET"),
    ("response-after-chunked", [H(OK, TE, body=b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED)], b"hello", False, "GET"),
    ("cl-smaller-than-body", [H(OK, "Content-Length: 2", body=b"hello")], b"he", False, "GET"),
    # -- Content-Length with Transfer-Encoding
    ("cl-and-te", [H(OK, "Content-Length: 5", TE, body=b"5\r\nhello\r\n0\r\n\r\n")], InvalidFraming, False, "GET"),
    ("te-and-cl", [H(OK, TE, "Content-Length: 20", body=b"5\r\nhello\r\n0\r\n\r\n")], InvalidFraming, False, "GET"),
    (
        "cl-and-te-identity",
        [H(OK, "Content-Length: 5", "Transfer-Encoding: identity", body=b"hello")],
        InvalidFraming,
        False,
        "GET",
    ),
    ("cl-and-te-head", [H(OK, "Content-Length: 5", TE)], InvalidFraming, False, "HEAD"),
    # -- Transfer-Encoding lists
    ("te-chunked", [H(OK, TE, body=b"5\r\nhello\r\n0\r\n\r\n")], b"hello", True, "GET"),
    (
        "te-chunked-mixed-case",
        [H(OK, "transfer-ENCODING: ChUnKeD", body=b"5\r\nhello\r\n0\r\n\r\n")],
        b"hello",
        True,
        "GET",
    ),
    (
        "te-chunked-ows",
        [H(OK, "Transfer-Encoding:   chunked  ", body=b"5\r\nhello\r\n0\r\n\r\n")],
        b"hello",
        True,
        "GET",
    ),
    (
        "te-chunked-twice-list",
        [H(OK, "Transfer-Encoding: chunked, chunked", body=b"0\r\n\r\n")],
        InvalidFraming,
        False,
        "GET",
    ),
    ("te-chunked-twice-fields", [H(OK, TE, TE, body=b"0\r\n\r\n")], InvalidFraming, False, "GET"),
    (
        "te-chunked-not-last",
        [H(OK, "Transfer-Encoding: chunked, gzip", body=b"0\r\n\r\n")],
        InvalidFraming,
        False,
        "GET",
    ),
    ("te-empty", [H(OK, "Transfer-Encoding: ", body=b"0\r\n\r\n")], InvalidFraming, False, "GET"),
    ("te-only-commas", [H(OK, "Transfer-Encoding: , ,", body=b"0\r\n\r\n")], InvalidFraming, False, "GET"),
    (
        "te-space-before-colon",
        [H(OK, "Transfer-Encoding : chunked", body=b"0\r\n\r\n")],
        InvalidResponseHeader,
        False,
        "GET",
    ),
    ("te-empty-then-fold", [H(OK, "Transfer-Encoding:", " chunked", body=b"0\r\n\r\n")], InvalidFraming, False, "GET"),
    (
        "te-obs-fold",
        [H(OK, "Transfer-Encoding: identity", " chunked", body=b"0\r\n\r\n")],
        InvalidResponseHeader,
        False,
        "GET",
    ),
    (
        "te-vertical-tab",
        [H(OK, "Transfer-Encoding:\x0bchunked", body=b"0\r\n\r\n")],
        InvalidResponseHeader,
        False,
        "GET",
    ),
    # a last coding other than chunked: read until close, never reused
    ("te-gzip-only-close", [H(OK, "Transfer-Encoding: identity", body=b"raw body"), CLOSE], b"raw body", False, "GET"),
    ("te-xchunked-close", [H(OK, "Transfer-Encoding: xchunked", body=b"0\r\n\r\n"), CLOSE], b"0\r\n\r\n", False, "GET"),
    (
        "te-chunked-param-close",
        [H(OK, "Transfer-Encoding: chunked;q=1", body=b"0\r\n\r\n"), CLOSE],
        b"0\r\n\r\n",
        False,
        "GET",
    ),
    ("te-http10-chunked", [H("HTTP/1.0 200 OK", TE, body=b"5\r\nhello\r\n0\r\n\r\n")], b"hello", False, "GET"),
    (
        "te-http10-chunked-keepalive",
        [H("HTTP/1.0 200 OK", "Connection: keep-alive", TE, body=b"5\r\nhello\r\n0\r\n\r\n")],
        b"hello",
        False,
        "GET",
    ),
    # -- chunk sizes and terminators
    ("chunk-ext", [H(OK, TE, body=b'5;a=b;c="d"\r\nhello\r\n0;x\r\n\r\n')], b"hello", True, "GET"),
    ("chunk-ext-bws", [H(OK, TE, body=b"5 ;a=b\r\nhello\r\n0\r\n\r\n")], b"hello", True, "GET"),
    ("chunk-uppercase-hex", [H(OK, TE, body=b"A\r\n0123456789\r\n0\r\n\r\n")], b"0123456789", True, "GET"),
    ("chunk-leading-zeros", [H(OK, TE, body=b"0005\r\nhello\r\n000\r\n\r\n")], b"hello", True, "GET"),
    ("chunk-lf-only", [H(OK, TE, body=b"5\nhello\n0\n\n")], b"hello", True, "GET"),
    ("chunk-negative", [H(OK, TE, body=b"-5\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-0x", [H(OK, TE, body=b"0x5\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-leading-space", [H(OK, TE, body=b" 5\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-plus", [H(OK, TE, body=b"+5\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-empty-size", [H(OK, TE, body=b"\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    (
        "chunk-overflow",
        [H(OK, TE, body=b"10000000000000000\r\nhello\r\n0\r\n\r\n")],
        InvalidChunkedEncoding,
        False,
        "GET",
    ),
    (
        "chunk-2-pow-64-wrap",
        [H(OK, TE, body=b"10000000000000005\r\nhello\r\n0\r\n\r\n")],
        InvalidChunkedEncoding,
        False,
        "GET",
    ),
    ("chunk-ext-nul", [H(OK, TE, body=b"5;a\x00\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-ext-bare-cr", [H(OK, TE, body=b"5;a\rb\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-size-bare-cr", [H(OK, TE, body=b"5\rhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-data-too-long", [H(OK, TE, body=b"5\r\nhelloXX\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-data-bare-cr-end", [H(OK, TE, body=b"5\r\nhello\r0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-data-no-end", [H(OK, TE, body=b"5\r\nhello0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-size-junk", [H(OK, TE, body=b"5x\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-size-underscore", [H(OK, TE, body=b"1_0\r\nhello\r\n0\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("chunk-last-missing-crlf", [H(OK, TE, body=b"5\r\nhello\r\n0\r\n"), CLOSE], ProtocolError, False, "GET"),
    ("chunk-missing-last", [H(OK, TE, body=b"5\r\nhello\r\n"), CLOSE], ProtocolError, False, "GET"),
    ("chunk-short-data", [H(OK, TE, body=b"a\r\nhello"), CLOSE], ProtocolError, False, "GET"),
    # -- trailers
    ("trailers", [H(OK, TE, body=b"5\r\nhello\r\n0\r\nX-T: 1\r\nY-T:2\r\n\r\n")], b"hello", True, "GET"),
    (
        "trailer-no-colon",
        [H(OK, TE, body=b"5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n")],
        InvalidChunkedEncoding,
        False,
        "GET",
    ),
    (
        "trailer-obs-fold",
        [H(OK, TE, body=b"5\r\nhello\r\n0\r\nX: 1\r\n folded\r\n\r\n")],
        InvalidChunkedEncoding,
        False,
        "GET",
    ),
    ("trailer-nul", [H(OK, TE, body=b"5\r\nhello\r\n0\r\nX: a\x00b\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("trailer-bare-cr", [H(OK, TE, body=b"5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    ("trailer-smuggled-head", [H(OK, TE, body=b"0\r\nHTTP/1.1 200 OK\r\n\r\n")], InvalidChunkedEncoding, False, "GET"),
    # -- head syntax: bare CR / LF, control bytes, obs-fold
    ("lf-only-head", [b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello"], b"hello", True, "GET"),
    ("bare-cr-in-value", [H(OK, "X: a\rb", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    (
        "bare-cr-line-end",
        [b"HTTP/1.1 200 OK\r\nX: a\rContent-Length: 5\r\n\r\nhello"],
        InvalidResponseHeader,
        False,
        "GET",
    ),
    ("nul-in-value", [H(OK, "X: a\x00b", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("ctl-in-value", [H(OK, "X: a\x01b", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("esc-in-value", [H(OK, "X: a\x1bb", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("del-in-value", [H(OK, "X: a\x7fb", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("nul-in-name", [H(OK, "X\x00Y: 1", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("obs-text-in-value", [H(OK, "X: caf\xe9", "Content-Length: 5", body=b"hello")], b"hello", True, "GET"),
    ("htab-in-value", [H(OK, "X: a\tb", "Content-Length: 5", body=b"hello")], b"hello", True, "GET"),
    ("obs-fold", [H(OK, "X: a", " b", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("obs-fold-tab", [H(OK, "X: a", "\tb", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("fold-first-line", [H(OK, " X: a", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("no-colon", [H(OK, "NoColon", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("empty-name", [H(OK, ": x", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("space-before-colon", [H(OK, "Content-Length : 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("space-in-name", [H(OK, "Content Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("non-token-name", [H(OK, "X(y): 1", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    ("obs-text-in-name", [H(OK, "X\xe9: 1", "Content-Length: 5", body=b"hello")], InvalidResponseHeader, False, "GET"),
    # -- status lines
    ("status-2-digits", [H("HTTP/1.1 20 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-4-digits", [H("HTTP/1.1 2000 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-099", [H("HTTP/1.1 099 Hm", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-letters", [H("HTTP/1.1 2OO OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-two-spaces", [H("HTTP/1.1  200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-tab", [H("HTTP/1.1\t200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-http2", [H("HTTP/2.0 200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-http12", [H("HTTP/1.2 200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-lowercase", [H("http/1.1 200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-icy", [H("ICY 200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-leading-space", [H(" HTTP/1.1 200 OK", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-leading-crlf", [b"\r\n" + H(OK, "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-nul-reason", [H("HTTP/1.1 200 O\x00K", "Content-Length: 0")], InvalidStatusLine, False, "GET"),
    ("status-no-reason", [H("HTTP/1.1 200", "Content-Length: 2", body=b"ok")], b"ok", True, "GET"),
    ("status-999", [H("HTTP/1.1 999 Odd", "Content-Length: 2", body=b"ok")], b"ok", True, "GET"),
    ("http09", [b"hello, this is HTTP/0.9\r\n\r\n", CLOSE], InvalidStatusLine, False, "GET"),
    ("http09-no-blank-line", [b"<html>hello</html>", CLOSE], ProtocolError, False, "GET"),
    # -- HTTP/1.0
    ("http10-length", [H("HTTP/1.0 200 OK", "Content-Length: 5", body=b"hello")], b"hello", False, "GET"),
    (
        "http10-keep-alive",
        [H("HTTP/1.0 200 OK", "Connection: keep-alive", "Content-Length: 5", body=b"hello")],
        b"hello",
        True,
        "GET",
    ),
    ("http10-close-delimited", [H("HTTP/1.0 200 OK", body=b"hello"), CLOSE], b"hello", False, "GET"),
    # -- Connection
    ("connection-close", [H(OK, "Connection: close", "Content-Length: 5", body=b"hello")], b"hello", False, "GET"),
    (
        "connection-list-close",
        [H(OK, "Connection: keep-alive , CLOSE", "Content-Length: 5", body=b"hello")],
        b"hello",
        False,
        "GET",
    ),
    ("close-delimited-11", [H(OK, body=b"hello"), CLOSE], b"hello", False, "GET"),
    # -- interim responses
    ("100-then-200", [H("HTTP/1.1 100 Continue") + H(OK, "Content-Length: 5", body=b"hello")], b"hello", True, "GET"),
    (
        "1xx-chain",
        [
            H("HTTP/1.1 103 Early Hints", "Link: </a>")
            + H("HTTP/1.1 102 Processing")
            + H("HTTP/1.1 100 Continue")
            + H(OK, "Content-Length: 5", body=b"hello")
        ],
        b"hello",
        True,
        "GET",
    ),
    (
        "1xx-with-length",
        [H("HTTP/1.1 100 Continue", "Content-Length: 3") + H(OK, "Content-Length: 5", body=b"hello")],
        b"hello",
        True,
        "GET",
    ),
    ("1xx-then-bad", [H("HTTP/1.1 100 Continue") + H(OK, "Content-Length: x")], InvalidContentLength, False, "GET"),
    (
        "1xx-bad",
        [H("HTTP/1.1 100 Continue", "X\x00: 1") + H(OK, "Content-Length: 0")],
        InvalidResponseHeader,
        False,
        "GET",
    ),
    (
        "101-unasked",
        [H("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Upgrade: evil", body=b"\x81\x00junk")],
        UnexpectedProtocolSwitch,
        False,
        "GET",
    ),
    # -- no body, whatever the headers say
    ("head-with-length", [H(OK, "Content-Length: 100")], b"", True, "HEAD"),
    ("head-with-chunked", [H(OK, TE)], b"", True, "HEAD"),
    ("head-no-framing", [H(OK)], b"", True, "HEAD"),
    ("head-body-sent-anyway", [H(OK, "Content-Length: 5", body=b"hello")], b"", False, "HEAD"),
    ("head-response-smuggled", [H(OK, "Content-Length: 44", body=SMUGGLED)], b"", False, "HEAD"),
    ("204-with-length", [H("HTTP/1.1 204 No Content", "Content-Length: 5")], b"", True, "GET"),
    ("204-body-sent-anyway", [H("HTTP/1.1 204 No Content", "Content-Length: 5", body=b"hello")], b"", False, "GET"),
    ("204-chunked-sent-anyway", [H("HTTP/1.1 204 No Content", TE, body=b"5\r\nhello\r\n0\r\n\r\n")], b"", False, "GET"),
    ("304-with-chunked", [H("HTTP/1.1 304 Not Modified", TE)], b"", True, "GET"),
    ("304-body-sent-anyway", [H("HTTP/1.1 304 Not Modified", "Content-Length: 4", body=b"EVIL")], b"", False, "GET"),
    ("304-bad-length", [H("HTTP/1.1 304 Not Modified", "Content-Length: -4")], InvalidContentLength, False, "GET"),
    # -- truncation
    ("cl-short-close", [H(OK, "Content-Length: 10", body=b"hello"), CLOSE], ProtocolError, False, "GET"),
    ("head-truncated", [b"HTTP/1.1 200 OK\r\nContent-Len", CLOSE], ProtocolError, False, "GET"),
    ("nothing-then-close", [CLOSE], ProtocolError, False, "GET"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_framing(impl, transport, case):
    _id, first, expected, reused, method = case
    with HostileServer([first, [SECOND]], tls=transport) as srv:
        pool = client_pool(srv, maxsize=1, timeout=3, retries=False)
        start = time.monotonic()
        if isinstance(expected, bytes):
            r = pool.request(method, "/first")
            assert r.data == expected
        else:
            with pytest.raises(expected):
                pool.request(method, "/first")
        r2 = pool.request("GET", "/second")
        assert r2.status == 200
        assert r2.data == b"second"
        assert [r.target for r in srv.requests] == ["/first", "/second"]
        assert srv.accepted == (1 if reused else 2)
        # The second request went out whole, and first on its connection
        # when that is a new one.
        second = srv.requests[1]
        assert second.raw.startswith(b"GET /second HTTP/1.1\r\n")
        if not reused:
            assert srv.received(1).startswith(b"GET /second ")
        pool.close()
        assert time.monotonic() - start < 5


DRIPPABLE = [c for c in CASES if isinstance(c[2], bytes) and all(isinstance(s, bytes) for s in c[1]) and c[3]]


@pytest.mark.parametrize("case", DRIPPABLE, ids=[c[0] for c in DRIPPABLE])
def test_framing_dripped(impl, transport, case):
    # The same good responses, one byte per TCP segment: framing can't
    # depend on how the bytes were cut, and the connection stays clean.
    _id, first, expected, reused, method = case
    with HostileServer([[Drip(b"".join(first), 1, 0.0005)], [SECOND]], tls=transport) as srv:
        pool = client_pool(srv, maxsize=1, timeout=3, retries=False)
        assert pool.request(method, "/first").data == expected
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 1


def test_bytes_after_body_later_are_noticed(impl, transport):
    # The stray bytes come after the response was complete and the connection
    # went back to the pool: the check at checkout finds the connection
    # readable and opens a new one instead of reading them as a response.
    with HostileServer(
        [[H(OK, "Content-Length: 5", body=b"hello"), Pause(0.05), SMUGGLED], [SECOND]], tls=transport
    ) as srv:
        pool = client_pool(srv, maxsize=1, timeout=3, retries=False)
        assert pool.request("GET", "/first").data == b"hello"
        time.sleep(0.3)
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


def test_differing_lengths_raise_at_once_as_urllib3(impl, transport):
    # InvalidHeader, as urllib3 raises for differing Content-Length values:
    # not retried, raised as is, and the connection not reused.
    first = H(OK, "Content-Length: 5", "Content-Length: 6", body=b"hello!")
    with HostileServer([[first], [SECOND]], tls=transport) as srv:
        pool = client_pool(srv, maxsize=1, timeout=3)
        with pytest.raises(InvalidContentLength):
            pool.request("GET", "/")
        assert srv.accepted == 1 and len(srv.requests) == 1
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


@pytest.mark.parametrize(
    "first,cls",
    [
        (H(OK, "Content-Length: 5", TE, body=b"0\r\n\r\n"), InvalidFraming),
        (H(OK, "X: a\x00", "Content-Length: 0"), InvalidResponseHeader),
        (H(OK, TE, body=b"zz\r\n"), InvalidChunkedEncoding),
    ],
    ids=["cl-and-te", "nul", "bad-chunk"],
)
def test_default_retries_give_max_retry_error(impl, transport, first, cls):
    # With default retries a GET that keeps getting a malformed response is
    # tried 1 + 3 times, each on a new connection, then MaxRetryError with
    # the specific error as reason.
    with HostileServer(lambda req: [first], tls=transport) as srv:
        pool = client_pool(srv, maxsize=1, timeout=3)
        with pytest.raises(MaxRetryError) as info:
            pool.request("GET", "/")
        assert isinstance(info.value.reason, cls)
        assert srv.accepted == 4
        assert len(srv.requests) == 4


def test_streamed_body_smuggling_not_reused(impl, transport):
    # preload_content=False: the body read in pieces, then released; the bytes
    # after it still keep the connection from being reused.
    with HostileServer([[H(OK, "Content-Length: 5", body=b"hello" + SMUGGLED)], [SECOND]], tls=transport) as srv:
        pool = client_pool(srv, maxsize=1, timeout=3, retries=False)
        r = pool.request("GET", "/first", preload_content=False)
        assert b"".join(r.stream(2)) == b"hello"
        r.release_conn()
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2
