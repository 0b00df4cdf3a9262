"""Content decoding: every coding, chains, corrupt and truncated streams, and
decompression bombs streamed in bounded memory."""

import io
import tracemalloc
import zlib

import brotli
import pytest
import zstandard

from pool.exceptions import DecodeError
from pool.response import HTTPResponse, MultiDecoder

PAYLOAD = b"".join(b"line %d of a body that compresses fairly well\n" % i for i in range(5000))


def gzip_(data):
    c = zlib.compressobj(wbits=31)
    return c.compress(data) + c.flush()


def deflate_(data):
    return zlib.compress(data)


def raw_deflate_(data):
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def br_(data):
    return brotli.compress(data)


def zstd_(data):
    return zstandard.ZstdCompressor().compress(data)


CODINGS = {"gzip": gzip_, "x-gzip": gzip_, "deflate": deflate_, "br": br_, "zstd": zstd_}


def _response(body, coding, **kw):
    kw.setdefault("preload_content", False)
    return HTTPResponse(body=io.BytesIO(body), headers={"Content-Encoding": coding}, **kw)


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_whole_body(coding):
    assert _response(CODINGS[coding](PAYLOAD), coding, preload_content=True).data == PAYLOAD


@pytest.mark.parametrize("coding", sorted(CODINGS))
@pytest.mark.parametrize("amt", [1, 7, 1000, 65536])
def test_stream_pieces_bounded_and_complete(coding, amt):
    payload = PAYLOAD if amt >= 1000 else PAYLOAD[:20000]
    r = _response(CODINGS[coding](payload), coding)
    pieces = list(r.stream(amt))
    assert all(0 < len(p) <= amt for p in pieces)
    assert b"".join(pieces) == payload


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_read1_and_readinto(coding):
    r = _response(CODINGS[coding](PAYLOAD), coding)
    out = bytearray()
    buf = bytearray(3000)
    for _ in range(10000):
        n = r.readinto(buf)
        if not n:
            break
        out += buf[:n]
    assert out == PAYLOAD
    r = _response(CODINGS[coding](PAYLOAD), coding)
    got = []
    for _ in range(10000):
        piece = r.read1(5000)
        if not piece:
            break
        assert len(piece) <= 5000
        got.append(piece)
    assert b"".join(got) == PAYLOAD


def test_raw_deflate_accepted():
    assert _response(raw_deflate_(PAYLOAD), "deflate", preload_content=True).data == PAYLOAD
    pieces = list(_response(raw_deflate_(PAYLOAD), "deflate").stream(100))
    assert b"".join(pieces) == PAYLOAD and max(map(len, pieces)) <= 100


def test_raw_deflate_fed_byte_by_byte():
    # The format is decided on the first bytes: decide right even when they arrive one at a time.
    class OneByte(io.RawIOBase):
        def __init__(self, data):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self._data.read(1)
            b[: len(chunk)] = chunk
            return len(chunk)

    for body in (raw_deflate_(b"abc" * 50), deflate_(b"abc" * 50)):
        r = HTTPResponse(body=OneByte(body), headers={"content-encoding": "deflate"}, preload_content=False)
        assert b"".join(r.stream(4)) == b"abc" * 50


def test_zstd_multiple_frames():
    body = zstd_(b"first ") + zstd_(b"second")
    assert _response(body, "zstd", preload_content=True).data == b"first second"
    assert b"".join(_response(body, "zstd").stream(3)) == b"first second"


def test_gzip_members_streamed():
    body = gzip_(b"one ") + gzip_(b"two ") + gzip_(b"three")
    assert b"".join(_response(body, "gzip").stream(2)) == b"one two three"


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_corrupt_is_decode_error(coding):
    body = bytearray(CODINGS[coding](PAYLOAD))
    # Break the stream early on, past any header.
    for i in range(12, 40):
        body[i] ^= 0xA5
    with pytest.raises(DecodeError):
        _response(bytes(body), coding, preload_content=True)


@pytest.mark.parametrize("coding", sorted(CODINGS))
@pytest.mark.parametrize("streamed", [False, True])
def test_truncated_is_decode_error(coding, streamed):
    body = CODINGS[coding](PAYLOAD)
    cut = body[: len(body) // 2]
    r = _response(cut, coding)
    with pytest.raises(DecodeError):
        if streamed:
            for _ in r.stream(1024):
                pass
        else:
            r.read()


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_garbage_is_decode_error(coding):
    with pytest.raises(DecodeError):
        _response(b"\xff" * 64, coding, preload_content=True)


@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_empty_body_with_coding_is_empty(coding):
    assert _response(b"", coding, preload_content=True).data == b""
    assert list(_response(b"", coding).stream()) == []


def test_chain_of_five_decodes():
    codings = ["gzip", "deflate", "br", "zstd", "gzip"]
    body = PAYLOAD
    for c in codings:
        body = CODINGS[c](body)
    header = ", ".join(codings)
    assert _response(body, header, preload_content=True).data == PAYLOAD
    pieces = list(_response(body, header).stream(4096))
    assert b"".join(pieces) == PAYLOAD and max(map(len, pieces)) <= 4096


@pytest.mark.parametrize("preload", [True, False])
def test_chain_of_six_refused(preload):
    body = PAYLOAD
    for _ in range(6):
        body = gzip_(body)
    with pytest.raises(DecodeError, match="Too many content encodings"):
        r = _response(body, ", ".join(["gzip"] * 6), preload_content=preload)
        r.read(10)
    with pytest.raises(DecodeError):
        MultiDecoder("gzip," * 5 + "gzip")


def test_chain_six_refused_even_with_unknown_members():
    with pytest.raises(DecodeError):
        _response(b"x", "gzip, a, b, c, d, e", preload_content=True)


# ------------------------------------------------------------ bombs

BOMB_SIZE = 1 << 30  # 1 GiB of zeros


@pytest.fixture(scope="session")
def gzip_bomb():
    """1 GiB of zeros, gzip-compressed (about 4.5 MiB at level 1, the fastest
    to build), in 1 MiB steps so
    building it never holds the inflated data."""
    zeros = bytes(1 << 20)
    c = zlib.compressobj(1, wbits=31)
    parts = [c.compress(zeros) for _ in range(BOMB_SIZE >> 20)]
    parts.append(c.flush())
    return b"".join(parts)


def _stream_peak(body, coding, amt):
    r = _response(body, coding)
    total = 0
    largest = 0
    tracemalloc.start()
    try:
        for piece in r.stream(amt):
            total += len(piece)
            largest = max(largest, len(piece))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return total, largest, peak


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_bomb_streams_in_bounded_memory(gzip_bomb, coding):
    # deflate: the same stream without the gzip header and trailer (raw deflate).
    body = gzip_bomb if coding == "gzip" else gzip_bomb[10:-8]
    total, largest, peak = _stream_peak(body, coding, 1 << 20)
    assert total == BOMB_SIZE
    assert largest <= 1 << 20
    assert peak < 8 << 20, peak


def test_bomb_read_small_pieces_bounded(gzip_bomb):
    r = _response(gzip_bomb, "gzip")
    tracemalloc.start()
    try:
        for _ in range(2000):  # 128 MiB in 64 KiB pieces
            assert len(r.read(65536)) == 65536
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20, peak
    r.close()


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_other_bombs_bounded(coding):
    # 64 MiB of zeros: br and zstd compress it to a few KiB.
    zeros = bytes(1 << 20)
    if coding == "br":
        c = brotli.Compressor(quality=1)
        parts = [c.process(zeros) for _ in range(64)]
        parts.append(c.finish())
    else:
        zc = zstandard.ZstdCompressor().compressobj()
        parts = [zc.compress(zeros) for _ in range(64)]
        parts.append(zc.flush())
    body = b"".join(parts)
    r = _response(body, coding)
    tracemalloc.start()
    try:
        for _ in range(500):  # 32 MiB in 64 KiB pieces
            assert len(r.read(65536)) == 65536
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 << 20, peak


def test_deflate_without_output_keeps_bounded_copy():
    # A zlib header followed by empty stored blocks: valid, endless, no output.
    body = b"\x78\x9c" + b"\x00\x00\x00\xff\xff" * 1000000 + b"\x03\x00\x00\x00\x00\x01"
    r = _response(body, "deflate")
    tracemalloc.start()
    try:
        assert r.read(65536) == b""
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20, peak


def _zstd_backends() -> list:
    import pool.response as r

    out = []
    if r._std_zstd is not None:
        out.append(pytest.param(r._StdZstdDecoder, id="stdlib"))
    if r.HAS_ZSTANDARD:
        out.append(pytest.param(r._ZstandardDecoder, id="zstandard"))
    return out


@pytest.mark.parametrize("decoder_cls", _zstd_backends())
@pytest.mark.parametrize("limit", [-1, 1, 7, 4096, 1 << 20])
def test_zstd_backends_decode_frames_in_pieces(decoder_cls, limit):
    # Both zstd decoders (the standard library's, as urllib3 2.8 uses, and
    # zstandard's): several frames, fed in small slices, every call bounded
    # by max_length (exactly for the standard library's, which takes a
    # max_length; about it for zstandard's, fed in slices), the whole coming
    # out exactly; a cut stream is an error.
    import pool.response as r

    zstd = pytest.importorskip("zstandard")
    bound = limit if limit >= 0 and decoder_cls is r._StdZstdDecoder else -1
    parts = [bytes(range(256)) * 300, b"", b"second frame " * 1000]
    wire = b"".join(zstd.ZstdCompressor().compress(p) for p in parts)
    d = decoder_cls()
    out = []
    for i in range(0, len(wire), 113):
        piece = d.decompress(wire[i : i + 113], limit)
        assert bound < 0 or len(piece) <= bound
        out.append(piece)
        guard = 0
        while d.has_unconsumed_tail:
            guard += 1
            assert guard < 1_000_000
            piece = d.decompress(b"", limit)
            assert bound < 0 or len(piece) <= bound
            out.append(piece)
    assert d.flush() == b""
    assert b"".join(out) == b"".join(parts)
    cut = decoder_cls()
    cut.decompress(wire[: len(wire) // 2])
    while cut.has_unconsumed_tail:
        cut.decompress(b"")
    with pytest.raises(DecodeError):
        cut.flush()
