"""The chunked-body decoder (RFC 9112 section 7.1) against the case table:
every case fed whole, one byte at a time and at seeded random splits, on
both implementations, with identical outcomes required."""

import random
import time

import pytest

from pool import exceptions
from wire_cases import CHUNKED_CASES, CHUNKED_MUTATION_BYTES, mutate, split_pieces, split_runs

SPLITS_PER_CASE = 4


def _pieces(data, mode, seed):
    return split_pieces(data, mode, seed, max_cuts=8)


def run_chunked(wire, case, pieces):
    """Feed every piece; return a comparable outcome."""
    decoder = wire.ChunkedDecoder(**case["opts"])
    body = []
    try:
        for piece in pieces:
            out = decoder.feed(piece)
            assert isinstance(out, bytes)
            body.append(out)
    except exceptions.HTTPError as e:
        return ("error", type(e).__name__)
    return ("ok", b"".join(body), bool(decoder.done), bytes(decoder.unused))


def expected(case):
    if "error" in case:
        return ("error", case["error"])
    return ("ok", case["body"], case["done"], case["unused"])


def _splits():
    return [pytest.param(case, mode, k, id=name) for case, mode, k, name in split_runs(CHUNKED_CASES, SPLITS_PER_CASE)]


@pytest.mark.parametrize("case,mode,k", _splits())
def test_chunked_case(wire, case, mode, k):
    pieces = _pieces(case["data"], mode, f"{case['id']}/{k}")
    assert b"".join(pieces) == case["data"]
    assert run_chunked(wire, case, pieces) == expected(case)


def test_big_cases_byte_at_a_time(wire):
    """Cases too long for the parametrized byte-at-a-time run, in one test."""
    for case in CHUNKED_CASES:
        if len(case["data"]) > 4096:
            pieces = [case["data"][i : i + 1] for i in range(len(case["data"]))]
            assert run_chunked(wire, case, pieces) == expected(case), case["id"]


def test_error_classes_covered():
    named = {c["error"] for c in CHUNKED_CASES if "error" in c}
    assert named == {"InvalidChunkedEncoding", "ChunkLineTooLong", "TrailersTooLarge"}
    assert issubclass(exceptions.ChunkLineTooLong, exceptions.InvalidChunkedEncoding)
    assert issubclass(exceptions.TrailersTooLarge, exceptions.InvalidChunkedEncoding)


def test_unused_accumulates_after_done(wire):
    decoder = wire.ChunkedDecoder()
    assert decoder.feed(b"3\r\nabc\r\n0\r\n\r\nXY") == b"abc"
    assert decoder.done and decoder.unused == b"XY"
    assert decoder.feed(b"Z") == b""
    assert decoder.unused == b"XYZ"


def test_not_done_until_final_empty_line(wire):
    decoder = wire.ChunkedDecoder()
    assert decoder.feed(b"3\r\nabc\r\n0\r\n") == b"abc"
    assert not decoder.done
    assert decoder.feed(b"\r\n") == b""
    assert decoder.done and decoder.unused == b""


def test_size_line_limit_knob(wire):
    line = b"5;" + b"e" * 30 + b"\r\n"
    assert wire.ChunkedDecoder(max_line=64).feed(line + b"hello\r\n0\r\n\r\n") == b"hello"
    with pytest.raises(exceptions.ChunkLineTooLong):
        wire.ChunkedDecoder(max_line=8).feed(line)


def test_trailer_limit_knob(wire):
    body = b"0\r\n" + b"T: v\r\n" * 20 + b"\r\n"
    decoder = wire.ChunkedDecoder(max_trailer_size=1024)
    assert decoder.feed(body) == b"" and decoder.done
    with pytest.raises(exceptions.TrailersTooLarge):
        wire.ChunkedDecoder(max_trailer_size=64).feed(body)


def test_many_small_chunks(wire):
    rnd = random.Random(7)
    payload = bytes(rnd.getrandbits(8) for _ in range(20000))
    encoded = []
    pos = 0
    while pos < len(payload):
        n = rnd.randint(1, 300)
        encoded.append(b"%x\r\n" % len(payload[pos : pos + n]) + payload[pos : pos + n] + b"\r\n")
        pos += n
    data = b"".join(encoded) + b"0\r\n\r\n"
    for seed in range(3):
        pieces = _pieces(data, "random", seed)
        decoder = wire.ChunkedDecoder()
        assert b"".join(decoder.feed(p) for p in pieces) == payload
        assert decoder.done


def _drip_time(wire, data):
    best = float("inf")
    for _ in range(5):
        decoder = wire.ChunkedDecoder()
        pieces = [data[i : i + 1] for i in range(len(data))]
        t0 = time.perf_counter()
        for piece in pieces:
            decoder.feed(piece)
        best = min(best, time.perf_counter() - t0)
        assert decoder.done
    return best


def test_trailer_byte_at_a_time_is_linear(wire):
    """A 60 KiB trailer line dripped byte by byte costs about ten times a
    6 KiB one: a partial line is checked from where the last check stopped."""
    small = b"0\r\nX: " + b"v" * 6000 + b"\r\n\r\n"
    big = b"0\r\nX: " + b"v" * 60000 + b"\r\n\r\n"
    # Best of several tries: a busy machine can stall one timing, but a
    # quadratic decoder (ratio near 100) fails every try.
    ratios = []
    for _ in range(3):
        ratios.append(_drip_time(wire, big) / _drip_time(wire, small))
        if ratios[-1] < 35:
            break
    assert min(ratios) < 35, ratios


def test_mutated_cases_agree(wire):
    """Mutated table cases: the same outcome whole, byte by byte and split,
    and (for the compiled core) the same outcome as the Python twin."""
    import pool._wire_py as twin

    rnd = random.Random(20240602)
    small = [c for c in CHUNKED_CASES if len(c["data"]) <= 1024]
    for n in range(800):
        case = dict(rnd.choice(small))
        case["data"] = mutate(rnd, case["data"], CHUNKED_MUTATION_BYTES)
        outcomes = {run_chunked(wire, case, _pieces(case["data"], mode, n)) for mode in ("whole", "bytes", "random")}
        if wire is not twin:
            outcomes.add(run_chunked(twin, case, [case["data"]]))
        assert len(outcomes) == 1, (case["data"], case["opts"], outcomes)


def test_feed_after_error_keeps_failing(wire):
    decoder = wire.ChunkedDecoder(max_line=8)
    with pytest.raises(exceptions.ChunkLineTooLong):
        decoder.feed(b"5;aaaaaaaaaaaa")
    with pytest.raises(exceptions.InvalidChunkedEncoding):
        decoder.feed(b"\r\nhello\r\n0\r\n\r\n")
    assert not decoder.done
