"""PoolManager: host keying, the LRU of pools, request helpers, the
module-level pool.request(), and the call budget of the hot path."""

import cProfile
import gc
import json
import pstats
import time

import pytest
import urllib3
import urllib3.poolmanager as u3pm
from httpserver import Server

import pool
from pool.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from pool.exceptions import LocationParseError, LocationValueError, URLSchemeUnknown
from pool.poolmanager import PoolKey, PoolManager
from pool.util.retry import Retry


@pytest.fixture
def server():
    with Server() as s:
        yield s


def test_pool_key_fields_match_urllib3():
    n = len(u3pm.PoolKey._fields)
    assert PoolKey._fields[:n] == u3pm.PoolKey._fields
    assert PoolKey._fields[n:] == (
        "key_idle_timeout",
        "key_max_connection_age",
        "key_limits",
        "key_resolver",
        "key_resolve",
        "key_happy_eyeballs",
        "key_on_request_done",
    )
    # A key built from urllib3's fields alone still constructs.
    PoolKey(**{f: None for f in u3pm.PoolKey._fields})


def test_pool_knobs_through_manager(server):
    pm = PoolManager(idle_timeout=0.1)
    pm.request("GET", server.url("/"))
    time.sleep(0.2)
    pm.request("GET", server.url("/"))
    assert server.connections_accepted == 2
    assert pm.connection_from_url(server.url("/"), pool_kwargs={"max_connection_age": 5}) is not pm.connection_from_url(
        server.url("/")
    )
    pm.clear()


def test_same_origin_same_pool_case_insensitive(server):
    pm = PoolManager()
    a = pm.connection_from_url(f"http://localhost:{server.port}/a")
    b = pm.connection_from_url(f"HTTP://LOCALHOST:{server.port}/b")
    c = pm.connection_from_host("LocalHost", server.port, scheme="Http")
    assert a is b is c
    assert pm.connection_from_url("http://localhost/") is pm.connection_from_url("http://localhost:80/")
    assert len(pm.pools) == 2
    pm.clear()


def test_host_keying_separates_origins_and_settings(server):
    pm = PoolManager()
    base = pm.connection_from_url(server.url("/"))
    assert pm.connection_from_url(server.url("/", host="localhost")) is not base
    assert pm.connection_from_url(f"https://127.0.0.1:{server.port}/") is not base
    assert isinstance(pm.connection_from_url(f"https://127.0.0.1:{server.port}/"), HTTPSConnectionPool)
    other = pm.connection_from_url(server.url("/"), pool_kwargs={"maxsize": 7})
    assert other is not base and other.pool.maxsize == 7
    # pool_kwargs are used only when a new pool has to be made.
    assert pm.connection_from_url(server.url("/"), pool_kwargs={"maxsize": 7}) is other
    assert len(pm.pools) == 4
    pm.clear()
    assert len(pm.pools) == 0


def test_ssl_keywords_dropped_for_http(server):
    pm = PoolManager(ca_certs="/nonexistent.pem", cert_reqs="CERT_REQUIRED")
    p = pm.connection_from_url(server.url("/"))
    assert isinstance(p, HTTPConnectionPool) and "ca_certs" not in p.conn_kw
    assert pm.request("GET", server.url("/")).status == 200
    pm.clear()


def test_lru_eviction_closes_a_pool_once_nothing_uses_it(server):
    # As urllib3 2.8: an evicted pool that a caller (or a response in
    # flight) still holds stays open; its connections close when the last
    # reference goes.
    pm = PoolManager(num_pools=2)
    hosts = ["127.0.0.1", "localhost"]
    streaming = pm.request("GET", server.url("/chunked", host=hosts[0]), preload_content=False)
    pool_a = pm.connection_from_url(server.url("/", host=hosts[0]))
    pm.request("GET", server.url("/", host=hosts[1]))
    # A third origin (another port) evicts the least recently used pool: A.
    with Server() as other:
        pm.request("GET", other.url("/"))
        assert len(pm.pools) == 2
        assert pool_a.pool is not None  # still held: still open
        assert streaming.read() == b"chunk0chunk1chunk2"
        assert streaming.connection is None
        assert pm.request("GET", server.url("/id?id=again", host=hosts[0])).data == b"again"
        assert pm.connection_from_url(server.url("/", host=hosts[0])) is not pool_a
        # That new pool evicted B, which nothing held: closed already.
        del pool_a, streaming
        gc.collect()
        deadline = time.monotonic() + 2
        while server.open_connections > 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        # A's connection closed with A; only the new pool's remains.
        assert server.open_connections == 1
        pm.clear()


def test_unknown_scheme_and_bad_urls(server):
    pm = PoolManager()
    with pytest.raises(URLSchemeUnknown):
        pm.request("GET", "ftp://127.0.0.1/")
    with pytest.raises(LocationValueError):
        pm.request("GET", "http:///nohost")
    with pytest.raises(LocationParseError):
        pm.request("GET", f"http://127.0.0.1:{10**6}/")
    with pytest.raises(LocationParseError):
        pm.request("GET", "http://127.0.0.1\r\n:80/")
    with pytest.raises(LocationParseError):
        pm.request("GET", "http://bad host/")
    assert server.connections_accepted == 0


def test_cr_lf_space_in_path_are_percent_encoded_never_raw(server):
    pm = PoolManager()
    pm.request("GET", server.url("/a b\r\nX-Injected: 1"))
    (req,) = server.requests
    assert req.target == "/a%20b%0D%0AX-Injected:%201"
    assert req.header("X-Injected") is None
    pm.clear()


def test_bad_header_refused_before_any_byte(server):
    pm = PoolManager()
    from pool.exceptions import InvalidRequestHeader

    with pytest.raises(InvalidRequestHeader):
        pm.request("GET", server.url("/"), headers={"X": "a\r\nInjected: 1"})
    time.sleep(0.05)
    assert server.bytes_received in ([], [b""])
    assert server.requests == []
    # The pool is not left broken.
    assert pm.request("GET", server.url("/id?id=1")).data == b"1"
    pm.clear()


def test_request_helpers(server):
    pm = PoolManager(headers={"X-Default": "d"})
    r = pm.request("GET", server.url("/echo"), fields={"q": "a b", "n": "1"})
    doc = json.loads(r.data)
    assert doc["target"] == "/echo?q=a+b&n=1"
    assert ["X-Default", "d"] in doc["headers"]
    r = pm.request("POST", server.url("/echo"), json={"k": [1, "\u00e9"]})
    doc = json.loads(r.data)
    assert doc["body"].encode("latin-1").decode("utf-8") == '{"k":[1,"\u00e9"]}'
    assert ["Content-Type", "application/json"] in doc["headers"]
    r = pm.request("POST", server.url("/echo"), fields={"f": ("a.txt", b"data", "text/plain")})
    doc = json.loads(r.data)
    ctype = dict(doc["headers"])["Content-Type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    assert 'filename="a.txt"' in doc["body"] and "data" in doc["body"]
    r = pm.request("POST", server.url("/echo"), fields={"a": "1"}, encode_multipart=False)
    assert json.loads(r.data)["body"] == "a=1"
    with pytest.raises(TypeError):
        pm.request("POST", server.url("/"), body=b"x", json={})
    with pytest.raises(TypeError):
        pm.request("POST", server.url("/"), body=b"x", fields={"a": "b"})
    pm.clear()


def test_retries_int_in_pool_kw_keeps_redirects(server):
    pm = PoolManager(retries=3)
    assert isinstance(pm.connection_pool_kw["retries"], Retry)
    assert pm.request("GET", server.url("/redirect?target=/id%3Fid%3D1")).data == b"1"
    pm.clear()


def test_module_level_request(server):
    r = pool.request("GET", server.url("/id?id=mod"))
    assert r.data == b"mod"
    r = pool.request("POST", server.url("/echo"), json={"a": 1})
    assert json.loads(r.data)["body"] == '{"a":1}'
    pool._DEFAULT_POOL.clear()


def test_context_manager_clears(server):
    with PoolManager() as pm:
        pm.request("GET", server.url("/"))
        assert len(pm.pools) == 1
    assert len(pm.pools) == 0
    time.sleep(0.05)
    assert server.open_connections == 0


def test_stats_through_manager(server):
    pm = PoolManager()
    for _ in range(3):
        pm.request("GET", server.url("/"))
    st = pm.connection_from_url(server.url("/")).stats()
    assert st["opened"] == 1 and st["reused"] == 2 and st["idle"] == 1
    assert pm.stats()["requests"] == 3
    pm.clear()


def _calls_per_get(lib, url):
    http = lib.PoolManager()
    for _ in range(20):
        http.request("GET", url).data
    prof = cProfile.Profile()
    prof.enable()
    http.request("GET", url).data
    prof.disable()
    http.clear()
    return pstats.Stats(prof).total_calls


def test_hot_path_call_budget(server):
    """One keep-alive GET through PoolManager.request: a few dozen Python
    calls, several times fewer than urllib3."""
    url = server.url("/x")
    ours = _calls_per_get(pool, url)
    theirs = _calls_per_get(urllib3, url)
    if pool.HAS_EXTENSIONS:
        assert ours <= 100
        assert theirs >= 4 * ours
    else:
        # The pure-Python wire layer parses in Python calls of its own.
        assert theirs >= 2 * ours


def test_changed_settings_change_the_pool(server):
    pm = PoolManager()
    url = server.url("/")
    pm.request("GET", url)
    first = pm.connection_from_url(url)
    pm.connection_pool_kw["maxsize"] = 3
    pm.request("GET", url)
    second = pm.connection_from_url(url)
    assert second is not first and second.pool.maxsize == 3
    assert first.num_requests == 1 and second.num_requests == 1
    pm.key_fn_by_scheme = dict(pm.key_fn_by_scheme)
    pm.request("GET", url)
    assert second.num_requests == 2
    pm.clear()


def test_pool_evicted_between_lookup_and_use(server):
    """A pool may be closed (by its user, from another thread) right after
    this thread looked it up: the request goes to a fresh pool instead of
    failing."""
    pm = PoolManager(num_pools=1)
    stale = pm.connection_from_url(server.url("/"))
    pm.clear()
    stale.close()
    assert stale.pool is None
    real = pm._pool_for
    lookups = []

    def racing_lookup(u):
        lookups.append(u)
        return stale if len(lookups) == 1 else real(u)

    pm._pool_for = racing_lookup
    assert pm.request("GET", server.url("/id?id=1")).data == b"1"
    assert len(lookups) == 2
    assert pm.connection_from_url(server.url("/")) is not stale
    pm.clear()


# The request path's pool lookup (_pool_for) keeps, per origin, the
# container's key object and a weak reference to the pool, and trusts them
# only while that key is the container's most recent.  Every change to the
# container a caller can make, applied after a warm lookup, must leave the
# lookup agreeing with the container itself.
def _replace_a(pm, key_a, url_a):
    pm.pools[key_a] = HTTPConnectionPool("127.0.0.1", 1)


def _delete_a(pm, key_a, url_a):
    del pm.pools[key_a]


def _touch_b(pm, key_a, url_a):
    pm.connection_from_url("http://127.0.0.1:2/")


def _touch_b_then_a(pm, key_a, url_a):
    pm.connection_from_url("http://127.0.0.1:2/")
    pm.connection_from_url(url_a)


def _clear(pm, key_a, url_a):
    pm.clear()


def _evict_a(pm, key_a, url_a):
    for port in (2, 3, 4):
        pm.connection_from_url(f"http://127.0.0.1:{port}/")


def _new_settings(pm, key_a, url_a):
    pm.connection_pool_kw["maxsize"] = 3


def _nothing(pm, key_a, url_a):
    pass


_CONTAINER_CHANGES = [_nothing, _replace_a, _delete_a, _touch_b, _touch_b_then_a, _clear, _evict_a, _new_settings]


@pytest.mark.parametrize("change", _CONTAINER_CHANGES, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("warm", [1, 2])
def test_request_path_pool_lookup_agrees_with_the_container(change, warm):
    from pool.util.url import parse_url

    pm = PoolManager(num_pools=3)
    url_a = "http://127.0.0.1:1/"
    u = parse_url(url_a)
    for _ in range(warm):
        first = pm._pool_for(u)
    key_a = next(k for k in pm.pools._container if pm.pools._container[k] is first)
    change(pm, key_a, url_a)
    got = pm._pool_for(u)
    # No request connects: these pools only exist.
    assert pm.connection_from_url(url_a) is got
    held = [k for k in pm.pools._container if pm.pools._container[k] is got]
    assert len(held) == 1 and next(reversed(pm.pools._container)) is held[0]
    assert got.pool.maxsize == pm.connection_pool_kw.get("maxsize", 1)
    assert pm._pool_for(u) is got
    pm.clear()


def test_request_path_pool_lookup_does_not_keep_an_evicted_pool():
    import weakref

    from pool.util.url import parse_url

    pm = PoolManager(num_pools=1)
    u = parse_url("http://127.0.0.1:1/")
    gone = weakref.ref(pm._pool_for(u))
    assert pm._pool_for(u) is gone()
    pm._pool_for(parse_url("http://127.0.0.1:2/"))  # evicts the first
    gc.collect()
    assert gone() is None
    assert pm._pool_for(u) is not None
    pm.clear()
