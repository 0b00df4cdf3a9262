"""HTTPConnectionPool against a real server on 127.0.0.1: reuse and counters,
full/empty/blocking pools, stale keep-alive connections, retries, timeouts."""

import gc
import http.client
import logging
import socket
import threading
import time

import pytest
import urllib3
from equality import EqualByOrigin, Unhashable
from httpserver import CLOSE, Server

import pool
from pool.connectionpool import HTTPConnectionPool, connection_from_url
from pool.exceptions import (
    ClosedPoolError,
    EmptyPoolError,
    HostChangedError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    RemoteDisconnected,
    ResponseError,
)
from pool.util.retry import Retry
from pool.util.timeout import Timeout


@pytest.fixture
def server():
    with Server() as s:
        yield s


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_keep_alive_reuse_and_counters(server):
    with HTTPConnectionPool("127.0.0.1", server.port) as p:
        for i in range(5):
            assert p.request("GET", f"/id?id={i}").data == str(i).encode()
        assert p.num_connections == 1
        assert p.num_requests == 5
        st = p.stats()
        assert st["opened"] == 1 and st["reused"] == 4 and st["requests"] == 5
        assert st["in_use"] == 0 and st["idle"] == 1
    assert server.connections_accepted == 1


def test_counters_match_urllib3(server):
    """num_connections/num_requests over the same scenario, both libraries."""

    def handler(req):
        if req.path == "/short":
            req.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf!")
            return CLOSE

    server.handler = handler

    def scenario(lib):
        p = lib.HTTPConnectionPool("127.0.0.1", server.port, maxsize=2)
        with pytest.raises(lib.exceptions.MaxRetryError):
            p.request("GET", "/short", retries=1)
        with pytest.raises(lib.exceptions.ProtocolError):
            p.request("GET", "/short", retries=False)
        p.request("GET", "/")
        p.request("GET", "/close")  # Connection: close -> same object reconnects
        p.request("GET", "/chunked")
        r1 = p.request("GET", "/", preload_content=False)
        r2 = p.request("GET", "/", preload_content=False)
        r1.read()
        r2.read()
        r1.release_conn()
        r2.release_conn()
        p.request("GET", "/redirect?target=/")
        out = (p.num_connections, p.num_requests)
        p.close()
        return out

    assert scenario(pool) == scenario(urllib3)


def test_lifo_order(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=3)
    a = p._get_conn()
    b = p._get_conn()
    p._put_conn(a)
    p._put_conn(b)
    assert p._get_conn() is b
    assert p._get_conn() is a
    p.close()


def test_put_twice_is_harmless(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, block=True)
    c = p._get_conn()
    p._put_conn(c)
    p._put_conn(c)  # must not take a second slot
    assert p.pool.qsize() == 1
    p.close()


class _PoolsSubclass(pool.connection.HTTPConnection):
    pass


class _HttpClientOnly(http.client.HTTPConnection):
    # Derived from http.client alone: none of pool's connection methods.
    def __init__(self, host, port=None, timeout=None, **kw):
        super().__init__(host, port)


class _HttpClientOnlyValueEqual(EqualByOrigin, _HttpClientOnly):
    pass


class _HttpClientOnlyUnhashable(Unhashable, _HttpClientOnly):
    pass


@pytest.mark.parametrize("cls", [_HttpClientOnly, _HttpClientOnlyValueEqual, _HttpClientOnlyUnhashable])
def test_foreign_connections_are_told_apart_by_identity(server, cls):
    """Two connections out at once, of a class not derived from pool's,
    come back as two, even when the class calls them equal."""
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=2, block=True)
    p.ConnectionCls = cls
    a, b = p._get_conn(), p._get_conn()
    assert p.stats()["in_use"] == 2
    p._put_conn(a)
    p._put_conn(b)
    p._put_conn(a)  # a second return is still a no-op
    assert p.stats()["in_use"] == 0
    assert p.pool.qsize() == 2
    assert {id(p._get_conn(timeout=1)), id(p._get_conn(timeout=1))} == {id(a), id(b)}
    p._put_conn(a)
    p._put_conn(b)
    p.close()
    # What the pool kept of them goes with them.
    del a, b
    gc.collect()
    assert not p._foreign_out


# (connection class, whether the pool may keep its state on it).
_CONN_KINDS = [
    (pool.connection.HTTPConnection, True),
    (_PoolsSubclass, True),
    (_HttpClientOnly, False),
]


@pytest.mark.parametrize(("cls", "own"), _CONN_KINDS, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("returns", ["put", "put-put", "discard", "discard-put"])
def test_checkout_bookkeeping_for_every_connection_kind(server, cls, own, returns):
    """in_use counts a connection out and back once however it comes back,
    a second return takes no second slot, and a connection class not derived
    from pool's gets no attribute written onto it."""
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, block=True)
    p.ConnectionCls = cls
    c = p._get_conn()
    assert p.stats()["in_use"] == 1
    assert ("_checked_out" in vars(c)) is own
    for step in returns.split("-"):
        if step == "put":
            p._put_conn(c)
        else:
            p._discard_conn(c)
    assert p.stats()["in_use"] == 0
    assert p.pool.qsize() == 1
    if not own:
        assert set(vars(c)) == set(vars(cls("127.0.0.1", server.port)))
    p.close()


def test_block_waits_then_empty_pool_error(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, block=True)
    r = p.urlopen("GET", "/", preload_content=False)
    t0 = time.monotonic()
    with pytest.raises(EmptyPoolError):
        p.urlopen("GET", "/", pool_timeout=0.2)
    assert 0.18 <= time.monotonic() - t0 < 1.0
    r.read()
    r.release_conn()
    # The connection is back: the next request gets it at once.
    assert p.urlopen("GET", "/id?id=1", pool_timeout=0.2).data == b"1"
    assert p.num_connections == 1
    p.close()


def test_block_waiter_wakes_when_connection_returns(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, block=True)
    r = p.urlopen("GET", "/", preload_content=False)
    results = []
    t = threading.Thread(target=lambda: results.append(p.urlopen("GET", "/id?id=w", pool_timeout=5).data))
    t.start()
    time.sleep(0.1)
    assert not results
    r.read()
    t.join(5)
    assert results == [b"w"]
    assert server.connections_accepted == 1
    p.close()


def test_full_pool_discards_and_warns_once(server, caplog):
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=1)
    caplog.set_level(logging.WARNING, logger="pool.connectionpool")
    for _ in range(2):
        rs = [p.urlopen("GET", "/", preload_content=False) for _ in range(3)]
        for r in rs:
            r.read()
    assert p.num_connections == 5  # 3; then the kept one and 2 new
    warnings = [r for r in caplog.records if "Connection pool is full" in r.getMessage()]
    assert len(warnings) == 1
    time.sleep(0.05)
    assert server.open_connections == 1
    assert p.stats()["discarded"] == 4
    p.close()


def test_close_and_closed_pool_error(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    p.request("GET", "/")
    p.close()
    with pytest.raises(ClosedPoolError):
        p.request("GET", "/")
    p.close()  # twice is fine
    time.sleep(0.05)
    assert server.open_connections == 0


def test_close_keeps_in_flight_response_working(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=2)
    idle = p.urlopen("GET", "/")
    r = p.urlopen("GET", "/chunked", preload_content=False)
    assert idle.data == b"hello"
    p.close()
    assert r.read() == b"chunk0chunk1chunk2"
    assert r.connection is None  # released: closed, since the pool is closed
    time.sleep(0.05)
    assert server.open_connections == 0


def test_is_same_host_and_host_changed():
    p = HTTPConnectionPool("Example.COM", 80)
    assert p.is_same_host("/path")
    assert p.is_same_host("http://example.com/x")
    assert p.is_same_host("http://example.com:80/x")
    assert not p.is_same_host("https://example.com/x")
    assert not p.is_same_host("http://example.org/")
    with pytest.raises(HostChangedError):
        p.urlopen("GET", "http://example.org/")
    p.close()


def test_connection_from_url(server):
    p = connection_from_url(server.url("/"), maxsize=3)
    assert isinstance(p, HTTPConnectionPool)
    assert (p.host, p.port, p.pool.maxsize) == ("127.0.0.1", server.port, 3)
    assert p.request("GET", "/").status == 200
    p.close()


def test_idle_connection_closed_by_server_is_replaced_at_checkout(server):
    server.idle_close = 0.05
    p = HTTPConnectionPool("127.0.0.1", server.port)
    assert p.request("GET", "/id?id=1").data == b"1"
    time.sleep(0.3)
    assert p.request("GET", "/id?id=2").data == b"2"
    st = p.stats()
    assert st["dropped_at_checkout"] == 1
    assert st["retried_as_stale"] == 0
    assert server.connections_accepted == 2
    assert p.num_connections == 1  # the same object reconnected, as urllib3 counts
    p.close()


def _close_second_request_on_first_connection(server):
    def handler(req):
        if req.conn_id == 1 and len([r for r in server.requests if r.conn_id == 1]) == 2:
            return CLOSE  # request read, connection closed, no response

    server.handler = handler


@pytest.mark.parametrize("retries", [Retry(0), False, 0])
def test_stale_idempotent_request_resent_once_outside_retry_budget(server, retries):
    _close_second_request_on_first_connection(server)
    p = HTTPConnectionPool("127.0.0.1", server.port)
    assert p.request("GET", "/id?id=1").data == b"1"
    r = p.request("GET", "/id?id=2", retries=retries)
    assert r.data == b"2"
    assert [q.target for q in server.requests] == ["/id?id=1", "/id?id=2", "/id?id=2"]
    assert p.stats()["retried_as_stale"] == 1
    p.close()


def test_stale_post_is_not_silently_resent(server):
    _close_second_request_on_first_connection(server)
    p = HTTPConnectionPool("127.0.0.1", server.port)
    p.request("GET", "/")
    with pytest.raises(ProtocolError) as ei:
        p.request("POST", "/echo", body=b"payment")
    assert isinstance(ei.value.args[1], RemoteDisconnected)
    assert [q.method for q in server.requests] == ["GET", "POST"]
    assert p.stats()["retried_as_stale"] == 0
    # The pool recovers.
    assert p.request("GET", "/id?id=3").data == b"3"
    p.close()


def test_stale_resend_not_repeated(server):
    """A fresh connection that also fails is a real error, not staleness."""

    def handler(req):
        if req.path == "/die":
            return CLOSE

    server.handler = handler
    p = HTTPConnectionPool("127.0.0.1", server.port)
    p.request("GET", "/")
    with pytest.raises(ProtocolError):
        p.request("GET", "/die", retries=False)
    assert [q.path for q in server.requests] == ["/", "/die", "/die"]
    p.close()


def test_idle_timeout_and_max_age_knobs(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, idle_timeout=0.1)
    p.request("GET", "/")
    p.request("GET", "/")
    assert server.connections_accepted == 1
    time.sleep(0.2)
    p.request("GET", "/")
    assert server.connections_accepted == 2
    p.close()
    p = HTTPConnectionPool("127.0.0.1", server.port, max_connection_age=0.15)
    p.request("GET", "/")
    time.sleep(0.2)
    p.request("GET", "/")
    assert server.connections_accepted == 4
    p.close()


def test_refused_port_retries_then_max_retry_error():
    p = HTTPConnectionPool("127.0.0.1", _free_port(), timeout=2)
    with pytest.raises(MaxRetryError) as ei:
        p.request("GET", "/", retries=Retry(connect=2))
    assert isinstance(ei.value.reason, NewConnectionError)
    assert p.num_connections == 3
    with pytest.raises(NewConnectionError):
        p.request("GET", "/", retries=False)
    p.close()


def test_read_timeout(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, timeout=Timeout(connect=2, read=0.2))
    t0 = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        p.request("GET", "/sleep?s=1", retries=False)
    assert time.monotonic() - t0 < 0.9
    with pytest.raises(MaxRetryError) as ei:
        p.request("GET", "/sleep?s=1", retries=Retry(read=0, total=None))
    assert isinstance(ei.value.reason, ReadTimeoutError)
    # Per-request override.
    assert p.request("GET", "/sleep?s=0.3", timeout=2).data == b"slept"
    p.close()


@pytest.mark.parametrize("total", [0.5, 1.0])
def test_total_deadline_against_dripping_server(server, total):
    """Each byte comes well within the read timeout; the total still fires on time."""
    p = HTTPConnectionPool("127.0.0.1", server.port, timeout=Timeout(total=total, read=1))
    t0 = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        p.request("GET", "/drip?n=100&delay=0.02", retries=False)
    elapsed = time.monotonic() - t0
    assert total * 0.9 <= elapsed <= total * 1.1
    # A fast request under the same deadline is fine, and reuses nothing broken.
    assert p.request("GET", "/id?id=1", retries=False).data == b"1"
    p.close()


def test_total_deadline_applies_to_streamed_body(server):
    # 0.5 s of streaming after the head: past a total of 0.3 s.  (Every read
    # API and framing: tests/test_hostile_faults.py.)
    p = HTTPConnectionPool("127.0.0.1", server.port, timeout=Timeout(total=0.3, read=1))
    r = p.urlopen("GET", "/drip?n=10&delay=0.05", preload_content=False)
    with pytest.raises(ReadTimeoutError):
        r.read()
    r = p.urlopen("GET", "/drip?n=10&delay=0.05", preload_content=False, timeout=Timeout(total=2, read=1))
    assert r.read() == b"x" * 10
    p.close()


def test_status_retries_and_retry_after(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    with pytest.raises(MaxRetryError) as ei:
        p.request("GET", "/status?code=503", retries=Retry(total=2, status_forcelist=[503]))
    assert isinstance(ei.value.reason, ResponseError)
    assert len([r for r in server.requests if r.path == "/status"]) == 3
    server.requests.clear()
    # Retry-After on 429 is honoured without a forcelist.
    r = p.request("GET", "/status?code=429&retry_after=0", retries=Retry(total=1, raise_on_status=False))
    assert r.status == 429
    assert len(server.requests) == 2
    # An unlisted status is returned as is.
    assert p.request("GET", "/status?code=500").status == 500
    p.close()


def test_retries_false_returns_redirect(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    r = p.request("GET", "/redirect?target=/id%3Fid%3D5", retries=False)
    assert r.status == 302
    assert p.request("GET", "/redirect?target=/id%3Fid%3D5").data == b"5"
    p.close()


def test_head_request_and_no_body_statuses(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    r = p.request("HEAD", "/")
    assert r.status == 200 and r.data == b""
    assert r.headers["Content-Length"] == "5"
    assert p.request("GET", "/id?id=after-head").data == b"after-head"
    assert server.connections_accepted == 1
    p.close()


def test_chunked_reused_close_delimited_not(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    assert p.request("GET", "/chunked?n=5").data == b"chunk0chunk1chunk2chunk3chunk4"
    assert p.request("GET", "/conn").data == b"1"
    assert p.request("GET", "/close").data == b"until close"
    assert p.request("GET", "/conn").data == b"2"
    p.close()


def test_unread_streamed_response_connection_not_reused(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    r = p.urlopen("GET", "/chunked", preload_content=False)
    r.read(3)
    r.release_conn()  # body not finished: closed, not reused
    assert p.request("GET", "/conn").data == b"2"
    p.close()


def test_pool_headers_and_url_encoding(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, headers={"X-Pool": "1"})
    p.request("GET", "/a b?c d")
    p.request("GET", "/x", headers={"X-Req": "2"})
    first, second = server.requests
    assert first.target == "/a%20b?c%20d"
    assert first.header("X-Pool") == "1"
    assert second.header("X-Pool") is None and second.header("X-Req") == "2"
    p.close()


def test_bad_port_gives_slot_back():
    p = HTTPConnectionPool("127.0.0.1", 70000, maxsize=1, block=True)
    from pool.exceptions import LocationValueError

    for _ in range(2):  # the second call would hang on a lost slot
        with pytest.raises(LocationValueError):
            p.request("GET", "/", pool_timeout=0.5)
    p.close()


def test_float_timeout_per_request(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    with pytest.raises(ReadTimeoutError):
        p.request("GET", "/sleep?s=1", timeout=0.2, retries=False)
    with pytest.raises(ValueError):
        p.request("GET", "/", timeout=-1)
    p.close()


def test_unsolicited_bytes_on_idle_connection_never_read_as_a_response(server):
    def handler(req):
        if req.path == "/then-junk":
            req.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            time.sleep(0.05)
            req.sock.sendall(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
            from httpserver import RAW

            return RAW

    server.handler = handler
    p = HTTPConnectionPool("127.0.0.1", server.port)
    assert p.request("GET", "/then-junk").data == b"ok"
    time.sleep(0.2)
    r = p.request("GET", "/id?id=next")
    assert (r.status, r.data) == (200, b"next")
    assert p.stats()["dropped_at_checkout"] == 1
    assert server.connections_accepted == 2
    p.close()


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        srv = Server(host="::1")
    except OSError:
        pytest.skip("::1 is not available")
    with srv:
        pm = pool.PoolManager()
        r = pm.request("GET", srv.url("/echo"))
        assert r.status == 200
        assert srv.requests[0].header("Host") == f"[::1]:{srv.port}"
        p = HTTPConnectionPool("::1", srv.port)
        assert p.request("GET", "/id?id=6").data == b"6"
        p.close()
        pm.clear()


def test_dropped_pool_closes_its_sockets_without_gc(server):
    import gc

    gc.disable()
    try:
        p = HTTPConnectionPool("127.0.0.1", server.port)
        assert p.request("GET", "/").data == b"hello"
        del p  # no close(): reference counting alone must release the sockets
        time.sleep(0.1)
        assert server.open_connections == 0
    finally:
        gc.enable()


@pytest.fixture
def unresponsive_port():
    """A port whose accept queue is full: a new connect() hangs (SYN dropped)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(5):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    time.sleep(0.05)
    yield port
    for s in fillers:
        s.close()
    listener.close()


def test_connect_timeout(unresponsive_port):
    from pool.exceptions import ConnectTimeoutError

    p = HTTPConnectionPool("127.0.0.1", unresponsive_port, timeout=Timeout(connect=0.3, read=5))
    t0 = time.monotonic()
    with pytest.raises(ConnectTimeoutError):
        p.request("GET", "/", retries=False)
    assert 0.25 <= time.monotonic() - t0 < 1.0
    with pytest.raises(MaxRetryError) as ei:
        p.request("GET", "/", retries=Retry(connect=1))
    assert isinstance(ei.value.reason, ConnectTimeoutError)
    # total caps the connect limit too.
    t0 = time.monotonic()
    with pytest.raises(ConnectTimeoutError):
        p.request("GET", "/", retries=False, timeout=Timeout(connect=5, total=0.3))
    assert time.monotonic() - t0 < 0.6
    p.close()


def test_request_connection_close_header_not_reused(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    assert p.request("GET", "/conn", headers={"Connection": "close"}).data == b"1"
    assert p.request("GET", "/conn").data == b"2"
    assert p.request("GET", "/conn").data == b"2"
    p.close()


def test_put_conn_of_a_connection_made_elsewhere(server):
    from pool.connection import HTTPConnection

    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=2)
    mine = HTTPConnection("127.0.0.1", server.port)
    p._get_conn()  # take a slot (None), then hand in our own connection
    p._put_conn(mine)
    assert p._get_conn() is mine
    p.close()


def test_decode_error_leaves_pool_consistent(server):
    from pool.exceptions import DecodeError

    def handler(req):
        if req.path == "/badgzip":
            return 200, [("Content-Encoding", "gzip")], b"this is not gzip"

    server.handler = handler
    p = HTTPConnectionPool("127.0.0.1", server.port, maxsize=1, block=True)
    for _ in range(3):  # a lost slot would make the third one wait and fail
        with pytest.raises(DecodeError):
            p.request("GET", "/badgzip", pool_timeout=0.5)
    assert p.pool.qsize() == 1
    assert p.request("GET", "/id?id=ok", pool_timeout=0.5).data == b"ok"
    assert p.stats()["in_use"] == 0
    p.close()


def test_late_error_never_closes_a_connection_another_request_took(server):
    """A preloaded response does not give its connection back while the
    request that took it is still running (urllib3's urlopen gives it back
    at its end): a request that fails late closes only its own connection,
    which no other request can have taken in between."""
    taken = []
    used = []

    class RacyPool(HTTPConnectionPool):
        def _make_request(self, conn, *args, **kw):
            response = super()._make_request(conn, *args, **kw)
            if not taken:
                used.append(conn)
                # Another request takes a connection, then this one fails late.
                taken.append(self._get_conn())
                taken[0].request("GET", "/id?id=other")
                raise ProtocolError("late failure")
            return response

    p = RacyPool("127.0.0.1", server.port, maxsize=2)
    with pytest.raises(ProtocolError):
        p.request("GET", "/", retries=False)
    other = taken[0]
    assert other is not used[0]
    assert used[0].sock is None  # the failed request's own, closed
    assert other.sock is not None  # still open for its owner
    assert other.getresponse().data == b"other"
    assert p.stats()["in_use"] == 1
    p._put_conn(other)
    assert p.stats()["in_use"] == 0
    assert p.request("GET", "/id?id=next").data == b"next"
    p.close()


def test_max_age_counts_from_the_current_socket(server):
    p = HTTPConnectionPool("127.0.0.1", server.port, max_connection_age=0.3)
    assert p.request("GET", "/close").data == b"until close"  # object kept, socket closed
    time.sleep(0.35)
    assert p.request("GET", "/conn").data == b"2"  # a new socket on the old object
    assert p.request("GET", "/conn").data == b"2"  # young: reused
    assert p.stats()["discarded"] == 1  # only the closed-by-server socket
    p.close()


def test_timeout_none_on_a_new_pool(server):
    # None (block forever) must not be mistaken for the pool's empty timeout cache.
    with HTTPConnectionPool("127.0.0.1", server.port) as p:
        r = p.urlopen("GET", "/", timeout=None)
        assert r.status == 200 and r.data == b"hello"
        assert p.urlopen("GET", "/", timeout=None).data == b"hello"


# Each re-issued request (redirect, retried status, broken connection) goes
# through urlopen itself, as urllib3's does, so a subclass's override sees
# every one, with the arguments the retry or redirect gave it.
# name: (method, body, redirect, the server's replies in order)
_REISSUES = {
    "303 from POST": ("POST", b"data", True, [(303, [("Location", "/b")], b""), (200, [], b"ok")]),
    "307 keeps the body": ("POST", b"data", True, [(307, [("Location", "/b")], b""), (200, [], b"ok")]),
    "301 twice": ("GET", None, True, [(301, [("Location", "/b")], b"")] * 2 + [(200, [], b"ok")]),
    "redirect=False": ("GET", None, False, [(302, [("Location", "/b")], b"")]),
    "retried status": ("PUT", b"x", True, [(503, [], b"busy"), (200, [], b"ok")]),
    "broken connection": ("GET", None, True, [CLOSE, (200, [], b"ok")]),
}


@pytest.mark.parametrize("case", list(_REISSUES))
def test_every_reissue_goes_through_urlopen_as_urllib3s(server, case):
    method, body, redirect, replies = _REISSUES[case]

    def run(pool_cls, retry_cls):
        served = []

        def handler(req):
            served.append((req.method, req.target, req.body))
            return replies[min(len(served), len(replies)) - 1]

        server.handler = handler
        calls = []

        class Recording(pool_cls):
            def urlopen(self, method, url, body=None, headers=None, retries=None, redirect=True, *a, **kw):
                calls.append((method, url, body, redirect, getattr(retries, "total", retries)))
                return super().urlopen(method, url, body, headers, retries, redirect, *a, **kw)

        p = Recording("127.0.0.1", server.port)
        retries = retry_cls(3, status_forcelist=[503], backoff_factor=0)
        r = p.urlopen(method, "/a", body=body, redirect=redirect, retries=retries)
        p.close()
        return calls, served, (r.status, r.data)

    theirs = run(urllib3.HTTPConnectionPool, urllib3.util.Retry)
    ours = run(HTTPConnectionPool, Retry)
    assert ours == theirs
    assert len(ours[0]) == len(ours[1])  # one urlopen call per request served


# How _validate_conn is replaced: each way is called before every request.
def _validate_by_subclass(calls):
    class Sub(HTTPConnectionPool):
        def _validate_conn(self, conn):
            calls.append(conn)

    return Sub


def _validate_by_class_patch(calls, monkeypatch):
    class Sub(HTTPConnectionPool):
        pass

    monkeypatch.setattr(Sub, "_validate_conn", lambda self, conn: calls.append(conn))
    return Sub


@pytest.mark.parametrize("how", ["subclass", "class attribute", "instance attribute", "none"])
def test_validate_conn_is_called_whenever_it_is_replaced(server, monkeypatch, how):
    calls = []
    cls = HTTPConnectionPool
    if how == "subclass":
        cls = _validate_by_subclass(calls)
    elif how == "class attribute":
        cls = _validate_by_class_patch(calls, monkeypatch)
    p = cls("127.0.0.1", server.port)
    if how == "instance attribute":
        p._validate_conn = calls.append
    assert p.request("GET", "/id?id=a").data == b"a"
    assert p.request("GET", "/id?id=b").data == b"b"
    assert len(calls) == (0 if how == "none" else 2)
    p.close()
