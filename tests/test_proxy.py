"""ProxyManager against a real forward proxy on 127.0.0.1 (tests/proxyserver.py).

Forwarding of http:// requests in absolute form (RFC 9112 §3.2.2), CONNECT
tunnels for https:// (RFC 9110 §9.3.6) kept for a connection's keep-alive
life, TLS to an https proxy and TLS inside it, and the errors urllib3 raises.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
import time
import typing

import pytest

from httpserver import Server, tls_contexts
import pool as pool_module
from pool.connection import HTTPConnection
from pool.exceptions import (
    InvalidStatusLine,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ProxySchemeUnknown,
    ReadTimeoutError,
    RemoteDisconnected,
    SSLError,
)
from pool.poolmanager import ProxyManager, proxy_from_url
from pool.util.retry import Retry
from pool.util.ssltransport import SSLTransport
from pool.util.timeout import Timeout
from proxyserver import ProxyServer


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    t = tls_contexts(tmp_path_factory.mktemp("proxy-tls"))
    t["client_ctx"] = ssl.create_default_context(cafile=t["ca_file"])
    return t


@pytest.fixture(scope="module")
def origin():
    with Server() as s:
        yield s


@pytest.fixture(scope="module")
def sorigin(tls):
    with Server(ssl_context=tls["server_ctx"]) as s:
        yield s


@pytest.fixture
def proxy():
    with ProxyServer() as p:
        yield p


@pytest.fixture
def sproxy(tls):
    with ProxyServer(ssl_context=tls["server_ctx"], upstream_ssl_context=tls["client_ctx"]) as p:
        yield p


def _origin_requests_since(server: Server, n: int) -> list[typing.Any]:
    return server.requests[n:]


def _basic(userinfo: str) -> str:
    return "Basic " + base64.b64encode(userinfo.encode()).decode()


# ------------------------------------------------------------ http:// origins


def test_http_origin_is_forwarded_in_absolute_form(proxy, origin):
    seen = len(origin.requests)
    with ProxyManager(proxy.url, proxy_headers={"X-Proxy-Token": "t1"}) as pm:
        r = pm.request("GET", origin.url("/id?id=abs"))
    assert (r.status, r.data) == (200, b"abs")
    (req,) = proxy.requests
    assert req.method == "GET"
    assert req.target == origin.url("/id?id=abs")
    assert req.header("Host") == f"127.0.0.1:{origin.port}"
    assert req.header("X-Proxy-Token") == "t1"
    assert req.header("Accept") == "*/*"
    assert proxy.connects == []
    # The origin got the origin-form target from the proxy's own connection.
    assert [q.target for q in _origin_requests_since(origin, seen)] == ["/id?id=abs"]


def test_http_origins_share_the_proxy_pool_and_connection(proxy, origin):
    other = Server()
    with other, ProxyManager(proxy.url) as pm:
        for url in (origin.url("/id?id=1"), other.url("/id?id=2"), origin.url("/id?id=3")):
            assert pm.request("GET", url).status == 200
        assert len(pm.pools) == 1
    assert [q.target for q in proxy.requests] == [
        origin.url("/id?id=1"),
        other.url("/id?id=2"),
        origin.url("/id?id=3"),
    ]
    assert proxy.connections_accepted == 1


def test_post_body_is_forwarded(proxy, origin):
    with ProxyManager(proxy.url) as pm:
        r = pm.request("POST", origin.url("/echo"), body=b"payload", headers={"X-A": "1"})
    echoed = r.json()
    assert echoed["method"] == "POST"
    assert echoed["body"] == "payload"
    assert proxy.requests[0].body == b"payload"
    assert proxy.requests[0].header("X-A") == "1"


def test_caller_host_header_wins(proxy, origin):
    with ProxyManager(proxy.url) as pm:
        pm.request("GET", origin.url("/"), headers={"Host": "example.test"})
    assert proxy.requests[0].header("Host") == "example.test"


def test_forwarded_407_is_just_a_response(origin):
    with ProxyServer(auth=_basic("u:p")) as p, ProxyManager(p.url) as pm:
        r = pm.request("GET", origin.url("/id?id=x"), retries=0)
        assert r.status == 407
        assert r.headers["Proxy-Authenticate"] == 'Basic realm="proxy"'
        # The connection to the proxy stays usable.
        r = pm.request("GET", origin.url("/id?id=y"), headers={"Proxy-Authorization": _basic("u:p")})
        assert (r.status, r.data) == (200, b"y")
        assert p.connections_accepted == 1


def test_proxy_auth_from_url_userinfo(origin, sorigin, tls):
    with ProxyServer(auth=_basic("us@r:p w")) as p:
        with proxy_from_url(p.url.replace("http://", "http://us%40r:p%20w@"), ca_certs=tls["ca_file"]) as pm:
            assert pm.proxy_headers == {"proxy-authorization": _basic("us@r:p w")}
            assert pm.request("GET", origin.url("/id?id=h"), retries=0).data == b"h"
            assert pm.request("GET", sorigin.url("/id?id=s"), retries=0).data == b"s"
        assert p.requests[0].header("Proxy-Authorization") == _basic("us@r:p w")
        assert p.connects == [f"127.0.0.1:{sorigin.port}"]


def test_explicit_proxy_authorization_beats_userinfo(origin):
    with ProxyServer(auth=_basic("right:1")) as p:
        url = p.url.replace("http://", "http://wrong:2@")
        with ProxyManager(url, proxy_headers={"Proxy-Authorization": _basic("right:1")}) as pm:
            assert pm.request("GET", origin.url("/id?id=ok"), retries=0).status == 200
        assert [q.header("Proxy-Authorization") for q in p.requests] == [_basic("right:1")]


# ------------------------------------------------------------ https:// origins through CONNECT


def test_https_origin_tunnel_is_reused(proxy, sorigin, tls):
    seen = len(sorigin.requests)
    accepted = sorigin.connections_accepted
    with ProxyManager(proxy.url, proxy_headers={"X-Proxy-Token": "t2"}, ca_certs=tls["ca_file"]) as pm:
        for i in range(5):
            r = pm.request("GET", sorigin.url(f"/id?id={i}"))
            assert (r.status, r.data) == (200, str(i).encode())
    assert proxy.connects == [f"127.0.0.1:{sorigin.port}"]
    assert proxy.connections_accepted == 1
    assert sorigin.connections_accepted == accepted + 1
    # Proxy headers went on the CONNECT only; the origin saw Host for itself.
    (connect,) = proxy.requests
    assert connect.method == "CONNECT"
    assert connect.header("Host") == f"127.0.0.1:{sorigin.port}"
    assert connect.header("X-Proxy-Token") == "t2"
    reqs = _origin_requests_since(sorigin, seen)
    assert [q.target for q in reqs] == [f"/id?id={i}" for i in range(5)]
    assert {q.header("Host") for q in reqs} == {f"127.0.0.1:{sorigin.port}"}
    assert all(q.header("X-Proxy-Token") is None for q in reqs)


def test_tunnelled_connection_is_verified_against_the_origin(proxy, sorigin, tls):
    with ProxyManager(proxy.url, ca_certs=tls["ca_file"]) as pm:
        pm.request("GET", sorigin.url("/"))
        pool = pm.connection_from_url(sorigin.url("/"))
        conn = next(c for c in list(pool.pool.queue) if c is not None and c.sock is not None)
        assert conn.proxy_is_tunneling and not conn.proxy_is_forwarding
        assert conn.has_connected_to_proxy
        assert conn.is_verified is True
        assert conn.proxy_is_verified is False  # a plain-HTTP proxy
        assert conn.sock.getpeercert()["subjectAltName"]


def test_new_tunnel_after_the_origin_closes(proxy, tls):
    with Server(ssl_context=tls["server_ctx"], idle_close=0.2) as s:
        with ProxyManager(proxy.url, ca_certs=tls["ca_file"]) as pm:
            assert pm.request("GET", s.url("/id?id=1")).data == b"1"
            # The origin drops the idle connection, and the proxy the tunnel.
            deadline = time.monotonic() + 5
            while s.open_connections and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.1)
            assert pm.request("GET", s.url("/id?id=2")).data == b"2"
    assert proxy.connects == [f"127.0.0.1:{s.port}"] * 2


def test_origin_certificate_failure_is_an_ssl_error_not_a_proxy_error(proxy, sorigin):
    # The tunnel was opened: the origin's certificate is what failed.
    with ProxyManager(proxy.url, ssl_context=ssl.create_default_context()) as pm:
        with pytest.raises(MaxRetryError) as ei:
            pm.request("GET", sorigin.url("/"), retries=0)
    assert isinstance(ei.value.reason, SSLError)
    assert proxy.connects == [f"127.0.0.1:{sorigin.port}"]


def test_connect_refused_403(sorigin, tls):
    with ProxyServer(connect_status=403) as p, ProxyManager(p.url, ca_certs=tls["ca_file"]) as pm:
        with pytest.raises(MaxRetryError) as ei:
            pm.request("GET", sorigin.url("/"), retries=Retry(total=1))
        assert len(p.connects) == 2  # the first try and one retry, as urllib3
    err = ei.value.reason
    assert isinstance(err, ProxyError)
    assert isinstance(err.original_error, OSError)
    assert str(err.original_error) == "Tunnel connection failed: 403 Forbidden"
    assert err.__cause__ is err.original_error


def test_connect_407_raises_proxy_error(sorigin, tls):
    with ProxyServer(auth=_basic("u:p")) as p, ProxyManager(p.url, ca_certs=tls["ca_file"]) as pm:
        with pytest.raises(ProxyError) as ei:
            pm.request("GET", sorigin.url("/"), retries=False)
        assert "407" in str(ei.value.original_error)
        # The refused connection was closed, not kept.
        pool = pm.connection_from_url(sorigin.url("/"))
        assert all(c is None or c.sock is None for c in list(pool.pool.queue))


def _raw_proxy(reply: bytes) -> tuple[socket.socket, threading.Thread]:
    # Answers the first request on each connection with fixed bytes.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(5)

    def serve() -> None:
        for _ in range(4):
            try:
                c, _ = listener.accept()
            except OSError:
                return
            with c:
                c.settimeout(5)
                try:
                    c.recv(65536)
                    c.sendall(reply)
                    time.sleep(0.05)
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return listener, t


def _stop_raw_proxy(listener: socket.socket, t: threading.Thread) -> None:
    try:
        listener.shutdown(socket.SHUT_RDWR)  # wakes accept() at once
    except OSError:
        pass
    listener.close()
    t.join(5)


@pytest.mark.parametrize(
    "reply, cause",
    [
        (b"HTTP/1.1 2000 OK\r\n\r\n", InvalidStatusLine),
        (b"HTTP/1.1 200 OK\r\n\r\nunexpected", ProtocolError),
    ],
    ids=["bad-status-line", "bytes-after-200"],
)
def test_malformed_connect_response(reply, cause):
    # urllib3 reports http.client's parse errors here as ProtocolError.
    listener, t = _raw_proxy(reply)
    try:
        with ProxyManager(f"http://127.0.0.1:{listener.getsockname()[1]}") as pm:
            with pytest.raises(MaxRetryError) as ei:
                pm.request("GET", "https://127.0.0.1:9/", retries=0)
        assert type(ei.value.reason) is cause
    finally:
        _stop_raw_proxy(listener, t)


def test_proxy_closing_before_connect_response():
    # As urllib3: ProtocolError("Connection aborted.", <the disconnect>).
    listener, t = _raw_proxy(b"")
    try:
        with ProxyManager(f"http://127.0.0.1:{listener.getsockname()[1]}") as pm:
            with pytest.raises(MaxRetryError) as ei:
                pm.request("GET", "https://127.0.0.1:9/", retries=0)
        err = ei.value.reason
        assert type(err) is ProtocolError and err.args[0] == "Connection aborted."
        assert isinstance(err.args[1], RemoteDisconnected)
    finally:
        _stop_raw_proxy(listener, t)


def test_connect_response_timeout_is_a_read_timeout():
    # A proxy that accepts (in its backlog) and never answers; as urllib3.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        with ProxyManager(f"http://127.0.0.1:{listener.getsockname()[1]}") as pm:
            started = time.monotonic()
            with pytest.raises(MaxRetryError) as ei:
                pm.request("GET", "https://127.0.0.1:9/", retries=0, timeout=0.3)
        assert isinstance(ei.value.reason, ReadTimeoutError)
        assert time.monotonic() - started < 3
    finally:
        listener.close()


def test_set_tunnel_on_a_bare_connection(proxy, origin):
    seen = len(origin.requests)
    conn = HTTPConnection("127.0.0.1", proxy.port, timeout=5)
    conn.set_tunnel(f"127.0.0.1:{origin.port}", headers={"X-T": "1"})
    assert (conn._tunnel_host, conn._tunnel_port) == ("127.0.0.1", origin.port)
    try:
        for i in range(2):
            conn.request("GET", f"/id?id=t{i}")
            assert conn.getresponse().data == f"t{i}".encode()
        with pytest.raises(RuntimeError):
            conn.set_tunnel("127.0.0.1", 1)
    finally:
        conn.close()
    assert proxy.connects == [f"127.0.0.1:{origin.port}"]
    assert proxy.requests[0].header("X-T") == "1"
    assert [q.header("Host") for q in _origin_requests_since(origin, seen)] == [f"127.0.0.1:{origin.port}"] * 2


def test_set_tunnel_rejects_other_schemes():
    with pytest.raises(ValueError, match="Invalid proxy scheme for tunneling"):
        HTTPConnection("127.0.0.1", 1).set_tunnel("example.com", 443, scheme="socks5")


# ------------------------------------------------------------ https:// proxies


def test_https_proxy_with_proxy_ssl_context_http_origin(sproxy, origin, tls):
    with ProxyManager(sproxy.url, proxy_ssl_context=tls["client_ctx"]) as pm:
        for i in range(3):
            assert pm.request("GET", origin.url(f"/id?id={i}")).data == str(i).encode()
    assert [q.target for q in sproxy.requests] == [origin.url(f"/id?id={i}") for i in range(3)]
    assert sproxy.connections_accepted == 1


def test_https_proxy_with_ca_certs_http_origin(sproxy, origin, tls):
    # urllib3's way: the pool's TLS settings reach the proxy.
    with ProxyManager(sproxy.url, ca_certs=tls["ca_file"]) as pm:
        assert pm.request("GET", origin.url("/id?id=ca")).data == b"ca"


def test_https_proxy_https_origin_tls_in_tls(sproxy, sorigin, tls):
    seen = len(sorigin.requests)
    with ProxyManager(sproxy.url, proxy_ssl_context=tls["client_ctx"], ca_certs=tls["ca_file"]) as pm:
        for i in range(5):
            r = pm.request("POST", sorigin.url("/echo"), body=f"b{i}".encode() * 5000)
            assert r.json()["body"] == f"b{i}" * 5000
        pool = pm.connection_from_url(sorigin.url("/"))
        conn = next(c for c in list(pool.pool.queue) if c is not None and c.sock is not None)
        assert isinstance(conn.sock, SSLTransport)
        assert conn.is_verified is True
        assert conn.proxy_is_verified is True
        assert conn.sock.version() is not None
        # Streamed and chunked, under a total deadline (the Reader then sets
        # the timeout on the transport itself).
        r = pm.request("GET", sorigin.url("/chunked?n=4"), preload_content=False, timeout=Timeout(total=5))
        assert b"".join(r.stream(3)) == b"chunk0chunk1chunk2chunk3"
        r.release_conn()
    assert sproxy.connects == [f"127.0.0.1:{sorigin.port}"]
    assert sproxy.connections_accepted == 1
    assert len(_origin_requests_since(sorigin, seen)) == 6


def test_https_proxy_untrusted_certificate_is_a_proxy_error(sproxy, sorigin, tls):
    # The proxy's certificate fails: the tunnel never opened. (ca_certs would
    # be loaded into the proxy's context too, as urllib3 does: none here.)
    with ProxyManager(sproxy.url, proxy_ssl_context=ssl.create_default_context()) as pm:
        with pytest.raises(MaxRetryError) as ei:
            pm.request("GET", sorigin.url("/"), retries=0)
    assert isinstance(ei.value.reason, ProxyError)
    assert isinstance(ei.value.reason.original_error, SSLError)
    assert sproxy.connects == []


def test_use_forwarding_for_https(sproxy, sorigin, tls):
    with ProxyManager(
        sproxy.url, proxy_ssl_context=tls["client_ctx"], use_forwarding_for_https=True, ca_certs=tls["ca_file"]
    ) as pm:
        for i in range(2):
            assert pm.request("GET", sorigin.url(f"/id?id=f{i}")).data == f"f{i}".encode()
    assert sproxy.connects == []
    assert [q.target for q in sproxy.requests] == [sorigin.url(f"/id?id=f{i}") for i in range(2)]
    assert sproxy.requests[0].header("Host") == f"127.0.0.1:{sorigin.port}"
    assert sproxy.connections_accepted == 1


def test_https_url_for_a_plain_http_proxy_hints_at_the_mistake(origin):
    listener, t = _raw_proxy(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        with ProxyManager(f"https://127.0.0.1:{listener.getsockname()[1]}") as pm:
            with pytest.raises(ProxyError) as ei:
                pm.request("GET", origin.url("/"), retries=False)
        assert "Your proxy appears to only use HTTP and not HTTPS" in str(ei.value)
    finally:
        _stop_raw_proxy(listener, t)


# ------------------------------------------------------------ configuration and errors


@pytest.mark.parametrize("url", ["localhost:8080", "socks5://127.0.0.1:1080", "ftp://127.0.0.1"])
def test_proxy_scheme_unknown(url):
    with pytest.raises(ProxySchemeUnknown):
        proxy_from_url(url)


def test_defaults_and_config():
    pm = ProxyManager("https://127.0.0.1", use_forwarding_for_https=True, proxy_assert_hostname="p.test")
    assert pm.proxy.port == 443
    assert pm.proxy_headers == {}
    assert pm.proxy_config.use_forwarding_for_https is True
    assert pm.proxy_config.assert_hostname == "p.test"
    assert pm.proxy_config.ssl_context is None
    assert proxy_from_url("http://127.0.0.1").proxy.port == 80
    pool = pm.connection_from_url("http://example.test/")
    assert (pool.scheme, pool.host, pool.port) == ("https", "127.0.0.1", 443)


def test_unreachable_proxy(origin, sorigin):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with ProxyManager(f"http://127.0.0.1:{port}") as pm:
        for url in (origin.url("/"), sorigin.url("/")):
            with pytest.raises(MaxRetryError) as ei:
                pm.request("GET", url, retries=0)
            assert isinstance(ei.value.reason, ProxyError)
            assert isinstance(ei.value.reason.original_error, NewConnectionError)


def test_forwarding_https_proxy_never_takes_the_origins_name_checks(sproxy, origin, tls):
    # urllib3 2.8's fix: the proxy's TLS session is checked with the proxy's
    # policy; an assert_hostname or assert_fingerprint meant for the origin
    # (wrong for the proxy) must not be applied to it.
    for kw in ({"proxy_ssl_context": tls["client_ctx"]}, {"ca_certs": tls["ca_file"]}):
        with ProxyManager(sproxy.url, assert_hostname="origin.invalid", assert_fingerprint="00" * 32, **kw) as pm:
            assert pm.request("GET", origin.url("/id?id=fw")).data == b"fw"


def test_forwarding_with_ssl_context_warns_as_urllib3(sproxy, tls):
    import urllib3

    for mod in (urllib3, pool_module):
        with pytest.warns(FutureWarning, match="proxy_ssl_context"):
            pm = mod.ProxyManager(sproxy.url, use_forwarding_for_https=True, ssl_context=tls["client_ctx"])
        assert pm.proxy_ssl_context is tls["client_ctx"]
        assert pm.proxy_config.ssl_context is None
