"""Content-coding decoders (RFC 9110 §8.4.1) for response bodies.

gzip / x-gzip, deflate (zlib-wrapped, or raw as some servers send it), br
(with brotli or brotlicffi) and zstd (with compression.zstd / backports.zstd
as urllib3 2.8, else zstandard).  Codings listed in Content-Encoding are
undone in reverse order, at most :attr:`MultiDecoder.max_decode_links` of
them (a longer chain is a DecodeError, as in urllib3's fix for
CVE-2025-66418).  :mod:`pool.response` re-exports these names, where urllib3
has them.
"""

from __future__ import annotations

import typing
import zlib

from .exceptions import DecodeError

__all__ = [
    "CONTENT_DECODERS",
    "DECODER_ERROR_CLASSES",
    "HAS_ZSTANDARD",
    "HAS_ZSTD",
    "ContentDecoder",
    "DeflateDecoder",
    "GzipDecoder",
    "MultiDecoder",
    "ZstdDecoder",
    "brotli",
]

try:
    try:
        import brotlicffi as brotli
    except ImportError:
        import brotli
except ImportError:  # pragma: no cover - optional dependency
    brotli = None

# zstd: the standard library's module (Python 3.14's compression.zstd, or
# backports.zstd before it), as urllib3 2.8 uses; else the zstandard
# package.  Flags rather than ``None`` modules keep the modules' types.
_std_zstd: typing.Any
try:
    from compression import zstd as _std_zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
except ImportError:
    try:
        from backports import zstd as _std_zstd  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:  # pragma: no cover - optional dependency
        _std_zstd = None
try:
    import zstandard as _zstandard
except ImportError:  # pragma: no cover - optional dependency
    HAS_ZSTANDARD = False
else:
    HAS_ZSTANDARD = True
HAS_ZSTD = _std_zstd is not None or HAS_ZSTANDARD


# How much zlib-wrapped "deflate" input is kept, while it has produced no
# output, to replay it as raw deflate should the zlib reading fail.
_DEFLATE_PROBE_LIMIT = 1 << 16

# --------------------------------------------------------------- decoders
#
# Every decoder is push-style: ``decompress(data, max_length)`` takes new
# input and returns at most ``max_length`` bytes (max_length < 0: no limit),
# keeping the input it could not use yet; ``has_unconsumed_tail`` says it has
# such input; ``flush()`` is called once at the end of the body and raises
# DecodeError if the compressed stream was cut short.


class ContentDecoder:
    """Interface of a content-coding decoder (RFC 9110 §8.4.1)."""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        """Decode ``data``; return at most ``max_length`` bytes (< 0: all)."""
        raise NotImplementedError()

    @property
    def has_unconsumed_tail(self) -> bool:
        """True if input is held back that may produce more output."""
        raise NotImplementedError()

    def flush(self) -> bytes:
        """End of input: return what is left; DecodeError if truncated."""
        raise NotImplementedError()


class DeflateDecoder(ContentDecoder):
    """``deflate``: the zlib format of RFC 1950, or raw RFC 1951 data, which
    some servers send under that name; the first bytes decide."""

    def __init__(self) -> None:
        self._obj = zlib.decompressobj()
        self._first_try = True
        self._first_data = b""
        self._pending = b""
        self._fed = False

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if data:
            self._fed = True
        if self._pending:
            data = self._pending + data
            self._pending = b""
        if not data or self._obj.eof:
            return b""
        if max_length == 0:
            self._pending = data
            return b""
        # zlib's max_length 0 means "no limit"
        limit = max_length if max_length > 0 else 0
        if self._first_try:
            self._first_data += data
            try:
                out = self._obj.decompress(data, limit)
            except zlib.error:
                # Not zlib-wrapped: start over as raw deflate.
                self._first_try = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                data, self._first_data = self._first_data, b""
                out = self._obj.decompress(data, limit)
            else:
                # Output proves the format; so does a long error-free start,
                # and the replay copy must not grow with the input.
                if out or self._obj.eof or len(self._first_data) > _DEFLATE_PROBE_LIMIT:
                    self._first_try = False
                    self._first_data = b""
        else:
            out = self._obj.decompress(data, limit)
        self._pending = self._obj.unconsumed_tail
        return out

    @property
    def has_unconsumed_tail(self) -> bool:
        return bool(self._pending)

    def flush(self) -> bytes:
        if not self._fed:
            return b""
        out = self._obj.flush() if not self._obj.eof else b""
        if not self._obj.eof:
            raise DecodeError("Received response with content-encoding: deflate, but the stream is truncated.")
        return out


class GzipDecoder(ContentDecoder):
    """``gzip`` / ``x-gzip`` (RFC 1952), several members in a row allowed.

    Bytes after a complete member that are not another gzip member are
    ignored, as other clients do; an error inside the first member, or a
    stream that ends inside a member, is a DecodeError.
    """

    def __init__(self) -> None:
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._members = 0  # members completed so far
        self._in_member = False
        self._swallow = False

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._swallow:
            return b""
        if self._pending:
            data = self._pending + data
            self._pending = b""
        if not data:
            return b""
        if max_length == 0:
            self._pending = data
            return b""
        out: list[bytes] = []
        produced = 0
        while data:
            if self._obj.eof:
                self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
            limit = max_length - produced if max_length > 0 else 0
            self._in_member = True
            try:
                chunk = self._obj.decompress(data, limit)
            except zlib.error:
                if self._members:
                    # Trailing garbage after a complete member.
                    self._swallow = True
                    self._in_member = False
                    self._pending = b""
                    return b"".join(out)
                raise
            if chunk:
                out.append(chunk)
                produced += len(chunk)
            if self._obj.eof:
                self._members += 1
                self._in_member = False
                data = self._obj.unused_data
            else:
                data = self._obj.unconsumed_tail
            if max_length > 0 and produced >= max_length:
                self._pending = data
                break
        return b"".join(out)

    @property
    def has_unconsumed_tail(self) -> bool:
        return bool(self._pending) and not self._swallow

    def flush(self) -> bytes:
        if self._swallow or not self._in_member:
            return b""
        out = self._obj.flush()
        if not self._obj.eof:
            raise DecodeError("Received response with content-encoding: gzip, but the stream is truncated.")
        return out


if brotli is not None:

    class BrotliDecoder(ContentDecoder):
        """``br`` (RFC 7932), with brotli >= 1.2's output limit where available."""

        def __init__(self) -> None:
            self._obj = brotli.Decompressor()
            self._process: typing.Callable[..., bytes] = getattr(self._obj, "process", None) or self._obj.decompress
            self._pending = b""
            self._fed = False
            self._more = False
            try:
                self._obj.can_accept_more_data()
                self._limited = True
            except AttributeError:  # pragma: no cover - old brotli / brotlicffi
                self._limited = False

        def decompress(self, data: bytes, max_length: int = -1) -> bytes:
            if data:
                self._fed = True
            if not self._limited:  # pragma: no cover
                return self._process(self._pending + data)
            if self._pending:
                data = self._pending + data
                self._pending = b""
            if max_length == 0:
                self._pending = data
                return b""
            if max_length < 0:
                out = [self._process(data)] if data else []
                while self._more or not self._obj.can_accept_more_data():
                    chunk = self._process(b"")
                    self._more = bool(chunk)
                    out.append(chunk)
                return b"".join(out)
            if not self._obj.can_accept_more_data():
                # Output is still buffered inside: drain it before new input.
                self._pending = data
                data = b""
            elif not data and not self._more:
                return b""
            limited = self._process(data, output_buffer_limit=max_length)
            # Output that reached the limit may have been cut short; the
            # decoder then holds more even if it accepts input again.
            self._more = len(limited) >= max_length
            return limited

        @property
        def has_unconsumed_tail(self) -> bool:
            if not self._limited:  # pragma: no cover
                return False
            return self._more or bool(self._pending) or not self._obj.can_accept_more_data()

        def flush(self) -> bytes:
            if self._fed and not self._obj.is_finished():
                raise DecodeError("Received response with content-encoding: br, but the stream is truncated.")
            return b""


class _StdZstdDecoder(ContentDecoder):
    """``zstd`` (RFC 8878) with the standard library's decompressor, several
    frames in a row allowed; its ``max_length`` bounds each call's output."""

    def __init__(self) -> None:
        self._obj = _std_zstd.ZstdDecompressor()
        self._pending = b""  # input not yet given to a decompressor
        self._in_frame = False

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._pending:
            data, self._pending = self._pending + data, b""
        out: list[bytes] = []
        produced = 0
        # Ends: each pass consumes input, produces output, or stops.
        while True:
            obj = self._obj
            if obj.eof:
                data = obj.unused_data + data
                if not data:
                    break
                obj = self._obj = _std_zstd.ZstdDecompressor()
            want = -1 if max_length < 0 else max_length - produced
            if want == 0:
                self._pending = data
                break
            if not data and obj.needs_input:
                break
            self._in_frame = True
            chunk = obj.decompress(data, max_length=want)
            data = b""
            if chunk:
                out.append(chunk)
                produced += len(chunk)
            if obj.eof:
                self._in_frame = False
            elif obj.needs_input:
                break
        return b"".join(out)

    @property
    def has_unconsumed_tail(self) -> bool:
        obj = self._obj
        return bool(self._pending) or (obj.eof and bool(obj.unused_data)) or not (obj.eof or obj.needs_input)

    def flush(self) -> bytes:
        if self._in_frame:
            raise DecodeError("Received response with content-encoding: zstd, but the stream is truncated.")
        return b""


if HAS_ZSTANDARD:

    class _ZstandardDecoder(ContentDecoder):
        """``zstd`` (RFC 8878) with the zstandard package, several frames in a
        row allowed.

        zstandard's incremental decoder has no output limit, so input is fed
        in slices while a limit applies: a zstd block holds at most 128 KiB and
        takes at least 4 bytes, so a slice of n bytes yields at most about
        n * 32 KiB.  Slices are ``_SLICE`` bytes (at most about 2 MiB out) or,
        while much more output is still wanted, as large as that bound allows.
        """

        _SLICE = 64

        def __init__(self) -> None:
            self._dctx = _zstandard.ZstdDecompressor()
            self._obj = self._dctx.decompressobj()
            self._buf = b""
            self._pos = 0
            self._in_frame = False

        def _feed(self, data: bytes) -> bytes:
            out = []
            while data:
                self._in_frame = True
                chunk = self._obj.decompress(data)
                if chunk:
                    out.append(chunk)
                if not self._obj.eof:
                    break
                self._in_frame = False
                data = self._obj.unused_data
                self._obj = self._dctx.decompressobj()
            return b"".join(out)

        def decompress(self, data: bytes, max_length: int = -1) -> bytes:
            if self._pos < len(self._buf):
                data = self._buf[self._pos :] + data
            self._buf, self._pos = b"", 0
            if max_length < 0:
                return self._feed(data)
            out: list[bytes] = []
            produced = 0
            pos = 0
            end = len(data)
            while pos < end and produced < max_length:
                step = max(self._SLICE, (max_length - produced) >> 15)
                chunk = self._feed(data[pos : pos + step])
                pos += step
                if chunk:
                    out.append(chunk)
                    produced += len(chunk)
            if pos < end:
                self._buf, self._pos = data, pos
            return b"".join(out)

        @property
        def has_unconsumed_tail(self) -> bool:
            return self._pos < len(self._buf)

        def flush(self) -> bytes:
            if self._in_frame:
                raise DecodeError("Received response with content-encoding: zstd, but the stream is truncated.")
            return b""


#: The zstd decoder in use: the standard library's when it is there.
ZstdDecoder: type[ContentDecoder] = _StdZstdDecoder if _std_zstd is not None or not HAS_ZSTANDARD else _ZstandardDecoder


class MultiDecoder(ContentDecoder):
    """Several codings in a row (``Content-Encoding: gzip, br``): they were
    applied in the order listed (RFC 9110 §8.4), so they are undone in reverse."""

    #: Longest accepted chain of codings; a longer one is a DecodeError.
    max_decode_links = 5

    def __init__(self, modes: str) -> None:
        encodings = [m.strip() for m in modes.split(",") if m.strip()]
        if len(encodings) > self.max_decode_links:
            raise DecodeError(f"Too many content encodings in the chain: {len(encodings)} > {self.max_decode_links}")
        self._decoders = [_get_decoder(e) for e in encodings if e != "identity"]

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        decoders = self._decoders[::-1]
        if max_length < 0:
            for d in decoders:
                data = d.decompress(data)
            return data
        out: list[bytes] = []
        produced = 0
        # Each pass pushes what every stage can give through the rest; stop
        # when a pass moves nothing or the limit is reached.
        while produced < max_length:
            moved = False
            for d in decoders:
                data = d.decompress(data, max_length - produced)
                if data:
                    moved = True
            if data:
                out.append(data)
                produced += len(data)
            data = b""
            if not moved:
                break
        return b"".join(out)

    @property
    def has_unconsumed_tail(self) -> bool:
        return any(d.has_unconsumed_tail for d in self._decoders)

    def flush(self) -> bytes:
        data = b""
        for d in self._decoders[::-1]:
            data = d.decompress(data) + d.flush()
        return data


def _get_decoder(mode: str) -> ContentDecoder:
    if "," in mode:
        return MultiDecoder(mode)
    # RFC 9110 §8.4.1.3: x-gzip is gzip
    if mode in ("gzip", "x-gzip"):
        return GzipDecoder()
    if brotli is not None and mode == "br":
        return BrotliDecoder()
    if HAS_ZSTD and mode == "zstd":
        return ZstdDecoder()
    return DeflateDecoder()


#: The codings a response can undo, as urllib3 lists them.
CONTENT_DECODERS = ["gzip", "x-gzip", "deflate"]
if brotli is not None:
    CONTENT_DECODERS += ["br"]
if HAS_ZSTD:
    CONTENT_DECODERS += ["zstd"]

#: What a decoder may raise on bad input (mapped to DecodeError).
DECODER_ERROR_CLASSES: tuple[type[Exception], ...] = (IOError, zlib.error)
if brotli is not None:
    DECODER_ERROR_CLASSES += (brotli.error,)
if _std_zstd is not None:
    DECODER_ERROR_CLASSES += (_std_zstd.ZstdError,)
if HAS_ZSTANDARD:
    DECODER_ERROR_CLASSES += (_zstandard.ZstdError,)

if brotli is not None:
    __all__ += ["BrotliDecoder"]
