"""Hostile servers, TLS only: how a TLS connection ends (close_notify or not,
a reset, an alert, a garbage record), handshakes followed at once by an
EOF, a TLS 1.3 KeyUpdate and a TLS 1.2 renegotiation in the middle of a
response, bytes hidden in the TLS layer's buffer after a body, and
redirects from https to http.

Every row of :data:`CASES` runs against pool (both wire implementations) and
against urllib3 2.8 in the same run (the ``client`` fixture), under TLS 1.2
and TLS 1.3 unless the row is about one version; it states the one outcome
both give (or, in a column of its own, urllib3's where it differs).  After
each row a second request must get its own response, on a new connection
unless the first left the old one clean, and a failed connection is never
kept open in the pool.

What the rows show about truncation (RFC 8446 section 6.1; RFC 9112 section
9.8): a Content-Length or chunked body cut short is an error whether or not
close_notify came, as over plain HTTP.  A close-delimited body (no
Content-Length, not chunked) ends at the first EOF, with or without
close_notify, and even at a reset where the ssl module reports that as an
EOF in violation of protocol (up to CPython 3.12; from 3.13 a reset is a
ConnectionResetError, and the body fails): neither pool nor urllib3 can tell
such a body from a truncated one.
"""

from __future__ import annotations

import time
import typing
import warnings

import pytest
import hostile
from hostile import (  # noqa: F401
    CLOSE,
    HALF_CLOSE,
    HANG,
    KEY_UPDATE,
    RENEGOTIATE,
    RESET,
    TRUNCATE,
    HostileServer,
    Pause,
    Raw,
    client,
    client_kw,
    client_pool,
    impl,
    response,
)

import pool
import pool.exceptions

urllib3 = pytest.importorskip("urllib3")

OK_LEN10 = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
OK_TE = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
CLOSE_DELIMITED = b"HTTP/1.1 200 OK\r\n\r\npartial"
SECOND = response(b"second")
SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL"
# An application-data record whose "ciphertext" is junk: it fails to decrypt.
GARBAGE_RECORD = b"\x17\x03\x03\x00\x20" + b"\xa5" * 32
# A fatal handshake_failure alert sent in the clear after the handshake,
# where only encrypted records may come.
ALERT_IN_CLEAR = b"\x15\x03\x03\x00\x02\x02\x28"
BOTH = ("TLSv1.2", "TLSv1.3")


class Case(typing.NamedTuple):
    id: str
    #: the first response's script
    script: list
    #: the body, or the exception class or classes (pool.exceptions; for
    #: urllib3, its classes of the same names)
    expected: typing.Any
    #: whether the second request goes out on the first one's connection
    reused: bool = False
    versions: tuple = BOTH
    #: played on the first connection right after the handshake
    greeting: typing.Any = None
    #: wait this long before the second request (for what the server sends
    #: after the first response)
    settle: float = 0.0
    #: what the server must have seen ("key-update", "renegotiated")
    events: tuple = ()
    #: urllib3's outcome where it differs from pool's (never over TLS alone:
    #: the same rows differ over plain HTTP)
    urllib3: typing.Any = None


CASES = [
    # -- Content-Length: short is short, close_notify or not
    Case("cl-mid-body-no-close-notify", [OK_LEN10 + b"hello", TRUNCATE], pool.exceptions.ProtocolError),
    Case("cl-mid-body-close-notify", [OK_LEN10 + b"hello", CLOSE], pool.exceptions.ProtocolError),
    Case("cl-mid-body-close-notify-no-fin", [OK_LEN10 + b"hello", HALF_CLOSE, HANG], pool.exceptions.ProtocolError),
    Case("cl-mid-body-reset", [OK_LEN10 + b"hello", Pause(0.05), RESET], pool.exceptions.ProtocolError),
    # urllib3 (http.client) takes a head cut off mid-line as a whole head, and
    # the EOF as the end of an empty close-delimited body.
    Case(
        "cl-mid-head-no-close-notify",
        [b"HTTP/1.1 200 OK\r\nContent-Le", TRUNCATE],
        pool.exceptions.ProtocolError,
        urllib3=b"",
    ),
    Case("cl-exact-end-no-close-notify", [response(b"hello"), TRUNCATE], b"hello"),
    Case("cl-exact-end-close-notify", [response(b"hello"), CLOSE], b"hello"),
    # -- chunked
    Case("chunked-mid-chunk-no-close-notify", [OK_TE + b"a\r\nhello", TRUNCATE], pool.exceptions.ProtocolError),
    Case(
        "chunked-between-chunks-no-close-notify", [OK_TE + b"5\r\nhello\r\n", TRUNCATE], pool.exceptions.ProtocolError
    ),
    # urllib3 (http.client) reads an EOF instead of the blank line after the
    # last chunk as the end of the trailers.
    Case(
        "chunked-before-last-crlf-no-close-notify",
        [OK_TE + b"5\r\nhello\r\n0\r\n", TRUNCATE],
        pool.exceptions.ProtocolError,
        urllib3=b"hello",
    ),
    Case("chunked-mid-chunk-close-notify", [OK_TE + b"a\r\nhello", CLOSE], pool.exceptions.ProtocolError),
    Case("chunked-complete-no-close-notify", [OK_TE + b"5\r\nhello\r\n0\r\n\r\n", TRUNCATE], b"hello"),
    # -- close-delimited: the first EOF ends it, whatever kind (as urllib3)
    Case("close-delimited-close-notify", [CLOSE_DELIMITED, CLOSE], b"partial"),
    Case("close-delimited-no-close-notify", [CLOSE_DELIMITED, TRUNCATE], b"partial"),
    # A reset is an EOF where the ssl module says so (up to CPython 3.12),
    # else an error (3.13): for pool and urllib3 alike.
    Case(
        "close-delimited-reset",
        [CLOSE_DELIMITED, Pause(0.05), RESET],
        b"partial" if hostile.tls_reset_reads_as_eof() else pool.exceptions.ProtocolError,
    ),
    Case("http10-close-delimited-no-close-notify", [b"HTTP/1.0 200 OK\r\n\r\npartial", TRUNCATE], b"partial"),
    # -- records that are not what they should be: SSLError, as urllib3
    Case("garbage-record-mid-body", [OK_LEN10 + b"hello", Raw(GARBAGE_RECORD), HANG], pool.exceptions.SSLError),
    Case(
        "garbage-record-mid-chunked", [OK_TE + b"5\r\nhello\r\n", Raw(GARBAGE_RECORD), HANG], pool.exceptions.SSLError
    ),
    Case("garbage-record-before-head", [Raw(GARBAGE_RECORD), HANG], pool.exceptions.SSLError),
    Case("alert-in-clear-mid-body", [OK_LEN10 + b"hello", Raw(ALERT_IN_CLEAR), HANG], pool.exceptions.SSLError),
    Case("plaintext-response-after-handshake", [Raw(SECOND), HANG], pool.exceptions.SSLError),
    # -- the server ends the connection right after the handshake
    Case("handshake-then-eof-no-close-notify", [], pool.exceptions.ProtocolError, greeting=[TRUNCATE]),
    Case("handshake-then-close-notify", [], pool.exceptions.ProtocolError, greeting=[CLOSE]),
    # The reset meets the request being written (an EOF in violation of
    # protocol: SSLError) or, later, the read of the response (ProtocolError).
    Case("handshake-then-reset", [], (pool.exceptions.SSLError, pool.exceptions.ProtocolError), greeting=[RESET]),
    # -- post-handshake messages: transparent inside a response
    Case(
        "key-update-mid-body",
        [OK_LEN10 + b"hello", KEY_UPDATE, b"world"],
        b"helloworld",
        True,
        ("TLSv1.3",),
        events=("key-update",),
    ),
    Case(
        "key-update-mid-chunked",
        [OK_TE + b"5\r\nhello\r\n", KEY_UPDATE, b"5\r\nworld\r\n0\r\n\r\n"],
        b"helloworld",
        True,
        ("TLSv1.3",),
        events=("key-update",),
    ),
    Case(
        "key-update-before-head", [KEY_UPDATE, response(b"hello")], b"hello", True, ("TLSv1.3",), events=("key-update",)
    ),
    Case(
        "renegotiation-mid-body",
        [OK_LEN10 + b"hello", RENEGOTIATE, b"world"],
        b"helloworld",
        True,
        ("TLSv1.2",),
        events=("renegotiated",),
    ),
    Case(
        "renegotiation-before-head",
        [RENEGOTIATE, response(b"hello")],
        b"hello",
        True,
        ("TLSv1.2",),
        events=("renegotiated",),
    ),
    # ... and between responses, the idle connection has spoken: it is not
    # reused (a new connection, no error).
    Case(
        "key-update-while-idle",
        [response(b"hello"), KEY_UPDATE],
        b"hello",
        False,
        ("TLSv1.3",),
        settle=0.1,
        events=("key-update",),
    ),
]

PARAMS = [pytest.param(c, v, id=f"{c.id}-{v}") for c in CASES for v in c.versions]
NEEDS_OPENSSL_CALLS = (KEY_UPDATE, RENEGOTIATE)


def _idle_open(p: typing.Any) -> int:
    """Open connections waiting in a pool (pool's or urllib3's)."""
    return sum(1 for c in list(p.pool.queue) if c is not None and c.sock is not None)


def _run_case(module: typing.Any, case: Case, version: str) -> None:
    if any(s in NEEDS_OPENSSL_CALLS for s in case.script) and not hostile.tls_control_available():
        pytest.skip("KeyUpdate and renegotiation need OpenSSL calls this interpreter doesn't allow")
    if case.greeting is None:
        greeting, scripts = None, [case.script, [SECOND]]
    else:
        # The first connection ends before a request is read.
        greeting, scripts = (lambda i: case.greeting if i == 0 else None), [[SECOND]]
    with HostileServer(scripts, tls=version, greeting=greeting) as srv:
        p = client_pool(srv, module=module, maxsize=1, timeout=3, retries=False)
        start = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # verified TLS: no InsecureRequestWarning
            expected = case.expected if module is pool or case.urllib3 is None else case.urllib3
            if isinstance(expected, bytes):
                assert p.request("GET", "/first").data == expected
            else:
                classes = expected if isinstance(expected, tuple) else (expected,)
                with pytest.raises(tuple(getattr(module.exceptions, c.__name__) for c in classes)):
                    p.request("GET", "/first")
                # The broken connection was closed, not kept for reuse.
                assert _idle_open(p) == 0
            if case.settle:
                time.sleep(case.settle)
            elif not case.reused:
                # The first connection is over (closed by the server, or by
                # the client after an error) before the next request: whether
                # its end is seen at checkout is not what the row is about.
                assert srv.wait_closed(2)
            assert p.request("GET", "/second").data == b"second"
        assert time.monotonic() - start < 5
        assert srv.accepted == (1 if case.reused else 2)
        assert srv.tls_versions == [version] * srv.accepted
        for event in case.events:
            assert event in srv.tls_events
        p.close()


@pytest.mark.parametrize("case,version", PARAMS)
def test_tls_case(client, case, version):
    # client: pool with either wire layer, then urllib3 2.8 on the same row.
    _run_case(client, case, version)


def test_tls_cases_cover_both_versions():
    versions = {v for c in CASES for v in c.versions}
    assert versions == set(BOTH)
    assert urllib3.__version__.startswith("2.8")


# ------------------------------------------- bytes after a body, inside TLS
#
# A large read of a Content-Length body goes straight into the caller's
# buffer and asks the socket for no more than the body's end.  Over plain
# TCP the bytes after it stay in the kernel, where the check at checkout sees
# them; over TLS the rest of the record they came in is kept by OpenSSL,
# where poll() does not look.  The connection must still not be reused, or
# those bytes would be read as the next response.


def _large_body_then(smuggled: bytes, size: int) -> list:
    body = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    return [response(body) + smuggled]


READS = {
    "data": lambda r: r.data,
    "read-amt": lambda r: b"".join(iter(lambda: r.read(1 << 20), b"")),
    "stream": lambda r: b"".join(r.stream(1 << 20)),
}


@pytest.mark.parametrize("size", [16384, 20000, 100000])
@pytest.mark.parametrize("read", sorted(READS))
@pytest.mark.parametrize("tls", [None, "TLSv1.2", "TLSv1.3"], ids=["http", "tls12", "tls13"])
def test_bytes_after_large_body_never_read_as_next_response(impl, tls, read, size):
    script = _large_body_then(SMUGGLED, size)
    with HostileServer([script, [SECOND]], tls=tls) as srv:
        p = client_pool(srv, maxsize=1, timeout=3, retries=False)
        r = p.request("GET", "/first", preload_content=(read == "data"))
        assert READS[read](r) == script[0][-len(SMUGGLED) - size : -len(SMUGGLED)]
        r.release_conn()
        assert p.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


@pytest.mark.parametrize("tls", ["TLSv1.2", "TLSv1.3"], ids=["tls12", "tls13"])
def test_bytes_after_large_body_urllib3(tls):
    # urllib3 2.8 never reads them as a response either (its connection is
    # reused and the stray bytes are gone with the old response's buffer).
    script = _large_body_then(SMUGGLED, 100000)
    with HostileServer([script, [SECOND]], tls=tls) as srv:
        p = client_pool(srv, module=urllib3, maxsize=1, timeout=3, retries=False)
        assert len(p.request("GET", "/first").data) == 100000
        assert p.request("GET", "/second").data == b"second"


@pytest.mark.parametrize("proxy_tls", [False, True], ids=["http-proxy", "https-proxy-tls-in-tls"])
def test_bytes_after_large_body_through_a_tunnel(impl, proxy_tls):
    # The same through a CONNECT tunnel; through an https proxy the origin's
    # TLS runs inside the proxy's (SSLTransport), with two layers that may
    # hold bytes.
    import ssl

    from proxyserver import ProxyServer

    script = _large_body_then(SMUGGLED, 100000)
    proxy_kw: dict = {}
    if proxy_tls:
        proxy_kw["ssl_context"] = hostile.tls_server_context()
    with HostileServer([script, [SECOND]], tls=True) as srv, ProxyServer(**proxy_kw) as proxy:
        pm_kw = client_kw(srv)
        if proxy_tls:
            pm_kw["proxy_ssl_context"] = ssl.create_default_context(cadata=pm_kw["ca_cert_data"])
        with pool.ProxyManager(proxy.url, timeout=3, retries=False, **pm_kw) as pm:
            assert len(pm.request("GET", srv.url("/first")).data) == 100000
            assert pm.request("GET", srv.url("/second")).data == b"second"
        assert srv.accepted == 2


# -------------------------------------------------- redirects https -> http
#
# Credentials must not follow a redirect to another origin, and least of all
# from https to http, where they would cross the network in the clear.  A
# PoolManager strips Retry.remove_headers_on_redirect (Authorization, Cookie,
# Proxy-Authorization) when the host changes, as urllib3 2.8 does; a single
# HTTPSConnectionPool follows same-host redirects only, so nothing is sent.

SECRETS = {"Authorization": "Bearer secret", "Cookie": "session=1", "Proxy-Authorization": "Basic eA=="}


def _redirect_to(location: str, status: str = "302 Found") -> typing.Callable:
    return lambda req: [response(b"moved", status=status, headers=[f"Location: {location}"])]


def _https_to_http(
    module: typing.Any,
    b_host: str,
    location: str,
    status: str = "302 Found",
    method: str = "GET",
    manager_headers: bool = False,
    **kw: typing.Any,
) -> typing.Any:
    """A (https, 127.0.0.1) redirects to B (http) at ``location``; return
    the request B received and the response."""
    with HostileServer(lambda req: [response(b"B")], host=b_host) as b:
        target = location.replace("BPORT", str(b.port))
        with HostileServer(_redirect_to(target, status), tls=True) as a:
            # The caller's headers, or the manager's (which a request's own
            # headers would replace).
            if manager_headers:
                pm_headers, headers = SECRETS, None
            else:
                pm_headers, headers = None, dict(SECRETS, **{"X-Other": "kept"})
            with module.PoolManager(timeout=3, headers=pm_headers, **client_kw(a)) as pm:
                r = pm.request(method, a.url("/start"), headers=headers, **kw)
            assert [q.target for q in a.requests] == ["/start"]
            # A got the credentials, over TLS.
            assert a.requests[0].header("Authorization") == "Bearer secret"
        assert len(b.requests) == 1
        return b.requests[0], r


HTTPS_TO_HTTP = [
    pytest.param("127.0.0.2", "http://127.0.0.2:BPORT/b", id="other-host"),
    pytest.param("127.0.0.2", "HTTP://127.0.0.2:BPORT/b", id="upper-scheme"),
    pytest.param("127.0.0.2", "http://user:pw@127.0.0.2:BPORT/b", id="userinfo"),
    pytest.param("127.0.0.2", "http://127.0.0.1:1@127.0.0.2:BPORT/b", id="userinfo-looks-like-host"),
    # The same host name, but http and another port: another origin.
    pytest.param("127.0.0.1", "http://127.0.0.1:BPORT/b", id="same-host-other-scheme-and-port"),
]


def _assert_stripped(req: typing.Any, b_host: str) -> None:
    for name in SECRETS:
        assert req.header(name) is None, name
    assert req.header("Host").startswith(b_host + ":")


@pytest.mark.parametrize("b_host,location", HTTPS_TO_HTTP)
def test_https_to_http_strips_credentials(client, b_host, location):
    req, r = _https_to_http(client, b_host, location)
    assert r.status == 200 and r.data == b"B"
    _assert_stripped(req, b_host)
    assert req.header("X-Other") == "kept"


def test_https_to_http_strips_manager_default_headers(client):
    req, _ = _https_to_http(client, "127.0.0.2", "http://127.0.0.2:BPORT/b", manager_headers=True)
    _assert_stripped(req, "127.0.0.2")


@pytest.mark.parametrize("status", ["303 See Other", "307 Temporary Redirect"])
def test_https_to_http_post(client, status):
    # 303: a GET without the body; 307: the POST and its body again, but
    # still without the credentials.
    req, _ = _https_to_http(client, "127.0.0.2", "http://127.0.0.2:BPORT/b", status, "POST", body=b"data")
    _assert_stripped(req, "127.0.0.2")
    if status.startswith("303"):
        assert (req.method, req.body) == ("GET", b"")
    else:
        assert (req.method, req.body) == ("POST", b"data")


def test_https_to_http_custom_remove_list(client):
    retries = client.Retry(remove_headers_on_redirect=["X-Api-Key"])
    req, _ = _https_to_http(client, "127.0.0.2", "http://127.0.0.2:BPORT/b", retries=retries)
    assert req.header("X-Api-Key") is None
    # The caller's list replaced the default: what is not on it is kept.
    assert req.header("Authorization") == "Bearer secret"


@pytest.mark.parametrize("b_host", ["127.0.0.2", "127.0.0.1"], ids=["other-host", "same-host-other-port"])
def test_https_pool_refuses_redirect_to_http(client, b_host):
    with HostileServer(lambda req: [response(b"B")], host=b_host) as b:
        with HostileServer(_redirect_to(b.url("/b")), tls=True) as a:
            p = client_pool(a, module=client, timeout=3)
            with pytest.raises(client.exceptions.HostChangedError):
                p.request("GET", "/start", headers=SECRETS)
            assert len(a.requests) == 1
        assert b.requests == [] and b.accepted == 0


def test_https_pool_refuses_redirect_to_its_own_port_over_http(client):
    # The same host and port, only the scheme differs: another origin still.
    state: dict = {}
    with HostileServer(
        lambda req: [response(b"", status="302 Found", headers=[f"Location: {state['url']}"])], tls=True
    ) as a:
        state["url"] = f"http://{a.host}:{a.port}/plain"
        p = client_pool(a, module=client, timeout=3)
        with pytest.raises(client.exceptions.HostChangedError):
            p.request("GET", "/start", headers=SECRETS)
        assert [q.target for q in a.requests] == ["/start"]


# ------------------------------------------------------ sockets left open


def test_reset_before_handshake_leaves_no_tls_socket_open(impl, monkeypatch):
    # The server resets the connection before the client's first TLS byte.
    # Python before 3.13 then raised from SSLContext.wrap_socket() without
    # closing the SSLSocket it had made (its pre-handshake check re-raised
    # ECONNRESET): the descriptor stayed open until garbage collection, with
    # a ResourceWarning.  pool closes it.
    import gc
    import select

    import pool.connection

    new_conn = pool.connection.HTTPSConnection._new_conn

    def connected_then_reset(self):
        sock = new_conn(self)
        select.select([sock], [], [], 2)  # the RST is in before TLS starts
        return sock

    monkeypatch.setattr(pool.connection.HTTPSConnection, "_new_conn", connected_then_reset)
    with HostileServer([], greeting=[RESET]) as srv:
        p = pool.HTTPSConnectionPool(srv.host, srv.port, timeout=2, retries=False, **client_kw())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            with pytest.raises((pool.exceptions.ProtocolError, pool.exceptions.NewConnectionError)):
                p.request("GET", "/")
            gc.collect()
        leaked = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
        assert leaked == []
        p.close()
