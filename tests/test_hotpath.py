"""The per-request fast path: Reader.read_response (both implementations)
and HTTPResponse._from_wire_head, held against read_head and
HTTPResponse.__init__ on real bytes over a socket pair."""

import gzip
import socket

import pytest

from pool._collections import HTTPHeaderDict
from pool.response import HTTPResponse

HEADS = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a\r\nSET-COOKIE: b\r\n\r\nhello",
    b"HTTP/1.1 204 No Content\r\nServer: s\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\nEmpty:\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX-" + b"N" * 80 + b": long name\r\nX-V: " + b"v" * 100 + b"\r\nContent-Length: 1\r\n\r\nz",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gzip.compress(b"zipped"))
    + gzip.compress(b"zipped"),
]


def _reader(wire, data):
    a, b = socket.socketpair()
    a.settimeout(2)
    b.sendall(data)
    b.shutdown(socket.SHUT_WR)
    return wire.Reader(a), (a, b)


def _state(r):
    return (r.framing, r.will_close, r.length_remaining, r.bytes_read, r.complete, r.reusable)


@pytest.mark.parametrize("data", HEADS)
@pytest.mark.parametrize("request_was_head", [False, True])
@pytest.mark.parametrize("preload", [False, True])
def test_read_response_matches_read_head(wire, data, request_was_head, preload):
    r1, s1 = _reader(wire, data)
    r2, s2 = _reader(wire, data)
    try:
        version, status, reason, headers = r1.read_head(request_was_head)
        v, st, rs, fields, body = r2.read_response(request_was_head, preload)
        assert (v, st, rs) == (version, status, reason)
        assert fields == HTTPHeaderDict._from_wire(headers)._container
        if body is None:
            assert _state(r2) == _state(r1)
            assert r2.read() == r1.read()
        else:
            assert preload
            assert body == r1.read()
        assert _state(r2) == _state(r1)
    finally:
        for s in s1 + s2:
            s.close()


def test_read_response_repeated_names_and_values(wire):
    # The compiled core reuses str objects for names and values it saw
    # before; what comes out must still be exactly what was sent.
    data = b"".join(
        b"HTTP/1.1 200 OK\r\nServer: s%d\r\nX-Same: same\r\nx-same: other%d\r\nContent-Length: 0\r\n\r\n" % (i, i)
        for i in range(3)
    )
    r, socks = _reader(wire, data)
    try:
        for i in range(3):
            fields = r.read_response(False, True)[3]
            assert fields == {
                "server": ["Server", f"s{i}"],
                "x-same": ["X-Same", "same", f"other{i}"],
                "content-length": ["Content-Length", "0"],
            }
    finally:
        for s in socks:
            s.close()


class _Conn:
    # A connection as the response sees it: it asks whether the Reader's
    # last response left it reusable, and may close it.
    def __init__(self, reader):
        self.closed = 0
        self.reader = reader

    def _reusable(self):
        return self.reader.reusable

    def close(self):
        self.closed += 1


@pytest.mark.parametrize("data", HEADS)
@pytest.mark.parametrize("preload", [False, True])
@pytest.mark.parametrize("decode", [False, True])
def test_from_wire_head_matches_init(wire, data, preload, decode):
    # No pool: neither path may release anything, and both must leave the
    # same attributes with the same values.
    r1, s1 = _reader(wire, data)
    r2, s2 = _reader(wire, data)
    c1, c2 = _Conn(r1), _Conn(r2)
    try:
        version, status, reason, headers = r1.read_head(False)
        slow = HTTPResponse(
            body=r1,
            headers=HTTPHeaderDict._from_wire(headers),
            status=status,
            version=version,
            version_string="HTTP/1.1" if version == 11 else "HTTP/1.0",
            reason=reason,
            preload_content=preload,
            decode_content=decode,
            connection=c1,
            request_method="GET",
            request_url="/x",
            enforce_content_length=True,
            retries=None,
            pool=None,
        )
        fast = HTTPResponse._from_wire_head(
            r2, r2.read_response(False, preload), c2, "GET", "/x", preload, decode, True, None
        )
        a, b = dict(vars(slow)), dict(vars(fast))
        assert set(a) == set(b)
        for name in ("_reader", "_connection", "_decoded_buffer", "_decoder", "headers", "msg"):
            assert (a.pop(name) is None) == (b.pop(name) is None), name
        # Timing stamps: only the Reader's path stamps the head, and a body
        # that came with it ends at that stamp instead of its own.
        assert a.pop("_t") is None and isinstance(b.pop("_t"), int)
        a.pop("_t_end")
        b.pop("_t_end")
        assert a == b
        assert slow.headers == fast.headers
        assert slow.data == fast.data
        assert c1.closed == c2.closed
    finally:
        for s in s1 + s2:
            s.close()
