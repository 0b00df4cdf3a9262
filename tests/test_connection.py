"""HTTPConnection against a real server on 127.0.0.1: what goes on the wire,
what is refused before anything goes on the wire, socket set-up errors."""

import io
import socket
import time

import pytest
import urllib3

import pool
from pool.connection import SKIP_HEADER, HTTPConnection, _host_header_value
from pool.exceptions import (
    InvalidBodyFraming,
    InvalidMethod,
    InvalidRequestHeader,
    InvalidRequestTarget,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    RemoteDisconnected,
)

from httpserver import CLOSE, RAW, Server


@pytest.fixture
def server():
    with Server() as s:
        yield s


def _raw_requests(srv, lib, cases):
    srv.requests.clear()
    http = lib.PoolManager()
    for method, headers, body in cases:
        if hasattr(body, "seek"):
            body.seek(0)
        http.request(method, srv.url("/x"), body=body, headers=headers).data
    http.clear()
    return [r.raw.replace(str(srv.port).encode(), b"PORT") for r in srv.requests]


def test_request_bytes_identical_to_urllib3(server):
    """Default headers, their order and body framing match urllib3 2.x byte for byte."""
    cases = [
        ("GET", {}, None),
        ("POST", {}, None),
        ("POST", {}, b"abc"),
        ("PUT", {"X-A": "1"}, "h\u00e9"),
        ("POST", {}, io.BytesIO(b"filebody")),
        ("POST", {}, [b"a", b"", "bc"]),
        ("DELETE", {"User-Agent": "me"}, None),
        ("GET", {"Accept-Encoding": "gzip", "host": "other"}, None),
        ("POST", {"Content-Length": "3"}, b"abc"),
        ("POST", {"Transfer-Encoding": "chunked"}, b"abc"),
        ("OPTIONS", {"X-Multi": "a, b"}, b""),
    ]
    ours = _raw_requests(server, pool, cases)
    theirs = _raw_requests(server, urllib3, cases)
    assert len(ours) == len(cases)
    assert ours == theirs


def test_one_connection_many_requests_and_nodelay(server):
    conn = HTTPConnection("127.0.0.1", server.port, timeout=5)
    for i in range(3):
        conn.request("GET", f"/id?id={i}")
        r = conn.getresponse()
        assert r.data == str(i).encode()
    assert server.connections_accepted == 1
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    conn.close()
    assert conn.is_closed and not conn.is_connected


def test_socket_options_empty_list_disables_nodelay(server):
    conn = HTTPConnection("127.0.0.1", server.port, socket_options=[])
    conn.connect()
    assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    conn.close()


def test_source_address(server):
    conn = HTTPConnection("127.0.0.1", server.port, source_address=("127.0.0.1", 0))
    conn.request("GET", "/")
    assert conn.getresponse().status == 200
    assert conn.sock.getsockname()[0] == "127.0.0.1"
    conn.close()


def test_small_body_goes_out_with_the_head_in_one_write(server):
    """Head and a small body arrive together: the server's first recv has both."""
    seen = []

    def handler(req):
        seen.append(req.raw)

    server.handler = handler
    conn = HTTPConnection("127.0.0.1", server.port)
    conn.request("POST", "/", body=b"x" * 1000)
    assert conn.getresponse().status == 200
    assert seen[0].endswith(b"\r\n\r\n" + b"x" * 1000)
    conn.close()


def test_large_and_streamed_bodies(server):
    big = bytes(range(256)) * 1024  # 256 KiB: sent after the head
    conn = HTTPConnection("127.0.0.1", server.port)
    conn.request("PUT", "/", body=big)
    conn.getresponse().data
    conn.request("POST", "/", body=(b"%d," % i for i in range(1000)))
    conn.getresponse().data
    conn.request("POST", "/", body=io.BytesIO(big))
    conn.getresponse().data
    conn.request("POST", "/", body=b"abc", chunked=True)
    conn.getresponse().data
    r0, r1, r2, r3 = server.requests
    assert r0.body == big and r0.header("Content-Length") == str(len(big))
    assert r1.header("Transfer-Encoding") == "chunked"
    assert r1.body == b"".join(b"%d," % i for i in range(1000))
    assert r2.body == big and r2.header("Transfer-Encoding") == "chunked"
    assert r3.body == b"abc" and r3.header("Transfer-Encoding") == "chunked"
    assert r3.header("Content-Length") is None
    conn.close()


def test_skip_header(server):
    conn = HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/", headers={"User-Agent": SKIP_HEADER, "Accept-Encoding": SKIP_HEADER})
    conn.getresponse().data
    names = [k.lower() for k, _ in server.requests[0].headers]
    assert names == ["host"]
    with pytest.raises(ValueError, match="SKIP_HEADER"):
        conn.request("GET", "/", headers={"X-Other": SKIP_HEADER})
    conn.close()


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"method": "GE T"}, InvalidMethod),
        ({"method": "GET\r\n"}, InvalidMethod),
        ({"method": ""}, InvalidMethod),
        ({"url": "/a b"}, InvalidRequestTarget),
        ({"url": "/a\r\nX-Injected: 1"}, InvalidRequestTarget),
        ({"url": "/a\x00"}, InvalidRequestTarget),
        ({"url": ""}, InvalidRequestTarget),
        ({"headers": {"X-A": "v\r\nX-Injected: 1"}}, InvalidRequestHeader),
        ({"headers": {"X-A": "v\nb"}}, InvalidRequestHeader),
        ({"headers": {"X-A": "v\x00"}}, InvalidRequestHeader),
        ({"headers": {"X-A\r\nB": "v"}}, InvalidRequestHeader),
        ({"headers": {"X A": "v"}}, InvalidRequestHeader),
        ({"headers": {"": "v"}}, InvalidRequestHeader),
        ({"headers": {"X-\x00": "v"}}, InvalidRequestHeader),
        ({"headers": {"Content-Length": "5"}, "body": b"abc"}, InvalidBodyFraming),
        ({"headers": {"Content-Length": "-3"}, "body": b"abc"}, InvalidBodyFraming),
        ({"headers": {"Content-Length": "3", "Transfer-Encoding": "chunked"}, "body": b"abc"}, InvalidBodyFraming),
        ({"headers": {"Content-Length": "3"}, "body": b"abc", "chunked": True}, InvalidBodyFraming),
        ({"headers": {"Transfer-Encoding": "gzip"}, "body": b"abc"}, InvalidBodyFraming),
        ({"headers": {"Transfer-Encoding": "chunked, chunked"}, "body": b"abc"}, InvalidBodyFraming),
        ({"headers": {"Content-Length": "4"}}, InvalidBodyFraming),
    ],
)
def test_bad_input_refused_before_any_byte(server, kwargs, exc):
    args = {"method": "GET", "url": "/", "body": None, "headers": None}
    args.update(kwargs)
    chunked = args.pop("chunked", False)
    conn = HTTPConnection("127.0.0.1", server.port)
    with pytest.raises(exc):
        conn.request(args["method"], args["url"], body=args["body"], headers=args["headers"], chunked=chunked)
    # Nothing was even connected, so the server can't have seen a byte.
    assert conn.sock is None
    assert server.connections_accepted == 0
    # And the same connection still works afterwards.
    conn.request("GET", "/id?id=ok")
    assert conn.getresponse().data == b"ok"
    assert len(server.requests) == 1
    conn.close()


def test_bad_input_on_an_open_connection_sends_nothing(server):
    conn = HTTPConnection("127.0.0.1", server.port)
    conn.request("GET", "/")
    conn.getresponse().data
    before = server.bytes_received[0]
    with pytest.raises(InvalidRequestHeader):
        conn.request("GET", "/", headers={"X": "a\r\n\r\nGET /smuggled HTTP/1.1"})
    time.sleep(0.05)
    assert server.bytes_received[0] == before
    conn.close()


def test_declared_length_of_streamed_body_is_enforced(server):
    conn = HTTPConnection("127.0.0.1", server.port)
    with pytest.raises(InvalidBodyFraming):
        conn.request("POST", "/", body=iter([b"ab", b"cd"]), headers={"Content-Length": "3"})
    conn.close()
    conn = HTTPConnection("127.0.0.1", server.port)
    with pytest.raises(InvalidBodyFraming):
        conn.request("POST", "/", body=iter([b"ab"]), headers={"Content-Length": "3"})
    conn.close()
    conn = HTTPConnection("127.0.0.1", server.port)
    conn.request("POST", "/", body=iter([b"ab", b"c"]), headers={"Content-Length": "3"})
    assert conn.getresponse().status == 200
    assert server.requests[-1].body == b"abc"
    conn.close()


@pytest.mark.parametrize("host", ["bad host", "a\r\nb", "a\x00b", "", "a/b", "a\\b"])
def test_bad_host_refused(host):
    with pytest.raises(LocationValueError):
        HTTPConnection(host, 80)


@pytest.mark.parametrize("port", [-1, 65536, 10**6])
def test_port_out_of_range(port):
    with pytest.raises(LocationValueError):
        HTTPConnection("127.0.0.1", port)


def test_host_port_in_host_string(server):
    conn = HTTPConnection(f"127.0.0.1:{server.port}")
    assert conn.port == server.port
    conn.request("GET", "/")
    assert conn.getresponse().status == 200
    conn.close()


def test_host_header_forms():
    assert _host_header_value("example.com", 80, 80) == "example.com"
    assert _host_header_value("example.com", 8080, 80) == "example.com:8080"
    assert _host_header_value("::1", 8080, 80) == "[::1]:8080"
    assert _host_header_value("b\u00fccher.example", 443, 443) == "xn--bcher-kva.example"


def test_refused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    conn = HTTPConnection("127.0.0.1", port, timeout=2)
    with pytest.raises(NewConnectionError) as ei:
        conn.request("GET", "/")
    assert "Failed to establish a new connection" in str(ei.value)
    assert conn.sock is None


def test_name_resolution_error():
    conn = HTTPConnection("name.invalid", 80, timeout=2)
    with pytest.raises(NameResolutionError):
        conn.connect()


def test_getresponse_without_request():
    from http.client import ResponseNotReady

    conn = HTTPConnection("127.0.0.1", 1)
    with pytest.raises(ResponseNotReady):
        conn.getresponse()


def test_server_closes_before_response(server):
    server.handler = lambda req: CLOSE
    conn = HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/")
    with pytest.raises(RemoteDisconnected):
        conn.getresponse()
    conn.close()


def test_raw_handler_chunked_and_close_framing(server):
    def handler(req):
        if req.path == "/raw":
            req.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return RAW

    server.handler = handler
    conn = HTTPConnection("127.0.0.1", server.port, timeout=5)
    for path, body in (("/raw", b"ok"), ("/chunked", b"chunk0chunk1chunk2"), ("/close", b"until close")):
        conn.request("GET", path)
        r = conn.getresponse()
        assert r.data == body
    conn.close()


def test_http_client_style_api(server):
    conn = HTTPConnection("127.0.0.1", server.port)
    conn.putrequest("POST", "/echo")
    conn.putheader("X-Multi", "a", "b")
    conn.putheader("Content-Length", 3)
    conn.putheader("User-Agent", SKIP_HEADER)
    conn.endheaders(b"abc")
    r = conn.getresponse()
    assert r.status == 200
    req = server.requests[0]
    assert req.body == b"abc"
    assert [k for k, _ in req.headers] == ["Host", "Accept-Encoding", "X-Multi", "Content-Length"]
    assert req.header("X-Multi") == "a, b"
    conn.putrequest("GET", "/id?id=2", skip_accept_encoding=True)
    with pytest.raises(InvalidRequestHeader):
        conn.putheader("X-Bad", "a\r\nb")
        conn.endheaders()
    conn.close()


def test_unfinished_or_closing_response_never_leaks_into_the_next(server):
    def handler(req):
        if req.path == "/smuggle":
            # The body looks like a second response: it must never be taken
            # for the answer to the next request.
            fake = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"
            req.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(fake), fake))
            from httpserver import RAW

            return RAW

    server.handler = handler
    conn = HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/smuggle", preload_content=False)
    r = conn.getresponse()
    assert r.status == 200
    conn.request("GET", "/id?id=real")  # the first body was never read
    assert conn.getresponse().data == b"real"
    assert server.connections_accepted == 2
    conn.request("GET", "/close")
    assert conn.getresponse().data == b"until close"
    conn.request("GET", "/id?id=after-close")
    assert conn.getresponse().data == b"after-close"
    assert server.connections_accepted == 3
    conn.close()
    del r
