"""HTTPResponse over a real socket and a wire Reader, for both wire
implementations: framing, release to the pool, errors, decoding, memory.

The peer is the other end of a socket pair, written by the test (small
responses) or by a thread (large ones).  The pool and connection are stand-ins
that record what the response does to them: the behaviour under test is the
response's, and the real pool has its own tests.
"""

import gc
import http.cookiejar
import io
import socket
import threading
import tracemalloc
import zlib

import pytest

from pool.exceptions import (
    DecodeError,
    IncompleteRead,
    InvalidChunkedEncoding,
    ProtocolError,
    ReadTimeoutError,
    ResponseNotChunked,
)
from pool.response import HTTPResponse


class FakeConnection:
    """Owns the client socket; records close()."""

    def __init__(self, sock):
        self.sock = sock
        self.closed = False

    def close(self):
        self.closed = True
        self.sock.close()


class FakePool:
    """Records connections handed back."""

    def __init__(self):
        self.put = []

    def _put_conn(self, conn):
        self.put.append(conn)


class Peer:
    """The server end of a socket pair."""

    def __init__(self, timeout=5.0):
        self.client, self.server = socket.socketpair()
        self.client.settimeout(timeout)
        self.server.settimeout(10)
        self.thread = None

    def send(self, data):
        self.server.sendall(data)

    def send_in_thread(self, pieces, close=True):
        def run():
            try:
                for piece in pieces:
                    self.server.sendall(piece)
            except OSError:
                pass
            finally:
                if close:
                    self.server.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def close(self):
        self.server.close()
        if self.thread is not None:
            self.thread.join(10)


@pytest.fixture
def peer():
    p = Peer()
    yield p
    p.close()
    p.client.close()


def next_response(reader, conn, pool=None, *, method="GET", preload=False, **kw):
    """The response to the head ``reader`` reads next, on ``conn``."""
    version, status, reason, headers = reader.read_head(method == "HEAD")
    return HTTPResponse(
        body=reader,
        headers=headers,
        status=status,
        version=version,
        version_string="HTTP/1.1" if version == 11 else "HTTP/1.0",
        reason=reason,
        preload_content=preload,
        connection=conn,
        pool=pool,
        request_method=method,
        **kw,
    )


def open_response(wire, peer, *, method="GET", preload=False, decode=True, **kw):
    conn, pool = FakeConnection(peer.client), FakePool()
    resp = next_response(
        wire.Reader(peer.client),
        conn,
        pool,
        method=method,
        preload=preload,
        decode_content=decode,
        request_url="http://example.test/path",
        **kw,
    )
    return resp, conn, pool


def head(length=None, extra=b"", status=b"200 OK"):
    h = b"HTTP/1.1 " + status + b"\r\n"
    if length is not None:
        h += b"Content-Length: %d\r\n" % length
    return h + extra + b"\r\n"


# ------------------------------------------------------------ basics


def test_read_whole_body_releases_reusable_connection(wire, peer):
    peer.send(head(5, b"Set-Cookie: a=1\r\nset-cookie: b=2\r\n") + b"hello")
    r, conn, pool = open_response(wire, peer)
    assert (r.status, r.reason, r.version, r.version_string) == (200, "OK", 11, "HTTP/1.1")
    assert r.headers.getlist("SET-COOKIE") == ["a=1", "b=2"]
    assert r.length_remaining == 5 and not r.closed and r.connection is conn
    assert r.read() == b"hello"
    assert pool.put == [conn] and not conn.closed
    assert r.connection is None and r.closed and r.isclosed()
    assert r.tell() == 5 and r.length_remaining == 0
    assert r.read() == b"" and r.read(10) == b""


def test_preload_content(wire, peer):
    peer.send(head(3) + b"abc")
    r, conn, pool = open_response(wire, peer, preload=True)
    assert r.data == b"abc" and pool.put == [conn] and not conn.closed
    assert r.read() == b""


def test_connection_reused_for_next_response(wire, peer):
    reader = wire.Reader(peer.client)
    pool = FakePool()
    conn = FakeConnection(peer.client)
    for body in (b"one", b"second"):
        peer.send(head(len(body)) + body)
        r = next_response(reader, conn, pool)
        assert r.read() == body
    assert pool.put == [conn, conn] and not conn.closed


@pytest.mark.parametrize("size", [0, 1])
def test_tiny_bodies(wire, peer, size):
    peer.send(head(size) + b"x" * size)
    r, conn, pool = open_response(wire, peer)
    assert r.read() == b"x" * size
    assert list(r.stream()) == []
    assert pool.put == [conn] and not conn.closed


def test_head_response_has_no_body(wire, peer):
    peer.send(head(100))
    r, conn, pool = open_response(wire, peer, method="HEAD")
    assert r.length_remaining == 0
    assert r.read() == b"" and pool.put == [conn] and not conn.closed


def test_204_no_body(wire, peer):
    peer.send(head(status=b"204 No Content"))
    r, conn, pool = open_response(wire, peer, preload=True)
    assert r.data == b"" and pool.put == [conn]


def test_read_amt_and_stream_sizes(wire, peer):
    body = bytes(range(256)) * 40
    peer.send(head(len(body)) + body)
    r, conn, pool = open_response(wire, peer)
    assert r.read(100) == body[:100]
    assert r.tell() == 100 and r.length_remaining == len(body) - 100
    pieces = list(r.stream(1000))
    assert [len(p) for p in pieces[:-1]] == [1000] * (len(pieces) - 1)
    assert b"".join(pieces) == body[100:]
    assert pool.put == [conn]


def test_read1_and_readinto(wire, peer):
    body = b"0123456789" * 100
    peer.send(head(len(body)) + body)
    r, conn, pool = open_response(wire, peer)
    first = r.read1(10)
    assert first == body[:10]
    buf = bytearray(500)
    n = r.readinto(buf)
    assert n == 500 and bytes(buf) == body[10:510]
    rest = r.read1()
    while len(rest) < len(body) - 510:
        rest += r.read1()
    assert rest == body[510:]
    assert r.read1() == b"" and r.readinto(buf) == 0
    assert pool.put == [conn]


def test_textiowrapper_lines(wire, peer):
    body = b"alpha\nbeta\r\ngamma\n\nlast"
    peer.send(head(len(body), b"Content-Type: text/plain\r\n") + body)
    r, conn, pool = open_response(wire, peer, auto_close=False)
    lines = list(io.TextIOWrapper(r, encoding="utf-8"))
    assert lines == ["alpha\n", "beta\n", "gamma\n", "\n", "last"]
    assert pool.put == [conn] and not conn.closed


def test_buffered_reader(wire, peer):
    body = b"x" * 10000
    peer.send(head(len(body)) + body)
    r, conn, pool = open_response(wire, peer)
    assert io.BufferedReader(r, 512).read() == body


def test_iterating_lines(wire, peer):
    body = b"a\nbb\n\nccc"
    peer.send(head(len(body)) + body)
    r, _, _ = open_response(wire, peer)
    assert list(r) == [b"a\n", b"bb\n", b"\n", b"ccc"]


def test_json_and_info(wire, peer):
    body = b'{"ok": true}'
    peer.send(head(len(body), b"Content-Type: application/json\r\n") + body)
    r, _, _ = open_response(wire, peer)
    assert r.json() == {"ok": True}
    assert r.info() is r.headers and r.getheader("content-type") == "application/json"
    assert r.geturl() == r.url == "http://example.test/path"


def test_fileno_is_socket(wire, peer):
    peer.send(head(1) + b"x")
    r, _, _ = open_response(wire, peer)
    assert r.fileno() == peer.client.fileno()
    r.read()
    with pytest.raises(OSError):
        r.fileno()


# ------------------------------------------------------------ chunked / close


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;name=value;flag\r\nhello\r\n"
    b"1\r\n \r\n"
    b'6 ; ext="q"\r\nworld!\r\n'
    b"0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n"
)


def test_chunked_with_extensions_and_trailers(wire, peer):
    peer.send(CHUNKED)
    r, conn, pool = open_response(wire, peer)
    assert r.chunked and r.supports_chunked_reads() and r.length_remaining is None
    assert b"".join(r.stream(4)) == b"hello world!"
    assert pool.put == [conn] and not conn.closed


def test_read_chunked_pieces_bounded(wire, peer):
    peer.send(CHUNKED)
    r, conn, pool = open_response(wire, peer)
    pieces = list(r.read_chunked(3))
    assert all(0 < len(p) <= 3 for p in pieces) and b"".join(pieces) == b"hello world!"
    assert pool.put == [conn]


def test_chunked_read_all(wire, peer):
    peer.send(CHUNKED)
    r, conn, pool = open_response(wire, peer, preload=True)
    assert r.data == b"hello world!" and pool.put == [conn] and not conn.closed


def test_read_chunked_on_length_body(wire, peer):
    peer.send(head(2) + b"ok")
    r, _, _ = open_response(wire, peer)
    with pytest.raises(ResponseNotChunked):
        next(r.read_chunked())


def test_close_delimited(wire, peer):
    peer.send(b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
    peer.server.close()
    r, conn, pool = open_response(wire, peer)
    assert r.length_remaining is None
    assert r.read() == b"until the end"
    # framing CLOSE: the connection cannot carry another response
    assert pool.put == [conn] and conn.closed


def test_connection_close_header_closes(wire, peer):
    peer.send(head(2, b"Connection: close\r\n") + b"ok")
    r, conn, pool = open_response(wire, peer)
    assert r.read() == b"ok"
    assert pool.put == [conn] and conn.closed


# ------------------------------------------------------------ errors


@pytest.mark.parametrize("how", ["read", "stream", "read_amt", "preload"])
def test_peer_closes_mid_body(wire, peer, how):
    peer.send(head(100) + b"only ten b")
    peer.server.close()
    if how == "preload":
        with pytest.raises(ProtocolError) as ei:
            open_response(wire, peer, preload=True)
    else:
        r, conn, pool = open_response(wire, peer)
        with pytest.raises(ProtocolError) as ei:
            if how == "read":
                r.read()
            elif how == "stream":
                list(r.stream(4))
            else:
                while r.read(7):
                    pass
        assert conn.closed and pool.put == [conn]
    err = ei.value.args[1]
    assert isinstance(err, IncompleteRead)
    assert err.partial == 10 and err.expected == 90


def test_peer_closes_mid_chunk(wire, peer):
    peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc")
    peer.server.close()
    r, conn, pool = open_response(wire, peer)
    with pytest.raises(ProtocolError):
        list(r.stream())
    assert conn.closed and pool.put == [conn]


def test_bad_chunk_is_protocol_error(wire, peer):
    peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n")
    r, conn, pool = open_response(wire, peer)
    with pytest.raises(InvalidChunkedEncoding):
        r.read()
    assert conn.closed and pool.put == [conn]


def test_read_timeout(wire, peer):
    peer.client.settimeout(0.2)
    peer.send(head(10) + b"half")
    r, conn, pool = open_response(wire, peer)
    with pytest.raises(ReadTimeoutError):
        r.read()
    assert conn.closed and pool.put == [conn]


def test_connection_reset(wire, peer):
    peer.send(head(10) + b"half")
    peer.server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    r, conn, pool = open_response(wire, peer)
    peer.server.close()
    with pytest.raises(ProtocolError):
        r.read()
    assert conn.closed


def test_enforce_content_length_off_short_body(wire, peer):
    peer.send(head(10) + b"short")
    peer.server.close()
    reader = wire.Reader(peer.client, enforce_content_length=False)
    conn, pool = FakeConnection(peer.client), FakePool()
    r = next_response(reader, conn, pool, enforce_content_length=False)
    assert r.read() == b"short"
    assert conn.closed and pool.put == [conn]


# ------------------------------------------------------------ release / drain / close


def test_release_before_body_read_closes(wire, peer):
    peer.send(head(10) + b"0123456789")
    r, conn, pool = open_response(wire, peer)
    r.release_conn()
    assert pool.put == [conn] and conn.closed and r.connection is None
    assert r.read() == b""


def test_drain_small_rest_keeps_connection(wire, peer):
    peer.send(head(1000) + b"z" * 1000)
    r, conn, pool = open_response(wire, peer)
    r.read(10)
    r.drain_conn()
    assert pool.put == [conn] and not conn.closed


def test_drain_large_rest_closes(wire, peer):
    size = 3 << 20
    peer.send_in_thread([head(size), b"z" * size], close=False)
    r, conn, pool = open_response(wire, peer)
    r.drain_conn()
    assert pool.put == [conn] and conn.closed


def test_close_closes_connection(wire, peer):
    peer.send(head(10) + b"0123456789")
    r, conn, pool = open_response(wire, peer)
    r.close()
    assert conn.closed and r.closed
    # as in urllib3, close() keeps the connection for a later release_conn()
    r.release_conn()
    assert pool.put == [conn]


def test_shutdown(wire, peer):
    peer.send(head(10) + b"01234")
    r, conn, pool = open_response(wire, peer, sock_shutdown=peer.client.shutdown)
    r.shutdown()
    with pytest.raises(ProtocolError):
        r.read()


# ------------------------------------------------------------ requests compatibility


def test_original_response_for_cookies(wire, peer):
    requests = pytest.importorskip("requests")
    peer.send(head(2, b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n") + b"ok")
    r, _, _ = open_response(wire, peer)
    orig = r._original_response
    assert orig.msg.get_all("Set-Cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert orig.msg.get_all("X-None", []) == []
    assert (orig.status, orig.reason, orig.version) == (200, "OK", 11)
    assert r.msg is r.headers
    jar = http.cookiejar.CookieJar()
    req = requests.Request("GET", "http://example.test/path").prepare()
    requests.cookies.extract_cookies_to_jar(jar, req, r)
    assert sorted(c.name for c in jar) == ["a", "b"]
    assert not orig.isclosed()
    r.read()
    assert orig.isclosed()


# ------------------------------------------------------------ decoding on the wire


def test_gzip_body_streamed(wire, peer):
    c = zlib.compressobj(wbits=31)
    body = c.compress(b"compressed " * 1000) + c.flush()
    peer.send(head(len(body), b"Content-Encoding: gzip\r\n") + body)
    r, conn, pool = open_response(wire, peer)
    pieces = list(r.stream(1000))
    assert b"".join(pieces) == b"compressed " * 1000 and max(map(len, pieces)) <= 1000
    assert r.tell() == len(body)
    assert pool.put == [conn] and not conn.closed


def test_gzip_chunked_decode_false(wire, peer):
    c = zlib.compressobj(wbits=31)
    body = c.compress(b"raw please") + c.flush()
    peer.send(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % len(body)
        + body
        + b"\r\n0\r\n\r\n"
    )
    r, _, _ = open_response(wire, peer, decode=False)
    assert r.read() == body


def test_truncated_gzip_on_wire(wire, peer):
    c = zlib.compressobj(wbits=31)
    body = (c.compress(b"x" * 5000) + c.flush())[:-5]
    peer.send(head(len(body), b"Content-Encoding: gzip\r\n") + body)
    r, _, _ = open_response(wire, peer)
    with pytest.raises(DecodeError):
        r.read()


# ------------------------------------------------------------ memory


def test_large_body_streams_in_flat_memory(wire, peer):
    size = 100 << 20
    piece = b"m" * (1 << 20)
    peer.send_in_thread([head(size)] + [piece] * (size >> 20), close=False)
    r, conn, pool = open_response(wire, peer)
    gc.collect()
    total = 0
    tracemalloc.start()
    try:
        for data in r.stream(1 << 16):
            total += len(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size
    assert peak < 2 << 20, peak
    assert pool.put == [conn] and not conn.closed


def test_gzip_bomb_over_socket_bounded(wire, peer):
    # 256 MiB of zeros as about 1 MiB of gzip, chunked, streamed in 64 KiB pieces.
    zeros = bytes(1 << 20)
    c = zlib.compressobj(1, wbits=31)
    comp = b"".join([c.compress(zeros) for _ in range(256)] + [c.flush()])
    chunked = b"%x\r\n" % len(comp) + comp + b"\r\n0\r\n\r\n"
    peer.send_in_thread(
        [b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", chunked], close=False
    )
    r, conn, pool = open_response(wire, peer)
    del comp, chunked
    gc.collect()
    total = 0
    tracemalloc.start()
    try:
        # decode_content=True, as requests asks: a chunked body's stream()
        # decodes only when asked, as in urllib3.
        for data in r.stream(1 << 16, decode_content=True):
            assert len(data) <= 1 << 16
            total += len(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == 256 << 20
    assert peak < 4 << 20, peak


@pytest.mark.parametrize("close_header, closed", [(b"", False), (b"Connection: close\r\n", True)])
def test_without_pool(wire, peer, close_header, closed):
    # A connection used directly (no pool): the response closes it only when
    # it cannot carry another response.
    peer.send(head(3, close_header) + b"abc")
    conn = FakeConnection(peer.client)
    r = next_response(wire.Reader(peer.client), conn, preload=True)
    assert r.data == b"abc" and r.closed
    assert conn.closed is closed
    r.release_conn()  # no pool: nothing to do
    assert conn.closed is closed


def test_error_without_pool_closes(wire, peer):
    peer.send(head(10) + b"abc")
    peer.server.close()
    conn = FakeConnection(peer.client)
    r = next_response(wire.Reader(peer.client), conn)
    with pytest.raises(ProtocolError):
        r.read()
    assert conn.closed and r.closed
