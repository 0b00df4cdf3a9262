"""Fixtures shared by the pytest-benchmark files in bench/.

``wire_impl`` loads one implementation of the wire layer's parsers for the
micro-benchmarks: the compiled core (``c``), its Python twin (``py``), or a
peer parser (``http.client``, ``h11``) wrapped in the same two calls.
"""

from __future__ import annotations

import http.client
import importlib
import io
import os
from typing import Callable, NamedTuple

import pytest

WIRE_IMPLS = ("c", "py", "http.client", "h11")


class WireImpl(NamedTuple):
    """Two operations every implementation offers: parse a complete response
    head into (status, headers), and decode a chunked body fed in pieces."""

    name: str
    parse_head: Callable[[bytes], tuple]
    decode_chunked: Callable[[list], bytes]


def _pool(module_name: str) -> WireImpl:
    wire = importlib.import_module(module_name)
    HeadParser = wire.HeadParser
    ChunkedDecoder = wire.ChunkedDecoder

    def parse_head(data: bytes) -> tuple:
        parser = HeadParser()
        parser.feed(data)
        return parser.status, parser.headers

    def decode_chunked(pieces: list) -> bytes:
        decoder = ChunkedDecoder()
        feed = decoder.feed
        return b"".join([feed(piece) for piece in pieces])

    return WireImpl(module_name, parse_head, decode_chunked)


class _FakeSocket:
    """What http.client.HTTPResponse needs from a socket: makefile()."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self._data)


def _http_client() -> WireImpl:
    parse_headers = http.client.parse_headers

    def parse_head(data: bytes) -> tuple:
        # What HTTPResponse.begin() does: the status line, then the email parser.
        fp = io.BytesIO(data)
        version, status, reason = fp.readline().decode("iso-8859-1").split(None, 2)
        headers = parse_headers(fp)
        return int(status), headers.items()

    def decode_chunked(pieces: list) -> bytes:
        response = http.client.HTTPResponse(_FakeSocket(b"".join(pieces)))
        response.begin()
        return response.read()

    return WireImpl("http.client", parse_head, decode_chunked)


def _h11() -> WireImpl:
    h11 = pytest.importorskip("h11")
    request = h11.Request(method="GET", target="/", headers=[("Host", "bench")])

    def _client():
        conn = h11.Connection(our_role=h11.CLIENT)
        conn.send(request)
        conn.send(h11.EndOfMessage())
        return conn

    def parse_head(data: bytes) -> tuple:
        conn = _client()
        conn.receive_data(data)
        event = conn.next_event()
        return event.status_code, event.headers

    def decode_chunked(pieces: list) -> bytes:
        conn = _client()
        out = []
        for piece in pieces:
            conn.receive_data(piece)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or type(event) is h11.EndOfMessage:
                    break
                if type(event) is h11.Data:
                    out.append(event.data)
        return b"".join(out)

    return WireImpl("h11", parse_head, decode_chunked)


@pytest.fixture(params=WIRE_IMPLS)
def wire_impl(request) -> WireImpl:
    """One parser implementation under measurement (ids: c, py, http.client, h11)."""
    name = request.param
    if name == "c":
        if os.environ.get("POOL_NO_EXTENSIONS"):
            pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test")
        return _pool("pool._wire_c")
    if name == "py":
        return _pool("pool._wire_py")
    if name == "http.client":
        return _http_client()
    return _h11()
