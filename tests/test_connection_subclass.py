"""Connections are http.client connections: subclasses that override its
hooks work on a plain HTTPConnectionPool, as on urllib3.

Code in the field (botocore, docker-py, vcrpy, ...) subclasses urllib3's
HTTPConnection and overrides what it inherits from http.client: connect()
producing its own socket, _send_output/send for "Expect: 100-continue",
response_class. Each case runs against a real server on 127.0.0.1 (or a UNIX
socket) for both wire implementations, and checks that pool's own classes
still take the compiled one-call path.
"""

from __future__ import annotations

import http.client
import os
import socket
import tempfile
import threading

import pytest

from hostile import HostileServer, Pause, impl  # noqa: F401
from pool import HTTPConnectionPool
from pool.connection import HTTPConnection, HTTPSConnection

CHUNKED = [
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"6\r\nchunk0\r\n",
    Pause(0.02),
    b"6\r\nchunk1\r\n",
    Pause(0.02),
    b"6\r\nchunk2\r\n0\r\n\r\n",
]


def _ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def _pool(srv: HostileServer, cls: type) -> HTTPConnectionPool:
    p = HTTPConnectionPool(srv.host, srv.port, maxsize=1, timeout=5, retries=False)
    p.ConnectionCls = cls
    return p


def test_pool_classes_take_the_one_call_path():
    for cls in (HTTPConnection, HTTPSConnection):
        assert issubclass(cls, http.client.HTTPConnection)
        assert cls._choose_request_path() is False

    class Plain(HTTPConnection):
        def close(self) -> None:  # not a sending hook
            super().close()

    assert Plain._choose_request_path() is False


@pytest.mark.parametrize("hook", ["putrequest", "putheader", "endheaders", "_send_output", "send"])
def test_a_sending_hook_overridden_goes_through_http_client(impl, hook):  # noqa: F811
    calls: list[str] = []

    def spy(self, *args, **kwargs):
        calls.append(hook)
        return getattr(HTTPConnection, hook)(self, *args, **kwargs)

    cls = type(f"Spy_{hook}", (HTTPConnection,), {hook: spy})
    with HostileServer([[_ok(b"one")], CHUNKED]) as srv:
        p = _pool(srv, cls)
        assert p.request("POST", "/a", body=b"payload").data == b"one"
        r = p.request("GET", "/b", preload_content=False)
        assert list(r.stream(None)) == [b"chunk0", b"chunk1", b"chunk2"]
        assert srv.accepted == 1, "the connection was not reused"
        first = srv.requests[0]
        assert first.body == b"payload"
        assert first.header("Content-Length") == "7"
        assert first.header("User-Agent") is not None
    assert calls, f"{hook} was not called"
    assert cls._via_http_client is True


def test_send_output_override_sees_the_buffer_and_waits_for_100_continue(impl):  # noqa: F811
    # botocore's shape: read self._buffer, send the head, look at the socket
    # for an interim answer before the body goes.
    seen: list[bytes] = []

    class ExpectConn(HTTPConnection):
        def _send_output(self, message_body=None, *args, **kwargs):
            self._buffer.extend((b"", b""))
            msg = b"\r\n".join(self._buffer)
            del self._buffer[:]
            seen.append(msg)
            self.send(msg)
            assert self._method == "PUT"
            fp = self.sock.makefile("rb", 0)
            try:
                assert fp.readline().startswith(b"HTTP/1.1 100")
                while fp.readline() != b"\r\n":
                    pass
            finally:
                fp.close()

    with HostileServer([[b"HTTP/1.1 100 Continue\r\n\r\n", Pause(0.05), _ok(b"stored")]], read_body=False) as srv:
        p = _pool(srv, ExpectConn)
        r = p.request("PUT", "/k", body=b"x" * 1000, headers={"Expect": "100-continue"})
        assert r.status == 200 and r.data == b"stored"
    assert seen and seen[0].startswith(b"PUT /k HTTP/1.1\r\n") and b"Expect: 100-continue" in seen[0]


def test_replaced_response_class_is_read_by_http_client_and_wrapped(impl):  # noqa: F811
    made: list[object] = []

    class MyResponse(http.client.HTTPResponse):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    class Conn(HTTPConnection):
        response_class = MyResponse

    with HostileServer([[_ok(b"first")], CHUNKED, [_ok(b"third")]]) as srv:
        p = _pool(srv, Conn)
        r = p.request("GET", "/1")
        assert r.data == b"first"
        assert isinstance(r._original_response, MyResponse) and r._fp is r._original_response
        assert r.headers["Content-Length"] == "5"
        r = p.request("GET", "/2", preload_content=False)
        assert list(r.stream(None)) == [b"chunk0", b"chunk1", b"chunk2"]
        r.release_conn()
        assert p.request("GET", "/3").data == b"third"
        assert srv.accepted == 1
    assert len(made) == 3


def test_response_class_swapped_per_instance_then_restored(impl):  # noqa: F811
    # botocore swaps response_class on the instance for one response, and
    # restores it on close().
    class Conn(HTTPConnection):
        pass

    with HostileServer([[_ok(b"a")], [_ok(b"b")]]) as srv:
        p = _pool(srv, Conn)
        conn = p._get_conn()
        conn.response_class = http.client.HTTPResponse  # the default, as an instance attribute
        p._put_conn(conn)
        assert p.request("GET", "/a").data == b"a"
        conn = p._get_conn()
        conn.response_class = type("R", (http.client.HTTPResponse,), {})
        p._put_conn(conn)
        r = p.request("GET", "/b")
        assert r.data == b"b" and type(r._original_response).__name__ == "R"


def test_connect_override_with_a_unix_socket(impl):  # noqa: F811
    path = os.path.join(tempfile.mkdtemp(), "s")
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(path)
    ls.listen()
    ls.settimeout(5)
    got: list[bytes] = []

    def serve() -> None:
        c, _ = ls.accept()
        c.settimeout(5)
        with c:
            for i in range(3):
                data = b""
                while b"\r\n\r\n" not in data:
                    piece = c.recv(65536)
                    if not piece:
                        return
                    data += piece
                got.append(data)
                if i == 2:
                    c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nunix2\r\n")
                    c.sendall(b"0\r\n\r\n")
                else:
                    c.sendall(_ok(b"unix%d" % i))

    t = threading.Thread(target=serve, daemon=True)
    t.start()

    class UnixConnection(HTTPConnection):
        def connect(self) -> None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            sock.connect(path)
            self.sock = sock

    try:
        p = HTTPConnectionPool("localhost", maxsize=1, timeout=5, retries=False)
        p.ConnectionCls = UnixConnection
        assert p.request("GET", "/v1/ping").data == b"unix0"
        assert p.request("GET", "/v1/version").data == b"unix1"
        r = p.request("GET", "/v1/logs", preload_content=False)
        assert r._fp.chunked is True
        assert list(r.stream(None)) == [b"unix2"]
        assert p.num_connections == 1
        assert UnixConnection._via_http_client is False
    finally:
        t.join(5)
        ls.close()
    assert got[0].startswith(b"GET /v1/ping HTTP/1.1\r\nHost: localhost\r\n")


def test_patching_a_hook_on_a_class_is_seen(impl):  # noqa: F811
    class Conn(HTTPConnection):
        pass

    with HostileServer([[_ok(b"a")], [_ok(b"b")]]) as srv:
        p = _pool(srv, Conn)
        assert p.request("GET", "/a").data == b"a"
        assert Conn._via_http_client is False
        sent: list[bytes] = []

        def send(self, data):
            sent.append(data)
            return HTTPConnection.send(self, data)

        Conn.send = send
        assert p.request("GET", "/b").data == b"b"
        assert Conn._via_http_client is True and sent and sent[0].startswith(b"GET /b ")


# ------------------------------------------------- HTTPResponse._fp, as docker-py reads it


def test_fp_view_reads_the_same_stream_as_the_response(impl):  # noqa: F811
    body = b"0123456789abcdef"
    with HostileServer([[_ok(body)], CHUNKED]) as srv:
        p = _pool(srv, HTTPConnection)
        r = p.request("GET", "/", preload_content=False)
        fp = r._fp
        assert fp is r._original_response
        assert isinstance(fp.msg["Content-Length"], str) and fp.status == 200 and fp.version == 11
        assert fp.chunked is False and fp.length == 16 and fp.will_close is False
        assert r.read(2) == b"01"
        assert fp.read(3) == b"234"
        assert fp.readline() == b"56789abcdef"
        assert r.read() == b""
        assert fp.isclosed()
        # Chunked, as docker-py's _stream_helper reads it: one byte, then the
        # rest of the current chunk from chunk_left.
        r = p.request("GET", "/c", preload_content=False)
        assert r._fp.chunked is True
        pieces = []
        for _ in range(10):
            data = r.read(1)
            if not data:
                break
            left = r._fp.chunk_left
            if left:
                data += r.read(left)
            pieces.append(data)
        assert pieces == [b"chunk0", b"chunk1", b"chunk2"]
        assert srv.accepted == 1


def test_fp_fp_raw_is_the_socket_stream_and_loses_no_byte(impl):  # noqa: F811
    # docker-py takes response.raw._fp.fp.raw for attach/exec streams and
    # reads the socket itself: bytes the Reader had already received come
    # first, and the connection is not reused afterwards.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nContent-Length: 12\r\n\r\n"
    with HostileServer([[head + b"hello ", Pause(0.05), b"world!"], [_ok(b"next")]]) as srv:
        p = _pool(srv, HTTPConnection)
        r = p.request("GET", "/attach", preload_content=False)
        raw = r._fp.fp.raw
        assert isinstance(raw, socket.SocketIO) and hasattr(raw, "_sock")
        got = b""
        for _ in range(50):
            if len(got) >= 12:
                break
            piece = raw.read(64)
            if not piece:
                break
            got += piece
        assert got == b"hello world!"
        r.release_conn()
        assert p.request("GET", "/next").data == b"next"
        assert srv.accepted == 2, "a connection whose stream was taken over was reused"


def test_wrapping_an_http_client_response_as_urllib3(impl):  # noqa: F811
    import urllib3

    results = []
    for mod in (urllib3, __import__("pool")):
        with HostileServer([CHUNKED]) as srv:
            conn = http.client.HTTPConnection(srv.host, srv.port, timeout=5)
            conn.request("GET", "/")
            raw = conn.getresponse()
            r = mod.response.HTTPResponse(
                body=raw,
                headers=dict(raw.getheaders()),
                status=raw.status,
                preload_content=False,
                original_response=raw,
            )
            results.append((r.chunked, r.supports_chunked_reads(), list(r.read_chunked()), r._fp is raw))
            conn.close()
    assert results[0] == results[1] == (True, True, [b"chunk0", b"chunk1", b"chunk2"], True)


def test_a_dropped_response_with_its_view_is_freed_at_once(impl):  # noqa: F811
    # The _fp / _original_response view refers back to its response weakly:
    # no cycle, so a response dropped mid-body is freed by reference
    # counting and closes its socket itself, never left to the garbage
    # collector (which could finalize the socket first: ResourceWarning).
    import gc
    import warnings
    import weakref

    with HostileServer([CHUNKED]) as srv:
        p = _pool(srv, HTTPConnection)
        r = p.request("GET", "/", preload_content=False)
        assert r._original_response.msg is r.headers and r._fp.chunked
        sock = r.connection.sock
        ref = weakref.ref(r)
        gc.disable()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", ResourceWarning)
                del r
                assert ref() is None
        finally:
            gc.enable()
        assert sock.fileno() == -1, "the socket was not closed with its response"
