"""HTTPResponse reads every kind of body one way: a body from the wire (a
Reader), an http.client response (as urllib3 wraps one) and a plain file,
each read every way a caller can (read, read(amt), read1, readinto, stream,
drain_conn), over a real socket pair.  The table below says what each kind
does with its connection; urllib3 2.8 does the same for the last two.
Errors raised while reading map to the same exceptions whatever the body.
"""

import http.client
import io
import socket
import threading

import pytest

from pool.exceptions import ProtocolError, ReadTimeoutError
from pool.response import HTTPResponse

# The connection and pool doubles of the socket-level response tests.
from test_response_socket import FakeConnection as Conn
from test_response_socket import FakePool as Pool

BODY = bytes(range(256)) * 40 + b"tail\nline\n"


@pytest.fixture
def pair():
    client, server = socket.socketpair()
    client.settimeout(5)
    server.settimeout(10)
    yield client, server
    client.close()
    server.close()


def _send(server, data, close):
    def run():
        try:
            server.sendall(data)
        except OSError:
            pass
        if close:
            server.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _head(length):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length


def _open(kind, wire, client, *, length):
    conn, pool = Conn(client), Pool()
    if kind == "wire":
        reader = wire.Reader(client)
        version, status, reason, headers = reader.read_head(False)
        r = HTTPResponse(
            body=reader,
            headers=headers,
            status=status,
            version=version,
            reason=reason,
            preload_content=False,
            connection=conn,
            pool=pool,
        )
    elif kind == "http.client":
        hr = http.client.HTTPResponse(client)
        hr.begin()
        r = HTTPResponse(
            body=hr,
            headers=dict(hr.msg.items()),
            status=hr.status,
            version=hr.version,
            reason=hr.reason,
            original_response=hr,
            preload_content=False,
            connection=conn,
            pool=pool,
        )
    else:
        r = HTTPResponse(
            body=client.makefile("rb"),
            headers={"content-length": str(length)},
            status=200,
            preload_content=False,
            connection=conn,
            pool=pool,
        )
    return r, conn, pool


def _read_all(r):
    return r.read()


def _read_amt(r):
    out = []
    for _ in range(len(BODY)):
        piece = r.read(777)
        if not piece:
            break
        out.append(piece)
    return b"".join(out)


def _read1(r):
    out = []
    for _ in range(len(BODY) + 2):
        piece = r.read1(500)
        if not piece:
            break
        assert len(piece) <= 500
        out.append(piece)
    return b"".join(out)


def _readinto(r):
    out = bytearray()
    buf = bytearray(1000)
    for _ in range(len(BODY) + 2):
        n = r.readinto(buf)
        if not n:
            break
        out += buf[:n]
    return bytes(out)


def _stream(r):
    pieces = list(r.stream(1024))
    assert all(0 < len(p) <= 1024 for p in pieces)
    return b"".join(pieces)


def _lines(r):
    return b"".join(iter(r))


WAYS = {
    "read": _read_all,
    "read_amt": _read_amt,
    "read1": _read1,
    "readinto": _readinto,
    "stream": _stream,
    "lines": _lines,
}

# kind: (connection given back to the pool, connection closed)
RELEASE = {
    # The Reader knows the framed end: the connection goes back, reusable.
    "wire": (True, False),
    # urllib3's rule: back once the http.client response closed itself.
    "http.client": (True, False),
    # A plain file says nothing about the connection: kept.
    "file": (False, False),
}


@pytest.mark.parametrize("way", sorted(WAYS))
@pytest.mark.parametrize("kind", sorted(RELEASE))
def test_every_body_every_way(wire, pair, kind, way):
    client, server = pair
    head = b"" if kind == "file" else _head(len(BODY))
    # A plain file's read(amt) waits for amt bytes or the end: it gets the end.
    t = _send(server, head + BODY, close=kind == "file")
    r, conn, pool = _open(kind, wire, client, length=len(BODY))
    assert r.length_remaining == len(BODY)
    assert WAYS[way](r) == BODY
    t.join(10)
    assert r.tell() == len(BODY)
    assert r.length_remaining == 0
    released, closed = RELEASE[kind]
    assert (pool.put == [conn]) is released
    assert conn.closed is closed
    # Ended: more reads give nothing, and release nothing twice.
    assert r.read(10) == b"" and r.read1(10) == b""
    assert len(pool.put) == int(released)


@pytest.mark.parametrize("kind", sorted(RELEASE))
def test_drain_conn_every_body(wire, pair, kind):
    client, server = pair
    head = b"" if kind == "file" else _head(len(BODY))
    t = _send(server, head + BODY, close=kind == "file")
    r, conn, pool = _open(kind, wire, client, length=len(BODY))
    assert r.read(100) == BODY[:100]
    r.drain_conn()
    t.join(10)
    released, closed = RELEASE[kind]
    assert (pool.put == [conn]) is released
    assert conn.closed is closed


# kind: connections given back (closed first) after a read error
ON_ERROR = {"wire": 1, "http.client": 1, "file": 0}


@pytest.mark.parametrize("kind", sorted(ON_ERROR))
def test_truncated_body_is_protocol_error_every_body(wire, pair, kind):
    # The peer closes 100 bytes short of the Content-Length: one mapping
    # for every body, and the connection is closed, never reused.
    client, server = pair
    head = b"" if kind == "file" else _head(len(BODY))
    t = _send(server, head + BODY[:-100], close=True)
    r, conn, pool = _open(kind, wire, client, length=len(BODY))
    with pytest.raises(ProtocolError, match=r"Connection broken: IncompleteRead\(10150 bytes read, 100 more"):
        for _ in range(len(BODY)):
            if not r.read(1000):
                break
    t.join(10)
    assert conn.closed
    assert pool.put == [conn] * ON_ERROR[kind]
    assert r.isclosed()


@pytest.mark.parametrize("kind", sorted(ON_ERROR))
def test_timeout_is_read_timeout_error_every_body(wire, pair, kind):
    client, server = pair
    head = b"" if kind == "file" else _head(len(BODY))
    server.sendall(head + BODY[:10])
    r, conn, pool = _open(kind, wire, client, length=len(BODY))
    client.settimeout(0.2)
    with pytest.raises(ReadTimeoutError, match="Read timed out"):
        r.read(1000)
    assert conn.closed
    assert pool.put == [conn] * ON_ERROR[kind]


def test_fp_assigned_later_is_read():
    # urllib3 code may give a response its body after building it.
    r = HTTPResponse(body="", headers={"content-length": "5"}, preload_content=False)
    assert r.read() is None
    r._fp = io.BytesIO(b"hello")
    assert r.read(2) == b"he" and r.read() == b"llo"
    r._fp = None
    assert r.read() is None
