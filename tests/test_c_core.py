"""The pure C wire core (csrc/pool_http.c), tested without Python in between.

``test_c_table`` compiles the plain-C table test (tests/c/test_pool_http.c)
with AddressSanitizer and UndefinedBehaviorSanitizer and requires it to pass:
every head and chunked case whole, byte by byte and at random splits, with
reads past the given bytes caught by the sanitizer.

``test_c_agrees_with_twin`` loads the same C file as a shared library through
ctypes and holds it against the pure-Python twin (pool._wire_py) on the shared
case table and on seeded mutations of it: the same outcome (result, fields,
framing, or error class) for every input, whole and split.  This checks the C
rules themselves, independently of the Cython layer.

Both skip only when no C compiler is found.
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"]


def _compiler() -> str | None:
    for name in (os.environ.get("CC"), "gcc", "cc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _compile(cc: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([cc, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def cc() -> str:
    """Path of a C compiler; skips the module's tests when there is none."""
    found = _compiler()
    if found is None:
        pytest.skip("no C compiler found")
    return found


def test_c_table(cc: str, tmp_path: Path) -> None:
    """The C table test passes under ASan/UBSan (plain build where the
    toolchain has no sanitizer runtime)."""
    probe = tmp_path / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    flags = ["-std=c99", "-O1", "-g", "-Wall", "-Wextra", "-Werror"]
    if _compile(cc, [*SANITIZE, str(probe), "-o", str(tmp_path / "probe")], tmp_path).returncode == 0:
        flags += SANITIZE
    exe = tmp_path / "test_pool_http"
    built = _compile(
        cc,
        [*flags, f"-I{CSRC}", str(ROOT / "tests/c/test_pool_http.c"), str(CSRC / "pool_http.c"), "-o", str(exe)],
        tmp_path,
    )
    assert built.returncode == 0, built.stderr
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1", UBSAN_OPTIONS="print_stacktrace=1")
    env.pop("LD_PRELOAD", None)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, env=env)
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert lines and lines[-1].endswith(" 0 failed"), run.stdout[-2000:]
    assert int(lines[-1].split()[0]) > 10000, lines[-1]


# ------------------------------------------------------------ ctypes binding
# The layouts of csrc/pool_http.h.


class _Header(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("name_off", "name_len", "value_off", "value_len")]


class _HeadParser(ctypes.Structure):
    _fields_ = [
        ("max_head_size", ctypes.c_size_t),
        ("max_headers", ctypes.c_size_t),
        ("scanned", ctypes.c_size_t),
        ("minor_version", ctypes.c_int),
        ("status", ctypes.c_int),
        ("reason_off", ctypes.c_size_t),
        ("reason_len", ctypes.c_size_t),
        ("num_headers", ctypes.c_size_t),
        ("flags", ctypes.c_uint),
        ("content_length", ctypes.c_uint64),
        ("error_off", ctypes.c_size_t),
    ]


class _Chunked(ctypes.Structure):
    _fields_ = [
        ("max_line", ctypes.c_size_t),
        ("max_trailer_size", ctypes.c_size_t),
        ("state", ctypes.c_int),
        ("remaining", ctypes.c_uint64),
        ("line_len", ctypes.c_size_t),
        ("trailer_size", ctypes.c_size_t),
        ("chunk_size", ctypes.c_uint64),
        ("saw_cr", ctypes.c_int),
        ("done", ctypes.c_int),
    ]


@pytest.fixture(scope="module")
def lib(cc: str, tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    """csrc/pool_http.c built as a shared library and loaded with ctypes."""
    out = tmp_path_factory.mktemp("pool_http") / "libpool_http.so"
    built = _compile(
        cc, ["-std=c99", "-O1", "-shared", "-fPIC", f"-I{CSRC}", str(CSRC / "pool_http.c"), "-o", str(out)], ROOT
    )
    if built.returncode != 0:
        pytest.skip("cannot build a shared library here: " + built.stderr[-300:])
    dll = ctypes.CDLL(str(out))
    dll.pool_parse_head.restype = ctypes.c_long
    dll.pool_parse_head.argtypes = [ctypes.POINTER(_HeadParser), ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    dll.pool_body_framing.argtypes = [ctypes.POINTER(_HeadParser), ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    dll.pool_chunked_feed.argtypes = [
        ctypes.POINTER(_Chunked),
        ctypes.c_char_p,
        ctypes.c_size_t,
        *[ctypes.POINTER(ctypes.c_size_t)] * 3,
    ]
    return dll


def _cls(code: int) -> str:
    from pool import _wire_py

    return _wire_py._ERRORS[code][0].__name__


def _c_head(lib: ctypes.CDLL, data: bytes, opts: dict, request_was_head: bool, cuts: list[int]) -> tuple:
    p = _HeadParser()
    lib.pool_head_init(ctypes.byref(p))
    p.max_head_size = opts.get("max_head_size", p.max_head_size)
    p.max_headers = opts.get("max_headers", p.max_headers)
    headers = (_Header * max(p.max_headers, 1))()
    r = 0
    for k in [*cuts, len(data)]:
        r = lib.pool_parse_head(ctypes.byref(p), data[:k], k, headers)
        if r:
            break
    if r < 0:
        return ("error", _cls(r))
    if r == 0:
        return ("incomplete",)
    text = data.decode("latin-1")
    fields = [
        (text[h.name_off : h.name_off + h.name_len], text[h.value_off : h.value_off + h.value_len])
        for h in headers[: p.num_headers]
    ]
    result = (
        r,
        10 + p.minor_version,
        p.status,
        text[p.reason_off : p.reason_off + p.reason_len],
        fields,
        p.content_length if p.flags & 1 else None,
    )
    will_close = ctypes.c_int(-1)
    fr = lib.pool_body_framing(ctypes.byref(p), int(request_was_head), ctypes.byref(will_close))
    if fr < 0:
        return ("framing-error", _cls(fr)) + result
    return ("ok",) + result + (fr, bool(will_close.value))


def _py_head(data: bytes, opts: dict, request_was_head: bool, cuts: list[int]) -> tuple:
    from pool import _wire_py, exceptions

    parser = _wire_py.HeadParser(**opts)
    r = 0
    try:
        prev = 0
        for k in [*cuts, len(data)]:
            r = parser.feed(data[prev:k])
            prev = k
            if r:
                break
    except exceptions.HTTPError as e:
        return ("error", type(e).__name__)
    if not r:
        return ("incomplete",)
    result = (r, parser.version, parser.status, parser.reason, list(parser.headers), parser.content_length)
    try:
        framing = tuple(parser.framing(request_was_head))
    except exceptions.HTTPError as e:
        return ("framing-error", type(e).__name__) + result
    return ("ok",) + result + framing


def _c_chunked(lib: ctypes.CDLL, data: bytes, opts: dict, cuts: list[int]) -> tuple:
    c = _Chunked()
    lib.pool_chunked_init(ctypes.byref(c))
    c.max_line = opts.get("max_line", c.max_line)
    c.max_trailer_size = opts.get("max_trailer_size", c.max_trailer_size)
    consumed, doff, dlen = ctypes.c_size_t(), ctypes.c_size_t(), ctypes.c_size_t()
    body = bytearray()
    start = 0
    for end in [*cuts, len(data)]:
        piece, pos = data[start:end], 0
        while True:
            r = lib.pool_chunked_feed(
                ctypes.byref(c),
                piece[pos:],
                len(piece) - pos,
                ctypes.byref(consumed),
                ctypes.byref(doff),
                ctypes.byref(dlen),
            )
            if r == 1:
                body += piece[pos + doff.value : pos + doff.value + dlen.value]
                pos += consumed.value
                continue
            if r == 2:
                return ("done", bytes(body), data[start + pos + consumed.value :])
            if r < 0:
                return ("error", _cls(r))
            break
        start = end
    return ("incomplete", bytes(body))


def _py_chunked(data: bytes, opts: dict, cuts: list[int]) -> tuple:
    from pool import _wire_py, exceptions

    decoder = _wire_py.ChunkedDecoder(**opts)
    body = bytearray()
    start = 0
    try:
        for end in [*cuts, len(data)]:
            body += decoder.feed(data[start:end])
            start = end
            if decoder.done:
                break
    except exceptions.HTTPError as e:
        return ("error", type(e).__name__)
    if decoder.done:
        return ("done", bytes(body), decoder.unused + data[start:])
    return ("incomplete", bytes(body))


def _mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        pos = rnd.randint(0, len(b))
        op = rnd.randint(0, 3)
        if op == 0 and b:
            del b[min(pos, len(b) - 1)]
        elif op == 1:
            b[pos:pos] = bytes([rnd.choice(b"\r\n \t:;,0aA\x00\x7f\x80")])
        elif op == 2 and b:
            b[min(pos, len(b) - 1)] = rnd.randint(0, 255)
        else:
            b[pos:pos] = b[pos : pos + rnd.randint(1, 8)]
    return bytes(b)


def _cuts(n: int, rnd: random.Random) -> list[int]:
    return sorted(rnd.randint(0, n) for _ in range(rnd.randint(0, 3)))


MUTATIONS = 3000


def test_c_agrees_with_twin(lib: ctypes.CDLL) -> None:
    """Same outcome from the C core and the Python twin, on the shared table
    and on seeded mutations of it, whole and at random splits."""
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from wire_cases import CHUNKED_CASES, HEAD_CASES
    finally:
        sys.path.pop(0)

    rnd = random.Random(20261121)
    mismatches = []
    for case in HEAD_CASES:
        args = (case["data"], case["opts"], case["request_was_head"])
        for cuts in ([], _cuts(len(case["data"]), rnd)):
            c, py = _c_head(lib, *args, cuts), _py_head(*args, cuts)
            if c != py:
                mismatches.append(("head", case["id"], cuts, c, py))
    for case in CHUNKED_CASES:
        for cuts in ([], _cuts(len(case["data"]), rnd)):
            c, py = _c_chunked(lib, case["data"], case["opts"], cuts), _py_chunked(case["data"], case["opts"], cuts)
            if c != py:
                mismatches.append(("chunked", case["id"], cuts, c, py))

    heads = [c for c in HEAD_CASES if len(c["data"]) < 4096]
    bodies = [c for c in CHUNKED_CASES if len(c["data"]) < 4096]
    for _ in range(MUTATIONS):
        case = rnd.choice(heads)
        data = _mutate(case["data"], rnd)
        opts = dict(case["opts"])
        if rnd.random() < 0.2:
            opts["max_head_size"] = rnd.randint(0, 80)
        if rnd.random() < 0.2:
            opts["max_headers"] = rnd.randint(0, 4)
        rwh = rnd.random() < 0.2
        cuts = _cuts(len(data), rnd)
        c, py = _c_head(lib, data, opts, rwh, cuts), _py_head(data, opts, rwh, cuts)
        if c != py:
            mismatches.append(("head", data, opts, cuts, c, py))

        case = rnd.choice(bodies)
        data = _mutate(case["data"], rnd)
        opts = dict(case["opts"])
        if rnd.random() < 0.2:
            opts["max_line"] = rnd.randint(0, 20)
        if rnd.random() < 0.2:
            opts["max_trailer_size"] = rnd.randint(0, 24)
        cuts = _cuts(len(data), rnd)
        c, py = _c_chunked(lib, data, opts, cuts), _py_chunked(data, opts, cuts)
        if c != py:
            mismatches.append(("chunked", data, opts, cuts, c, py))
    assert not mismatches, "\n".join(repr(m) for m in mismatches[:10])
