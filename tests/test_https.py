"""HTTPS against a real TLS server on 127.0.0.1 with trustme certificates:
verification on by default, failures as SSLError inside MaxRetryError,
fingerprint pinning, client certificates, the unverified-request warning."""

import datetime
import hashlib
import ssl
import warnings

import pytest
from httpserver import Server, tls_contexts

from pool.connection import HTTPSConnection
from pool.connectionpool import HTTPSConnectionPool
from pool.exceptions import InsecureRequestWarning, MaxRetryError, SSLError
from pool.poolmanager import PoolManager


@pytest.fixture
def tls(tmp_path):
    return tls_contexts(tmp_path)


@pytest.fixture
def server(tls):
    with Server(ssl_context=tls["server_ctx"]) as s:
        yield s


def _ssl_failure(pm_or_pool, url):
    with pytest.raises(MaxRetryError) as ei:
        pm_or_pool.request("GET", url, retries=1)
    assert isinstance(ei.value.reason, SSLError)
    return ei.value.reason


def test_verified_request_and_reuse(server, tls):
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureRequestWarning)
        pm = PoolManager(ca_certs=tls["ca_file"])
        for host in ("localhost", "127.0.0.1"):
            for i in range(3):
                r = pm.request("GET", server.url(f"/id?id={i}", host=host))
                assert r.data == str(i).encode()
    assert server.connections_accepted == 2
    p = pm.connection_from_url(server.url("/", host="localhost"))
    conn = p._get_conn()
    assert conn.is_verified
    assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
    p._put_conn(conn)
    pm.clear()


def test_ca_cert_data_and_ssl_context(server, tls):
    pem = tls["ca"].cert_pem.bytes().decode()
    pm = PoolManager(ca_cert_data=pem)
    assert pm.request("GET", server.url("/", host="localhost")).status == 200
    ctx = ssl.create_default_context()
    tls["ca"].configure_trust(ctx)
    pm2 = PoolManager(ssl_context=ctx)
    assert pm2.request("GET", server.url("/", host="localhost")).status == 200
    pm.clear()
    pm2.clear()


def test_unknown_ca(server):
    pm = PoolManager()  # default trust store: trustme's CA is not in it
    reason = _ssl_failure(pm, server.url("/", host="localhost"))
    assert "CERTIFICATE_VERIFY_FAILED" in str(reason)
    assert server.requests == []
    pm.clear()


def test_wrong_hostname(tmp_path):
    tls = tls_contexts(tmp_path, identities=("example.org",))
    with Server(ssl_context=tls["server_ctx"]) as srv:
        pm = PoolManager(ca_certs=tls["ca_file"])
        reason = _ssl_failure(pm, srv.url("/", host="localhost"))
        assert "match" in str(reason).lower() or "hostname" in str(reason).lower()
        # assert_hostname names the identity to check instead.
        pm2 = PoolManager(ca_certs=tls["ca_file"], assert_hostname="example.org")
        assert pm2.request("GET", srv.url("/", host="localhost")).status == 200
        # server_hostname changes SNI and the checked name.
        p = HTTPSConnectionPool("localhost", srv.port, ca_certs=tls["ca_file"], server_hostname="example.org")
        assert p.request("GET", "/").status == 200
        p.close()
        assert srv.requests and all(r.path == "/" for r in srv.requests)
        pm.clear()
        pm2.clear()


def test_expired_certificate(tmp_path):
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)
    tls = tls_contexts(tmp_path, not_before=past - datetime.timedelta(days=30), not_after=past)
    with Server(ssl_context=tls["server_ctx"]) as srv:
        pm = PoolManager(ca_certs=tls["ca_file"])
        reason = _ssl_failure(pm, srv.url("/", host="localhost"))
        assert "expired" in str(reason).lower()
        pm.clear()


def _fingerprint(tls):
    der = ssl.PEM_cert_to_DER_cert(tls["cert"].cert_chain_pems[0].bytes().decode())
    return hashlib.sha256(der).hexdigest()


def test_fingerprint_pinning(server, tls):
    fp = _fingerprint(tls)
    pm = PoolManager(cert_reqs="CERT_NONE", assert_fingerprint=fp)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InsecureRequestWarning)
        # Pinned: verified, no warning, even with the CA unknown.
        assert pm.request("GET", server.url("/", host="localhost")).status == 200
    colon = ":".join(fp[i : i + 2] for i in range(0, len(fp), 2)).upper()
    pm2 = PoolManager(cert_reqs="CERT_NONE", assert_fingerprint=colon)
    assert pm2.request("GET", server.url("/")).status == 200
    bad = PoolManager(cert_reqs="CERT_NONE", assert_fingerprint="00" * 32)
    reason = _ssl_failure(bad, server.url("/"))
    assert "fingerprint" in str(reason).lower()
    for p in (pm, pm2, bad):
        p.clear()


def test_unverified_warns(server):
    pm = PoolManager(cert_reqs="CERT_NONE")
    with pytest.warns(InsecureRequestWarning):
        assert pm.request("GET", server.url("/")).status == 200
    pm.clear()


def test_client_certificate(tmp_path):
    tls = tls_contexts(tmp_path)
    ctx = tls["server_ctx"]
    ctx.verify_mode = ssl.CERT_REQUIRED
    tls["ca"].configure_trust(ctx)
    client = tls["ca"].issue_cert("client@example.org")
    cert_file = str(tmp_path / "client.pem")
    client.private_key_and_cert_chain_pem.write_to_path(cert_file)
    key_file = str(tmp_path / "client.key")
    client.private_key_pem.write_to_path(key_file)
    with Server(ssl_context=ctx) as srv:
        pm = PoolManager(ca_certs=tls["ca_file"], cert_file=cert_file, key_file=key_file)
        assert pm.request("GET", srv.url("/", host="localhost")).status == 200
        # Without a client certificate the server refuses the handshake; a
        # TLS 1.3 client learns it at its first read.
        nocert = PoolManager(ca_certs=tls["ca_file"])
        with pytest.raises((MaxRetryError, SSLError)):
            nocert.request("GET", srv.url("/", host="localhost"), retries=0)
        assert len(srv.requests) == 1
        pm.clear()
        nocert.clear()


def test_tls_version_bounds(server, tls):
    pm = PoolManager(
        ca_certs=tls["ca_file"], ssl_minimum_version=ssl.TLSVersion.TLSv1_2, ssl_maximum_version=ssl.TLSVersion.TLSv1_2
    )
    assert pm.request("GET", server.url("/", host="localhost")).status == 200
    p = pm.connection_from_url(server.url("/", host="localhost"))
    conn = p._get_conn()
    assert conn.sock.version() == "TLSv1.2"
    # Back into the pool, so that clear() closes it.
    p._put_conn(conn)
    pm.clear()


def test_https_connection_directly(server, tls):
    conn = HTTPSConnection("localhost", server.port, ca_certs=tls["ca_file"])
    conn.request("GET", "/chunked")
    assert conn.getresponse().data == b"chunk0chunk1chunk2"
    conn.request("GET", "/id?id=2")
    assert conn.getresponse().data == b"2"
    assert conn.is_verified
    conn.close()
    bad = HTTPSConnection("localhost", server.port)
    with pytest.raises(ssl.SSLError):
        bad.connect()
    assert bad.sock is None


def test_plain_http_to_tls_port_fails_cleanly(server):
    from pool.exceptions import ProtocolError

    pm = PoolManager()
    with pytest.raises((MaxRetryError, ProtocolError)):
        pm.request("GET", f"http://127.0.0.1:{server.port}/", retries=0, timeout=2)
    pm.clear()


def test_client_certificate_with_encrypted_key(tmp_path):
    from cryptography.hazmat.primitives import serialization

    tls = tls_contexts(tmp_path)
    ctx = tls["server_ctx"]
    ctx.verify_mode = ssl.CERT_REQUIRED
    tls["ca"].configure_trust(ctx)
    client = tls["ca"].issue_cert("client@example.org")
    cert_file = str(tmp_path / "client.crt")
    client.cert_chain_pems[0].write_to_path(cert_file)
    key = serialization.load_pem_private_key(client.private_key_pem.bytes(), password=None)
    key_file = tmp_path / "client-enc.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    with Server(ssl_context=ctx) as srv:
        pm = PoolManager(ca_certs=tls["ca_file"], cert_file=cert_file, key_file=str(key_file), key_password="s3cret")
        assert pm.request("GET", srv.url("/", host="localhost")).status == 200
        pm.clear()
        wrong = PoolManager(ca_certs=tls["ca_file"], cert_file=cert_file, key_file=str(key_file), key_password="nope")
        with pytest.raises((MaxRetryError, SSLError)):
            wrong.request("GET", srv.url("/", host="localhost"), retries=0)
        wrong.clear()
