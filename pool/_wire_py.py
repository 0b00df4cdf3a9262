"""The wire layer in plain Python: response-head parser, chunked decoder,
request-head serializer and the per-connection Reader.

This is the twin of the compiled core (csrc/pool_http.c under pool._wire_c):
the fallback where the extension is missing, and the oracle the tests and
fuzzers hold the C against, so every rule here is the contract of
docs/wire.md, with the same numeric error codes as csrc/pool_http.h mapped to
pool.exceptions classes in one function, :func:`_raise_for`.

Governing text: RFC 9112 sections 2.2, 4, 5, 6 and 7.1 (message syntax,
status line, field lines, framing, chunked coding); RFC 9110 sections 5.5,
5.6.2 and 8.6 (field values, tokens, Content-Length).

Where errors surface, when two rules could apply:
- a head is checked only once its blank line has arrived; before that the
  only error is ``ResponseHeadTooLarge`` (more than ``max_head_size`` bytes
  buffered without a blank line, or a blank line ending beyond that size).
  Then lines are checked in order; for each field line: syntax, then the
  field count, then Content-Length / Transfer-Encoding semantics.
- a chunked body is checked byte by byte, and the first byte that makes the
  input invalid decides the error, whatever the split of the input.  Every
  byte of a chunk-size line, its CRLF or LF included, counts towards
  ``max_line``; every byte after the last-chunk line, the final empty line
  included, counts towards ``max_trailer_size``.  A byte first counts towards
  the limit, then is checked.

Speed matters (this twin is also what non-CPython interpreters run): bytes are
searched with ``find`` and precompiled regular expressions, never a Python
loop per byte.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any, List, NoReturn, Optional, Tuple

from .exceptions import (
    ChunkLineTooLong,
    IncompleteRead,
    InvalidChunkedEncoding,
    InvalidContentLength,
    InvalidFraming,
    InvalidMethod,
    InvalidRequestHeader,
    InvalidRequestTarget,
    InvalidResponseHeader,
    InvalidStatusLine,
    ProtocolError,
    RemoteDisconnected,
    ResponseHeadTooLarge,
    TooManyInterimResponses,
    TooManyResponseHeaders,
    TrailersTooLarge,
)

__all__ = [
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
]

# Limits: the reasons for each number are given in csrc/pool_http.h.
DEFAULT_MAX_HEAD_SIZE = 65536
DEFAULT_MAX_HEADERS = 100
DEFAULT_MAX_CHUNK_LINE = 4096
DEFAULT_MAX_TRAILER_SIZE = 65536
DEFAULT_MAX_INTERIM = 32

FRAMING_NONE = 0
FRAMING_LENGTH = 1
FRAMING_CHUNKED = 2
FRAMING_CLOSE = 3

# 2**62 - 1: the sum of two sizes stays inside a signed 64-bit integer.
_MAX_BODY_LENGTH = (1 << 62) - 1
# A chunk size of more than 15 significant hex digits could exceed the above.
_MAX_CHUNK_HEX_DIGITS = 15
# read(-1) of a Content-Length body allocates at most this much before data
# arrives, so a lying header can't make us reserve gigabytes up front.
_MAX_PREALLOC = 8 * 1024 * 1024
# Below this many wanted bytes a body read goes through the receive buffer
# (one big recv serves many small reads); above it, straight into the caller's.
# What counts is the size of the whole read, not what is left of it: a read
# that starts with buffered bytes takes the rest directly too, and the next
# reads then line up with the stream instead of each going through the buffer.
_DIRECT_MIN = 16384
# A read of at least this much of a chunked body grows the receive buffer to
# this size (kept for the connection's life): receiving in large blocks and
# copying the chunk data out costs far less than two system calls per chunk.
# Chunk data goes straight into the caller's memory only when the rest of the
# chunk is at least a buffer long.  The compiled Reader does the same.
_BIG_BUFFER = 256 * 1024
# A run of small chunks that share one size line is decoded in one pass over
# the buffer (_ChunkState.run): the byte-exact state machine costs this
# twin some 20 us a chunk, 40 times the time of the run's split for 100-byte
# chunks, while the C decoder needs nanoseconds a chunk and has no such path.
# For chunks of at most _RUN_MAX_SIZE bytes (larger ones gain nothing), at
# most _RUN_MAX_CHUNKS per pass so that a pass that fails costs a bounded
# amount; after a failed pass the next _RUN_BACKOFF chunks go through the
# state machine.
_RUN_MAX_SIZE = 4096
_RUN_MAX_CHUNKS = 1024
_RUN_BACKOFF = 32

# How far one Reader._into() goes: until the destination is full or the body
# ends; or stop once some bytes came (from the buffer or from one recv); or
# stop at the end of the current chunk's data (read_chunk()).  The compiled
# Reader has the same three.
_TO_END = 0
_ONE_RECV = 1
_ONE_CHUNK = 2

# ----------------------------------------------------------------- error codes
# The numbers of enum pool_status in csrc/pool_http.h.
_E_HEAD_TOO_LARGE = -1
_E_TOO_MANY_HEADERS = -2
_E_BAD_STATUS_LINE = -3
_E_BAD_HEADER_NAME = -4
_E_NO_COLON = -5
_E_BAD_HEADER_VALUE = -6
_E_OBS_FOLD = -7
_E_BAD_LINE_ENDING = -8
_E_BAD_CONTENT_LENGTH = -20
_E_CONFLICTING_CONTENT_LENGTH = -21
_E_CL_AND_TE = -22
_E_BAD_TRANSFER_ENCODING = -23
_E_BAD_CHUNK_SIZE = -30
_E_BAD_CHUNK_EXT = -31
_E_BAD_CHUNK_END = -32
_E_CHUNK_LINE_TOO_LONG = -33
_E_BAD_TRAILER = -34
_E_TRAILER_TOO_LARGE = -35

_ERRORS = {
    _E_HEAD_TOO_LARGE: (ResponseHeadTooLarge, "response head larger than max_head_size"),
    _E_TOO_MANY_HEADERS: (TooManyResponseHeaders, "more header fields than max_headers"),
    _E_BAD_STATUS_LINE: (InvalidStatusLine, "invalid status line"),
    _E_BAD_HEADER_NAME: (InvalidResponseHeader, "empty or non-token header name"),
    _E_NO_COLON: (InvalidResponseHeader, "header line without a colon"),
    _E_BAD_HEADER_VALUE: (InvalidResponseHeader, "control byte in a header value"),
    _E_OBS_FOLD: (InvalidResponseHeader, "obsolete line folding (line starts with whitespace)"),
    _E_BAD_LINE_ENDING: (InvalidResponseHeader, "bare CR in the response head"),
    _E_BAD_CONTENT_LENGTH: (InvalidContentLength, "invalid Content-Length value"),
    _E_CONFLICTING_CONTENT_LENGTH: (InvalidContentLength, "differing Content-Length values"),
    _E_CL_AND_TE: (InvalidFraming, "both Content-Length and Transfer-Encoding"),
    _E_BAD_TRANSFER_ENCODING: (InvalidFraming, "invalid Transfer-Encoding (chunked not last, twice, or no coding)"),
    _E_BAD_CHUNK_SIZE: (InvalidChunkedEncoding, "invalid chunk size"),
    _E_BAD_CHUNK_EXT: (InvalidChunkedEncoding, "invalid chunk extension or junk after the chunk size"),
    _E_BAD_CHUNK_END: (InvalidChunkedEncoding, "chunk data not followed by CRLF"),
    _E_CHUNK_LINE_TOO_LONG: (ChunkLineTooLong, "chunk-size line longer than max_chunk_line"),
    _E_BAD_TRAILER: (InvalidChunkedEncoding, "malformed trailer field line"),
    _E_TRAILER_TOO_LARGE: (TrailersTooLarge, "trailer section larger than max_trailer_size"),
}


def _raise_for(code: int, data: Any = None, where: str = "") -> NoReturn:
    """Raise the pool.exceptions class for a wire error code.

    The one place where codes become exceptions; ``data`` (the offending
    line or value, when known) is shown shortened, ``where`` names the part
    of the message.
    """
    cls, message = _ERRORS[code]
    if where:
        message = f"{message} in {where}"
    if data is not None:
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
        data = bytes(data)
        if len(data) > 64:
            data = data[:64] + b"..."
        message = f"{message}: {data!r}"
    raise cls(message)


# ----------------------------------------------------------- character classes
_TCHAR = r"!#$%&'*+\-.^_`|~0-9A-Za-z"  # RFC 9110 section 5.6.2
_VCHAR_OBS = r"\x21-\x7e\x80-\xff"  # field-vchar: VCHAR and obs-text
_FIELD_BYTE = r"\t\x20-\x7e\x80-\xff"  # any byte of a field value: no CTL but HTAB

# The blank line that ends a head: a line end (LF, CR already before it) then
# an empty line ending in CRLF or LF.
_HEAD_END = re.compile(rb"\n\r?\n")
# Head patterns run over the latin-1 decoded head: one decode, no per-field one.
_STATUS_LINE = re.compile(r"HTTP/1\.([01]) ([1-9][0-9][0-9])(?: ([%s]*))?\r?" % _FIELD_BYTE)
_FIELD_BLOCK = re.compile(r"(?:[%s]+:[%s]*\r?\n)*" % (_TCHAR, _FIELD_BYTE))
# The value group ends on its last visible byte: OWS around it is left out
# by the pattern itself (backtracking covers only the trailing OWS).
_FIELD_LINE = re.compile(r"([%s]+):[ \t]*((?:[%s]*[%s])?)[ \t]*\r?\n" % (_TCHAR, _FIELD_BYTE, _VCHAR_OBS))
_TOKEN_STR = re.compile(r"[%s]+" % _TCHAR)
_VALUE_STR = re.compile(r"[%s]*" % _FIELD_BYTE)
_DIGITS_STR = re.compile(r"[0-9]+")
_TARGET_STR = re.compile(r"[\x21-\x7e]+")
# Byte patterns for the chunked decoder.
# The *_RUN patterns match at any offset, if only the empty string: their
# match() is never None (the asserts after them say so to the type checker).
_TOKEN_RUN = re.compile(rb"[%s]*" % _TCHAR.encode())
_VALUE_RUN = re.compile(rb"[%s]*" % _FIELD_BYTE.encode())
_HEX_RUN = re.compile(rb"[0-9A-Fa-f]*")
_ZERO_RUN = re.compile(rb"0*")
_OWS_RUN = re.compile(rb"[ \t]*")
# The plain size line of a chunk run: digits and CRLF, nothing else.
_PLAIN_SIZE_LINE = re.compile(rb"[0-9A-Fa-f]{1,15}\r\n")
_OWS = " \t"

_CR = 13
_LF = 10


# ------------------------------------------------------------------------ head

# flag bits (POOL_HAS_* / POOL_CONN_* in csrc/pool_http.h)
_HAS_CL = 0x01
_HAS_TE = 0x02
_TE_CHUNKED = 0x04
_CONN_CLOSE = 0x08
_CONN_KEEP_ALIVE = 0x10
_CONN_UPGRADE = 0x20


def _content_length(value: str) -> int:
    """1*DIGIT, or a comma list of identical values (RFC 9110 section 8.6)."""
    if _DIGITS_STR.fullmatch(value):
        parts = [value]
    else:
        parts = [p.strip(_OWS) for p in value.split(",")]
    result = -1
    for part in parts:
        if not _DIGITS_STR.fullmatch(part):
            _raise_for(_E_BAD_CONTENT_LENGTH, value)
        digits = part.lstrip("0")
        # 19 digits already exceed 2**62 - 1; checking length first keeps
        # int() away from the long strings a hostile server could send.
        if len(digits) > 19:
            _raise_for(_E_BAD_CONTENT_LENGTH, value)
        n = int(digits) if digits else 0
        if n > _MAX_BODY_LENGTH:
            _raise_for(_E_BAD_CONTENT_LENGTH, value)
        if result >= 0 and n != result:
            _raise_for(_E_CONFLICTING_CONTENT_LENGTH, value)
        result = n
    return result


class _FieldState:
    """What the framing decision needs from the fields seen so far."""

    __slots__ = ("flags", "content_length")

    def __init__(self) -> None:
        self.flags = 0
        self.content_length: Optional[int] = None

    def field(self, name: str, value: str) -> None:
        lname = name.lower()
        if lname == "content-length":
            n = _content_length(value)
            if self.content_length is not None and n != self.content_length:
                _raise_for(_E_CONFLICTING_CONTENT_LENGTH, value)
            self.content_length = n
            self.flags |= _HAS_CL
        elif lname == "transfer-encoding":
            codings = [c for c in (c.strip(_OWS) for c in value.split(",")) if c]
            if not codings:
                _raise_for(_E_BAD_TRANSFER_ENCODING, value)
            flags = self.flags | _HAS_TE
            for coding in codings:
                # Anything after chunked (a second chunked included) means
                # chunked is not the final coding: refused as a smuggling shape.
                if flags & _TE_CHUNKED:
                    _raise_for(_E_BAD_TRANSFER_ENCODING, value)
                if coding.lower() == "chunked":
                    flags |= _TE_CHUNKED
            self.flags = flags
        elif lname == "connection":
            for token in value.split(","):
                token = token.strip(_OWS).lower()
                if token == "close":
                    self.flags |= _CONN_CLOSE
                elif token == "keep-alive":
                    self.flags |= _CONN_KEEP_ALIVE
                elif token == "upgrade":
                    self.flags |= _CONN_UPGRADE


# Lengths of the names whose fields steer framing (Connection,
# Content-Length, Transfer-Encoding): other fields skip the lower() call.
_FRAMING_NAME_LENGTHS = frozenset((10, 14, 17))


def _parse_head(text: str, max_headers: int) -> Tuple[int, int, str, List[Tuple[str, str]], _FieldState]:
    """Parse one complete head (latin-1 text, status line through blank line)."""
    eol = text.find("\n")
    m = _STATUS_LINE.fullmatch(text, 0, eol)
    if m is None:
        _raise_for(_E_BAD_STATUS_LINE, text[:eol])
    version = 10 if m.group(1) == "0" else 11
    status = int(m.group(2))
    reason = m.group(3) or ""

    # The field lines: from after the status line through the LF that ends
    # the last of them (the blank line, CRLF or LF, is left out).
    block_end = len(text) - (2 if text[-2] == "\r" else 1)
    state = _FieldState()
    if block_end <= eol + 1:
        return version, status, reason, [], state
    if _FIELD_BLOCK.fullmatch(text, eol + 1, block_end):
        headers = _FIELD_LINE.findall(text, eol + 1, block_end)
        for name, value in headers[:max_headers]:
            if len(name) in _FRAMING_NAME_LENGTHS:
                state.field(name, value)
        if len(headers) > max_headers:
            _raise_for(_E_TOO_MANY_HEADERS)
        return version, status, reason, headers, state
    # Some line is malformed: walk the lines in order so that the first
    # problem decides the error, as the C parser's single pass does.
    headers = []
    for line in text[eol + 1 : block_end - 1].split("\n"):
        if line[-1:] == "\r":
            line = line[:-1]
        if line[:1] in _OWS:  # (an empty line can't occur: it ends the head)
            _raise_for(_E_OBS_FOLD, line)
        if "\r" in line:
            _raise_for(_E_BAD_LINE_ENDING, line)
        colon = line.find(":")
        if colon < 0:
            _raise_for(_E_NO_COLON, line)
        name = line[:colon]
        if not _TOKEN_STR.fullmatch(name):
            _raise_for(_E_BAD_HEADER_NAME, line)
        value = line[colon + 1 :]
        if not _VALUE_STR.fullmatch(value):
            _raise_for(_E_BAD_HEADER_VALUE, line)
        if len(headers) >= max_headers:
            _raise_for(_E_TOO_MANY_HEADERS)
        value = value.strip(_OWS)
        headers.append((name, value))
        if len(name) in _FRAMING_NAME_LENGTHS:
            state.field(name, value)
    return version, status, reason, headers, state  # pragma: no cover - a bad line raised above


def _framing(
    version: int, status: int, flags: int, content_length: Optional[int], request_was_head: bool
) -> Tuple[int, bool]:
    """Body framing and will_close for a parsed head (RFC 9112 section 6.3)."""
    if flags & _HAS_CL and flags & _HAS_TE:
        _raise_for(_E_CL_AND_TE)
    if request_was_head or status < 200 or status == 204 or status == 304:
        framing = FRAMING_NONE
    elif flags & _HAS_TE:
        framing = FRAMING_CHUNKED if flags & _TE_CHUNKED else FRAMING_CLOSE
    elif flags & _HAS_CL:
        framing = FRAMING_LENGTH if content_length else FRAMING_NONE
    else:
        framing = FRAMING_CLOSE
    will_close = bool(
        flags & _CONN_CLOSE
        or (version == 10 and not flags & _CONN_KEEP_ALIVE)
        or framing == FRAMING_CLOSE
        or status == 101
        or (version == 10 and flags & _HAS_TE)
    )
    return framing, will_close


class HeadParser:
    """Incremental parser of one HTTP/1.x response head (RFC 9112 sections 4, 5).

    Feed it bytes as they arrive; it answers "need more" (0) until the blank
    line is in, then the number of bytes the head used.  Searching resumes
    where the previous call stopped, so input dripped one byte at a time
    costs linear time.
    """

    def __init__(self, max_head_size: int = DEFAULT_MAX_HEAD_SIZE, max_headers: int = DEFAULT_MAX_HEADERS) -> None:
        self._max_head_size = max_head_size
        self._max_headers = max_headers
        self._buf = bytearray()
        self._scanned = 0
        self._done = False
        # None until the head is complete
        self.version: Optional[int] = None
        self.status: Optional[int] = None
        self.reason: Optional[str] = None
        self.headers: Optional[List[Tuple[str, str]]] = None
        self.content_length: Optional[int] = None
        self._flags = 0

    def feed(self, data: bytes) -> int:
        """Append ``data``; return 0 for "need more", else the number of bytes
        of all input so far that the head used (the rest is body).

        :raises ResponseHeadError: and the other head errors of docs/wire.md.
        :raises RuntimeError: when called after the head was complete.
        """
        if self._done:
            raise RuntimeError("the response head is already complete")
        buf = self._buf
        buf += data
        limit = self._max_head_size
        # A match may start up to two bytes before the end of the last search.
        m = _HEAD_END.search(buf, max(self._scanned - 2, 0), limit)
        if m is None:
            if len(buf) > limit:
                self._done = True
                _raise_for(_E_HEAD_TOO_LARGE)
            self._scanned = len(buf)
            return 0
        self._done = True
        end = m.end()
        version, status, reason, headers, state = _parse_head(buf[:end].decode("latin-1"), self._max_headers)
        self.version, self.status, self.reason, self.headers = version, status, reason, headers
        self.content_length = state.content_length
        self._flags = state.flags
        return end

    def framing(self, request_was_head: bool = False) -> Tuple[int, bool]:
        """Return ``(FRAMING_*, will_close)`` for the parsed head.

        :raises InvalidFraming: both Content-Length and Transfer-Encoding.
        """
        if not self.status or self.version is None:
            raise RuntimeError("the response head is not complete")
        return _framing(self.version, self.status, self._flags, self.content_length, request_was_head)


# ----------------------------------------------------------------- chunked body

# decoder states
_S_SIZE = 0  # in a chunk-size line
_S_DATA = 1  # in chunk data; `remaining` bytes to go
_S_DATA_END = 2  # expecting the CRLF or LF after chunk data
_S_TRAILER = 3  # in the trailer section
_S_DONE = 4
_S_FAILED = 5  # an error was raised; the body can't be decoded further

# Where a partial line's check resumes (see _ChunkState._check_*).
_P_START = 0
_P_HEX = 1
_P_OWS = 2
_P_EXT = 3
_P_EOL = 4
_P_NAME = 5
_P_VALUE = 6


def _eol_error(line: bytes | bytearray, i: int) -> int:
    """Offset of the first bad byte from ``i``, where only a line end may
    follow; -1 if the line is (so far) well terminated."""
    if i == len(line):
        return -1
    c = line[i]
    if c == _LF:
        return -1
    if c == _CR:
        if i + 1 == len(line) or line[i + 1] == _LF:
            return -1
        return i + 1
    return i


class _ChunkState:
    """The chunked decoder's state machine over any buffer (RFC 9112 section 7.1).

    ``scan`` consumes framing bytes (size lines, CRLFs, trailers) until it
    reaches chunk data, the end of the body, or the end of the input; the
    caller takes data bytes itself and lowers ``remaining``.
    """

    __slots__ = (
        "max_line",
        "max_trailer_size",
        "state",
        "remaining",
        "line",
        "trailer_size",
        "saw_cr",
        "vpos",
        "phase",
        "sig",
        "hex_end",
        "line_error",
        "run_backoff",
    )

    def __init__(self, max_line: int, max_trailer_size: int) -> None:
        self.max_line = max_line
        self.max_trailer_size = max_trailer_size
        self.state = _S_SIZE
        self.remaining = 0
        self.line = bytearray()  # a size or trailer line not yet complete
        self.trailer_size = 0
        self.saw_cr = False
        self.run_backoff = 0  # chunks to decode one by one before another run
        self._new_line()

    def _new_line(self) -> None:
        self.vpos = 0  # bytes of `line` already checked
        self.phase = _P_START
        self.sig = 0  # significant hex digits seen
        self.hex_end = 0
        self.line_error = 0

    def _check_size(self, line: bytes | bytearray) -> int:
        """Check `line` from where the last check stopped; offset of the first
        bad byte, or -1.  The line holds at most one LF, at its end."""
        i = self.vpos
        phase = self.phase
        n = len(line)
        if phase <= _P_HEX:
            run = _HEX_RUN.match(line, i)
            assert run is not None
            j = run.end()
            if j == 0:
                if n == 0:
                    return -1
                self.line_error = _E_BAD_CHUNK_SIZE
                return 0
            if self.sig == 0:
                run = _ZERO_RUN.match(line, i, j)
                assert run is not None
                z = run.end()
                self.sig = j - z
            else:
                self.sig += j - i
            if self.sig > _MAX_CHUNK_HEX_DIGITS:
                self.line_error = _E_BAD_CHUNK_SIZE
                return j - (self.sig - _MAX_CHUNK_HEX_DIGITS)
            if j == n:
                self.vpos, self.phase = j, _P_HEX
                return -1
            self.hex_end = i = j
            phase = _P_OWS
        if phase == _P_OWS:
            run = _OWS_RUN.match(line, i)
            assert run is not None
            i = run.end()
            if i == n:
                self.vpos, self.phase = i, _P_OWS
                return -1
            if line[i] == 0x3B:  # ';' opens the extensions
                i += 1
                phase = _P_EXT
            else:
                phase = _P_EOL
        if phase == _P_EXT:
            run = _VALUE_RUN.match(line, i)
            assert run is not None
            i = run.end()
        bad = _eol_error(line, i)
        if bad >= 0:
            self.line_error = _E_BAD_CHUNK_EXT
            return bad
        # Valid so far.  Still inside the extensions, or a CR waits for its LF:
        # the next check resumes there.
        self.vpos, self.phase = i, (phase if i == n else _P_EOL)
        return -1

    def _check_trailer(self, line: bytes | bytearray) -> int:
        """Like _check_size, for a trailer field line or the final empty line."""
        i = self.vpos
        phase = self.phase
        n = len(line)
        if phase == _P_START:
            if n == 0:
                return -1
            c = line[0]
            if c == _CR or c == _LF:
                return _eol_error(line, 0)  # the empty line that ends the trailers
            phase = _P_NAME
        if phase == _P_NAME:
            run = _TOKEN_RUN.match(line, i)
            assert run is not None
            j = run.end()
            if j == n:
                self.vpos, self.phase = j, _P_NAME
                return -1
            if j == 0 or line[j] != 0x3A:  # obs-fold, empty name, no colon, non-token
                return j
            i = j + 1
            phase = _P_VALUE
        if phase == _P_VALUE:
            run = _VALUE_RUN.match(line, i)
            assert run is not None
            i = run.end()
        bad = _eol_error(line, i)
        if bad < 0:
            self.vpos, self.phase = i, (phase if i == n else _P_EOL)
        return bad

    def _line(self, buf: Any, pos: int, end: int) -> int:
        """Consume bytes of a size or trailer line from buf[pos:end]."""
        sizing = self.state == _S_SIZE
        limit = self.max_line if sizing else self.max_trailer_size - self.trailer_size
        have = len(self.line)
        room = limit - have
        nl = buf.find(b"\n", pos, min(end, pos + room)) if room > 0 else -1
        if nl >= 0:
            if have:
                self.line += buf[pos : nl + 1]
                line = bytes(self.line)
                self.line.clear()
            else:
                line = bytes(buf[pos : nl + 1])
            bad = self._check_size(line) if sizing else self._check_trailer(line)
            if bad >= 0:
                self._fail_line(sizing, line)
            pos = nl + 1
            if sizing:
                size = int(line[: self.hex_end], 16)
                self._new_line()
                if size:
                    self.remaining = size
                    self.state = _S_DATA
                else:
                    self.state = _S_TRAILER
            else:
                self.trailer_size += len(line)
                self._new_line()
                if line[0] == _CR or line[0] == _LF:
                    self.state = _S_DONE
            return pos
        # No line end yet: take what there is, up to one byte beyond the limit
        # (that byte, whatever it is, is the first one too many).
        take = min(end - pos, room + 1)
        self.line += buf[pos : pos + take]
        partial = self.line
        bad = self._check_size(partial) if sizing else self._check_trailer(partial)
        # Byte order decides: a bad byte before the limit is a syntax error;
        # otherwise the byte past the limit is (bad < len(partial) always).
        if 0 <= bad < limit:
            self._fail_line(sizing, partial)
        if len(partial) > limit:
            self.state = _S_FAILED
            _raise_for(_E_CHUNK_LINE_TOO_LONG if sizing else _E_TRAILER_TOO_LARGE)
        return pos + take

    def _fail_line(self, sizing: bool, line: bytes | bytearray) -> NoReturn:
        self.state = _S_FAILED
        _raise_for((self.line_error or _E_BAD_CHUNK_SIZE) if sizing else _E_BAD_TRAILER, line)

    def run(self, buf: Any, view: memoryview, start: int, end: int, room: int) -> Optional[Tuple[bytes, int]]:
        """Decode, in one pass, a run of whole chunks in buf[start:end] that
        all carry the same plain size line (hex digits, CRLF), with at most
        ``room`` data bytes; ``view`` is a memoryview of ``buf``.  Returns
        (data, position after it) or None (then nothing is consumed and
        ``scan`` goes on byte by byte).  At the CRLF that ends chunk data,
        takes just that CRLF (data b""), so that a run can start after it.

        Splitting the run at CRLF + that size line gives the chunks' data
        exactly when every piece is as long as the size says: a separator
        found inside the data, or a chunk of another size, makes some piece
        shorter.
        """
        if end - start <= 64 or self.line:
            return None
        if self.state == _S_DATA_END:
            if self.saw_cr or not buf.startswith(b"\r\n", start):
                return None
            self.state = _S_SIZE
            return b"", start + 2
        if self.state != _S_SIZE:
            return None
        if self.run_backoff:
            self.run_backoff -= 1
            return None
        m = _PLAIN_SIZE_LINE.match(buf, start, end)
        if m is None:
            return None
        line_end = m.end()
        head = line_end - start
        size = int(buf[start : line_end - 2], 16)
        if not size or size > _RUN_MAX_SIZE or head > self.max_line:
            return None
        stride = head + size + 2
        k = min((end - start) // stride, room // size, _RUN_MAX_CHUNKS)
        if k < 2:
            return None
        stop = start + k * stride
        pieces = bytes(view[line_end : stop - 2]).split(b"\r\n" + bytes(view[start:line_end]))
        # k pieces hold k * size bytes in all, so if none is longer than
        # size, every one is exactly size long.
        if len(pieces) != k or max(map(len, pieces)) != size or buf[stop - 2 : stop] != b"\r\n":
            self.run_backoff = _RUN_BACKOFF
            return None
        return b"".join(pieces), stop

    def scan(self, buf: Any, pos: int, end: int) -> int:
        """Consume framing bytes of buf[pos:end]; return the new position.

        Stops at chunk data (state _S_DATA), at the end of the body
        (_S_DONE; bytes from the returned position on are not the body's),
        or at ``end``.
        """
        while pos < end:
            state = self.state
            if state == _S_DATA or state == _S_DONE:
                return pos
            if state == _S_FAILED:
                raise InvalidChunkedEncoding("the chunked body was already found malformed")
            if state == _S_DATA_END:
                c = buf[pos]
                if c == _LF:
                    self.saw_cr = False
                    self.state = _S_SIZE
                elif c == _CR and not self.saw_cr:
                    self.saw_cr = True
                else:
                    self.state = _S_FAILED
                    _raise_for(_E_BAD_CHUNK_END, buf[pos : pos + 16])
                pos += 1
            else:
                pos = self._line(buf, pos, end)
        return pos


class ChunkedDecoder:
    """Incremental decoder of a chunked body (RFC 9112 section 7.1), sans-IO.

    Any split of the input gives the same body and the same outcome.
    Trailer fields are checked and discarded.
    """

    def __init__(
        self, max_line: int = DEFAULT_MAX_CHUNK_LINE, max_trailer_size: int = DEFAULT_MAX_TRAILER_SIZE
    ) -> None:
        self._state = _ChunkState(max_line, max_trailer_size)
        self.unused = b""

    @property
    def done(self) -> bool:
        """True once the last chunk and the trailer section were read."""
        return self._state.state == _S_DONE

    def feed(self, data: bytes) -> bytes:
        """Decode ``data``; return the body bytes it held (b"" if none).

        Bytes after the end of the body are appended to :attr:`unused`.

        :raises InvalidChunkedEncoding: or its subclasses ChunkLineTooLong
            and TrailersTooLarge.
        """
        if type(data) is not bytes:
            data = bytes(data)  # slices below must be bytes, and find() must exist
        st = self._state
        if st.state == _S_DONE:
            self.unused += data
            return b""
        parts = []
        pos = 0
        end = len(data)
        view = memoryview(data)
        while pos < end:
            state = st.state
            if state == _S_DATA:
                n = min(st.remaining, end - pos)
                parts.append(data[pos : pos + n])
                pos += n
                st.remaining -= n
                if not st.remaining:
                    st.state = _S_DATA_END
                continue
            found = st.run(data, view, pos, end, end)
            if found is not None:
                parts.append(found[0])
                pos = found[1]
                continue
            pos = st.scan(data, pos, end)
            if st.state == _S_DONE:
                self.unused = bytes(data[pos:])
                break
        if st.state == _S_FAILED:  # pragma: no cover - scan raised
            raise InvalidChunkedEncoding("the chunked body was already found malformed")
        return b"".join(parts)


# -------------------------------------------------------------- request head


def _field_str(x: Any, what: str) -> str:
    if type(x) is str:
        return x
    if isinstance(x, bytes):
        return x.decode("latin-1")
    if isinstance(x, str):
        return str(x)
    if what == "value":
        if isinstance(x, int):
            return str(x)
        raise TypeError(f"header value must be str, bytes or int, not {type(x).__name__}")
    raise TypeError(f"header name must be str or bytes, not {type(x).__name__}")


def serialize_request(method: str, target: str, headers: Any) -> bytes:
    """Serialize a request head: request line, field lines, blank line
    (RFC 9112 sections 3, 5), in one bytes object.

    ``headers`` is a mapping (its ``items()`` is used) or an iterable of
    ``(name, value)`` pairs; names and values are ``str`` (latin-1) or
    ``bytes``, values may also be ``int``.  Nothing is added.

    :raises InvalidMethod: an empty method or a non-token character in it.
    :raises InvalidRequestTarget: an empty target, or SP, a control
        character, DEL or non-ASCII in it.
    :raises InvalidRequestHeader: a bad name, a control character other
        than HTAB in a value, or a str that isn't latin-1.
    :raises TypeError: a name or value of another type.

    Each field's name is refused (type, then characters) before its value
    is looked at; messages show the objects as given.
    """
    if not isinstance(method, str) or not _TOKEN_STR.fullmatch(method):
        if not isinstance(method, str):
            raise TypeError(f"method must be str, not {type(method).__name__}")
        raise InvalidMethod(f"invalid request method: {method!r}")
    if not isinstance(target, str):
        raise TypeError(f"request target must be str, not {type(target).__name__}")
    if not _TARGET_STR.fullmatch(target):
        raise InvalidRequestTarget(f"request target with a space, control or non-ASCII character: {target!r}")
    items = headers.items() if hasattr(headers, "items") else headers
    out = [method, " ", target, " HTTP/1.1\r\n"]
    if items is not None:
        for name, value in items:
            n = _field_str(name, "name")
            if not _TOKEN_STR.fullmatch(n):
                raise InvalidRequestHeader(f"invalid header name: {name!r}")
            v = _field_str(value, "value")
            if not _VALUE_STR.fullmatch(v):
                raise InvalidRequestHeader(f"control or non-latin-1 character in header {name!r}: {value!r}")
            out += (n, ": ", v, "\r\n")
    out.append("\r\n")
    return "".join(out).encode("latin-1")


# ------------------------------------------------------------------- Reader


def _incomplete(partial: int, expected: int) -> ProtocolError:
    err = IncompleteRead(partial, expected)
    return ProtocolError(f"Connection broken: {err!r}", err)


class Reader:
    """Reads responses from one connection: heads, then bodies framed by
    RFC 9112 section 6, through one receive buffer reused for the
    connection's life.

    Only ``sock.recv_into`` is used (and ``sock.settimeout`` when a
    :attr:`deadline` is set), so plain and TLS sockets both work.
    """

    def __init__(
        self,
        sock: Any,
        *,
        max_head_size: int = DEFAULT_MAX_HEAD_SIZE,
        max_headers: int = DEFAULT_MAX_HEADERS,
        max_chunk_line: int = DEFAULT_MAX_CHUNK_LINE,
        max_trailer_size: int = DEFAULT_MAX_TRAILER_SIZE,
        max_interim: int = DEFAULT_MAX_INTERIM,
        bufsize: int = 65536,
        enforce_content_length: bool = True,
    ) -> None:
        if bufsize < 1:
            raise ValueError("bufsize must be positive")
        self.sock = sock
        self.read_timeout: Optional[float] = None
        self.deadline: Optional[float] = None
        self._max_head_size = max_head_size
        self._max_headers = max_headers
        self._max_chunk_line = max_chunk_line
        self._max_trailer_size = max_trailer_size
        self._max_interim = max_interim
        self.enforce_content_length = enforce_content_length
        self._buf = bytearray(bufsize)
        self._view = memoryview(self._buf)
        self._start = 0  # buffered bytes are _buf[_start:_end]
        self._end = 0
        self._failed = False
        self._eof = False  # the peer closed; no more bytes will come
        self._chunk: Optional[_ChunkState] = None
        self.framing = FRAMING_NONE
        self.will_close = False
        self.length_remaining: Optional[int] = None
        self.bytes_read = 0
        self.complete = False
        self.response_started = False

    @property
    def at_end(self) -> bool:
        """No more body bytes will come: the body was read to its framed end,
        or the peer closed a Content-Length body whose length is not
        enforced.  The one test of "end of body": never the amount a caller
        asked for, nor the end of a chunk or of one recv."""
        return self._at_end()

    @property
    def chunk_left(self) -> Optional[int]:
        """Chunked: data bytes left in the current chunk (http.client's
        ``chunk_left``), None between chunks and for other framings."""
        c = self._chunk
        if self.framing != FRAMING_CHUNKED or c is None or c.state != _S_DATA or not c.remaining:
            return None
        return c.remaining

    def detach(self) -> bytes:
        """Hand over the bytes received and not yet used, for a caller that
        reads the socket itself from here on; the body then reads as ended
        and the connection is never reused."""
        out = bytes(self._view[self._start : self._end])
        self._start = self._end = 0
        self.framing = FRAMING_NONE
        self._failed = True
        return out

    @property
    def reusable(self) -> bool:
        """True when the connection can carry another request: the body was
        read to its framed end, no close was signalled, no error happened
        and no byte beyond this response is buffered."""
        return self.complete and not self.will_close and not self._failed and self._start == self._end

    # -- receiving

    def _recv(self, view: memoryview) -> int:
        # A caller passing a slice of its destination releases it in a
        # `with` block: when this raises (a timeout), the traceback keeps
        # the slice, and an unreleased slice of a BytesIO.getbuffer() view
        # (read() fills one) crashes CPython 3.12.1's garbage collector
        # when it clears the BytesIO before the view.
        deadline = self.deadline
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("total deadline exceeded")
            rt = self.read_timeout
            self.sock.settimeout(remaining if rt is None or rt > remaining else rt)
        n: int = self.sock.recv_into(view)
        if not n:
            self._eof = True
        return n

    def _grow_buffer(self, size: int) -> None:
        """Replace the receive buffer by one of ``size`` bytes, keeping the
        buffered bytes (moved to its start)."""
        n = self._end - self._start
        buf = bytearray(size)
        buf[:n] = self._view[self._start : self._end]
        self._view.release()
        self._buf, self._view = buf, memoryview(buf)
        self._start, self._end = 0, n

    def _recv_buffer(self) -> int:
        """Receive more bytes after those buffered; 0 at EOF."""
        start, end = self._start, self._end
        if start == end:
            self._start = self._end = start = end = 0
        elif end == len(self._buf):
            n = end - start
            if start:
                # A copy: source and destination may overlap.
                self._buf[:n] = bytes(self._view[start:end])
            else:
                buf = bytearray(2 * len(self._buf))
                buf[:n] = self._view[:n]
                self._view.release()
                self._buf, self._view = buf, memoryview(buf)
            self._start, self._end = start, end = 0, n
        n = self._recv(self._view[end:])
        self._end = end + n
        return n

    # -- head

    def read_head(self, request_was_head: bool = False) -> Tuple[int, int, str, List[Tuple[str, str]]]:
        """Read one response head; return ``(version, status, reason, headers)``.

        Interim 1xx responses other than 101 are skipped, at most
        ``max_interim`` of them.  Sets the per-response state
        (framing, will_close, length_remaining, ...).

        :raises RemoteDisconnected: the peer closed before any byte.
        :raises ProtocolError: the peer closed mid-head; parse errors.
        :raises OSError: from the socket, unchanged.
        """
        try:
            return self._read_head(request_was_head)
        except BaseException:
            self._failed = True
            raise

    def read_response(self, request_was_head: bool = False, preload: bool = False) -> Tuple[Any, ...]:
        """Read one response head, as :meth:`read_head`, and return
        ``(version, status, reason, fields, body)``: ``fields`` in
        HTTPHeaderDict's own layout, ``{lower-case name: [name as first seen,
        value, ...]}``; ``body``, when ``preload`` is true and the whole body
        is already buffered (no body, or a Content-Length body that came with
        the head), those bytes with the state updated as :meth:`read` leaves
        it; else None (read the body with :meth:`read`)."""
        version, status, reason, headers = self.read_head(request_was_head)
        # No memory of the last head's strs here, unlike the compiled
        # Reader: the compiled one decodes each name and value on its own and
        # a repeat skips that, but this one decodes the whole head in one
        # str() call and the field regex hands out the name and value strs
        # already made; checking them against the last head's would cost
        # what it saves.  The results are the same either way
        # (tests/test_wire_repeat.py holds both to them).
        fields: Any = {}
        for name, value in headers:
            low = name.lower()
            vals = fields.get(low)
            if vals is None:
                fields[low] = [name, value]
            else:
                vals.append(value)
        body = None
        if preload:
            if self.framing == FRAMING_NONE:
                body = b""
            elif self.framing == FRAMING_LENGTH and (self.length_remaining or 0) <= self._end - self._start:
                body = self.read(-1)
        return version, status, reason, fields, body

    def _read_head(self, request_was_head: bool) -> Tuple[int, int, str, List[Tuple[str, str]]]:
        self.framing = FRAMING_NONE
        self.will_close = False
        self.length_remaining = None
        self.bytes_read = 0
        self.complete = False
        self._chunk = None
        self._eof = False
        self.response_started = self._end > self._start
        max_head = self._max_head_size
        interim = 0
        while True:
            searched = 0
            while True:
                start, end = self._start, self._end
                m = _HEAD_END.search(self._buf, start + max(searched - 2, 0), min(end, start + max_head))
                if m is not None:
                    break
                if end - start > max_head:
                    _raise_for(_E_HEAD_TOO_LARGE)
                searched = end - start
                if not self._recv_buffer():
                    if self._end == self._start and not self.response_started:
                        raise RemoteDisconnected("Remote end closed connection without response")
                    raise ProtocolError("Connection broken: response head truncated")
                self.response_started = True
            head_end = m.end()
            text = str(self._view[start:head_end], "latin-1")
            version, status, reason, headers, state = _parse_head(text, self._max_headers)
            self._start = head_end
            framing, will_close = _framing(version, status, state.flags, state.content_length, request_was_head)
            if 100 <= status < 200 and status != 101:
                interim += 1
                if interim > self._max_interim:
                    raise TooManyInterimResponses(f"more than {self._max_interim} interim (1xx) responses")
                continue
            break
        self.framing = framing
        self.will_close = will_close
        if framing == FRAMING_LENGTH:
            self.length_remaining = state.content_length
        elif framing == FRAMING_NONE:
            self.length_remaining = 0
            self.complete = True
        elif framing == FRAMING_CHUNKED:
            self._chunk = _ChunkState(self._max_chunk_line, self._max_trailer_size)
        return version, status, reason, headers

    # -- body

    def _at_end(self) -> bool:
        """No more body bytes will come (read to its end, or the peer closed
        a body whose length is not enforced)."""
        return self.complete or (self._eof and self._start == self._end and self.framing == FRAMING_LENGTH)

    def _into(self, dest: memoryview, mode: int) -> int:
        """Put body bytes into ``dest`` (len > 0) until it is full or the body
        ends, or as ``mode`` says (_TO_END, _ONE_RECV, _ONE_CHUNK).  Returns
        the count; 0 only at the end of the body."""
        try:
            framing = self.framing
            if framing == FRAMING_LENGTH:
                got = self._into_length(dest, mode)
            elif framing == FRAMING_CHUNKED:
                got = self._into_chunked(dest, mode)
            elif framing == FRAMING_CLOSE:
                got = self._into_close(dest, mode)
            else:
                got = 0
        except BaseException:
            self._failed = True
            raise
        self.bytes_read += got
        return got

    def _copy_out(self, dest: memoryview, at: int, n: int) -> int:
        """Move up to n buffered bytes to dest[at:]; return how many."""
        s = self._start
        n = min(n, self._end - s)
        dest[at : at + n] = self._view[s : s + n]
        self._start = s + n
        return n

    def _into_length(self, dest: memoryview, mode: int) -> int:
        """A Content-Length body: never a byte past its end."""
        remaining = self.length_remaining or 0
        want = min(len(dest), remaining)
        got = 0
        while got < want:
            if self._end > self._start:
                n = self._copy_out(dest, got, want - got)
            elif mode == _ONE_RECV and got:
                break
            elif self._eof:
                n = 0
            elif want >= _DIRECT_MIN:
                # Straight into the caller's memory, never past this body's
                # end, so no byte of what follows is taken.  The slice is
                # released even when recv raises (see _recv).
                with dest[got:want] as part:
                    n = self._recv(part)
            elif self._recv_buffer():
                continue
            else:
                n = 0
            if not n:
                # The peer closed before the body ended.
                self.length_remaining = remaining - got
                if self.enforce_content_length:
                    raise _incomplete(self.bytes_read + got, remaining - got)
                return got
            got += n
        self.length_remaining = remaining = remaining - got
        if not remaining:
            self.complete = True
        return got

    def _into_close(self, dest: memoryview, mode: int) -> int:
        """A body delimited by the close of the connection."""
        want = len(dest)
        got = 0
        while got < want:
            if self._end > self._start:
                n = self._copy_out(dest, got, want - got)
            elif mode == _ONE_RECV and got:
                break
            elif self._eof:
                n = 0
            elif want >= _DIRECT_MIN:
                with dest[got:want] as part:
                    n = self._recv(part)
            elif self._recv_buffer():
                continue
            else:
                n = 0
            if not n:
                self.complete = True
                break
            got += n
        return got

    def _into_chunked(self, dest: memoryview, mode: int) -> int:
        """A chunked body: the chunks' data, their framing consumed on the
        way (_ChunkState.scan)."""
        c = self._chunk
        assert c is not None
        want = len(dest)
        got = 0
        while got < want and c.state != _S_DONE:
            if c.state == _S_FAILED:
                raise InvalidChunkedEncoding("the chunked body was already found malformed")
            between = c.state != _S_DATA
            if between and mode == _ONE_CHUNK and got:
                break  # the current chunk's data is all out
            if between and self._end > self._start:
                found = None if mode == _ONE_CHUNK else c.run(self._buf, self._view, self._start, self._end, want - got)
                if found is None:
                    self._start = c.scan(self._buf, self._start, self._end)
                    continue
                data, self._start = found
                n = len(data)
                dest[got : got + n] = data
                got += n
                continue
            if self._end > self._start:
                n = self._copy_out(dest, got, min(want - got, c.remaining))
            elif mode == _ONE_RECV and got:
                break
            elif self._eof:
                raise _incomplete(self.bytes_read + got, c.remaining or 1)
            else:
                if want - got >= _BIG_BUFFER and len(self._buf) < _BIG_BUFFER:
                    self._grow_buffer(_BIG_BUFFER)
                n = min(want - got, c.remaining)
                if n < _DIRECT_MIN or n < len(self._buf):
                    # Framing, or data better received in large blocks.
                    if not self._recv_buffer():
                        raise _incomplete(self.bytes_read + got, c.remaining or 1)
                    continue
                with dest[got : got + n] as part:
                    n = self._recv(part)
                if not n:
                    raise _incomplete(self.bytes_read + got, c.remaining)
            got += n
            c.remaining -= n
            if not c.remaining:
                c.state = _S_DATA_END
        if c.state == _S_DONE:
            self.complete = True
        return got

    def _finish_chunked(self) -> None:
        """Consume the framing that follows the last data byte read (the CRLF,
        the zero chunk, trailers), receiving as needed."""
        c = self._chunk
        assert c is not None
        try:
            while c.state != _S_DONE and c.state != _S_DATA:
                if c.state == _S_FAILED:
                    raise InvalidChunkedEncoding("the chunked body was already found malformed")
                if self._end > self._start:
                    self._start = c.scan(self._buf, self._start, self._end)
                elif self._eof or not self._recv_buffer():
                    raise _incomplete(self.bytes_read, 1)
        except BaseException:
            self._failed = True
            raise
        if c.state == _S_DONE:
            self.complete = True

    def read(self, amt: Optional[int] = -1) -> bytes:
        """Read body bytes.  ``amt < 0`` (or None): the rest of the body in
        one bytes object; otherwise up to ``amt`` bytes, fewer only at the
        end of the body; b"" at the end."""
        limit = -1 if amt is None or amt < 0 else amt
        framing = self.framing
        if limit == 0 or framing == FRAMING_NONE:
            return b""
        if framing != FRAMING_LENGTH:
            return self._read_unsized(limit)
        avail = self._end - self._start
        remaining = self.length_remaining or 0
        size = remaining if limit < 0 else min(limit, remaining)
        if size <= avail:
            # All of it is buffered already: one slice, no scratch buffer.
            s = self._start
            self._start = s + size
            self.length_remaining = remaining - size
            self.bytes_read += size
            if size == remaining:
                self.complete = True
            return bytes(self._view[s : s + size])
        # Allocated once for the whole body when it is small; a large
        # Content-Length grows the buffer as bytes really arrive.
        initial = min(size, _MAX_PREALLOC)
        # A Content-Length body is received straight into the bytes object
        # that is returned: a BytesIO made from zeroed bytes owns that object
        # alone, lends it out writable through getbuffer(), grows it in
        # place, and getvalue() hands it back without a copy once no view is
        # left.
        out = io.BytesIO(bytes(initial))
        size = initial
        pos = 0
        while True:
            with out.getbuffer() as view, view[pos:] as tail:
                n = self._into(tail, _TO_END)
            pos += n
            if pos < size or self._at_end() or pos == limit:
                break
            # Doubling: few resizes, and realloc moves large blocks by
            # remapping their pages, not by copying them.
            grow = min(size, self.length_remaining or 0)
            if limit >= 0:
                grow = min(grow, limit - pos)
            size += grow
            out.seek(size - 1)
            out.write(b"\0")
        if pos < size:
            out.truncate(pos)
        return out.getvalue()

    def _read_unsized(self, limit: int) -> bytes:
        """read() of a body of unknown length (chunked, or until close):
        decoded through one scratch buffer of at most _BIG_BUFFER bytes,
        warm in the cache, and appended to a BytesIO, which grows without
        zero-filling and hands its bytes back without a copy."""
        cap = _BIG_BUFFER if limit < 0 else min(limit, _BIG_BUFFER)
        out = io.BytesIO()
        total = 0
        with memoryview(bytearray(cap)) as scratch:
            while True:
                size = cap if limit < 0 else min(cap, limit - total)
                with scratch[:size] as view:
                    n = self._into(view, _TO_END)
                    out.write(view[:n])
                total += n
                if n < size or total == limit or self._at_end():
                    break
        return out.getvalue()

    def read1(self, amt: int = -1) -> bytes:
        """Return at most ``amt`` body bytes (any amount if ``amt < 0``),
        blocking for at most one recv; b"" only at the end of the body."""
        if amt == 0 or self.framing == FRAMING_NONE:
            return b""
        if amt is None or amt < 0:
            amt = (self._end - self._start) or len(self._buf)
        if self.framing == FRAMING_LENGTH:
            amt = min(amt, self.length_remaining or 0)
            if not amt:
                return b""
        out = bytearray(amt)
        with memoryview(out) as view:
            n = self._into(view, _ONE_RECV)
        del out[n:]
        return bytes(out)

    def read_chunk(self, amt: Optional[int] = -1) -> bytes:
        """Chunked bodies: up to ``amt`` bytes (any amount if ``amt < 0``) of
        the current chunk's data, or of the next chunk's when the current
        one is all read, waiting for them; never bytes of two chunks in one
        call.  Other framings: as :meth:`read1`.  b"" only at the end of the
        body."""
        c = self._chunk
        if self.framing != FRAMING_CHUNKED or c is None:
            return self.read1(-1 if amt is None else amt)
        limit = -1 if amt is None or amt < 0 else amt
        if limit == 0:
            return b""
        out = io.BytesIO()
        total = 0
        with memoryview(bytearray(65536 if limit < 0 else min(limit, 65536))) as scratch:
            # Ends: each pass takes bytes of the one chunk or stops.
            while True:
                size = len(scratch) if limit < 0 else min(len(scratch), limit - total)
                with scratch[:size] as view:
                    n = self._into(view, _ONE_CHUNK)
                    out.write(view[:n])
                total += n
                if n < size or total == limit or c.state != _S_DATA or self._at_end():
                    break
        return out.getvalue()

    def readinto(self, buf: Any) -> int:
        """Fill the writable buffer ``buf`` until it is full or the body ends;
        return the number of bytes written."""
        with memoryview(buf) as view, view.cast("B") as flat:
            if not len(flat):
                return 0
            return self._into(flat, _TO_END)

    def drain(self, max_bytes: int) -> bool:
        """Read and discard up to ``max_bytes`` of body; True if the body ended."""
        left = max_bytes
        scratch = None
        while not self._at_end():
            if left <= 0:
                c = self._chunk
                if self.framing == FRAMING_CHUNKED and c is not None and c.state != _S_DATA:
                    # Framing bytes are not body: finish them, so a body
                    # drained to its last byte also ends.
                    self._finish_chunked()
                    continue
                break
            if scratch is None:
                scratch = memoryview(bytearray(min(left, 65536)))
            n = self._into(scratch[: min(left, len(scratch))], _ONE_RECV)
            if not n:
                break
            left -= n
        return self._at_end()
