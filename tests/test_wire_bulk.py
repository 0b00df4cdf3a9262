"""The Reader's bulk body paths, for both wire implementations: runs of small
chunks decoded in one pass, the large receive buffer for long chunked reads,
and bodies received straight into the returned object (RFC 9112 sections 6
and 7.1).  Every body is checked byte for byte against what was framed, and
the compiled Reader is held against the Python twin."""

import random
import socket
import threading

import pytest

from pool import exceptions

TIMEOUT = 5.0
HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def _serve(wire, tail=b""):
    """A socketpair whose far end sends ``wire + tail`` from a thread, then closes."""
    client, server = socket.socketpair()
    client.settimeout(TIMEOUT)

    def run():
        try:
            server.sendall(wire + tail)
        except OSError:
            pass
        finally:
            server.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return client, thread


def _read(wire_mod, wire, how, tail=b"", bufsize=65536):
    client, thread = _serve(HEAD + wire, tail)
    try:
        reader = wire_mod.Reader(client, bufsize=bufsize)
        reader.read_head()
        if how == "all":
            data = reader.read()
        elif how == "into":
            buf = bytearray(len(wire) + 16)
            data = bytes(buf[: reader.readinto(buf)])
        else:
            parts = []
            for _ in range(len(wire) + 2):  # each call returns at least one byte
                part = reader.read1(65536) if how == "read1" else reader.read(4096)
                if not part:
                    break
                parts.append(part)
            data = b"".join(parts)
        return data, reader
    finally:
        client.close()
        thread.join(TIMEOUT)


def _chunked(pieces):
    return b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize("how", ["all", "read1", "read", "into"])
@pytest.mark.parametrize("size", [1, 7, 100])
def test_run_of_equal_chunks(wire, how, size):
    pieces = [bytes([65 + i % 26]) * size for i in range(3000)]
    data, reader = _read(wire, _chunked(pieces), how)
    assert data == b"".join(pieces)
    assert reader.complete and reader.bytes_read == len(data)


_SEP = b"\r\n64\r\n"  # CRLF and the size line of a run of 100-byte chunks


@pytest.mark.parametrize("how", ["all", "read1"])
@pytest.mark.parametrize(
    "shape",
    [
        (_SEP * 20)[:100],  # the separator whole, many times
        b"z" * 96 + _SEP[:4],  # a tail that the real framing completes:
        b"z" * 98 + _SEP[:2],  # as many separators found, in the wrong places
    ],
    ids=["whole", "tail4", "tail2"],
)
def test_separator_inside_chunk_data(wire, how, shape):
    # Chunk data that looks like the framing of its run must not be taken for it.
    pieces = [shape if i % 5 else b"z" * 100 for i in range(2000)]
    data, reader = _read(wire, _chunked(pieces), how)
    assert data == b"".join(pieces)
    assert reader.complete


def test_sizes_change_inside_a_run(wire):
    rng = random.Random(7)
    pieces = []
    for _ in range(200):
        size = rng.choice([1, 2, 3, 100, 101, 5000])
        pieces += [rng.randbytes(size)] * rng.randint(1, 40)
    data, reader = _read(wire, _chunked(pieces), "all")
    assert data == b"".join(pieces)
    assert reader.complete


@pytest.mark.parametrize("bad", [b"\r\r", b"xx", b"\n\n"])
def test_bad_chunk_end_inside_a_run(wire, bad):
    # (b"\n\n": a bare LF ends the data, then the second LF is an empty size line.)
    wire_bytes = _chunked([b"a" * 100] * 500)
    cut = (4 + 100 + 2) * 300 + 4 + 100  # after the data of chunk 301
    wire_bytes = wire_bytes[:cut] + bad + wire_bytes[cut + 2 :]
    with pytest.raises(exceptions.InvalidChunkedEncoding):
        _read(wire, wire_bytes, "all")


def test_size_line_limit_applies_to_runs(wire):
    client, thread = _serve(HEAD + _chunked([b"b" * 100] * 100))
    try:
        reader = wire.Reader(client, max_chunk_line=3)
        reader.read_head()
        with pytest.raises(exceptions.ChunkLineTooLong):
            reader.read()
    finally:
        client.close()
        thread.join(TIMEOUT)


@pytest.mark.parametrize("how", ["all", "read", "into", "read1"])
def test_long_chunked_body_in_large_reads(wire, how):
    # Over the large-buffer threshold, with chunks both smaller and larger
    # than that buffer, and bytes after the body that must stay unread.
    rng = random.Random(11)
    pieces = [rng.randbytes(rng.choice([100, 30000, 400000, 1 << 20])) for _ in range(12)]
    data, reader = _read(wire, _chunked(pieces), how, tail=b"HTTP/1.1 204 No Content\r\n\r\n")
    assert data == b"".join(pieces)
    assert reader.complete and not reader.reusable


def test_length_body_larger_than_first_allocation(wire):
    body = random.Random(3).randbytes(9 << 20)  # above the 8 MiB first allocation
    client, thread = _serve(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    try:
        reader = wire.Reader(client)
        reader.read_head()
        assert reader.read() == body
        assert reader.complete and reader.reusable
    finally:
        client.close()
        thread.join(TIMEOUT)


def test_c_and_twin_agree_on_random_runs():
    c = pytest.importorskip("pool._wire_c")
    from pool import _wire_py as py

    for seed in range(40):
        rng = random.Random(seed)
        size = rng.choice([1, 2, 5, 100])
        alphabet = [b"q", b"\r\n", b"%x\r\n" % size, b"\n"]
        count = rng.randint(1, 300)
        pieces = [b"".join(rng.choice(alphabet) for _ in range(size))[:size] for _ in range(count)]
        wire_bytes = bytearray(_chunked(pieces))
        if rng.random() < 0.5:  # one corrupted byte somewhere in the framing or data
            wire_bytes[rng.randrange(len(wire_bytes))] = rng.choice(b"\r\n;x0 ")
        how = rng.choice(["all", "read1", "read"])
        bufsize = rng.choice([1, 16, 4096, 65536])
        results = []
        for mod in (c, py):
            try:
                data, reader = _read(mod, bytes(wire_bytes), how, bufsize=bufsize)
                results.append(("ok", data, reader.complete))
            except exceptions.HTTPError as e:
                results.append(("error", type(e).__name__))
        assert results[0] == results[1], (seed, how, bufsize)


@pytest.mark.parametrize(
    "shape", [(_SEP * 20)[:100], b"z" * 96 + _SEP[:4], b"z" * 100], ids=["whole", "tail4", "plain"]
)
@pytest.mark.parametrize("split", [None, 1, 7, 1000])
def test_sans_io_decoder_runs(wire, shape, split):
    pieces = [shape if i % 5 else b"y" * 100 for i in range(1000)]
    encoded = _chunked(pieces) + b"NEXT"
    decoder = wire.ChunkedDecoder()
    step = split or len(encoded)
    out = b"".join(decoder.feed(encoded[i : i + step]) for i in range(0, len(encoded), step))
    assert out == b"".join(pieces)
    assert decoder.done and decoder.unused == b"NEXT"
