"""Request-side injection (RFC 9112 sections 3 and 5; RFC 9110 section 5.5):
CR, LF, NUL and other control bytes in the method, URL, host, header names and
values, and a user-set Content-Length or Transfer-Encoding that disagrees with
the body.  Each is refused before any byte is sent (the server sees no
connection at all), or made harmless (percent-encoded) the way urllib3 does;
the tests check exactly what reached the server.
"""

from __future__ import annotations

import pytest
from hostile import HostileServer, impl, response  # noqa: F401

from pool.connection import HTTPConnection
from pool.connectionpool import HTTPConnectionPool
from pool.exceptions import (
    InvalidBodyFraming,
    InvalidMethod,
    InvalidRequestHeader,
    LocationParseError,
    LocationValueError,
)
from pool.poolmanager import PoolManager

CTLS = ["\r\n", "\n", "\r", "\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f"]


@pytest.fixture
def srv():
    with HostileServer(lambda req: [response(b"ok")]) as s:
        yield s


def _pool(srv: HostileServer, **kw) -> HTTPConnectionPool:
    return HTTPConnectionPool(srv.host, srv.port, timeout=3, retries=False, **kw)


def _nothing_sent(srv: HostileServer) -> None:
    assert srv.accepted == 0
    assert srv.received() == b""


@pytest.mark.parametrize("ctl", CTLS + [" ", "(", "/", ":"], ids=repr)
def test_method_refused(impl, srv, ctl):
    with pytest.raises(InvalidMethod):
        _pool(srv).request("GET" + ctl + "X-Injected: 1", "/")
    _nothing_sent(srv)


def test_method_smuggling_whole_request_refused(impl, srv):
    with pytest.raises(InvalidMethod):
        _pool(srv).urlopen("GET / HTTP/1.1\r\nHost: evil\r\n\r\nGET", "/")
    _nothing_sent(srv)


def test_empty_method_refused(impl, srv):
    with pytest.raises(InvalidMethod):
        _pool(srv).urlopen("", "/")
    _nothing_sent(srv)


@pytest.mark.parametrize("ctl", CTLS, ids=repr)
def test_header_value_refused(impl, srv, ctl):
    with pytest.raises(InvalidRequestHeader):
        _pool(srv).request("GET", "/", headers={"X-Test": "a" + ctl + "X-Injected: 1"})
    _nothing_sent(srv)


@pytest.mark.parametrize("ctl", CTLS, ids=repr)
def test_header_value_bytes_refused(impl, srv, ctl):
    with pytest.raises(InvalidRequestHeader):
        _pool(srv).request("GET", "/", headers={"X-Test": b"a" + ctl.encode() + b"X-Injected: 1"})
    _nothing_sent(srv)


@pytest.mark.parametrize("ctl", CTLS + [" ", ":", "(", "\xe9", ""], ids=repr)
def test_header_name_refused(impl, srv, ctl):
    with pytest.raises(InvalidRequestHeader):
        _pool(srv).request("GET", "/", headers={"X" + ctl + "Y" if ctl else "": "1"})
    _nothing_sent(srv)


def test_host_header_injection_refused(impl, srv):
    with pytest.raises(InvalidRequestHeader):
        _pool(srv).request("GET", "/", headers={"Host": "example.com\r\nX-Injected: 1"})
    _nothing_sent(srv)


def test_pool_default_headers_checked_too(impl, srv):
    with pytest.raises(InvalidRequestHeader):
        _pool(srv, headers={"X-Default": "a\r\nX-Injected: 1"}).request("GET", "/")
    _nothing_sent(srv)


def test_non_latin1_header_value_refused(impl, srv):
    with pytest.raises(InvalidRequestHeader):
        _pool(srv).request("GET", "/", headers={"X-Test": "line\u2028sep"})
    _nothing_sent(srv)


def test_latin1_and_htab_header_values_pass(impl, srv):
    r = _pool(srv).request("GET", "/", headers={"X-Test": "caf\xe9\tok"})
    assert r.data == b"ok"
    assert b"\r\nX-Test: caf\xe9\tok\r\n" in srv.requests[0].raw


def test_putheader_injection_refused(impl, srv):
    conn = HTTPConnection(srv.host, srv.port, timeout=3)
    conn.putrequest("GET", "/")
    # Refused when the header is added (as http.client refuses it), or at
    # the latest when the head is sent: either way before any byte leaves.
    with pytest.raises(InvalidRequestHeader):
        conn.putheader("X-Test", "a\r\nX-Injected: 1")
        conn.endheaders()
    conn.close()
    _nothing_sent(srv)


@pytest.mark.parametrize(
    "target,sent",
    [
        ("/a\r\nX-Injected: 1", "/a%0D%0AX-Injected:%201"),
        ("/a\nb", "/a%0Ab"),
        ("/a\x00b", "/a%00b"),
        ("/a\x7fb", "/a%7Fb"),
        ("/a\tb", "/a%09b"),
        ("/a b HTTP/1.1\r\nHost: evil", "/a%20b%20HTTP/1.1%0D%0AHost:%20evil"),
        ("/\xe9", "/%C3%A9"),
    ],
    ids=["crlf", "lf", "nul", "del", "tab", "request-line", "non-ascii"],
)
def test_url_control_bytes_percent_encoded(impl, srv, target, sent):
    # As urllib3 does: bytes that may not appear in a request target are
    # percent-encoded, so the request line stays one line.
    r = _pool(srv).request("GET", target)
    assert r.data == b"ok"
    assert len(srv.requests) == 1
    req = srv.requests[0]
    assert req.target == sent
    assert req.raw.startswith(f"GET {sent} HTTP/1.1\r\n".encode())
    assert req.header("X-Injected") is None
    assert [k for k, _ in req.headers] == ["Host", "Accept-Encoding", "User-Agent"]


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1\r\nX-Injected: 1", "127.0.0.1\x00.evil", "127.0.0.1 x", "127.0.0.1\n", "127.0.0.1\t"],
    ids=["crlf", "nul", "space", "lf", "tab"],
)
def test_url_host_control_bytes_refused(impl, srv, host):
    with PoolManager(retries=False, timeout=3) as pm:
        with pytest.raises(LocationValueError):
            pm.request("GET", f"http://{host}:{srv.port}/")
    _nothing_sent(srv)


@pytest.mark.parametrize(
    "host", ["127.0.0.1\r\nX: 1", "127.0.0.1/x", "a@127.0.0.1", "127.0.0.1\x00", "127.0.0.1\\@127.0.0.2"], ids=repr
)
def test_pool_host_control_bytes_refused(impl, srv, host):
    with pytest.raises(LocationValueError):
        HTTPConnectionPool(host, srv.port, retries=False).request("GET", "/")
    _nothing_sent(srv)


def test_url_port_junk_refused(impl, srv):
    with PoolManager(retries=False) as pm:
        with pytest.raises(LocationParseError):
            pm.request("GET", f"http://127.0.0.1:{srv.port}x/")
    _nothing_sent(srv)


def test_fields_are_urlencoded(impl, srv):
    _pool(srv).request("GET", "/", fields={"a\r\nX-Injected": "b\r\nc"})
    assert srv.requests[0].target == "/?a%0D%0AX-Injected=b%0D%0Ac"
    assert srv.requests[0].header("X-Injected") is None


def test_multipart_field_name_cannot_add_part_headers(impl, srv):
    _pool(srv).request("POST", "/", fields={'a"\r\nX-Injected: 1\r\n\r\n': "v"})
    body = srv.requests[0].body
    assert b"\r\nX-Injected" not in body
    assert body.count(b"\r\n\r\n") == 1


# ------------------------------------------------ body framing set by the caller

FRAMING_REFUSED = [
    ("cl-longer-than-body", {"Content-Length": "10"}, b"abc", {}),
    ("cl-shorter-than-body", {"Content-Length": "2"}, b"abc", {}),
    ("cl-not-a-number", {"Content-Length": "abc"}, b"abc", {}),
    ("cl-negative", {"Content-Length": "-3"}, b"abc", {}),
    ("cl-plus", {"Content-Length": "+3"}, b"abc", {}),
    ("cl-space", {"Content-Length": "3 "}, b"abc", {}),
    ("cl-list", {"Content-Length": "3, 3"}, b"abc", {}),
    ("cl-unicode-digit", {"Content-Length": "\u0663"}, b"abc", {}),
    ("cl-without-body", {"Content-Length": "5"}, None, {}),
    ("cl-and-te", {"Content-Length": "3", "Transfer-Encoding": "chunked"}, b"abc", {}),
    ("cl-and-chunked-flag", {"Content-Length": "3"}, b"abc", {"chunked": True}),
    ("te-not-chunked", {"Transfer-Encoding": "gzip"}, b"abc", {}),
    ("te-chunked-twice", {"Transfer-Encoding": "chunked, chunked"}, b"abc", {}),
    ("te-chunked-not-last", {"Transfer-Encoding": "chunked, gzip"}, b"abc", {}),
    ("te-empty", {"Transfer-Encoding": ""}, b"abc", {}),
    ("str-body-utf8-length", {"Content-Length": "1"}, "\xe9", {}),
]


@pytest.mark.parametrize("case", FRAMING_REFUSED, ids=[c[0] for c in FRAMING_REFUSED])
def test_body_framing_disagreement_refused(impl, srv, case):
    _id, headers, body, kw = case
    with pytest.raises(InvalidBodyFraming):
        _pool(srv).urlopen("POST", "/", body=body, headers=headers, **kw)
    _nothing_sent(srv)


def test_user_framing_that_agrees_is_sent_as_is(impl, srv):
    pool = _pool(srv)
    pool.urlopen("POST", "/a", body=b"abc", headers={"Content-Length": "3"})
    pool.urlopen("POST", "/b", body=[b"ab", b"c"], headers={"Transfer-Encoding": "chunked"})
    a, b = srv.requests
    assert a.header("Content-Length") == "3" and a.body == b"abc"
    assert b.header("Transfer-Encoding") == "chunked" and b.body == b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"
    assert b.header("Content-Length") is None


@pytest.mark.parametrize("declared,chunks", [(10, [b"abc", b"def"]), (2, [b"abc"])], ids=["short", "long"])
def test_iterable_body_disagreeing_with_length_is_cut_off(impl, srv, declared, chunks):
    # A body of unknown length can only be checked as it goes: the request is
    # abandoned when it disagrees, and its connection closed, so the server
    # never reads a next request out of a wrong body.
    pool = _pool(srv)
    with pytest.raises(InvalidBodyFraming):
        pool.urlopen("POST", "/bad", body=iter(chunks), headers={"Content-Length": str(declared)})
    assert srv.wait_closed(2)
    assert srv.requests == []  # the server never got a whole request
    received = srv.received()
    assert len(received.partition(b"\r\n\r\n")[2]) < declared
    # The pool goes on with a new connection.
    assert pool.urlopen("GET", "/next").data == b"ok"
    assert srv.accepted == 2
