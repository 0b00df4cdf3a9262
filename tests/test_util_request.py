"""make_headers, ACCEPT_ENCODING, set_file_position/rewind_body and
body_to_chunks."""

from __future__ import annotations

import array
import importlib
import io
from base64 import b64decode

import pytest

from pool.exceptions import UnrewindableBodyError
from pool.util import request as req
from pool.util.request import (
    ACCEPT_ENCODING,
    SKIP_HEADER,
    SKIPPABLE_HEADERS,
    ChunksAndContentLength,
    body_to_chunks,
    make_headers,
    rewind_body,
    set_file_position,
)


def _importable(*names):
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        return True
    return False


def test_skip_header_constants():
    assert SKIP_HEADER == "@@@SKIP_HEADER@@@"
    assert SKIPPABLE_HEADERS == frozenset(["accept-encoding", "host", "user-agent"])


def test_accept_encoding_lists_available_decoders():
    codings = ACCEPT_ENCODING.split(",")
    assert codings[:2] == ["gzip", "deflate"]
    assert ("br" in codings) == _importable("brotlicffi", "brotli")
    assert ("zstd" in codings) == _importable("zstandard", "backports.zstd")
    assert len(codings) == len(set(codings))


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, {}),
        ({"keep_alive": True}, {"connection": "keep-alive"}),
        ({"keep_alive": False}, {}),
        ({"accept_encoding": "gzip"}, {"accept-encoding": "gzip"}),
        ({"accept_encoding": ["gzip", "br"]}, {"accept-encoding": "gzip,br"}),
        ({"accept_encoding": False}, {}),
        ({"user_agent": "Batman/1.0"}, {"user-agent": "Batman/1.0"}),
        ({"basic_auth": "foo:bar"}, {"authorization": "Basic Zm9vOmJhcg=="}),
        ({"proxy_basic_auth": "foo:bar"}, {"proxy-authorization": "Basic Zm9vOmJhcg=="}),
        ({"disable_cache": True}, {"cache-control": "no-cache"}),
        (
            {"keep_alive": True, "user_agent": "ua", "disable_cache": True},
            {"connection": "keep-alive", "user-agent": "ua", "cache-control": "no-cache"},
        ),
    ],
)
def test_make_headers(kwargs, expected):
    assert make_headers(**kwargs) == expected


def test_make_headers_matches_urllib3():
    u3 = pytest.importorskip("urllib3.util.request")
    for kwargs in (
        {
            "keep_alive": True,
            "user_agent": "x",
            "basic_auth": "ä:ö",
            "proxy_basic_auth": "a:",
            "disable_cache": True,
            "accept_encoding": ["a", "b"],
        },
        {"accept_encoding": "identity"},
    ):
        assert make_headers(**kwargs) == u3.make_headers(**kwargs)


def test_make_headers_accept_encoding_true_and_latin1_auth():
    assert make_headers(accept_encoding=True) == {"accept-encoding": ACCEPT_ENCODING}
    value = make_headers(basic_auth="üser:päss")["authorization"]
    assert b64decode(value.split()[1]) == "üser:päss".encode("latin-1")
    with pytest.raises(UnicodeEncodeError):
        make_headers(basic_auth="\u2603:x")


# -- rewinding ---------------------------------------------------------------


def test_set_file_position_records_and_rewinds(tmp_path):
    path = tmp_path / "body"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as f:
        f.read(3)
        pos = set_file_position(f, None)
        assert pos == 3
        assert f.read() == b"3456789"
        assert set_file_position(f, pos) == 3
        assert f.read() == b"3456789"
    assert set_file_position(b"no tell", None) is None


def test_rewind_body():
    body = io.BytesIO(b"abcdef")
    body.read()
    rewind_body(body, 2)
    assert body.read() == b"cdef"


class _BadSeek(io.BytesIO):
    def seek(self, *args):
        raise OSError("can't seek")


class _BadTell(io.BytesIO):
    def tell(self):
        raise OSError("can't tell")


def test_rewind_body_seek_failure():
    with pytest.raises(UnrewindableBodyError) as info:
        rewind_body(_BadSeek(b"x"), 0)
    assert isinstance(info.value.__cause__, OSError)


def test_rewind_after_failed_tell():
    body = _BadTell(b"x")
    pos = set_file_position(body, None)
    assert pos is req._FAILEDTELL
    with pytest.raises(UnrewindableBodyError):
        rewind_body(body, pos)
    with pytest.raises(UnrewindableBodyError):
        set_file_position(body, pos)


def test_rewind_body_bad_position():
    with pytest.raises(ValueError):
        rewind_body(io.BytesIO(b"x"), None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        rewind_body(io.BytesIO(b"x"), "0")  # type: ignore[arg-type]


def test_rewind_unseekable_pipe(tmp_path):
    import os

    r, w = os.pipe()
    with os.fdopen(r, "rb", buffering=0) as rf, os.fdopen(w, "wb", buffering=0):
        pos = set_file_position(rf, None)
        assert pos is req._FAILEDTELL
        with pytest.raises(UnrewindableBodyError):
            rewind_body(rf, pos)
        with pytest.raises(UnrewindableBodyError):
            rewind_body(rf, 0)


# -- body_to_chunks ----------------------------------------------------------


@pytest.mark.parametrize(
    "method, length",
    [
        ("GET", None),
        ("HEAD", None),
        ("delete", None),
        ("OPTIONS", None),
        ("TRACE", None),
        ("CONNECT", None),
        ("POST", 0),
        ("PUT", 0),
        ("PATCH", 0),
        ("BREW", 0),
    ],
)
def test_no_body(method, length):
    assert body_to_chunks(None, method, 8) == ChunksAndContentLength(None, length)


def test_bytes_and_str():
    assert body_to_chunks(b"abc", "POST", 1) == ((b"abc",), 3)
    chunks, length = body_to_chunks("h\u00e9\u2603", "POST", 1)
    assert list(chunks) == ["h\u00e9\u2603".encode()]
    assert length == 6
    assert body_to_chunks(b"", "POST", 1) == ((b"",), 0)


def test_buffers():
    arr = array.array("i", [1, 2, 3])
    chunks, length = body_to_chunks(arr, "POST", 1)
    assert length == arr.itemsize * 3
    assert list(chunks)[0] is arr
    assert body_to_chunks(bytearray(b"xy"), "POST", 1).content_length == 2
    assert body_to_chunks(memoryview(b"xyz"), "POST", 1).content_length == 3


def test_binary_file_in_blocks(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"a" * 10)
    with open(path, "rb") as f:
        chunks, length = body_to_chunks(f, "PUT", 4)
        assert length is None
        assert list(chunks) == [b"aaaa", b"aaaa", b"aa"]


def test_text_file_is_encoded():
    chunks, length = body_to_chunks(io.StringIO("\u2603" * 3), "POST", 2)
    assert length is None
    assert b"".join(chunks) == ("\u2603" * 3).encode("utf-8")


def test_iterables():
    def gen():
        yield b"a"
        yield b"bc"

    chunks, length = body_to_chunks(gen(), "POST", 1)
    assert length is None and list(chunks) == [b"a", b"bc"]
    chunks, length = body_to_chunks([b"x", b"y"], "POST", 1)
    assert length is None and list(chunks) == [b"x", b"y"]


@pytest.mark.parametrize("body", [42, 1.5, object()])
def test_bad_body(body):
    with pytest.raises(TypeError, match="'body' must be"):
        body_to_chunks(body, "POST", 1)
