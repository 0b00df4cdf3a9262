"""Hostile servers, faults: connections closed or reset (RST) mid-head,
mid-body and mid-chunk; servers that drip bytes (the read timeout and the
total deadline, ``Timeout(total=...)``, must fire within a tolerance); servers
that accept and never answer; servers that close idle keep-alive connections,
or close after every response without saying so; and a response released
after a partial read, whose connection must never be reused.

The cases run over plain HTTP and over TLS (``transport``), where CLOSE sends
close_notify first; see test_hostile_tls.py for a close without it.  The
handshake cases, refused connections, eviction across hosts and the retry
count of a silent server are plain HTTP only.
"""

from __future__ import annotations

import os
import socket
import time
import warnings

import pytest
from hostile import (  # noqa: F401
    CLOSE,
    HANG,
    RESET,
    Discard,
    Drip,
    HostileServer,
    Pause,
    client_pool,
    impl,
    response,
    tls_reset_reads_as_eof,
    transport,
)

from pool.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from pool.exceptions import (
    HTTPError,
    IncompleteRead,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from pool.poolmanager import PoolManager
from pool.util.timeout import Timeout

OK_LEN10 = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
OK_TE = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
SECOND = response(b"second")
# Timing tolerance on this kind of machine: late is allowed, early is not.
LATE = 1.5


def _pool(srv: HostileServer, **kw) -> HTTPConnectionPool:
    # HTTPSConnectionPool when the server speaks TLS (``transport``).
    kw.setdefault("timeout", 3)
    kw.setdefault("retries", False)
    return client_pool(srv, maxsize=1, **kw)


# (id, first script, partial IncompleteRead expected (partial, expected) or None)
CUTS = [
    ("close-before-head", [CLOSE], None),
    ("close-after-100-continue", [b"HTTP/1.1 100 Continue\r\n\r\n", CLOSE], None),
    ("reset-before-head", [RESET], None),
    ("close-mid-status-line", [b"HTTP/1.1 2", CLOSE], None),
    ("reset-mid-status-line", [b"HTTP/1.1 2", RESET], None),
    ("close-mid-headers", [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n", CLOSE], None),
    ("reset-mid-headers", [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n", RESET], None),
    ("close-after-cr", [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r", CLOSE], None),
    ("close-mid-body", [OK_LEN10 + b"hello", CLOSE], (5, 5)),
    ("reset-mid-body", [OK_LEN10 + b"hello", Pause(0.05), RESET], None),
    ("close-mid-chunk", [OK_TE + b"a\r\nhello", CLOSE], (5, 5)),
    ("reset-mid-chunk", [OK_TE + b"a\r\nhello", Pause(0.05), RESET], None),
    ("close-mid-chunk-size", [OK_TE + b"5\r\nhello\r\n1", CLOSE], None),
    ("close-between-chunks", [OK_TE + b"5\r\nhello\r\n", CLOSE], (5, 1)),
    ("close-before-last-crlf", [OK_TE + b"5\r\nhello\r\n0\r\n", CLOSE], None),
    ("close-mid-trailers", [OK_TE + b"5\r\nhello\r\n0\r\nX-T: 1\r\n", CLOSE], None),
    # A close-delimited body ends at FIN; an RST is an error, never a
    # silently shorter body.
    ("reset-mid-close-delimited", [b"HTTP/1.1 200 OK\r\n\r\npartial", Pause(0.05), RESET], None),
    ("reset-mid-http10-body", [b"HTTP/1.0 200 OK\r\n\r\npartial", Pause(0.05), RESET], None),
]


# Over TLS, up to CPython 3.12, the ssl module reports a reset as an EOF
# without close_notify, and that ends a close-delimited body as a FIN does
# (for urllib3 too; see test_hostile_tls.py): these rows then give the body
# read so far.  From 3.13 it reports ConnectionResetError, as over TCP.
RESET_READS_AS_EOF_OVER_TLS = {"reset-mid-close-delimited", "reset-mid-http10-body"}


@pytest.mark.parametrize("case", CUTS, ids=[c[0] for c in CUTS])
def test_cut_off(impl, transport, case):
    _id, first, incomplete = case
    with HostileServer([first, [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        if transport and _id in RESET_READS_AS_EOF_OVER_TLS and tls_reset_reads_as_eof():
            assert pool.request("GET", "/first").data == b"partial"
            assert pool.request("GET", "/second").data == b"second"
            assert srv.accepted == 2
            return
        with pytest.raises(ProtocolError) as info:
            pool.request("GET", "/first")
        if incomplete is not None:
            ir = info.value.args[1]
            assert isinstance(ir, IncompleteRead)
            assert (ir.partial, ir.expected) == incomplete
        # The next request works, on a new connection.
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


@pytest.mark.parametrize("case", CUTS[:4] + CUTS[7:9], ids=[c[0] for c in CUTS[:4] + CUTS[7:9]])
def test_cut_off_with_default_retries(impl, transport, case):
    # A GET cut off every time: 1 + 3 attempts on new connections, then
    # MaxRetryError with a ProtocolError as reason.
    _id, first, _ = case
    with HostileServer(lambda req: first, tls=transport) as srv:
        pool = _pool(srv, retries=None)
        with pytest.raises(MaxRetryError) as info:
            pool.request("GET", "/")
        assert isinstance(info.value.reason, ProtocolError)
        assert srv.accepted == 4


def test_cut_off_streaming_body(impl, transport):
    with HostileServer([[OK_LEN10 + b"hello", Pause(0.1), CLOSE], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False)
        assert r.read(5) == b"hello"
        with pytest.raises(ProtocolError):
            r.read()
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


def test_enforce_content_length_false_returns_short_body(impl, transport):
    # Opting out of the check gives the truncated body (urllib3's behaviour
    # with enforce_content_length=False); the connection is still not reused.
    with HostileServer([[OK_LEN10 + b"hello", CLOSE], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False, enforce_content_length=False)
        assert r.read() == b"hello"
        r.release_conn()
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


# ------------------------------------------------------------------ timeouts


def test_accept_and_never_answer_read_timeout(impl, transport):
    with HostileServer([[HANG]], tls=transport) as srv:
        pool = _pool(srv, timeout=Timeout(connect=2, read=0.3))
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            pool.request("GET", "/")
        elapsed = time.monotonic() - start
        assert 0.3 <= elapsed < 0.3 + LATE


def test_accept_and_never_answer_default_retries(impl):
    # Read timeouts count against Retry.read: 1 + 3 attempts.
    with HostileServer(lambda req: [HANG]) as srv:
        pool = _pool(srv, timeout=Timeout(connect=2, read=0.2), retries=None)
        start = time.monotonic()
        with pytest.raises(MaxRetryError) as info:
            pool.request("GET", "/")
        elapsed = time.monotonic() - start
        assert isinstance(info.value.reason, ReadTimeoutError)
        assert srv.accepted == 4
        assert 0.8 <= elapsed < 0.8 + 2 * LATE


def test_never_answer_with_total_only(impl, transport):
    with HostileServer([[HANG]], tls=transport) as srv:
        pool = _pool(srv, timeout=Timeout(total=0.4))
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            pool.request("GET", "/")
        assert 0.4 <= time.monotonic() - start < 0.4 + LATE


def test_drip_head_read_timeout_does_not_fire(impl, transport):
    # One byte every 20 ms: every single read is fast, so a read timeout of
    # 0.5 s never fires and the response arrives whole.
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    with HostileServer([[Drip(head, 1, 0.005)]], tls=transport) as srv:
        pool = _pool(srv, timeout=Timeout(connect=2, read=0.5))
        assert pool.request("GET", "/").data == b"hello"


@pytest.mark.parametrize("where", ["head", "body", "chunked"])
def test_drip_total_deadline_fires(impl, transport, where):
    # The server drips a byte every 30 ms forever; each read is quick, but
    # Timeout(total=0.6) bounds the whole request.
    if where == "head":
        script = [Drip(b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 2000, 1, 0.03)]
    elif where == "body":
        script = [OK_LEN10.replace(b"10", b"2000"), Drip(b"a" * 2000, 1, 0.03)]
    else:
        script = [OK_TE, Drip(b"1\r\na\r\n" * 400, 1, 0.03)]
    with HostileServer([script, [SECOND]], tls=transport) as srv:
        pool = _pool(srv, timeout=Timeout(total=0.6, read=0.5))
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            pool.request("GET", "/first")
        elapsed = time.monotonic() - start
        assert 0.6 <= elapsed < 0.6 + LATE
        # and the connection is not reused
        assert pool.request("GET", "/second", timeout=3).data == b"second"
        assert srv.accepted == 2


# Timeout(total=...) over a streamed body: every read API, every framing.
# The server sends the head and a first piece at once, then drips a byte
# every 30 ms forever; each read is quick, so only the deadline can stop it.
STREAM_FRAMINGS = {
    "length": (OK_LEN10.replace(b"10", b"100000"), b"a" * 50, b"a"),
    "chunked": (OK_TE, b"32\r\n" + b"a" * 50 + b"\r\n", b"1\r\na\r\n"),
    "close-delimited": (b"HTTP/1.1 200 OK\r\n\r\n", b"a" * 50, b"a"),
}
STREAM_READS = {
    "read()": lambda r: r.read(),
    "read(amt)": lambda r: [r.read(7) for _ in range(10_000)],
    "read1()": lambda r: [r.read1() for _ in range(10_000)],
    "readinto": lambda r: [r.readinto(bytearray(7)) for _ in range(10_000)],
    "stream(amt)": lambda r: list(r.stream(7)),
    "stream(None)": lambda r: list(r.stream(None)),
    "read_chunked": lambda r: list(r.read_chunked()),
    "iter lines": lambda r: list(r),
}
STREAM_CASES = [
    (framing, api)
    for framing in STREAM_FRAMINGS
    for api in STREAM_READS
    if api != "read_chunked" or framing == "chunked"
]


@pytest.mark.parametrize("framing,api", STREAM_CASES, ids=[f"{f}-{a}" for f, a in STREAM_CASES])
def test_total_deadline_bounds_streamed_body(impl, framing, api):
    head, first, drip = STREAM_FRAMINGS[framing]
    total = 0.5
    with HostileServer([[head + first, Drip(drip * 200, len(drip), 0.03)], [SECOND]]) as srv:
        pool = _pool(srv, timeout=Timeout(total=total, read=2))
        start = time.monotonic()
        r = pool.request("GET", "/first", preload_content=False)
        with pytest.raises(ReadTimeoutError):
            STREAM_READS[api](r)
        elapsed = time.monotonic() - start
        assert total <= elapsed < total + LATE
        r.release_conn()
        # The connection is closed, not returned for reuse.
        assert pool.request("GET", "/second", timeout=3).data == b"second"
        assert srv.accepted == 2


def test_total_deadline_is_disarmed_when_the_connection_comes_back(impl):
    # A streamed body read within its total; the next request on the same
    # connection has no total and a server that takes longer than the first
    # request's total to answer: it must not inherit the old deadline.
    with HostileServer([[response(b"first")], [Pause(0.6), SECOND]]) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False, timeout=Timeout(total=0.3))
        assert r.read() == b"first"
        r.release_conn()
        time.sleep(0.35)
        assert pool.request("GET", "/second", timeout=Timeout(connect=2, read=3)).data == b"second"
        assert srv.accepted == 1


@pytest.mark.parametrize("total", [None, 5.0], ids=["no-total", "total"])
def test_idle_clock_restarts_when_the_connection_comes_back(impl, total):
    # idle_timeout counts from the connection's last return to the pool,
    # also when that exchange ran under a Timeout.total (whose deadline is
    # disarmed on the same return).
    with HostileServer([[response(b"a")], [response(b"b")], [response(b"c")]]) as srv:
        pool = HTTPConnectionPool(srv.host, srv.port, idle_timeout=0.5, timeout=3)
        assert pool.request("GET", "/a").data == b"a"
        time.sleep(0.35)
        assert pool.request("GET", "/b", timeout=Timeout(total=total) if total else 3).data == b"b"
        time.sleep(0.35)
        # 0.7 s after the first return, 0.35 s after the last: still fresh.
        assert pool.request("GET", "/c").data == b"c"
        assert srv.accepted == 1


def test_total_deadline_does_not_cut_a_body_that_arrives_in_time(impl):
    body = b"x" * 200_000
    with HostileServer([[response(body)]]) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/", preload_content=False, timeout=Timeout(total=2))
        assert b"".join(r.stream(4096)) == body


def test_pause_mid_body_read_timeout_when_streaming(impl, transport):
    with HostileServer([[OK_LEN10 + b"hello", Pause(2)], [SECOND]], tls=transport) as srv:
        pool = _pool(srv, timeout=Timeout(connect=2, read=0.3))
        r = pool.request("GET", "/first", preload_content=False)
        start = time.monotonic()
        assert r.read(5) == b"hello"
        with pytest.raises(ReadTimeoutError):
            r.read(5)
        assert 0.3 <= time.monotonic() - start < 0.3 + LATE
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


# ------------------------------------------------------- connection lifetime


def test_server_closes_idle_keepalive_connection(impl, transport):
    # The server closes the connection 50 ms after answering; the pool finds
    # it closed at checkout and opens a new one, even with retries=False.
    with HostileServer([[response(b"first"), Pause(0.05), CLOSE], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        assert pool.request("GET", "/first").data == b"first"
        time.sleep(0.3)
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


def test_server_closes_after_every_response_silently(impl, transport):
    # No "Connection: close", yet the server closes after each response.
    # The FIN may arrive before or after the next checkout; either way every
    # request gets its own answer, with retries=False (a request that met a
    # just-closed connection before any response byte is re-sent once).
    n = 20
    with HostileServer(lambda req: [response(req.target.encode()), CLOSE], tls=transport) as srv:
        pool = _pool(srv)
        for i in range(n):
            assert pool.request("GET", f"/r{i}").data == f"/r{i}".encode()
        assert srv.accepted == n
        assert [r.target for r in srv.requests] == [f"/r{i}" for i in range(n)]


def test_server_resets_idle_connection_post_not_resent(impl, transport):
    # A POST is not idempotent: when the reused connection turns out dead
    # *after* the request went out, it is not silently re-sent.  (The pool
    # finds a connection closed long enough ago at checkout; this case
    # closes it right after the check, by answering and then resetting
    # 100 ms later while the client waits for nothing.)
    with HostileServer([[response(b"first")], [Pause(0.05), RESET], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        assert pool.request("GET", "/first").data == b"first"
        with pytest.raises(ProtocolError):
            pool.request("POST", "/post", body=b"x")
        assert [r.target for r in srv.requests] == ["/first", "/post"]
        assert pool.request("GET", "/second").data == b"second"


def test_release_after_partial_read_never_reuses(impl, transport):
    with HostileServer([[response(b"0123456789")], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False)
        assert r.read(3) == b"012"
        r.release_conn()
        r2 = pool.request("GET", "/second")
        assert r2.data == b"second"
        assert srv.accepted == 2


def test_release_after_partial_chunked_read_never_reuses(impl, transport):
    body = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"
    with HostileServer([[OK_TE + body], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False)
        assert r.read(5) == b"hello"
        r.release_conn()
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


def test_drain_conn_then_reuse(impl, transport):
    # drain_conn() reads the rest: then the connection is clean and reused.
    with HostileServer([[response(b"0123456789")], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False)
        assert r.read(3) == b"012"
        r.drain_conn()
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 1


def test_response_gc_without_release_does_not_leak_into_next(impl, transport):
    with HostileServer([[response(b"0123456789")], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/first", preload_content=False)
        assert r.read(3) == b"012"
        del r
        # The connection is still checked out (never released): a second
        # request opens a new one, and gets its own response.
        assert pool.request("GET", "/second").data == b"second"


def test_connection_refused(impl):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    pool = HTTPConnectionPool("127.0.0.1", port, timeout=2, retries=False)
    with pytest.raises(NewConnectionError):
        pool.request("GET", "/")
    with PoolManager(retries=1, timeout=2) as pm:
        with pytest.raises(MaxRetryError) as info:
            pm.request("GET", f"http://127.0.0.1:{port}/")
        assert isinstance(info.value.reason, NewConnectionError)


# ------------------------------------------- timeout state across requests


def test_total_deadline_does_not_leak_into_next_request(impl, transport):
    # The first request's Timeout(total=0.5) sets the socket timeout from its
    # deadline; the next request, on the same connection, with its own read
    # timeout of 3 s, must not inherit it.
    with HostileServer([[response(b"first")], [Pause(0.8), response(b"second")]], tls=transport) as srv:
        pool = _pool(srv)
        assert pool.request("GET", "/1", timeout=Timeout(total=0.5)).data == b"first"
        assert pool.request("GET", "/2", timeout=Timeout(connect=3, read=3)).data == b"second"
        assert srv.accepted == 1


def test_short_read_timeout_after_a_long_total(impl, transport):
    with HostileServer([[response(b"first")], [HANG]], tls=transport) as srv:
        pool = _pool(srv)
        assert pool.request("GET", "/1", timeout=Timeout(total=30)).data == b"first"
        start = time.monotonic()
        with pytest.raises(ReadTimeoutError):
            pool.request("GET", "/2", timeout=Timeout(connect=3, read=0.3))
        assert 0.3 <= time.monotonic() - start < 0.3 + LATE


def test_early_response_while_sending_a_large_body(impl, transport):
    # The server answers 413 as soon as the head is in, then swallows the
    # body and closes: the client finishes sending and gets the 413.
    body = b"x" * (4 << 20)
    script = [response(b"too big", status="413 Payload Too Large", headers=["Connection: close"]), Discard(3), CLOSE]
    with HostileServer([script, [SECOND]], read_body=False, tls=transport) as srv:
        pool = _pool(srv)
        r = pool.request("POST", "/upload", body=body)
        assert (r.status, r.data) == (413, b"too big")
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


def test_early_response_then_reset_is_an_error_or_the_response(impl, transport):
    # The server answers and resets at once while the body is still on its
    # way: the RST may destroy the answer in the client's receive buffer, so
    # either the 413 or a ProtocolError is right; a hang or a wrong body is not.
    # Over TLS the write meets the reset as an EOF in violation of protocol:
    # SSLError, as urllib3 2.8 raises there.
    body = b"x" * (4 << 20)
    script = [response(b"too big", status="413 Payload Too Large", headers=["Connection: close"]), RESET]
    with HostileServer([script, [SECOND]], read_body=False, tls=transport) as srv:
        pool = _pool(srv)
        start = time.monotonic()
        try:
            r = pool.request("POST", "/upload", body=body)
        except (ProtocolError, SSLError) as e:
            assert transport or not isinstance(e, SSLError)
        else:
            assert (r.status, r.data) == (413, b"too big")
        assert time.monotonic() - start < 3
        assert pool.request("GET", "/second").data == b"second"


# ------------------------------------------------------------ TLS handshake


@pytest.mark.parametrize(
    "greeting,error",
    [
        ([b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", CLOSE], SSLError),
        ([b"\x16\x03\x01\x00\x05hello", CLOSE], SSLError),
        ([CLOSE], SSLError),
        # A reset that lands while connect() is still returning (a loaded
        # machine) is a failed connection rather than a broken one.
        ([RESET], (ProtocolError, NewConnectionError)),
        ([HANG], ReadTimeoutError),
    ],
    ids=["plaintext-answer", "garbage-record", "close", "reset", "silent"],
)
def test_hostile_tls_handshake(impl, greeting, error):
    # An https pool meets a server that answers the handshake with plain
    # HTTP, garbage, a close, a reset, or silence: a specific error, fast.
    with HostileServer([], greeting=greeting) as srv:
        pool = HTTPSConnectionPool(srv.host, srv.port, timeout=0.5, retries=False, cert_reqs="CERT_NONE")
        start = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error):
                pool.request("GET", "/")
        assert time.monotonic() - start < 0.5 + LATE
        assert srv.requests == []


def test_hostile_tls_handshake_default_retries(impl):
    with HostileServer([], greeting=[b"HTTP/1.1 400 Bad Request\r\n\r\n", CLOSE]) as srv:
        pool = HTTPSConnectionPool(srv.host, srv.port, timeout=1, cert_reqs="CERT_NONE")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(MaxRetryError) as info:
                pool.request("GET", "/")
        assert isinstance(info.value.reason, SSLError)
        assert srv.accepted == 4


# ------------------------------------------------------------- many hosts


def test_pool_eviction_closes_connections(impl):
    # More hosts than num_pools, round robin: evicted pools close their
    # connections, so neither side keeps sockets piling up.
    servers = [HostileServer(lambda req: [response(b"ok")], host=f"127.0.0.{i}") for i in (1, 2, 3, 4)]
    try:
        fds = len(os.listdir("/proc/self/fd"))
        with PoolManager(num_pools=2, timeout=3, retries=False) as pm:
            for round_ in range(5):
                for s in servers:
                    assert pm.request("GET", s.url(f"/{round_}")).data == b"ok"
            assert len(pm.pools) == 2
        for s in servers:
            assert s.wait_closed(2)
        # 4 servers x (listening socket) stay; no client socket is left.
        assert len(os.listdir("/proc/self/fd")) <= fds
    finally:
        for s in servers:
            s.close()


def test_caller_connection_close_is_honoured(impl, transport):
    # RFC 9112 section 9.6: after sending "Connection: close" the client must
    # not send another request on that connection, even if the server keeps
    # it open.
    with HostileServer([[response(b"first")], [SECOND]], tls=transport) as srv:
        pool = _pool(srv)
        assert pool.request("GET", "/first", headers={"Connection": "close"}).data == b"first"
        assert pool.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


# ------------------------------------------------ bodies that can't be re-sent


def _chunks():
    yield b"part1-"
    yield b"part2"


def test_seekable_body_is_resent_whole_after_a_reset(impl, transport):
    import io

    with HostileServer([[RESET], [response(b"ok")]], tls=transport) as srv:
        pool = _pool(srv, retries=None)
        r = pool.request("PUT", "/up", body=io.BytesIO(b"part1-part2"))
        assert r.data == b"ok"
        # sent chunked (a file object has no length up front), twice, whole
        assert [q.body for q in srv.requests] == [b"b\r\npart1-part2\r\n0\r\n\r\n"] * 2


def test_iterator_body_is_not_resent_empty_after_a_reset(impl, transport):
    # The first attempt consumed the iterator, then the connection was reset.
    # Retrying would send an empty body under the same method (silent data
    # loss): the error must reach the caller instead.
    with HostileServer([[RESET], [response(b"ok")]], tls=transport) as srv:
        pool = _pool(srv, retries=None)
        try:
            pool.request("PUT", "/up", body=_chunks())
        except HTTPError:
            pass
        assert [q.body for q in srv.requests] == [b"6\r\npart1-\r\n5\r\npart2\r\n0\r\n\r\n"]
