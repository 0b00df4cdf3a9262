"""Request timings: ``response.timings`` and the ``on_request_done`` hook.

Real sockets on 127.0.0.1 (the scripted server of tests/hostile.py, over
plain HTTP and TLS), each case on the compiled wire layer and its Python
twin: the stamps are ordered, a reused connection is flagged and has no
connect stamps, a server that waits before the head or between head and
body shows up in the interval it belongs to, TLS stamps appear only over
TLS, and the hook is called exactly once per response however the response
ends (preloaded, streamed, released unread, drained, a redirect, a retried
status), and a hook that raises breaks nothing.
"""

from __future__ import annotations

import logging
import pathlib
import re
import socket
import typing

import pytest
from hostile import HostileServer, Pause, client_kw, client_pool, impl, response, transport  # noqa: F401

import pool
from pool import HTTPConnectionPool, PoolManager
from pool.connection import HTTPConnection
from pool.response import HTTPResponse
from pool.util.retry import Retry
from pool.util.timings import Timings

OK = response(b"hello")
HEAD_ONLY = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
# A server's wait, long enough to stand out of the noise of a loaded
# machine; the other intervals of the same request are held under it.
SLOW = 0.6


def _ordered(t: Timings) -> list[int]:
    # The stamps that were taken, in the order the request passes them.
    stamps = (t.start, t.connect_start, t.resolved, t.connected, t.tls_done, t.sent, t.head, t.body_done)
    return [s for s in stamps if s is not None]


def _read(r: typing.Any, how: str) -> None:
    # Ends a response the way ``how`` says (see ENDINGS).
    if how == "preload":
        assert r.data == b"hello"
    elif how == "stream":
        assert b"".join(r.stream(2)) == b"hello"
        r.release_conn()
    elif how == "read":
        assert r.read() == b"hello"
        r.release_conn()
    elif how == "release":
        r.release_conn()
    elif how == "drain":
        r.drain_conn()
    elif how == "close":
        r.close()


# How a response ends, and whether it is read with preload_content.
ENDINGS = [
    ("preload", True),
    ("stream", False),
    ("read", False),
    ("release", False),
    ("drain", False),
    ("close", False),
]


@pytest.mark.parametrize(("how", "preload"), ENDINGS, ids=[e[0] for e in ENDINGS])
def test_stamps_ordered_reuse_and_tls(impl: typing.Any, transport: typing.Any, how: str, preload: bool) -> None:
    with HostileServer([[OK]] * 3, tls=transport) as srv:
        calls: list[tuple[typing.Any, ...]] = []
        pm = PoolManager(on_request_done=lambda *a: calls.append(a), **client_kw(srv))
        got = []
        for _ in range(3):
            r = pm.request("GET", srv.url("/x"), preload_content=preload)
            _read(r, how)
            got.append(r.timings)
        # close(), or a release with the body unread, ends the connection:
        # each request opens its own.
        fresh = how in ("close", "release")
        expect_new = [True, fresh, fresh]
        assert srv.accepted == sum(expect_new)
        for t, new in zip(got, expect_new):
            assert isinstance(t, Timings)
            stamps = _ordered(t)
            assert stamps == sorted(stamps), t
            assert None not in (t.sent, t.head, t.body_done)
            assert t.reused is not new
            if new:
                assert None not in (t.connect_start, t.resolved, t.connected)
                assert (t.tls_done is not None) is (transport is not None)
                names = {"resolve", "connect", "send", "wait", "receive", "total"}
                assert set(t.durations()) == names | ({"tls"} if transport else set())
            else:
                assert (t.connect_start, t.resolved, t.connected, t.tls_done) == (None, None, None, None)
                assert set(t.durations()) == {"send", "wait", "receive", "total"}
            assert all(v >= 0 for v in t.durations().values())
            assert t.total == t.durations()["total"]
        # The hook saw each request once, with the same timings.
        assert [(c[0], c[1], c[2]) for c in calls] == [("GET", srv.url("/x"), 200)] * 3
        assert [c[3] for c in calls] == got


# (server script, the interval the wait belongs in, preload_content)
SLOW_CASES = [
    ("before-head", [Pause(SLOW), OK], "wait", True),
    ("before-head-stream", [Pause(SLOW), OK], "wait", False),
    ("head-then-body", [HEAD_ONLY, Pause(SLOW), b"hello"], "receive", True),
    ("head-then-body-stream", [HEAD_ONLY, Pause(SLOW), b"hello"], "receive", False),
]


@pytest.mark.parametrize(("script", "slow", "preload"), [c[1:] for c in SLOW_CASES], ids=[c[0] for c in SLOW_CASES])
def test_slow_server_shows_in_its_interval(
    impl: typing.Any, transport: typing.Any, script: list[typing.Any], slow: str, preload: bool
) -> None:
    # Warm-up on its own connection first, so the measured request is a
    # reused one whose only slow part is the server's wait.
    with HostileServer([[OK], script], tls=transport) as srv:
        p = client_pool(srv, maxsize=1)
        p.request("GET", "/warm")
        r = p.request("GET", "/slow", preload_content=preload)
        _read(r, "preload" if preload else "read")
        t = r.timings
        assert t is not None and t.reused
        d = t.durations()
        assert d[slow] >= SLOW * 0.95, d
        for other in ("send", "wait", "receive"):
            if other != slow:
                assert d[other] < SLOW, d
        assert d["total"] >= SLOW * 0.95


def test_body_done_waits_for_the_body(impl: typing.Any) -> None:
    with HostileServer([[HEAD_ONLY + b"hel", Pause(0.2), b"lo"]]) as srv:
        p = client_pool(srv)
        r = p.request("GET", "/", preload_content=False)
        t = r.timings
        assert t is not None and t.head is not None and t.body_done is None and t.total is None
        assert "receive" not in t.durations()
        assert r.read() == b"hello"
        t = r.timings
        assert t is not None and t.body_done is not None and t.body_done >= t.head


# (scripts, urlopen keywords, statuses the hook must see, in order)
HOOK_CASES = [
    ("redirect", [[response(status="302 Found", headers=["Location: /next"])], [OK]], {}, [302, 200]),
    (
        "retry-status",
        [[response(b"busy", status="503 Service Unavailable")], [OK]],
        {"retries": Retry(3, status_forcelist=[503], backoff_factor=0)},
        [503, 200],
    ),
    ("plain", [[OK]], {}, [200]),
]


@pytest.mark.parametrize(("how", "preload"), ENDINGS, ids=[e[0] for e in ENDINGS])
@pytest.mark.parametrize(("scripts", "kw", "statuses"), [c[1:] for c in HOOK_CASES], ids=[c[0] for c in HOOK_CASES])
@pytest.mark.parametrize("via", ["manager", "pool"])
def test_hook_once_per_response(
    impl: typing.Any,
    via: str,
    scripts: list[bytes],
    kw: dict[str, typing.Any],
    statuses: list[int],
    how: str,
    preload: bool,
) -> None:
    with HostileServer(scripts) as srv:
        calls: list[tuple[typing.Any, ...]] = []

        def hook(*a: typing.Any) -> None:
            calls.append(a)

        client = PoolManager(on_request_done=hook) if via == "manager" else client_pool(srv, on_request_done=hook)
        url = srv.url("/") if via == "manager" else "/"
        r = client.urlopen("GET", url, preload_content=preload, **kw)
        # Until the last body is done, the hook has seen the responses
        # before it only.
        assert [c[2] for c in calls] == (statuses if preload else statuses[:-1])
        _read(r, how)
        assert [c[2] for c in calls] == statuses
        # Ending it once more calls nothing again.
        r.release_conn()
        r.close()
        assert len(calls) == len(statuses)
        assert [c[0] for c in calls] == ["GET"] * len(statuses)
        assert calls[-1][1] == srv.url("/next" if statuses[0] == 302 else "/")
        for c in calls:
            assert isinstance(c[3], Timings) and c[3].body_done is not None


@pytest.mark.parametrize(("how", "preload"), ENDINGS, ids=[e[0] for e in ENDINGS])
def test_raising_hook_breaks_nothing(
    impl: typing.Any, how: str, preload: bool, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(*a: typing.Any) -> None:
        raise RuntimeError("metrics backend down")

    with HostileServer([[OK], [OK]]) as srv, caplog.at_level(logging.WARNING, logger="pool"):
        p = client_pool(srv, on_request_done=hook)
        for _ in range(2):
            r = p.urlopen("GET", "/", preload_content=preload)
            _read(r, how)
            assert r.status == 200
        # The connection stayed fit for reuse (unless ended by design).
        assert srv.accepted == (2 if how in ("close", "release") else 1)
    raised = [rec for rec in caplog.records if "on_request_done" in rec.getMessage()]
    assert len(raised) == 2
    assert all(rec.exc_info and rec.exc_info[0] is RuntimeError for rec in raised)


def test_no_hook_no_keyword_reaches_the_connection(impl: typing.Any) -> None:
    # The pool keeps the hook; connections are made with urllib3's keywords.
    with HostileServer([[OK]]) as srv:
        p = client_pool(srv, on_request_done=lambda *a: None)
        assert "on_request_done" not in p.conn_kw
        assert p.request("GET", "/").data == b"hello"


def test_response_not_from_a_pool_has_no_timings() -> None:
    assert HTTPResponse(body=b"x", preload_content=False).timings is None
    assert HTTPResponse(body=b"x").timings is None


def test_timings_read_only() -> None:
    t = Timings(1, None, None, None, None, 2, 3, 4, True)
    with pytest.raises(AttributeError):
        t.start = 0  # type: ignore[misc]
    assert t.durations() == pytest.approx({"send": 1e-9, "wait": 1e-9, "receive": 1e-9, "total": 3e-9})


class _OwnConnect(HTTPConnection):
    # A connection class that opens its socket itself (as docker-py's
    # unix-socket connection does): pool has no connect stamps for it.
    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=5)


def test_own_connect_is_new_without_stamps(impl: typing.Any) -> None:
    with HostileServer([[OK], [OK]]) as srv:
        p = HTTPConnectionPool(srv.host, srv.port)
        p.ConnectionCls = _OwnConnect
        first = p.request("GET", "/").timings
        second = p.request("GET", "/").timings
        assert first is not None and second is not None
        assert not first.reused and second.reused
        assert (first.connect_start, first.resolved, first.connected) == (None, None, None)
        assert first.sent is not None and first.start <= first.sent


def test_docs_example_runs(impl: typing.Any) -> None:
    # docs/timings.md's adapters, run with stand-ins for the metrics
    # libraries (neither is a dependency).
    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "timings.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    assert len(blocks) >= 3
    observed: list[tuple[str, str, float]] = []
    spans: list[dict[str, typing.Any]] = []

    class Histogram:
        def __init__(self, name: str, doc: str, labels: list[str]) -> None:
            self.name = name

        def labels(self, **kw: str) -> typing.Any:
            hist = self

            class Child:
                def observe(self, value: float) -> None:
                    observed.append((hist.name, kw["phase"], value))

            return Child()

    class Span:
        def __init__(self, name: str, start_time: int, attributes: dict[str, typing.Any]) -> None:
            self.record = {"name": name, "start": start_time, "attributes": attributes}

        def end(self, end_time: int) -> None:
            self.record["end"] = end_time
            spans.append(self.record)

    class Tracer:
        def start_span(self, name: str, start_time: int, attributes: dict[str, typing.Any]) -> Span:
            return Span(name, start_time, attributes)

    with HostileServer([[OK]] * 8) as srv:
        scope: dict[str, typing.Any] = {
            "Histogram": Histogram,
            "tracer": Tracer(),
            "pool": pool,
            "EPOCH_OFFSET_NS": 0,
        }
        for code in blocks:
            code = code.replace("https://example.com", srv.url("").rstrip("/"))
            exec(code, scope)  # noqa: S102 - our own docs
    assert {phase for _, phase, _ in observed} >= {"total", "wait", "connect"}
    assert spans and all(s["end"] >= s["start"] for s in spans)
    assert spans[0]["attributes"]["http.response.status_code"] == 200
