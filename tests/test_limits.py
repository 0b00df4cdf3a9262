"""The Limits knob: every size and count limit has a default and can be
changed through the public API (PoolManager / pools / connections).

Each wire limit is lowered so that a response the defaults accept fails with
the limit's own exception, and raised so that a response the defaults refuse
passes.  The knob tests run against both wire implementations (the connection's
Reader is swapped for the one under test).  The decompressed-size limit is
checked on whole-body reads, with the memory peak measured, and shown not to
apply to streaming reads.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import sys
import tracemalloc
import zlib

import pytest
from httpserver import RAW, Server

import pool
import pool.connection
from pool import _install
from pool._wire import (
    DEFAULT_MAX_CHUNK_LINE,
    DEFAULT_MAX_HEAD_SIZE,
    DEFAULT_MAX_HEADERS,
    DEFAULT_MAX_INTERIM,
    DEFAULT_MAX_TRAILER_SIZE,
)
from pool.connection import HTTPConnection, HTTPSConnection
from pool.exceptions import (
    ChunkLineTooLong,
    DecodeError,
    MaxRetryError,
    ResponseHeadTooLarge,
    TooManyInterimResponses,
    TooManyResponseHeaders,
    TrailersTooLarge,
)
from pool.poolmanager import PoolManager
from pool.util.limits import DEFAULT_LIMITS, Limits

try:
    import brotli
except ImportError:  # pragma: no cover
    brotli = None
try:
    import zstandard
except ImportError:  # pragma: no cover
    zstandard = None

KiB = 1 << 10
MiB = 1 << 20
TIMEOUT = 5.0


@pytest.fixture
def reader_impl(wire, monkeypatch):
    """Connections made during the test use ``wire``'s Reader."""
    monkeypatch.setattr(pool.connection, "Reader", wire.Reader)
    return wire


# ------------------------------------------------------------ raw responses


def _raw(data: bytes):
    """A handler that answers every request with exactly ``data``."""

    def handler(req):
        req.sock.sendall(data)
        return RAW

    return handler


def _head(*fields: tuple[str, str], body: bytes = b"ok") -> bytes:
    lines = [b"HTTP/1.1 200 OK"] + [f"{k}: {v}".encode("latin-1") for k, v in fields]
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _chunked(size_line_ext: bytes = b"", trailer: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2" + size_line_ext + b"\r\nok\r\n0\r\n" + trailer + b"\r\n"
    )


def _interim(n: int) -> bytes:
    return b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" * n + _head()


# (knob, lowered value, response the defaults accept, exception when lowered)
LOWERED = [
    ("max_head_size", 8 * KiB, _head(("X-Big", "a" * (16 * KiB))), ResponseHeadTooLarge),
    ("max_headers", 20, _head(*[(f"X-H{i}", "v") for i in range(30)]), TooManyResponseHeaders),
    ("max_chunk_line", 256, _chunked(size_line_ext=b";ext=" + b"e" * 1000), ChunkLineTooLong),
    ("max_trailer_size", 1 * KiB, _chunked(trailer=b"X-T: " + b"t" * 2000 + b"\r\n"), TrailersTooLarge),
    ("max_interim_responses", 3, _interim(5), TooManyInterimResponses),
]

# (knob, raised value, response the defaults refuse, exception with defaults)
RAISED = [
    ("max_head_size", 256 * KiB, _head(("X-Big", "a" * (100 * KiB))), ResponseHeadTooLarge),
    ("max_headers", 200, _head(*[(f"X-H{i}", "v") for i in range(150)]), TooManyResponseHeaders),
    ("max_chunk_line", 16 * KiB, _chunked(size_line_ext=b";ext=" + b"e" * (8 * KiB)), ChunkLineTooLong),
    ("max_trailer_size", 256 * KiB, _chunked(trailer=b"X-T: " + b"t" * (100 * KiB) + b"\r\n"), TrailersTooLarge),
    ("max_interim_responses", 64, _interim(40), TooManyInterimResponses),
]


def _get(pm: PoolManager, srv: Server, **kw):
    return pm.request("GET", srv.url("/"), timeout=TIMEOUT, **kw)


@pytest.mark.parametrize("knob, value, data, exc", LOWERED, ids=[c[0] for c in LOWERED])
def test_lowered_limit_refuses(reader_impl, knob, value, data, exc):
    with Server(handler=_raw(data)) as srv:
        # The defaults accept the response...
        with PoolManager() as pm:
            r = _get(pm, srv)
            assert r.status == 200 and r.data == b"ok"
        # ...the lowered knob refuses it with the limit's own exception.
        with PoolManager(limits=Limits(**{knob: value})) as pm:
            with pytest.raises(exc):
                _get(pm, srv, retries=False)
            # With retries, the same error is the reason of MaxRetryError.
            with pytest.raises(MaxRetryError) as info:
                _get(pm, srv, retries=1)
            assert isinstance(info.value.reason, exc)


@pytest.mark.parametrize("knob, value, data, exc", RAISED, ids=[c[0] for c in RAISED])
def test_raised_limit_accepts(reader_impl, knob, value, data, exc):
    with Server(handler=_raw(data)) as srv:
        with PoolManager() as pm:
            with pytest.raises(exc):
                _get(pm, srv, retries=False)
        with PoolManager(limits=Limits(**{knob: value})) as pm:
            r = _get(pm, srv)
            assert r.status == 200 and r.data == b"ok"
            if knob == "max_head_size":
                assert len(r.headers["X-Big"]) == 100 * KiB
            if knob == "max_headers":
                assert len(r.headers) == 151


def test_limit_applies_to_every_response_on_a_kept_alive_connection(reader_impl):
    # The Reader is made once per socket; its limits hold for the second
    # response on the same connection too.
    answers = iter([_head(("X-Small", "s")), _head(*[(f"X-H{i}", "v") for i in range(10)])])

    def handler(req):
        req.sock.sendall(next(answers))
        return RAW

    with Server(handler=handler) as srv:
        with PoolManager(limits=Limits(max_headers=5)) as pm:
            assert _get(pm, srv).data == b"ok"
            with pytest.raises(TooManyResponseHeaders):
                _get(pm, srv, retries=False)
        assert srv.connections_accepted == 1


def test_connection_takes_limits_directly(reader_impl):
    data = _head(*[(f"X-H{i}", "v") for i in range(10)])
    with Server(handler=_raw(data)) as srv:
        conn = HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT, limits=Limits(max_headers=5))
        try:
            conn.request("GET", "/")
            with pytest.raises(TooManyResponseHeaders):
                conn.getresponse()
        finally:
            conn.close()
        conn = HTTPConnection("127.0.0.1", srv.port, timeout=TIMEOUT)
        try:
            assert conn.limits is DEFAULT_LIMITS
            conn.request("GET", "/")
            assert conn.getresponse().data == b"ok"
        finally:
            conn.close()


def test_connection_refuses_a_non_limits_value():
    with pytest.raises(TypeError):
        HTTPConnection("127.0.0.1", 80, limits={"max_headers": 5})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        HTTPSConnection("127.0.0.1", 443, limits=5)  # type: ignore[arg-type]


def test_https_connection_keeps_limits():
    lim = Limits(max_headers=7)
    assert HTTPSConnection("localhost", 443, limits=lim).limits is lim
    assert HTTPSConnection("localhost", 443).limits is DEFAULT_LIMITS


# ------------------------------------------------------------- pool keying


def test_different_limits_make_different_pools():
    with Server() as srv:
        small, big = Limits(max_headers=10), Limits(max_headers=500)
        with PoolManager() as pm:
            p_default = pm.connection_from_url(srv.url("/"))
            p_small = pm.connection_from_url(srv.url("/"), pool_kwargs={"limits": small})
            p_big = pm.connection_from_url(srv.url("/"), pool_kwargs={"limits": big})
            # Equal limits, another object: the same pool.
            p_small2 = pm.connection_from_url(srv.url("/"), pool_kwargs={"limits": Limits(max_headers=10)})
            assert len({id(p_default), id(p_small), id(p_big)}) == 3
            assert p_small2 is p_small
            assert p_small.conn_kw["limits"] is small
            assert "limits" not in p_default.conn_kw
            r = p_big.request("GET", "/", timeout=TIMEOUT)
            assert r.data == b"hello"
            assert len(pm.pools) == 3


def test_manager_limits_reach_the_connection():
    lim = Limits(max_head_size=32 * KiB)
    with Server() as srv:
        with PoolManager(limits=lim) as pm:
            r = pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT)
            assert r.connection.limits is lim
            assert r.data == b"hello"
            (pool_key,) = list(pm.pools._container.keys())
            assert pool_key.key_limits is lim


def test_pool_key_keeps_urllib3_fields_first():
    from pool.poolmanager import PoolKey

    assert PoolKey._fields.index("key_limits") > PoolKey._fields.index("key_blocksize")
    assert PoolKey._field_defaults["key_limits"] is None


# ------------------------------------------------------- decompressed size


def _encode(coding: str, raw: bytes) -> bytes:
    if coding == "gzip":
        return gzip.compress(raw)
    if coding == "deflate":
        return zlib.compress(raw)
    if coding == "br":
        return brotli.compress(raw)
    if coding == "zstd":
        return zstandard.ZstdCompressor().compress(raw)
    raise AssertionError(coding)


def _encoded_handler(coding: str, raw: bytes):
    body = _encode(coding, raw)

    def handler(req):
        return 200, [("Content-Encoding", coding)], body

    return handler


CODINGS = [
    "gzip",
    "deflate",
    pytest.param("br", marks=pytest.mark.skipif(brotli is None, reason="brotli not installed")),
    pytest.param("zstd", marks=pytest.mark.skipif(zstandard is None, reason="zstandard not installed")),
]


def _measure(fn):
    """(result or exception, peak bytes of Python allocations during fn)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        try:
            out = fn()
        except Exception as e:  # noqa: BLE001 - returned for the caller to check
            out = e
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("coding", CODINGS)
def test_bomb_refused_on_data_with_bounded_memory(coding):
    raw = bytes(8 * MiB)
    with Server(handler=_encoded_handler(coding, raw)) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=1 * MiB)) as pm:
            r = pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT)
            out, peak = _measure(lambda: r.data)
            assert isinstance(out, DecodeError), out
            assert "exceeds max_decompressed_size (1048576 bytes)" in str(out)
            # 8 MiB if it were decoded whole; about the limit here.
            assert peak < 3 * MiB, peak
            # The body itself was read to its end: the connection is reused.
            assert pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT).status == 200
            assert srv.connections_accepted == 1


def test_bomb_refused_with_preload_and_plain_read():
    raw = bytes(8 * MiB)
    with Server(handler=_encoded_handler("gzip", raw)) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=1 * MiB)) as pm:
            # preload_content=True: the body came with the head.
            out, peak = _measure(lambda: pm.request("GET", srv.url("/"), timeout=TIMEOUT))
            assert isinstance(out, DecodeError), out
            assert peak < 3 * MiB, peak
            r = pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT)
            with pytest.raises(DecodeError, match="max_decompressed_size"):
                r.read()
        # The defaults (1 GiB) let the same body through whole.
        with PoolManager() as pm:
            assert pm.request("GET", srv.url("/"), timeout=TIMEOUT).data == raw


def test_body_arriving_after_the_head_is_limited_too():
    # The head goes first and the body later, so the whole-body read happens
    # in read(), not together with the head.
    body = gzip.compress(bytes(4 * MiB))

    def handler(req):
        req.sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body))
        req.stop.wait(0.05)
        req.sock.sendall(body)
        return RAW

    with Server(handler=handler) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=MiB)) as pm:
            with pytest.raises(DecodeError, match="max_decompressed_size"):
                pm.request("GET", srv.url("/"), timeout=TIMEOUT)


@pytest.mark.parametrize("coding", CODINGS)
def test_bomb_streams_in_pieces(coding):
    raw = bytes(8 * MiB)
    with Server(handler=_encoded_handler(coding, raw)) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=1 * MiB)) as pm:
            r = pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT)
            total = 0
            for piece in r.stream(64 * KiB):
                assert 0 < len(piece) <= 64 * KiB
                total += len(piece)
            assert total == len(raw)
            r = pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT)
            total = 0
            for _ in range(1000):
                piece = r.read(64 * KiB)
                if not piece:
                    break
                total += len(piece)
            assert total == len(raw)


@pytest.mark.parametrize("coding", CODINGS)
def test_limit_is_inclusive(coding):
    raw = b"abcdefgh" * 12500  # 100000 bytes
    with Server(handler=_encoded_handler(coding, raw)) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=len(raw))) as pm:
            assert pm.request("GET", srv.url("/"), timeout=TIMEOUT).data == raw
            r = pm.request("GET", srv.url("/"), preload_content=False, timeout=TIMEOUT)
            assert r.data == raw
        with PoolManager(limits=Limits(max_decompressed_size=len(raw) - 1)) as pm:
            with pytest.raises(DecodeError, match=r"max_decompressed_size \(99999 bytes\)"):
                pm.request("GET", srv.url("/"), timeout=TIMEOUT)


def test_limit_counts_the_chain_of_codings():
    raw = bytes(2 * MiB)
    body = zlib.compress(gzip.compress(raw))

    def handler(req):
        return 200, [("Content-Encoding", "gzip, deflate")], body

    with Server(handler=handler) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=MiB)) as pm:
            with pytest.raises(DecodeError, match="max_decompressed_size"):
                pm.request("GET", srv.url("/"), timeout=TIMEOUT)
        with PoolManager(limits=Limits(max_decompressed_size=2 * MiB)) as pm:
            assert pm.request("GET", srv.url("/"), timeout=TIMEOUT).data == raw


def test_limit_ignores_bodies_without_a_coding_and_undecoded_reads():
    raw = bytes(2 * MiB)
    gz = gzip.compress(raw)

    def handler(req):
        if req.path == "/plain":
            return 200, [], raw
        return 200, [("Content-Encoding", "gzip")], gz

    with Server(handler=handler) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=KiB)) as pm:
            assert pm.request("GET", srv.url("/plain"), timeout=TIMEOUT).data == raw
            r = pm.request("GET", srv.url("/gz"), decode_content=False, timeout=TIMEOUT)
            assert r.data == gz


def test_truncated_stream_is_still_a_decode_error():
    gz = gzip.compress(bytes(100 * KiB))[:-20]
    with Server(handler=lambda req: (200, [("Content-Encoding", "gzip")], gz)) as srv:
        with PoolManager(limits=Limits(max_decompressed_size=MiB)) as pm:
            with pytest.raises(DecodeError, match="truncated"):
                pm.request("GET", srv.url("/"), timeout=TIMEOUT)


def test_hand_built_response_uses_the_default_limit():
    raw = b"x" * 5000
    r = pool.HTTPResponse(
        body=io.BytesIO(gzip.compress(raw)), headers={"Content-Encoding": "gzip"}, status=200, preload_content=False
    )
    assert r.read() == raw


# ------------------------------------------------------------- validation


def test_defaults_are_the_wire_defaults():
    assert DEFAULT_LIMITS == Limits()
    assert DEFAULT_LIMITS.max_head_size == DEFAULT_MAX_HEAD_SIZE == 65536
    assert DEFAULT_LIMITS.max_headers == DEFAULT_MAX_HEADERS == 100
    assert DEFAULT_LIMITS.max_chunk_line == DEFAULT_MAX_CHUNK_LINE == 4096
    assert DEFAULT_LIMITS.max_trailer_size == DEFAULT_MAX_TRAILER_SIZE == 65536
    assert DEFAULT_LIMITS.max_interim_responses == DEFAULT_MAX_INTERIM == 32
    assert DEFAULT_LIMITS.max_decompressed_size == 1 << 30


FIELDS = [f.name for f in dataclasses.fields(Limits)]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", [0, -1, sys.maxsize + 1])
def test_out_of_range_values_are_value_errors(field, bad):
    with pytest.raises(ValueError, match=field):
        Limits(**{field: bad})


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("bad", ["100", 1.5, True, None, b"1"])
def test_non_int_values_are_type_errors(field, bad):
    with pytest.raises(TypeError, match=field):
        Limits(**{field: bad})


def test_limits_are_frozen_hashable_values():
    a, b = Limits(max_headers=5), Limits(max_headers=5)
    assert a == b and hash(a) == hash(b) and a != DEFAULT_LIMITS
    assert len({a, b, DEFAULT_LIMITS}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.max_headers = 6  # type: ignore[misc]
    assert Limits(max_head_size=1, max_decompressed_size=sys.maxsize).max_head_size == 1
    assert dataclasses.replace(a, max_headers=7).max_headers == 7


def test_every_field_is_documented():
    import inspect

    src = inspect.getsource(Limits)
    for name in FIELDS:
        # A "#:" comment block directly above each field.
        before = src.split(f"    {name}: int")[0].rstrip().splitlines()
        assert before[-1].strip().startswith("#:"), name


def test_public_name():
    assert pool.Limits is Limits
    assert "Limits" in pool.__all__
    # urllib3 has no such name: the installed alias leaves it out of __all__.
    assert "Limits" in _install._POOL_ONLY_NAMES
