"""The exception tree: every class urllib3.exceptions exports exists in
pool.exceptions with the same bases and messages, and every class survives a
pickle round trip."""

from __future__ import annotations

import inspect
import pickle
import socket

import pytest

from pool import exceptions as exc

u3exc = pytest.importorskip("urllib3.exceptions")


def _urllib3_names():
    names = []
    for name, obj in vars(u3exc).items():
        if name.startswith("_") or not inspect.isclass(obj):
            continue
        if obj.__module__ == u3exc.__name__ or name == "ConnectionError":
            names.append(name)
    return sorted(names)


URLLIB3_NAMES = _urllib3_names()


def _sample_args(name: str) -> tuple:
    """Constructor arguments for one instance of each class."""
    gai = socket.gaierror(-2, "Name or service not known")
    return {
        "PoolError": (None, "pool message"),
        "RequestError": (None, "http://h/", "request message"),
        "EmptyPoolError": (None, "empty"),
        "FullPoolError": (None, "full"),
        "ClosedPoolError": (None, "closed"),
        "MaxRetryError": (None, "http://h/", ValueError("why")),
        "HostChangedError": (None, "http://other/", 3),
        "ReadTimeoutError": (None, "http://h/", "Read timed out."),
        "NewConnectionError": (None, "Failed to establish a new connection"),
        "NameResolutionError": ("h.example", None, gai),
        "ProxyError": ("proxy failed", OSError("refused")),
        "LocationParseError": ("http://bad:port/",),
        "URLSchemeUnknown": ("gopher",),
        "ProxySchemeUnknown": ("gopher",),
        "HeaderParsingError": ([], b"junk"),
        "IncompleteRead": (5, 10),
        "InvalidChunkLength": (_PartialResponse(), b"zz"),
    }.get(name, ("message",))


class _PartialResponse:
    """What InvalidChunkLength reads from a response."""

    length_remaining = 7

    def tell(self):
        return 3

    def __reduce__(self):
        return _PartialResponse, ()


def test_enough_names_found():
    assert len(URLLIB3_NAMES) >= 35
    assert "MaxRetryError" in URLLIB3_NAMES and "ConnectionError" in URLLIB3_NAMES


@pytest.mark.parametrize("name", URLLIB3_NAMES)
def test_name_exists_with_same_bases(name):
    ours = getattr(exc, name, None)
    assert ours is not None, f"pool.exceptions lacks {name}"
    theirs = getattr(u3exc, name)
    assert [b.__name__ for b in ours.__bases__] == [b.__name__ for b in theirs.__bases__]
    assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]


def test_connection_error_alias():
    assert exc.ConnectionError is exc.ProtocolError


@pytest.mark.parametrize("name", URLLIB3_NAMES)
def test_same_message_as_urllib3(name):
    ours = getattr(exc, name)(*_sample_args(name))
    theirs = getattr(u3exc, name)(*_sample_args(name))
    assert str(ours) == str(theirs)


# urllib3 itself cannot pickle HeaderParsingError (no __reduce__) nor
# ProxySchemeUnknown (never stores .scheme); pool can, and every class is checked.
@pytest.mark.parametrize("name", URLLIB3_NAMES)
def test_pickle_round_trip(name):
    cls = getattr(exc, name)
    # InvalidChunkLength pickles without its response (it holds a socket), so
    # build it without one here.
    args = (None, b"zz") if name == "InvalidChunkLength" else _sample_args(name)
    original = cls(*args)
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is cls
    assert str(copy) == str(original)
    for attr in ("url", "reason", "location", "scheme", "partial", "expected", "length", "host", "retries"):
        if hasattr(original, attr):
            assert repr(getattr(copy, attr)) == repr(getattr(original, attr)), attr


def _pool_only_classes():
    return sorted(
        name
        for name, obj in vars(exc).items()
        if inspect.isclass(obj)
        and obj.__module__ == exc.__name__
        and issubclass(obj, (Exception, Warning))
        and name not in URLLIB3_NAMES
    )


@pytest.mark.parametrize("name", _pool_only_classes())
def test_pool_classes_derive_from_urllib3_names_and_pickle(name):
    cls = getattr(exc, name)
    assert issubclass(cls, (exc.HTTPError, ValueError))
    assert any(c.__name__ in URLLIB3_NAMES for c in cls.__mro__[1:])
    original = cls("detail")
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is cls and str(copy) == str(original)


def test_max_retry_error_reason_survives_pickle():
    err = exc.MaxRetryError(None, "http://h/", exc.ResponseError("too many 500 error responses"))
    copy = pickle.loads(pickle.dumps(err))
    assert isinstance(copy.reason, exc.ResponseError)
    assert str(copy.reason) == "too many 500 error responses"
    assert copy.url == "http://h/"
