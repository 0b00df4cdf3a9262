"""Redirects (RFC 9110 §15.4) through pools and PoolManager, against real
servers on 127.0.0.1 and 127.0.0.2."""

import io
from urllib.parse import quote

import pytest
import urllib3
from httpserver import Server

import pool
from pool.connectionpool import HTTPConnectionPool
from pool.exceptions import HostChangedError, MaxRetryError, ResponseError, UnrewindableBodyError, URLSchemeUnknown
from pool.poolmanager import PoolManager
from pool.util.retry import Retry


@pytest.fixture
def server():
    with Server() as s:
        yield s


@pytest.fixture
def server2():
    try:
        s = Server(host="127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    with s:
        yield s


def _redirect(target, status=302):
    return f"/redirect?status={status}&target={quote(target, safe='')}"


def test_same_host_redirect_pool(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    r = p.request("GET", _redirect(_redirect("/id?id=end")))
    assert r.status == 200 and r.data == b"end"
    assert len(r.retries.history) == 2
    assert [q.path for q in server.requests] == ["/redirect", "/redirect", "/id"]
    assert server.connections_accepted == 1
    p.close()


def test_absolute_same_host_redirect_pool(server):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    assert p.request("GET", _redirect(server.url("/id?id=abs"))).data == b"abs"
    p.close()


def test_pool_refuses_cross_host_redirect(server, server2):
    p = HTTPConnectionPool("127.0.0.1", server.port)
    with pytest.raises(HostChangedError):
        p.request("GET", _redirect(server2.url("/")))
    assert server2.requests == []
    p.close()


def test_cross_host_redirect_strips_credentials(server, server2):
    pm = PoolManager()
    headers = {"Authorization": "Basic c2VjcmV0", "Cookie": "sid=1", "Proxy-Authorization": "x", "X-Keep": "yes"}
    r = pm.request("GET", server.url(_redirect(server2.url("/echo"))), headers=headers)
    assert r.status == 200
    (req,) = server2.requests
    assert req.header("X-Keep") == "yes"
    for name in ("Authorization", "Cookie", "Proxy-Authorization"):
        assert req.header(name) is None
    assert server.requests[0].header("Authorization") == "Basic c2VjcmV0"
    # On the same host they are kept.
    server.requests.clear()
    pm.request("GET", server.url(_redirect("/echo")), headers=headers)
    assert server.requests[1].header("Authorization") == "Basic c2VjcmV0"
    pm.clear()


def test_cross_host_redirect_custom_remove_list(server, server2):
    pm = PoolManager()
    retries = Retry(remove_headers_on_redirect=["X-Secret"])
    pm.request(
        "GET", server.url(_redirect(server2.url("/"))), headers={"X-Secret": "s", "Cookie": "c"}, retries=retries
    )
    (req,) = server2.requests
    assert req.header("X-Secret") is None and req.header("Cookie") == "c"
    pm.clear()


@pytest.mark.parametrize("lib", [pool, urllib3])
def test_303_turns_post_into_get_without_body(server, lib):
    pm = lib.PoolManager()
    r = pm.request(
        "POST",
        server.url(_redirect("/echo", 303)),
        body=b"secret-form",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Other": "1"},
    )
    assert r.status == 200
    first, second = server.requests
    assert first.method == "POST" and first.body == b"secret-form"
    assert second.method == "GET" and second.body == b""
    assert second.header("Content-Type") is None and second.header("Content-Length") is None
    assert second.header("X-Other") == "1"
    pm.clear()


@pytest.mark.parametrize("status", [301, 302])
def test_301_302_keep_method_and_body_as_urllib3(server, status):
    for lib in (pool, urllib3):
        server.requests.clear()
        pm = lib.PoolManager()
        pm.request("POST", server.url(_redirect("/echo", status)), body=b"form")
        assert [(q.method, q.body) for q in server.requests] == [("POST", b"form"), ("POST", b"form")]
        pm.clear()


@pytest.mark.parametrize("status", [307, 308])
def test_307_308_resend_file_body_rewound(server, status, tmp_path):
    path = tmp_path / "body.bin"
    path.write_bytes(b"0123456789" * 1000)
    for via_pool in (True, False):
        server.requests.clear()
        with open(path, "rb") as f:
            f.read(5)  # the body starts where the file position is
            if via_pool:
                p = HTTPConnectionPool("127.0.0.1", server.port)
                r = p.urlopen("PUT", _redirect("/echo", status), body=f)
                p.close()
            else:
                pm = PoolManager()
                r = pm.urlopen("PUT", server.url(_redirect("/echo", status)), body=f)
                pm.clear()
        assert r.status == 200
        first, second = server.requests
        assert first.body == second.body == (b"0123456789" * 1000)[5:]
        assert second.method == "PUT"


class _NoTell(io.RawIOBase):
    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, b):
        return self._data.readinto(b)

    def tell(self):
        raise OSError("no tell")


def test_307_unrewindable_body(server):
    pm = PoolManager()
    with pytest.raises(UnrewindableBodyError):
        pm.urlopen("POST", server.url(_redirect("/echo", 307)), body=_NoTell(b"abc"))
    pm.clear()


def test_redirect_loop_max_retries(server):
    pm = PoolManager()
    loop = "/loop"
    with pytest.raises(MaxRetryError) as ei:
        pm.request("GET", server.url(loop), retries=Retry(redirect=3))
    assert isinstance(ei.value.reason, ResponseError)
    assert "too many redirects" in str(ei.value.reason)
    assert len(server.requests) == 4
    r = pm.request("GET", server.url(loop), retries=Retry(redirect=2, raise_on_redirect=False))
    assert r.status == 302
    p = HTTPConnectionPool("127.0.0.1", server.port)
    with pytest.raises(MaxRetryError):
        p.request("GET", loop, retries=Retry(redirect=2))
    p.close()
    pm.clear()


def test_redirect_disabled_and_retries_false(server):
    pm = PoolManager()
    assert pm.request("GET", server.url(_redirect("/")), redirect=False).status == 302
    assert pm.request("GET", server.url(_redirect("/")), retries=False).status == 302
    assert len(server.requests) == 2
    pm.clear()


def test_relative_location(server):
    pm = PoolManager()
    r = pm.request("GET", server.url("/a/b/" + _redirect("../../id?id=rel")[1:]))
    assert r.data == b"rel"
    assert server.requests[-1].target == "/id?id=rel"
    pm.clear()


def test_redirect_to_other_scheme_refused(server):
    pm = PoolManager()
    with pytest.raises(URLSchemeUnknown):
        pm.request("GET", server.url(_redirect("ftp://127.0.0.1/file")))
    # The redirect response was drained: its connection is reused.
    assert pm.request("GET", server.url("/conn")).data == b"1"
    pm.clear()
