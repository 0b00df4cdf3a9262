"""Response heads and chunked bodies, good and malformed: the table every
wire test runs against both implementations, and the seed corpus of the
fuzzers, with the helpers that cut and mutate it.  No pool import, no
test logic.

Rules are those of docs/wire.md (RFC 9112 sections 4-7, RFC 9110 section 8.6).

HEAD_CASES: dicts with
  id, data (bytes fed to HeadParser), opts (HeadParser keyword arguments),
  request_was_head (passed to framing()), and either
  - error: name of the pool.exceptions class feed() raises, or
  - incomplete: True (feed keeps answering 0), or
  - the result: consumed, version, status, reason, headers, content_length,
    and then either framing + will_close, or framing_error (the class name
    framing() raises).
CHUNKED_CASES: dicts with id, data, opts (ChunkedDecoder keyword arguments)
and either error, or body (all bytes decoded), done and unused.
"""

import random

FRAMING_NONE, FRAMING_LENGTH, FRAMING_CHUNKED, FRAMING_CLOSE = 0, 1, 2, 3

HEAD_CASES = []
CHUNKED_CASES = []


def _ok(
    id,
    head,
    rest=b"",
    *,
    version=11,
    status=200,
    reason="OK",
    headers=(),
    content_length=None,
    framing=None,
    will_close=False,
    framing_error=None,
    request_was_head=False,
    opts=None,
):
    case = {
        "id": id,
        "data": head + rest,
        "opts": opts or {},
        "request_was_head": request_was_head,
        "consumed": len(head),
        "version": version,
        "status": status,
        "reason": reason,
        "headers": list(headers),
        "content_length": content_length,
    }
    if framing_error:
        case["framing_error"] = framing_error
    else:
        case["framing"] = framing
        case["will_close"] = will_close
    HEAD_CASES.append(case)


def _bad(id, data, error, opts=None):
    HEAD_CASES.append({"id": id, "data": data, "opts": opts or {}, "request_was_head": False, "error": error})


def _more(id, data, opts=None):
    HEAD_CASES.append({"id": id, "data": data, "opts": opts or {}, "request_was_head": False, "incomplete": True})


CL5 = [("Content-Length", "5")]

# ------------------------------------------------------------ good heads
_ok("minimal-close", b"HTTP/1.1 200 OK\r\n\r\n", framing=FRAMING_CLOSE, will_close=True)
_ok(
    "lf-only",
    b"HTTP/1.1 200 OK\nContent-Length: 5\n\n",
    b"hello",
    headers=CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "mixed-line-endings",
    b"HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\nContent-Length: 5\n\r\n",
    b"hello",
    headers=[("A", "1"), ("B", "2"), ("Content-Length", "5")],
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "lf-then-crlf-blank",
    b"HTTP/1.1 200 OK\nContent-Length: 0\n\r\n",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "length-with-body",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
    b"hello",
    headers=CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "body-looks-like-head",
    b"HTTP/1.1 200 OK\r\nContent-Length: 19\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n\r\n",
    headers=[("Content-Length", "19")],
    content_length=19,
    framing=FRAMING_LENGTH,
)
_ok(
    "length-zero",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok("http10-close", b"HTTP/1.0 200 OK\r\n\r\n", b"body", version=10, framing=FRAMING_CLOSE, will_close=True)
_ok(
    "http10-length-no-keepalive",
    b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n",
    version=10,
    headers=CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
    will_close=True,
)
_ok(
    "http10-keepalive",
    b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 5\r\n\r\n",
    version=10,
    headers=[("Connection", "Keep-Alive")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "http10-keepalive-no-length",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
    version=10,
    headers=[("Connection", "keep-alive")],
    framing=FRAMING_CLOSE,
    will_close=True,
)
_ok(
    "http10-keepalive-and-close",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 5\r\n\r\n",
    version=10,
    headers=[("Connection", "keep-alive, close")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
    will_close=True,
)
_ok(
    "http10-chunked-keepalive",
    b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n",
    version=10,
    headers=[("Connection", "keep-alive"), ("Transfer-Encoding", "chunked")],
    framing=FRAMING_CHUNKED,
    will_close=True,
)
_ok(
    "http10-204",
    b"HTTP/1.0 204 No Content\r\n\r\n",
    version=10,
    status=204,
    reason="No Content",
    framing=FRAMING_NONE,
    will_close=True,
)
_ok(
    "no-reason",
    b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    reason="",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "empty-reason",
    b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n",
    reason="",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "reason-spaces-tabs",
    b"HTTP/1.1 404 Not  Found\t(really) \r\nContent-Length: 0\r\n\r\n",
    status=404,
    reason="Not  Found\t(really) ",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "reason-obs-text",
    b"HTTP/1.1 200 Tr\xe8s bien \xff\r\nContent-Length: 0\r\n\r\n",
    reason="Tr\xe8s bien \xff",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "reason-with-colon-and-slash",
    b"HTTP/1.1 500 Error: a/b\r\nContent-Length: 0\r\n\r\n",
    status=500,
    reason="Error: a/b",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "status-999",
    b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
    status=999,
    reason="Odd",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "status-100",
    b"HTTP/1.1 100 Continue\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n",
    status=100,
    reason="Continue",
    framing=FRAMING_NONE,
)
_ok(
    "status-103-hints",
    b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
    status=103,
    reason="Early Hints",
    headers=[("Link", "</s.css>; rel=preload")],
    framing=FRAMING_NONE,
)
_ok(
    "status-101",
    b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
    b"\x81\x00",
    status=101,
    reason="Switching Protocols",
    headers=[("Connection", "Upgrade"), ("Upgrade", "websocket")],
    framing=FRAMING_NONE,
    will_close=True,
)
_ok(
    "204-with-length",
    b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    status=204,
    reason="No Content",
    headers=CL5,
    content_length=5,
    framing=FRAMING_NONE,
)
_ok(
    "304-with-length",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n",
    status=304,
    reason="Not Modified",
    headers=[("Content-Length", "100")],
    content_length=100,
    framing=FRAMING_NONE,
)
_ok(
    "304-with-chunked",
    b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    status=304,
    reason="Not Modified",
    headers=[("Transfer-Encoding", "chunked")],
    framing=FRAMING_NONE,
)
_ok(
    "head-with-length",
    b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
    headers=[("Content-Length", "100")],
    content_length=100,
    framing=FRAMING_NONE,
    request_was_head=True,
)
_ok(
    "head-with-chunked",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    headers=[("Transfer-Encoding", "chunked")],
    framing=FRAMING_NONE,
    request_was_head=True,
)
_ok("head-no-length", b"HTTP/1.1 200 OK\r\n\r\n", framing=FRAMING_NONE, request_was_head=True)
_ok(
    "chunked",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
    headers=[("Transfer-Encoding", "chunked")],
    framing=FRAMING_CHUNKED,
)
_ok(
    "chunked-uppercase",
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n",
    headers=[("transfer-encoding", "CHUNKED")],
    framing=FRAMING_CHUNKED,
)
_ok(
    "gzip-then-chunked",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip , chunked\r\n\r\n",
    headers=[("Transfer-Encoding", "gzip , chunked")],
    framing=FRAMING_CHUNKED,
)
_ok(
    "te-over-two-fields",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
    headers=[("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")],
    framing=FRAMING_CHUNKED,
)
_ok(
    "te-empty-elements",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: ,, chunked ,\r\n\r\n",
    headers=[("Transfer-Encoding", ",, chunked ,")],
    framing=FRAMING_CHUNKED,
)
_ok(
    "te-gzip-only",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
    headers=[("Transfer-Encoding", "gzip")],
    framing=FRAMING_CLOSE,
    will_close=True,
)
_ok(
    "te-chunked-like",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n",
    headers=[("Transfer-Encoding", "xchunked")],
    framing=FRAMING_CLOSE,
    will_close=True,
)
_ok(
    "connection-close",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\n",
    headers=[("Connection", "close")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
    will_close=True,
)
_ok(
    "connection-close-in-list",
    b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive,\tCLOSE \r\nContent-Length: 5\r\n\r\n",
    headers=[("Connection", "Keep-Alive,\tCLOSE")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
    will_close=True,
)
_ok(
    "connection-close-second-field",
    b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nconnection: close\r\nContent-Length: 5\r\n\r\n",
    headers=[("Connection", "keep-alive"), ("connection", "close")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
    will_close=True,
)
_ok(
    "connection-closed-is-not-close",
    b"HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 5\r\n\r\n",
    headers=[("Connection", "closed")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "connection-upgrade-200",
    b"HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 5\r\n\r\n",
    headers=[("Connection", "upgrade")] + CL5,
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "length-list-identical",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5,5\r\n\r\n",
    headers=[("Content-Length", "5, 5,5")],
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "length-two-fields-identical",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
    headers=[("Content-Length", "5"), ("content-length", "5")],
    content_length=5,
    framing=FRAMING_LENGTH,
)
_ok(
    "length-leading-zeros",
    b"HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n",
    headers=[("Content-Length", "007")],
    content_length=7,
    framing=FRAMING_LENGTH,
)
_ok(
    "length-max",
    b"HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387903\r\n\r\n",
    headers=[("Content-Length", "4611686018427387903")],
    content_length=4611686018427387903,
    framing=FRAMING_LENGTH,
)
_ok(
    "length-ows",
    b"HTTP/1.1 200 OK\r\nContent-Length: \t 12 \t\r\n\r\n",
    headers=[("Content-Length", "12")],
    content_length=12,
    framing=FRAMING_LENGTH,
)
_ok(
    "empty-values",
    b"HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Blank: \t \r\nContent-Length: 0\r\n\r\n",
    headers=[("X-Empty", ""), ("X-Blank", ""), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "inner-whitespace-kept",
    b"HTTP/1.1 200 OK\r\nX: a \t b\r\nContent-Length: 0\r\n\r\n",
    headers=[("X", "a \t b"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "value-obs-text",
    b"HTTP/1.1 200 OK\r\nX: caf\xe9 \x80\xff\r\nContent-Length: 0\r\n\r\n",
    headers=[("X", "caf\xe9 \x80\xff"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "value-all-vchars",
    b"HTTP/1.1 200 OK\r\nX: !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\r\nContent-Length: 0\r\n\r\n",
    headers=[("X", "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "name-all-tchars",
    b"HTTP/1.1 200 OK\r\n!#$%&'*+-.^_`|~09AZaz: v\r\nContent-Length: 0\r\n\r\n",
    headers=[("!#$%&'*+-.^_`|~09AZaz", "v"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "name-case-kept",
    b"HTTP/1.1 200 OK\r\ncOnTeNt-TyPe: text/plain\r\nCONTENT-LENGTH: 0\r\n\r\n",
    headers=[("cOnTeNt-TyPe", "text/plain"), ("CONTENT-LENGTH", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "no-space-after-colon",
    b"HTTP/1.1 200 OK\r\nX:y\r\nContent-Length:0\r\n\r\n",
    headers=[("X", "y"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "colon-in-value",
    b"HTTP/1.1 302 Found\r\nLocation: http://h:80/a?b=c:d\r\nContent-Length: 0\r\n\r\n",
    status=302,
    reason="Found",
    headers=[("Location", "http://h:80/a?b=c:d"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "duplicates-in-order",
    b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX: 1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    headers=[("Set-Cookie", "a=1"), ("X", "1"), ("Set-Cookie", "b=2"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "max-headers-exact",
    b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nContent-Length: 0\r\n\r\n",
    headers=[("A", "1"), ("B", "2"), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
    opts={"max_headers": 3},
)
_ok(
    "max-head-size-exact",
    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    b"0123456789",
    headers=[("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
    opts={"max_head_size": 38},
)
_ok(
    "default-100-headers",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"H%d: %d\r\n" % (i, i) for i in range(99)) + b"Content-Length: 0\r\n\r\n",
    headers=[("H%d" % i, "%d" % i) for i in range(99)] + [("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok(
    "big-header-under-default-limit",
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 60000 + b"\r\nContent-Length: 0\r\n\r\n",
    headers=[("X", "a" * 60000), ("Content-Length", "0")],
    content_length=0,
    framing=FRAMING_NONE,
)
_ok("status-line-only-lf", b"HTTP/1.1 200 OK\n\n", b"x", framing=FRAMING_CLOSE, will_close=True)

# framing errors: feed() succeeds, framing() refuses
_ok(
    "length-and-chunked",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    headers=CL5 + [("Transfer-Encoding", "chunked")],
    content_length=5,
    framing_error="InvalidFraming",
)
_ok(
    "chunked-and-length",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
    headers=[("Transfer-Encoding", "chunked")] + CL5,
    content_length=5,
    framing_error="InvalidFraming",
)
_ok(
    "length-and-gzip",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\n",
    headers=CL5 + [("Transfer-Encoding", "gzip")],
    content_length=5,
    framing_error="InvalidFraming",
)
_ok(
    "length-and-te-on-head",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    headers=CL5 + [("Transfer-Encoding", "chunked")],
    content_length=5,
    framing_error="InvalidFraming",
    request_was_head=True,
)
_ok(
    "length-and-te-on-304",
    b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    status=304,
    reason="Not Modified",
    headers=CL5 + [("Transfer-Encoding", "chunked")],
    content_length=5,
    framing_error="InvalidFraming",
)

# incomplete heads (valid so far)
_more("incomplete-status-line", b"HTTP/1.1 200 O")
_more("incomplete-no-blank-line", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n")
_more("incomplete-cr-of-blank-line", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r")

# ------------------------------------------------------------ status line
_bad("http2", b"HTTP/2.0 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("http12", b"HTTP/1.2 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("http110", b"HTTP/1.10 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("http-lowercase", b"http/1.1 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("icy", b"ICY 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("leading-space", b" HTTP/1.1 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("leading-empty-line", b"\r\nHTTP/1.1 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("leading-empty-lf", b"\nHTTP/1.1 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("only-blank-lines", b"\r\n\r\n", "InvalidStatusLine")
_bad("status-two-digits", b"HTTP/1.1 20 OK\r\n\r\n", "InvalidStatusLine")
_bad("status-four-digits", b"HTTP/1.1 2000 OK\r\n\r\n", "InvalidStatusLine")
_bad("status-099", b"HTTP/1.1 099 OK\r\n\r\n", "InvalidStatusLine")
_bad("status-000", b"HTTP/1.1 000 OK\r\n\r\n", "InvalidStatusLine")
_bad("status-not-digits", b"HTTP/1.1 2x0 OK\r\n\r\n", "InvalidStatusLine")
_bad("status-signed", b"HTTP/1.1 +20 OK\r\n\r\n", "InvalidStatusLine")
_bad("double-space", b"HTTP/1.1  200 OK\r\n\r\n", "InvalidStatusLine")
_bad("tab-after-version", b"HTTP/1.1\t200 OK\r\n\r\n", "InvalidStatusLine")
_bad("tab-after-status", b"HTTP/1.1 200\tOK\r\n\r\n", "InvalidStatusLine")
_bad("version-only", b"HTTP/1.1\r\n\r\n", "InvalidStatusLine")
_bad("version-and-space", b"HTTP/1.1 \r\n\r\n", "InvalidStatusLine")
_bad("space-in-version", b"HTTP /1.1 200 OK\r\n\r\n", "InvalidStatusLine")
_bad("reason-nul", b"HTTP/1.1 200 O\x00K\r\n\r\n", "InvalidStatusLine")
_bad("reason-del", b"HTTP/1.1 200 O\x7fK\r\n\r\n", "InvalidStatusLine")
_bad("reason-ctl", b"HTTP/1.1 200 O\x1bK\r\n\r\n", "InvalidStatusLine")
_bad("status-line-bare-cr", b"HTTP/1.1 200 O\rK\r\n\r\n", "InvalidStatusLine")
_bad("status-line-cr-cr-lf", b"HTTP/1.1 200 OK\r\r\n\r\n", "InvalidStatusLine")
_bad("http09-body", b"<html>hello</html>\n\n", "InvalidStatusLine")

# ------------------------------------------------------------ field lines
_bad("no-colon", b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "InvalidResponseHeader")
_bad("empty-name", b"HTTP/1.1 200 OK\r\n: value\r\n\r\n", "InvalidResponseHeader")
_bad("space-before-colon", b"HTTP/1.1 200 OK\r\nX : v\r\n\r\n", "InvalidResponseHeader")
_bad("tab-before-colon", b"HTTP/1.1 200 OK\r\nX\t: v\r\n\r\n", "InvalidResponseHeader")
_bad("space-in-name", b"HTTP/1.1 200 OK\r\nX Y: v\r\n\r\n", "InvalidResponseHeader")
_bad("paren-in-name", b"HTTP/1.1 200 OK\r\nX(y): v\r\n\r\n", "InvalidResponseHeader")
_bad("quote-in-name", b'HTTP/1.1 200 OK\r\nX"y: v\r\n\r\n', "InvalidResponseHeader")
_bad("slash-in-name", b"HTTP/1.1 200 OK\r\nX/y: v\r\n\r\n", "InvalidResponseHeader")
_bad("obs-text-in-name", b"HTTP/1.1 200 OK\r\nX\xe9: v\r\n\r\n", "InvalidResponseHeader")
_bad("nul-in-name", b"HTTP/1.1 200 OK\r\nX\x00: v\r\n\r\n", "InvalidResponseHeader")
_bad("cr-in-name", b"HTTP/1.1 200 OK\r\nX\rY: v\r\n\r\n", "InvalidResponseHeader")
_bad("obs-fold-space", b"HTTP/1.1 200 OK\r\nX: a\r\n  b\r\n\r\n", "InvalidResponseHeader")
_bad("obs-fold-tab", b"HTTP/1.1 200 OK\r\nX: a\r\n\tb\r\n\r\n", "InvalidResponseHeader")
_bad("first-field-starts-with-space", b"HTTP/1.1 200 OK\r\n X: a\r\n\r\n", "InvalidResponseHeader")
_bad("whitespace-only-line", b"HTTP/1.1 200 OK\r\n \r\n\r\n", "InvalidResponseHeader")
_bad("nul-in-value", b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n", "InvalidResponseHeader")
_bad("soh-in-value", b"HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n", "InvalidResponseHeader")
_bad("esc-in-value", b"HTTP/1.1 200 OK\r\nX: a\x1b[0m\r\n\r\n", "InvalidResponseHeader")
_bad("us-in-value", b"HTTP/1.1 200 OK\r\nX: a\x1f\r\n\r\n", "InvalidResponseHeader")
_bad("del-in-value", b"HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", "InvalidResponseHeader")
_bad("vt-in-value", b"HTTP/1.1 200 OK\r\nX: a\x0bb\r\n\r\n", "InvalidResponseHeader")
_bad("bare-cr-in-value", b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "InvalidResponseHeader")
_bad("cr-cr-lf", b"HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n", "InvalidResponseHeader")
_bad("bare-cr-line", b"HTTP/1.1 200 OK\r\nX: a\r\n\r\r\n\r\n", "InvalidResponseHeader")
_bad("bad-line-after-good", b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nbroken\r\nC: 3\r\n\r\n", "InvalidResponseHeader")
_bad(
    "bad-line-after-framing-fields",
    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\nbroken\r\n\r\n",
    "InvalidResponseHeader",
)
# several problems: the first line in order decides
_bad("bad-length-before-bad-line", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\nbroken\r\n\r\n", "InvalidContentLength")
_bad("bad-line-before-bad-length", b"HTTP/1.1 200 OK\r\nbroken\r\nContent-Length: x\r\n\r\n", "InvalidResponseHeader")
_bad(
    "too-many-before-bad-line",
    b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nbroken\r\n\r\n",
    "TooManyResponseHeaders",
    opts={"max_headers": 2},
)
_bad("bad-field-lf-only", b"HTTP/1.1 200 OK\nX : y\n\n", "InvalidResponseHeader")

# ------------------------------------------------------------ limits
_bad(
    "head-too-large",
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 64 + b"\r\n\r\n",
    "ResponseHeadTooLarge",
    opts={"max_head_size": 40},
)
_bad(
    "head-one-over", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "ResponseHeadTooLarge", opts={"max_head_size": 37}
)
_bad(
    "head-too-large-no-blank-line",
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 64,
    "ResponseHeadTooLarge",
    opts={"max_head_size": 40},
)
_bad("head-too-large-default", b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", "ResponseHeadTooLarge")
_bad("endless-status-line", b"HTTP/1.1 200 " + b"a" * 70000, "ResponseHeadTooLarge")
_bad(
    "too-many-headers",
    b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
    "TooManyResponseHeaders",
    opts={"max_headers": 3},
)
_bad(
    "too-many-headers-default",
    b"HTTP/1.1 200 OK\r\n" + b"".join(b"H%d: %d\r\n" % (i, i) for i in range(101)) + b"\r\n",
    "TooManyResponseHeaders",
)

# ------------------------------------------------------------ Content-Length
for _id, _value in [
    ("empty", b""),
    ("letters", b"abc"),
    ("minus", b"-5"),
    ("plus", b"+5"),
    ("inner-space", b"1 2"),
    ("underscore", b"1_000"),
    ("hex", b"0x10"),
    ("decimal-point", b"5.0"),
    ("exponent", b"1e3"),
    ("superscript-digit", b"\xb2"),
    ("overflow-2-62", b"4611686018427387904"),
    ("overflow-huge", b"99999999999999999999999999"),
    ("overflow-long-zeros", b"0" * 30 + b"1" + b"0" * 19),
    ("trailing-comma", b"5,"),
    ("leading-comma", b",5"),
    ("empty-element", b"5,,5"),
    ("list-with-bad-element", b"5, x"),
]:
    _bad("length-" + _id, b"HTTP/1.1 200 OK\r\nContent-Length: " + _value + b"\r\n\r\n", "InvalidContentLength")
_bad("length-list-differs", b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "InvalidContentLength")
_bad(
    "length-fields-differ", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "InvalidContentLength"
)
_bad("length-bad-on-204", b"HTTP/1.1 204 No Content\r\nContent-Length: x\r\n\r\n", "InvalidContentLength")
_bad("length-bad-on-100", b"HTTP/1.1 100 Continue\r\nContent-Length: -1\r\n\r\n", "InvalidContentLength")

# ------------------------------------------------------------ Transfer-Encoding
_bad("te-chunked-then-gzip", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "InvalidFraming")
_bad("te-chunked-twice", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "InvalidFraming")
_bad(
    "te-chunked-twice-fields",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
    "InvalidFraming",
)
_bad(
    "te-chunked-field-then-gzip-field",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
    "InvalidFraming",
)
_bad("te-empty", b"HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n", "InvalidFraming")
_bad("te-only-commas", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: , ,\r\n\r\n", "InvalidFraming")
_bad("te-http10-chunked-twice", b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked,chunked\r\n\r\n", "InvalidFraming")
_bad(
    "te-bad-on-head-response-304",
    b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    "InvalidFraming",
)


# ============================================================ chunked bodies


def _cok(id, data, body, done=True, unused=b"", opts=None):
    CHUNKED_CASES.append({"id": id, "data": data, "opts": opts or {}, "body": body, "done": done, "unused": unused})


def _cbad(id, data, error, opts=None):
    CHUNKED_CASES.append({"id": id, "data": data, "opts": opts or {}, "error": error})


_cok("one-chunk", b"5\r\nhello\r\n0\r\n\r\n", b"hello")
_cok("lf-only", b"5\nhello\n0\n\n", b"hello")
_cok("several-chunks", b"5\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n", b"hello world!")
_cok("empty-body", b"0\r\n\r\n", b"")
_cok("hex-cases", b"a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", b"0123456789abcdefghij")
_cok("hex-two-digits", b"1F\r\n" + b"x" * 31 + b"\r\n0\r\n\r\n", b"x" * 31)
_cok("leading-zeros", b"0005\r\nhello\r\n0000\r\n\r\n", b"hello")
_cok("many-leading-zeros", b"0" * 40 + b"5\r\nhello\r\n0\r\n\r\n", b"hello")
_cok("fifteen-hex-digits", b"fffffffffffffff\r\nabc", b"abc", done=False)
_cok("extension", b"5;name=value\r\nhello\r\n0\r\n\r\n", b"hello")
_cok("extension-quoted", b'5;a="b c;d"\r\nhello\r\n0\r\n\r\n', b"hello")
_cok("extension-several", b'5;a;b=1 ; c="x"\r\nhello\r\n0\r\n\r\n', b"hello")
_cok("extension-bws", b"5 ;a\r\nhello\r\n5\t;b\r\nworld\r\n0\r\n\r\n", b"helloworld")
_cok("extension-empty", b"5;\r\nhello\r\n0\r\n\r\n", b"hello")
_cok("extension-obs-text-and-tab", b"5;a=\xe9\tb\r\nhello\r\n0\r\n\r\n", b"hello")
_cok("ows-after-size", b"5  \r\nhello\r\n0\t\r\n\r\n", b"hello")
_cok("last-chunk-extension", b"5\r\nhello\r\n0;final\r\n\r\n", b"hello")
_cok("trailers", b"5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum:abc\r\n\r\n", b"hello")
_cok("trailer-empty-value", b"0\r\nX:\r\n\r\n", b"")
_cok("trailer-obs-text", b"0\r\nX: caf\xe9\r\n\r\n", b"")
_cok("trailers-lf-only", b"0\nA: 1\nB: 2\n\n", b"")
_cok("crlf-inside-data", b"4\r\n\r\n\r\n\r\n0\r\n\r\n", b"\r\n\r\n")
_cok("data-end-lf-only", b"5\r\nhello\n0\r\n\r\n", b"hello")
_cok("unused-after-end", b"5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", b"hello", unused=b"HTTP/1.1 200 OK\r\n")
_cok("unused-after-trailers", b"0\r\nA: b\r\n\r\nXYZ", b"", unused=b"XYZ")
_cok("binary-data", b"9\r\n\x00\x01\x02\r\n\xff\xfe\n\r\r\n0\r\n\r\n", b"\x00\x01\x02\r\n\xff\xfe\n\r")
_cok("incomplete-in-data", b"a\r\nhello", b"hello", done=False)
_cok("incomplete-in-size", b"5\r\nhello\r\n1", b"hello", done=False)
_cok("incomplete-before-last-crlf", b"5\r\nhello\r\n0\r\n", b"hello", done=False)
_cok("incomplete-in-trailer", b"0\r\nA: b", b"", done=False)
_cok("incomplete-cr-of-end", b"0\r\n\r", b"", done=False)
_cok("line-within-limit", b"5;abcdefghi\r\nhello\r\n0\r\n\r\n", b"hello", opts={"max_line": 16})
_cok("trailers-within-limit", b"0\r\nA: 1\r\nB: 2\r\n\r\n", b"", opts={"max_trailer_size": 32})
_cok("big-chunk", b"10000\r\n" + b"z" * 65536 + b"\r\n0\r\n\r\n", b"z" * 65536)

_cbad("size-not-hex", b"x\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-empty", b"\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-leading-space", b" 5\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-leading-tab", b"\t5\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-0x", b"0x5\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-minus", b"-5\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-plus", b"+5\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-junk-after", b"5g\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-inner-space", b"1 0\r\n0123456789abcdef\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-sixteen-digits", b"1000000000000000\r\n", "InvalidChunkedEncoding")
_cbad("size-sixteen-digits-after-zeros", b"000fffffffffffffff0\r\n", "InvalidChunkedEncoding")
_cbad("size-huge", b"ffffffffffffffffffff\r\n", "InvalidChunkedEncoding")
_cbad("size-bare-cr", b"5\rhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("size-cr-cr-lf", b"5\r\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("ext-nul", b"5;a\x00b\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("ext-del", b"5;a\x7f\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("ext-ctl", b"5;a=\x01\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("ext-bare-cr", b"5;a\rb\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("ext-without-semicolon", b"5 a=b\r\nhello\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("data-too-long", b"5\r\nhelloX\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("data-too-short", b"5\r\nhel\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("data-end-cr-x", b"5\r\nhello\rX0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("data-end-cr-cr", b"5\r\nhello\r\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("second-size-bad", b"5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n", "InvalidChunkedEncoding")
_cbad("line-too-long", b"5;" + b"a" * 40 + b"\r\nhello\r\n0\r\n\r\n", "ChunkLineTooLong", opts={"max_line": 16})
_cbad("line-too-long-default", b"5;" + b"a" * 5000 + b"\r\nhello\r\n0\r\n\r\n", "ChunkLineTooLong")
_cbad("line-too-long-no-end", b"5;" + b"a" * 5000, "ChunkLineTooLong")
_cbad("line-too-long-zeros", b"0" * 5000 + b"5\r\nhello\r\n0\r\n\r\n", "ChunkLineTooLong")
_cbad("trailer-no-colon", b"0\r\nNoColon\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-empty-name", b"0\r\n: v\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-space-before-colon", b"0\r\nX : v\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-obs-fold", b"0\r\nX: a\r\n b\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-starts-with-tab", b"0\r\n\tX: a\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-nul", b"0\r\nX: a\x00\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-del", b"0\r\nX: a\x7f\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-bare-cr", b"0\r\nX: a\rb\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailer-end-bare-cr", b"0\r\n\rX", "InvalidChunkedEncoding")
_cbad("trailer-non-token-name", b"0\r\nX(y): v\r\n\r\n", "InvalidChunkedEncoding")
_cbad("trailers-too-large", b"0\r\nA: " + b"a" * 40 + b"\r\n\r\n", "TrailersTooLarge", opts={"max_trailer_size": 32})
_cbad(
    "trailers-too-many-lines", b"0\r\n" + b"A: 1\r\n" * 10 + b"\r\n", "TrailersTooLarge", opts={"max_trailer_size": 32}
)
_cbad("trailers-too-large-default", b"0\r\nA: " + b"a" * 70000 + b"\r\n\r\n", "TrailersTooLarge")
_cbad("trailers-endless", b"0\r\n" + b"A: 1\r\n" * 12000, "TrailersTooLarge")


def mutate(rnd, data, alphabet):
    """A few byte edits drawn from ``alphabet``, the bytes that matter to the
    grammar under test: overwrite, insert, delete, or duplicate a short run."""
    data = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(data) + 1)
        op = rnd.randrange(4)
        if op == 0 and data:
            data[min(i, len(data) - 1)] = rnd.choice(alphabet)
        elif op == 1:
            data[i:i] = bytes([rnd.choice(alphabet)])
        elif op == 2 and data:
            del data[min(i, len(data) - 1)]
        else:
            j = rnd.randrange(len(data) + 1)
            data[i:i] = data[j : j + rnd.randint(1, 8)]
    return bytes(data)


#: Mutation alphabets for heads and chunked bodies.
HEAD_MUTATION_BYTES = b"\r\n \t:;,0123456789aAfF\x00\x7f\x80\xffxX-HTTP/1.chunkedlength"
CHUNKED_MUTATION_BYTES = b"\r\n \t:;,0123456789aAfF\x00\x7f\x80\xffxX-"


def split_pieces(data, mode, seed, max_cuts):
    """``data`` in the pieces a split_runs ``mode`` feeds: whole, one byte at
    a time, or cut at 1 to ``max_cuts`` places drawn from ``seed``."""
    if mode == "whole":
        return [data]
    if mode == "bytes":
        return [data[i : i + 1] for i in range(len(data))]
    if len(data) < 2:
        return [data]
    rnd = random.Random(seed)
    cuts = sorted(rnd.sample(range(1, len(data)), min(len(data) - 1, rnd.randint(1, max_cuts))))
    bounds = [0] + cuts + [len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def split_runs(cases, splits_per_case, bytewise_limit=4096):
    """(case, mode, k, id) for every way a table case is fed: whole, one byte
    at a time (cases up to ``bytewise_limit`` bytes; longer ones run in one
    bundled test), and at ``splits_per_case`` seeded random split sets."""
    out = []
    for case in cases:
        out.append((case, "whole", 0, case["id"] + "-whole"))
        if len(case["data"]) <= bytewise_limit:
            out.append((case, "bytes", 0, case["id"] + "-bytes"))
        for k in range(splits_per_case):
            out.append((case, "random", k, f"{case['id']}-split{k}"))
    return out
