"""HTTP responses: reading, streaming and content decoding of a response body.

:class:`HTTPResponse` has urllib3 2.x's interface.  Its body comes either
from a wire ``Reader`` (the connection hands one over, positioned right after
the response head, with the framing of RFC 9112 §6 already decided) or, for
responses built by hand or by mocking libraries, from bytes, a str or any
file-like object, exactly as urllib3 allows.

Content codings (RFC 9110 §8.4.1) are undone by the decoders of
:mod:`pool._decoders`, re-exported here under urllib3's names.

Memory: ``read(amt)``, ``read1(amt)`` and ``stream(amt)`` return at most
``amt`` decoded bytes per call and keep only a bounded amount of compressed
and decoded data between calls, however well the body compresses, so a
decompression bomb never lands in memory whole.  ``read()`` without ``amt``
(and ``.data``, and ``preload_content=True``) returns the whole decoded body
in one object; it is decoded in bounded steps and refused with DecodeError as
soon as it grows past the connection's ``Limits.max_decompressed_size``
(1 GiB by default), so a bomb costs at most about that much memory.
"""

from __future__ import annotations

import collections
import http.client
import io
import json as _json
import logging
import socket
import sys
import time
import typing
import weakref
from http.client import HTTPException as _HTTPException
from socket import timeout as _SocketTimeout

try:
    from ssl import SSLError as _BaseSSLError
except ImportError:  # pragma: no cover - Python built without ssl

    class _BaseSSLError(Exception):  # type: ignore[no-redef]
        pass


from . import _decoders
from ._collections import HTTPHeaderDict
from ._decoders import (  # noqa: F401 - urllib3.response's names, re-exported
    HAS_ZSTANDARD,
    HAS_ZSTD,
    ContentDecoder,
    DeflateDecoder,
    GzipDecoder,
    MultiDecoder,
    ZstdDecoder,
    _get_decoder,
    _std_zstd,
    _StdZstdDecoder,
    brotli,
)

if brotli is not None:
    from ._decoders import BrotliDecoder  # noqa: F401
if HAS_ZSTANDARD:
    from ._decoders import _ZstandardDecoder  # noqa: F401
from .exceptions import (
    BodyNotHttplibCompatible,
    DecodeError,
    HTTPError,
    IncompleteRead,
    InvalidHeader,
    ProtocolError,
    ReadTimeoutError,
    ResponseNotChunked,
    SSLError,
)
from .util.limits import DEFAULT_LIMITS, Limits
from .util.response import is_fp_closed as _is_fp_closed
from .util.timings import Timings

if typing.TYPE_CHECKING:  # pragma: no cover
    from .connectionpool import HTTPConnectionPool
    from .util.retry import Retry


log = logging.getLogger(__name__)

# wire framing value for a chunked body (docs/wire.md: FRAMING_CHUNKED)
_FRAMING_CHUNKED = 2

# drain_conn() reads at most this much of an unread body to save the
# connection; more than that costs more than opening a new connection.
_DRAIN_LIMIT = 1 << 20
_now = time.perf_counter_ns


def _is_wire_reader(body: object) -> bool:
    # Duck-typed, so either wire implementation (compiled or Python) fits.
    return hasattr(body, "read_head") and hasattr(body, "drain") and hasattr(body, "reusable")


def _limit_of(connection: typing.Any) -> int:
    # The decompressed-size limit of a connection's responses; responses
    # built by hand, or over a connection without limits, get the default.
    limits = getattr(connection, "limits", None)
    if not isinstance(limits, Limits):
        limits = DEFAULT_LIMITS
    return limits.max_decompressed_size


def _ask(limit: int, produced: int) -> int:
    # What to ask a decoder for so that the total can pass ``limit`` by at
    # most one byte (-1, no limit, when ``limit`` is as large as sizes go).
    return limit + 1 - produced if limit < sys.maxsize else -1


class BytesQueueBuffer:
    """FIFO of decoded bytes: ``put`` whole pieces, ``get`` exactly ``n``.

    Holds the decoded output of one decoder call beyond what a read returned,
    so its size stays within one call's output.
    """

    def __init__(self) -> None:
        self.buffer: typing.Deque[bytes | memoryview] = collections.deque()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, data: bytes) -> None:
        """Append ``data``."""
        if data:
            self.buffer.append(data)
            self._size += len(data)

    def get(self, n: int) -> bytes:
        """Remove and return the first ``min(n, len(self))`` bytes."""
        if n == 0:
            return b""
        if n < 0:
            raise ValueError("n should be > 0")
        if not self.buffer:
            raise RuntimeError("buffer is empty")
        first = self.buffer[0]
        if len(first) == n and isinstance(first, bytes):
            self._size -= n
            return self.buffer.popleft()  # type: ignore[return-value]
        parts: list[bytes | memoryview] = []
        need = n
        while need and self.buffer:
            chunk = self.buffer.popleft()
            if len(chunk) > need:
                view = memoryview(chunk)
                parts.append(view[:need])
                self.buffer.appendleft(view[need:])
                need = 0
                break
            parts.append(chunk)
            need -= len(chunk)
        got = n - need
        self._size -= got
        return b"".join(parts)

    def get_all(self) -> bytes:
        """Remove and return everything."""
        if not self.buffer:
            return b""
        data = b"".join(self.buffer)
        self.buffer.clear()
        self._size = 0
        return data


class _ResponseView:
    """What ``HTTPResponse._original_response`` and ``HTTPResponse._fp`` are for
    a response read from the wire: the http.client.HTTPResponse that urllib3
    wraps there, as far as code reaches into it: ``msg``, status, reason,
    version, ``chunked``, ``chunk_left``, ``length``, ``will_close``,
    ``fp`` (whose ``raw`` is the socket's stream), the raw (not content
    decoded) ``read``/``read1``/``readinto``/``readline``, ``isclosed`` and
    ``close``.  Reads go through the response's Reader, so whichever side
    reads next sees the next body byte; ``fp`` reads the socket itself and
    first hands over what the Reader had received and not yet used."""

    __slots__ = ("_response", "_stream")

    debuglevel = 0

    def __init__(self, response: HTTPResponse) -> None:
        # A weak reference: the response keeps its view, and a strong one
        # back would make a cycle that only the garbage collector frees, in
        # any order, so a dropped response's socket could be finalized
        # before the response closes it (ResourceWarning, a late close).
        self._response: HTTPResponse = weakref.proxy(response)
        self._stream: typing.Any = None

    @property
    def msg(self) -> HTTPHeaderDict:
        return self._response.headers

    headers = msg

    @property
    def status(self) -> int:
        return self._response.status

    code = status

    @property
    def reason(self) -> str | None:
        return self._response.reason

    @property
    def version(self) -> int:
        return self._response.version

    @property
    def _method(self) -> str | None:
        return self._response._request_method

    @property
    def chunked(self) -> bool:
        return bool(self._response.chunked)

    @property
    def chunk_left(self) -> int | None:
        reader = self._response._reader
        return reader.chunk_left if reader is not None else None

    @property
    def length(self) -> int | None:
        reader = self._response._reader
        if reader is None:
            return None if self._response.chunked else 0
        return reader.length_remaining  # type: ignore[no-any-return]

    @property
    def will_close(self) -> bool:
        reader = self._response._reader
        return bool(reader.will_close) if reader is not None else True

    @property
    def fp(self) -> typing.Any:
        """A buffered stream over the connection's socket (None once the body
        is done), as http.client's ``fp``; its ``raw`` is a
        :class:`socket.SocketIO`."""
        if self._stream is None:
            reader = self._response._reader
            if reader is None or reader.sock is None:
                return None
            self._stream = io.BufferedReader(_SocketStream(reader))
        return self._stream

    def getcode(self) -> int:
        return self._response.status

    def info(self) -> HTTPHeaderDict:
        return self._response.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self._response.headers.get(name, default)

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self._response.headers.iteritems())

    def readable(self) -> bool:
        return True

    def read(self, amt: int | None = None) -> bytes:
        return self._response._raw_read(None if amt is None or amt < 0 else amt) or b""

    def read1(self, n: int = -1) -> bytes:
        return self._response._raw_read(None if n is None or n < 0 else n, read1=True) or b""

    def readinto(self, b: typing.Any) -> int:
        with memoryview(b) as view, view.cast("B") as flat:
            data = self.read(len(flat))
            flat[: len(data)] = data
        return len(data)

    def readline(self, limit: int = -1) -> bytes:
        # Byte by byte, so nothing past the line is taken from the body.
        out = bytearray()
        while limit < 0 or len(out) < limit:
            b = self.read(1)
            if not b:
                break
            out += b
            if b == b"\n":
                break
        return bytes(out)

    @property
    def closed(self) -> bool:
        return self._response.isclosed()

    def isclosed(self) -> bool:
        return self._response.isclosed()

    def fileno(self) -> int:
        return self._response.fileno()

    def close(self) -> None:
        self._response.close()


_HTTPLibResponse = http.client.HTTPResponse


def _fp_done(fp: typing.Any) -> bool:
    # Whether a file-like body was read to its end (one that can't tell
    # counts as done, as urllib3 takes it).
    try:
        return _is_fp_closed(fp)
    except ValueError:
        return True


class _SocketStream(socket.SocketIO):
    """The socket's raw stream for code that reads the socket itself (as
    docker-py does with ``_fp.fp.raw``): its first read hands over what the
    Reader received and had not used yet, and the connection is then never
    reused, since the Reader no longer knows where the response ends."""

    def __init__(self, reader: typing.Any) -> None:
        super().__init__(reader.sock, "rb")
        self._wire_reader = reader
        self._leftover: bytes | None = None

    def readinto(self, b: typing.Any) -> int:
        if self._leftover is None:
            self._leftover = self._wire_reader.detach()
        if self._leftover:
            n = min(len(b), len(self._leftover))
            b[:n] = self._leftover[:n]
            self._leftover = self._leftover[n:]
            return n
        return super().readinto(b) or 0


# --------------------------------------------------------------- responses


class BaseHTTPResponse(io.IOBase):
    """The interface of every response: status, headers, body reading and
    content decoding.  :class:`HTTPResponse` is the implementation."""

    CONTENT_DECODERS = list(_decoders.CONTENT_DECODERS)
    REDIRECT_STATUSES = [301, 302, 303, 307, 308]

    DECODER_ERROR_CLASSES: tuple[type[Exception], ...] = _decoders.DECODER_ERROR_CLASSES

    def __init__(
        self,
        *,
        headers: typing.Mapping[str, str] | typing.Mapping[bytes, bytes] | None = None,
        status: int,
        version: int,
        version_string: str,
        reason: str | None,
        decode_content: bool,
        request_url: str | None,
        retries: Retry | None = None,
    ) -> None:
        if isinstance(headers, HTTPHeaderDict):
            self.headers = headers
        elif isinstance(headers, list):
            # The wire layer's list of (name, value) pairs.
            self.headers = HTTPHeaderDict._from_wire(headers)
        else:
            self.headers = HTTPHeaderDict(headers)  # type: ignore[arg-type]
        self.status = status
        self.version = version
        self.version_string = version_string
        self.reason = reason
        self.decode_content = decode_content
        self._has_decoded_content = False
        self._request_url: str | None = request_url
        if retries is not None and retries.history:
            self.retries = retries
        else:
            self._retries = retries

        self.chunked = False
        tr_enc = self.headers.get("transfer-encoding")
        if tr_enc and "chunked" in (enc.strip() for enc in tr_enc.lower().split(",")):
            self.chunked = True

        self._decoder: ContentDecoder | None = None
        self._decoder_ready = False
        self._decoder_flushed = False
        self.length_remaining: int | None

    def get_redirect_location(self) -> str | None | typing.Literal[False]:
        """The Location to redirect to: a str for a redirect status with a
        Location, None for a redirect status without one, False otherwise."""
        if self.status in self.REDIRECT_STATUSES:
            return self.headers.get("location")
        return False

    @property
    def data(self) -> bytes:
        """The whole (decoded) body, read and cached on first access."""
        raise NotImplementedError()

    def json(self) -> typing.Any:
        """The body parsed as JSON (UTF-8, RFC 8259 §8.1).

        Raises UnicodeDecodeError or json.JSONDecodeError for a body that is
        not UTF-8 or not JSON.
        """
        return _json.loads(self.data.decode("utf-8"))

    @property
    def url(self) -> str | None:
        """The URL this response came from (after redirects)."""
        raise NotImplementedError()

    @url.setter
    def url(self, url: str | None) -> None:
        raise NotImplementedError()

    @property
    def connection(self) -> typing.Any:
        """The connection the body is read from, until it is released."""
        raise NotImplementedError()

    @property
    def retries(self) -> Retry | None:
        """The Retry state of the request; setting it takes the URL of the last redirect in its history."""
        return self._retries

    @retries.setter
    def retries(self, retries: Retry | None) -> None:
        if retries is not None and retries.history:
            self.url = retries.history[-1].redirect_location
        self._retries = retries

    def stream(self, amt: int | None = 2**16, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        """Yield the body in pieces of at most ``amt`` bytes."""
        raise NotImplementedError()

    def read(self, amt: int | None = None, decode_content: bool | None = None, cache_content: bool = False) -> bytes:
        """Read ``amt`` bytes of body, or all of it."""
        raise NotImplementedError()

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        """Read at most ``amt`` bytes with at most one read from the network."""
        raise NotImplementedError()

    def read_chunked(self, amt: int | None = None, decode_content: bool | None = None) -> typing.Iterator[bytes]:
        """Yield the body of a chunked response."""
        raise NotImplementedError()

    def release_conn(self) -> None:
        """Give the connection back to its pool."""
        raise NotImplementedError()

    def drain_conn(self) -> None:
        """Read and discard the rest of the body so the connection can be reused."""
        raise NotImplementedError()

    def shutdown(self) -> None:
        """Shut down the reading side of the socket, waking a blocked read."""
        raise NotImplementedError()

    def close(self) -> None:
        """Close the body and the connection."""
        raise NotImplementedError()

    def _init_decoder(self) -> None:
        # Content-Encoding values are case-insensitive (RFC 9110 §8.4.1).
        self._decoder_ready = True
        content_encoding = self.headers.get("content-encoding")
        if not content_encoding:
            return
        content_encoding = content_encoding.lower()
        if content_encoding in self.CONTENT_DECODERS:
            self._decoder = _get_decoder(content_encoding)
            return
        if "," not in content_encoding:
            return
        codings = [c.strip() for c in content_encoding.split(",") if c.strip()]
        known = [c for c in codings if c in self.CONTENT_DECODERS]
        if not known:
            return
        if len(codings) > MultiDecoder.max_decode_links:
            raise DecodeError(
                f"Too many content encodings in the chain: {len(codings)} > {MultiDecoder.max_decode_links}"
            )
        # A coding we cannot undo makes the whole body undecodable: hand it
        # over as it came rather than guessing.
        if all(c in self.CONTENT_DECODERS or c == "identity" for c in codings):
            self._decoder = MultiDecoder(content_encoding)

    def _decode(
        self, data: bytes, decode_content: bool | None, flush_decoder: bool, max_length: int | None = None
    ) -> bytes:
        """Decode ``data`` (at most ``max_length`` bytes out) and, with
        ``flush_decoder``, finish the stream."""
        if not decode_content:
            if self._has_decoded_content:
                raise RuntimeError(
                    "Calling read(decode_content=False) is not supported after read(decode_content=True) was called."
                )
            return data
        if max_length is None or flush_decoder:
            max_length = -1
        decoder = self._decoder
        if decoder is not None:
            try:
                if data or decoder.has_unconsumed_tail:
                    data = decoder.decompress(data, max_length)
                    self._has_decoded_content = True
                if flush_decoder:
                    data += self._flush_decoder()
            except self.DECODER_ERROR_CLASSES as e:
                content_encoding = self.headers.get("content-encoding", "").lower()
                raise DecodeError(
                    f"Received response with content-encoding: {content_encoding}, but failed to decode it.", e
                ) from e
        return data

    def _flush_decoder(self) -> bytes:
        if self._decoder is None or self._decoder_flushed:
            return b""
        self._decoder_flushed = True
        return self._decoder.flush()

    def readinto(self, b: bytearray | memoryview) -> int:
        """Read into ``b``; return the number of bytes written (0 at the end)."""
        temp = self.read(len(b))
        if not temp:
            return 0
        n = len(temp)
        b[:n] = temp
        return n

    def getheaders(self) -> HTTPHeaderDict:
        """The headers (http.client's name)."""
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        """One header's value (http.client's name)."""
        return self.headers.get(name, default)

    def info(self) -> HTTPHeaderDict:
        """The headers (the name http.cookiejar and urllib use)."""
        return self.headers

    def geturl(self) -> str | None:
        """The URL (the name urllib uses)."""
        return self.url


# What a wire response's shutdown() uses: its connection's socket, looked up
# when shutdown() is called (urllib3 keeps sock.shutdown from the start).
_SHUTDOWN_VIA_CONNECTION: typing.Any = object()

# What HTTPResponse._start gives every response, as it would a body from the
# wire; the pool that made the request sets ``_pool`` once the head (and a
# preloaded body) is read: until then the response gives the connection back
# to no one.
_START: dict[str, typing.Any] = {
    "_has_decoded_content": False,
    "chunked": False,
    "_decoder": None,
    "_decoder_ready": False,
    "_decoder_flushed": False,
    "_wire_body": True,
    "enforce_content_length": True,
    "_body": None,
    "_t": None,
    "_t_end": None,
    "_uncached_read_occurred": False,
    "_file": None,
    "_reader": None,
    "_orig": None,
    "_fp_bytes_read": 0,
    "_request_method": None,
    "_pool": None,
    "_sock_shutdown": _SHUTDOWN_VIA_CONNECTION,
    "length_remaining": None,
    # Set by _start itself on every response: here too, so that the one
    # merge gives the dict its final size and every later assignment
    # replaces a value (measured with bench.instructions: growing the dict
    # key by key resized it once per response, about 900 instructions).
    "headers": None,
    "status": None,
    "version": None,
    "version_string": None,
    "reason": None,
    "decode_content": None,
    "_request_url": None,
    "_retries": None,
    "_connection": None,
    "_decoded_buffer": None,
    "msg": None,
}


def _call_hook(pending: tuple[typing.Any, str, str], response: typing.Any) -> None:
    # An on_request_done hook observes; it never breaks the request path,
    # whatever it raises (logged, with its traceback, and dropped).
    hook, method, url = pending
    try:
        hook(method, url, response.status, getattr(response, "timings", None))
    except Exception:
        log.warning("on_request_done hook %r raised; ignored", hook, exc_info=True)


def _map_read_error(e: BaseException, pool: typing.Any) -> BaseException:
    # urllib3's mapping of an error raised while a body is read to
    # pool.exceptions; what it does not map comes back as it is.
    if isinstance(e, _SocketTimeout):
        return ReadTimeoutError(pool, None, "Read timed out.")
    if isinstance(e, _BaseSSLError):
        return SSLError(e)
    if isinstance(e, IncompleteRead):
        if e.expected is not None and e.partial is not None and e.expected == -e.partial:
            return ProtocolError("Response may not contain content.", e)
        return ProtocolError(f"Connection broken: {e!r}", e)
    if isinstance(e, ProtocolError):
        return e
    if isinstance(e, (_HTTPException, OSError)):
        return ProtocolError(f"Connection broken: {e!r}", e)
    return e


class _FileBody:
    """A body given as a file-like object (or an http.client response), with
    the wire Reader's interface, so a response reads every body one way.

    It keeps urllib3's rules for such a body: a closed file reads as b"";
    a read of ``amt`` that comes back empty closes the file, and is an
    IncompleteRead when the Content-Length promised more and is enforced;
    a read1 that comes back empty, or with the last promised bytes, closes
    it too.  Its counts are the response's (``length_remaining``,
    ``_fp_bytes_read``) and its file is the response's ``_fp``, whatever
    was last assigned there.  ``at_end``: the http.client response this
    wraps closed itself, the moment urllib3 gives the connection back.
    """

    __slots__ = ("_response",)

    # How _ResponseView and fileno() see it: no framing or chunks of its own.
    framing = 0
    chunk_left = None
    will_close = True

    def __init__(self, response: HTTPResponse) -> None:
        # Weak, as _ResponseView's: no cycle through the response.
        self._response: HTTPResponse = weakref.proxy(response)

    @property
    def length_remaining(self) -> int | None:
        return self._response.length_remaining

    @property
    def at_end(self) -> bool:
        orig = self._response._orig
        return orig is not None and bool(orig.isclosed())

    @property
    def reusable(self) -> bool:
        # An http.client body not read to its end: what is left of it must
        # never be read as the next response.
        fp = self._response._file
        return not isinstance(fp, _HTTPLibResponse) or _fp_done(fp)

    @property
    def sock(self) -> typing.Any:
        # What fileno() asks: the file itself, when it has a descriptor.
        fp = self._response._file
        return fp if hasattr(fp, "fileno") else None

    def _take(self, n: int, one: bool) -> bytes:
        r = self._response
        fp = r._file
        if getattr(fp, "closed", False):
            data = b""
        else:
            read1 = getattr(fp, "read1", None) if one else None
            fn = fp.read if read1 is None else read1
            data = fn() if n < 0 else fn(n)
        if n > 0 and not data:
            fp.close()
            left = r.length_remaining
            if r.enforce_content_length and left not in (None, 0):
                raise IncompleteRead(r._fp_bytes_read, left)
        elif one and ((n != 0 and not data) or r.length_remaining == len(data)):
            fp.close()
        if data and r.length_remaining is not None:
            r.length_remaining -= len(data)
        return data

    def read(self, n: int = -1) -> bytes:
        return self._take(n, False)

    def read1(self, n: int = -1) -> bytes:
        return self._take(n, True)

    read_chunk = read1

    def readinto(self, b: typing.Any) -> int:
        data = self._take(len(b), False)
        b[: len(data)] = data
        return len(data)

    def drain(self, max_bytes: int) -> bool:
        # urllib3 reads such a body to its end, however long.
        data = self._take(-1, False)
        if data:
            self._response._fp_bytes_read += len(data)
        return True


class HTTPResponse(BaseHTTPResponse):
    """An HTTP response whose body is read and decoded on demand.

    An :class:`io.IOBase`, so :class:`io.BufferedReader` and
    :class:`io.TextIOWrapper` can wrap it (with ``auto_close=False`` if the
    wrapper must keep working after the body ends).

    Every body is read through one object with the wire Reader's interface
    (``_reader``): the Reader itself for a body from the wire, a
    :class:`_FileBody` for a file-like one; bytes or a str given as the
    body are the body already read.

    :param body: A wire Reader (from the connection), or bytes, a str or a
        file-like object (for responses built by hand).
    :param preload_content: Read the whole body now (then ``.data`` has it).
    :param decode_content: Undo the Content-Encoding when reading.
    :param original_response: The http.client-like response this wraps, if any.
    :param retries: The Retry state of the request.
    :param enforce_content_length: For file-like bodies, raise if the body is
        shorter than its Content-Length (a wire Reader enforces it itself).
    :param auto_close: Report the response closed once its body is read.
    :param sock_shutdown: Called with ``socket.SHUT_RD`` by :meth:`shutdown`.
    """

    _wire_body: bool
    enforce_content_length: bool
    _uncached_read_occurred: bool
    _fp_bytes_read: int
    _body: typing.Any
    _file: typing.Any
    _reader: typing.Any
    _orig: typing.Any
    _request_method: str | None
    _pool: typing.Any
    _sock_shutdown: typing.Any
    msg: typing.Any

    # Read from the class unless set: a wire response never sets them, and
    # leaving them out of _START keeps its per-response dict the size it
    # was before the two timing attributes below joined it (measured with
    # bench.instructions: a bigger dict costs every request).
    auto_close = True
    chunk_left = None

    # The request's timing stamps (time.perf_counter_ns; pool.util.timings),
    # read only by ``timings``: the head's alone once it is read, then
    # (start, sent, head, connect stamps) once the pool's urlopen has the
    # response.  Connect stamps: (began, resolved, connected, TLS done) of a
    # connection opened for this request, () for one opened without stamps,
    # None when reused.  Packed in one attribute: each attribute a response
    # carries costs every request.
    _t: typing.Any = None
    # The end of the body: None until then, the pending on_request_done
    # call (hook, method, url) while one waits for it, then the stamp (int).
    _t_end: typing.Any = None

    def __init__(
        self,
        body: typing.Any = "",
        headers: typing.Mapping[str, str] | typing.Mapping[bytes, bytes] | None = None,
        status: int = 0,
        version: int = 0,
        version_string: str = "HTTP/?",
        reason: str | None = None,
        preload_content: bool = True,
        decode_content: bool = True,
        original_response: typing.Any = None,
        pool: HTTPConnectionPool | None = None,
        connection: typing.Any = None,
        msg: typing.Any = None,
        retries: Retry | None = None,
        enforce_content_length: bool = True,
        request_method: str | None = None,
        request_url: str | None = None,
        auto_close: bool = True,
        sock_shutdown: typing.Callable[[int], None] | None = None,
    ) -> None:
        if isinstance(headers, HTTPHeaderDict):
            fields = headers
        elif isinstance(headers, list):
            # The wire layer's list of (name, value) pairs.
            fields = HTTPHeaderDict._from_wire(headers)
        else:
            fields = HTTPHeaderDict(headers)  # type: ignore[arg-type]
        wire = _is_wire_reader(body)
        self._start(fields, status, version, reason, decode_content, request_url, retries, connection)
        self.version_string = version_string
        self.enforce_content_length = enforce_content_length
        if not auto_close:
            self.auto_close = False
        self._orig = original_response
        self._request_method = request_method
        self._pool = pool
        if wire:
            # True for a body from the wire, even after the Reader was let go.
            self._wire_body = True
            self._reader = body
            if msg is not None:
                self.msg = msg
            if sock_shutdown is not None:
                self._sock_shutdown = sock_shutdown
            self.chunked = body.framing == _FRAMING_CHUNKED
            self.length_remaining = body.length_remaining
        else:
            self._wire_body = False
            self.msg = msg
            self._sock_shutdown = sock_shutdown
            tr_enc = fields.get("transfer-encoding")
            if tr_enc and "chunked" in (enc.strip() for enc in tr_enc.lower().split(",")):
                self.chunked = True
            if body and isinstance(body, (str, bytes)):
                self._body = body
            if hasattr(body, "read"):
                self._file = body
                self._reader = _FileBody(self)
            self.length_remaining = self._init_length(request_method)

        if preload_content and not self._body:
            self._body = self.read(decode_content=decode_content)

    def _start(
        self,
        headers: HTTPHeaderDict,
        status: int,
        version: int,
        reason: str | None,
        decode_content: bool,
        request_url: str | None,
        retries: Retry | None,
        connection: typing.Any,
    ) -> None:
        # The state every response starts with, both ways of building one
        # (__init__, _from_wire_head): that of a body from the wire, which
        # __init__ then changes for a body given by hand.  The constant part
        # in one dict merge (an operator: no call on the per-request path).
        state = self.__dict__
        state |= _START
        self.headers = headers
        self.status = status
        self.version = version
        self.version_string = "HTTP/1.1" if version == 11 else "HTTP/1.0"
        self.reason = reason
        self.decode_content = decode_content
        self._request_url = request_url
        if retries is not None and retries.history:
            self.retries = retries
        else:
            self._retries = retries
        self._connection = connection
        self._decoded_buffer = BytesQueueBuffer()
        self.msg = headers

    @classmethod
    def _from_wire_head(
        cls,
        reader: typing.Any,
        head: tuple[typing.Any, ...],
        connection: typing.Any,
        request_method: str,
        request_url: str,
        preload_content: bool,
        decode_content: bool,
        enforce_content_length: bool,
        retries: Retry | None,
    ) -> HTTPResponse:
        # The connection's way to build a response, once per request, with
        # the state __init__ gives a wire body.  ``head`` is what
        # reader.read_response() returned; a body it holds (the whole body
        # came with the head) is taken as read(), release and all, would
        # take it, without another call into the Reader.
        version, status, reason, fields, body = head
        self = cls.__new__(cls)
        t = _now()
        headers = HTTPHeaderDict.__new__(HTTPHeaderDict)
        headers._container = fields
        self._start(headers, status, version, reason, decode_content, request_url, retries, connection)
        self._t = t
        self.enforce_content_length = enforce_content_length
        self._request_method = request_method
        self.chunked = reader.framing == _FRAMING_CHUNKED
        if body is None:
            self._reader = reader
            self.length_remaining = reader.length_remaining
            if preload_content:
                self._body = self.read(decode_content=decode_content)
            return self
        if "content-encoding" in fields:
            self._init_decoder()
        else:
            self._decoder_ready = True
        self.length_remaining = 0
        self._fp_bytes_read = len(body)
        self._uncached_read_occurred = True
        # The connection's own test (HTTPConnection._reusable), read
        # straight from the Reader it asks: this is that connection's
        # response, in hand.
        if not reader.reusable:
            connection.close()
        if body and decode_content and self._decoder is not None:
            body = self._decode_all(body, _limit_of(connection))
        self._body = body
        return self

    # ------------------------------------------------------ whole-body decode

    def _decompressed_limit(self) -> int:
        # Looked up only when a whole body is about to be decoded, so other
        # responses pay nothing for it.
        return _limit_of(self._connection)

    def _decode_all(self, data: bytes, limit: int) -> bytes:
        """Decode the rest of a body read whole (``data`` is the rest of the
        raw body) and finish the stream.

        Each step asks the decoder for at most one byte more than ``limit``
        allows, so decoding stops, with DecodeError, as soon as the decoded
        total passes ``limit``: a decompression bomb never costs much more
        than ``limit`` bytes of memory.
        """
        decoder = typing.cast(ContentDecoder, self._decoder)
        pieces: list[bytes] = []
        total = 0
        try:
            if data or decoder.has_unconsumed_tail:
                self._has_decoded_content = True
                # One call does it for any body below the limit: one output
                # object, no joining.
                out = decoder.decompress(data, _ask(limit, 0))
                pieces.append(out)
                total = len(out)
                # Ends: every pass yields output or the loop stops.
                while total <= limit and decoder.has_unconsumed_tail:
                    out = decoder.decompress(b"", _ask(limit, total))
                    if not out:
                        break
                    pieces.append(out)
                    total += len(out)
            if total <= limit:
                out = self._flush_decoder()
                if out:
                    pieces.append(out)
                    total += len(out)
        except self.DECODER_ERROR_CLASSES as e:
            content_encoding = self.headers.get("content-encoding", "").lower()
            raise DecodeError(
                f"Received response with content-encoding: {content_encoding}, but failed to decode it.", e
            ) from e
        if total > limit:
            content_encoding = self.headers.get("content-encoding", "").lower()
            raise DecodeError(
                f"Received response with content-encoding: {content_encoding}, whose decoded body exceeds "
                f"max_decompressed_size ({limit} bytes); read it in pieces with read(amt) or stream(), "
                "or raise Limits.max_decompressed_size"
            )
        if len(pieces) == 1:
            return pieces[0]
        return b"".join(pieces)

    # ---------------------------------------------------------- timings

    def _body_done(self) -> None:
        # The body ended, or the response was released or closed before it
        # did: the last stamp, and the pool's on_request_done hook if it
        # waits for this (HTTPConnectionPool._hook_when_done).  A body from
        # the wire with no Reader left came with the head: done then.
        if self._reader is None and self._wire_body:
            return
        pending = self._t_end
        self._t_end = _now()
        if pending is not None:
            _call_hook(pending, self)

    @property
    def timings(self) -> Timings | None:
        """Where this request's time went (:class:`~pool.util.timings.Timings`),
        or ``None`` for a response a pool's ``urlopen`` did not make (built
        by hand, or by ``_make_request`` called directly).  Built on each
        access from stamps taken while the request ran; ``body_done`` is
        ``None`` while the body is still being read."""
        stamps = self._t
        if type(stamps) is not tuple:
            return None
        start, sent, head, conn = stamps
        done = self._t_end
        if type(done) is not int:
            # The body came with the head (or there was none) when no
            # Reader is left and it never ended otherwise: read in one call.
            done = head if done is None and self._reader is None and self._wire_body else None
        began = resolved = connected = tls = None
        if conn:
            began, resolved, connected, tls = conn
        return Timings(start, began, resolved, connected, tls, sent, head, done, conn is None)

    # ---------------------------------------------------------- connection

    @property
    def _original_response(self) -> typing.Any:
        if self._orig is None and self._wire_body:
            self._orig = _ResponseView(self)
        return self._orig

    @_original_response.setter
    def _original_response(self, value: typing.Any) -> None:
        self._orig = value

    @property
    def _fp(self) -> typing.Any:
        """The http.client-style response the body is read from, as urllib3
        keeps it: the file-like body given, or for a body read from the wire
        the same view as :attr:`_original_response` (made on first use)."""
        if self._file is None and self._wire_body:
            return self._original_response
        return self._file

    @_fp.setter
    def _fp(self, value: typing.Any) -> None:
        self._file = value
        if not self._wire_body:
            self._reader = _FileBody(self) if value is not None else None

    def release_conn(self) -> None:
        """Give the connection back to its pool; a connection that cannot carry
        another response (body not fully read, an error, Connection: close) is
        closed first, so the pool never hands out one in doubt."""
        if type(self._t_end) is not int:
            self._body_done()
        pool, conn = self._pool, self._connection
        if pool is None or conn is None:
            return None
        # The body's answer while the response holds it (the wire Reader's
        # is the connection's own test, HTTPConnection._reusable, without
        # the call); else the connection's, asked (a connection object of
        # another class, given to the constructor, cannot say: not reused).
        reader = self._reader
        if reader is not None:
            reusable = reader.reusable
        elif not self._wire_body:
            reusable = True
        else:
            try:
                reusable = conn._reusable()
            except AttributeError:
                reusable = False
        if not reusable:
            conn.close()
        if self._wire_body:
            # The Reader now belongs to the connection's next response.
            self._reader = None
        self._connection = None
        pool._put_conn(conn)

    def drain_conn(self) -> None:
        """Read and discard the rest of the body, then release the connection.

        At most 1 MiB is read from the wire: a connection with more left is
        closed instead (reading it costs more than a new connection).
        Errors are swallowed.
        """
        reader = self._reader
        if reader is not None:
            try:
                reader.drain(_DRAIN_LIMIT)
            except BaseException as e:
                # Errors are swallowed, as urllib3 does; the connection is closed.
                if not isinstance(self._read_failed(e), HTTPError):
                    raise
            self._reader_finished()
        if self._has_decoded_content:
            self._decoded_buffer = BytesQueueBuffer()
            self._decoder = None

    def _reader_finished(self) -> None:
        # The body ended (or was abandoned, or a read failed).
        if type(self._t_end) is not int:
            self._body_done()
        if not self._wire_body:
            # urllib3's rule for a body given by hand: the connection goes
            # back once the http.client response it wraps closed itself.
            orig = self._orig
            if orig is not None and orig.isclosed():
                self.release_conn()
            return
        # Release now; the Reader then belongs to the connection's next
        # response and is never touched again.
        if self._connection is not None and self._pool is not None:
            self.release_conn()
            return
        # The connection's test (HTTPConnection._reusable) read straight
        # from the Reader it asks, which this response still holds.
        reader = self._reader
        if self._connection is not None and (reader is None or not reader.reusable):
            self._connection.close()
        self._reader = None

    @property
    def data(self) -> bytes:
        """The whole body, decoded; read on first access and cached."""
        if self._body:
            return self._body  # type: ignore[no-any-return]
        if self._file or self._wire_body:
            return self.read(cache_content=True)
        return None  # type: ignore[return-value]

    @property
    def connection(self) -> typing.Any:
        """The connection the body is read from; None once released."""
        return self._connection

    def isclosed(self) -> bool:
        """True once the body has been read to the end or closed (http.client's meaning)."""
        if self._wire_body:
            return self._reader is None
        return _is_fp_closed(self._file)

    def tell(self) -> int:
        """Bytes of body taken off the wire so far (before decoding)."""
        return self._fp_bytes_read

    def _init_length(self, request_method: str | None) -> int | None:
        content_length = self.headers.get("content-length")
        length: int | None = None
        if content_length is not None:
            if self.chunked:
                log.warning(
                    "Received response with both Content-Length and Transfer-Encoding set. "
                    "Ignoring Content-Length and attempting to process response as chunked."
                )
                return None
            try:
                lengths = {int(val) for val in content_length.split(",")}
                if len(lengths) > 1:
                    raise InvalidHeader(f"Content-Length contained multiple unmatching values ({content_length})")
                length = lengths.pop()
            except ValueError:
                length = None
            else:
                if length < 0:
                    length = None
        try:
            status = int(self.status)
        except ValueError:
            status = 0
        if status in (204, 304) or 100 <= status < 200 or request_method == "HEAD":
            length = 0
        return length

    # ---------------------------------------------------------------- errors

    def _read_failed(self, e: BaseException) -> BaseException:
        """The error to raise for ``e``, raised while the body was read (see
        _map_read_error); the connection is closed: it is never reused."""
        mapped = _map_read_error(e, self._pool)
        if self._reader is not None:
            if not self._wire_body and self._orig is not None:
                # What a body given by hand comes from is in doubt too.
                self._orig.close()
            if self._connection:
                self._connection.close()
            self._reader_finished()
        return mapped

    # ------------------------------------------------------------ raw reads

    def _raw_read(self, amt: int | None = None, *, read1: bool = False, chunk: bool = False) -> bytes:
        """Read body bytes as they came off the wire (no decoding); ``read1``:
        what one recv brings, ``chunk``: from one chunk only."""
        reader = self._reader
        if reader is None:
            # The body is done (b""), or there never was one to read (None).
            return b"" if self._wire_body else None  # type: ignore[return-value]
        n = -1 if amt is None else amt
        try:
            data = reader.read_chunk(n) if chunk else reader.read1(n) if read1 else reader.read(n)
        except BaseException as e:
            exc = self._read_failed(e)
            if exc is e:
                raise
            raise exc from e
        self.length_remaining = reader.length_remaining
        if data:
            self._fp_bytes_read += len(data)
        # The body alone says where it ends: a read1() or a read(amt) that
        # came back short (one recv, one chunk) is not the end, and neither
        # is "no amount asked".
        if reader.at_end or (amt != 0 and not data):
            self._reader_finished()
        return data  # type: ignore[no-any-return]

    # ---------------------------------------------------------------- reads

    def read(self, amt: int | None = None, decode_content: bool | None = None, cache_content: bool = False) -> bytes:
        """Read and return up to ``amt`` bytes of body (all of it when ``amt``
        is None or negative), decoded unless ``decode_content`` is False.

        ``amt`` counts decoded bytes, and one call never returns more, however
        small the compressed input.  ``cache_content`` keeps a whole-body read
        for ``.data``.  Once decoded data has been returned, reading with
        ``decode_content=False`` raises RuntimeError.

        Without ``amt`` the whole decoded body is returned in one object, and
        DecodeError is raised once decoding produces more than the
        connection's ``Limits.max_decompressed_size`` (checked as it goes, so
        a decompression bomb is stopped at about that size).  Reads with
        ``amt``, :meth:`stream` and :meth:`read_chunked` return at most
        ``amt`` bytes per call and are not limited in total.
        """
        if not self._decoder_ready:
            self._init_decoder()
        if decode_content is None:
            decode_content = self.decode_content
        if amt is not None and amt < 0:
            amt = None

        if amt is None:
            decoder = self._decoder
            # Taken before the read, which may release the connection.
            limit = self._decompressed_limit() if decode_content and decoder is not None else 0
            data = self._raw_read()
            if not cache_content:
                self._uncached_read_occurred = True
            buf = self._decoded_buffer
            if not data and not len(buf) and not (decoder and decoder.has_unconsumed_tail):
                if data is not None and decode_content and decoder is not None and self._has_decoded_content:
                    # The body ended with nothing left over: check it was complete.
                    self._decode(b"", decode_content, flush_decoder=True)
                return data
            if limit:
                data = self._decode_all(data, limit)
            else:
                data = self._decode(data, decode_content, flush_decoder=True)
            if decode_content and len(buf):
                buf.put(data)
                data = buf.get_all()
            if cache_content and not self._uncached_read_occurred:
                self._body = data
            return data

        if amt == 0:
            return b""
        self._uncached_read_occurred = True
        decoder = self._decoder
        if not decode_content or decoder is None:
            if not decode_content and self._has_decoded_content:
                raise RuntimeError(
                    "Calling read(decode_content=False) is not supported after read(decode_content=True) was called."
                )
            buf = self._decoded_buffer
            if len(buf):
                return buf.get(min(amt, len(buf)))
            return self._raw_read(amt)

        buf = self._decoded_buffer
        while len(buf) < amt:
            need = amt - len(buf)
            if decoder.has_unconsumed_tail:
                out = self._decode(b"", True, flush_decoder=False, max_length=need)
                if out:
                    buf.put(out)
                    continue
            data = self._raw_read(amt)
            if data:
                buf.put(self._decode(data, True, flush_decoder=False, max_length=need))
                continue
            if data is None:
                break
            # End of the body: finish the stream (raises if it was cut short).
            buf.put(self._decode(b"", True, flush_decoder=True))
            break
        return buf.get(min(amt, len(buf)))

    def read1(self, amt: int | None = None, decode_content: bool | None = None) -> bytes:
        """Read at most ``amt`` bytes (any amount when None) with at most one
        read from the network when no decoding is involved; returns b"" only
        at the end of the body."""
        if decode_content is None:
            decode_content = self.decode_content
        if amt is not None and amt < 0:
            amt = None
        if not self._decoder_ready:
            self._init_decoder()
        buf = self._decoded_buffer
        if self._has_decoded_content and not decode_content:
            raise RuntimeError(
                "Calling read1(decode_content=False) is not supported after read1(decode_content=True) was called."
            )
        if len(buf):
            return buf.get_all() if amt is None else buf.get(min(amt, len(buf)))
        if amt == 0:
            return b""
        decoder = self._decoder
        if not decode_content or decoder is None:
            data = self._raw_read(amt, read1=True)
            self._uncached_read_occurred = True
            return data
        self._uncached_read_occurred = True
        limit = -1 if amt is None else amt
        while True:
            if decoder.has_unconsumed_tail:
                out = self._decode(b"", True, flush_decoder=False, max_length=limit)
                if out:
                    break
            data = self._raw_read(amt if amt is not None else 65536, read1=True)
            if data:
                out = self._decode(data, True, flush_decoder=False, max_length=limit)
                if out:
                    break
                continue
            out = self._decode(b"", True, flush_decoder=True) if data is not None else b""
            break
        if amt is None or len(out) <= amt:
            return out
        buf.put(out)
        return buf.get(amt)

    def readinto(self, b: bytearray | memoryview) -> int:
        """Read into ``b``; return the number of bytes written (0 at the end)."""
        reader = self._reader
        if reader is not None and not len(self._decoded_buffer):
            if not self._decoder_ready:
                self._init_decoder()
            if self._decoder is None or not self.decode_content:
                if self._has_decoded_content:
                    raise RuntimeError(
                        "Calling read(decode_content=False) is not supported after read(decode_content=True) was called."
                    )
                # No decoding: straight from the body into the caller's buffer.
                try:
                    n = reader.readinto(b)
                except BaseException as e:
                    exc = self._read_failed(e)
                    if exc is e:
                        raise
                    raise exc from e
                self.length_remaining = reader.length_remaining
                self._uncached_read_occurred = True
                self._fp_bytes_read += n
                if reader.at_end or (len(b) and not n):
                    self._reader_finished()
                return n  # type: ignore[no-any-return]
        return super().readinto(b)

    def stream(
        self, amt: int | None = 2**16, decode_content: bool | None = None
    ) -> typing.Generator[bytes, None, None]:
        """Yield the body in pieces of at most ``amt`` decoded bytes (never an
        empty one) until it ends; a chunked body is read with
        :meth:`read_chunked`, which may return shorter pieces."""
        if amt == 0:
            return
        if self.chunked and self.supports_chunked_reads():
            yield from self.read_chunked(amt, decode_content=decode_content)
            return
        fp = self._file
        if amt is not None and amt > 0 and (self._reader is not None if fp is None else not _is_fp_closed(fp)):
            # A body with no content coding: what read(amt) would do,
            # without its checks per piece.  The body returns b"" only at
            # its end.
            if not self._decoder_ready:
                self._init_decoder()
            if self._decoder is None and not len(self._decoded_buffer):
                self._uncached_read_occurred = True
                raw_read = self._raw_read
                while True:
                    data = raw_read(amt)
                    if not data:
                        return
                    yield data
        while (
            not self._stream_done()
            or len(self._decoded_buffer) > 0
            or (self._decoder is not None and self._decoder.has_unconsumed_tail)
        ):
            data = self.read(amt=amt, decode_content=decode_content)
            if data:
                yield data
            elif data is None:
                return

    def _stream_done(self) -> bool:
        # A file-like body is done when its file is closed; a body from the
        # wire once its Reader was let go.
        fp = self._file
        if fp is not None:
            return _is_fp_closed(fp)
        return self._reader is None

    def readable(self) -> bool:
        """Always True: a response is a readable stream."""
        return True

    def shutdown(self) -> None:
        """Shut down the read side of the socket (``sock_shutdown``), which
        makes a read blocked in another thread return."""
        fn = self._sock_shutdown
        if not fn:
            raise ValueError("Cannot shutdown socket as self._sock_shutdown is not set")
        if self._connection is None:
            raise RuntimeError("Cannot shutdown as connection has already been released to the pool")
        if fn is _SHUTDOWN_VIA_CONNECTION:
            # A wire response: its connection's socket, looked up only now.
            sock = self._connection.sock
            if sock is None:
                raise ValueError("Cannot shutdown socket as self._sock_shutdown is not set")
            fn = sock.shutdown
        fn(socket.SHUT_RD)

    def close(self) -> None:
        """Close the body and the connection (the connection is not reused)."""
        if type(self._t_end) is not int:
            self._body_done()
        self._sock_shutdown = None
        if self._wire_body:
            self._reader = None
        elif not self.closed and self._file:
            self._file.close()
        if self._connection:
            self._connection.close()
        if not self.auto_close:
            io.IOBase.close(self)

    @property
    def closed(self) -> bool:
        """With ``auto_close`` (the default): True once the body was read to
        its end or closed.  Without: True only after :meth:`close`."""
        if not self.auto_close:
            return io.IOBase.closed.__get__(self)  # type: ignore[no-any-return]
        fp = self._file
        if fp is None:
            return self._reader is None
        if hasattr(fp, "isclosed"):
            return fp.isclosed()  # type: ignore[no-any-return]
        if hasattr(fp, "closed"):
            return fp.closed  # type: ignore[no-any-return]
        return True

    def fileno(self) -> int:
        """The socket's file descriptor (OSError when there is none)."""
        reader = self._reader
        if reader is None:
            raise OSError("HTTPResponse has no file to get a fileno from")
        sock = reader.sock
        if sock is not None and hasattr(sock, "fileno"):
            return sock.fileno()  # type: ignore[no-any-return]
        raise OSError("The file-like object this HTTPResponse is wrapped around has no file descriptor")

    def flush(self) -> None:
        """Flush the underlying file object, if it has anything to flush."""
        if self._file is not None and hasattr(self._file, "flush") and not getattr(self._file, "closed", False):
            return self._file.flush()  # type: ignore[no-any-return]
        return None

    def supports_chunked_reads(self) -> bool:
        """True when the body can be read chunk by chunk: a wire Reader, or an
        http.client.HTTPResponse-like body (one with an ``fp``)."""
        if self._wire_body:
            return self._reader is not None or bool(self.chunked)
        return hasattr(self._file, "fp")

    def read_chunked(
        self, amt: int | None = None, decode_content: bool | None = None
    ) -> typing.Generator[bytes, None, None]:
        """Yield the decoded body of a chunked response, each piece at most
        ``amt`` bytes (any size when None); ResponseNotChunked if the response
        is not chunked."""
        if not self._decoder_ready:
            self._init_decoder()
        if not self.chunked:
            raise ResponseNotChunked("Response is not chunked. Header 'transfer-encoding: chunked' is missing.")
        if not self.supports_chunked_reads():
            raise BodyNotHttplibCompatible(
                "Body should be http.client.HTTPResponse like. It should have have an fp attribute which returns raw chunks."
            )
        if amt == 0:
            return
        if amt is not None and amt < 0:
            amt = None
        if self._file is not None and self._request_method == "HEAD":
            return
        if self._wire_body:
            yield from self._read_wire_chunks(amt, decode_content)
            return
        while True:
            data = self.read1(amt, decode_content=decode_content)
            if not data:
                return
            yield data

    def _read_wire_chunks(self, amt: int | None, decode_content: bool | None) -> typing.Generator[bytes, None, None]:
        # urllib3's read_chunked(): one piece per chunk as the server framed
        # it (at most amt bytes of it), decoded only when decode_content is
        # true; None means False here, as in urllib3.
        buf = self._decoded_buffer
        # Decoded bytes an earlier read left over come first; so do those a
        # decoder gave beyond amt (zstandard's bound is not exact).
        while len(buf):
            yield buf.get(len(buf) if amt is None else min(amt, len(buf)))
        self._uncached_read_occurred = True
        decoder = self._decoder if decode_content else None
        if not decode_content and self._has_decoded_content:
            raise RuntimeError(
                "Calling read(decode_content=False) is not supported after read(decode_content=True) was called."
            )
        limit = -1 if amt is None else amt
        # Ends: each pass reads a chunk, drains the decoder, or stops.
        while True:
            if decoder is not None and decoder.has_unconsumed_tail:
                data = b""
            else:
                data = self._raw_read(amt, chunk=True)
                if not data:
                    break
            if decoder is not None:
                data = self._decode(data, True, flush_decoder=False, max_length=limit)
                if amt is not None and len(data) > amt:
                    buf.put(data)
                    while len(buf):
                        yield buf.get(min(amt, len(buf)))
                    continue
            if data:
                yield data
        if decoder is not None:
            # The end of the body: finish the stream (raises if cut short).
            tail = self._decode(b"", True, flush_decoder=True)
            if tail:
                yield tail

    @property
    def url(self) -> str | None:
        """The URL of the request, or the last redirect's location."""
        return self._request_url

    @url.setter
    def url(self, url: str | None) -> None:
        self._request_url = url

    def __iter__(self) -> typing.Iterator[bytes]:
        pending: list[bytes] = []
        for chunk in self.stream(decode_content=True):
            if b"\n" not in chunk:
                pending.append(chunk)
                continue
            lines = chunk.split(b"\n")
            yield b"".join(pending) + lines[0] + b"\n"
            for line in lines[1:-1]:
                yield line + b"\n"
            pending = [lines[-1]] if lines[-1] else []
        if pending:
            yield b"".join(pending)
