"""The compiled head parser's word-at-a-time scans (field values and reason
phrases, RFC 9110 section 5.5) and its chunk-size fast path (RFC 9112
section 7.1) against the Python twin: every byte class at every offset of an
eight-byte word, so no position of a bad byte slips through a word test."""

import pytest

from pool import exceptions

c = pytest.importorskip("pool._wire_c")
from pool import _wire_py as py  # noqa: E402

# Allowed in a value: HTAB, SP, VCHAR, obs-text; the rest are CTLs or DEL.
BYTES = [0x00, 0x01, 0x08, 0x09, 0x0B, 0x0D, 0x1F, 0x20, 0x21, 0x7E, 0x7F, 0x80, 0xFF]


def _outcome(mod, data, **kw):
    parser = mod.HeadParser(**kw)
    try:
        used = parser.feed(data)
    except exceptions.HTTPError as e:
        return type(e).__name__
    return used, parser.status, parser.reason, parser.headers


@pytest.mark.parametrize("byte", BYTES, ids=hex)
def test_value_byte_at_every_word_offset(byte):
    for length in (1, 7, 8, 9, 16, 23):
        for pos in range(length):
            value = bytearray(b"v" * length)
            value[pos] = byte
            for eol in (b"\r\n", b"\n"):
                head = b"HTTP/1.1 200 OK\r\nX-A: " + bytes(value) + eol + b"X-B: b\r\n\r\n"
                want = _outcome(py, head)
                assert _outcome(c, head) == want, (length, pos, eol)
                allowed = byte in (0x09, 0x20) or 0x21 <= byte <= 0x7E or byte >= 0x80
                if byte == 0x0D and pos == length - 1 and eol == b"\n":
                    allowed = True  # the CR and the LF make a CRLF line end
                assert isinstance(want, tuple) == allowed


@pytest.mark.parametrize("byte", BYTES, ids=hex)
def test_reason_byte_at_every_word_offset(byte):
    for length in (1, 8, 9, 17):
        for pos in range(length):
            reason = bytearray(b"r" * length)
            reason[pos] = byte
            head = b"HTTP/1.1 200 " + bytes(reason) + b"\r\nA: b\r\n\r\n"
            assert _outcome(c, head) == _outcome(py, head), (length, pos)


@pytest.mark.parametrize(
    "line",
    [b"1", b"f" * 15, b"0" + b"f" * 15, b"f" * 16, b"00000000000000001", b"A", b"a;x", b"a ", b"0x1"],
)
@pytest.mark.parametrize("max_line", [2, 3, 17, 18, 4096])
def test_chunk_size_lines_match_the_twin(line, max_line):
    size = int(line.split(b";")[0].strip(), 16) if line[:2] != b"0x" else 0
    body = b"5\r\nhello\r\n" + line + b"\r\n" + b"z" * min(size, 3)
    outcomes = []
    for mod in (c, py):
        decoder = mod.ChunkedDecoder(max_line=max_line)
        try:
            outcomes.append(("ok", decoder.feed(body), decoder.done))
        except exceptions.HTTPError as e:
            outcomes.append(("error", type(e).__name__))
    assert outcomes[0] == outcomes[1]
