"""Socket functions over real loopback sockets (wait_for_*, is_connection_dropped,
create_connection), TLS functions with a real handshake, host name matching,
and the small utilities (response, proxy, util, package exports)."""

from __future__ import annotations

import hashlib
import http.client
import io
import socket
import ssl
import sys
import threading
import time

import pytest

import pool.util
from pool.exceptions import HeaderParsingError, LocationParseError, SSLError
from pool.util import connection as conn_mod
from pool.util import ssl_ as ssl_mod
from pool.util.connection import HAS_IPV6, allowed_gai_family, create_connection, is_connection_dropped
from pool.util.proxy import connection_requires_http_tunnel
from pool.util.response import assert_header_parsing, is_fp_closed, is_response_to_head
from pool.util.ssl_match_hostname import CertificateError, match_hostname
from pool.util.url import parse_url
from pool.util.util import reraise, to_bytes, to_str
from pool.util.wait import wait_for_read, wait_for_socket, wait_for_write


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(5)
    yield srv
    srv.close()


def test_util_all_matches_urllib3():
    u3 = pytest.importorskip("urllib3.util")
    assert set(pool.util.__all__) == set(u3.__all__)
    for name in pool.util.__all__:
        assert hasattr(pool.util, name), name


def test_ssl_module_exports_urllib3_public_names():
    u3 = pytest.importorskip("urllib3.util.ssl_")
    public = [n for n in vars(u3) if not n.startswith("_") and n.isidentifier()]
    modules = {
        "annotations",
        "hashlib",
        "hmac",
        "os",
        "socket",
        "ssl",
        "sys",
        "typing",
        "unhexlify",
        "warnings",
        "attr",
    }
    missing = [n for n in public if n not in modules and not hasattr(ssl_mod, n)]
    assert missing == []
    assert ssl_mod.IS_PYOPENSSL is False
    assert ssl_mod.HAS_SNI is True
    assert ssl_mod.ALPN_PROTOCOLS == ["http/1.1"]
    assert ssl_mod.SSLContext is ssl.SSLContext


# -- wait --------------------------------------------------------------------


@pytest.mark.parametrize("impl", ["default", "poll", "select"])
def test_wait_for_read_and_write(pair, impl):
    a, b = pair
    fn = {"default": wait_for_socket, "poll": pool.util.wait._poll_wait, "select": pool.util.wait._select_wait}[impl]
    assert fn(a, read=True, timeout=0) is False
    start = time.monotonic()
    assert fn(a, read=True, timeout=0.05) is False
    assert time.monotonic() - start >= 0.04
    b.sendall(b"x")
    assert fn(a, read=True, timeout=1) is True
    assert fn(a, write=True, timeout=1) is True
    with pytest.raises(RuntimeError):
        fn(a, timeout=0)


def test_wait_public_functions(pair):
    a, b = pair
    assert wait_for_read(a, timeout=0) is False
    assert wait_for_write(a, timeout=0) is True
    b.close()
    assert wait_for_read(a, timeout=1) is True  # EOF is readable


def test_wait_for_read_wakes_when_data_arrives(pair):
    a, b = pair
    timer = threading.Timer(0.05, b.sendall, args=(b"late",))
    timer.start()
    try:
        start = time.monotonic()
        assert wait_for_read(a, timeout=5) is True
        assert time.monotonic() - start < 4
    finally:
        timer.join()


def test_wait_for_write_full_buffer(pair):
    a, b = pair
    a.setblocking(False)
    sent = 0
    for _ in range(100000):  # fill the send buffer; bounded
        try:
            sent += a.send(b"x" * 65536)
        except BlockingIOError:
            break
    assert sent > 0
    assert wait_for_write(a, timeout=0.05) is False
    b.recv(1 << 20)
    while wait_for_read(b, timeout=0):
        b.recv(1 << 20)
    assert wait_for_write(a, timeout=1) is True


# -- is_connection_dropped ---------------------------------------------------


class _Conn:
    def __init__(self, sock):
        self.sock = sock


def test_connection_idle_is_alive(pair):
    a, _ = pair
    assert is_connection_dropped(_Conn(a)) is False
    assert is_connection_dropped(a) is False


def test_connection_closed_by_peer_is_dropped(pair):
    a, b = pair
    b.close()
    assert is_connection_dropped(_Conn(a)) is True


def test_connection_with_unread_bytes_is_dropped(pair):
    a, b = pair
    b.sendall(b"HTTP/1.1 200 OK\r\n")
    assert is_connection_dropped(_Conn(a)) is True


def test_connection_without_or_with_closed_socket_is_dropped(pair):
    a, _ = pair
    assert is_connection_dropped(_Conn(None)) is True
    a.close()
    assert is_connection_dropped(_Conn(a)) is True


def test_connection_dropped_over_tcp(listener):
    client = create_connection(listener.getsockname(), timeout=5)
    server, _ = listener.accept()
    try:
        assert is_connection_dropped(_Conn(client)) is False
        server.close()
        deadline = time.monotonic() + 5
        while not is_connection_dropped(_Conn(client)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert is_connection_dropped(_Conn(client)) is True
    finally:
        client.close()


# -- create_connection -------------------------------------------------------


def test_create_connection_to_listener(listener):
    host, port = listener.getsockname()
    sock = create_connection(
        (host, port),
        timeout=3,
        source_address=("127.0.0.1", 0),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1), (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
    )
    try:
        server, addr = listener.accept()
        with server:
            assert addr == sock.getsockname()
            assert sock.gettimeout() == 3
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
            sock.sendall(b"ping")
            assert server.recv(4) == b"ping"
    finally:
        sock.close()


def test_create_connection_by_name(listener):
    with create_connection(("localhost", listener.getsockname()[1]), timeout=3) as sock:
        listener.accept()[0].close()
        assert sock.getpeername()[1] == listener.getsockname()[1]


def test_create_connection_default_timeout_left_alone(listener):
    with create_connection(listener.getsockname()) as sock:
        listener.accept()[0].close()
        assert sock.gettimeout() == socket.getdefaulttimeout()


def test_create_connection_refused():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(ConnectionRefusedError):
        create_connection(("127.0.0.1", port), timeout=3)


@pytest.mark.skipif(not HAS_IPV6, reason="no IPv6 on this host")
def test_create_connection_ipv6():
    srv = socket.socket(socket.AF_INET6)
    srv.bind(("::1", 0))
    srv.listen(1)
    srv.settimeout(5)
    try:
        with create_connection(("[::1]", srv.getsockname()[1]), timeout=3) as sock:
            assert sock.family == socket.AF_INET6
            srv.accept()[0].close()
    finally:
        srv.close()


def test_create_connection_bad_host():
    with pytest.raises(LocationParseError):
        create_connection(("a" * 64 + ".example", 80), timeout=1)
    with pytest.raises(LocationParseError):
        create_connection(("a..b", 80), timeout=1)


def test_allowed_gai_family():
    assert allowed_gai_family() == (socket.AF_UNSPEC if HAS_IPV6 else socket.AF_INET)
    assert conn_mod._has_ipv6("127.0.0.1") is False  # not an IPv6 address


# -- response functions --------------------------------------------------------


def test_is_fp_closed():
    f = io.BytesIO(b"x")
    assert is_fp_closed(f) is False
    f.close()
    assert is_fp_closed(f) is True

    class HasIsClosed:
        def isclosed(self):
            return True

    class HasFp:
        fp = None

    assert is_fp_closed(HasIsClosed()) is True
    assert is_fp_closed(HasFp()) is True
    with pytest.raises(ValueError):
        is_fp_closed(object())


def test_is_response_to_head():
    class R:
        def __init__(self, **kw):
            self.__dict__.update(kw)

    assert is_response_to_head(R(_request_method="HEAD")) is True
    assert is_response_to_head(R(_request_method="head")) is True
    assert is_response_to_head(R(_request_method="GET")) is False
    assert is_response_to_head(R(_method="HEAD")) is True
    assert is_response_to_head(R()) is False


def test_assert_header_parsing():
    assert_header_parsing({"Content-Type": "text/plain"})
    good = http.client.parse_headers(io.BytesIO(b"A: b\r\n\r\n"))
    assert_header_parsing(good)
    bad = http.client.parse_headers(io.BytesIO(b"A: b\r\nnot a header\r\n\r\n"))
    with pytest.raises(HeaderParsingError):
        assert_header_parsing(bad)
    with pytest.raises(TypeError):
        assert_header_parsing(b"A: b")  # type: ignore[arg-type]


# -- proxy -------------------------------------------------------------------


class _ProxyConfig:
    def __init__(self, forward):
        self.use_forwarding_for_https = forward


@pytest.mark.parametrize(
    "proxy, config, scheme, expected",
    [
        (None, None, "https", False),
        ("http://p:3128", None, "http", False),
        ("http://p:3128", None, "https", True),
        ("https://p:3128", None, "https", True),
        ("https://p:3128", _ProxyConfig(True), "https", False),
        ("http://p:3128", _ProxyConfig(True), "https", True),
        ("https://p:3128", _ProxyConfig(False), "https", True),
    ],
)
def test_connection_requires_http_tunnel(proxy, config, scheme, expected):
    url = parse_url(proxy) if proxy else None
    assert connection_requires_http_tunnel(url, config, scheme) is expected


# -- util --------------------------------------------------------------------


def test_to_bytes_to_str():
    assert to_bytes("é") == "é".encode()
    assert to_bytes("é", "latin-1") == b"\xe9"
    assert to_bytes(b"x") == b"x"
    assert to_str(b"\xc3\xa9") == "é"
    assert to_str(b"\xe9", "latin-1") == "é"
    assert to_str(b"\xff", errors="replace") == "\ufffd"
    for fn in (to_bytes, to_str):
        with pytest.raises(TypeError):
            fn(1)  # type: ignore[arg-type]


def test_reraise_keeps_identity_and_traceback():
    try:
        raise ValueError("original")
    except ValueError:
        err = sys.exc_info()[1]
        tb = sys.exc_info()[2]
    with pytest.raises(ValueError) as info:
        reraise(ValueError, err, tb)
    assert info.value is err


# -- TLS ---------------------------------------------------------------------


def test_create_urllib3_context_defaults():
    ctx = ssl_mod.create_urllib3_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname is True
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    assert ctx.hostname_checks_common_name is False
    for opt in (ssl.OP_NO_COMPRESSION, ssl.OP_NO_TICKET, ssl.OP_NO_SSLv3):  # OP_NO_SSLv2 is 0 now
        assert ctx.options & opt
    ctx = ssl_mod.create_urllib3_context(cert_reqs=ssl.CERT_NONE)
    assert ctx.verify_mode == ssl.CERT_NONE and ctx.check_hostname is False
    ctx = ssl_mod.create_urllib3_context(ssl_minimum_version=ssl.TLSVersion.TLSv1_3)
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3


def test_create_urllib3_context_ssl_version():
    with pytest.raises(ValueError):
        ssl_mod.create_urllib3_context(ssl.PROTOCOL_TLSv1_2, ssl_minimum_version=ssl.TLSVersion.TLSv1_2)
    with pytest.warns(FutureWarning):
        ctx = ssl_mod.create_urllib3_context(ssl.PROTOCOL_TLSv1_2)
    assert ctx.minimum_version == ctx.maximum_version == ssl.TLSVersion.TLSv1_2


def test_resolve_cert_reqs_and_version():
    assert ssl_mod.resolve_cert_reqs(None) == ssl.CERT_REQUIRED
    assert ssl_mod.resolve_cert_reqs("REQUIRED") == ssl.CERT_REQUIRED
    assert ssl_mod.resolve_cert_reqs("CERT_NONE") == ssl.CERT_NONE
    assert ssl_mod.resolve_cert_reqs(ssl.CERT_OPTIONAL) == ssl.CERT_OPTIONAL
    assert ssl_mod.resolve_ssl_version(None) == ssl.PROTOCOL_TLS
    assert ssl_mod.resolve_ssl_version("TLS_CLIENT") == ssl.PROTOCOL_TLS_CLIENT
    assert ssl_mod.resolve_ssl_version("PROTOCOL_TLS") == ssl.PROTOCOL_TLS
    with pytest.raises(AttributeError):
        ssl_mod.resolve_cert_reqs("NOPE")


@pytest.mark.parametrize(
    "host, expected",
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("2001:db8::1", True),
        (b"10.0.0.1", True),
        ("example.com", False),
        ("[::1]", False),
        ("1.2.3.x", False),
        ("xn--bcher-kva.example", False),
        # Forms socket.connect() takes as IPv4 too (urllib3 2.8): hex, octal,
        # decimal, shortened.
        ("1.2.3", True),
        ("0x7f000001", True),
        ("0177.0.0.1", True),
        ("2130706433", True),
        ("127.1", True),
        ("0x7F.1", True),
        ("1.2.3.4.5", False),
        ("0x", False),
    ],
)
def test_is_ipaddress(host, expected):
    import urllib3.util.ssl_

    assert urllib3.util.ssl_.is_ipaddress(host) is expected
    assert ssl_mod.is_ipaddress(host) is expected


@pytest.fixture(scope="module")
def tls_server():
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(server_ctx)
    server_ctx.set_alpn_protocols(["http/1.1"])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.1)  # lets the thread see `stop` soon after teardown
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                raw, _ = srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                raw.settimeout(5)
                with server_ctx.wrap_socket(raw, server_side=True) as tls:
                    tls.sendall(b"hello")
            except (OSError, ssl.SSLError):
                pass
            finally:
                raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with ca.cert_pem.tempfile() as ca_file:
        yield srv.getsockname()[1], ca, cert, ca_file
    stop.set()
    srv.close()
    thread.join(5)


def test_ssl_wrap_socket_handshake(tls_server):
    port, _ca, cert, ca_file = tls_server
    sock = create_connection(("127.0.0.1", port), timeout=5)
    with ssl_mod.ssl_wrap_socket(sock, ca_certs=ca_file, server_hostname="localhost") as tls:
        assert tls.recv(5) == b"hello"
        assert tls.selected_alpn_protocol() == "http/1.1"
        der = tls.getpeercert(binary_form=True)
        pem_der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
        assert der == pem_der
        ssl_mod.assert_fingerprint(der, hashlib.sha256(der).hexdigest())
        match_hostname(tls.getpeercert(), "localhost")


def test_ssl_wrap_socket_wrong_host_and_ca(tls_server):
    port, _ca, _cert, ca_file = tls_server
    sock = create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl_mod.ssl_wrap_socket(sock, ca_certs=ca_file, server_hostname="wrong.example")
    sock.close()
    sock = create_connection(("127.0.0.1", port), timeout=5)
    ctx = ssl_mod.create_urllib3_context()  # no CA loaded: unknown issuer
    with pytest.raises(ssl.SSLCertVerificationError):
        ssl_mod.ssl_wrap_socket(sock, ssl_context=ctx, server_hostname="localhost")
    sock.close()


def test_ssl_wrap_socket_bad_ca_file(tmp_path):
    missing = str(tmp_path / "missing.pem")
    with socket.socket() as sock, pytest.raises(SSLError):
        ssl_mod.ssl_wrap_socket(sock, ca_certs=missing, server_hostname="x")


def test_ssl_wrap_socket_encrypted_key_needs_password(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN ENCRYPTED PRIVATE KEY-----\nxx\n-----END ENCRYPTED PRIVATE KEY-----\n")
    with socket.socket() as sock, pytest.raises(SSLError, match="encrypted"):
        ssl_mod.ssl_wrap_socket(sock, keyfile=str(key), certfile=str(key), ssl_context=ssl_mod.create_urllib3_context())


def test_tls_in_tls_without_transport():
    if ssl_mod.SSLTransport is not None:
        pytest.skip("an SSLTransport is available")
    from pool.exceptions import ProxySchemeUnsupported

    with socket.socket() as sock, pytest.raises(ProxySchemeUnsupported, match="TLS in TLS"):
        ssl_mod.ssl_wrap_socket(sock, ssl_context=ssl_mod.create_urllib3_context(), tls_in_tls=True)


def test_assert_fingerprint():
    cert = b"not really DER, but bytes to hash"
    for algo in ("md5", "sha1", "sha256"):
        digest = hashlib.new(algo, cert).hexdigest()
        ssl_mod.assert_fingerprint(cert, digest)
        ssl_mod.assert_fingerprint(cert, ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)).upper())
    good = hashlib.sha256(cert).hexdigest()
    wrong = ("0" if good[0] != "0" else "1") + good[1:]
    with pytest.raises(SSLError, match="did not match"):
        ssl_mod.assert_fingerprint(cert, wrong)
    with pytest.raises(SSLError, match="invalid length"):
        ssl_mod.assert_fingerprint(cert, "abcd")
    with pytest.raises(SSLError, match="No certificate"):
        ssl_mod.assert_fingerprint(None, good)
    with pytest.raises(SSLError):
        ssl_mod.assert_fingerprint(cert, "zz" * 32)
    assert set(ssl_mod.HASHFUNC_MAP) == {32, 40, 64}


# -- match_hostname ----------------------------------------------------------


def _cert(*dns, ips=(), cn=None):
    c = {"subjectAltName": tuple(("DNS", d) for d in dns) + tuple(("IP Address", i) for i in ips)}
    if cn:
        c["subject"] = ((("commonName", cn),),)
    return c


@pytest.mark.parametrize(
    "cert, host",
    [
        (_cert("example.com"), "example.com"),
        (_cert("example.com"), "EXAMPLE.com"),
        (_cert("*.example.com"), "www.example.com"),
        (_cert("w*.example.com"), "www.example.com"),
        (_cert("a.com", "b.com"), "b.com"),
        (_cert(ips=["127.0.0.1"]), "127.0.0.1"),
        (_cert(ips=["2001:DB8:0:0:0:0:0:1\n"]), "2001:db8::1"),
    ],
)
def test_match_hostname_ok(cert, host):
    assert match_hostname(cert, host) is None


@pytest.mark.parametrize(
    "cert, host",
    [
        (_cert("example.com"), "www.example.com"),
        (_cert("*.example.com"), "example.com"),
        (_cert("*.example.com"), "a.b.example.com"),
        (_cert("*.com"), "example.org"),
        (_cert("xn--*.example.com"), "xn--bcher-kva.example.com"),
        (_cert("www.*.com"), "www.example.com"),
        (_cert("127.0.0.1"), "127.0.0.1"),  # an IP must be an iPAddress entry
        (_cert(ips=["127.0.0.2"]), "127.0.0.1"),
        (_cert(ips=["127.0.0.1"]), "localhost"),
        ({"subject": ((("commonName", "example.com"),),)}, "example.com"),
    ],
)
def test_match_hostname_mismatch(cert, host):
    with pytest.raises(CertificateError):
        match_hostname(cert, host)


def test_match_hostname_common_name_only_when_asked():
    cert = _cert(cn="example.com")
    cert["subjectAltName"] = ()
    with pytest.raises(CertificateError, match="no appropriate subjectAltName"):
        match_hostname(cert, "example.com")
    match_hostname(cert, "example.com", hostname_checks_common_name=True)
    # Ignored when the certificate has a subjectAltName.
    with pytest.raises(CertificateError):
        match_hostname(dict(_cert("other.com"), subject=cert["subject"]), "example.com", True)


def test_match_hostname_errors():
    with pytest.raises(ValueError):
        match_hostname({}, "example.com")
    with pytest.raises(CertificateError, match="too many wildcards"):
        match_hostname(_cert("**.example.com"), "www.example.com")
    with pytest.raises(CertificateError, match="either of"):
        match_hostname(_cert("a.com", "b.com"), "c.com")
    assert issubclass(CertificateError, ValueError)
