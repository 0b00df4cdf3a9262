"""Hostile servers, resource limits: endless or giant heads, headers,
trailers, interim responses, chunk-size lines, and decompression bombs, over
plain HTTP and over TLS (``transport``).

Each case must end with the specific pool.exceptions class, quickly, with
memory bounded: the peak of Python allocations (tracemalloc) and the growth of
the resident set are measured around the request, while the server streams
megabytes that a careless client would buffer.
"""

from __future__ import annotations

import gzip
import time
import zlib

import pytest
import hostile
from hostile import CLOSE, Drip, HostileServer, MemoryPeak, Repeat, client_pool, impl, response, transport  # noqa: F401

from pool.connectionpool import HTTPConnectionPool
from pool.exceptions import (
    ChunkLineTooLong,
    DecodeError,
    InvalidChunkedEncoding,
    ResponseHeadTooLarge,
    TooManyInterimResponses,
    TooManyResponseHeaders,
    TrailersTooLarge,
)

MiB = 1 << 20
OK = b"HTTP/1.1 200 OK\r\n"
TE = b"Transfer-Encoding: chunked\r\n"
# What a stream of this many bytes would cost if it were buffered.
STREAM = 16 * MiB
# Bounds on what one failed request may cost.
PY_PEAK_LIMIT = 2 * MiB
RSS_LIMIT = 8 * MiB


def _pool(srv: HostileServer) -> HTTPConnectionPool:
    # HTTPSConnectionPool when the server speaks TLS (``transport``).
    return client_pool(srv, maxsize=1, timeout=3, retries=False)


def _endless(prefix: bytes, piece: bytes) -> list:
    return [prefix, Repeat(piece, STREAM // len(piece))]


# (id, script, exception class)
ENDLESS = [
    ("status-line", _endless(b"HTTP/1.1 200 ", b"x" * 4096), ResponseHeadTooLarge),
    ("header-line", _endless(OK + b"X-Big: ", b"a" * 4096), ResponseHeadTooLarge),
    ("header-name", _endless(OK, b"X" * 4096), ResponseHeadTooLarge),
    ("headers", _endless(OK, b"X-Many: 1\r\n"), ResponseHeadTooLarge),
    ("empty-ish-lines", _endless(OK, b"X:\r\n"), ResponseHeadTooLarge),
    ("interim", _endless(b"", b"HTTP/1.1 100 Continue\r\n\r\n"), TooManyInterimResponses),
    ("interim-103", _endless(b"", b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"), TooManyInterimResponses),
    ("chunk-size-zeros", _endless(OK + TE + b"\r\n", b"0" * 4096), ChunkLineTooLong),
    ("chunk-ext", _endless(OK + TE + b"\r\n5;", b"e" * 4096), ChunkLineTooLong),
    ("chunk-ext-many", _endless(OK + TE + b"\r\n5", b";a=b" * 1024), ChunkLineTooLong),
    ("chunk-size-digits", _endless(OK + TE + b"\r\n", b"f" * 4096), InvalidChunkedEncoding),
    ("trailers", _endless(OK + TE + b"\r\n5\r\nhello\r\n0\r\n", b"X-T: 1\r\n"), TrailersTooLarge),
    ("trailer-line", _endless(OK + TE + b"\r\n0\r\nX-T: ", b"v" * 4096), TrailersTooLarge),
    ("tiny-chunks", _endless(OK + TE + b"\r\n", b"1\r\na\r\n"), None),
]


@pytest.mark.parametrize("case", ENDLESS, ids=[c[0] for c in ENDLESS])
def test_endless(impl, transport, case):
    _id, script, cls = case
    with HostileServer([script], tls=transport) as srv:
        pool = _pool(srv)
        start = time.monotonic()
        with MemoryPeak() as m:
            if cls is None:
                # An endless but valid chunked body, streamed: memory stays
                # bounded while it flows (one-byte chunks: 6 wire bytes per
                # body byte); the test stops after 128 KiB of body.
                # read(amt), not stream(): stream() yields each chunk on its
                # own, as urllib3 does, and 128 Ki one-byte pieces would
                # time the generator, not the Reader.
                r = pool.request("GET", "/", preload_content=False)
                got = 0
                for _ in range(64):
                    piece = r.read(65536)
                    assert piece
                    got += len(piece)
                    if got >= 128 * 1024:
                        break
                r.release_conn()
                assert got >= 128 * 1024
            else:
                with pytest.raises(cls):
                    pool.request("GET", "/")
        elapsed = time.monotonic() - start
        pool.close()
    assert elapsed < 10
    assert m.py_peak < PY_PEAK_LIMIT, m.py_peak
    assert not hostile.RSS_MEASURABLE or m.rss_growth < RSS_LIMIT, m.rss_growth


def _head_with(n_headers: int, value_size: int = 1) -> bytes:
    lines = [b"X-H%d: %s\r\n" % (i, b"v" * value_size) for i in range(n_headers)]
    return OK + b"".join(lines) + b"Content-Length: 2\r\n\r\nok"


def test_headers_at_the_limit_pass(impl, transport):
    # 99 fields + Content-Length = 100, the default max_headers.
    with HostileServer([[_head_with(99)]], tls=transport) as srv:
        r = _pool(srv).request("GET", "/")
        assert r.data == b"ok" and len(r.headers) == 100


def test_one_header_too_many(impl, transport):
    with HostileServer([[_head_with(100)]], tls=transport) as srv:
        with pytest.raises(TooManyResponseHeaders):
            _pool(srv).request("GET", "/")


def test_head_just_under_64k_passes(impl, transport):
    head = _head_with(10, 6000)
    assert 60000 < len(head) < 65536
    with HostileServer([[head]], tls=transport) as srv:
        assert _pool(srv).request("GET", "/").data == b"ok"


def test_head_just_over_64k_refused(impl, transport):
    head = _head_with(11, 6000)
    assert 65536 < len(head) < 70000
    with HostileServer([[head]], tls=transport) as srv:
        with pytest.raises(ResponseHeadTooLarge):
            _pool(srv).request("GET", "/")


def test_32_interim_responses_pass_33_do_not(impl, transport):
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    final = response(b"ok")
    with HostileServer([[interim * 32 + final], [interim * 33 + final]], tls=transport) as srv:
        pool = _pool(srv)
        assert pool.request("GET", "/").data == b"ok"
        with pytest.raises(TooManyInterimResponses):
            pool.request("GET", "/")


def test_lying_content_length_does_not_preallocate(impl, transport):
    # Content-Length near 2**62, a few bytes, then close: the body buffer
    # grows with what arrives, it is not sized by the header.
    script = [OK + b"Content-Length: 4611686018427387903\r\n\r\nabc", CLOSE]
    with HostileServer([script], tls=transport) as srv:
        from pool.exceptions import ProtocolError

        with MemoryPeak() as m:
            with pytest.raises(ProtocolError):
                _pool(srv).request("GET", "/")
    # At most the first allocation step (8 MiB) is reserved.
    assert m.py_peak < 12 * MiB


# ------------------------------------------------------------ decompression

_BOMB_SIZE = 64 * MiB
_bombs: dict[str, bytes] = {}


def _bomb(coding: str) -> bytes:
    if coding not in _bombs:
        zeros = bytes(_BOMB_SIZE)
        if coding == "gzip":
            data = gzip.compress(zeros, 6, mtime=0)
        elif coding == "deflate":
            data = zlib.compress(zeros, 6)
        elif coding == "br":
            brotli = pytest.importorskip("brotli")
            data = brotli.compress(zeros, quality=1)
        elif coding == "zstd":
            zstandard = pytest.importorskip("zstandard")
            data = zstandard.ZstdCompressor(level=1).compress(zeros)
        elif coding == "gzip, gzip":
            data = gzip.compress(gzip.compress(zeros, 6, mtime=0), 9, mtime=0)
        else:  # pragma: no cover
            raise ValueError(coding)
        _bombs[coding] = data
    return _bombs[coding]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd", "gzip, gzip"])
def test_decompression_bomb_streamed_in_bounded_memory(impl, transport, coding):
    body = _bomb(coding)
    assert len(body) < _BOMB_SIZE // 100
    script = [response(body, headers=[f"Content-Encoding: {coding}"])]
    with HostileServer([script], tls=transport) as srv:
        pool = _pool(srv)
        start = time.monotonic()
        with MemoryPeak() as m:
            r = pool.request("GET", "/", preload_content=False)
            total = 0
            biggest = 0
            for piece in r.stream(256 * 1024):
                total += len(piece)
                biggest = max(biggest, len(piece))
            r.release_conn()
        elapsed = time.monotonic() - start
        pool.close()
    assert total == _BOMB_SIZE
    assert biggest <= 256 * 1024
    # Each piece is at most 256 KiB and a few live at once; zstd may decode
    # up to ~2 MiB ahead (see pool.response.ZstdDecoder).  Far below 64 MiB.
    assert m.py_peak < 8 * MiB, m.py_peak
    assert not hostile.RSS_MEASURABLE or m.rss_growth < 24 * MiB, m.rss_growth
    assert elapsed < 20


def test_decompression_bomb_read_amt_stops_early(impl, transport):
    # The caller reads 1 MiB of a 64 MiB bomb and walks away: only about that
    # much is decoded.
    body = _bomb("gzip")
    script = [response(body, headers=["Content-Encoding: gzip"])]
    with HostileServer([script, [response(b"second")]], tls=transport) as srv:
        pool = _pool(srv)
        with MemoryPeak() as m:
            r = pool.request("GET", "/", preload_content=False)
            assert r.read(MiB) == bytes(MiB)
            r.release_conn()
        assert m.py_peak < 4 * MiB
        assert pool.request("GET", "/").data == b"second"


def test_too_many_content_codings(impl, transport):
    # A chain of more than 5 codings is refused (CVE-2025-66418 in urllib3).
    body = gzip.compress(b"x", mtime=0)
    script = [response(body, headers=["Content-Encoding: " + ", ".join(["identity"] * 5 + ["gzip"])])]
    with HostileServer([script], tls=transport) as srv:
        with pytest.raises(DecodeError):
            _pool(srv).request("GET", "/")


def test_corrupt_gzip_is_decode_error(impl, transport):
    script = [response(b"\x1f\x8b\x08\x00garbage-garbage", headers=["Content-Encoding: gzip"])]
    with HostileServer([script], tls=transport) as srv:
        with pytest.raises(DecodeError):
            _pool(srv).request("GET", "/")


def test_truncated_gzip_is_decode_error(impl, transport):
    body = gzip.compress(b"a" * 10000, mtime=0)[:-12]
    script = [response(body, headers=["Content-Encoding: gzip"])]
    with HostileServer([script], tls=transport) as srv:
        with pytest.raises(DecodeError):
            _pool(srv).request("GET", "/")


def _head_of(size: int, extra: bytes) -> bytes:
    # A head of exactly ``size`` bytes (padding in one field), then ``extra``.
    base = OK + extra + b"X-Pad: \r\n\r\n"
    return base[: -len(b"\r\n\r\n")].replace(b"X-Pad: ", b"X-Pad: " + b"p" * (size - len(base))) + b"\r\n\r\n"


@pytest.mark.parametrize("size", [65536, 65535, 65000, 32768])
@pytest.mark.parametrize("piece", [997, 65536])
def test_head_at_the_limit_then_body_across_buffer_edges(impl, transport, size, piece):
    # The head fills the receive buffer up to its limit and the body follows
    # in odd-sized pieces: every byte lands once, in order, whatever the
    # buffer compaction and growth do.
    sizes = [1, 65535, 7, 65536, 4096, 3, 100000]
    body = b"".join(bytes([65 + i % 26]) * n for i, n in enumerate(sizes))
    chunked = b"".join(
        b"%x\r\n" % n + body[sum(sizes[:i]) : sum(sizes[: i + 1])] + b"\r\n" for i, n in enumerate(sizes)
    )
    head = _head_of(size, TE)
    assert len(head) == size
    with HostileServer(
        [[Drip(head + chunked + b"0\r\n\r\n", piece, 0.0)], [response(b"second")]], tls=transport
    ) as srv:
        pool = _pool(srv)
        r = pool.request("GET", "/")
        assert r.data == body
        assert len(r.headers["X-Pad"]) > 100
        assert pool.request("GET", "/").data == b"second"
        assert srv.accepted == 1


def test_head_one_byte_over_the_limit(impl, transport):
    head = _head_of(65537, b"Content-Length: 0\r\n")
    assert len(head) == 65537
    with HostileServer([[head]], tls=transport) as srv:
        with pytest.raises(ResponseHeadTooLarge):
            _pool(srv).request("GET", "/")
