"""Micro-benchmarks of the wire layer: response-head parsing and chunked
decoding (RFC 9112 sections 4, 5 and 7.1), for the compiled core, its Python
twin, and peer parsers (http.client, h11); and request-head serialization
(RFC 9112 sections 3 and 5) for the compiled core and its twin.

One group per scenario, the implementation as a parameter:

    python -m pytest bench/test_wire_bench.py --benchmark-group-by=group
    python -m pytest bench --benchmark-disable -q      # correctness only

Every benchmark checks its result, so with ``--benchmark-disable`` this file
is a test that the compared parsers agree on the same bytes.
"""

from __future__ import annotations

import importlib
import os

import pytest

# A typical keep-alive response head: eight fields as a CDN or web server
# sends them.
HEAD_8 = (
    b"HTTP/1.1 200 OK\r\n"
    b"Date: Sat, 21 Nov 2026 09:30:00 GMT\r\n"
    b"Server: nginx/1.25.3\r\n"
    b"Content-Type: application/json; charset=utf-8\r\n"
    b"Content-Length: 1234\r\n"
    b"Connection: keep-alive\r\n"
    b"Cache-Control: max-age=60, public\r\n"
    b'ETag: "5f3c-1a2b3c4d"\r\n'
    b"Vary: Accept-Encoding\r\n"
    b"\r\n"
)

# A heavier head: twenty fields, security headers and cookies included.
HEAD_20 = (
    HEAD_8[:-2] + b"Last-Modified: Fri, 20 Nov 2026 18:00:00 GMT\r\n"
    b"Accept-Ranges: bytes\r\n"
    b"Age: 42\r\n"
    b"X-Content-Type-Options: nosniff\r\n"
    b"X-Frame-Options: DENY\r\n"
    b"Strict-Transport-Security: max-age=63072000; includeSubDomains; preload\r\n"
    b"Content-Security-Policy: default-src 'self'; img-src 'self' data: https:\r\n"
    b"Referrer-Policy: strict-origin-when-cross-origin\r\n"
    b"Set-Cookie: session=8f14e45fceea167a5a36dedd4bea2543; Path=/; HttpOnly; Secure\r\n"
    b"Set-Cookie: theme=dark; Path=/; Max-Age=31536000\r\n"
    b"X-Request-Id: 7d0b2c1e-3f4a-4b5c-9d8e-0f1a2b3c4d5e\r\n"
    b'Alt-Svc: h3=":443"; ma=86400\r\n'
    b"\r\n"
)

_CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
# The size a socket read usually hands over: the decoder is fed in pieces.
_PIECE = 65536


def _chunked_body(total: int, chunk: int) -> tuple[bytes, bytes]:
    """(encoded body, decoded body) of `total` bytes in `chunk`-byte chunks."""
    data = bytes(range(256)) * (total // 256)
    out = bytearray()
    for i in range(0, total, chunk):
        piece = data[i : i + chunk]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    out += b"0\r\n\r\n"
    return bytes(out), data


_BODY_1M = _chunked_body(1 << 20, 100)
_BODY_8M = _chunked_body(8 << 20, 32768)


def _pieces(impl_name: str, encoded: bytes) -> list:
    # http.client and h11 see the response head too: they can't decode a
    # chunked body without it.  The head is a few dozen bytes in megabytes.
    data = encoded if impl_name in ("pool._wire_c", "pool._wire_py") else _CHUNKED_HEAD + encoded
    return [data[i : i + _PIECE] for i in range(0, len(data), _PIECE)]


def _bench_head(benchmark, wire_impl, head: bytes, fields: int) -> None:
    status, headers = benchmark(wire_impl.parse_head, head)
    assert status == 200
    assert len(list(headers)) == fields


@pytest.mark.benchmark(group="head: 8 fields")
def test_head_8(benchmark, wire_impl):
    _bench_head(benchmark, wire_impl, HEAD_8, 8)


@pytest.mark.benchmark(group="head: 20 fields")
def test_head_20(benchmark, wire_impl):
    _bench_head(benchmark, wire_impl, HEAD_20, 20)


def _bench_chunked(benchmark, wire_impl, body: tuple) -> None:
    encoded, decoded = body
    pieces = _pieces(wire_impl.name, encoded)
    result = benchmark(wire_impl.decode_chunked, pieces)
    assert len(result) == len(decoded)
    assert result == decoded


@pytest.mark.benchmark(group="chunked: 1 MiB in 100-byte chunks")
def test_chunked_1m_100(benchmark, wire_impl):
    _bench_chunked(benchmark, wire_impl, _BODY_1M)


@pytest.mark.benchmark(group="chunked: 8 MiB in 32 KiB chunks")
def test_chunked_8m_32k(benchmark, wire_impl):
    _bench_chunked(benchmark, wire_impl, _BODY_8M)


# A request head as pool sends it: the request line and the fields a
# PoolManager adds, a bearer token included; and a long one with a query
# string of a few hundred bytes and twenty fields.
_REQUEST_8 = (
    "GET",
    "/api/v1/items?page=2&sort=desc",
    {
        "Host": "api.example.com",
        "User-Agent": "python-pool/2.8",
        "Accept-Encoding": "gzip, deflate, br",
        "Accept": "*/*",
        "Connection": "keep-alive",
        "Authorization": "Bearer " + "a" * 40,
        "Cookie": "session=8f14e45fceea167a5a36dedd4bea2543; theme=dark",
        "X-Request-Id": "7d0b2c1e-3f4a-4b5c-9d8e-0f1a2b3c4d5e",
    },
)
_REQUEST_LONG = (
    "POST",
    "/search?" + "q=abc&" * 50,
    [("X-H-%d" % i, "value-%d-" % i + "v" * 30) for i in range(18)]
    + [(b"Content-Length", 12345), ("Content-Type", b"application/json")],
)


@pytest.fixture(params=["c", "py"])
def serialize_request(request):
    """serialize_request of the compiled core (c) or of its twin (py)."""
    if request.param == "c":
        if os.environ.get("POOL_NO_EXTENSIONS"):
            pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test")
        return importlib.import_module("pool._wire_c").serialize_request
    return importlib.import_module("pool._wire_py").serialize_request


@pytest.mark.benchmark(group="request head: 8 fields")
def test_serialize_request_8(benchmark, serialize_request):
    out = benchmark(serialize_request, *_REQUEST_8)
    assert out.startswith(b"GET /api/v1/items?page=2&sort=desc HTTP/1.1\r\nHost: ") and out.count(b"\r\n") == 10


@pytest.mark.benchmark(group="request head: 300-byte target, 20 fields")
def test_serialize_request_long(benchmark, serialize_request):
    out = benchmark(serialize_request, *_REQUEST_LONG)
    assert out.startswith(b"POST /search?q=abc&") and out.count(b"\r\n") == 22
