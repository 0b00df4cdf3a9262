"""HTTPResponse built by hand (bytes, str and file-like bodies), as mocking
libraries and users' tests build them: held against urllib3's HTTPResponse."""

import io
import json
import zlib

import pytest
import urllib3.response as u3response

from pool.exceptions import DecodeError, InvalidHeader, ProtocolError, ResponseNotChunked
from pool.response import BaseHTTPResponse, BytesQueueBuffer, HTTPResponse
from pool.util.retry import Retry


def _gzip(data):
    c = zlib.compressobj(wbits=31)
    return c.compress(data) + c.flush()


DEFLATED = zlib.compress(b"hello" * 3)


def _run(cls, fn):
    try:
        return fn(cls)
    except Exception as e:
        return ("raised", type(e).__name__)


# name -> function of the HTTPResponse class; the results must equal urllib3's.
SCENARIOS = {
    "bytes_body_read_no_preload": lambda R: (lambda r: (r.read(), r.data, r.closed))(
        R(body=b"foo", preload_content=False)
    ),
    "str_body_preload": lambda R: (lambda r: (r.data, r.read()))(R(body="abc")),
    "empty_bytes_read": lambda R: R(body=b"", preload_content=False).read(),
    "no_body_defaults": lambda R: (
        lambda r: (r.data, r.closed, r.readable(), r.geturl(), r.status, r.version, r.version_string, r.reason)
    )(R()),
    "bytesio_partial": lambda R: (
        lambda r: (r.read(1), r.tell(), r.length_remaining, r.read(), r.closed, r.read(), r.data)
    )(R(body=io.BytesIO(b"abc"), preload_content=False)),
    "bytesio_preload": lambda R: (lambda r: (r.data, r.read(), r.closed))(R(body=io.BytesIO(b"abc"))),
    "deflate_read3_then_rest": lambda R: (lambda r: (r.read(3), r.read()))(
        R(body=io.BytesIO(DEFLATED), headers={"content-encoding": "deflate"}, preload_content=False)
    ),
    "switch_to_raw_after_decoded": lambda R: (lambda r: (r.read(3), r.read(decode_content=False)))(
        R(body=io.BytesIO(DEFLATED), headers={"content-encoding": "deflate"}, preload_content=False)
    ),
    "raw_deflate": lambda R: (
        R(body=io.BytesIO(zlib.compress(b"raw!")[2:-4]), headers={"content-encoding": "deflate"}).data
    ),
    "gzip_bad": lambda R: R(
        body=io.BytesIO(b"xxx"), headers={"content-encoding": "gzip"}, preload_content=False
    ).read(),
    "gzip_empty": lambda R: R(body=io.BytesIO(b""), headers={"content-encoding": "gzip"}, preload_content=False).read(),
    "gzip_upper_case_coding": lambda R: R(body=io.BytesIO(_gzip(b"up")), headers={"content-encoding": "GZIP"}).data,
    "x_gzip": lambda R: R(body=io.BytesIO(_gzip(b"xg")), headers={"content-encoding": "x-gzip"}).data,
    "gzip_two_members_and_garbage": lambda R: (
        R(body=io.BytesIO(_gzip(b"abc") + _gzip(b"def") + b"garbage"), headers={"content-encoding": "gzip"}).data
    ),
    "unknown_coding": lambda R: R(body=io.BytesIO(b"abc"), headers={"content-encoding": "foo"}).data,
    "unknown_chain": lambda R: R(body=io.BytesIO(b"abc"), headers={"content-encoding": "foo, bar"}).data,
    "identity": lambda R: R(body=io.BytesIO(b"abc"), headers={"content-encoding": "identity"}).data,
    "six_codings": lambda R: R(body=io.BytesIO(b"abc"), headers={"content-encoding": "gzip," * 5 + "gzip"}),
    "decode_false": lambda R: (
        R(body=io.BytesIO(DEFLATED), headers={"content-encoding": "deflate"}, decode_content=False).data
    ),
    "stream_2": lambda R: (lambda r: (list(r.stream(2)), r.closed, r.isclosed()))(
        R(body=io.BytesIO(b"abc"), preload_content=False)
    ),
    "stream_0": lambda R: list(R(body=io.BytesIO(b"abc"), preload_content=False).stream(0)),
    "stream_chunked_header_plain_fp": lambda R: (lambda r: (r.chunked, r.supports_chunked_reads(), list(r.stream(2))))(
        R(body=io.BytesIO(b"abc"), headers={"transfer-encoding": "chunked"}, preload_content=False)
    ),
    "read_chunked_not_chunked": lambda R: list(R(body=io.BytesIO(b"abc"), preload_content=False).read_chunked()),
    "close_then_read": lambda R: (lambda r: (r.close(), r.closed, r.read()))(
        R(body=io.BytesIO(b"abc"), preload_content=False)
    ),
    "redirects": lambda R: (
        R(status=301, headers={"Location": "/x"}).get_redirect_location(),
        R(status=200).get_redirect_location(),
        R(status=302).get_redirect_location(),
    ),
    "iter_lines": lambda R: list(R(body=io.BytesIO(b"abc\ndef\n\nx"), preload_content=False)),
    "read1": lambda R: (lambda r: (r.read1(2), r.read1(), r.read1(), r.tell()))(
        R(body=io.BytesIO(b"abcdef"), preload_content=False)
    ),
    "content_length_short_partial": lambda R: (lambda r: (r.read(4), r.length_remaining, r.read(2), r.read(2)))(
        R(body=io.BytesIO(b"abcdef"), headers={"content-length": "10"}, preload_content=False)
    ),
    "content_length_short_whole": lambda R: R(
        body=io.BytesIO(b"abcdef"), headers={"content-length": "10"}, preload_content=False
    ).read(),
    "content_length_unenforced": lambda R: (lambda r: (r.read(4), r.read(4), r.read(4)))(
        R(
            body=io.BytesIO(b"abcdef"),
            headers={"content-length": "10"},
            preload_content=False,
            enforce_content_length=False,
        )
    ),
    "content_length_conflict": lambda R: R(
        body=io.BytesIO(b"abc"), headers={"content-length": "3, 4"}, preload_content=False
    ),
    "content_length_same_twice": lambda R: (
        R(body=io.BytesIO(b"abc"), headers={"content-length": "3, 3"}, preload_content=False).length_remaining
    ),
    "content_length_bad": lambda R: (
        R(body=io.BytesIO(b"abc"), headers={"content-length": "x"}, preload_content=False).length_remaining
    ),
    "content_length_negative": lambda R: (
        R(body=io.BytesIO(b"abc"), headers={"content-length": "-1"}, preload_content=False).length_remaining
    ),
    "no_body_statuses": lambda R: [
        R(body=io.BytesIO(b""), status=s, headers={"content-length": "6"}, preload_content=False).length_remaining
        for s in (100, 204, 304, 200)
    ],
    "head_length": lambda R: (
        R(
            body=io.BytesIO(b""), request_method="HEAD", headers={"content-length": "6"}, preload_content=False
        ).length_remaining
    ),
    "te_and_cl": lambda R: (
        R(
            body=io.BytesIO(b""), headers={"content-length": "6", "transfer-encoding": "chunked"}, preload_content=False
        ).length_remaining
    ),
    "json": lambda R: R(body=io.BytesIO(b'{"a": [1, "\xc3\xa9"]}')).json(),
    "json_bad": lambda R: R(body=io.BytesIO(b"{")).json(),
    "info_getheader": lambda R: (
        lambda r: (dict(r.info()), r.getheader("x-a"), r.getheader("nope", "d"), dict(r.getheaders()))
    )(R(headers={"X-A": "1"})),
    "url": lambda R: (lambda r: (r.url, r.geturl(), setattr(r, "url", "/new"), r.url))(R(request_url="http://a/")),
    "shutdown_unset": lambda R: R().shutdown(),
    "readinto": lambda R: (lambda r, b: (r.readinto(b), bytes(b), r.readinto(b), bytes(b), r.readinto(b)))(
        R(body=io.BytesIO(b"abcdef"), preload_content=False), bytearray(4)
    ),
    "drain": lambda R: (lambda r: (r.drain_conn(), r.read()))(R(body=io.BytesIO(b"abcdef"), preload_content=False)),
    "data_twice": lambda R: (lambda r: (r.data, r.data, r.read()))(
        R(body=io.BytesIO(b"abcdef"), preload_content=False)
    ),
    "data_after_partial": lambda R: (lambda r: (r.read(2), r.data, r.data))(
        R(body=io.BytesIO(b"abcdef"), preload_content=False)
    ),
    "cache_content": lambda R: (lambda r: (r.read(cache_content=True), r.data))(
        R(body=io.BytesIO(b"abcdef"), preload_content=False)
    ),
    "buffered_reader": lambda R: io.BufferedReader(R(body=io.BytesIO(b"abcdef"), preload_content=False)).read(),
    "buffered_reader_small": lambda R: (lambda b: (b.read(3), b.read()))(
        io.BufferedReader(R(body=io.BytesIO(b"abcdef"), preload_content=False), 2)
    ),
    "textiowrapper_lines": lambda R: list(
        io.TextIOWrapper(R(body=io.BytesIO(b"a\nb\r\nc"), preload_content=False, auto_close=False))
    ),
    "textiowrapper_auto_close": lambda R: list(io.TextIOWrapper(R(body=io.BytesIO(b"a\nb\nc"), preload_content=False))),
    "auto_close_false_closed": lambda R: (lambda r: (r.read(), r.closed, r.close(), r.closed))(
        R(body=io.BytesIO(b"abc"), preload_content=False, auto_close=False)
    ),
    "fileno_bytesio": lambda R: R(body=io.BytesIO(b"a"), preload_content=False).fileno(),
    "fileno_none": lambda R: R(preload_content=False).fileno(),
    "flush": lambda R: R(body=io.BytesIO(b"a"), preload_content=False).flush(),
    "chunked_flag": lambda R: [
        R(headers={"Transfer-Encoding": v}).chunked for v in ("chunked", "gzip, Chunked", "gzip", "")
    ],
    "read_negative": lambda R: R(body=io.BytesIO(b"abc"), preload_content=False).read(-5),
    "read_zero": lambda R: R(body=io.BytesIO(b"abc"), preload_content=False).read(0),
    "stream_decoded_gzip_small": lambda R: b"".join(
        R(body=io.BytesIO(_gzip(b"z" * 1000)), headers={"content-encoding": "gzip"}, preload_content=False).stream(7)
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_matches_urllib3(name):
    ours = _run(HTTPResponse, SCENARIOS[name])
    theirs = _run(u3response.HTTPResponse, SCENARIOS[name])
    assert ours == theirs


# Where pool is deliberately stricter or saner than urllib3.


def test_truncated_gzip_is_decode_error():
    # urllib3 returns the partial body silently; a cut stream is data loss.
    with pytest.raises(DecodeError):
        HTTPResponse(body=io.BytesIO(_gzip(b"abc" * 100)[:-3]), headers={"content-encoding": "gzip"})


def test_truncated_deflate_is_decode_error():
    with pytest.raises(DecodeError):
        HTTPResponse(body=io.BytesIO(DEFLATED[:-8]), headers={"content-encoding": "deflate"})


def test_chain_with_unknown_coding_passes_through():
    # urllib3 would run an unknown coding through the deflate decoder; pool
    # hands the body over untouched, since it cannot be fully decoded.
    body = _gzip(b"abc")
    assert HTTPResponse(body=io.BytesIO(body), headers={"content-encoding": "gzip, foo"}).data == body


def test_identity_in_chain_is_ignored():
    r = HTTPResponse(body=io.BytesIO(zlib.compress(b"x")), headers={"content-encoding": "identity, deflate"})
    assert r.data == b"x"


# Direct checks.


def test_multiple_encodings_in_sequence():
    body = zlib.compress(_gzip(b"payload"))  # gzip applied first, then deflate
    r = HTTPResponse(body=io.BytesIO(body), headers={"content-encoding": "gzip, deflate"}, preload_content=False)
    assert b"".join(r.stream(2)) == b"payload"


def test_decode_content_false_gives_raw_bytes():
    body = _gzip(b"abc")
    r = HTTPResponse(body=io.BytesIO(body), headers={"content-encoding": "gzip"}, preload_content=False)
    assert r.read(decode_content=False) == body


def test_raw_then_decoded_allowed_is_runtime_error_only_the_other_way():
    r = HTTPResponse(body=io.BytesIO(_gzip(b"abcdef")), headers={"content-encoding": "gzip"}, preload_content=False)
    r.read(2)
    with pytest.raises(RuntimeError):
        r.read(2, decode_content=False)
    with pytest.raises(RuntimeError):
        r.read1(2, decode_content=False)
    assert r.read() == b"cdef"


def test_read1_decoded_never_exceeds_amt():
    r = HTTPResponse(body=io.BytesIO(_gzip(b"q" * 100000)), headers={"content-encoding": "gzip"}, preload_content=False)
    got = []
    for _ in range(1000):
        piece = r.read1(1000)
        if not piece:
            break
        assert len(piece) <= 1000
        got.append(piece)
    assert b"".join(got) == b"q" * 100000


def test_read_amt_exact_sizes_decoded():
    payload = bytes(range(256)) * 400
    r = HTTPResponse(body=io.BytesIO(_gzip(payload)), headers={"content-encoding": "gzip"}, preload_content=False)
    pieces = [r.read(1000) for _ in range(103)]
    assert [len(p) for p in pieces[:102]] == [1000] * 102
    assert b"".join(pieces) == payload
    assert r.read(1000) == b""


def test_readinto_decoded():
    r = HTTPResponse(
        body=io.BytesIO(_gzip(b"hello world")), headers={"content-encoding": "gzip"}, preload_content=False
    )
    b = bytearray(5)
    assert r.readinto(b) == 5 and b == b"hello"


def test_retries_setter_takes_redirect_location():
    retries = Retry(total=5).increment(
        "GET", "/a", response=HTTPResponse(status=302, headers={"location": "/b"}, request_url="/a")
    )
    r = HTTPResponse(request_url="/a", retries=retries)
    assert r.retries is retries
    assert r.url == retries.history[-1].redirect_location


def test_headers_given_as_list_of_pairs():
    r = HTTPResponse(headers=[("Set-Cookie", "a"), ("set-cookie", "b"), ("X", "1")])
    assert r.headers.getlist("SET-COOKIE") == ["a", "b"] and r.headers["x"] == "1"


def test_isinstance_io_and_base():
    r = HTTPResponse()
    assert isinstance(r, io.IOBase) and isinstance(r, BaseHTTPResponse)


def test_class_constants():
    assert HTTPResponse.REDIRECT_STATUSES == [301, 302, 303, 307, 308]
    assert {"gzip", "x-gzip", "deflate", "br", "zstd"} <= set(HTTPResponse.CONTENT_DECODERS)
    assert zlib.error in HTTPResponse.DECODER_ERROR_CLASSES and OSError in HTTPResponse.DECODER_ERROR_CLASSES


def test_json_round_trip_unicode():
    assert HTTPResponse(body=json.dumps({"k": "\u00e9"}).encode()).json() == {"k": "\u00e9"}


def test_fp_errors_are_mapped():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise ConnectionResetError("boom")

    r = HTTPResponse(body=Broken(), preload_content=False)
    with pytest.raises(ProtocolError) as ei:
        r.read(10)
    assert isinstance(ei.value.args[1], ConnectionResetError)


def test_fp_socket_timeout_is_read_timeout():
    from pool.exceptions import ReadTimeoutError

    class Slow(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise TimeoutError("timed out")

    with pytest.raises(ReadTimeoutError):
        HTTPResponse(body=Slow(), preload_content=False).read(1)


def test_invalid_header_and_not_chunked_errors():
    with pytest.raises(InvalidHeader):
        HTTPResponse(body=io.BytesIO(b""), headers={"content-length": "1, 2"})
    with pytest.raises(ResponseNotChunked):
        next(HTTPResponse(body=io.BytesIO(b"x"), preload_content=False).read_chunked())


def test_release_conn_with_fake_pool_fp_body():
    class Pool:
        def __init__(self):
            self.put = []

        def _put_conn(self, c):
            self.put.append(c)

    pool, conn = Pool(), object()
    r = HTTPResponse(body=io.BytesIO(b"x"), preload_content=False, pool=pool, connection=conn)
    assert r.connection is conn
    r.release_conn()
    assert pool.put == [conn] and r.connection is None
    r.release_conn()
    assert pool.put == [conn]


def test_bytes_queue_buffer():
    b = BytesQueueBuffer()
    b.put(b"abc")
    b.put(b"")
    b.put(b"defg")
    assert len(b) == 7
    assert b.get(2) == b"ab"
    assert b.get(3) == b"cde"
    assert b.get(10) == b"fg"
    assert len(b) == 0 and b.get_all() == b""
    with pytest.raises(RuntimeError):
        b.get(1)
    with pytest.raises(ValueError):
        b.put(b"x") or b.get(-1)


def _httplib_response(raw, method="GET"):
    import http.client
    import socket

    a, b = socket.socketpair()
    a.settimeout(5)
    b.sendall(raw)
    b.close()
    h = http.client.HTTPResponse(a, method=method)
    h.begin()
    a.close()  # the response keeps its own file object
    return h


HTTPLIB_CASES = {
    "chunked_stream": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\n",
        lambda r: (r.supports_chunked_reads(), list(r.stream(4)), r.closed, r.isclosed()),
    ),
    "chunked_preload": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        lambda r: (r.read(), r.closed),
    ),
    "short_read": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", lambda r: r.read()),
    "short_stream": (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", lambda r: list(r.stream(2))),
    "length_exact": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        lambda r: (r.read(2), r.read(2), r.read(2), r.tell()),
    ),
}


@pytest.mark.parametrize("name", sorted(HTTPLIB_CASES))
def test_httplib_body_matches_urllib3(name):
    # urllib3 1.x style: an http.client.HTTPResponse as the body.
    raw, fn = HTTPLIB_CASES[name]
    results = []
    for cls in (HTTPResponse, u3response.HTTPResponse):
        h = _httplib_response(raw)
        r = cls(body=h, headers=dict(h.getheaders()), status=h.status, original_response=h, preload_content=False)
        results.append(_run(r, fn))
    assert results[0] == results[1]
