"""The response-head parser (RFC 9112 sections 4-6) against the case table:
every case fed whole, one byte at a time and at seeded random splits, on
both implementations, with identical outcomes required."""

import random
import time

import pytest

from pool import exceptions
from wire_cases import HEAD_CASES, HEAD_MUTATION_BYTES, mutate, split_pieces, split_runs

SPLITS_PER_CASE = 4


def _pieces(data, mode, seed):
    return split_pieces(data, mode, seed, max_cuts=6)


def run_head(wire, case, pieces):
    """Feed pieces until the head completes; return a comparable outcome."""
    parser = wire.HeadParser(**case["opts"])
    consumed = 0
    try:
        for piece in pieces:
            consumed = parser.feed(piece)
            if consumed:
                break
    except exceptions.HTTPError as e:
        return ("error", type(e).__name__)
    if not consumed:
        return ("incomplete",)
    result = (consumed, parser.version, parser.status, parser.reason, list(parser.headers), parser.content_length)
    try:
        framing = tuple(parser.framing(case["request_was_head"]))
    except exceptions.HTTPError as e:
        return ("framing-error", type(e).__name__) + result
    return ("ok",) + result + framing


def expected(case):
    if "error" in case:
        return ("error", case["error"])
    if case.get("incomplete"):
        return ("incomplete",)
    result = (
        case["consumed"],
        case["version"],
        case["status"],
        case["reason"],
        case["headers"],
        case["content_length"],
    )
    if "framing_error" in case:
        return ("framing-error", case["framing_error"]) + result
    return ("ok",) + result + (case["framing"], case["will_close"])


def _splits():
    return [pytest.param(case, mode, k, id=name) for case, mode, k, name in split_runs(HEAD_CASES, SPLITS_PER_CASE)]


@pytest.mark.parametrize("case,mode,k", _splits())
def test_head_case(wire, case, mode, k):
    pieces = _pieces(case["data"], mode, f"{case['id']}/{k}")
    assert b"".join(pieces) == case["data"]
    assert run_head(wire, case, pieces) == expected(case)


def test_big_heads_byte_at_a_time(wire):
    """Cases too long for the parametrized byte-at-a-time run, in one test."""
    for case in HEAD_CASES:
        if len(case["data"]) > 4096:
            pieces = [case["data"][i : i + 1] for i in range(len(case["data"]))]
            assert run_head(wire, case, pieces) == expected(case), case["id"]


def test_error_classes_are_specific():
    """Every error class named in the table is a ProtocolError subclass (but
    InvalidContentLength, an InvalidHeader as urllib3 raises for differing
    lengths), and the table covers each class docs/wire.md names for the
    head."""
    named = {c["error"] for c in HEAD_CASES if "error" in c}
    named |= {c["framing_error"] for c in HEAD_CASES if "framing_error" in c}
    assert named == {
        "InvalidStatusLine",
        "InvalidResponseHeader",
        "ResponseHeadTooLarge",
        "TooManyResponseHeaders",
        "InvalidContentLength",
        "InvalidFraming",
    }
    for name in named - {"InvalidContentLength"}:
        assert issubclass(getattr(exceptions, name), exceptions.ProtocolError)
    assert issubclass(exceptions.InvalidContentLength, exceptions.InvalidHeader)


def test_feed_after_completion_raises(wire):
    parser = wire.HeadParser()
    assert parser.feed(b"HTTP/1.1 204 No Content\r\n\r\n") == 27
    with pytest.raises(RuntimeError):
        parser.feed(b"x")


def test_constants(wire):
    assert (
        wire.DEFAULT_MAX_HEAD_SIZE,
        wire.DEFAULT_MAX_HEADERS,
        wire.DEFAULT_MAX_CHUNK_LINE,
        wire.DEFAULT_MAX_TRAILER_SIZE,
        wire.DEFAULT_MAX_INTERIM,
    ) == (65536, 100, 4096, 65536, 32)
    assert (wire.FRAMING_NONE, wire.FRAMING_LENGTH, wire.FRAMING_CHUNKED, wire.FRAMING_CLOSE) == (0, 1, 2, 3)
    assert set(wire.__all__) == {
        "DEFAULT_MAX_HEAD_SIZE",
        "DEFAULT_MAX_HEADERS",
        "DEFAULT_MAX_CHUNK_LINE",
        "DEFAULT_MAX_TRAILER_SIZE",
        "DEFAULT_MAX_INTERIM",
        "FRAMING_NONE",
        "FRAMING_LENGTH",
        "FRAMING_CHUNKED",
        "FRAMING_CLOSE",
        "HeadParser",
        "ChunkedDecoder",
        "serialize_request",
        "Reader",
    }


def test_zero_length_feed_is_need_more(wire):
    parser = wire.HeadParser()
    assert parser.feed(b"") == 0
    assert parser.feed(b"HTTP/1.1 200 OK\r\n") == 0
    assert parser.feed(b"") == 0
    assert parser.feed(b"\r\nrest") == 19


def _head_of(size):
    line = b"X-Filler: " + b"a" * 1000 + b"\r\n"
    n = (size - 40) // len(line)
    return b"HTTP/1.1 200 OK\r\n" + line * n + b"Content-Length: 0\r\n\r\n"


def _drip_time(wire, head):
    best = float("inf")
    for _ in range(5):
        parser = wire.HeadParser()
        pieces = [head[i : i + 1] for i in range(len(head))]
        t0 = time.perf_counter()
        for piece in pieces:
            if parser.feed(piece):
                break
        best = min(best, time.perf_counter() - t0)
        assert parser.status == 200
    return best


def test_byte_at_a_time_is_linear(wire):
    """A 60 KiB head dripped one byte at a time costs about ten times a 6 KiB
    one, not a hundred (the search for the blank line resumes)."""
    small, big = _head_of(6 * 1024), _head_of(60 * 1024)
    assert len(big) > 9 * len(small)
    # Best of several tries: a busy machine can stall one timing, but a
    # quadratic parser (ratio near 100) fails every try.
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

    rnd = random.Random(20240601)
    small = [c for c in HEAD_CASES if len(c["data"]) <= 1024]
    for n in range(600):
        case = dict(rnd.choice(small))
        case["data"] = mutate(rnd, case["data"], HEAD_MUTATION_BYTES)
        outcomes = {repr(run_head(wire, case, _pieces(case["data"], mode, n))) for mode in ("whole", "bytes", "random")}
        if wire is not twin:
            outcomes.add(repr(run_head(twin, case, [case["data"]])))
        assert len(outcomes) == 1, (case["data"], case["opts"], outcomes)


def test_feed_after_error_raises(wire):
    parser = wire.HeadParser()
    with pytest.raises(exceptions.InvalidStatusLine):
        parser.feed(b"HTTP/2 200 OK\r\n\r\n")
    with pytest.raises(RuntimeError):
        parser.feed(b"HTTP/1.1 200 OK\r\n\r\n")
