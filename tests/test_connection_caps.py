"""Connection caps: ``PoolManager(max_connections=..., max_connections_per_host=...)``.

Real sockets on 127.0.0.1, .2 and .3: each host runs a server that counts its
live connections and the requests it is holding, and holds ``/hold`` until
the test releases it. Many threads request at once; the servers' counts show
that the caps bound the sockets, that waiters proceed when slots free up,
that an idle connection (of another host if need be) is closed to make room,
and that with every connection busy a request raises ``EmptyPoolError``
after its ``pool_timeout``. Without the keywords nothing changes.
"""

from __future__ import annotations

import functools
import gc
import os
import pathlib
import re
import socket
import threading
import time

import pytest
from equality import EqualByOrigin, Unhashable

from pool import HTTPConnectionPool, PoolManager
from pool.connection import HTTPConnection
from pool.exceptions import EmptyPoolError

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
# Every wait in these tests is bounded by this, generous for a loaded machine.
WAIT = 20.0


class Counts:
    """Counters shared by the servers of one test (all hosts together)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.live = 0
        self.peak_live = 0
        self.in_flight = 0
        self.peak_in_flight = 0


class CountingServer:
    """HTTP/1.1 keep-alive server on one loopback address. ``/hold`` waits
    for ``release`` before it answers; every other path answers at once."""

    def __init__(self, host: str, counts: Counts, release: threading.Event) -> None:
        self.host = host
        self.counts = counts
        self.release = release
        self.lock = threading.Lock()
        self.accepted = 0
        self.live = 0
        self.peak_live = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.accept_thread = threading.Thread(target=self._accept, daemon=True)
        self.accept_thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def _bump(self, name: str, delta: int) -> None:
        for obj, lock in ((self, self.lock), (self.counts, self.counts.lock)):
            with lock:
                value = getattr(obj, name) + delta
                setattr(obj, name, value)
                peak = "peak_" + name
                if value > getattr(obj, peak):
                    setattr(obj, peak, value)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.conns.append(conn)
            self._bump("live", 1)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                path = head.split(b" ", 2)[1]
                self._bump("in_flight", 1)
                if path == b"/hold":
                    self.release.wait(WAIT)
                # Counted out before the answer leaves, so the client can
                # never see an answer while the request still counts here.
                self._bump("in_flight", -1)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except OSError:
            return
        finally:
            self._bump("live", -1)
            conn.close()

    def close(self) -> None:
        self.release.set()
        try:
            # Wakes the thread blocked in accept() (close() alone does not).
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.accept_thread.join(WAIT)
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(WAIT)


@pytest.fixture
def servers():
    counts = Counts()
    release = threading.Event()
    made = [CountingServer(h, counts, release) for h in HOSTS]
    try:
        yield made, counts, release
    finally:
        for s in made:
            s.close()


def wait_until(predicate, timeout: float = WAIT) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def run_threads(fn, args_list):
    errors: list[BaseException] = []
    results: list[object] = []

    def work(*args):
        try:
            results.append(fn(*args))
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=work, args=a, daemon=True) for a in args_list]
    for t in threads:
        t.start()
    return threads, results, errors


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def client_sockets(addrs: set[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """Established TCP sockets of this machine whose remote end is one of
    ``addrs``: the client ends of connections to our servers (other
    processes may use the same port on another address). Unlike the
    servers' own counts, this does not lag behind a close by the client."""
    by_hex = {f"{socket.inet_aton(h)[::-1].hex().upper()}:{p:04X}": (h, p) for h, p in addrs}
    found = dict.fromkeys(addrs, 0)
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            addr = by_hex.get(fields[2])
            if fields[3] == "01" and addr is not None:
                found[addr] += 1
    return found


class SocketSampler:
    """Samples client_sockets() in a thread: the peak total and per server."""

    def __init__(self, addrs: set[tuple[str, int]]) -> None:
        self.ports = addrs
        self.peak_total = 0
        self.peak = dict.fromkeys(addrs, 0)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        end = time.monotonic() + 2 * WAIT
        while not self.stop.is_set() and time.monotonic() < end:
            # /proc/net/tcp is read in pieces, not as one snapshot: a read
            # across one close and the next open can see both sockets. A
            # socket really left open shows in two reads in a row.
            first, second = client_sockets(self.ports), client_sockets(self.ports)
            now = {a: min(first[a], second[a]) for a in first}
            self.peak_total = max(self.peak_total, sum(now.values()))
            for port, n in now.items():
                self.peak[port] = max(self.peak[port], n)
            time.sleep(0.001)

    def __enter__(self) -> SocketSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(WAIT)


# (max_connections, max_connections_per_host, hosts used, threads) -> the
# number of requests the servers hold at once when saturated.
CAP_TABLE = [
    (4, None, 3, 12, 4),
    (None, 2, 3, 12, 6),
    (4, 2, 3, 12, 4),
    (5, 3, 2, 10, 5),
    (2, 5, 1, 8, 2),
    (6, 1, 3, 9, 3),
]


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="counts sockets and descriptors in /proc")
@pytest.mark.parametrize(("total", "per_host", "n_hosts", "n_threads", "saturated"), CAP_TABLE)
def test_caps_bound_the_servers_connections(servers, total, per_host, n_hosts, n_threads, saturated):
    made, counts, release = servers
    hosts = made[:n_hosts]
    fds_before = open_fds()
    pm = PoolManager(max_connections=total, max_connections_per_host=per_host)

    def fetch(url):
        return pm.request("GET", url, pool_timeout=WAIT, retries=False).status

    sampler = SocketSampler({(s.host, s.port) for s in hosts}).__enter__()
    threads, results, errors = run_threads(fetch, [(hosts[i % n_hosts].url("/hold"),) for i in range(n_threads)])
    # Saturated: every slot holds a request, the rest of the threads wait.
    assert wait_until(lambda: counts.in_flight == saturated), (counts.in_flight, saturated)
    time.sleep(0.3)  # a thread that got past the caps would show up here
    assert counts.in_flight == saturated
    assert counts.live == saturated  # nothing has closed yet: this count is exact
    for s in hosts:
        assert s.live <= (per_host or n_threads)
    # Waiters proceed as slots free up.
    release.set()
    for t in threads:
        t.join(WAIT)
    sampler.__exit__()
    assert not errors
    assert results == [200] * n_threads
    # The client's sockets never passed the caps, in total or per host.
    assert sampler.peak_total == saturated
    for s in hosts:
        assert sampler.peak[(s.host, s.port)] <= (per_host or n_threads)
    # Requests in flight never passed the caps, in total or per host.
    assert counts.peak_in_flight == saturated
    for s in hosts:
        assert s.peak_in_flight <= (per_host or n_threads)
    assert sum(s.accepted for s in hosts) >= saturated
    limiter = pm._limiter
    held, per = limiter.counts()
    assert held <= (total or n_threads)
    assert all(n <= (per_host or n_threads) for n in per.values())
    pm.clear()
    gc.collect()
    assert limiter.counts() == (0, {})
    # Every client socket was closed (the servers still hold theirs).
    assert wait_until(lambda: open_fds() <= fds_before)


def test_without_caps_nothing_changes(servers):
    made, counts, release = servers
    pm = PoolManager()
    assert pm._limiter is None
    threads, results, errors = run_threads(
        lambda: pm.request("GET", made[0].url("/hold"), retries=False).status, [()] * 6
    )
    # urllib3's behaviour: maxsize=1, block=False opens one per request.
    assert wait_until(lambda: counts.in_flight == 6)
    release.set()
    for t in threads:
        t.join(WAIT)
    assert not errors and results == [200] * 6
    assert made[0].accepted == 6
    p = pm.connection_from_url(made[0].url())
    assert p._limiter is None
    assert "max_connections" not in pm.connection_pool_kw
    pm.clear()


def hold_idle(pm, server, release, n):
    """Leave ``n`` idle connections in the pool of ``server``: n requests at
    once, held until all are in, then answered."""
    release.clear()
    threads, results, errors = run_threads(
        lambda: pm.request("GET", server.url("/hold"), pool_timeout=WAIT, retries=False).status, [()] * n
    )
    assert wait_until(lambda: server.in_flight == n)
    release.set()
    for t in threads:
        t.join(WAIT)
    assert not errors and results == [200] * n
    assert wait_until(lambda: server.live == n)


# (caps, where the next request goes) -> which server loses an idle connection.
IDLE_TABLE = [
    ({"max_connections": 2}, "other"),
    ({"max_connections": 2, "max_connections_per_host": 2}, "other"),
    ({"max_connections_per_host": 2}, "same-other-pool"),
    ({"max_connections": 2}, "same-other-pool"),
]


@pytest.mark.parametrize(("caps", "target"), IDLE_TABLE)
def test_idle_connection_closed_to_make_room(servers, caps, target):
    made, counts, release = servers
    a, b = made[0], made[1]
    pm = PoolManager(maxsize=2, **caps)
    hold_idle(pm, a, release, 2)
    assert pm._limiter.counts()[0] == 2
    # What the limiter counts at the moment an idle connection is closed to
    # make room: its socket is still open then, so it must still count.  Read
    # from another thread, which must not wait: a close can block (SO_LINGER,
    # a subclass's close()), and must not hold up every other checkout.
    at_close = []

    def counts_from_another_thread():
        t = threading.Thread(target=lambda: at_close.append(pm._limiter.counts()), daemon=True)
        t.start()
        t.join(WAIT)
        if t.is_alive():
            at_close.append("the limiter's lock was held during close()")

    idle = [c for c in pm.connection_from_url(a.url("/")).pool.queue if c is not None]
    assert len(idle) == 2
    for conn in idle:
        conn.close = functools.partial(lambda c, close: (counts_from_another_thread(), close()), conn, conn.close)
    start = time.monotonic()
    if target == "other":
        # pool_timeout=0: it must not wait, an idle connection makes room.
        r = pm.request("GET", b.url("/"), pool_timeout=0, retries=False)
        assert r.status == 200
        assert b.accepted == 1
    else:
        # Another pool for the same origin (other settings): same host count.
        p = pm.connection_from_url(a.url("/"), pool_kwargs={"maxsize": 3})
        assert p is not pm.connection_from_url(a.url("/"))
        r = p.request("GET", "/", pool_timeout=0, retries=False)
        assert r.status == 200
        assert a.accepted == 3
    assert time.monotonic() - start < WAIT
    # One idle connection of the first pool was closed: its server sees it go.
    assert wait_until(lambda: a.live == (1 if target == "other" else 2))
    assert counts.peak_live <= 3  # the closed one may lag on the server side
    assert wait_until(lambda: counts.live == 2)
    assert pm._limiter.counts()[0] == 2
    # Closed once, while still counted: its origin's two, and nothing taken
    # for the new connection yet (that would make three sockets at a cap of two).
    assert at_close == [(2, {("http", a.host, a.port): 2})]
    pm.clear()


# (caps, second request's host) -> raises after pool_timeout, or answers.
BUSY_TABLE = [
    ({"max_connections": 1}, "same", True),
    ({"max_connections": 1}, "other", True),
    ({"max_connections_per_host": 1}, "same", True),
    ({"max_connections_per_host": 1}, "other", False),
    ({"max_connections": 2, "max_connections_per_host": 1}, "other", False),
]


@pytest.mark.parametrize(("caps", "where", "raises"), BUSY_TABLE)
def test_all_busy_raises_after_pool_timeout(servers, caps, where, raises):
    made, counts, release = servers
    pm = PoolManager(**caps)
    threads, results, errors = run_threads(
        lambda: pm.request("GET", made[0].url("/hold"), pool_timeout=WAIT, retries=False).status, [()]
    )
    assert wait_until(lambda: counts.in_flight == 1)
    url = (made[0] if where == "same" else made[1]).url("/")
    pool_timeout = 0.5
    start = time.monotonic()
    if raises:
        with pytest.raises(EmptyPoolError) as ei:
            pm.request("GET", url, pool_timeout=pool_timeout, retries=False)
        elapsed = time.monotonic() - start
        assert pool_timeout <= elapsed < pool_timeout + 10  # margin for a loaded machine
        assert "max_connections" in str(ei.value)
        assert counts.live == 1
    else:
        assert pm.request("GET", url, pool_timeout=pool_timeout, retries=False).status == 200
    release.set()
    for t in threads:
        t.join(WAIT)
    assert not errors and results == [200]
    # With the slot back, the same request now goes through.
    assert pm.request("GET", url, pool_timeout=pool_timeout, retries=False).status == 200
    pm.clear()


def test_waiter_proceeds_when_a_connection_goes_idle_elsewhere(servers):
    made, counts, release = servers
    # The busy connection goes back to its pool idle (not dropped): the
    # waiter for the other host is woken and closes it.
    pm = PoolManager(max_connections=1)
    threads, results, errors = run_threads(
        lambda: pm.request("GET", made[0].url("/hold"), pool_timeout=WAIT, retries=False).status, [()]
    )
    assert wait_until(lambda: counts.in_flight == 1)
    waiter, wresults, werrors = run_threads(
        lambda: pm.request("GET", made[1].url("/"), pool_timeout=WAIT, retries=False).status, [()]
    )
    time.sleep(0.3)
    assert made[1].accepted == 0  # still waiting
    start = time.monotonic()
    release.set()
    for t in threads + waiter:
        t.join(WAIT)
    assert not errors and not werrors and results == [200] and wresults == [200]
    assert time.monotonic() - start < WAIT / 2
    assert wait_until(lambda: made[0].live == 0)
    pm.clear()


def test_unreleased_response_gives_its_slot_back_when_collected(servers):
    made, counts, release = servers
    release.set()
    pm = PoolManager(max_connections=1)
    r = pm.request("GET", made[0].url("/"), preload_content=False, retries=False)
    assert pm._limiter.counts()[0] == 1
    r.close()  # closes the connection without giving it back, as urllib3 does
    del r
    gc.collect()
    assert pm._limiter.counts() == (0, {})
    assert pm.request("GET", made[1].url("/"), pool_timeout=0, retries=False).status == 200
    pm.clear()


def test_evicted_pool_frees_its_slots(servers):
    made, counts, release = servers
    release.set()
    pm = PoolManager(num_pools=1, max_connections=1)
    for s in made:
        assert pm.request("GET", s.url("/"), pool_timeout=0, retries=False).status == 200
    assert len(pm.pools) == 1
    assert pm._limiter.counts()[0] == 1
    assert wait_until(lambda: counts.live == 1)
    pm.clear()
    gc.collect()
    assert pm._limiter.counts() == (0, {})


@pytest.mark.parametrize(
    "kw",
    [
        {"max_connections": 0},
        {"max_connections": -1},
        {"max_connections_per_host": 0},
        {"max_connections": "4"},
        {"max_connections": 2.5},
        {"max_connections_per_host": True},
    ],
)
def test_bad_caps_rejected(kw):
    with pytest.raises(ValueError):
        PoolManager(**kw)


def test_docs_example_runs(servers):
    made, counts, release = servers
    release.set()
    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "connection-caps.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert blocks
    for code in blocks:
        scope: dict[str, object] = {}
        exec(code.replace("127.0.0.1:8080", f"127.0.0.1:{made[0].port}"), scope)  # noqa: S102 - our own docs
        http = scope["http"]
        assert http._limiter.max_connections == 20 and http._limiter.max_connections_per_host == 4
        assert scope["r"].status == 200
        http.clear()


class _ValueEqualConnection(EqualByOrigin, HTTPConnection):
    pass


class _UnhashableConnection(Unhashable, HTTPConnection):
    pass


# The connection class -> the caps hold each connection object by identity.
CONNECTION_CLASS_TABLE = [HTTPConnection, _ValueEqualConnection, _UnhashableConnection]


@pytest.mark.parametrize("conn_cls", CONNECTION_CLASS_TABLE, ids=lambda c: c.__name__)
def test_caps_count_connections_by_identity(servers, conn_cls):
    made, counts, release = servers
    a = made[0]

    class Pool(HTTPConnectionPool):
        ConnectionCls = conn_cls

    pm = PoolManager(maxsize=2, max_connections_per_host=2)
    pm.pool_classes_by_scheme = {"http": Pool}
    hold_idle(pm, a, release, 2)
    assert pm._limiter.counts() == (2, {("http", a.host, a.port): 2})
    # At the cap, another pool for the same origin closes one of the two
    # idle connections (equal to each other for the value-equal class).
    p = pm.connection_from_url(a.url("/"), pool_kwargs={"maxsize": 3})
    assert p.request("GET", "/", pool_timeout=0, retries=False).status == 200
    assert a.accepted == 3
    assert wait_until(lambda: a.live == 2)
    assert pm._limiter.counts() == (2, {("http", a.host, a.port): 2})
    # Pools close once nothing holds them (urllib3 2.8's clear()).
    del p
    pm.clear()
    gc.collect()
    assert pm._limiter.counts() == (0, {})
    assert wait_until(lambda: a.live == 0)


class _ValueEqualPool(EqualByOrigin, HTTPConnectionPool):
    pass


@pytest.mark.parametrize("pool_cls", [HTTPConnectionPool, _ValueEqualPool], ids=lambda c: c.__name__)
def test_caps_close_idle_connections_of_every_pool(servers, pool_cls):
    """Two pools of one origin (other settings), equal to each other for the
    value-equal class: at the cap, each finds the other's idle connections."""
    made, counts, release = servers
    a = made[0]
    pm = PoolManager(maxsize=2, max_connections_per_host=2)
    pm.pool_classes_by_scheme = {"http": pool_cls}
    first = pm.connection_from_url(a.url("/"))
    assert first.request("GET", "/", retries=False).status == 200
    # The second pool takes both slots (closing the first's idle connection
    # for the second), and keeps two idle connections.
    second = pm.connection_from_url(a.url("/"), pool_kwargs={"maxsize": 3})
    assert second is not first
    release.clear()
    threads, results, errors = run_threads(
        lambda: second.request("GET", "/hold", pool_timeout=WAIT, retries=False).status, [()] * 2
    )
    assert wait_until(lambda: a.in_flight == 2)
    release.set()
    for t in threads:
        t.join(WAIT)
    assert not errors and results == [200, 200]
    # The first pool, at the cap with nothing idle of its own, closes one of
    # the second's at once.
    assert first.request("GET", "/", pool_timeout=0, retries=False).status == 200
    assert pm._limiter.counts() == (2, {("http", a.host, a.port): 2})
    first = second = None
    pm.clear()
    gc.collect()
    assert pm._limiter.counts() == (0, {})
