"""Hostile redirects (RFC 9110 section 15.4): credentials must not follow a
redirect to another host (127.0.0.1 -> 127.0.0.2), 303 turns any method into
a GET without a body, loops are bounded by Retry, schemes other than http and
https are refused, and userinfo / host confusion in a Location goes where the
URL parser says, with credentials stripped.

The redirect cases run over plain HTTP and over TLS (``transport``: https to
https); https to http is in test_hostile_tls.py.  The Retry-After cases and
the memory bounds on long Locations are plain HTTP only.
"""

from __future__ import annotations

import gc
import itertools
import time
import tracemalloc

import pytest
from hostile import HostileServer, Repeat, client_kw, client_pool, impl, response, transport  # noqa: F401

from pool.connectionpool import HTTPConnectionPool
from pool.exceptions import HostChangedError, HTTPError, InvalidHeader, LocationValueError, MaxRetryError, ResponseError
from pool.poolmanager import PoolManager
from pool.util.retry import Retry

SECRETS = {"Authorization": "Bearer secret", "Cookie": "session=1", "Proxy-Authorization": "Basic eA=="}


def _redirect(location: str, status: str = "302 Found"):
    return lambda req: [response(b"moved", status=status, headers=[f"Location: {location}"])]


@pytest.fixture
def b_server(transport):
    # The other host: 127.0.0.2 is loopback too, but a different host to the client.
    with HostileServer(lambda req: [response(b"B")], host="127.0.0.2", tls=transport) as s:
        yield s


def _follow(location: str, b: HostileServer, status: str = "302 Found", method: str = "GET", **kw):
    """Request A with credentials; A redirects to ``location``.  A speaks
    TLS when B does, and then an http:// location says https://."""
    location = location.replace("BPORT", str(b.port))
    if b.tls_context is not None:
        location = location.replace("http://", "https://").replace("HTTP://", "HTTPS://")
    with HostileServer(_redirect(location, status), tls=b.tls_context) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            r = pm.request(method, a.url("/start"), headers=dict(SECRETS, **{"X-Other": "kept"}), **kw)
        return r, a


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:BPORT/b",
        "//127.0.0.2:BPORT/b",
        "HTTP://127.0.0.2:BPORT/b",
        "http://127.0.0.1:1@127.0.0.2:BPORT/b",
        "http://user:pw@127.0.0.2:BPORT/b",
        "http://127.0.0.2:BPORT/\\@127.0.0.1/b",
    ],
    ids=["absolute", "scheme-relative", "upper-scheme", "userinfo-looks-like-host", "userinfo", "backslash-in-path"],
)
def test_credentials_stripped_across_hosts(impl, transport, b_server, location):
    r, a = _follow(location, b_server)
    assert r.status == 200 and r.data == b"B"
    assert len(a.requests) == 1
    (req,) = b_server.requests
    # The request went to the host the URL names (127.0.0.2), without
    # credentials, and no Authorization was made up from the userinfo.
    for name in SECRETS:
        assert req.header(name) is None
    assert req.header("X-Other") == "kept"
    assert req.header("Host") == f"127.0.0.2:{b_server.port}"


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:BPORT\\@127.0.0.1/b",
        "http://127.0.0.1@127.0.0.1@127.0.0.2:BPORT/b",
        "/\\127.0.0.2:BPORT/b",
        "\\\\127.0.0.2:BPORT/b",
        "\\/127.0.0.2:BPORT/b",
        "///127.0.0.2:BPORT/b",
        "/\t\\127.0.0.2:BPORT/b",
        "http:\\\\127.0.0.2:BPORT/b",
        "http:///127.0.0.2:BPORT/b",
        "https:127.0.0.2:BPORT/b",
        "http://127%2e0.0.2:BPORT/b",
    ],
    ids=[
        "backslash-in-authority",
        "two-at-signs",
        "slash-backslash",
        "backslashes",
        "backslash-slash",
        "three-slashes",
        "tab-inside",
        "scheme-backslashes",
        "scheme-three-slashes",
        "other-scheme-no-slashes",
        "encoded-dot",
    ],
)
def test_location_read_differently_by_browsers_refused(impl, b_server, location):
    # A browser resolves each of these to 127.0.0.2; urllib3 goes to 127.0.0.1
    # (the redirecting server, or the host before a backslash) or to
    # 127.0.0.2 by another reading.  pool follows none of them.
    from pool.exceptions import LocationParseError

    with HostileServer(_redirect(location.replace("BPORT", str(b_server.port)))) as a:
        with PoolManager(timeout=3) as pm:
            with pytest.raises(LocationParseError):
                pm.request("GET", a.url("/start"), headers=SECRETS)
        assert len(a.requests) == 1
    assert b_server.requests == [] and b_server.accepted == 0


@pytest.mark.parametrize("location", ["http://[::1.2.3.999]/x", "http://[::1/x", "//[fe80::1%25]x/"])
def test_location_urljoin_cannot_read_is_a_location_parse_error(impl, location):
    # urljoin() raises a bare ValueError for these (urllib3 lets it escape);
    # pool raises LocationParseError, which is a ValueError too.
    from pool.exceptions import LocationParseError

    with HostileServer(_redirect(location)) as a:
        with PoolManager(timeout=3) as pm:
            with pytest.raises(LocationParseError):
                pm.request("GET", a.url("/start"))
        assert len(a.requests) == 1


def test_credentials_kept_on_same_host(impl, transport):
    with HostileServer([_redirect("/next")(None), [response(b"A2")]], tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            r = pm.request("GET", a.url("/start"), headers=SECRETS)
        assert r.data == b"A2"
        assert a.requests[1].header("Authorization") == "Bearer secret"
        assert a.requests[1].header("Cookie") == "session=1"
        # The redirect body was drained and the connection reused.
        assert a.accepted == 1


def test_manager_default_headers_stripped_too(impl, transport, b_server):
    with HostileServer(_redirect(b_server.url("/b")), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a), headers=SECRETS) as pm:
            assert pm.request("GET", a.url("/")).data == b"B"
    for name in SECRETS:
        assert b_server.requests[0].header(name) is None


@pytest.mark.parametrize(
    "script",
    [
        [response(b"x" * (2 << 20), status="302 Found", headers=["Location: /next"])],
        [b"HTTP/1.1 302 Found\r\nLocation: /next\r\n\r\n", Repeat(b"x" * 65536, 256)],
        [b"HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    ],
    ids=["2MiB-body", "endless-body", "bad-chunked-body"],
)
def test_redirect_body_is_drained_within_bounds(impl, transport, script):
    # Streaming (preload_content=False), the body of a redirect is drained
    # (at most 1 MiB) and dropped; a bigger, endless or malformed one costs
    # the connection, never the follow-up.  (With preload_content=True the
    # 3xx body is read whole first, as urllib3 does.)
    with HostileServer([script, [response(b"next")]], tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a), retries=Retry(total=3, read=False)) as pm:
            start = time.monotonic()
            r = pm.request("GET", a.url("/"), preload_content=False)
            assert r.read() == b"next"
            assert time.monotonic() - start < 5
        assert [q.target for q in a.requests] == ["/", "/next"]
        assert a.accepted == 2


def test_other_port_is_another_host(impl, transport):
    with HostileServer(lambda req: [response(b"C")], tls=transport) as c:
        r, a = _follow(c.url("/c"), c)
        assert r.data == b"C"
        assert c.requests[0].header("Authorization") is None


def test_lower_case_credential_names_stripped(impl, transport, b_server):
    with HostileServer(_redirect(b_server.url("/b")), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            pm.request("GET", a.url("/"), headers={"authorization": "x", "COOKIE": "y"})
    assert b_server.requests[0].header("Authorization") is None
    assert b_server.requests[0].header("Cookie") is None


def test_custom_remove_headers_on_redirect(impl, transport, b_server):
    retries = Retry(remove_headers_on_redirect=["X-Api-Key"])
    with HostileServer(_redirect(b_server.url("/b")), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            pm.request("GET", a.url("/"), headers={"X-Api-Key": "k", "Authorization": "a"}, retries=retries)
    req = b_server.requests[0]
    assert req.header("X-Api-Key") is None
    # The caller replaced the default list: Authorization is theirs to keep.
    assert req.header("Authorization") == "a"


# ------------------------------------------------------------------ methods


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_303_becomes_get_without_body(impl, transport, b_server, method):
    r, _ = _follow(
        "http://127.0.0.2:BPORT/b",
        b_server,
        "303 See Other",
        method,
        body=b"data",
    )
    assert r.data == b"B"
    (req,) = b_server.requests
    assert req.method == "GET"
    assert req.body == b""
    assert req.header("Content-Length") is None
    assert req.header("Transfer-Encoding") is None


@pytest.mark.parametrize("status", ["307 Temporary Redirect", "308 Permanent Redirect"])
def test_307_308_keep_method_and_body(impl, transport, b_server, status):
    r, _ = _follow("http://127.0.0.2:BPORT/b", b_server, status, "POST", body=b"data")
    (req,) = b_server.requests
    assert (req.method, req.body) == ("POST", b"data")


# -------------------------------------------------------------------- loops


def test_redirect_loop_bounded(impl, transport):
    with HostileServer(_redirect("/start"), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            with pytest.raises(MaxRetryError) as info:
                pm.request("GET", a.url("/start"))
        assert isinstance(info.value.reason, ResponseError)
        # the first request and 3 redirects (Retry.DEFAULT: total=3)
        assert len(a.requests) == 4


def test_ping_pong_between_hosts_bounded(impl, transport):
    a_port = []
    scheme = "https" if transport else "http"
    with HostileServer(
        lambda req: [response(b"", status="302 Found", headers=[f"Location: {scheme}://127.0.0.1:{a_port[0]}/a"])],
        host="127.0.0.2",
        tls=transport,
    ) as b:
        with HostileServer(_redirect(b.url("/b")), tls=transport) as a:
            a_port.append(a.port)
            with PoolManager(timeout=3, **client_kw(a)) as pm:
                with pytest.raises(MaxRetryError):
                    pm.request("GET", a.url("/a"), retries=Retry(redirect=5, total=None))
            assert len(a.requests) + len(b.requests) == 6


def test_redirect_limit_off_returns_the_3xx(impl, transport):
    with HostileServer(_redirect("/start"), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            r = pm.request("GET", a.url("/start"), retries=Retry(redirect=1, raise_on_redirect=False))
        assert r.status == 302
        assert len(a.requests) == 2


def test_redirect_false_returns_the_3xx(impl, transport, b_server):
    with HostileServer(_redirect(b_server.url("/b")), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            r = pm.request("GET", a.url("/"), redirect=False)
        assert r.status == 302 and r.data == b"moved"
    assert b_server.requests == []


# ------------------------------------------------------------------ schemes


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.2/x",
        "gopher://127.0.0.2:70/_x",
        "data:text/plain,hi",
        "javascript:alert(1)",
        "file://127.0.0.2/etc/passwd",
    ],
    ids=["file", "ftp", "gopher", "data", "javascript", "file-with-host"],
)
def test_redirect_to_other_scheme_refused(impl, transport, location):
    with HostileServer(_redirect(location), tls=transport) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            with pytest.raises(LocationValueError):
                pm.request("GET", a.url("/"))
        assert len(a.requests) == 1


def test_pool_refuses_cross_host_redirect(impl, transport, b_server):
    # HTTPConnectionPool follows only same-host redirects.
    with HostileServer(_redirect(b_server.url("/x")), tls=transport) as a:
        pool = client_pool(a, timeout=3)
        with pytest.raises(HostChangedError):
            pool.request("GET", "/", headers=SECRETS)
    assert b_server.requests == []


def test_retry_after_over_the_limit_fails_fast(impl):
    # With retry_after_limit set, a hostile Retry-After (11 days) is not slept
    # for: pool raises at once (by default it would sleep up to
    # retry_after_max, 6 hours, as urllib3 does).
    with HostileServer([[response(b"", status="503 Busy", headers=["Retry-After: 999999"])], [response(b"ok")]]) as a:
        pool = HTTPConnectionPool(a.host, a.port, timeout=3)
        start = time.monotonic()
        with pytest.raises(MaxRetryError) as info:
            pool.request("GET", "/", retries=Retry(total=2, status_forcelist=[503], retry_after_limit=0.2))
        assert time.monotonic() - start < 1
        assert isinstance(info.value.reason, ResponseError)
        assert "999999" in str(info.value.reason)
        assert len(a.requests) == 1
        # The 503 was drained and its connection given back.
        assert pool.stats()["in_use"] == 0


def test_retry_after_over_the_limit_error_names_pool_and_url(impl):
    with HostileServer([[response(b"", status="503 Busy", headers=["Retry-After: 999999"])]]) as a:
        pool = HTTPConnectionPool(a.host, a.port, timeout=3)
        with pytest.raises(MaxRetryError) as info:
            pool.request("GET", "/x", retries=Retry(total=2, status_forcelist=[503], retry_after_limit=0.2))
        assert info.value.pool is pool
        assert info.value.url == "/x"


def test_retry_after_under_the_limit_is_honoured():
    with HostileServer([[response(b"", status="503 Busy", headers=["Retry-After: 1"])], [response(b"ok")]]) as a:
        pool = HTTPConnectionPool(a.host, a.port, timeout=3)
        start = time.monotonic()
        r = pool.request("GET", "/", retries=Retry(total=2, status_forcelist=[503], retry_after_limit=2))
        assert r.data == b"ok"
        assert 1 <= time.monotonic() - start < 3


def test_retry_after_clamped_by_default():
    # As in urllib3: no limit by default, waits clamped to retry_after_max.
    assert Retry(total=2).retry_after_limit is None
    assert Retry(total=2).retry_after_max == Retry.DEFAULT_RETRY_AFTER_MAX == 21600


def test_retry_after_clamped_to_retry_after_max_on_the_wire(impl):
    script = [response(b"", status="503 Busy", headers=["Retry-After: 999999"])]
    with HostileServer([script, [response(b"ok")]]) as a:
        pool = HTTPConnectionPool(a.host, a.port, timeout=3)
        start = time.monotonic()
        r = pool.request("GET", "/", retries=Retry(total=2, retry_after_max=0.3))
        assert r.data == b"ok"
        assert 0.3 <= time.monotonic() - start < 2


@pytest.mark.parametrize(
    "value,error",
    [
        ("Wed, 21 Oct 99999 07:28:00 GMT", InvalidHeader),
        ("soon", InvalidHeader),
        ("-5", InvalidHeader),
        ("9" * 5000, MaxRetryError),
        ("1" + "0" * 30, MaxRetryError),
    ],
    ids=["year-99999", "word", "negative", "5000-digits", "1e30"],
)
def test_hostile_retry_after_values(value, error):
    # A Retry-After no clock can hold is a clear error at once, never a
    # ValueError from deep inside; one too long to convert is over any
    # retry_after_limit (without one it would be clamped to retry_after_max
    # and slept for, as urllib3 does).
    script = [response(b"", status="503 Busy", headers=[f"Retry-After: {value}"])]
    with HostileServer([script, [response(b"ok")]]) as a:
        pool = HTTPConnectionPool(a.host, a.port, timeout=3)
        start = time.monotonic()
        with pytest.raises(error):
            pool.request("GET", "/", retries=Retry(total=2, status_forcelist=[503], retry_after_limit=120))
        assert time.monotonic() - start < 2
        assert len(a.requests) == 1
        assert pool.stats()["in_use"] == 0


def _retained_after_long_redirects(n: int, length: int) -> int:
    """Bytes still allocated by pool after following ``n`` redirects whose
    Location is a unique ``length``-character path (the server's own records
    and the standard library's urljoin caches are left out)."""
    counter = itertools.count()

    def script(req):
        i = next(counter)
        if i % 2 == 0:
            return [response(b"", status="302 Found", headers=[f"Location: /{i:06d}" + "a" * length])]
        return [response(b"ok")]

    with HostileServer(script) as a:
        pm = PoolManager(timeout=3)
        gc.collect()
        tracemalloc.start()
        try:
            for k in range(n):
                assert pm.request("GET", a.url(f"/start{k}")).data == b"ok"
            pm.clear()
            gc.collect()
            snap = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
    snap = snap.filter_traces([tracemalloc.Filter(True, "*/pool/*")])
    return sum(st.size for st in snap.statistics("filename"))


def test_long_redirect_urls_are_not_cached_in_parse_url():
    # A hostile server sends 200 redirects with unique 60 KiB Locations; the
    # URL parser's cache must not keep them (it used to: 12+ MiB retained).
    from pool.util import url as url_module

    url_module._URL_CACHE.clear()
    _retained_after_long_redirects(50, 60000)
    # Only the 50 short "/startN" URLs are cached, none of the long ones.
    assert len(url_module._URL_CACHE) <= 50


def test_long_redirect_urls_are_not_retained():
    retained = _retained_after_long_redirects(200, 60000)
    assert retained < 4 << 20, f"{retained / 2**20:.1f} MiB retained"


def _chunks():
    yield b"part1-"
    yield b"part2"


@pytest.mark.parametrize("status", ["307 Temporary Redirect", "308 Permanent Redirect"])
def test_seekable_body_follows_307_308_whole(impl, transport, status):
    import io

    with HostileServer(
        [[response(b"", status=status, headers=["Location: /next"])], [response(b"ok")]], tls=transport
    ) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            assert pm.request("POST", a.url("/up"), body=io.BytesIO(b"part1-part2")).data == b"ok"
        assert [q.body for q in a.requests] == [b"b\r\npart1-part2\r\n0\r\n\r\n"] * 2


@pytest.mark.parametrize("status", ["307 Temporary Redirect", "308 Permanent Redirect", "302 Found"])
def test_iterator_body_is_not_resent_empty_on_redirect(impl, transport, status):
    # 307/308 (and 301/302, which keep the method here) must repeat the
    # content (RFC 9110 section 15.4); a consumed iterator can't be repeated,
    # so the caller must get the 3xx response or an error, never an empty
    # POST sent on their behalf.
    with HostileServer(
        [[response(b"", status=status, headers=["Location: /next"])], [response(b"ok")]], tls=transport
    ) as a:
        with PoolManager(timeout=3, **client_kw(a)) as pm:
            try:
                r = pm.request("POST", a.url("/up"), body=_chunks())
            except HTTPError:
                pass
            else:
                assert r.status == int(status[:3])
        assert [q.target for q in a.requests] == ["/up"]


def test_retry_after_limit_applies_without_status_forcelist(impl):
    # A 503 with Retry-After is retried by default (respect_retry_after_header);
    # a limit just under what the server asks refuses it at once.
    script = [response(b"", status="503 Busy", headers=["Retry-After: 121"])]
    with HostileServer([script, [response(b"ok")]]) as a:
        pool = HTTPConnectionPool(a.host, a.port, timeout=3)
        start = time.monotonic()
        with pytest.raises(MaxRetryError):
            pool.request("GET", "/", retries=Retry(3, retry_after_limit=120))
        assert time.monotonic() - start < 2
