"""pool.contrib.socks: HTTP and HTTPS through SOCKS4, SOCKS4a, SOCKS5 and
SOCKS5h proxies, as urllib3.contrib.socks does it.

The proxy is :class:`SocksServer`, a small SOCKS4/4a/5 server of this file
(CONNECT only; SOCKS5 with no authentication or username/password, RFC 1928
and RFC 1929; SOCKS4 with a user id, and the 4a extension for host names). It
relays to the local test servers of httpserver.py and records every handshake:
the address type it was sent shows where the name was resolved (a domain name
for socks4a/socks5h, an IPv4 address for socks4/socks5).

Where an outcome is an error, the same scenario also runs on the real
urllib3.contrib.socks in this process, and the two must raise the same
exception classes with the same message.  Every case runs on both wire
implementations (the ``impl`` fixture).  requests with a ``socks5h://``
proxy runs in a subprocess, on pool installed as urllib3 and on urllib3.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time
import typing
from pathlib import Path

import pytest

pytest.importorskip("socks")

import urllib3  # noqa: E402
import urllib3.contrib.socks as u3socks  # noqa: E402

import pool  # noqa: E402
import pool.contrib.socks as psocks  # noqa: E402
from hostile import impl  # noqa: E402,F401
from httpserver import Server, tls_contexts  # noqa: E402
from loopback import ThreadedServer  # noqa: E402
from proxyserver import _pipe  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

pytestmark = pytest.mark.usefixtures("impl")

_SOCKET_TIMEOUT = 5.0
# Hosts the proxy connects to; anything else is refused as "not allowed".
_UPSTREAM = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1"}
# Longest SOCKS4 user id or host name read (they end at a NUL byte).
_MAX_NUL_FIELD = 1024

SCHEMES = ["socks4", "socks4a", "socks5", "socks5h"]
# Remote DNS: the proxy gets the name, not an address.
REMOTE_DNS = {"socks4": False, "socks4a": True, "socks5": False, "socks5h": True}

# SOCKS5 reply codes (RFC 1928 §6) and SOCKS4's.
_S5_OK, _S5_NOT_ALLOWED, _S5_REFUSED, _S5_BAD_COMMAND, _S5_BAD_ATYP = 0x00, 0x02, 0x05, 0x07, 0x08
_S4_GRANTED, _S4_REJECTED = 0x5A, 0x5B


@dataclasses.dataclass
class Handshake:
    """One SOCKS request as the proxy received it."""

    version: int
    address_type: str  # "ipv4", "domain" or "ipv6"
    host: str
    port: int
    username: str | None = None  # SOCKS5 user name or SOCKS4 user id
    password: str | None = None
    methods: bytes = b""  # SOCKS5 methods the client offered
    granted: bool = False


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    # Bounded: each pass adds at least one byte or ends.
    while len(buf) < n:
        data = sock.recv(n - len(buf))
        if not data:
            raise ConnectionError("peer closed during the SOCKS handshake")
        buf += data
    return buf


def _recv_nul_terminated(sock: socket.socket) -> bytes:
    buf = b""
    for _ in range(_MAX_NUL_FIELD):
        c = _recv_exact(sock, 1)
        if c == b"\x00":
            return buf
        buf += c
    raise ValueError("SOCKS4 field too long")


class SocksServer(ThreadedServer):
    """A SOCKS4/4a/5 proxy on 127.0.0.1 (CONNECT only); a context manager.

    :param users: SOCKS5 user name -> password; when given, username/password
        authentication (RFC 1929) is required, else no authentication.
    :param userid: the SOCKS4 user id required (None: any).
    :param reply: answer every CONNECT with this failure instead (a SOCKS5
        reply code; SOCKS4 clients get "rejected").
    :param silent: accept connections and never answer (a hung proxy).
    :param babble: answer every connection with these bytes and close it
        (a server that does not speak SOCKS).
    """

    thread_name = "socksserver"

    def __init__(
        self,
        users: dict[str, str] | None = None,
        userid: str | None = None,
        reply: int | None = None,
        silent: bool = False,
        babble: bytes | None = None,
    ) -> None:
        super().__init__("127.0.0.1")
        self.users = users
        self.userid = userid
        self.reply = reply
        self.silent = silent
        self.babble = babble
        self.handshakes: list[Handshake] = []
        self.errors: list[BaseException] = []

    def url(self, scheme: str, auth: str | None = None) -> str:
        return f"{scheme}://{auth + '@' if auth else ''}127.0.0.1:{self.port}"

    def _serve(self, sock: socket.socket, conn_id: int) -> None:
        upstream = None
        try:
            sock.settimeout(_SOCKET_TIMEOUT)
            if self.silent:
                self._stop.wait(_SOCKET_TIMEOUT)
                return
            if self.babble is not None:
                sock.recv(1024)
                sock.sendall(self.babble)
                return
            version = _recv_exact(sock, 1)[0]
            if version == 5:
                upstream = self._socks5(sock)
            elif version == 4:
                upstream = self._socks4(sock)
            if upstream is not None:
                _pipe(sock, upstream, self._stop)
        except (OSError, ValueError) as e:
            if not self._stop.is_set():
                self.errors.append(e)
        finally:
            if upstream is not None:
                upstream.close()
            sock.close()

    def _record(self, shake: Handshake) -> None:
        with self._lock:
            self.handshakes.append(shake)

    def _upstream(self, host: str, port: int) -> socket.socket | None:
        address = _UPSTREAM.get(host)
        if address is None:
            return None
        try:
            upstream = socket.create_connection((address, port), timeout=_SOCKET_TIMEOUT)
        except OSError:
            return None
        self._track(upstream)
        return upstream

    def _socks5(self, sock: socket.socket) -> socket.socket | None:
        methods = _recv_exact(sock, _recv_exact(sock, 1)[0])
        wanted = 0x02 if self.users is not None else 0x00
        if wanted not in methods:
            sock.sendall(b"\x05\xff")
            return None
        sock.sendall(bytes([5, wanted]))
        username = password = None
        if wanted == 0x02:
            if _recv_exact(sock, 1) != b"\x01":
                raise ValueError("bad RFC 1929 version")
            username = _recv_exact(sock, _recv_exact(sock, 1)[0]).decode("utf-8")
            password = _recv_exact(sock, _recv_exact(sock, 1)[0]).decode("utf-8")
            assert self.users is not None
            if self.users.get(username) != password:
                sock.sendall(b"\x01\x01")
                self._record(Handshake(5, "", "", 0, username, password, methods))
                return None
            sock.sendall(b"\x01\x00")

        _ver, command, _rsv, atyp = _recv_exact(sock, 4)
        if atyp == 1:
            kind, host = "ipv4", socket.inet_ntoa(_recv_exact(sock, 4))
        elif atyp == 3:
            kind, host = "domain", _recv_exact(sock, _recv_exact(sock, 1)[0]).decode("ascii")
        elif atyp == 4:
            kind, host = "ipv6", socket.inet_ntop(socket.AF_INET6, _recv_exact(sock, 16))
        else:
            self._reply5(sock, _S5_BAD_ATYP)
            return None
        port = struct.unpack("!H", _recv_exact(sock, 2))[0]
        shake = Handshake(5, kind, host, port, username, password, methods)
        self._record(shake)

        if command != 1:
            self._reply5(sock, _S5_BAD_COMMAND)
            return None
        if self.reply is not None:
            self._reply5(sock, self.reply)
            return None
        if host not in _UPSTREAM:
            self._reply5(sock, _S5_NOT_ALLOWED)
            return None
        upstream = self._upstream(host, port)
        if upstream is None:
            self._reply5(sock, _S5_REFUSED)
            return None
        shake.granted = True
        self._reply5(sock, _S5_OK)
        return upstream

    @staticmethod
    def _reply5(sock: socket.socket, code: int) -> None:
        # VER REP RSV ATYP=IPv4 BND.ADDR=0.0.0.0 BND.PORT=0
        sock.sendall(bytes([5, code, 0, 1]) + b"\x00" * 6)

    def _socks4(self, sock: socket.socket) -> socket.socket | None:
        command = _recv_exact(sock, 1)[0]
        port = struct.unpack("!H", _recv_exact(sock, 2))[0]
        ip = _recv_exact(sock, 4)
        userid = _recv_nul_terminated(sock).decode("utf-8")
        if ip[:3] == b"\x00\x00\x00" and ip[3] != 0:
            # SOCKS4a: 0.0.0.x, then the host name for the proxy to resolve.
            kind, host = "domain", _recv_nul_terminated(sock).decode("ascii")
        else:
            kind, host = "ipv4", socket.inet_ntoa(ip)
        shake = Handshake(4, kind, host, port, userid or None)
        self._record(shake)
        upstream = None
        if command == 1 and self.reply is None and (self.userid is None or userid == self.userid):
            upstream = self._upstream(host, port)
        # VN=0 CD DSTPORT DSTIP (ignored by the client)
        sock.sendall(bytes([0, _S4_GRANTED if upstream else _S4_REJECTED]) + b"\x00" * 6)
        shake.granted = upstream is not None
        return upstream


def _closed_port() -> int:
    # A port nothing listens on (just released).
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _outcome(
    module: typing.Any, proxy_url: str, url: str, manager_kw: dict[str, typing.Any] | None = None, **kw: typing.Any
) -> tuple[typing.Any, ...]:
    """One GET through ``module.SOCKSProxyManager``: ("ok", status, body) or
    the exception's class name, its reason's class name and message."""
    manager = module.SOCKSProxyManager(proxy_url, **(manager_kw or {}))
    try:
        r = manager.request("GET", url, **kw)
    except Exception as e:  # the outcome under comparison
        reason = getattr(e, "reason", None)
        if reason is None:
            return (type(e).__name__, None, _message(e))
        return (type(e).__name__, type(reason).__name__, _message(reason))
    finally:
        manager.clear()
    return ("ok", r.status, r.data)


def _message(e: BaseException) -> str:
    # The message without the connection's repr (whose form differs).
    message = getattr(e, "_message", None)
    if message is not None:
        return str(message)
    text = str(e.args[-1]) if e.args else str(e)
    return text.split(": ", 1)[-1] if "Connection(" in text or " object at " in text else text


def _same_as_urllib3(
    proxy_url: str, url: str, manager_kw: dict[str, typing.Any] | None = None, **kw: typing.Any
) -> tuple[typing.Any, ...]:
    assert urllib3.PoolManager.__module__.startswith("urllib3"), "urllib3 is pool in this process"
    ours = _outcome(psocks, proxy_url, url, manager_kw, **kw)
    theirs = _outcome(u3socks, proxy_url, url, manager_kw, **kw)
    assert ours == theirs
    return ours


# ------------------------------------------------------------------ the API


def test_same_api_as_urllib3():
    for name in (
        "SOCKSConnection",
        "SOCKSHTTPSConnection",
        "SOCKSHTTPConnectionPool",
        "SOCKSHTTPSConnectionPool",
        "SOCKSProxyManager",
    ):
        ours, theirs = getattr(psocks, name), getattr(u3socks, name)
        assert str(inspect.signature(ours.__init__)) == str(inspect.signature(theirs.__init__)), name
    assert typing.get_type_hints(psocks._TYPE_SOCKS_OPTIONS) == typing.get_type_hints(u3socks._TYPE_SOCKS_OPTIONS)
    assert issubclass(psocks.SOCKSConnection, pool.connection.HTTPConnection)
    assert issubclass(psocks.SOCKSHTTPSConnection, pool.connection.HTTPSConnection)
    assert issubclass(psocks.SOCKSHTTPSConnectionPool, pool.HTTPSConnectionPool)
    assert issubclass(psocks.SOCKSProxyManager, pool.PoolManager)
    assert psocks.SOCKSHTTPConnectionPool.ConnectionCls is psocks.SOCKSConnection
    assert psocks.SOCKSHTTPSConnectionPool.ConnectionCls is psocks.SOCKSHTTPSConnection


def test_keeps_pools_one_call_request_path():
    # Only _new_conn is overridden: no http.client hook, so requests are
    # serialized by pool's wire layer, not sent through putrequest & co.
    assert psocks.SOCKSConnection._choose_request_path() is False
    assert psocks.SOCKSHTTPSConnection._choose_request_path() is False


@pytest.mark.parametrize(
    "url, expected",
    [
        ("socks5://127.0.0.1:1080", (2, False, None, None)),
        ("socks5h://u:p@127.0.0.1:1080", (2, True, "u", "p")),
        ("socks4://127.0.0.1:1080", (1, False, None, None)),
        ("socks4a://id@127.0.0.1:1080", (1, True, "id", None)),
        ("socks5h://us%40er:p%3Ass%C3%A9@127.0.0.1:1080", (2, True, "us@er", "p:ssé")),
        ("socks5h://u:@127.0.0.1:1080", (2, True, "u", "")),
    ],
)
def test_options_from_the_proxy_url(url, expected):
    ours = psocks.SOCKSProxyManager(url).connection_pool_kw["_socks_options"]
    theirs = u3socks.SOCKSProxyManager(url).connection_pool_kw["_socks_options"]
    assert ours == theirs
    assert (ours["socks_version"], ours["rdns"], ours["username"], ours["password"]) == expected
    assert (ours["proxy_host"], ours["proxy_port"]) == ("127.0.0.1", 1080)


def test_arguments_override_the_url_credentials():
    m = psocks.SOCKSProxyManager("socks5h://a:b@127.0.0.1:1080", username="c", password="d")
    assert (m.connection_pool_kw["_socks_options"]["username"], m.connection_pool_kw["_socks_options"]["password"]) == (
        "c",
        "d",
    )
    m = psocks.SOCKSProxyManager("socks5h://a:b@127.0.0.1:1080", username="c")
    assert m.connection_pool_kw["_socks_options"]["password"] is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:1080", "socks6://127.0.0.1:1080", "127.0.0.1:1080"])
def test_unknown_scheme_is_a_value_error(url):
    with pytest.raises(ValueError) as ours:
        psocks.SOCKSProxyManager(url)
    with pytest.raises(ValueError) as theirs:
        u3socks.SOCKSProxyManager(url)
    assert str(ours.value) == str(theirs.value) == f"Unable to determine SOCKS version from {url}"


# ------------------------------------------------------------------ requests through the proxy


@pytest.mark.parametrize("scheme", SCHEMES)
def test_get_and_post(scheme):
    with Server() as server, SocksServer() as proxy:
        with psocks.SOCKSProxyManager(proxy.url(scheme)) as http:
            url = f"http://localhost:{server.port}/echo"
            r = http.request("GET", url + "?a=1")
            assert r.status == 200
            got = json.loads(r.data)
            assert (got["method"], got["target"]) == ("GET", "/echo?a=1")
            assert dict(got["headers"])["Host"] == f"localhost:{server.port}"
            r = http.request("POST", url, body=b"x" * 100000, headers={"Content-Type": "application/octet-stream"})
            got = json.loads(r.data)
            assert (got["method"], got["body"]) == ("POST", "x" * 100000)
            r = http.request("POST", url, fields={"k": "v"}, encode_multipart=False)
            assert json.loads(r.data)["body"] == "k=v"
        assert not proxy.errors, proxy.errors

    assert len(proxy.handshakes) == 1, proxy.handshakes  # one connection for all three
    shake = proxy.handshakes[0]
    assert shake.version == (5 if scheme.startswith("socks5") else 4)
    assert shake.port == server.port and shake.granted
    if REMOTE_DNS[scheme]:
        assert (shake.address_type, shake.host) == ("domain", "localhost")
    else:
        assert (shake.address_type, shake.host) == ("ipv4", "127.0.0.1")
    if shake.version == 5:
        assert shake.methods == b"\x00"  # no credentials: no-auth offered only
    assert server.connections_accepted == 1


@pytest.mark.parametrize("scheme", ["socks5", "socks5h"])
def test_same_handshake_as_urllib3(scheme):
    with Server() as server, SocksServer() as proxy:
        url = f"http://localhost:{server.port}/id?id=7"
        assert _same_as_urllib3(proxy.url(scheme), url) == ("ok", 200, b"7")
    ours, theirs = proxy.handshakes
    assert ours == theirs


def test_connection_reuse_one_handshake():
    with Server() as server, SocksServer() as proxy:
        with psocks.SOCKSProxyManager(proxy.url("socks5h")) as http:
            for _ in range(2):
                r = http.request("GET", f"http://localhost:{server.port}/conn")
                assert r.data == b"1"
            assert http.stats()["opened"] == 1
    assert len(proxy.handshakes) == 1
    assert proxy.connections_accepted == 1 and server.connections_accepted == 1


def test_reconnects_through_the_proxy_after_the_server_closes():
    # An idle connection the origin closed is dropped at checkout; the next
    # request opens a new one, with a new handshake.
    with Server(idle_close=0.2) as server, SocksServer() as proxy:
        with psocks.SOCKSProxyManager(proxy.url("socks5h")) as http:
            assert http.request("GET", f"http://localhost:{server.port}/conn").data == b"1"
            for _ in range(100):  # until the server has closed it (at most 5 s)
                if server.open_connections == 0:
                    break
                time.sleep(0.05)
            time.sleep(0.05)  # the relay passes the close on
            assert http.request("GET", f"http://localhost:{server.port}/conn").data == b"2"
    assert len(proxy.handshakes) == 2 and all(s.granted for s in proxy.handshakes)


def test_streamed_response_and_release():
    with Server() as server, SocksServer() as proxy:
        with psocks.SOCKSProxyManager(proxy.url("socks5h")) as http:
            r = http.request("GET", f"http://localhost:{server.port}/chunked?n=5", preload_content=False)
            assert b"".join(r.stream(3)) == b"chunk0chunk1chunk2chunk3chunk4"
            r.release_conn()
            assert http.request("GET", f"http://localhost:{server.port}/conn").data == b"1"
    assert len(proxy.handshakes) == 1


def test_pools_per_origin_share_the_proxy():
    with Server() as one, Server() as two, SocksServer() as proxy:
        with psocks.SOCKSProxyManager(proxy.url("socks5h")) as http:
            assert http.request("GET", f"http://localhost:{one.port}/id?id=a").data == b"a"
            assert http.request("GET", f"http://127.0.0.1:{two.port}/id?id=b").data == b"b"
            assert len(http.pools) == 2
            assert all(type(p) is psocks.SOCKSHTTPConnectionPool for p in http.pools._container.values())
    assert [(s.address_type, s.port) for s in proxy.handshakes] == [("domain", one.port), ("ipv4", two.port)]


# ------------------------------------------------------------------ authentication


def test_socks5_username_password_from_url_percent_decoded():
    users = {"us@er": "p:ssé"}
    with Server() as server, SocksServer(users=users) as proxy:
        proxy_url = proxy.url("socks5h", "us%40er:p%3Ass%C3%A9")
        assert _same_as_urllib3(proxy_url, f"http://localhost:{server.port}/id?id=ok") == ("ok", 200, b"ok")
    for shake in proxy.handshakes:
        assert (shake.username, shake.password) == ("us@er", "p:ssé")
        assert set(shake.methods) == {0x00, 0x02} and shake.granted


def test_socks5_username_password_arguments():
    with Server() as server, SocksServer(users={"alice": "secret"}) as proxy:
        with psocks.SOCKSProxyManager(proxy.url("socks5", "x:y"), username="alice", password="secret") as http:
            assert http.request("GET", f"http://127.0.0.1:{server.port}/id?id=1").data == b"1"
    assert (proxy.handshakes[0].username, proxy.handshakes[0].password) == ("alice", "secret")


@pytest.mark.parametrize("auth", ["alice:wrong", None])
def test_socks5_auth_failure_as_urllib3(auth):
    # A wrong password (the server says so), or no credentials for a proxy
    # that requires them (no acceptable method).
    with Server() as server, SocksServer(users={"alice": "secret"}) as proxy:
        outcome = _same_as_urllib3(proxy.url("socks5h", auth), f"http://localhost:{server.port}/", retries=1)
    assert outcome[:2] == ("MaxRetryError", "NewConnectionError"), outcome
    assert outcome[2].startswith("Failed to establish a new connection: ")
    assert server.connections_accepted == 0


def test_socks5_auth_failure_with_retries_off_raises_new_connection_error():
    with SocksServer(users={"alice": "secret"}) as proxy:
        with psocks.SOCKSProxyManager(proxy.url("socks5h", "alice:nope")) as http:
            with pytest.raises(pool.exceptions.NewConnectionError) as info:
                http.request("GET", "http://localhost:1/", retries=False)
    assert "Failed to establish a new connection" in str(info.value)


@pytest.mark.parametrize("scheme", ["socks4", "socks4a"])
def test_socks4_user_id(scheme):
    with Server() as server, SocksServer(userid="alice") as proxy:
        assert _same_as_urllib3(proxy.url(scheme, "alice"), f"http://localhost:{server.port}/id?id=4") == (
            "ok",
            200,
            b"4",
        )
        outcome = _same_as_urllib3(proxy.url(scheme, "mallory"), f"http://localhost:{server.port}/id?id=4", retries=0)
    assert outcome[:2] == ("MaxRetryError", "NewConnectionError"), outcome
    assert [s.username for s in proxy.handshakes] == ["alice", "alice", "mallory", "mallory"]
    assert [s.granted for s in proxy.handshakes] == [True, True, False, False]


# ------------------------------------------------------------------ HTTPS through the proxy


@pytest.mark.parametrize("scheme", ["socks5", "socks5h", "socks4a"])
def test_https_through_socks(scheme, tmp_path):
    tls = tls_contexts(tmp_path)
    with Server(ssl_context=tls["server_ctx"]) as server, SocksServer() as proxy:
        url = f"https://localhost:{server.port}/echo"
        with psocks.SOCKSProxyManager(proxy.url(scheme), ca_certs=tls["ca_file"]) as http:
            r = http.request("POST", url, body=b"secret body")
            assert r.status == 200 and json.loads(r.data)["body"] == "secret body"
            assert http.request("GET", url).status == 200
            conn_pool = http.connection_from_url(url)
            assert type(conn_pool) is psocks.SOCKSHTTPSConnectionPool
            conn = conn_pool._get_conn()
            try:
                assert type(conn) is psocks.SOCKSHTTPSConnection
                assert conn.is_verified and conn.sock is not None
            finally:
                conn_pool._put_conn(conn)
        # The same through urllib3.
        assert _same_as_urllib3(proxy.url(scheme), url, {"ca_certs": tls["ca_file"]})[:2] == ("ok", 200)
    # The proxy saw only the handshake and ciphertext; TLS ran end to end.
    assert not server.handshake_errors
    assert proxy.handshakes[0].address_type == ("domain" if REMOTE_DNS[scheme] else "ipv4")


def test_https_through_socks_unknown_ca_as_urllib3(tmp_path):
    tls = tls_contexts(tmp_path)
    with Server(ssl_context=tls["server_ctx"]) as server, SocksServer() as proxy:
        outcome = _same_as_urllib3(proxy.url("socks5h"), f"https://localhost:{server.port}/", retries=0)
    assert outcome[:2] == ("MaxRetryError", "SSLError"), outcome


# ------------------------------------------------------------------ failures


def test_proxy_down_as_urllib3():
    proxy_url = f"socks5h://127.0.0.1:{_closed_port()}"
    outcome = _same_as_urllib3(proxy_url, "http://localhost:1/")
    assert outcome[:2] == ("MaxRetryError", "NewConnectionError"), outcome
    assert "Connection refused" in outcome[2] or "refused" in outcome[2].lower()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_proxy_refuses_to_connect_as_urllib3(scheme):
    # The origin is down: the proxy answers "connection refused" (SOCKS5)
    # or "rejected" (SOCKS4).
    with SocksServer() as proxy:
        outcome = _same_as_urllib3(proxy.url(scheme), f"http://localhost:{_closed_port()}/", retries=1)
    assert outcome[:2] == ("MaxRetryError", "NewConnectionError"), outcome
    assert len(proxy.handshakes) == 4 and not any(s.granted for s in proxy.handshakes)


def test_proxy_forbids_the_destination_as_urllib3():
    with SocksServer(reply=_S5_NOT_ALLOWED) as proxy:
        outcome = _same_as_urllib3(proxy.url("socks5h"), "http://localhost:1/", retries=0)
    assert outcome[:2] == ("MaxRetryError", "NewConnectionError"), outcome
    assert "not allowed" in outcome[2]


def test_silent_proxy_is_a_connect_timeout_as_urllib3():
    with SocksServer(silent=True) as proxy:
        outcome = _same_as_urllib3(proxy.url("socks5h"), "http://localhost:1/", retries=False, timeout=0.3)
    assert outcome[:2] == ("ConnectTimeoutError", None), outcome
    assert "timed out" in outcome[2]


def test_not_a_socks_proxy_as_urllib3():
    # An HTTP server where the SOCKS proxy should be: it answers the
    # greeting with an HTTP error.
    with SocksServer(babble=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as proxy:
        for scheme in ("socks5h", "socks4a"):
            outcome = _same_as_urllib3(proxy.url(scheme), "http://localhost:1/", retries=0)
            assert outcome[:2] == ("MaxRetryError", "NewConnectionError"), outcome
            assert "invalid data" in outcome[2], outcome


# ------------------------------------------------------------------ install_as_urllib3 and requests


_REQUESTS_CHILD = """
import json, sys
backend, impl, proxy, url = sys.argv[1:5]
if backend == "pool":
    import pool
    pool.install_as_urllib3()
    if impl == "py":
        import pool._wire_py, pool.connection
        pool.connection.Reader = pool._wire_py.Reader
        pool.connection.serialize_request = pool._wire_py.serialize_request
import requests
import urllib3.contrib.socks
proxies = {"http": proxy, "https": proxy}
with requests.Session() as s:
    r1 = s.get(url + "/echo?q=1", proxies=proxies, timeout=10)
    r2 = s.post(url + "/echo", data=b"payload", proxies=proxies, timeout=10)
    r3 = s.get(url + "/conn", proxies=proxies, timeout=10)
    try:
        s.get(url + "/", proxies={"http": proxy.replace("alice:s%40cret", "alice:wrong")}, timeout=10)
    except Exception as e:
        error = [type(e).__module__ + "." + type(e).__name__, type(e.args[0].reason).__name__]
    else:
        error = None
e1, e2 = r1.json(), r2.json()
print(json.dumps({
    "module": urllib3.contrib.socks.SOCKSProxyManager.__module__,
    "adapter_uses": requests.adapters.SOCKSProxyManager.__module__,
    "get": [r1.status_code, e1["method"], e1["target"], dict(e1["headers"])["Host"]],
    "post": [r2.status_code, e2["method"], e2["body"]],
    "conn": r3.text,
    "error": error,
}))
"""


def _run_requests_child(backend: str, impl_name: str, proxy: str, url: str) -> dict[str, typing.Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_REQUESTS_CHILD), backend, impl_name, proxy, url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=str(ROOT),
    )
    assert proc.returncode == 0, f"{backend} child failed:\n{proc.stdout}\n{proc.stderr}"
    result: dict[str, typing.Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_requests_socks5h_proxy_on_pool(impl):
    pytest.importorskip("requests")
    impl_name = "c" if impl.__name__.endswith("_c") else "py"
    results, shakes = {}, {}
    for backend in ("pool", "urllib3"):
        with Server() as server, SocksServer(users={"alice": "s@cret"}) as proxy:
            url = f"http://localhost:{server.port}"
            results[backend] = _run_requests_child(backend, impl_name, proxy.url("socks5h", "alice:s%40cret"), url)
            # Ports differ between the two runs; the rest must not.
            shakes[backend] = [dataclasses.replace(s, port=s.port == server.port) for s in proxy.handshakes]
            results[backend]["get"][3] = results[backend]["get"][3] == f"localhost:{server.port}"
    on_pool, on_urllib3 = results["pool"], results["urllib3"]

    assert on_pool["module"] == on_pool["adapter_uses"] == "pool.contrib.socks"
    assert on_urllib3["module"] == "urllib3.contrib.socks"
    assert on_pool["get"] == [200, "GET", "/echo?q=1", True]
    assert on_pool["post"] == [200, "POST", "payload"]
    assert on_pool["conn"] == "1"  # one connection for the session's three requests
    assert on_pool["error"] == ["requests.exceptions.ConnectionError", "NewConnectionError"]
    for key in ("get", "post", "conn", "error"):
        assert on_pool[key] == on_urllib3[key], key
    # Remote DNS, credentials percent-decoded by requests; the same handshakes.
    assert shakes["pool"] == shakes["urllib3"]
    first = shakes["pool"][0]
    assert (first.address_type, first.host, first.username, first.password) == (
        "domain",
        "localhost",
        "alice",
        "s@cret",
    )
    assert first.port is True and first.granted
    assert sum(s.granted for s in shakes["pool"]) == 1


def test_install_maps_socks_module_lazily():
    # Installing imports nothing of SOCKS; the first import of
    # urllib3.contrib.socks gives pool's module object.
    code = textwrap.dedent(
        """
        import json, sys
        import pool
        pool.install_as_urllib3()
        before = "socks" in sys.modules or "pool.contrib.socks" in sys.modules
        import importlib.util
        spec_found = importlib.util.find_spec("urllib3.contrib.socks") is not None
        from urllib3.contrib.socks import SOCKSProxyManager
        import urllib3.contrib.socks, pool.contrib.socks, urllib3.contrib
        print(json.dumps({
            "before": before,
            "spec_found": spec_found,
            "same": urllib3.contrib.socks is pool.contrib.socks is sys.modules["urllib3.contrib.socks"],
            "attr": urllib3.contrib.socks is urllib3.contrib.socks,
            "cls": SOCKSProxyManager is pool.contrib.socks.SOCKSProxyManager,
            "spec_name": pool.contrib.socks.__spec__.name,
        }))
        """
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=str(ROOT)
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {
        "before": False,
        "spec_found": True,
        "same": True,
        "attr": True,
        "cls": True,
        "spec_name": "pool.contrib.socks",
    }


_MISSING_PYSOCKS_CHILD = """
import json, sys, warnings
sys.modules["socks"] = None  # PySocks not installed
if sys.argv[1] == "pool":
    import pool
    pool.install_as_urllib3()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        import urllib3.contrib.socks
    except ImportError as e:
        error = [type(e).__name__, e.name]
    else:
        error = None
import requests  # probes for SOCKS support and copes without it
try:
    requests.get("http://localhost:1/", proxies={"http": "socks5h://127.0.0.1:1"})
except Exception as e:
    requests_error = [type(e).__name__, str(e)]
print(json.dumps({
    "error": error,
    "warnings": [[w.category.__name__, str(w.message)] for w in caught],
    "left": "urllib3.contrib.socks" in sys.modules,
    "requests": requests_error,
}))
"""


def test_without_pysocks_as_urllib3():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    results = {}
    for backend in ("pool", "urllib3"):
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_MISSING_PYSOCKS_CHILD), backend],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=str(ROOT),
        )
        assert proc.returncode == 0, proc.stderr
        results[backend] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["pool"] == results["urllib3"]
    assert results["pool"]["error"] == ["ModuleNotFoundError", "socks"]
    assert [w[0] for w in results["pool"]["warnings"]] == ["DependencyWarning"]
    assert "PySocks" in results["pool"]["warnings"][0][1]
    assert results["pool"]["left"] is False
    assert results["pool"]["requests"] == ["InvalidSchema", "Missing dependencies for SOCKS support."]


def test_import_without_pysocks_warns_and_raises():
    # pool.contrib.socks itself, not through install_as_urllib3().
    code = textwrap.dedent(
        """
        import sys, warnings
        sys.modules["socks"] = None
        warnings.simplefilter("error")
        try:
            import pool.contrib.socks
        except Warning as w:
            print(type(w).__module__, type(w).__name__)
        """
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=str(ROOT)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["pool.exceptions", "DependencyWarning"]
