"""Tables for test_read_matrix.py: the bodies, content codings, framings,
deliveries and read APIs it crosses; :func:`run`, which makes one request
(two for the APIs that hand the connection back) with a given library,
urllib3 or pool, and records what the read API returned; the server that
answers every combination by request path; and :func:`oracle`, urllib3's
outcome for a combination, run in a worker process.

The responses are deterministic: a combination gets the same bytes on every
run, so urllib3's outcome for it is computed once and pool's (for each wire
implementation) compared with it.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import importlib
import io
import itertools
import random
import typing
import zlib

import pytest
from hostile import CLOSE, HostileServer, Pause, Received


def _import_first(*names: str) -> typing.Any:
    """The first of the modules that imports, or None."""
    for name in names:
        try:
            return importlib.import_module(name)
        except ImportError:
            pass
    return None


# Encoders for the bodies (optional, as are the decoders).
brotli = _import_first("brotli")
_zstd_encoder = _import_first("compression.zstd", "backports.zstd")


# ------------------------------------------------------------------- bodies

# Random printable ASCII with a newline every 64 bytes or so: lines for the
# line-reading APIs, and hardly compressible (about 83% of its size after
# any coding here), so the chunk framings get several chunks of an encoded
# body too.
_TEXT = bytes(10 if i % 64 == 0 else 32 + i % 95 for i in range(256))


@functools.lru_cache(maxsize=None)
def body(size: int) -> bytes:
    """``size`` bytes of deterministic text (the decoded body)."""
    return random.Random(size).randbytes(size).translate(_TEXT)


# ------------------------------------------------------------------ codings


def _zstd_available() -> str | None:
    """None when both sides can decode zstd, else why not."""
    import urllib3.response

    import pool.response

    if not getattr(urllib3.response, "HAS_ZSTD", False):
        return "urllib3 cannot decode zstd here (no compression.zstd / backports.zstd)"
    if not pool.response.HAS_ZSTD:
        return "pool cannot decode zstd here (no zstandard)"
    if _zstd_encoder is None:
        return "no zstd encoder to build the body with"
    return None


def _encode_one(coding: str, data: bytes) -> bytes:
    if coding == "gzip":
        return gzip.compress(data, compresslevel=6, mtime=0)
    if coding == "deflate":
        return zlib.compress(data, 6)
    if coding == "br":
        return brotli.compress(data, quality=4)
    if coding == "zstd":
        return _zstd_encoder.compress(data)
    raise ValueError(coding)


@dataclasses.dataclass(frozen=True)
class Coding:
    """A Content-Encoding: the codings applied, in order (empty: identity)."""

    name: str
    codings: tuple[str, ...]

    @property
    def header(self) -> str | None:
        return ", ".join(self.codings) if self.codings else None

    def encode(self, data: bytes) -> bytes:
        for coding in self.codings:
            data = _encode_one(coding, data)
        return data

    def unavailable(self) -> str | None:
        """None when this coding can be tested here, else why not."""
        if "br" in self.codings and brotli is None:
            return "brotli is not installed"
        if "zstd" in self.codings:
            return _zstd_available()
        return None


IDENTITY = Coding("identity", ())
CODINGS = [
    IDENTITY,
    Coding("gzip", ("gzip",)),
    Coding("deflate", ("deflate",)),
    Coding("br", ("br",)),
    Coding("zstd", ("zstd",)),
    # A chain, listed in the order applied (decoded in reverse).
    Coding("gzip+br", ("gzip", "br")) if brotli is not None else Coding("deflate+gzip", ("deflate", "gzip")),
]


# ----------------------------------------------------------------- framings


@dataclasses.dataclass(frozen=True)
class Framing:
    """How the body is delimited on the wire.

    ``kind``: "length" (Content-Length), "chunked", or "close" (read until the
    server closes).  ``chunk``: the chunk size for "chunked".  ``size``: the
    decoded body's size.  ``closes``: the server closes the connection after
    the response.  ``small``: the amount of the small-amount read APIs
    (read_7, read1_7, stream_7, read_chunked_7 for most framings).
    """

    name: str
    kind: str
    size: int
    chunk: int = 0
    status_line: str = "HTTP/1.1 200 OK"
    extensions: bool = False
    closes: bool = False
    small: int = 7

    @property
    def chunked(self) -> bool:
        return self.kind == "chunked"


# 16 KB bodies: four chunks of 4 KiB even once encoded, over 2000 pieces
# for the 7-byte reads, and the whole matrix still runs in well under a
# minute.
FRAMINGS = [
    Framing("cl", "length", 16_000),
    # Fewer bytes, as every one is a chunk of its own.
    Framing("chunked1", "chunked", 2_000, chunk=1),
    Framing("chunked100", "chunked", 16_000, chunk=100),
    Framing("chunked4k", "chunked", 16_000, chunk=4096),
    # Chunks larger than the wire Reader's 64 KiB buffer, at least 3 of them.
    # The small amount is larger here (still far below a chunk or the
    # buffer), or 7-byte reads of a 260 KB body would take most of the time.
    Framing("chunked100k", "chunked", 260_000, chunk=100 * 1024, small=1021),
    # Chunk extensions on every size line (odd sizes) and trailer fields.
    Framing("chunkedext", "chunked", 16_000, chunk=997, extensions=True),
    Framing("close", "close", 16_000, closes=True),
    Framing("http10", "length", 16_000, status_line="HTTP/1.0 200 OK", closes=True),
]


def _chunk(encoded: bytes, size: int, extensions: bool) -> bytes:
    out = []
    for n, i in enumerate(range(0, len(encoded), size)):
        piece = encoded[i : i + size]
        ext = f';ext={n};name="v {n}"' if extensions else ""
        out.append(f"{len(piece):x}{ext}\r\n".encode("latin-1") + piece + b"\r\n")
    if extensions:
        out.append(b"0;last=1\r\nX-Trailer: one\r\nX-Checksum: 1234\r\n\r\n")
    else:
        out.append(b"0\r\n\r\n")
    return b"".join(out)


@functools.lru_cache(maxsize=None)
def encoded_body(framing: Framing, coding: Coding) -> bytes:
    """The body as it is framed: the decoded body through the codings."""
    return coding.encode(body(framing.size))


@functools.lru_cache(maxsize=None)
def wire_response(framing: Framing, coding: Coding) -> tuple[bytes, int]:
    """The response bytes, and the length of its head."""
    encoded = encoded_body(framing, coding)
    lines = [framing.status_line, "Content-Type: text/plain; charset=latin-1"]
    if coding.header is not None:
        lines.append(f"Content-Encoding: {coding.header}")
    if framing.kind == "length":
        lines.append(f"Content-Length: {len(encoded)}")
        payload = encoded
    elif framing.kind == "chunked":
        lines.append("Transfer-Encoding: chunked")
        payload = _chunk(encoded, framing.chunk, framing.extensions)
        if framing.chunk > 65536:
            assert len(encoded) > 2 * framing.chunk, "fewer than 3 chunks"
    else:
        lines.append("Connection: close")
        payload = encoded
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + payload, len(head)


# --------------------------------------------------------------- deliveries

DELIVERIES = ["whole", "drip"]

# Dripped: the head in pieces of 1, 2 and the rest of it; the first 2 KiB of
# the body in pieces of 1, 2, 3, 5, 64, 7, 256 and the rest of the 2 KiB;
# the rest of the response in _REST_PIECES pieces; a pause after each piece
# but the last (12 pauses in all).  The server sends with TCP_NODELAY, and
# the pause (about 0.4 ms in practice, with the wait's own cost) lets the
# client take each piece in a read of its own: 1 ms pauses catch no more
# lost chunks than these, and would make the matrix twice as slow.
_HEAD_PIECES = (1, 2)
_BODY_PIECES = (1, 2, 3, 5, 64, 7, 256)
_BODY_PREFIX = 2048
_REST_PIECES = 2
PAUSE = 0.0002


def _cut(data: bytes, sizes: typing.Sequence[int]) -> list[bytes]:
    """``data`` in pieces of ``sizes``, then the rest (if any) as one piece."""
    pieces, pos = [], 0
    for n in sizes:
        if pos >= len(data):
            break
        pieces.append(data[pos : pos + n])
        pos += n
    if pos < len(data):
        pieces.append(data[pos:])
    return pieces


@functools.lru_cache(maxsize=None)
def script(framing: Framing, coding: Coding, delivery: str) -> tuple[typing.Any, ...]:
    """The server's script for the combination (see hostile.HostileServer)."""
    raw, head_len = wire_response(framing, coding)
    if delivery == "whole":
        pieces = [raw]
    else:
        prefix_end = min(len(raw), head_len + _BODY_PREFIX)
        rest = raw[prefix_end:]
        step = -(-len(rest) // _REST_PIECES)
        pieces = _cut(raw[:head_len], _HEAD_PIECES) + _cut(raw[head_len:prefix_end], _BODY_PIECES)
        pieces += [rest[i : i + step] for i in range(0, len(rest), step)]
    steps: list[typing.Any] = []
    for piece in pieces:
        steps += [piece, Pause(PAUSE)]
    steps.pop()  # no pause after the last piece
    if framing.closes:
        steps.append(CLOSE)
    return tuple(steps)


#: The response to the second request of the two-request APIs.
SECOND_BODY = b"the second response\n" * 3
SECOND = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(SECOND_BODY), SECOND_BODY)


# --------------------------------------------------------------------- APIs


@dataclasses.dataclass(frozen=True)
class Api:
    """A way to read a body.

    ``read(r, small)`` yields the pieces the API returned; ``small`` is the
    framing's small amount.  ``limit``: no piece may be longer ("small" for
    the small amount).  ``nonempty``: no piece may be empty.  ``shape``: the
    piece lengths are part of the result (the API fixes them: read(amt) fills
    each piece, line iteration splits at newlines).  ``second``: a second
    request follows on the same pool.  ``preload``: the body is read by the
    request (preload_content=True).
    """

    name: str
    read: typing.Callable[[typing.Any, int], typing.Iterator[bytes]]
    limit: int | typing.Literal["small"] | None = None
    nonempty: bool = True
    shape: bool = False
    second: bool = False
    preload: bool = False

    def id(self, small: int) -> str:
        return self.name.replace("SMALL", str(small))

    def max_piece(self, small: int) -> int | None:
        if self.limit == "small":
            return small
        return self.limit


LARGE = 100_000
READINTO = 997
PARTIAL = 10
# Far above any body here: bounds the loops inside io's readlines() and read().
_IO_BOUND = 4 * max(f.size for f in FRAMINGS)


def _until_empty(f: typing.Callable[[], bytes]) -> typing.Iterator[bytes]:
    # Bounded by run()'s piece limit.
    while True:
        data = f()
        if not data:
            return
        yield data


def _readinto(r: typing.Any, small: int) -> typing.Iterator[bytes]:
    buf = bytearray(READINTO)
    while True:
        n = r.readinto(buf)
        if not n:
            return
        yield bytes(buf[:n])


def _buffered_readlines(r: typing.Any, small: int) -> typing.Iterator[bytes]:
    # urllib3 needs auto_close=False here (its documented use with io):
    # with auto_close the response reports itself closed once the body has
    # ended, and io.BufferedReader.readlines() then raises "readline of
    # closed file" instead of returning the last lines.  The hint bounds the
    # loop inside readlines().
    r.auto_close = False
    yield from io.BufferedReader(r).readlines(_IO_BOUND)


def _text_wrapper(r: typing.Any, small: int) -> typing.Iterator[bytes]:
    # No auto_close change: TextIOWrapper reads to the end either way.  An
    # amount (far above any body here) bounds the loop inside read(), which
    # then reads with read1() until the end.
    yield io.TextIOWrapper(r, encoding="latin-1", newline="").read(_IO_BOUND).encode("latin-1")


def _drain(r: typing.Any, small: int) -> typing.Iterator[bytes]:
    r.drain_conn()
    return iter(())


def _release(r: typing.Any, small: int) -> typing.Iterator[bytes]:
    yield r.read(PARTIAL)
    r.release_conn()


APIS = [
    Api("data", lambda r, small: iter([r.data]), nonempty=False, preload=True),
    Api("read", lambda r, small: iter([r.read()]), nonempty=False),
    Api("read_SMALL", lambda r, small: _until_empty(lambda: r.read(small)), limit="small", shape=True),
    Api(f"read_{LARGE}", lambda r, small: _until_empty(lambda: r.read(LARGE)), limit=LARGE, shape=True),
    Api("read1", lambda r, small: _until_empty(r.read1)),
    Api("read1_SMALL", lambda r, small: _until_empty(lambda: r.read1(small)), limit="small"),
    Api("stream", lambda r, small: r.stream(), limit=2**16),
    Api("stream_none", lambda r, small: r.stream(None)),
    Api("stream_SMALL", lambda r, small: r.stream(small), limit="small"),
    Api("read_chunked", lambda r, small: r.read_chunked()),
    Api("read_chunked_SMALL", lambda r, small: r.read_chunked(small), limit="small"),
    Api("readinto", _readinto, limit=READINTO),
    Api("iter_lines", lambda r, small: iter(r), shape=True),
    Api("buffered_readlines", _buffered_readlines, shape=True),
    Api("text_wrapper", _text_wrapper, nonempty=False),
    Api("drain_conn", _drain, second=True),
    Api("release_conn", _release, nonempty=False, second=True),
]


# ---------------------------------------------------------------- one run


@dataclasses.dataclass(frozen=True)
class Combo:
    """One cell of the matrix, without the wire implementation."""

    framing: Framing
    coding: Coding
    delivery: str
    api: Api
    decode: bool

    @property
    def id(self) -> str:
        api = self.api.id(self.framing.small)
        return f"{self.framing.name}-{self.coding.name}-{self.delivery}-{api}-{'decode' if self.decode else 'raw'}"

    @property
    def path(self) -> str:
        return f"/m/{self.framing.name}/{self.coding.name}/{self.delivery}"


def describe(data: bytes, combo: Combo) -> str:
    """What ``data`` is, in words: the decoded or the encoded body, or a
    piece of one of them."""
    decoded = body(combo.framing.size)
    encoded = encoded_body(combo.framing, combo.coding)
    for name, whole in (("the decoded body", decoded), ("the encoded body", encoded)):
        if data == whole:
            return f"{name} ({len(data)} bytes)"
    for name, whole in (("the decoded body", decoded), ("the encoded body", encoded)):
        if data and whole.startswith(data):
            return f"the first {len(data)} of the {len(whole)} bytes of {name[4:]}"
    return f"{len(data)} bytes that are neither body nor a prefix of one"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a read API gave.  Compared: the body (by length and digest),
    the exception class, the piece lengths where the API fixes them, and for
    the two-request APIs the second body (or "!" and its exception class),
    the connection pool's ``num_connections`` and whether the second request
    went out on the first one's connection (as the server saw it)."""

    length: int
    digest: str
    error: str | None
    shape: tuple[int, ...] | None
    second: bytes | str | None
    connections: int | None
    reused: bool | None
    what: str = dataclasses.field(compare=False)
    pieces: tuple[bytes, ...] = dataclasses.field(repr=False, compare=False, default=())

    def short(self) -> str:
        """A one-line summary for a failure message."""
        out = f"{self.what}, error={self.error}"
        if self.second is not None:
            out += f", second={self.second!r}, connections={self.connections}, reused={self.reused}"
        return out


class PieceLimit(Exception):
    """The read API returned more pieces than the body could make."""


_tokens = itertools.count()


def _connection_of(server: HostileServer, target: str) -> int | None:
    for req in server.requests:
        if req.target == target:
            return req.conn
    return None


def run(lib: typing.Any, server: HostileServer, combo: Combo) -> Outcome:
    """Request the combination's response from ``server`` with ``lib``
    (urllib3 or pool) and read it with the combination's API."""
    api = combo.api
    raw, _ = wire_response(combo.framing, combo.coding)
    # Every loop over pieces stops here at the latest.
    max_pieces = 2 * len(raw) + len(body(combo.framing.size)) + 100
    token = next(_tokens)
    first_target, second_target = f"{combo.path}?t={token}", f"/second?t={token}"
    pieces: list[bytes] = []
    error: str | None = None
    second: bytes | str | None = None
    connections: int | None = None
    reused: bool | None = None
    http = lib.HTTPConnectionPool(server.host, server.port, maxsize=1, block=False, timeout=5.0, retries=False)
    r = None
    try:
        try:
            r = http.request(
                "GET", first_target, preload_content=api.preload, decode_content=combo.decode, retries=False
            )
            for piece in api.read(r, combo.framing.small):
                if len(pieces) >= max_pieces:
                    raise PieceLimit(f"more than {max_pieces} pieces")
                pieces.append(piece)
        except Exception as e:
            error = type(e).__name__
        if api.second:
            try:
                second = http.request("GET", second_target, retries=False).data
            except Exception as e:
                second = f"!{type(e).__name__}"
            connections = http.num_connections
            first_conn, second_conn = _connection_of(server, first_target), _connection_of(server, second_target)
            if second_conn is not None:
                reused = first_conn == second_conn
    finally:
        if r is not None:
            r.close()
        http.close()
    data = b"".join(pieces)
    return Outcome(
        length=len(data),
        digest=hashlib.sha256(data).hexdigest(),
        error=error,
        shape=tuple(len(p) for p in pieces) if api.shape else None,
        second=second,
        connections=connections,
        reused=reused,
        what=describe(data, combo),
        pieces=tuple(pieces),
    )


# ------------------------------------------------------------------ servers


def matrix_server() -> HostileServer:
    """A server for the whole matrix: the request path names the framing,
    coding and delivery (:attr:`Combo.path`); ``/second`` is the second
    request of the two-request APIs."""
    framings = {f.name: f for f in FRAMINGS}
    codings = {c.name: c for c in CODINGS}

    def respond(req: Received) -> typing.Any:
        path = req.target.split("?", 1)[0]
        if path == "/second":
            return [SECOND]
        parts = path.split("/")
        if len(parts) == 5 and parts[2] in framings and parts[3] in codings and parts[4] in DELIVERIES:
            return script(framings[parts[2]], codings[parts[3]], parts[4])
        return [b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"]

    return HostileServer(respond)


# -------------------------------------------------------------- the oracle
#
# urllib3's outcomes are computed in a worker process, with a server of its
# own, while the test process reads with pool: the two run on separate cores
# and the worker is well ahead by the time a test needs its outcome.

_oracle_server: list[HostileServer] = []


def oracle(combo_id: str) -> Outcome:
    """urllib3's outcome for a combination (run in the worker process)."""
    import urllib3

    if not _oracle_server:
        _oracle_server.append(matrix_server())
    outcome = run(urllib3, _oracle_server[0], COMBOS[combo_id])
    return dataclasses.replace(outcome, pieces=())


# ------------------------------------------------------------------ the table


def _all_combos() -> dict[str, Combo]:
    """Every combination, by id.

    decode_content=False only matters for an encoded body, and then the
    coding makes no difference (its bytes are passed through): it is run for
    gzip, with every API, framing and delivery; decode_content=True for
    every coding.
    """
    out = {}
    for framing, coding, delivery, api in itertools.product(FRAMINGS, CODINGS, DELIVERIES, APIS):
        for decode in [True] + ([False] if coding.name == "gzip" else []):
            combo = Combo(framing, coding, delivery, api, decode)
            out[combo.id] = combo
    return out


COMBOS = _all_combos()


def combos() -> list[typing.Any]:
    """Every combination as a pytest param, skipped where a coding is missing."""
    out = []
    for combo in COMBOS.values():
        why = combo.coding.unavailable()
        marks = [pytest.mark.skip(reason=why)] if why else []
        out.append(pytest.param(combo, id=combo.id, marks=marks))
    return out
