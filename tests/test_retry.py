"""Retry: counters, exhaustion, history, backoff (with and without jitter),
Retry-After (seconds, HTTP-date, the cap), is_retry, from_int, new()."""

from __future__ import annotations

import email.utils
import random
import time
import warnings

import pytest

from pool.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
)
from pool.util.retry import RequestHistory, Retry


class _Response:
    """The three things Retry reads from a response."""

    def __init__(self, status=200, headers=None, location=None):
        self.status = status
        self.headers = headers or {}
        self._location = location

    def get_redirect_location(self):
        return self._location if self.status in (301, 302, 303, 307, 308) else False


def _read_err():
    return ReadTimeoutError(None, "/", "Read timed out.")


def _history(n_errors: int, redirect_then: int = 0):
    hist = tuple(RequestHistory("GET", "/", ProtocolError("x"), None, None) for _ in range(n_errors))
    return hist + tuple(RequestHistory("GET", "/", None, 301, "/y") for _ in range(redirect_then))


# -- defaults ---------------------------------------------------------------


def test_defaults_match_urllib3():
    u3 = pytest.importorskip("urllib3.util.retry").Retry
    ours, theirs = Retry(), u3()
    for name in (
        "total",
        "connect",
        "read",
        "redirect",
        "status",
        "other",
        "allowed_methods",
        "backoff_factor",
        "backoff_max",
        "backoff_jitter",
        "raise_on_redirect",
        "raise_on_status",
        "history",
        "respect_retry_after_header",
        "remove_headers_on_redirect",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert set(ours.status_forcelist) == set(theirs.status_forcelist) == set()
    for name in (
        "DEFAULT_ALLOWED_METHODS",
        "RETRY_AFTER_STATUS_CODES",
        "DEFAULT_REMOVE_HEADERS_ON_REDIRECT",
        "DEFAULT_BACKOFF_MAX",
    ):
        assert getattr(Retry, name) == getattr(u3, name), name
    assert Retry.DEFAULT.total == 3
    kwargs = {"connect": 1, "read": 2, "redirect": 3, "status": 4}
    assert repr(Retry(5, **kwargs)) == repr(u3(5, **kwargs))
    assert repr(Retry(2)) == "Retry(total=2, connect=None, read=None, redirect=None, status=None)"


def test_remove_headers_lowercased():
    assert Retry(remove_headers_on_redirect=["X-Api-KEY"]).remove_headers_on_redirect == {"x-api-key"}
    assert Retry().remove_headers_on_redirect == {"cookie", "authorization", "proxy-authorization"}


def test_false_disables_redirects():
    for r in (Retry(False), Retry(redirect=False)):
        assert r.redirect == 0
        assert r.raise_on_redirect is False


# -- increment and exhaustion -----------------------------------------------


def test_increment_returns_new_object_and_keeps_original():
    r = Retry(3)
    r2 = r.increment("GET", "/a", error=ProtocolError("boom"))
    assert r.total == 3 and r.history == ()
    assert r2.total == 2 and r2 is not r
    assert r2.history == (RequestHistory("GET", "/a", r2.history[0].error, None, None),)


@pytest.mark.parametrize(
    "field, make_kwargs",
    [
        ("connect", lambda: {"error": ConnectTimeoutError("c")}),
        ("read", lambda: {"error": _read_err()}),
        ("other", lambda: {"error": ValueError("o")}),
        ("redirect", lambda: {"response": _Response(302, location="/next")}),
        ("status", lambda: {"response": _Response(503)}),
    ],
)
def test_each_counter_exhausts(field, make_kwargs):
    r = Retry(total=None, **{field: 2})
    r = r.increment("GET", "/u", **make_kwargs())
    assert getattr(r, field) == 1
    r = r.increment("GET", "/u", **make_kwargs())
    assert getattr(r, field) == 0
    assert not r.is_exhausted()
    with pytest.raises(MaxRetryError) as info:
        r.increment("GET", "/u", _pool="the-pool", **make_kwargs())  # type: ignore[arg-type]
    assert info.value.url == "/u"
    assert info.value.pool == "the-pool"
    kwargs = make_kwargs()
    if "error" in kwargs:
        assert type(info.value.reason) is type(kwargs["error"])
    else:
        assert isinstance(info.value.reason, ResponseError)


def test_reasons_for_responses():
    with pytest.raises(MaxRetryError) as info:
        Retry(0).increment("GET", "/", response=_Response(302, location="/x"))
    assert str(info.value.reason) == "too many redirects"
    with pytest.raises(MaxRetryError) as info:
        Retry(0).increment("GET", "/", response=_Response(500))
    assert str(info.value.reason) == "too many 500 error responses"
    with pytest.raises(MaxRetryError) as info:
        Retry(0).increment("GET", "/")
    assert str(info.value.reason) == ResponseError.GENERIC_ERROR


def test_total_takes_precedence():
    r = Retry(total=1, connect=5)
    r = r.increment(error=ConnectTimeoutError())
    assert (r.total, r.connect) == (0, 4)
    with pytest.raises(MaxRetryError):
        r.increment(error=ConnectTimeoutError())


def test_history_contents():
    err = ConnectTimeoutError("c")
    r = Retry(10)
    r = r.increment("GET", "/a", error=err)
    r = r.increment("GET", "/a", response=_Response(301, location="/b"))
    r = r.increment("GET", "/b", response=_Response(503))
    assert r.history == (
        RequestHistory("GET", "/a", err, None, None),
        RequestHistory("GET", "/a", None, 301, "/b"),
        RequestHistory("GET", "/b", None, 503, None),
    )
    assert r.total == 7


def test_read_error_on_non_idempotent_method_reraises():
    err = _read_err()
    with pytest.raises(ReadTimeoutError) as info:
        Retry(5).increment("POST", "/", error=err)
    assert info.value is err
    with pytest.raises(ReadTimeoutError):
        Retry(5).increment(None, "/", error=err)
    # allowed_methods=None allows any method
    assert Retry(5, allowed_methods=None).increment("POST", "/", error=err).total == 4


def test_disabled_retries_reraise_original_error():
    err = ProtocolError("raw")
    with pytest.raises(ProtocolError) as info:
        Retry(False).increment("GET", "/", error=err)
    assert info.value is err
    with pytest.raises(ConnectTimeoutError):
        Retry(5, connect=False).increment("GET", "/", error=ConnectTimeoutError())
    with pytest.raises(ReadTimeoutError):
        Retry(5, read=False).increment("GET", "/", error=_read_err())


def test_proxy_error_wrapping_connect_error_counts_as_connect():
    err = ProxyError("proxy", ConnectTimeoutError("c"))
    r = Retry(5, connect=2).increment("GET", "/", error=err)
    assert r.connect == 1
    plain = Retry(5, connect=2, other=3).increment("GET", "/", error=ProxyError("p", OSError()))
    assert (plain.connect, plain.other) == (2, 2)


@pytest.mark.parametrize(
    "counts, exhausted",
    [
        ({}, False),
        ({"total": 0}, False),
        ({"total": -1}, True),
        ({"connect": -1}, True),
        ({"read": -1}, True),
        ({"redirect": -1}, True),
        ({"status": -1}, True),
        ({"other": -1}, True),
        ({"total": None, "connect": 0}, False),
        ({"total": False}, False),
    ],
)
def test_is_exhausted(counts, exhausted):
    assert Retry(**counts).is_exhausted() is exhausted


def test_increment_matches_urllib3_counters():
    u3 = pytest.importorskip("urllib3.util.retry").Retry
    from urllib3 import exceptions as u3exc

    ours = Retry(total=8, connect=3, read=3, redirect=3, status=3, other=3, status_forcelist=[500])
    theirs = u3(total=8, connect=3, read=3, redirect=3, status=3, other=3, status_forcelist=[500])
    steps = [
        ({"error": ConnectTimeoutError()}, {"error": u3exc.ConnectTimeoutError()}),
        ({"error": _read_err()}, {"error": u3exc.ReadTimeoutError(None, "/", "t")}),
        ({"error": ValueError()}, {"error": ValueError()}),
        ({"response": _Response(301, location="/x")}, {"response": _Response(301, location="/x")}),
        ({"response": _Response(500)}, {"response": _Response(500)}),
    ]
    for ours_kw, theirs_kw in steps:
        ours = ours.increment("GET", "/", **ours_kw)
        theirs = theirs.increment("GET", "/", **theirs_kw)
        assert (ours.total, ours.connect, ours.read, ours.redirect, ours.status, ours.other) == (
            theirs.total,
            theirs.connect,
            theirs.read,
            theirs.redirect,
            theirs.status,
            theirs.other,
        )
        assert [(h.method, h.status, h.redirect_location) for h in ours.history] == [
            (h.method, h.status, h.redirect_location) for h in theirs.history
        ]


# -- backoff -----------------------------------------------------------------


def test_backoff_sequence_without_jitter():
    r = Retry(total=None, backoff_factor=0.5, backoff_max=10)
    seq = [r.new(history=_history(n)).get_backoff_time() for n in range(8)]
    assert seq == [0, 0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert Retry(backoff_factor=0).new(history=_history(5)).get_backoff_time() == 0


def test_backoff_sequence_matches_urllib3():
    u3 = pytest.importorskip("urllib3.util.retry")
    for factor, cap in ((0.1, 120), (0.2, 1), (3, 7.5)):
        for n in range(10):
            hist = _history(n)
            u3hist = tuple(u3.RequestHistory(*h) for h in hist)
            assert (
                Retry(backoff_factor=factor, backoff_max=cap, history=hist).get_backoff_time()
                == u3.Retry(backoff_factor=factor, backoff_max=cap, history=u3hist).get_backoff_time()
            )


def test_backoff_counts_only_errors_after_last_redirect():
    r = Retry(backoff_factor=1)
    assert r.new(history=_history(5, redirect_then=1)).get_backoff_time() == 0
    hist = _history(5, redirect_then=1) + _history(3)
    assert r.new(history=hist).get_backoff_time() == 4.0


def test_backoff_with_jitter_is_bounded_and_seeded():
    r = Retry(backoff_factor=1, backoff_jitter=0.5, backoff_max=100, history=_history(3))
    values = [r.get_backoff_time() for _ in range(200)]
    assert all(4.0 <= v <= 4.5 for v in values)
    assert len(set(values)) > 1  # the jitter varies
    random.seed(1234)
    got = r.get_backoff_time()
    expected = 4.0 + random.Random(1234).random() * 0.5
    assert got == pytest.approx(expected)


def test_backoff_with_jitter_still_capped():
    r = Retry(backoff_factor=1, backoff_jitter=10, backoff_max=5, history=_history(4))
    assert all(r.get_backoff_time() == 5.0 for _ in range(50))


def test_sleep_backoff_really_sleeps():
    r = Retry(backoff_factor=0.05, history=_history(2))  # 0.1 s
    start = time.monotonic()
    r.sleep()
    assert 0.09 <= time.monotonic() - start < 2


# -- Retry-After -------------------------------------------------------------


@pytest.mark.parametrize("value, seconds", [("0", 0), ("5", 5), ("  17 ", 17), ("\t3\t", 3), ("1000000", 21600)])
def test_parse_retry_after_seconds(value, seconds):
    assert Retry().parse_retry_after(value) == seconds


def test_parse_retry_after_http_date():
    future = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 27 <= Retry().parse_retry_after(future) <= 31
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert Retry().parse_retry_after(past) == 0
    # RFC 9110's example format.
    assert Retry().parse_retry_after("Fri, 31 Dec 1999 23:59:59 GMT") == 0


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "5 seconds", "\u0661\u0662", "Fri, 99 Foo"])
def test_parse_retry_after_invalid(value):
    with pytest.raises(InvalidHeader):
        Retry().parse_retry_after(value)


def test_get_retry_after():
    assert Retry().get_retry_after(_Response(503)) is None
    assert Retry().get_retry_after(_Response(503, {"Retry-After": "7"})) == 7


def test_retry_after_clamped_to_retry_after_max_as_urllib3():
    import urllib3

    for value in ("0", "7", "21600", "21601", "999999999999999999999", " 30 "):
        for cap in (None, 5, 60):
            kw = {} if cap is None else {"retry_after_max": cap}
            assert Retry(**kw).parse_retry_after(value) == urllib3.Retry(**kw).parse_retry_after(value), (value, cap)
    assert Retry().retry_after_max == urllib3.Retry().retry_after_max == Retry.DEFAULT_RETRY_AFTER_MAX == 21600
    assert Retry(retry_after_max=5).check_retry_after(_Response(503, {"Retry-After": "10"})) == 5


def test_retry_after_over_limit_raises_instead_of_sleeping():
    r = Retry(retry_after_limit=5)
    resp = _Response(503, {"Retry-After": "10"})
    start = time.monotonic()
    with pytest.raises(MaxRetryError) as info:
        r.sleep(resp, _pool="p", url="/x")  # type: ignore[arg-type]
    assert time.monotonic() - start < 1
    assert isinstance(info.value.reason, ResponseError)
    assert "Retry-After" in str(info.value.reason) and "10" in str(info.value.reason) and "5" in str(info.value.reason)
    assert (info.value.pool, info.value.url) == ("p", "/x")
    with pytest.raises(MaxRetryError):
        r.sleep_for_retry(resp)
    with pytest.raises(MaxRetryError):
        r.check_retry_after(resp)


def test_retry_after_date_over_limit_raises():
    far = email.utils.formatdate(time.time() + 7200, usegmt=True)
    with pytest.raises(MaxRetryError):
        Retry(retry_after_limit=3600).check_retry_after(_Response(429, {"Retry-After": far}))


def test_retry_after_within_limit():
    r = Retry(backoff_max=1, retry_after_limit=300)
    assert r.check_retry_after(_Response(503, {"Retry-After": "200"})) == 200
    assert r.check_retry_after(_Response(503, {"Retry-After": "300"})) == 300
    with pytest.raises(MaxRetryError):
        r.check_retry_after(_Response(503, {"Retry-After": "301"}))
    assert r.new(total=1).retry_after_limit == 300
    # The limit is checked against what the server asked, the clamp after it.
    assert (
        Retry(retry_after_max=10, retry_after_limit=300).check_retry_after(_Response(503, {"Retry-After": "200"})) == 10
    )


def test_empty_allowed_methods_is_deprecated_as_in_urllib3():
    with pytest.warns(FutureWarning, match="allowed_methods"):
        Retry(allowed_methods=[])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Retry(allowed_methods=None)
        Retry(allowed_methods=["GET"])


def test_sleep_honours_retry_after():
    r = Retry()
    start = time.monotonic()
    assert r.sleep_for_retry(_Response(503, {"Retry-After": "1"})) is True
    assert 0.9 <= time.monotonic() - start < 3
    assert r.sleep_for_retry(_Response(503, {"Retry-After": "0"})) is False
    assert r.sleep_for_retry(_Response(503)) is False


def test_ignored_retry_after_is_not_capped():
    r = Retry(backoff_max=1, respect_retry_after_header=False)
    start = time.monotonic()
    r.sleep(_Response(503, {"Retry-After": "99999"}))
    assert time.monotonic() - start < 1


# -- is_retry ----------------------------------------------------------------


def test_is_retry_methods_and_forcelist():
    r = Retry(status_forcelist=[500, 502])
    assert r.is_retry("GET", 500)
    assert r.is_retry("get", 502)
    assert not r.is_retry("GET", 200)
    assert not r.is_retry("POST", 500)
    assert Retry(status_forcelist=[500], allowed_methods=None).is_retry("POST", 500)
    assert Retry(status_forcelist=[500], allowed_methods=["POST"]).is_retry("POST", 500)


@pytest.mark.parametrize("status", sorted(Retry.RETRY_AFTER_STATUS_CODES))
def test_is_retry_retry_after_statuses(status):
    assert Retry().is_retry("GET", status, has_retry_after=True)
    assert not Retry().is_retry("GET", status, has_retry_after=False)
    assert not Retry(respect_retry_after_header=False).is_retry("GET", status, has_retry_after=True)
    assert not Retry(total=0).is_retry("GET", status, has_retry_after=True)
    assert not Retry().is_retry("POST", status, has_retry_after=True)


def test_is_retry_other_status_with_retry_after():
    assert not Retry().is_retry("GET", 500, has_retry_after=True)


# -- from_int and new --------------------------------------------------------


def test_from_int_none_returns_shared_default():
    assert Retry.from_int(None) is Retry.DEFAULT
    custom = Retry(7)
    assert Retry.from_int(None, default=custom) is custom
    assert Retry.from_int(custom) is custom
    assert Retry.from_int(custom, redirect=False) is custom


def test_from_int_values():
    r = Retry.from_int(5)
    assert r.total == 5 and r.redirect is None and r.raise_on_redirect
    r = Retry.from_int(5, redirect=False)
    assert r.total == 5 and r.redirect == 0 and not r.raise_on_redirect
    r = Retry.from_int(False)
    assert r.total is False and r.redirect == 0 and not r.raise_on_redirect
    r = Retry.from_int(None, default=2)
    assert r.total == 2
    assert Retry.from_int(0).total == 0


def test_from_int_shares_objects_per_value():
    assert Retry.from_int(4) is Retry.from_int(4)
    assert Retry.from_int(4) is not Retry.from_int(4, redirect=False)
    assert Retry.from_int(4, redirect=0) is Retry.from_int(4, redirect=False)
    # Sharing is safe: increment never changes the shared object.
    shared = Retry.from_int(4)
    shared.increment("GET", "/", error=ProtocolError())
    assert Retry.from_int(4).total == 4 and Retry.from_int(4).history == ()


def test_from_int_cache_keeps_bool_and_int_apart():
    # 0 == False and 1 == True, but they mean different things.
    for first, second in ((0, False), (False, 0), (1, True), (True, 1)):
        for value in (first, second):
            assert type(Retry.from_int(value).total) is type(value)
    with pytest.raises(MaxRetryError):
        Retry.from_int(0).increment("GET", "/", error=ProtocolError("x"))
    with pytest.raises(ProtocolError):
        Retry.from_int(False).increment("GET", "/", error=ProtocolError("x"))


def test_from_int_subclass():
    class MyRetry(Retry):
        pass

    assert type(MyRetry.from_int(3)) is MyRetry
    assert type(Retry.from_int(3)) is Retry


def test_new_copies_everything():
    r = Retry(
        total=4,
        connect=1,
        read=2,
        redirect=3,
        status=4,
        other=5,
        allowed_methods=["GET"],
        status_forcelist=[503],
        backoff_factor=0.3,
        backoff_max=9,
        raise_on_redirect=False,
        raise_on_status=False,
        respect_retry_after_header=False,
        remove_headers_on_redirect=["X-A"],
        backoff_jitter=0.2,
        retry_after_max=42,
        retry_after_limit=7,
    )
    for kw in ({}, {"allowed_methods": ["PUT"]}):
        n = r.new(**kw)
        for name in (
            "total",
            "connect",
            "read",
            "redirect",
            "status",
            "other",
            "status_forcelist",
            "backoff_factor",
            "backoff_max",
            "raise_on_redirect",
            "raise_on_status",
            "respect_retry_after_header",
            "remove_headers_on_redirect",
            "backoff_jitter",
            "retry_after_max",
            "retry_after_limit",
            "history",
        ):
            assert getattr(n, name) == getattr(r, name), name
    assert r.new(total=False).raise_on_redirect is False
    assert r.new(total=False).redirect == 0
    assert r.new(history=None).history == ()


def test_new_on_subclass_with_own_init():
    class Tagged(Retry):
        def __init__(self, *args, tag="t", **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = tag

        def new(self, **kw):
            kw.setdefault("tag", self.tag)
            return super().new(**kw)

    r = Tagged(3, tag="mine").increment("GET", "/", error=ProtocolError())
    assert type(r) is Tagged and r.tag == "mine" and r.total == 2
