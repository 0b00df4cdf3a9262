"""Resolver control and Happy Eyeballs (docs/connecting.md), over real
loopback sockets.

An address that never answers a SYN is made without root: a listening
socket with backlog 0 whose accept queue is already full (one connection
made and never accepted).  While ``net.ipv4.tcp_abort_on_overflow`` is 0,
Linux then drops further SYNs, as a firewall would; each test checks that
this holds here and skips, saying why, when it does not.
"""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import ssl
import time
import typing
import warnings

import pytest
from httpserver import Server, tls_contexts

import pool
from pool.connection import HTTPConnection
from pool.connectionpool import HTTPConnectionPool
from pool.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    SSLError,
)
from pool.poolmanager import PoolManager
from pool.util.connection import HAS_IPV6, DNSCache, _interleave, create_connection
from pool.util.retry import Retry
from pool.util.timeout import Timeout

# Slack for a loaded machine on every "it took less than" bound; each bound
# still separates the behaviours compared: the raced cases' timeouts and
# delays are chosen so that a whole connect timeout, or one delay more,
# lands past it.
SLACK = 0.5


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def _syn_sent_to(peers: list[tuple[str, int]]) -> int:
    """How many sockets on this host wait for a SYN-ACK from one of *peers*
    (IPv4), read from /proc/net/tcp."""
    wanted = {f"{socket.inet_aton(ip)[::-1].hex().upper()}:{port:04X}" for ip, port in peers}
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return sum(1 for row in rows if row[2] in wanted and row[3] == "02")  # 02: SYN_SENT


@contextlib.contextmanager
def _blackhole(host: str, port: int) -> typing.Iterator[None]:
    """``host:port`` drops every SYN (see the module's docstring)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    filler = socket.socket(family, socket.SOCK_STREAM)
    try:
        try:
            listener.bind((host, port))
        except OSError as e:
            pytest.skip(f"cannot listen on {host}:{port} for a silent address: {e}")
        listener.listen(0)
        filler.settimeout(2)
        filler.connect((host, port))
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.2)
            try:
                probe.connect((host, port))
            except socket.timeout:
                pass  # the SYN was dropped: what the tests need
            except OSError as e:
                pytest.skip(f"a full accept queue does not drop SYNs here ({e}): no silent address")
            else:
                pytest.skip("a full accept queue still accepts here (tcp_abort_on_overflow?): no silent address")
        yield
    finally:
        filler.close()
        listener.close()


@pytest.fixture
def lab() -> typing.Iterator[dict[str, typing.Any]]:
    """A server on 127.0.0.1:P, silent addresses 127.0.0.2:P and 127.0.0.3:P,
    and 127.0.0.4:P refusing (nothing listens there)."""
    with Server() as srv, _blackhole("127.0.0.2", srv.port), _blackhole("127.0.0.3", srv.port):
        yield {"port": srv.port, "server": srv}


def _resolver_of(addrs: list[str]) -> typing.Callable[[str, int, int], list[str]]:
    calls: list[tuple[str, int, int]] = []

    def resolve(host: str, port: int, family: int) -> list[str]:
        calls.append((host, port, family))
        return list(addrs)

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


# ---------------------------------------------------------------- Happy Eyeballs

GOOD, SILENT, SILENT2, REFUSED = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"

# (addresses in resolver order, happy_eyeballs, connect timeout,
#  expected elapsed lower bound, upper bound before SLACK)
RACES = [
    # Sequential (urllib3's way): a silent first address costs the whole timeout.
    ([SILENT, GOOD], None, 0.8, 0.8, 0.8),
    # Raced: the next attempt starts after the delay.
    ([SILENT, GOOD], 0.1, 2.0, 0.1, 0.1),
    ([SILENT, GOOD], True, 1.2, 0.25, 0.25),  # True: RFC 8305's 250 ms
    ([SILENT, SILENT2, GOOD], 0.1, 2.0, 0.2, 0.2),
    # A good first address wins at once.
    ([GOOD, SILENT], 0.5, 2.0, 0.0, 0.0),
    # A refused attempt starts the next one without waiting for the delay.
    ([SILENT, REFUSED, GOOD], 0.6, 3.0, 0.6, 0.6),
    ([REFUSED, GOOD], 1.0, 3.0, 0.0, 0.0),
]


@pytest.mark.parametrize("addrs,happy,timeout,low,high", RACES)
def test_race_winner_and_elapsed(lab, addrs, happy, timeout, low, high):
    port = lab["port"]
    conn = HTTPConnection("svc.test", port, timeout=timeout, resolver=_resolver_of(addrs), happy_eyeballs=happy)
    t0 = time.monotonic()
    conn.connect()
    elapsed = time.monotonic() - t0
    try:
        assert conn.sock.getpeername() == (GOOD, port)
        assert low <= elapsed < high + SLACK
        # The socket is blocking again, with the timeout a sequential
        # connect leaves on it.
        assert conn.sock.gettimeout() == timeout
        conn.request("GET", "/")
        r = conn.getresponse()
        assert (r.status, r.data) == (200, b"hello")
    finally:
        conn.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd to count open files")
@pytest.mark.parametrize(
    "addrs,happy,timeout,error,low,high",
    [
        # The connect timeout bounds the whole race, not each attempt.
        ([SILENT, SILENT2], 0.1, 1.0, ConnectTimeoutError, 1.0, 1.0),
        ([SILENT, SILENT2], None, 0.4, ConnectTimeoutError, 0.8, 0.8),  # sequential: one timeout each
        ([SILENT, REFUSED], 0.1, 0.6, ConnectTimeoutError, 0.6, 0.6),
        # All refused: the last error, as urllib3 raises it.
        ([REFUSED, "127.0.0.5"], 0.1, 2.0, NewConnectionError, 0.0, 0.0),
        ([REFUSED, "127.0.0.5"], None, 2.0, NewConnectionError, 0.0, 0.0),
    ],
)
def test_race_failures(lab, addrs, happy, timeout, error, low, high):
    before = _fd_count()
    p = HTTPConnectionPool(
        "svc.test", lab["port"], timeout=timeout, retries=False, resolver=_resolver_of(addrs), happy_eyeballs=happy
    )
    t0 = time.monotonic()
    with pytest.raises(error) as info:
        p.request("GET", "/")
    elapsed = time.monotonic() - t0
    assert low <= elapsed < high + SLACK
    # urllib3 derives NewConnectionError from ConnectTimeoutError: compare types.
    assert type(info.value) is error
    if error is NewConnectionError:
        assert "Connection refused" in str(info.value)
    p.close()
    del info
    gc.collect()
    assert _fd_count() == before  # every attempt's socket closed


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs /proc/net/tcp to see pending SYNs")
def test_race_closes_losers_and_keeps_socket_options(lab):
    port = lab["port"]
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    cases = [
        # (socket_options, source_address, options expected on the winner)
        (HTTPConnection.default_socket_options, None, [(socket.IPPROTO_TCP, socket.TCP_NODELAY)]),
        (options, ("127.0.0.1", 0), [(socket.SOL_SOCKET, socket.SO_KEEPALIVE)]),
        ([], ("127.0.0.1", 0), []),
    ]
    for socket_options, source, expect_on in cases:
        conn = HTTPConnection(
            "svc.test",
            port,
            timeout=3,
            socket_options=socket_options,
            source_address=source,
            resolver=_resolver_of([SILENT, SILENT2, GOOD]),
            happy_eyeballs=0.05,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            conn.connect()
            gc.collect()
        # A loser left to the garbage collector would warn here.
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
        assert conn.sock.getpeername() == (GOOD, port)
        # The winner was the third socket made: the options reach every attempt.
        for level, opt in expect_on:
            assert conn.sock.getsockopt(level, opt) != 0
        if not socket_options:
            assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        if source is not None:
            assert conn.sock.getsockname()[0] == source[0]
        # The two silent attempts were closed: no SYN is pending to them.
        assert _syn_sent_to([(SILENT, port), (SILENT2, port)]) == 0
        conn.close()


@pytest.mark.skipif(not HAS_IPV6, reason="IPv6 is not usable on this host")
def test_race_interleaves_families():
    # The resolver lists both IPv4 addresses first; RFC 8305 §4 interleaves
    # them with the IPv6 one, so ::1 is tried second, one delay in (not two).
    with Server(host="::1") as srv, _blackhole("127.0.0.2", srv.port), _blackhole("127.0.0.3", srv.port):
        resolver = _resolver_of([SILENT, SILENT2, "::1"])
        conn = HTTPConnection("svc.test", srv.port, timeout=3, resolver=resolver, happy_eyeballs=0.6)
        t0 = time.monotonic()
        conn.connect()
        elapsed = time.monotonic() - t0
        try:
            assert conn.sock.getpeername()[:2] == ("::1", srv.port)
            assert 0.6 <= elapsed < 0.6 + SLACK
        finally:
            conn.close()


def test_interleave_order():
    def info(fam: socket.AddressFamily, n: int) -> tuple[typing.Any, ...]:
        return (fam, socket.SOCK_STREAM, 6, "", n)

    v4, v6 = socket.AF_INET, socket.AF_INET6
    table = [
        ([], []),
        ([(v4, 1)], [(v4, 1)]),
        ([(v6, 1), (v6, 2), (v4, 3), (v4, 4), (v4, 5)], [(v6, 1), (v4, 3), (v6, 2), (v4, 4), (v4, 5)]),
        ([(v4, 1), (v4, 2), (v6, 3)], [(v4, 1), (v6, 3), (v4, 2)]),
        ([(v4, 1), (v6, 2), (v4, 3), (v6, 4)], [(v4, 1), (v6, 2), (v4, 3), (v6, 4)]),
    ]
    for given, expected in table:
        got = _interleave([info(f, n) for f, n in given])
        assert [(i[0], i[4]) for i in got] == expected


def test_happy_eyeballs_through_poolmanager(lab):
    pm = PoolManager(resolver=_resolver_of([SILENT, GOOD]), happy_eyeballs=0.1, timeout=Timeout(connect=2, read=5))
    t0 = time.monotonic()
    r = pm.request("GET", f"http://svc.test:{lab['port']}/")
    assert (r.status, r.data) == (200, b"hello")
    assert time.monotonic() - t0 < 0.1 + SLACK
    pm.clear()


@pytest.mark.parametrize("value", [-1, -0.1, "yes", float("nan")])
def test_happy_eyeballs_bad_values(value):
    with pytest.raises(ValueError):
        HTTPConnection("localhost", 80, happy_eyeballs=value)


# ---------------------------------------------------------------- resolver control


@pytest.fixture
def server() -> typing.Iterator[Server]:
    with Server() as s:
        yield s


@pytest.mark.parametrize(
    "key,value",
    [
        ("api.invalid:{port}", "127.0.0.1"),
        ("API.Invalid.:{port}", "127.0.0.1"),
        ("api.invalid", "127.0.0.1"),  # any port
        ("api.invalid:{port}", ["127.0.0.1"]),
        # curl's comma list, and a list: the refused first address falls through.
        ("api.invalid:{port}", "127.0.0.4,127.0.0.1"),
        ("api.invalid:{port}", ["127.0.0.4", "127.0.0.1"]),
    ],
)
def test_static_map_reaches_a_name_that_does_not_exist(server, key, value):
    # .invalid never resolves (RFC 6761 §6.4): only the map can answer.
    pm = PoolManager(resolve={key.format(port=server.port): value}, retries=False)
    r = pm.request("GET", f"http://api.invalid:{server.port}/x")
    assert (r.status, r.data) == (200, b"hello")
    assert ("Host", f"api.invalid:{server.port}") in server.requests[-1].headers


def test_static_map_miss_goes_to_the_resolver(server):
    resolver = _resolver_of(["127.0.0.1"])
    pm = PoolManager(resolve={"other.invalid:1": "127.0.0.4"}, resolver=resolver, retries=False)
    r = pm.request("GET", f"http://api.invalid:{server.port}/")
    assert r.status == 200
    assert resolver.calls == [("api.invalid", server.port, socket.AF_UNSPEC if HAS_IPV6 else socket.AF_INET)]
    # A map hit never asks the resolver; an IP literal asks neither.
    pm2 = PoolManager(resolve={f"api.invalid:{server.port}": "127.0.0.1"}, resolver=resolver, retries=False)
    assert pm2.request("GET", f"http://api.invalid:{server.port}/").status == 200
    assert pm2.request("GET", f"http://127.0.0.1:{server.port}/").status == 200
    assert len(resolver.calls) == 1


def test_pools_are_keyed_by_resolver_settings(server):
    pm = PoolManager()
    url = f"http://api.invalid:{server.port}/"
    a = pm.connection_from_url(url, pool_kwargs={"resolve": {f"api.invalid:{server.port}": "127.0.0.1"}})
    b = pm.connection_from_url(url, pool_kwargs={"resolve": {f"api.invalid:{server.port}": ["127.0.0.1"]}})
    c = pm.connection_from_url(url, pool_kwargs={"resolve": {f"api.invalid:{server.port}": "127.0.0.1"}})
    d = pm.connection_from_url(url, pool_kwargs={"happy_eyeballs": True})
    assert a is c and a is not b and d is not a
    assert a.request("GET", "/").status == 200


@pytest.mark.parametrize(
    "name,ok",
    [
        ("api.example.test", True),  # the certificate's name: verified, SNI sent
        ("other.example.test", False),  # mapped to the same server: the name check still fails
    ],
)
def test_tls_verifies_and_sends_sni_for_the_original_name(tmp_path, name, ok):
    tls = tls_contexts(tmp_path, identities=("api.example.test",))
    seen: list[str | None] = []
    tls["server_ctx"].sni_callback = lambda sock, server_name, ctx: seen.append(server_name)
    with Server(ssl_context=tls["server_ctx"]) as srv:
        pm = PoolManager(ca_certs=tls["ca_file"], resolve={f"{name}:{srv.port}": "127.0.0.1"}, retries=False)
        url = f"https://{name}:{srv.port}/"
        if ok:
            r = pm.request("GET", url, preload_content=False)
            assert r.connection.is_verified and r.connection.sock.getpeername()[0] == "127.0.0.1"
            assert (r.status, r.read()) == (200, b"hello")
            r.release_conn()
        else:
            with pytest.raises(SSLError) as info:
                pm.request("GET", url)
            assert isinstance(info.value.args[0], ssl.SSLCertVerificationError)
            assert "Hostname mismatch" in str(info.value) and "other.example.test" in str(info.value)
        assert seen == [name]


def test_tls_through_happy_eyeballs_and_resolver(tmp_path):
    tls = tls_contexts(tmp_path, identities=("api.example.test",))
    seen: list[str | None] = []
    tls["server_ctx"].sni_callback = lambda sock, server_name, ctx: seen.append(server_name)
    with Server(ssl_context=tls["server_ctx"]) as srv, _blackhole("127.0.0.2", srv.port):
        pm = PoolManager(
            ca_certs=tls["ca_file"],
            resolver=_resolver_of([SILENT, GOOD]),
            happy_eyeballs=0.1,
            timeout=Timeout(connect=1.0, read=5),
            retries=False,
        )
        r = pm.request("GET", f"https://api.example.test:{srv.port}/")
        assert r.status == 200
        assert seen == ["api.example.test"]


class _Raises:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.calls = 0

    def __call__(self, host: str, port: int, family: int) -> typing.Any:
        self.calls += 1
        raise self.exc


@pytest.mark.parametrize(
    "resolver",
    [
        _Raises(socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
        _Raises(OSError("no route to the DNS server")),
        _Raises(LookupError("NXDOMAIN")),  # what a DNS library might raise
        _Raises(ValueError("resolver bug")),
        lambda host, port, family: [],  # no address at all
        lambda host, port, family: ["not-an-address"],
    ],
    ids=["gaierror", "oserror", "lookuperror", "valueerror", "empty", "not-an-address"],
)
def test_resolver_failure_is_a_name_resolution_error(server, resolver):
    pm = PoolManager(resolver=resolver, retries=False)
    with pytest.raises(NameResolutionError) as info:
        pm.request("GET", f"http://api.invalid:{server.port}/")
    assert isinstance(info.value, NewConnectionError)
    assert "api.invalid" in str(info.value)
    # With retries, a resolver failure is a connect error, retried.
    counting = _Raises(socket.gaierror(socket.EAI_AGAIN, "try again"))
    pm = PoolManager(resolver=counting, retries=Retry(connect=2, backoff_factor=0))
    with pytest.raises(MaxRetryError) as info2:
        pm.request("GET", f"http://api.invalid:{server.port}/")
    assert isinstance(info2.value.reason, NameResolutionError)
    assert counting.calls == 3


# ---------------------------------------------------------------- DNS cache


def _counting(answers: dict[str, list[str]]) -> typing.Any:
    calls: list[str] = []

    def resolve(host: str, port: int, family: int) -> list[str]:
        calls.append(host)
        return answers[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_dns_cache_bounded_in_entries():
    inner = _counting({"a": ["127.0.0.1"], "b": ["127.0.0.2"], "c": ["127.0.0.3"]})
    cache = DNSCache(inner, maxsize=2, ttl=60)
    # (lookup, how many times the inner resolver has been asked after it)
    steps = [("a", 1), ("b", 2), ("a", 2), ("A", 2), ("c", 3), ("a", 3), ("b", 4), ("c", 5)]
    for host, asked in steps:
        infos = cache(host, 80, socket.AF_INET)
        assert [i[4][0] for i in infos] == inner({"a": "a", "A": "a"}.get(host, host), 80, 0)
        inner.calls.pop()  # the check above asked too
        assert len(inner.calls) == asked, host
        assert len(cache) <= 2
    cache.clear()
    assert len(cache) == 0


def test_dns_cache_bounded_in_time():
    inner = _counting({"a": ["127.0.0.1"]})
    cache = DNSCache(inner, maxsize=8, ttl=0.05)
    cache("a", 80, socket.AF_INET)
    cache("a", 80, socket.AF_INET)
    assert len(inner.calls) == 1
    time.sleep(0.15)
    cache("a", 80, socket.AF_INET)
    assert len(inner.calls) == 2
    # Port and family are part of the question.
    cache("a", 81, socket.AF_INET)
    cache("a", 80, socket.AF_INET6)
    assert len(inner.calls) == 4


def test_dns_cache_does_not_cache_failures():
    failing = _Raises(socket.gaierror(socket.EAI_AGAIN, "try again"))
    cache = DNSCache(failing, ttl=60)
    for _ in range(3):
        with pytest.raises(socket.gaierror):
            cache("a", 80, socket.AF_INET)
    assert failing.calls == 3 and len(cache) == 0


@pytest.mark.parametrize("kw", [{"maxsize": 0}, {"ttl": 0}, {"ttl": -1}])
def test_dns_cache_rejects_unbounded_settings(kw):
    with pytest.raises(ValueError):
        DNSCache(**kw)


def test_dns_cache_shared_by_connections(server):
    inner = _counting({"api.invalid": ["127.0.0.1"]})
    pm = PoolManager(resolver=DNSCache(inner, ttl=60), retries=False)
    for _ in range(3):
        r = pm.request("GET", f"http://api.invalid:{server.port}/", headers={"Connection": "close"})
        assert r.status == 200
    assert server.connections_accepted == 3 and inner.calls == ["api.invalid"]


def test_dns_cache_over_getaddrinfo(server):
    cache = DNSCache(ttl=60)
    pm = PoolManager(resolver=cache, retries=False)
    assert pm.request("GET", f"http://localhost:{server.port}/").status == 200
    assert len(cache) == 1


# ---------------------------------------------------------------- unchanged by default


def test_defaults_leave_urllib3_behaviour(server, monkeypatch):
    conn = HTTPConnection("localhost", server.port)
    assert (conn.resolver, conn.resolve, conn.happy_eyeballs) == (None, None, None)
    # A program that patches create_connection with urllib3's signature
    # still works when the new keywords are not used.
    seen: list[tuple[typing.Any, ...]] = []

    def urllib3_style(address, timeout=None, source_address=None, socket_options=None):
        seen.append(address)
        return create_connection(address, timeout, source_address, socket_options)

    monkeypatch.setattr(pool.connection, "create_connection", urllib3_style)
    pm = PoolManager()
    assert pm.request("GET", f"http://localhost:{server.port}/").status == 200
    assert seen == [("localhost", server.port)]
