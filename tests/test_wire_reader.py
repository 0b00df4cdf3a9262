"""The Reader over real sockets: response heads, body framing (RFC 9112
section 6), keep-alive bookkeeping, errors and the total deadline, for both
wire implementations, over socket.socketpair() and a 127.0.0.1 TCP server
thread."""

import contextlib
import socket
import struct
import threading
import time

import pytest

from pool import exceptions

TIMEOUT = 5.0


@contextlib.contextmanager
def peer(transport, script):
    """Run ``script(server_socket)`` in a thread; yield the client socket."""
    errors = []
    ready = threading.Event()
    holder = {}

    if transport == "pair":
        client, server = socket.socketpair()
        holder["server"] = server
        ready.set()
        listener = None
    else:
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(TIMEOUT)
        client = None

    def run():
        try:
            if listener is not None:
                conn, _ = listener.accept()
                holder["server"] = conn
                ready.set()
            conn = holder["server"]
            conn.settimeout(TIMEOUT)
            script(conn)
        except OSError:
            pass  # the client went away first: not this test's concern
        except BaseException as e:  # an assertion inside the script
            errors.append(e)
        finally:
            if "server" in holder:
                holder["server"].close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        if listener is not None:
            client = socket.create_connection(listener.getsockname(), timeout=TIMEOUT)
        assert ready.wait(TIMEOUT)
        client.settimeout(TIMEOUT)
        yield client
    finally:
        if client is not None:
            client.close()
        thread.join(TIMEOUT)
        if listener is not None:
            listener.close()
    assert not thread.is_alive(), "server thread did not finish"
    if errors:
        raise errors[0]


def sends(*parts, close=True, pause=0.0):
    """A script that sends each part (waiting ``pause`` between them)."""

    def script(conn):
        for part in parts:
            conn.sendall(part)
            if pause:
                time.sleep(pause)
        if not close:
            _wait_for_close(conn)

    return script


def _wait_for_close(conn):
    """Keep the connection open until the client closes it (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            if not conn.recv(65536):
                return
        except socket.timeout:
            return


@pytest.fixture(params=["pair", "tcp"])
def transport(request):
    return request.param


def head(status=b"200 OK", *fields, version=b"HTTP/1.1"):
    return version + b" " + status + b"\r\n" + b"".join(f + b"\r\n" for f in fields) + b"\r\n"


def chunked(*chunks, trailers=b""):
    return b"".join(b"%x;ext=1\r\n" % len(c) + c + b"\r\n" for c in chunks) + b"0\r\n" + trailers + b"\r\n"


# ------------------------------------------------------------------ framing


def test_content_length_body(wire, transport):
    body = b"hello world"
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 11", b"X-A: 1") + body, close=False)) as sock:
        r = wire.Reader(sock)
        assert r.read_head() == (11, 200, "OK", [("Content-Length", "11"), ("X-A", "1")])
        assert (r.framing, r.will_close, r.length_remaining, r.bytes_read) == (wire.FRAMING_LENGTH, False, 11, 0)
        assert not r.complete and not r.reusable
        assert r.read() == body
        assert (r.complete, r.reusable, r.bytes_read, r.length_remaining) == (True, True, 11, 0)
        assert r.read() == b"" and r.read(5) == b""


def test_chunked_body(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked")
    data += chunked(b"hello ", b"chunked ", b"world", trailers=b"T: 1\r\n")
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        assert r.read_head()[1] == 200
        assert (r.framing, r.length_remaining) == (wire.FRAMING_CHUNKED, None)
        assert r.read() == b"hello chunked world"
        assert r.complete and r.reusable and r.bytes_read == 19


def test_close_delimited_body(wire, transport):
    with peer(transport, sends(head(b"200 OK", version=b"HTTP/1.0"), b"until ", b"close", pause=0.01)) as sock:
        r = wire.Reader(sock)
        assert r.read_head()[:2] == (10, 200)
        assert (r.framing, r.will_close, r.length_remaining) == (wire.FRAMING_CLOSE, True, None)
        assert r.read() == b"until close"
        assert r.complete and not r.reusable


def test_no_body_statuses(wire, transport):
    data = head(b"204 No Content", b"Content-Length: 7")
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        assert r.read_head()[1] == 204
        assert (r.framing, r.length_remaining, r.complete, r.reusable) == (wire.FRAMING_NONE, 0, True, True)
        assert r.read() == b""


def test_no_body_read_styles(wire, transport):
    with peer(transport, sends(head(b"304 Not Modified"), close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.read1() == b"" and r.read(10) == b""
        assert r.readinto(bytearray(10)) == 0
        assert r.drain(10) is True and r.reusable


def test_close_delimited_small_reads(wire, transport):
    data = head(b"200 OK") + b"abcdefghij" * 10
    with peer(transport, sends(data)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.framing == wire.FRAMING_CLOSE
        got = r.read(3) + r.read1(4)
        buf = bytearray(5)
        assert r.readinto(buf) == 5
        got += bytes(buf)
        for _ in range(100):
            part = r.read(7)
            if not part:
                break
            got += part
        assert got == b"abcdefghij" * 10
        assert r.complete and not r.reusable and r.bytes_read == 100


def test_drain_close_delimited(wire, transport):
    with peer(transport, sends(head(b"200 OK", version=b"HTTP/1.0") + b"x" * 3000)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.drain(1 << 20) is True
        assert r.complete and not r.reusable


def test_drain_chunked_truncated(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Transfer-Encoding: chunked") + b"3\r\nabc\r\n")) as sock:
        r = wire.Reader(sock)
        r.read_head()
        with pytest.raises(exceptions.ProtocolError) as info:
            r.drain(3)
        assert isinstance(info.value.args[1], exceptions.IncompleteRead)
        assert not r.reusable


def test_head_request(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 100"), close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head(request_was_head=True)
        assert (r.framing, r.complete, r.reusable) == (wire.FRAMING_NONE, True, True)
        assert r.read() == b""


def test_connection_close_not_reusable(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Connection: close", b"Content-Length: 2") + b"ok")) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.will_close
        assert r.read() == b"ok"
        assert r.complete and not r.reusable


# ------------------------------------------------------------------ read styles


def test_read_amt_content_length(wire, transport):
    body = bytes(range(256)) * 4
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 1024") + body, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        parts = []
        for _ in range(20):
            part = r.read(100)
            if not part:
                break
            parts.append(part)
            assert r.bytes_read == sum(map(len, parts))
            assert r.length_remaining == 1024 - r.bytes_read
        assert [len(p) for p in parts] == [100] * 10 + [24]
        assert b"".join(parts) == body and r.reusable


def test_read_amt_chunked_across_chunks(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked") + chunked(b"abc", b"defgh", b"i", b"jklmnopqrstuvwxyz")
    with peer(transport, sends(data, pause=0.005, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        parts = [r.read(7) for _ in range(5)]
        assert parts == [b"abcdefg", b"hijklmn", b"opqrstu", b"vwxyz", b""]
        assert r.complete and r.reusable


def test_read_more_than_remaining(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 5") + b"hello", close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.read(1000) == b"hello"
        assert r.complete and r.reusable


def test_read1_returns_what_arrived(wire, transport):
    go = threading.Event()

    def script(conn):
        conn.sendall(head(b"200 OK", b"Content-Length: 20") + b"0123456789")
        assert go.wait(TIMEOUT)
        conn.sendall(b"abcdefghij")
        _wait_for_close(conn)

    with peer(transport, script) as sock:
        r = wire.Reader(sock)
        r.read_head()
        got = b""
        for _ in range(20):  # the first half, without waiting for the second
            part = r.read1()
            assert part
            got += part
            if len(got) == 10:
                break
        assert got == b"0123456789"
        go.set()
        assert r.read1(3) == b"abc"
        rest = b""
        for _ in range(20):
            part = r.read1(100)
            if not part:
                break
            rest += part
        assert rest == b"defghij" and r.complete and r.reusable
        assert r.read1() == b"" and r.read1(5) == b""
        assert r.readinto(bytearray(0)) == 0


def test_read1_chunked_never_returns_empty_early(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked") + chunked(b"ab", b"cd")
    # one byte at a time: many recvs bring framing bytes only
    with peer(transport, sends(*[data[i : i + 1] for i in range(len(data))], pause=0.001, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        got = b""
        for _ in range(10):
            part = r.read1()
            if not part:
                break
            got += part
        assert got == b"abcd" and r.complete


def test_readinto(wire, transport):
    body = b"x" * 5000 + b"y" * 5000
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 10000") + body, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        buf = bytearray(4096)
        counts, out = [], b""
        for _ in range(10):
            n = r.readinto(buf)
            counts.append(n)
            out += buf[:n]
            if not n:
                break
        assert counts == [4096, 4096, 1808, 0]
        assert out == body and r.reusable
        assert r.readinto(memoryview(bytearray(10))) == 0


def test_readinto_chunked_memoryview(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked") + chunked(b"a" * 3000, b"b" * 3000)
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        buf = bytearray(10000)
        n = r.readinto(memoryview(buf)[:8000])
        assert n == 6000 and buf[:6000] == b"a" * 3000 + b"b" * 3000
        assert r.complete and r.reusable


def test_drain(wire, transport):
    data = head(b"200 OK", b"Content-Length: 5000") + b"z" * 5000
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.drain(10000) is True
        assert r.complete and r.reusable


def test_drain_budget_too_small(wire, transport):
    data = head(b"200 OK", b"Content-Length: 50000") + b"z" * 50000
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.drain(100) is False
        assert not r.complete and not r.reusable


def test_drain_chunked(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked") + chunked(b"a" * 100, b"b" * 100, trailers=b"X: y\r\n")
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.drain(200) is True  # exactly the body: the framing after it is not body
        assert r.complete and r.reusable


def test_large_bodies(wire, transport):
    payload = bytes(range(256)) * 12288  # 3 MiB
    pieces = [payload[i : i + 100000] for i in range(0, len(payload), 100000)]
    with peer(transport, _length_then_chunked(payload, pieces)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.read() == payload
        assert r.complete and r.bytes_read == len(payload)
        r.read_head()
        assert r.framing == wire.FRAMING_CHUNKED
        assert r.read() == payload
        assert r.complete and r.reusable


def test_body_larger_than_first_allocation(wire, transport):
    """read() of a Content-Length body above 8 MiB grows its buffer; read(amt)
    of a chunked body above the receive buffer grows too."""
    payload = bytes(range(256)) * (37 * 1024)  # 9.25 MiB
    pieces = [payload[i : i + 300000] for i in range(0, 1500000, 300000)]
    with peer(transport, _length_then_chunked(payload, pieces)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        # Not `reusable`: the next response may already be buffered behind it.
        assert r.read() == payload and r.complete
        r.read_head()
        assert r.read(1000000) == payload[:1000000]
        assert r.read(1000000) == payload[1000000:1500000]
        assert r.read(10) == b"" and r.complete


def test_small_buffer_two_heads_in_one_send(wire, transport):
    """The receive buffer moves unread bytes to its front when it fills."""
    one = head(b"200 OK", b"Content-Length: 3", b"X-Pad: " + b"p" * 40) + b"one"
    two = head(b"201 Created", b"Content-Length: 3", b"X-Pad: " + b"q" * 40) + b"two"
    sent = threading.Event()
    with peer(transport, _send_then_wait(one + two, sent)) as sock:
        assert sent.wait(TIMEOUT)
        time.sleep(0.02)
        r = wire.Reader(sock, bufsize=80)
        assert r.read_head()[1] == 200
        assert r.read() == b"one"
        assert not r.reusable  # the second response was already buffered
        assert r.read_head()[1:3] == (201, "Created")
        assert r.read() == b"two"


def test_huge_content_length_is_not_preallocated(wire, transport):
    """A lying Content-Length neither allocates its size nor hangs."""
    data = head(b"200 OK", b"Content-Length: %d" % (1 << 50)) + b"only this"
    with peer(transport, sends(data)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        with pytest.raises(exceptions.ProtocolError) as info:
            r.read()
        assert info.value.args[1].partial == 9
        assert info.value.args[1].expected == (1 << 50) - 9


def test_small_receive_buffer(wire, transport):
    fields = [b"X-%d: %s" % (i, b"v" * 50) for i in range(20)]
    data = head(b"200 OK", b"Content-Length: 300", *fields) + b"b" * 300
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock, bufsize=16)
        assert len(r.read_head()[3]) == 21
        assert r.read() == b"b" * 300 and r.reusable


def test_slow_peer(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked", b"X: y") + chunked(b"drip", b"drop", trailers=b"T: 1\r\n")
    assert len(data) < 150  # bounds the test to well under a second
    with peer(transport, sends(*[data[i : i + 1] for i in range(len(data))], pause=0.001, close=False)) as sock:
        r = wire.Reader(sock)
        assert r.read_head() == (11, 200, "OK", [("Transfer-Encoding", "chunked"), ("X", "y")])
        assert r.read() == b"dripdrop"
        assert r.complete and r.reusable


def test_slow_peer_content_length(wire, transport):
    data = head(b"200 OK", b"Content-Length: 10") + b"0123456789"
    with peer(transport, sends(*[data[i : i + 1] for i in range(len(data))], pause=0.001, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.read(4) == b"0123"
        assert r.read() == b"456789" and r.reusable


# ------------------------------------------------------------------ peer closes


def test_remote_disconnected_before_any_byte(wire, transport):
    with peer(transport, sends()) as sock:
        r = wire.Reader(sock)
        with pytest.raises(exceptions.RemoteDisconnected) as info:
            r.read_head()
        assert isinstance(info.value, ConnectionResetError)
        assert isinstance(info.value, exceptions.ProtocolError)
        assert not r.response_started and not r.reusable


def test_close_mid_head(wire, transport):
    with peer(transport, sends(b"HTTP/1.1 200 OK\r\nContent-Le")) as sock:
        r = wire.Reader(sock)
        with pytest.raises(exceptions.ProtocolError) as info:
            r.read_head()
        assert not isinstance(info.value, exceptions.RemoteDisconnected)
        assert "truncated" in str(info.value)
        assert r.response_started and not r.reusable


def test_close_mid_content_length_body(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 10") + b"hello")) as sock:
        r = wire.Reader(sock)
        r.read_head()
        with pytest.raises(exceptions.ProtocolError) as info:
            r.read()
        err = info.value.args[1]
        assert isinstance(err, exceptions.IncompleteRead)
        assert (err.partial, err.expected) == (5, 5)
        assert str(info.value.args[0]) == "Connection broken: IncompleteRead(5 bytes read, 5 more expected)"
        assert not r.reusable


def test_close_mid_content_length_read_amt(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 10") + b"hello")) as sock:
        r = wire.Reader(sock)
        r.read_head()
        assert r.read(3) == b"hel"
        with pytest.raises(exceptions.ProtocolError) as info:
            r.read(7)
        assert (info.value.args[1].partial, info.value.args[1].expected) == (5, 5)


def test_close_mid_chunk(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Transfer-Encoding: chunked") + b"a\r\nhello")) as sock:
        r = wire.Reader(sock)
        r.read_head()
        with pytest.raises(exceptions.ProtocolError) as info:
            r.read()
        err = info.value.args[1]
        assert isinstance(err, exceptions.IncompleteRead)
        assert (err.partial, err.expected) == (5, 5)
        assert not r.reusable


def test_close_in_chunked_framing(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Transfer-Encoding: chunked") + b"5\r\nhello\r\n")) as sock:
        r = wire.Reader(sock)
        r.read_head()
        with pytest.raises(exceptions.ProtocolError) as info:
            r.read()
        err = info.value.args[1]
        assert (err.partial, err.expected) == (5, 1)


def test_short_body_not_enforced(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 10") + b"hello")) as sock:
        r = wire.Reader(sock, enforce_content_length=False)
        r.read_head()
        assert r.read() == b"hello"
        assert not r.complete and not r.reusable
        assert r.read() == b""


def test_malformed_head_fails_reader(wire, transport):
    with peer(transport, sends(b"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", close=False)) as sock:
        r = wire.Reader(sock)
        with pytest.raises(exceptions.InvalidResponseHeader):
            r.read_head()
        assert not r.reusable


def test_head_limit_does_not_wait_for_more(wire, transport):
    """A head larger than max_head_size fails as soon as the limit is passed,
    with the peer still sending and the connection open."""
    data = b"HTTP/1.1 200 OK\r\nX: " + b"a" * 3000

    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock, max_head_size=1024)
        with pytest.raises(exceptions.ResponseHeadTooLarge):
            r.read_head()


def test_chunked_error_from_reader(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked") + b"5\r\nhelloXX0\r\n\r\n"
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        r.read_head()
        with pytest.raises(exceptions.InvalidChunkedEncoding):
            r.read()
        assert not r.reusable


def test_framing_error_from_reader(wire, transport):
    data = head(b"200 OK", b"Content-Length: 5", b"Transfer-Encoding: chunked") + b"hello"
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        with pytest.raises(exceptions.InvalidFraming):
            r.read_head()
        assert not r.reusable


# ------------------------------------------------------------------ interim responses


def test_interim_responses_skipped(wire, transport):
    data = (
        head(b"100 Continue")
        + head(b"103 Early Hints", b"Link: </a.css>; rel=preload")
        + head(b"200 OK", b"Content-Length: 2")
        + b"ok"
    )
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        assert r.read_head() == (11, 200, "OK", [("Content-Length", "2")])
        assert r.read() == b"ok" and r.reusable


@pytest.mark.parametrize("count,ok", [(2, True), (3, False)])
def test_interim_limit(wire, transport, count, ok):
    data = head(b"100 Continue") * count + head(b"200 OK", b"Content-Length: 0")
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock, max_interim=2)
        if ok:
            assert r.read_head()[1] == 200
        else:
            with pytest.raises(exceptions.TooManyInterimResponses):
                r.read_head()


def test_default_interim_limit(wire, transport):
    data = head(b"102 Processing") * 33 + head(b"200 OK", b"Content-Length: 0")
    with peer(transport, sends(data, close=False)) as sock:
        with pytest.raises(exceptions.TooManyInterimResponses):
            wire.Reader(sock).read_head()
    with peer(transport, sends(data[len(head(b"102 Processing")) :], close=False)) as sock:
        assert wire.Reader(sock).read_head()[1] == 200


def test_switching_protocols_returned(wire, transport):
    data = head(b"101 Switching Protocols", b"Connection: Upgrade", b"Upgrade: websocket") + b"\x81\x05hello"
    with peer(transport, sends(data, close=False)) as sock:
        r = wire.Reader(sock)
        assert r.read_head()[1] == 101
        assert (r.framing, r.will_close, r.complete, r.reusable) == (wire.FRAMING_NONE, True, True, False)


# ------------------------------------------------------------------ keep-alive


def _serve_requests(responses):
    def script(conn):
        for response in responses:
            request = b""
            while not request.endswith(b"\r\n\r\n"):
                data = conn.recv(4096)
                if not data:
                    return
                request += data
            assert request.startswith(b"GET /")
            conn.sendall(response)
        _wait_for_close(conn)

    return script


def test_keep_alive_back_to_back(wire, transport):
    responses = [
        head(b"200 OK", b"Content-Length: 5") + b"first",
        head(b"200 OK", b"Transfer-Encoding: chunked") + chunked(b"sec", b"ond"),
        head(b"304 Not Modified", b"Content-Length: 99"),
        head(b"200 OK", b"Content-Length: 5") + b"last!",
    ]
    with peer(transport, _serve_requests(responses)) as sock:
        r = wire.Reader(sock)
        bodies = []
        for i in range(len(responses)):
            sock.sendall(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            r.read_head()
            assert r.bytes_read == 0
            bodies.append(r.read())
            assert r.complete and r.reusable, i
        assert bodies == [b"first", b"second", b"", b"last!"]


def _length_then_chunked(payload, pieces):
    """A peer script: ``payload`` with a Content-Length, then ``pieces`` as
    one chunked body."""
    data = (
        head(b"200 OK", b"Content-Length: %d" % len(payload))
        + payload
        + head(b"200 OK", b"Transfer-Encoding: chunked")
        + chunked(*pieces)
    )

    def script(conn):
        conn.sendall(data)
        _wait_for_close(conn)

    return script


def _send_then_wait(data, sent):
    def script(conn):
        conn.sendall(data)
        sent.set()
        _wait_for_close(conn)

    return script


def test_leftover_bytes_not_reusable(wire, transport):
    data = head(b"200 OK", b"Content-Length: 5") + b"hello" + b"HTTP/1.1 200 OK\r\n"
    sent = threading.Event()
    with peer(transport, _send_then_wait(data, sent)) as sock:
        # all of it is in the socket before the first recv
        assert sent.wait(TIMEOUT)
        time.sleep(0.02)
        r = wire.Reader(sock)
        r.read_head()
        assert r.read() == b"hello"
        assert r.complete and not r.will_close
        assert not r.reusable


def test_leftover_after_chunked_not_reusable(wire, transport):
    data = head(b"200 OK", b"Transfer-Encoding: chunked") + chunked(b"abc") + b"junk"
    sent = threading.Event()
    with peer(transport, _send_then_wait(data, sent)) as sock:
        assert sent.wait(TIMEOUT)
        time.sleep(0.02)
        r = wire.Reader(sock)
        r.read_head()
        assert r.read() == b"abc"
        assert r.complete and not r.reusable


# ------------------------------------------------------------------ timeouts


def _silent_peer(conn):
    _wait_for_close(conn)


def test_deadline_fires(wire, transport):
    with peer(transport, _silent_peer) as sock:
        r = wire.Reader(sock)
        r.deadline = time.monotonic() + 0.2
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            r.read_head()
        assert 0.1 < time.monotonic() - t0 < 3.0
        assert not r.reusable


def test_deadline_already_passed(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 0"), close=False)) as sock:
        r = wire.Reader(sock)
        r.deadline = time.monotonic() - 1
        with pytest.raises(TimeoutError, match="total deadline exceeded"):
            r.read_head()


def test_read_timeout_under_deadline(wire, transport):
    with peer(transport, _silent_peer) as sock:
        r = wire.Reader(sock)
        r.deadline = time.monotonic() + 30
        r.read_timeout = 0.15
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            r.read_head()
        assert time.monotonic() - t0 < 3.0
        assert sock.gettimeout() == pytest.approx(0.15)


def test_deadline_during_body(wire, transport):
    def script(conn):
        conn.sendall(head(b"200 OK", b"Content-Length: 100") + b"partial")
        _wait_for_close(conn)

    with peer(transport, script) as sock:
        r = wire.Reader(sock)
        r.read_head()
        r.deadline = time.monotonic() + 0.2
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            r.read()
        assert time.monotonic() - t0 < 3.0
        assert not r.reusable


def test_timeout_mid_body_leaves_no_view_exported(wire, transport):
    """A body read that times out leaves no unreleased memoryview in its
    traceback: the twin's read() receives into a BytesIO.getbuffer() view,
    and CPython 3.12.1's garbage collector crashes clearing such a BytesIO
    while a slice of that view is still alive in the same cycle."""

    def script(conn):
        conn.sendall(head(b"200 OK", b"Content-Length: 1000000") + b"partial")
        _wait_for_close(conn)

    with peer(transport, script) as sock:
        r = wire.Reader(sock)
        r.read_head()
        r.deadline = time.monotonic() + 0.2
        with pytest.raises(TimeoutError) as info:
            r.read()
    live = []
    tb = info.value.__traceback__
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            if isinstance(value, memoryview):
                try:
                    value.nbytes
                except ValueError:  # released
                    continue
                live.append(f"{tb.tb_frame.f_code.co_name}: {name}")
        tb = tb.tb_next
    assert not live


def test_deadline_sets_socket_timeout(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 2") + b"ok", close=False)) as sock:
        r = wire.Reader(sock)
        r.deadline = time.monotonic() + 20
        r.read_head()
        assert r.read() == b"ok"
        assert 0 < sock.gettimeout() <= 20


def test_socket_timeout_propagates(wire, transport):
    with peer(transport, _silent_peer) as sock:
        sock.settimeout(0.15)
        r = wire.Reader(sock)
        with pytest.raises(OSError) as info:
            r.read_head()
        assert isinstance(info.value, TimeoutError)
        assert not isinstance(info.value, exceptions.HTTPError)


def test_no_deadline_leaves_timeout_alone(wire, transport):
    with peer(transport, sends(head(b"200 OK", b"Content-Length: 2") + b"ok", close=False)) as sock:
        sock.settimeout(3.5)
        r = wire.Reader(sock)
        r.read_head()
        assert r.read() == b"ok"
        assert sock.gettimeout() == 3.5


def test_reset_propagates_as_oserror(wire):
    """A reset from the peer surfaces as the socket's own OSError."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(TIMEOUT)
    client = socket.create_connection(listener.getsockname(), timeout=TIMEOUT)
    try:
        conn, _ = listener.accept()
        # SO_LINGER with a zero timeout makes close() send RST, not FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
        time.sleep(0.05)
        r = wire.Reader(client)
        r.read_head()
        conn.close()
        time.sleep(0.05)
        with pytest.raises(ConnectionResetError) as info:
            r.read()
        assert not isinstance(info.value, exceptions.HTTPError)
        assert not r.reusable
    finally:
        client.close()
        listener.close()
