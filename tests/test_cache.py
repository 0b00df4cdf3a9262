"""pool._cache.BoundedCache, the one cache helper, and the caches built on it:
bounded in entries, emptied when full and refilled, never a wrong value,
also under threads."""

from __future__ import annotations

import threading

import pytest

from pool import connectionpool
from pool._cache import BoundedCache
from pool.util import retry as retry_module
from pool.util import url as url_module


def test_hit_returns_the_stored_object():
    cache: BoundedCache[str, list[int]] = BoundedCache(4)
    value = [1]
    assert cache.get("a") is None
    assert cache.put("a", value) is value
    assert cache.get("a") is value
    assert "a" in cache and len(cache) == 1


def test_full_cache_is_emptied_then_refills():
    cache: BoundedCache[int, int] = BoundedCache(3)
    for k in range(3):
        cache.put(k, k * 10)
    assert len(cache) == 3
    # Storing an existing key again is no new entry: nothing is dropped.
    cache.put(1, 10)
    assert len(cache) == 3 and cache.get(0) == 0
    cache.put(3, 30)
    assert len(cache) == 1 and cache.get(3) == 30 and cache.get(0) is None
    for k in range(100):
        cache.put(k, k)
        assert len(cache) <= 3


@pytest.mark.parametrize("maxsize", [0, -1])
def test_maxsize_must_be_positive(maxsize):
    with pytest.raises(ValueError):
        BoundedCache(maxsize)


def test_threads_never_see_a_wrong_value_and_the_bound_holds():
    cache: BoundedCache[int, tuple[int, int]] = BoundedCache(64)
    errors: list[str] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        start.wait()
        k = seed
        for _ in range(20000):
            k = (k * 1103515245 + 12345) % 1000
            got = cache.get(k)
            if got is None:
                cache.put(k, (k, k * k))
            elif got != (k, k * k):
                errors.append(f"{k}: {got}")
            if len(cache) > 64:
                errors.append(f"size {len(cache)}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


CACHES = {
    "request targets": (connectionpool._TARGET_CACHE, lambda i: connectionpool._encode_target_cached(f"/flood/{i}")),
    "parsed URLs": (url_module._URL_CACHE, lambda i: url_module.parse_url(f"http://flood.test/{i}")),
    "retry counts": (retry_module._FROM_INT_CACHE, lambda i: retry_module.Retry.from_int(i)),
}


@pytest.mark.parametrize("name", CACHES)
def test_a_flood_of_unique_keys_stays_bounded_and_caching_goes_on(name):
    cache, use = CACHES[name]
    for i in range(cache.maxsize * 3 + 7):
        use(i)
        assert len(cache) <= cache.maxsize
    # After the flood, a key in use is cached again.
    first = use(10**6)
    assert use(10**6) is first
