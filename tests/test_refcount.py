"""Memory safety of the compiled wire layer under repetition: every entry
point of ``pool._wire_c`` (HeadParser, ChunkedDecoder, serialize_request, and
a Reader over a socketpair), on good input and on every kind of error path,
is looped many times after a warm-up, and must leave memory flat: Python
allocations still live (tracemalloc), objects tracked by the garbage
collector, and the resident set size.  A leaked reference to a bytes,
str, tuple or exception object per call shows up in the first two; a leaked
C buffer in the third.  (sys.gettotalrefcount exists only in debug builds,
so the test does without it.)
"""

from __future__ import annotations

import gc
import os
import socket
import tracemalloc

import pytest

C = pytest.importorskip("pool._wire_c") if not os.environ.get("POOL_NO_EXTENSIONS") else None
if C is None:
    pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test", allow_module_level=True)

from pool.exceptions import HTTPError, InvalidRequest  # noqa: E402

WARM = 500
LOOPS = 5000
# Allowed growth over LOOPS calls: far below one leaked object per call.
MAX_TRACED = 16 * 1024
MAX_OBJECTS = 50
MAX_RSS = 4 << 20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _assert_flat(fn, loops: int = LOOPS) -> None:
    for _ in range(WARM):
        fn()
    gc.collect()
    objects = len(gc.get_objects())
    rss = _rss()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(loops):
            fn()
        gc.collect()
        traced = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    grown_objects = len(gc.get_objects()) - objects
    grown_rss = _rss() - rss
    assert traced < MAX_TRACED, f"{traced} bytes still allocated after {loops} calls"
    assert grown_objects < MAX_OBJECTS, f"{grown_objects} more objects after {loops} calls"
    # RSS is what catches a C-level leak (tracemalloc sees only Python's
    # allocator); under AddressSanitizer (POOL_UNDER_ASAN) the allocator's
    # quarantine grows RSS regardless, so there the check is ASan's own.
    if not os.environ.get("POOL_UNDER_ASAN"):
        assert grown_rss < MAX_RSS, f"RSS grew by {grown_rss} bytes after {loops} calls"


def _expect_error(fn, *args) -> None:
    try:
        fn(*args)
    except (HTTPError, InvalidRequest, RuntimeError, TypeError, ValueError):
        return
    raise AssertionError("no error")  # pragma: no cover


GOOD_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nSet-Cookie: a=b\r\nX-E: caf\xe9\r\n\r\nhello"
)
BAD_HEADS = [
    b"HTTP/1.1 20 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n folded\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
    b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 5 + b"\r\n",  # too many (max_headers=3)
    b"HTTP/1.1 200 OK\r\nX: " + b"a" * 300,  # too large (max_head_size=256)
]


def test_head_parser_good():
    def run():
        p = C.HeadParser()
        assert p.feed(GOOD_HEAD) == len(GOOD_HEAD) - 5
        p.framing()
        p.headers, p.reason, p.version, p.status, p.content_length  # noqa: B018
        _expect_error(p.feed, b"more")  # RuntimeError after completion

    _assert_flat(run)


def test_head_parser_split_and_errors():
    def run():
        p = C.HeadParser()
        for i in range(0, len(GOOD_HEAD), 7):
            if p.feed(GOOD_HEAD[i : i + 7]):
                break
        for bad in BAD_HEADS:
            q = C.HeadParser(max_head_size=256, max_headers=3)
            _expect_error(q.feed, bad)
            _expect_error(q.feed, b"\r\n\r\n")
        r = C.HeadParser()
        r.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
        _expect_error(r.framing)

    _assert_flat(run, LOOPS // 5)


GOOD_CHUNKED = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nleftover"
BAD_CHUNKED = [b"-5\r\n", b"5\r\nhelloXX", b"0\r\nBad Trailer\r\n\r\n", b"5;\x00\r\n", b"f" * 40 + b"\r\n"]


def test_chunked_decoder():
    def run():
        d = C.ChunkedDecoder()
        assert d.feed(GOOD_CHUNKED) == b"hello world"
        assert d.done and d.unused == b"leftover"
        d2 = C.ChunkedDecoder()
        body = b"".join(d2.feed(GOOD_CHUNKED[i : i + 3]) for i in range(0, len(GOOD_CHUNKED), 3))
        assert body == b"hello world"
        for bad in BAD_CHUNKED:
            e = C.ChunkedDecoder(max_line=32, max_trailer_size=16)
            _expect_error(e.feed, bad)
            _expect_error(e.feed, b"0\r\n\r\n")
        t = C.ChunkedDecoder(max_trailer_size=8)
        _expect_error(t.feed, b"0\r\nX-Long-Trailer: 1\r\n\r\n")

    _assert_flat(run, LOOPS // 2)


def test_serialize_request():
    headers = [("Host", "example.com"), (b"X-Bytes", b"v"), ("X-Int", 5), ("X-Latin", "caf\xe9")]

    def run():
        C.serialize_request("GET", "/path?q=1", headers)
        C.serialize_request("POST", "/", {"A": "b"})
        _expect_error(C.serialize_request, "GE T", "/", headers)
        _expect_error(C.serialize_request, "GET", "/a b", headers)
        _expect_error(C.serialize_request, "GET", "/", [("X", "a\r\nb")])
        _expect_error(C.serialize_request, "GET", "/", [("X Y", "1")])
        _expect_error(C.serialize_request, "GET", "/", [("X", "\u2028")])
        _expect_error(C.serialize_request, "GET", "/", [("X", 1.5)])
        _expect_error(C.serialize_request, "GET", "/", [("X",)])

    _assert_flat(run)


RESPONSES = [
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\n\r\n",
]


def test_reader_keep_alive_over_socketpair():
    a, b = socket.socketpair()
    a.settimeout(5)
    reader = C.Reader(a)
    try:

        def run():
            for raw in RESPONSES:
                b.sendall(raw)
                reader.read_head()
                body = reader.read()
                assert reader.reusable, raw
                assert body in (b"hello", b"")
            b.sendall(RESPONSES[1])
            reader.read_head()
            assert reader.read1(2) == b"he"
            assert reader.drain(100)

        _assert_flat(run, LOOPS // 5)
    finally:
        a.close()
        b.close()


def test_reader_chunk_reads_and_detach_over_socketpair():
    a, b = socket.socketpair()
    a.settimeout(5)
    reader = C.Reader(a)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    try:

        def run():
            b.sendall(chunked)
            reader.read_head()
            assert reader.read(1) == b"a"
            assert reader.chunk_left == 2
            assert reader.read_chunk() == b"bc"
            assert reader.read_chunk(-1) == b"de"
            assert reader.read_chunk() == b""
            assert reader.at_end and reader.reusable

        _assert_flat(run, LOOPS // 5)

        def run_detach():
            c, d = socket.socketpair()
            try:
                r = C.Reader(c)
                d.sendall(b"HTTP/1.1 101 Switching\r\n\r\nraw stream bytes")
                r.read_head()
                assert r.detach() in (b"raw stream bytes", b"")
                assert not r.reusable
            finally:
                c.close()
                d.close()

        _assert_flat(run_detach, LOOPS // 25)
    finally:
        a.close()
        b.close()


ERRORS = [
    b"HTTP/1.1 200 OK\r\nX: \x00\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # then close
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Len",  # then close
    b"",  # close at once
]


def test_reader_error_paths_over_socketpair():
    def run():
        for raw in ERRORS:
            a, b = socket.socketpair()
            a.settimeout(5)
            try:
                reader = C.Reader(a, bufsize=64)
                b.sendall(raw)
                b.shutdown(socket.SHUT_WR)
                try:
                    reader.read_head()
                    reader.read()
                except HTTPError:
                    pass
                else:  # pragma: no cover
                    raise AssertionError(raw)
                assert not reader.reusable
            finally:
                a.close()
                b.close()
        # The total deadline, already past: TimeoutError before any recv.
        a, b = socket.socketpair()
        try:
            reader = C.Reader(a)
            reader.deadline = 0.0
            try:
                reader.read_head()
            except TimeoutError:
                pass
        finally:
            a.close()
            b.close()

    _assert_flat(run, LOOPS // 25)
