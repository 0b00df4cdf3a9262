"""HTTPHeaderDict and RecentlyUsedContainer, held against urllib3's own classes."""

import threading

import pytest
import urllib3._collections as u3

from pool._collections import HTTPHeaderDict, HTTPHeaderDictItemView, RecentlyUsedContainer


def _state(d):
    """Everything observable about a header dict, as plain data."""
    return (
        list(d),
        list(d.items()),
        list(d.itermerged()),
        {k: d[k] for k in d},
        len(d),
        len(d.items()),
        repr(d).split("(", 1)[1],
    )


def _seeded(cls):
    d = cls()
    d.add("Set-Cookie", "a=1")
    d.add("set-cookie", "b=2")
    d["Content-Length"] = "7"
    d.add("X-Multi", "one")
    d.add("x-multi", "two", combine=True)
    return d


# Each operation runs on a fresh dict of each class; results and end states must match.
OPERATIONS = {
    "getitem_joined": lambda d: d["SET-COOKIE"],
    "getitem_bytes_key": lambda d: d[b"content-length"],
    "getitem_missing": lambda d: d["nope"],
    "get_missing_default": lambda d: d.get("nope", "dflt"),
    "get_present": lambda d: d.get("x-multi"),
    "getlist": lambda d: d.getlist("set-cookie"),
    "getlist_missing": lambda d: d.getlist("nope"),
    "getlist_missing_default": lambda d: d.getlist("nope", 5),
    "get_all": lambda d: d.get_all("Set-Cookie"),
    "getheaders": lambda d: d.getheaders("set-cookie"),
    "contains": lambda d: ("set-cookie" in d, b"SET-COOKIE" in d, 5 in d, "x" in d),
    "items_contains": lambda d: (
        ("Set-Cookie", "a=1") in d.items(),
        ("set-cookie", "a=1") in d.items(),
        ("x", 1) in d.items(),
    ),
    "items_is_set": lambda d: (isinstance(d.items(), set), d.items() == {("Set-Cookie", "a=1")}),
    "setitem_replaces": lambda d: d.__setitem__("SET-cookie", "c=3"),
    "setitem_bytes": lambda d: d.__setitem__(b"X-B", "v"),
    "delitem": lambda d: d.__delitem__("set-COOKIE"),
    "delitem_missing": lambda d: d.__delitem__("nope"),
    "discard": lambda d: (d.discard("content-length"), d.discard("nope")),
    "add_new_combine": lambda d: d.add("New", "v", combine=True),
    "add_existing": lambda d: d.add("CONTENT-LENGTH", "8"),
    "add_combine": lambda d: d.add("set-cookie", "z", combine=True),
    "extend_mapping": lambda d: d.extend({"A": "1", "set-cookie": "q"}),
    "extend_pairs": lambda d: d.extend([("A", "1"), ("a", "2")], B="3"),
    "extend_too_many": lambda d: d.extend({}, {}),
    "setdefault_present": lambda d: d.setdefault("content-length", "9"),
    "setdefault_absent": lambda d: d.setdefault("New"),
    "pop": lambda d: d.pop("Content-Length"),
    "pop_missing": lambda d: d.pop("nope", None),
    "update": lambda d: d.update({"set-cookie": "only"}),
    "eq_dict": lambda d: d == {"set-cookie": "a=1, b=2", "content-length": "7", "X-MULTI": "one, two"},
    "eq_dict_wrong": lambda d: d == {"set-cookie": "a=1"},
    "eq_pairs": lambda d: (
        d == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("content-length", "7"), ("x-multi", "one, two")]
    ),
    "eq_other_type": lambda d: (d == 5, d != 5, d == "x"),
    "copy_independent": lambda d: (d.copy().add("set-cookie", "c"), d.copy() == d, d.copy() is not d),
    "or_dict": lambda d: list((d | {"Set-Cookie": "c"}).items()),
    "ror_dict": lambda d: list(({"Set-Cookie": "c", "Z": "1"} | d).items()),
    "ior_pairs": lambda d: d.__ior__([("z", "1")]),
    "or_invalid": lambda d: d.__or__(5),
    "iteritems": lambda d: list(d.iteritems()),
    "keys_values": lambda d: (list(d.keys()), list(d.values())),
    "prepare_method_change": lambda d: (d.add("Content-Type", "x"), d._prepare_for_method_change() is d),
}


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_operation_matches_urllib3(op):
    ours, theirs = _seeded(HTTPHeaderDict), _seeded(u3.HTTPHeaderDict)
    results = []
    for d in (ours, theirs):
        try:
            value = OPERATIONS[op](d)
        except Exception as e:  # compare the exception type and message too
            value = ("raised", type(e).__name__, str(e))
        if op == "ior_pairs":
            value = value is d
        results.append(value)
    assert results[0] == results[1]
    assert _state(ours) == _state(theirs)


@pytest.mark.parametrize(
    "source",
    [
        {"a": "1", "B": "2"},
        [("a", "1"), ("A", "2"), ("b", "3")],
        (("x", "y"),),
    ],
)
def test_construction_matches_urllib3(source):
    assert _state(HTTPHeaderDict(source, extra="e")) == _state(u3.HTTPHeaderDict(source, extra="e"))


def test_construct_from_urllib3_dict_and_keys_object():
    class KeysOnly:
        def keys(self):
            return ["a", "b"]

        def __getitem__(self, k):
            return k.upper()

    assert dict(HTTPHeaderDict(KeysOnly()).itermerged()) == {"a": "A", "b": "B"}
    other = u3.HTTPHeaderDict([("a", "1"), ("a", "2")])
    assert HTTPHeaderDict(other).getlist("A") == ["1", "2"]


def test_copy_of_copy_does_not_share_lists():
    d = HTTPHeaderDict([("a", "1")])
    c = d.copy()
    c.add("a", "2")
    assert d.getlist("a") == ["1"]
    assert HTTPHeaderDict(c).getlist("a") == ["1", "2"]


WIRE_FIELDS = [
    ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
    ("Content-Type", "text/html"),
    ("Set-Cookie", "a=1"),
    ("set-cookie", "b=2"),
    ("SET-COOKIE", "c=3"),
    ("Content-Length", "12"),
    ("X-Empty", ""),
]


def test_from_wire_equals_add_loop():
    fast = HTTPHeaderDict._from_wire(WIRE_FIELDS)
    slow = HTTPHeaderDict()
    for name, value in WIRE_FIELDS:
        slow.add(name, value)
    assert _state(fast) == _state(slow)
    assert fast.getlist("set-cookie") == ["a=1", "b=2", "c=3"]
    assert list(fast) == ["Date", "Content-Type", "Set-Cookie", "Content-Length", "X-Empty"]
    assert isinstance(fast.items(), HTTPHeaderDictItemView)
    # it is a real, independent dict
    fast["content-length"] = "13"
    assert fast["Content-Length"] == "13" and slow["Content-Length"] == "12"


def test_from_wire_empty():
    d = HTTPHeaderDict._from_wire([])
    assert len(d) == 0 and d == {} and d.get("x") is None


def test_not_hashable():
    with pytest.raises(TypeError):
        hash(HTTPHeaderDict())


# ---------------------------------------------------------------- LRU


def test_lru_evicts_least_recent_and_disposes():
    disposed = []
    c = RecentlyUsedContainer(maxsize=2, dispose_func=disposed.append)
    c["a"] = 1
    c["b"] = 2
    assert c["a"] == 1  # a becomes most recent
    c["c"] = 3
    assert disposed == [2]
    assert c.keys() == {"a", "c"}
    assert len(c) == 2


def test_lru_replace_disposes_old_value():
    disposed = []
    c = RecentlyUsedContainer(maxsize=2, dispose_func=disposed.append)
    c["a"] = 1
    c["a"] = 2
    assert disposed == [1] and c["a"] == 2 and len(c) == 1


def test_lru_delete_clear_and_iteration():
    disposed = []
    c = RecentlyUsedContainer(maxsize=5, dispose_func=disposed.append)
    for i in range(3):
        c[i] = i * 10
    del c[1]
    assert disposed == [10]
    with pytest.raises(KeyError):
        del c[1]
    with pytest.raises(KeyError):
        c[42]
    with pytest.raises(NotImplementedError):
        iter(c)
    c.clear()
    assert sorted(disposed) == [0, 10, 20] and len(c) == 0


def test_lru_maxsize_zero_keeps_nothing():
    disposed = []
    c = RecentlyUsedContainer(maxsize=0, dispose_func=disposed.append)
    c["a"] = 1
    assert len(c) == 0 and disposed == [1]


def test_lru_matches_urllib3_sequence():
    seqs = []
    for cls in (RecentlyUsedContainer, u3.RecentlyUsedContainer):
        log = []
        c = cls(maxsize=3, dispose_func=log.append)
        for i in range(10):
            c[i % 5] = i
            if i % 3 == 0:
                c[i % 5]
        seqs.append((log, sorted(c.keys()), len(c)))
    assert seqs[0] == seqs[1]


def test_lru_thread_safety():
    disposed = []
    c = RecentlyUsedContainer(maxsize=10, dispose_func=disposed.append)
    errors = []

    def work(base):
        try:
            for i in range(2000):
                c[(base, i % 50)] = i
                try:
                    c[(base, (i * 7) % 50)]
                except KeyError:
                    pass
        except Exception as e:  # pragma: no cover - the assertion reports it
            errors.append(e)

    threads = [threading.Thread(target=work, args=(b,)) for b in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(c) == 10
    # every insertion of a new key beyond the 10 kept ones was disposed of once
    assert len(disposed) + len(c) == 4 * 2000


# The bookkeeping PoolManager._pool_for trusts: after any sequence of
# operations a caller can make, a key that is ``_mru`` is the most recent
# one, and ``_changes`` moved whenever some key's value did.
_RUC_OPS = [
    ("get", 0),
    ("get", 1),
    ("set", 0),
    ("set", 1),
    ("set", 2),
    ("set", 3),
    ("del", 0),
    ("del", 2),
    ("pop", 1),
    ("clear", None),
    ("setdefault", 3),
]


@pytest.mark.parametrize("maxsize", [0, 1, 3])
@pytest.mark.parametrize("first", range(len(_RUC_OPS)))
def test_recently_used_container_bookkeeping(maxsize, first):
    c = RecentlyUsedContainer(maxsize=maxsize)
    # Keys equal but not identical to the ones stored, as a PoolKey rebuilt
    # by another caller is.
    keys = [("k", i) for i in range(4)]
    # Every op first, then every op again after each one: all ordered pairs.
    for op, arg in [_RUC_OPS[first]] + [x for pair in zip(_RUC_OPS, _RUC_OPS[::-1]) for x in pair]:
        key = None if arg is None else tuple(list(keys[arg]))
        before = (c._changes, dict(c._container))
        if op == "get":
            c.get(key)
        elif op == "set":
            c[key] = object()
        elif op == "del":
            try:
                del c[key]
            except KeyError:
                pass
        elif op == "pop":
            c.pop(key, None)
        elif op == "setdefault":
            c.setdefault(key, object())
        else:
            c.clear()
        od = c._container
        if c._mru is not None:
            assert od and next(reversed(od)) == c._mru
        if c._changes == before[0]:
            assert dict(od) == before[1] and all(od[k] is v for k, v in before[1].items())
