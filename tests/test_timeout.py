"""Timeout: validation, connect/read resolution with and without total,
clone, the clock, and deadline()."""

from __future__ import annotations

import socket
import time

import pytest

from pool.exceptions import TimeoutStateError
from pool.util.timeout import _DEFAULT_TIMEOUT, _TYPE_DEFAULT, DEFAULT_TIMEOUT, Timeout


def test_sentinel():
    assert _DEFAULT_TIMEOUT is _TYPE_DEFAULT.token is DEFAULT_TIMEOUT is Timeout.DEFAULT_TIMEOUT
    # Never usable as a real socket timeout by accident.
    with pytest.raises((ValueError, TypeError)):
        socket.socket().settimeout(_DEFAULT_TIMEOUT.value - 0.0)


@pytest.mark.parametrize("value", [0, -1, -0.5, 0.0, True, False, "1", "abc", object(), [1], complex(1, 1)])
@pytest.mark.parametrize("name", ["total", "connect", "read"])
def test_invalid_values(name, value):
    with pytest.raises(ValueError) as info:
        Timeout(**{name: value})
    if not isinstance(value, bool):
        assert name in str(info.value)


@pytest.mark.parametrize("value", [0.001, 1, 2.5, 10**6, None])
def test_valid_values(value):
    t = Timeout(total=value, connect=value, read=value)
    assert t.total == value


def test_messages_match_urllib3():
    u3 = pytest.importorskip("urllib3.util.timeout").Timeout
    for kwargs in ({"read": 0}, {"connect": -1}, {"total": "x"}, {"read": True}):
        with pytest.raises(ValueError) as ours:
            Timeout(**kwargs)
        with pytest.raises(ValueError) as theirs:
            u3(**kwargs)
        assert str(ours.value) == str(theirs.value)


def test_repr():
    assert repr(Timeout(connect=1, read=2)) == "Timeout(connect=1, read=2, total=None)"
    assert str(Timeout(total=3)) == repr(Timeout(total=3))


def test_connect_timeout():
    assert Timeout().connect_timeout is _DEFAULT_TIMEOUT
    assert Timeout(connect=3).connect_timeout == 3
    assert Timeout(total=2).connect_timeout == 2
    assert Timeout(total=2, connect=5).connect_timeout == 2
    assert Timeout(total=5, connect=2).connect_timeout == 2
    assert Timeout(total=5, connect=None).connect_timeout == 5
    assert Timeout(connect=None).connect_timeout is None


def test_read_timeout_without_total():
    assert Timeout(read=4).read_timeout == 4
    assert Timeout(read=None).read_timeout is None
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(7.5)
    try:
        assert Timeout().read_timeout == 7.5
    finally:
        socket.setdefaulttimeout(old)
    assert Timeout.resolve_default_timeout(3) == 3
    assert Timeout.resolve_default_timeout(None) is None


def test_read_timeout_with_total():
    t = Timeout(total=10, read=3)
    assert t.read_timeout == 3  # clock not started: the read limit
    t.start_connect()
    assert t.read_timeout == 3
    t = Timeout(total=0.2, read=5)
    t.start_connect()
    time.sleep(0.05)
    assert 0 < t.read_timeout <= 0.16
    t = Timeout(total=0.05)
    t.start_connect()
    time.sleep(0.07)
    assert t.read_timeout == 0  # never negative


def test_read_timeout_total_only_needs_clock():
    with pytest.raises(TimeoutStateError):
        Timeout(total=3).read_timeout


def test_from_float():
    t = Timeout.from_float(4)
    assert (t.connect_timeout, t.read_timeout, t.total) == (4, 4, None)
    t = Timeout.from_float(_DEFAULT_TIMEOUT)
    assert t.connect_timeout is _DEFAULT_TIMEOUT


def test_clone_is_independent_and_unstarted():
    t = Timeout(total=5, connect=2, read=3)
    t.start_connect()
    c = t.clone()
    assert type(c) is Timeout and c is not t
    assert (c.total, c.connect_timeout) == (5, 2)
    assert c._read == 3
    assert c.deadline() is None
    c.start_connect()  # its own clock
    with pytest.raises(TimeoutStateError):
        t.start_connect()
    assert Timeout().clone().connect_timeout is _DEFAULT_TIMEOUT


def test_start_connect_twice():
    t = Timeout()
    start = t.start_connect()
    assert abs(start - time.monotonic()) < 1
    with pytest.raises(TimeoutStateError):
        t.start_connect()


def test_connect_duration():
    t = Timeout()
    with pytest.raises(TimeoutStateError):
        t.get_connect_duration()
    t.start_connect()
    time.sleep(0.02)
    assert 0.015 <= t.get_connect_duration() < 2


def test_deadline():
    assert Timeout(total=5).deadline() is None  # not started
    assert Timeout(connect=1, read=1).deadline() is None  # no total
    t = Timeout(total=5)
    start = t.start_connect()
    assert t.deadline() == start + 5
    # Fixed once the clock runs: asking later gives the same instant.
    time.sleep(0.01)
    assert t.deadline() == start + 5
    t2 = Timeout(connect=None, read=None)
    t2.start_connect()
    assert t2.deadline() is None
