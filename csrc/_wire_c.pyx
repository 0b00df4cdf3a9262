# cython: language_level=3, embedsignature=True, freethreading_compatible=True
"""The compiled wire core: response heads, body framing and body reads over a
socket's ``recv_into``, and the request-head serializer (RFC 9112 sections 2
to 7, RFC 9110 section 8.6).

It exports the same names, with the same behaviour, as the pure-Python twin
``pool._wire_py`` (the contract is docs/wire.md).  The byte work is done by the
sans-IO C in pool_http.c; this module owns the buffers, makes the Python
objects once per response, and is the one place where C status codes become
``pool.exceptions`` classes (``_wire_error`` for responses; the request
serializer maps its own few, as its messages name the refused objects).
"""

cimport cython
from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memchr, memcmp, memcpy, memmove

from cpython.buffer cimport (PyBUF_SIMPLE, PyBUF_WRITABLE, PyBUF_WRITE,
                             PyBuffer_Release, PyObject_GetBuffer)
from cpython.bytes cimport (PyBytes_AS_STRING, PyBytes_CheckExact,
                            PyBytes_FromStringAndSize, PyBytes_GET_SIZE)
from cpython.memoryview cimport PyMemoryView_FromMemory
from cpython.object cimport PyObject
from cpython.ref cimport Py_REFCNT, Py_XDECREF
from cpython.list cimport PyList_GET_ITEM
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.unicode cimport (PyUnicode_1BYTE_KIND, PyUnicode_Check,
                              PyUnicode_DATA, PyUnicode_DecodeLatin1,
                              PyUnicode_GET_LENGTH, PyUnicode_KIND)

from pool_http cimport *

import sys
import time

from pool.exceptions import (ChunkLineTooLong, IncompleteRead,
                             InvalidChunkedEncoding, InvalidContentLength,
                             InvalidFraming, InvalidMethod,
                             InvalidRequestHeader, InvalidRequestTarget,
                             InvalidResponseHeader, InvalidStatusLine,
                             ProtocolError, RemoteDisconnected,
                             ResponseHeadTooLarge, TooManyInterimResponses,
                             TooManyResponseHeaders, TrailersTooLarge)


# Raw-pointer views of the few CPython calls whose reference handling the
# typed declarations can't express: a bytes object grown in place must have
# exactly one owner while _PyBytes_Resize runs.
cdef extern from "Python.h":
    PyObject *_new_bytes "PyBytes_FromStringAndSize"(const char *v, Py_ssize_t n)
    char *_bytes_data "PyBytes_AS_STRING"(PyObject *o)
    int _PyBytes_Resize(PyObject **o, Py_ssize_t n)
    Py_ssize_t PY_SSIZE_T_MAX
    # A dict sized up front for the fields of a head: no regrowth while
    # they go in; and setdefault, one probe per field instead of two.
    object _new_dict_presized "_PyDict_NewPresized"(Py_ssize_t minused)
    PyObject *PyDict_SetDefault(object d, object key, object default) except? NULL
    # A new str of n characters none above maxchar, to be filled in place
    # before anything else sees it.
    object _new_str "PyUnicode_New"(Py_ssize_t n, Py_UCS4 maxchar)


# A large body lands in fresh memory, and on Linux faulting it in 4 KiB pages
# costs more than the copy from the socket; asking for transparent huge pages
# (as NumPy does for large arrays) cuts the faults 512-fold where the system
# allows them, and is a no-op elsewhere.
cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #include <unistd.h>
    #endif
    /* The advice covers whole pages, from the one p starts in to the one
     * p + n ends in: then a large block's mapping stays one region, which
     * realloc can still grow in place (mremap fails across regions).  The
     * advice is a hint and changes no byte, so the few bytes of the first
     * and last page that are not the block's are unharmed. */
    static void pool_advise_huge(char *p, Py_ssize_t n)
    {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        long page = sysconf(_SC_PAGESIZE);
        uintptr_t mask, a, b;
        if (n < ((Py_ssize_t)4 << 20) || page <= 0 || (page & (page - 1)) != 0)
            return;
        mask = (uintptr_t)page - 1;
        a = (uintptr_t)p & ~mask;
        b = ((uintptr_t)p + (uintptr_t)n + mask) & ~mask;
        (void)madvise((void *)a, (size_t)(b - a), MADV_HUGEPAGE);
    #else
        (void)p;
        (void)n;
    #endif
    }
    """
    void pool_advise_huge(char *p, Py_ssize_t n) noexcept nogil


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
    "Reader",
    "serialize_request",
]

DEFAULT_MAX_HEAD_SIZE = POOL_DEFAULT_MAX_HEAD_SIZE
DEFAULT_MAX_HEADERS = POOL_DEFAULT_MAX_HEADERS
DEFAULT_MAX_CHUNK_LINE = POOL_DEFAULT_MAX_CHUNK_LINE
DEFAULT_MAX_TRAILER_SIZE = POOL_DEFAULT_MAX_TRAILER_SIZE
DEFAULT_MAX_INTERIM = POOL_DEFAULT_MAX_INTERIM
FRAMING_NONE = POOL_FRAMING_NONE
FRAMING_LENGTH = POOL_FRAMING_LENGTH
FRAMING_CHUNKED = POOL_FRAMING_CHUNKED
FRAMING_CLOSE = POOL_FRAMING_CLOSE

# How far one _into() goes: until the destination is full or the body ends;
# or stop once some bytes came (from the buffer or from one recv); or stop
# at the end of the current chunk's data (read_chunk(), urllib3's
# read_chunked() yielding each chunk as the server framed it).  The Python
# twin has the same three.
cdef enum:
    _TO_END = 0
    _ONE_RECV = 1
    _ONE_CHUNK = 2

# read(-1) never trusts a Content-Length for its first allocation: a server
# announcing 2**62 bytes must not make us reserve them before sending any.
cdef Py_ssize_t _FIRST_ALLOC = 8 * 1024 * 1024
# Below this many wanted bytes a recv goes to the connection buffer (one
# syscall may then serve many small reads, and bytes a server wrongly sends
# after a body are seen, so the connection isn't reused); at or above it,
# straight into the caller's memory, never past the body's end, saving a copy.
# What counts is the size of the whole read, not what is left of it, so reads
# line up with the stream after one that started with buffered bytes.
# The same number and rule as the Python twin's, so both receive alike.
cdef Py_ssize_t _DIRECT_MIN = 16384
# A read of at least this much of a chunked body grows the connection buffer
# to this size (kept for the connection's life): receiving in large blocks
# and copying the chunk data out costs far less than two system calls per
# chunk.  Chunk data is received straight into the caller's memory only when
# the rest of the chunk is at least a buffer long.  The Python twin does the same.
cdef Py_ssize_t _BIG_BUFFER = 256 * 1024

cdef object _monotonic = time.monotonic
cdef str _EMPTY_STR = ""
cdef bytes _EMPTY_BYTES = b""


# ------------------------------------------------------------------ errors

cdef object _wire_error(int code, bint in_status_line=False):
    """Map a negative pool_http.c status code to a pool.exceptions instance.

    The only place where codes meet classes.  A bare CR is reported as a bad
    status line when it sits on the status line, else as a bad header line.
    """
    cdef object cls
    if code == POOL_E_HEAD_TOO_LARGE:
        cls = ResponseHeadTooLarge
    elif code == POOL_E_TOO_MANY_HEADERS:
        cls = TooManyResponseHeaders
    elif code == POOL_E_BAD_STATUS_LINE:
        cls = InvalidStatusLine
    elif code == POOL_E_BAD_LINE_ENDING:
        cls = InvalidStatusLine if in_status_line else InvalidResponseHeader
    elif (code == POOL_E_BAD_HEADER_NAME or code == POOL_E_NO_COLON
          or code == POOL_E_BAD_HEADER_VALUE or code == POOL_E_OBS_FOLD):
        cls = InvalidResponseHeader
    elif code == POOL_E_BAD_CONTENT_LENGTH or code == POOL_E_CONFLICTING_CONTENT_LENGTH:
        cls = InvalidContentLength
    elif code == POOL_E_CL_AND_TE or code == POOL_E_BAD_TRANSFER_ENCODING:
        cls = InvalidFraming
    elif code == POOL_E_CHUNK_LINE_TOO_LONG:
        cls = ChunkLineTooLong
    elif code == POOL_E_TRAILER_TOO_LARGE:
        cls = TrailersTooLarge
    elif (code == POOL_E_BAD_CHUNK_SIZE or code == POOL_E_BAD_CHUNK_EXT
          or code == POOL_E_BAD_CHUNK_END or code == POOL_E_BAD_TRAILER):
        cls = InvalidChunkedEncoding
    else:
        cls = ProtocolError
    return cls(pool_strerror(code).decode("latin-1"))


cdef inline bint _on_status_line(const char *buf, size_t error_off, size_t length) noexcept:
    """True when no line ended before error_off: the error is on line one."""
    if error_off > length:
        error_off = length
    return memchr(buf, b'\n', error_off) == NULL


# ----------------------------------------------------------- header objects

# Names most responses carry, as servers usually spell them: these come back
# as shared interned strings instead of a fresh decode per response.
_COMMON_NAMES = (
    "Date", "Server", "Content-Type", "Content-Length", "Connection",
    "Transfer-Encoding", "Cache-Control", "ETag", "Last-Modified", "Expires",
    "Vary", "Location", "Set-Cookie", "Content-Encoding", "Accept-Ranges",
    "Age", "Keep-Alive", "Pragma", "X-Content-Type-Options", "X-Frame-Options",
    "Strict-Transport-Security", "Access-Control-Allow-Origin",
    "Content-Security-Policy", "Referrer-Policy", "Alt-Svc", "Via",
    "date", "server", "content-type", "content-length", "connection",
    "cache-control", "etag", "last-modified", "vary", "set-cookie",
)
cdef enum:
    _MAX_COMMON = 40
cdef tuple _common_str = tuple([sys.intern(s) for s in _COMMON_NAMES])
cdef tuple _common_bytes = tuple([s.encode("latin-1") for s in _COMMON_NAMES])
cdef Py_ssize_t _n_common = len(_COMMON_NAMES)
cdef const char *_common_ptr[_MAX_COMMON]
cdef size_t _common_len[_MAX_COMMON]


cdef void _init_common():
    cdef Py_ssize_t i
    cdef bytes b
    for i in range(_n_common):
        b = _common_bytes[i]
        _common_ptr[i] = PyBytes_AS_STRING(b)
        _common_len[i] = <size_t>PyBytes_GET_SIZE(b)


if len(_COMMON_NAMES) > _MAX_COMMON:
    raise ImportError("_COMMON_NAMES outgrew _MAX_COMMON")
_init_common()


cdef inline str _latin1(const char *p, size_t n):
    if n == 0:
        return _EMPTY_STR
    return PyUnicode_DecodeLatin1(p, <Py_ssize_t>n, NULL)


# The same names lower-cased: the keys of a header dict.
cdef tuple _common_low = tuple([sys.intern(s.lower()) for s in _COMMON_NAMES])


cdef inline Py_ssize_t _common_index(const char *p, size_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(_n_common):
        if _common_len[i] == n and memcmp(_common_ptr[i], p, n) == 0:
            return i
    return -1


# Each Reader keeps the strs of the last head it read, by field position
# (_Field, _field_at) and its reason phrase (_Seen): a server answering on
# one keep-alive connection repeats most of its names and values, in the
# same order, and a repeat is then one compare of the bytes and the same
# str again, not a decode, a lower-casing and a free.  The state is per
# Reader, like its buffer: a Reader serves one connection, one response at
# a time; nothing is shared between connections (free-threading safe).
cdef enum:
    _FIELD_SLOTS = 32          # field positions remembered per Reader
    _NAME_MAX = 64
    _VALUE_MAX = 64
    _REASON_MAX = 32


cdef inline uint64_t _load8(const char *p) noexcept:
    cdef uint64_t w
    memcpy(&w, p, 8)
    return w


cdef inline uint32_t _load4(const char *p) noexcept:
    cdef uint32_t w
    memcpy(&w, p, 4)
    return w


cdef inline bint _same(const char *a, const char *b, size_t n) noexcept:
    """a[:n] == b[:n] for the short strings of a head, inline: a call to
    memcmp costs more than the compare itself at these sizes."""
    cdef size_t i = 0
    if n >= 8:
        while i + 8 <= n:
            if _load8(a + i) != _load8(b + i):
                return False
            i += 8
        # The last eight bytes, overlapping ones already compared.
        return i == n or _load8(a + n - 8) == _load8(b + n - 8)
    if n >= 4:
        # The first four bytes and the last four, overlapping.
        return _load4(a) == _load4(b) and _load4(a + n - 4) == _load4(b + n - 4)
    while i < n:
        if a[i] != b[i]:
            return False
        i += 1
    return True


@cython.final
cdef class _Field:
    """The strs of the field line last seen at one position of a head, and
    the bytes they were made from.  A length of _UNSET (which no name or
    value has) matches nothing: a new entry, a value over _VALUE_MAX bytes,
    or one whose strs are being replaced (a failed decode leaves no stale
    match)."""
    cdef object name
    cdef object low
    cdef object value
    cdef size_t name_len
    cdef size_t value_len
    cdef char name_raw[_NAME_MAX]
    cdef char value_raw[_VALUE_MAX]


cdef size_t _UNSET = <size_t>-1


cdef inline _Field _field_at(list seen, size_t i, const char *p, size_t n, const char *v, size_t vn):
    """The entry for field i (name p[:n], value v[:vn]) with its name, low
    and value strs current: the ones already there when the bytes repeat,
    else new ones, remembered for the next head.  None when the position or
    the name is past what is kept."""
    cdef _Field f
    cdef Py_ssize_t k
    if i >= _FIELD_SLOTS or n > _NAME_MAX:
        return None
    while <size_t>len(seen) <= i:  # at most _FIELD_SLOTS entries, made once
        f = _Field.__new__(_Field)
        f.name_len = f.value_len = _UNSET
        seen.append(f)
    f = <_Field>PyList_GET_ITEM(seen, <Py_ssize_t>i)
    if f.name_len != n or not _same(f.name_raw, p, n):
        f.name_len = _UNSET
        k = _common_index(p, n)
        if k >= 0:
            f.name = <object>PyTuple_GET_ITEM(_common_str, k)
            f.low = <object>PyTuple_GET_ITEM(_common_low, k)
        else:
            f.name = PyUnicode_DecodeLatin1(p, <Py_ssize_t>n, NULL)
            f.low = _lower_str(p, n)
        memcpy(f.name_raw, p, n)
        f.name_len = n
    if f.value_len != vn or not _same(f.value_raw, v, vn):
        f.value_len = _UNSET
        f.value = _latin1(v, vn)
        if vn <= _VALUE_MAX:
            memcpy(f.value_raw, v, vn)
            f.value_len = vn
    return f


@cython.final
cdef class _Seen:
    """What one Reader remembers of its last head: the fields by position
    and the reason phrase."""
    cdef list fields
    cdef object reason
    cdef size_t reason_len
    cdef char reason_raw[_REASON_MAX]

    def __cinit__(self):
        self.fields = []
        self.reason = _EMPTY_STR
        self.reason_len = 0

    cdef inline object reason_str(self, const char *p, size_t n):
        """The reason phrase p[:n] as str, the last one when it repeats."""
        if n == self.reason_len and _same(self.reason_raw, p, n):
            return self.reason
        value = _latin1(p, n)
        if n <= _REASON_MAX:
            memcpy(self.reason_raw, p, n)
            self.reason_len = n
            self.reason = value
        return value


cdef object _lower_str(const char *p, size_t n):
    """The str of the name p[:n] lower-cased.  Names are token characters,
    so ASCII lower-casing is the whole of str.lower()."""
    # Written in place into a fresh ASCII str (maxchar 127: token
    # characters are ASCII), so no buffer between the bytes and the str.
    cdef object s = _new_str(<Py_ssize_t>n, 127)
    cdef char *lb = <char *>PyUnicode_DATA(s)
    cdef size_t j
    for j in range(n):
        lb[j] = p[j] + 32 if b'A' <= p[j] <= b'Z' else p[j]
    return s


cdef inline object _name_str(const char *p, size_t n):
    """The field name p[:n] as sent: the shared interned str of a common
    name, else a fresh one."""
    cdef Py_ssize_t k = _common_index(p, n)
    if k >= 0:
        return <object>PyTuple_GET_ITEM(_common_str, k)
    return PyUnicode_DecodeLatin1(p, <Py_ssize_t>n, NULL)


cdef dict _make_fields(const char *buf, const pool_header *h, size_t count, list seen):
    """The parsed fields in HTTPHeaderDict's own layout, built once:
    {lower-case name: [name as first seen, value, value, ...]}; their strs
    from seen (_field_at) where the last head had the same bytes."""
    cdef dict out = <dict>_new_dict_presized(<Py_ssize_t>count)
    cdef size_t i
    cdef const char *p
    cdef object name, low, value
    cdef _Field f
    cdef list fresh
    cdef PyObject *found
    for i in range(count):
        p = buf + h[i].name_off
        f = _field_at(seen, i, p, h[i].name_len, buf + h[i].value_off, h[i].value_len)
        if f is not None:
            name = f.name
            low = f.low
            value = f.value
        else:
            name = _name_str(p, h[i].name_len)
            low = _lower_str(p, h[i].name_len)
            value = _latin1(buf + h[i].value_off, h[i].value_len)
        # One dict probe: insert a fresh [name, value] unless the name is
        # already there (a repeated field, rare), then add to that list.
        fresh = [name, value]
        found = PyDict_SetDefault(out, low, fresh)
        if found != <PyObject *>fresh:
            (<list>found).append(value)
    return out


cdef list _make_headers(const char *buf, const pool_header *h, size_t count, list seen=None):
    """The parsed fields as [(name, value), ...], latin-1, built once; their
    strs from seen (_field_at), when given, where the last head had the same
    bytes."""
    cdef list out = []
    cdef size_t i
    cdef _Field f
    for i in range(count):
        f = None
        if seen is not None:
            f = _field_at(seen, i, buf + h[i].name_off, h[i].name_len,
                          buf + h[i].value_off, h[i].value_len)
        if f is not None:
            out.append((f.name, f.value))
        else:
            out.append((_name_str(buf + h[i].name_off, h[i].name_len),
                        _latin1(buf + h[i].value_off, h[i].value_len)))
    return out


cdef size_t _limit_arg(object value, str name) except? 0:
    """A non-negative size limit from a Python int; huge values saturate."""
    cdef Py_ssize_t v
    try:
        v = value
    except OverflowError:
        if value > 0:
            return <size_t>PY_SSIZE_T_MAX
        v = -1
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return <size_t>v


cdef size_t _header_slots(size_t max_headers, size_t max_head_size) noexcept:
    """Entries the header array needs: a header line takes at least 3 bytes
    ("a:" and LF), so more than max_head_size // 3 fields can't fit a head
    that size; a larger max_headers is never reached and is capped here
    instead of becoming a huge allocation."""
    cdef size_t fit = max_head_size // 3 + 1
    return max_headers if max_headers < fit else fit


# -------------------------------------------------------------- HeadParser

@cython.final
cdef class HeadParser:
    """Sans-IO parser for one response head (RFC 9112 sections 4 and 5).

    Feed bytes as they arrive; ``feed`` returns 0 until the head is complete,
    then the number of fed bytes the head used.  The results are then in
    ``version``, ``status``, ``reason``, ``headers`` and ``content_length``.
    """

    cdef pool_head_parser _p
    cdef pool_header *_hdrs
    cdef char *_buf
    cdef size_t _len
    cdef size_t _cap
    cdef size_t _keep
    cdef int _state             # 0 parsing, 1 complete, 2 failed
    cdef readonly object version
    cdef readonly object status
    cdef readonly object reason
    cdef readonly object headers
    cdef readonly object content_length

    def __cinit__(self):
        self._hdrs = NULL
        self._buf = NULL

    def __init__(self, max_head_size=DEFAULT_MAX_HEAD_SIZE, max_headers=DEFAULT_MAX_HEADERS):
        cdef size_t mhs = _limit_arg(max_head_size, "max_head_size")
        cdef size_t mh = _limit_arg(max_headers, "max_headers")
        cdef size_t slots = _header_slots(mh, mhs)
        pool_head_init(&self._p)
        self._p.max_head_size = mhs
        self._p.max_headers = slots
        free(self._hdrs)
        self._hdrs = <pool_header *>malloc(sizeof(pool_header) * (slots if slots else 1))
        if self._hdrs == NULL:
            raise MemoryError()
        # One byte past the limit is all the parser needs to see to refuse a
        # head, so that is all we keep, whatever a caller feeds at once.
        self._keep = mhs + 1 if mhs < <size_t>PY_SSIZE_T_MAX else mhs
        self._len = 0
        self._state = 0
        # None until the head is complete.
        self.version = self.status = self.reason = self.headers = None
        self.content_length = None

    def __dealloc__(self):
        free(self._hdrs)
        free(self._buf)

    cdef int _append(self, const char *p, size_t n) except -1:
        cdef size_t need = self._len + n, cap
        cdef char *nb
        if need > self._cap:
            cap = self._cap * 2 if self._cap else 1024
            if cap < need:
                cap = need
            nb = <char *>realloc(self._buf, cap)
            if nb == NULL:
                raise MemoryError()
            self._buf = nb
            self._cap = cap
        if n:
            memcpy(self._buf + self._len, p, n)
        self._len = need
        return 0

    def feed(self, data) -> int:
        """Append data; return 0 while the head is incomplete, else the number
        of bytes of all input so far that the head used (the rest is body).
        Raises the response-head errors of pool.exceptions; RuntimeError
        once the head is complete."""
        cdef Py_buffer pb
        cdef size_t take
        cdef const char *base
        cdef size_t total
        cdef long r
        if self._state:
            raise RuntimeError("the response head is already complete")
        if self._hdrs == NULL:
            raise RuntimeError("HeadParser.__init__ was not called")
        PyObject_GetBuffer(data, &pb, PyBUF_SIMPLE)
        try:
            take = <size_t>pb.len
            if take > self._keep - self._len:
                take = self._keep - self._len
            if self._len == 0:
                # Usually the whole head comes in one piece: parse it where
                # it lies, and keep a copy only if more must follow.
                base = <const char *>pb.buf
                total = take
            else:
                self._append(<const char *>pb.buf, take)
                base = self._buf
                total = self._len
            r = pool_parse_head(&self._p, base, total, self._hdrs)
            if r == 0 and base != self._buf:
                self._append(base, take)
            if r < 0:
                self._state = 2
                raise _wire_error(<int>r, _on_status_line(base, self._p.error_off, total))
            if r == 0:
                if total > self._p.max_head_size:
                    self._state = 2
                    raise _wire_error(POOL_E_HEAD_TOO_LARGE)
                return 0
            self._state = 1
            self.version = 10 + self._p.minor_version
            self.status = self._p.status
            self.reason = _latin1(base + self._p.reason_off, self._p.reason_len)
            self.headers = _make_headers(base, self._hdrs, self._p.num_headers)
        finally:
            PyBuffer_Release(&pb)
        if self._p.flags & POOL_HAS_CONTENT_LENGTH:
            self.content_length = self._p.content_length
        return r

    def framing(self, request_was_head: bool = False) -> tuple:
        """(FRAMING_*, will_close) for the parsed head (RFC 9112 section 6.3);
        raises InvalidFraming when Content-Length and Transfer-Encoding
        would both apply."""
        cdef int will_close = 0
        cdef int fr
        if self._state != 1:
            raise RuntimeError("the response head is not complete")
        fr = pool_body_framing(&self._p, 1 if request_was_head else 0, &will_close)
        if fr < 0:
            raise _wire_error(fr)
        return fr, will_close != 0


# ---------------------------------------------------------- ChunkedDecoder

@cython.final
cdef class ChunkedDecoder:
    """Sans-IO decoder of a chunked body (RFC 9112 section 7.1).

    ``feed`` returns the body bytes found in its input; once the last chunk
    and the trailer section are through, ``done`` is True and any further
    bytes are kept, undecoded, in ``unused``.
    """

    cdef pool_chunked _c
    cdef bint _failed
    cdef readonly bint done
    cdef readonly bytes unused

    def __init__(self, max_line=DEFAULT_MAX_CHUNK_LINE, max_trailer_size=DEFAULT_MAX_TRAILER_SIZE):
        pool_chunked_init(&self._c)
        self._c.max_line = _limit_arg(max_line, "max_line")
        self._c.max_trailer_size = _limit_arg(max_trailer_size, "max_trailer_size")
        self.done = False
        self._failed = False
        self.unused = _EMPTY_BYTES

    def feed(self, data) -> bytes:
        """Decode as much of data as possible and return the body bytes in it
        (b"" if none).  Raises InvalidChunkedEncoding or a subclass."""
        cdef Py_buffer pb
        cdef const char *p
        cdef size_t n, pos = 0, consumed, doff, dlen
        cdef Py_ssize_t o = 0
        cdef PyObject *out = NULL
        cdef int r
        cdef object result
        if self._failed:
            raise InvalidChunkedEncoding("the chunked body was already found malformed")
        PyObject_GetBuffer(data, &pb, PyBUF_SIMPLE)
        try:
            p = <const char *>pb.buf
            n = <size_t>pb.len
            if self.done:
                if n:
                    self.unused += p[:n]
                return _EMPTY_BYTES
            if n == 0:
                return _EMPTY_BYTES
            # Decoded data is never longer than its input: one allocation.
            out = _new_bytes(NULL, <Py_ssize_t>n)
            if out == NULL:
                raise MemoryError()
            while pos < n:
                r = pool_chunked_feed(&self._c, p + pos, n - pos, &consumed, &doff, &dlen)
                if r == POOL_CHUNK_DATA:
                    memcpy(_bytes_data(out) + o, p + pos + doff, dlen)
                    o += <Py_ssize_t>dlen
                    pos += consumed
                elif r == POOL_CHUNK_DONE:
                    pos += consumed
                    self.done = True
                    if pos < n:
                        self.unused = p[pos:n]
                    break
                elif r == POOL_NEED_MORE:
                    break
                else:
                    self._failed = True
                    raise _wire_error(r)
            if o == 0:
                return _EMPTY_BYTES
            if <size_t>o != n and _PyBytes_Resize(&out, o) < 0:
                out = NULL
                raise MemoryError()
            result = <object>out
            return result
        finally:
            Py_XDECREF(out)
            PyBuffer_Release(&pb)


# ------------------------------------------------------- request serializer

# The character rules and the writing are pool_http.c's: pool_put_* check
# each piece against the byte-class table the response parser uses, then
# append it whole or not at all.  Here the pieces come out of Python objects,
# and the buffer starts on the stack and moves to the heap when a head
# outgrows it.

cdef struct _Out:
    pool_writer w
    bint heap


cdef int _grow(_Out *o) except -1:
    """Make the buffer hold at least o.w.need bytes (at least twice what it
    held), keeping the o.w.len already written."""
    cdef size_t cap = o.w.need
    cdef char *nb
    if o.w.cap <= <size_t>PY_SSIZE_T_MAX and o.w.cap * 2 > cap:
        cap = o.w.cap * 2
    if o.heap:
        nb = <char *>realloc(o.w.buf, cap)
    else:
        nb = <char *>malloc(cap)
        if nb != NULL:
            memcpy(nb, o.w.buf, o.w.len)
    if nb == NULL:
        raise MemoryError()
    o.w.buf = nb
    o.w.cap = cap
    o.heap = True
    return 0


cdef inline int _reserve(_Out *o, size_t n) except -1:
    """Room for n more bytes before a pool_put_* call, so that the call
    checks its input once (POOL_NEED_ROOM would mean a second check)."""
    if n > o.w.cap - o.w.len:
        o.w.need = o.w.len + n
        _grow(o)
    return 0


cdef inline int _as_latin1(object s, const char **p, size_t *n) noexcept:
    """Point at the latin-1 bytes of a str or bytes: 0 ok, 1 a str with a
    char above U+00FF, 2 neither str nor bytes."""
    if PyBytes_CheckExact(s) or isinstance(s, bytes):
        p[0] = PyBytes_AS_STRING(s)
        n[0] = <size_t>PyBytes_GET_SIZE(s)
        return 0
    if PyUnicode_Check(s):
        if PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND:
            return 1
        p[0] = <const char *>PyUnicode_DATA(s)
        n[0] = <size_t>PyUnicode_GET_LENGTH(s)
        return 0
    return 2


cdef int _put_field(_Out *o, object name, object value) except -1:
    # Refusals come in this order: the name's type, the name, the value's
    # type, the value.
    cdef const char *np = NULL
    cdef const char *vp = NULL
    cdef size_t nn = 0, vn = 0
    cdef int k, r
    k = _as_latin1(name, &np, &nn)
    if k == 2:
        raise TypeError(f"header name must be str or bytes, not {type(name).__name__}")
    if k == 1:
        raise InvalidRequestHeader(f"invalid header name: {name!r}")
    if not (PyUnicode_Check(value) or isinstance(value, bytes)):
        if pool_check_field_name(np, nn) != 0:
            raise InvalidRequestHeader(f"invalid header name: {name!r}")
        if isinstance(value, int):
            value = str(value)
        else:
            raise TypeError(f"header value must be str, bytes or int, not {type(value).__name__}")
    if _as_latin1(value, &vp, &vn) != 0:
        r = pool_check_field_name(np, nn)
        if r == 0:
            r = POOL_E_BAD_FIELD_VALUE
    else:
        _reserve(o, nn + vn + 4)
        r = pool_put_field(&o.w, np, nn, vp, vn)
        while r == POOL_NEED_ROOM:
            _grow(o)
            r = pool_put_field(&o.w, np, nn, vp, vn)
    if r == 0:
        return 0
    if r == POOL_E_BAD_FIELD_NAME:
        raise InvalidRequestHeader(f"invalid header name: {name!r}")
    if r == POOL_E_BAD_FIELD_VALUE:
        raise InvalidRequestHeader(f"control or non-latin-1 character in header {name!r}: {value!r}")
    raise MemoryError()


def serialize_request(method, target, headers) -> bytes:
    """``METHOD SP target SP HTTP/1.1 CRLF (name: value CRLF)* CRLF`` in one
    bytes object (RFC 9112 section 3).  ``headers`` is a mapping or an
    iterable of (name, value) pairs; str is encoded latin-1, int values are
    formatted.  Refuses bad input with InvalidMethod, InvalidRequestTarget
    or InvalidRequestHeader before producing anything."""
    cdef char stack[2048]
    cdef _Out o
    cdef const char *mp = NULL
    cdef const char *tp = NULL
    cdef size_t mn = 0, tn = 0
    cdef int r
    cdef object items, name, value
    pool_writer_init(&o.w, stack, sizeof(stack))
    o.heap = False
    # Refusals come in this order: the method's type, the method, the
    # target's type, the target.
    if not PyUnicode_Check(method):
        raise TypeError(f"method must be str, not {type(method).__name__}")
    if _as_latin1(method, &mp, &mn) != 0:
        raise InvalidMethod(f"invalid request method: {method!r}")
    if not PyUnicode_Check(target):
        if pool_check_method(mp, mn) != 0:
            raise InvalidMethod(f"invalid request method: {method!r}")
        raise TypeError(f"request target must be str, not {type(target).__name__}")
    try:
        if _as_latin1(target, &tp, &tn) != 0:
            r = pool_check_method(mp, mn)
            if r == 0:
                r = POOL_E_BAD_TARGET
        else:
            _reserve(&o, mn + tn + 12)
            r = pool_put_request_line(&o.w, mp, mn, tp, tn)
            while r == POOL_NEED_ROOM:
                _grow(&o)
                r = pool_put_request_line(&o.w, mp, mn, tp, tn)
        if r == POOL_E_BAD_METHOD:
            raise InvalidMethod(f"invalid request method: {method!r}")
        if r == POOL_E_BAD_TARGET:
            raise InvalidRequestTarget(
                f"request target with a space, control or non-ASCII character: {target!r}")
        if r != 0:
            raise MemoryError()
        if type(headers) is dict:
            for name, value in (<dict>headers).items():
                _put_field(&o, name, value)
        elif headers is not None:
            items = getattr(headers, "items", None)
            for name, value in (items() if items is not None else headers):
                _put_field(&o, name, value)
        r = pool_put_head_end(&o.w)
        while r == POOL_NEED_ROOM:
            _grow(&o)
            r = pool_put_head_end(&o.w)
        if r != 0:
            raise MemoryError()
        return PyBytes_FromStringAndSize(o.w.buf, <Py_ssize_t>o.w.len)
    finally:
        if o.heap:
            free(o.w.buf)


# ------------------------------------------------------------------ Reader

cdef inline Py_ssize_t _at_most(Py_ssize_t n, uint64_t limit) noexcept:
    """min(n, limit) for a byte count and a 64-bit remainder."""
    return n if <uint64_t>n <= limit else <Py_ssize_t>limit


@cython.final
cdef class Reader:
    """Reads responses from one connection: heads, framing and bodies.

    Owns one receive buffer, reused across responses and filled with
    ``sock.recv_into``; large body reads land straight in the caller's
    memory.  See docs/wire.md for the full contract.
    """

    # limits
    cdef size_t _max_head_size
    cdef size_t _max_headers
    cdef size_t _max_chunk_line
    cdef size_t _max_trailer_size
    cdef Py_ssize_t _max_interim
    cdef public bint enforce_content_length

    # the socket, and its recv_into looked up once
    cdef object _sock
    cdef object _recv_into
    cdef public object read_timeout
    cdef public object deadline

    # receive buffer: unread bytes are _buf[_pos:_end]
    cdef char *_buf
    cdef Py_ssize_t _cap
    cdef Py_ssize_t _pos
    cdef Py_ssize_t _end
    cdef object _view           # writable memoryview over all of _buf
    cdef pool_header *_hdrs
    cdef pool_head_parser _hp
    cdef pool_chunked _ch
    cdef Py_ssize_t _pend       # decoded chunk data waiting at _buf[_pos:]
    cdef Py_ssize_t _head_off   # where the last head read starts in _buf

    # per-response state
    cdef bint _have_head
    cdef int _framing
    cdef bint _will_close
    cdef uint64_t _remaining
    cdef Py_ssize_t _bytes_read
    cdef bint _complete
    cdef bint _ended
    cdef bint _failed
    cdef bint _started
    cdef bint _peer_eof         # a recv returned 0 during this response
    cdef _Seen _seen            # the last head's strs, for the next one

    def __cinit__(self):
        self._buf = NULL
        self._hdrs = NULL
        self._seen = _Seen.__new__(_Seen)

    def __init__(self, sock, *, max_head_size=DEFAULT_MAX_HEAD_SIZE,
                 max_headers=DEFAULT_MAX_HEADERS,
                 max_chunk_line=DEFAULT_MAX_CHUNK_LINE,
                 max_trailer_size=DEFAULT_MAX_TRAILER_SIZE,
                 max_interim=DEFAULT_MAX_INTERIM, bufsize=65536,
                 enforce_content_length=True):
        cdef size_t slots
        cdef Py_ssize_t cap
        self._max_head_size = _limit_arg(max_head_size, "max_head_size")
        self._max_headers = _limit_arg(max_headers, "max_headers")
        self._max_chunk_line = _limit_arg(max_chunk_line, "max_chunk_line")
        self._max_trailer_size = _limit_arg(max_trailer_size, "max_trailer_size")
        self._max_interim = <Py_ssize_t>_limit_arg(max_interim, "max_interim")
        if bufsize < 1:
            raise ValueError(f"bufsize must be >= 1, got {bufsize!r}")
        cap = bufsize
        self.enforce_content_length = enforce_content_length
        self.sock = sock
        self.read_timeout = None
        self.deadline = None
        slots = _header_slots(self._max_headers, self._max_head_size)
        free(self._hdrs)
        self._hdrs = <pool_header *>malloc(sizeof(pool_header) * (slots if slots else 1))
        if self._hdrs == NULL:
            raise MemoryError()
        self._max_headers = slots
        self._set_buffer(cap)
        self._pos = self._end = 0
        self._pend = 0
        self._have_head = False
        self._framing = POOL_FRAMING_NONE
        self._will_close = False
        self._remaining = 0
        self._bytes_read = 0
        self._complete = False
        self._ended = True
        self._failed = False
        self._started = False
        self._peer_eof = False

    def __dealloc__(self):
        free(self._buf)
        free(self._hdrs)

    cdef int _set_buffer(self, Py_ssize_t cap) except -1:
        """(Re)allocate the receive buffer, keeping its bytes, and the one
        memoryview over it that every buffer recv goes through."""
        cdef char *nb
        if self._view is not None:
            # Nothing may keep writing into the old memory.
            self._view.release()
            self._view = None
        nb = <char *>realloc(self._buf, <size_t>cap)
        if nb == NULL:
            raise MemoryError()
        self._buf = nb
        self._cap = cap
        self._view = PyMemoryView_FromMemory(nb, cap, PyBUF_WRITE)
        return 0

    @property
    def sock(self):
        """The socket-like object; only its ``recv_into`` (and, with a
        deadline, ``settimeout``) is used."""
        return self._sock

    @sock.setter
    def sock(self, value):
        self._sock = value
        self._recv_into = value.recv_into if value is not None else None

    # ----------------------------------------------------------- receiving

    cdef int _before_recv(self) except -1:
        cdef double remaining
        if self.deadline is None:
            return 0
        remaining = self.deadline - _monotonic()
        if remaining <= 0:
            raise TimeoutError("total deadline exceeded")
        if self.read_timeout is not None and self.read_timeout < remaining:
            self._sock.settimeout(self.read_timeout)
        else:
            self._sock.settimeout(remaining)
        return 0

    cdef Py_ssize_t _recv(self, object view, Py_ssize_t size) except -1:
        """recv_into the view of size bytes; 0 at EOF."""
        cdef Py_ssize_t n
        self._before_recv()
        n = self._recv_into(view)
        if n < 0 or n > size:
            raise ProtocolError(f"recv_into returned {n} for a {size}-byte buffer")
        if n == 0:
            self._peer_eof = True
        return n

    cdef Py_ssize_t _recv_buffer(self) except -1:
        """Receive into the free end of the buffer; 0 at EOF."""
        cdef Py_ssize_t n
        cdef object view
        if self._pos == self._end:
            self._pos = self._end = 0
            n = self._recv(self._view, self._cap)
        else:
            if self._pos:
                memmove(self._buf, self._buf + self._pos, <size_t>(self._end - self._pos))
                self._end -= self._pos
                self._pos = 0
            view = PyMemoryView_FromMemory(self._buf + self._end, self._cap - self._end, PyBUF_WRITE)
            n = self._recv(view, self._cap - self._end)
            if Py_REFCNT(view) > 1:
                view.release()
        self._end += n
        return n

    cdef Py_ssize_t _recv_direct(self, char *dst, Py_ssize_t size) except -1:
        """Receive straight into the caller's memory; 0 at EOF."""
        cdef Py_ssize_t n
        cdef object view = PyMemoryView_FromMemory(dst, size, PyBUF_WRITE)
        n = self._recv(view, size)
        if Py_REFCNT(view) > 1:
            # The socket kept a reference: cut it off from memory we don't own.
            view.release()
        return n

    # ------------------------------------------------------------- the head

    def read_head(self, request_was_head: bool = False) -> tuple:
        """Read one response head: (version 10|11, status, reason, headers).

        Interim 1xx responses other than 101 are skipped, at most
        ``max_interim`` of them.  Resets the per-response state."""
        cdef const char *head
        try:
            self._read_head(request_was_head)
        except BaseException:
            self._failed = True
            self._ended = True
            raise
        head = self._buf + self._head_off
        return (10 + self._hp.minor_version, self._hp.status,
                self._seen.reason_str(head + self._hp.reason_off, self._hp.reason_len),
                _make_headers(head, self._hdrs, self._hp.num_headers, self._seen.fields))

    def read_response(self, request_was_head: bool = False, preload: bool = False) -> tuple:
        """Read one response head, as read_head, and return (version, status,
        reason, fields, body): fields in HTTPHeaderDict's own layout, {lower-case
        name: [name as first seen, value, ...]}; body, when preload is true
        and the whole body is already buffered (no body, or a Content-Length
        body that came with the head), those bytes with the state updated as
        read() leaves it; else None (read the body with read())."""
        cdef const char *head
        cdef object reason, fields, body = None
        cdef Py_ssize_t n
        try:
            self._read_head(request_was_head)
        except BaseException:
            self._failed = True
            self._ended = True
            raise
        head = self._buf + self._head_off
        reason = self._seen.reason_str(head + self._hp.reason_off, self._hp.reason_len)
        fields = _make_fields(head, self._hdrs, self._hp.num_headers, self._seen.fields)
        if preload:
            if self._framing == POOL_FRAMING_NONE:
                body = _EMPTY_BYTES
            elif (self._framing == POOL_FRAMING_LENGTH
                  and self._remaining <= <uint64_t>(self._end - self._pos)):
                n = <Py_ssize_t>self._remaining
                body = PyBytes_FromStringAndSize(self._buf + self._pos, n) if n else _EMPTY_BYTES
                self._pos += n
                self._remaining = 0
                self._bytes_read = n
                self._complete = self._ended = True
        return (10 + self._hp.minor_version, self._hp.status, reason, fields, body)

    cdef int _read_head(self, bint request_was_head) except -1:
        cdef long r
        cdef int fr, will_close
        cdef Py_ssize_t interim = 0, n
        cdef const char *head
        self._have_head = False
        self._pend = 0
        self._framing = POOL_FRAMING_NONE
        self._will_close = False
        self._remaining = 0
        self._bytes_read = 0
        self._complete = False
        self._ended = True
        self._started = self._end > self._pos
        self._peer_eof = False
        while True:
            pool_head_init(&self._hp)
            self._hp.max_head_size = self._max_head_size
            self._hp.max_headers = self._max_headers
            while True:
                r = pool_parse_head(&self._hp, self._buf + self._pos,
                                    <size_t>(self._end - self._pos), self._hdrs)
                if r > 0:
                    break
                if r < 0:
                    raise _wire_error(<int>r, _on_status_line(self._buf + self._pos, self._hp.error_off,
                                                                   <size_t>(self._end - self._pos)))
                if <size_t>(self._end - self._pos) > self._max_head_size:
                    raise _wire_error(POOL_E_HEAD_TOO_LARGE)
                if self._pos == 0 and self._end == self._cap:
                    # Room for max_head_size + 1 bytes: enough to see a head
                    # end or to know it is too large.
                    n = self._cap * 2
                    if <size_t>n > self._max_head_size + 1:
                        n = <Py_ssize_t>(self._max_head_size + 1)
                    self._set_buffer(n)
                n = self._recv_buffer()
                if n == 0:
                    if self._started:
                        raise ProtocolError("Connection broken: response head truncated")
                    raise RemoteDisconnected("Remote end closed connection without response")
                self._started = True
            self._started = True
            head = self._buf + self._pos
            will_close = 0
            fr = pool_body_framing(&self._hp, 1 if request_was_head else 0, &will_close)
            if fr < 0:
                raise _wire_error(fr)
            if 100 <= self._hp.status < 200 and self._hp.status != 101:
                self._pos += r
                interim += 1
                if interim > self._max_interim:
                    raise TooManyInterimResponses(
                        f"more than {self._max_interim} interim (1xx) responses")
                continue
            break
        self._pos += r
        self._have_head = True
        self._framing = fr
        self._will_close = will_close != 0
        if fr == POOL_FRAMING_NONE:
            self._complete = True
            self._ended = True
        else:
            self._ended = False
            if fr == POOL_FRAMING_LENGTH:
                self._remaining = self._hp.content_length
            elif fr == POOL_FRAMING_CHUNKED:
                pool_chunked_init(&self._ch)
                self._ch.max_line = self._max_chunk_line
                self._ch.max_trailer_size = self._max_trailer_size
                self._pend = 0
        self._head_off = head - self._buf
        return 0

    # ------------------------------------------------------------- the body

    cdef int _eof(self, Py_ssize_t got) except -1:
        """The peer closed inside the body; got bytes came in this call."""
        cdef object e
        if self._framing == POOL_FRAMING_CLOSE:
            self._complete = True
            self._ended = True
            return 0
        if self._framing == POOL_FRAMING_LENGTH:
            if not self.enforce_content_length:
                self._ended = True
                return 0
            e = IncompleteRead(self._bytes_read + got, self._remaining)
        else:
            e = IncompleteRead(self._bytes_read + got,
                               self._ch.remaining if self._ch.remaining else 1)
        raise ProtocolError(f"Connection broken: {e!r}", e)

    cdef inline Py_ssize_t _copy_out(self, char *dst, Py_ssize_t at, Py_ssize_t n) noexcept:
        """Move up to n buffered bytes to dst[at:]; return how many."""
        if n > self._end - self._pos:
            n = self._end - self._pos
        memcpy(dst + at, self._buf + self._pos, <size_t>n)
        self._pos += n
        return n

    cdef Py_ssize_t _into(self, char *dst, Py_ssize_t want, int mode) except -1:
        """Put up to want body bytes into dst, fewer only at the end of the
        body or as ``mode`` says (_TO_END, _ONE_RECV, _ONE_CHUNK); 0 only
        at the end.  Counts them in bytes_read."""
        cdef Py_ssize_t got
        if self._ended:
            return 0
        if self._framing == POOL_FRAMING_LENGTH:
            got = self._into_length(dst, want, mode)
        elif self._framing == POOL_FRAMING_CHUNKED:
            got = self._into_chunked(dst, want, mode)
        else:
            got = self._into_close(dst, want, mode)
        self._bytes_read += got
        return got

    cdef Py_ssize_t _into_length(self, char *dst, Py_ssize_t want, int mode) except -1:
        """A Content-Length body: never a byte past its end."""
        cdef Py_ssize_t got = 0, n
        while got < want and self._remaining > 0:
            n = _at_most(want - got, self._remaining)
            if self._end > self._pos:
                n = self._copy_out(dst, got, n)
            elif mode == _ONE_RECV and got > 0:
                break
            elif want >= _DIRECT_MIN:
                n = self._recv_direct(dst + got, n)
                if n == 0:
                    self._eof(got)
                    break
            else:
                if self._recv_buffer() == 0:
                    self._eof(got)
                    break
                continue
            got += n
            self._remaining -= <uint64_t>n
        if self._remaining == 0:
            self._complete = self._ended = True
        return got

    cdef Py_ssize_t _into_close(self, char *dst, Py_ssize_t want, int mode) except -1:
        """A body delimited by the close of the connection."""
        cdef Py_ssize_t got = 0, n
        while got < want:
            if self._end > self._pos:
                n = self._copy_out(dst, got, want - got)
            elif mode == _ONE_RECV and got > 0:
                break
            elif want >= _DIRECT_MIN:
                n = self._recv_direct(dst + got, want - got)
                if n == 0:
                    self._eof(got)
                    break
            else:
                if self._recv_buffer() == 0:
                    self._eof(got)
                    break
                continue
            got += n
        return got

    cdef Py_ssize_t _into_chunked(self, char *dst, Py_ssize_t want, int mode) except -1:
        """A chunked body: the chunks' data, their framing consumed on the
        way (_next_chunk)."""
        cdef Py_ssize_t got = 0, n
        cdef bint between
        while got < want and not self._ended:
            between = self._pend == 0 and self._ch.remaining == 0
            if between and mode == _ONE_CHUNK and got > 0:
                break  # the current chunk's data is all out
            if self._pend > 0:
                n = self._copy_out(dst, got, want - got if want - got < self._pend else self._pend)
                self._pend -= n
            elif between and (self._end > self._pos or self._ch.done):
                self._next_chunk()
                continue
            elif self._end > self._pos:
                n = self._copy_out(dst, got, _at_most(want - got, self._ch.remaining))
                pool_chunked_consumed_data(&self._ch, <uint64_t>n)
            elif mode == _ONE_RECV and got > 0:
                break
            else:
                if want - got >= _BIG_BUFFER and self._cap < _BIG_BUFFER:
                    self._set_buffer(_BIG_BUFFER)
                n = _at_most(want - got, self._ch.remaining)
                if n < _DIRECT_MIN or n < self._cap:
                    # Framing, or data better received in large blocks.
                    if self._recv_buffer() == 0:
                        self._eof(got)
                    continue
                n = self._recv_direct(dst + got, n)
                if n == 0:
                    self._eof(got)
                pool_chunked_consumed_data(&self._ch, <uint64_t>n)
            got += n
        return got

    cdef int _next_chunk(self) except -1:
        """Consume buffered chunk framing (data CRLF, size lines, the last
        chunk and trailers) up to the next chunk's data (_pend bytes of it
        then wait at _buf[_pos:]), the end of the body, or the end of what
        is buffered."""
        cdef size_t consumed, doff, dlen
        cdef int r
        if self._ch.done:
            self._complete = self._ended = True
            return 0
        r = pool_chunked_feed(&self._ch, self._buf + self._pos, <size_t>(self._end - self._pos),
                              &consumed, &doff, &dlen)
        if r == POOL_CHUNK_DATA:
            self._pos += <Py_ssize_t>doff
            self._pend = <Py_ssize_t>dlen
        elif r == POOL_CHUNK_DONE:
            self._pos += <Py_ssize_t>consumed
            self._complete = self._ended = True
        elif r == POOL_NEED_MORE:
            self._pos += <Py_ssize_t>consumed
        else:
            raise _wire_error(r)
        return 0

    cdef bint _at_end(self) noexcept:
        """The body is over: complete, or a Content-Length body whose peer
        closed with nothing left buffered."""
        return self._complete or (self._peer_eof and self._pos == self._end
                                  and self._framing == POOL_FRAMING_LENGTH)

    cdef int _finish_chunked(self) except -1:
        """Consume chunk framing up to the next chunk data or the end of the
        body, receiving as needed."""
        while not self._ended and self._pend == 0 and self._ch.remaining == 0:
            if self._end > self._pos or self._ch.done:
                self._next_chunk()
            elif self._recv_buffer() == 0:
                self._eof(0)
        return 0

    cdef object _read_bytes(self, Py_ssize_t amt, int mode):
        """A bytes object of up to amt body bytes (amt < 0: all of them, or
        as ``mode`` stops _into), allocated once at a bounded size and grown
        in place as data comes."""
        cdef bint single = mode == _ONE_RECV
        cdef Py_ssize_t total, size, got = 0, n
        cdef PyObject *out = NULL
        cdef object result
        if self._ended:
            return _EMPTY_BYTES
        if amt < 0:
            total = PY_SSIZE_T_MAX
        else:
            total = amt
        if self._framing == POOL_FRAMING_LENGTH and <uint64_t>total > self._remaining:
            total = <Py_ssize_t>self._remaining
        if single and amt < 0:
            total = self._end - self._pos
            if total < self._cap:
                total = self._cap
            if self._framing == POOL_FRAMING_LENGTH and <uint64_t>total > self._remaining:
                total = <Py_ssize_t>self._remaining
        if total == 0:
            return _EMPTY_BYTES
        size = total
        if size > _FIRST_ALLOC:
            size = _FIRST_ALLOC
        if amt < 0 and not single and self._framing != POOL_FRAMING_LENGTH:
            # Unknown length: start from what is buffered, at least 64 KiB.
            size = self._end - self._pos
            if size < 65536:
                size = 65536
            if size > _FIRST_ALLOC:
                size = _FIRST_ALLOC
        out = _new_bytes(NULL, size)
        if out == NULL:
            raise MemoryError()
        pool_advise_huge(_bytes_data(out), size)
        try:
            while True:
                n = self._into(_bytes_data(out) + got, size - got, mode)
                got += n
                if single or got < size or got == total:
                    break
                if mode == _ONE_CHUNK and self._pend == 0 and self._ch.remaining == 0:
                    break  # the chunk ended exactly at the end of out
                # At least double, and at once up to the first-allocation
                # budget: few resizes for a long body of unknown length.
                n = size * 2 if size <= PY_SSIZE_T_MAX // 2 else PY_SSIZE_T_MAX
                if n < _FIRST_ALLOC:
                    n = _FIRST_ALLOC
                if n > total:
                    n = total
                if _PyBytes_Resize(&out, n) < 0:
                    out = NULL
                    raise MemoryError()
                size = n
                pool_advise_huge(_bytes_data(out), size)
            if got == 0:
                return _EMPTY_BYTES
            if got != size and _PyBytes_Resize(&out, got) < 0:
                out = NULL
                raise MemoryError()
            result = <object>out
            return result
        finally:
            Py_XDECREF(out)

    def read(self, amt=-1) -> bytes:
        """amt < 0 (or None): the rest of the body in one bytes object;
        amt >= 0: up to amt bytes, fewer only at the end of the body; b"" at
        the end."""
        try:
            return self._read_bytes(-1 if amt is None else amt, _TO_END)
        except BaseException:
            self._failed = True
            raise

    def read1(self, amt=-1) -> bytes:
        """At most amt bytes (amt < 0 or None: any amount), waiting for at
        most one recv that brings body data; b"" only at the end of the body."""
        try:
            return self._read_bytes(-1 if amt is None else amt, _ONE_RECV)
        except BaseException:
            self._failed = True
            raise

    def read_chunk(self, amt=-1) -> bytes:
        """Chunked bodies: up to amt bytes (amt < 0 or None: any amount) of
        the current chunk's data, or of the next chunk's when the current
        one is all read, waiting for them; never bytes of two chunks in one
        call.  Other framings: as read1().  b"" only at the end of the body."""
        try:
            return self._read_bytes(-1 if amt is None else amt,
                                    _ONE_CHUNK if self._framing == POOL_FRAMING_CHUNKED else _ONE_RECV)
        except BaseException:
            self._failed = True
            raise

    def readinto(self, buf) -> int:
        """Fill the writable buffer until it is full or the body ends; return
        the number of bytes written."""
        cdef Py_buffer pb
        PyObject_GetBuffer(buf, &pb, PyBUF_WRITABLE)
        try:
            return self._into(<char *>pb.buf, pb.len, _TO_END)
        except BaseException:
            self._failed = True
            raise
        finally:
            PyBuffer_Release(&pb)

    def drain(self, max_bytes: int) -> bool:
        """Read and discard up to max_bytes of body; True if the body ended."""
        cdef Py_ssize_t left = max_bytes, n
        cdef Py_ssize_t size = left if left < 65536 else 65536
        # A scratch destination, as a caller's read would have: large reads
        # land in it straight from the socket and never past the body's end,
        # so bytes a server sends after the body stay visible to `reusable`.
        cdef char *scratch = NULL
        try:
            while not self._at_end():
                if left <= 0:
                    if (self._framing == POOL_FRAMING_CHUNKED and not self._ended
                            and self._pend == 0 and self._ch.remaining == 0):
                        # Out of budget between chunks: the framing that
                        # follows may be the end of the body; finish it.
                        self._finish_chunked()
                        continue
                    break
                if scratch == NULL:
                    scratch = <char *>malloc(<size_t>size)
                    if scratch == NULL:
                        raise MemoryError()
                n = self._into(scratch, left if left < size else size, _ONE_RECV)
                if n == 0:
                    break
                left -= n
            return self._at_end()
        except BaseException:
            self._failed = True
            raise
        finally:
            free(scratch)

    # ------------------------------------------------------ response state

    @property
    def framing(self) -> int:
        """FRAMING_* of the current response."""
        return self._framing

    @property
    def will_close(self) -> bool:
        """The connection can't carry another response after this one."""
        return self._will_close

    @property
    def length_remaining(self):
        """LENGTH: body bytes still to come; NONE: 0; otherwise None."""
        if self._framing == POOL_FRAMING_LENGTH:
            return self._remaining
        if self._framing == POOL_FRAMING_NONE and self._have_head:
            return 0
        return None

    @property
    def bytes_read(self) -> int:
        """Body bytes of the current response handed out so far."""
        return self._bytes_read

    @property
    def complete(self) -> bool:
        """The body was read to its framed end."""
        return self._complete

    @property
    def at_end(self) -> bool:
        """No more body bytes will come: the body was read to its framed end,
        or the peer closed a Content-Length body whose length is not
        enforced.  The one test of "end of body": never the amount a caller
        asked for, nor the end of a chunk or of one recv."""
        return self._at_end()

    @property
    def chunk_left(self):
        """Chunked: data bytes left in the current chunk (http.client's
        ``chunk_left``), None between chunks and for other framings."""
        if self._framing != POOL_FRAMING_CHUNKED or self._ended:
            return None
        if self._pend == 0 and self._ch.remaining == 0:
            return None
        return <uint64_t>self._pend + self._ch.remaining

    def detach(self) -> bytes:
        """Hand over the bytes received and not yet used, for a caller that
        reads the socket itself from here on; the body then reads as ended
        and the connection is never reused."""
        cdef Py_ssize_t n = self._end - self._pos
        cdef bytes out = PyBytes_FromStringAndSize(self._buf + self._pos, n) if n > 0 else _EMPTY_BYTES
        self._pos = self._end = 0
        self._pend = 0
        self._ended = True
        self._failed = True
        return out

    @property
    def reusable(self) -> bool:
        """The connection can carry the next response: this one is complete,
        nothing asked for a close, no error was seen and no byte beyond this
        response's end is buffered."""
        return (self._have_head and self._complete and not self._will_close
                and not self._failed and self._pos == self._end and self._pend == 0)

    @property
    def response_started(self) -> bool:
        """A byte of the current response arrived."""
        return self._started
