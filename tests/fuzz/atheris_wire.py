"""Coverage-guided differential fuzzer of the wire layer (RFC 9112 sections 4-7).

The compiled core (``pool._wire_c``) and its pure-Python twin
(``pool._wire_py``) must agree on every input: the same parse result, or an
error of the same class.  Each input is also fed split in two at a point
derived from the data, because framing can never depend on how TCP cut the
bytes.  Anything else (a divergence, an exception outside ``pool.exceptions``,
a crash of the interpreter) is a finding.

Targets:

- ``head``: ``HeadParser.feed`` then ``framing()`` (for a GET and a HEAD);
- ``chunked``: ``ChunkedDecoder.feed``, its ``done`` and ``unused``;
- ``request``: ``serialize_request`` over method, target and header fields
  carved out of the input;
- ``all`` (the default): the three above, each on every input.

A hash of the input sometimes picks small limits, so the limit paths are
fuzzed as well.  Coverage comes from the instrumented Python twin (the
compiled module is not instrumented); the C code is reached through it.

Usage::

    python tests/fuzz/atheris_wire.py [--target=head|chunked|request|all] [libFuzzer flags] [corpus dirs]

for example ``-runs=1000000 -max_len=4096 tests/fuzz/corpus/head``.  To start
from the seed table and with the token dictionary::

    python -c "import sys; sys.path.insert(0, 'tests/fuzz'); import atheris_wire as a; \\
        a.write_seeds('seeds', 'head'); a.write_dict('wire.dict')"
    python tests/fuzz/atheris_wire.py --target=head -dict=wire.dict seeds
"""

from __future__ import annotations

import os
import sys
import zlib

import atheris

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

with atheris.instrument_imports(include=["pool._wire_py"]):
    from pool import _wire_py as PY
    from pool.exceptions import HTTPError, InvalidRequest

from pool import _wire_c as C  # noqa: E402  (compiled: nothing to instrument)

# Errors an implementation may raise on bad input; anything else is a bug.
_EXPECTED = (HTTPError, InvalidRequest)


class Divergence(AssertionError):
    """The two implementations, or two splits of one input, disagree."""


def _limits(h: int, head: bool) -> dict:
    # One input in four runs with small limits, derived from the hash, so the
    # limit branches see traffic without a separate corpus.
    if h & 3:
        return {}
    if head:
        return {"max_head_size": 8 + (h >> 4) % 300, "max_headers": (h >> 12) % 6}
    return {"max_line": 1 + (h >> 4) % 40, "max_trailer_size": (h >> 12) % 64}


def _error(e: BaseException) -> tuple:
    if not isinstance(e, _EXPECTED):
        raise e
    return ("error", type(e).__name__)


def _head(mod, data: bytes, split: int | None, opts: dict) -> tuple:
    p = mod.HeadParser(**opts)
    try:
        if split is None:
            n = p.feed(data)
        else:
            n = p.feed(data[:split])
            if n == 0:
                n = p.feed(data[split:])
    except Exception as e:
        return _error(e)
    if n == 0:
        return ("incomplete",)
    framing = []
    for was_head in (False, True):
        try:
            framing.append(p.framing(was_head))
        except Exception as e:
            framing.append(_error(e))
    return ("head", n, p.version, p.status, p.reason, p.headers, p.content_length, framing)


def _chunked(mod, data: bytes, split: int | None, opts: dict) -> tuple:
    d = mod.ChunkedDecoder(**opts)
    try:
        if split is None:
            body = d.feed(data)
        else:
            body = d.feed(data[:split]) + d.feed(data[split:])
    except Exception as e:
        # Body bytes handed out before the error depend on the split: only
        # the class is compared.
        return _error(e)
    return ("body", body, d.done, d.unused)


def _request_parts(data: bytes) -> tuple:
    # NUL separates fields: method, target, then name/value pairs.  Odd
    # inputs give str parts, even ones bytes, so both input types are fuzzed.
    parts = data.split(b"\x00")
    method, target = parts[0], parts[1] if len(parts) > 1 else b""
    fields = parts[2:]
    pairs = list(zip(fields[::2], fields[1::2]))
    as_str = len(data) & 1
    if as_str:
        pairs = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in pairs]
    return method.decode("latin-1"), target.decode("latin-1"), pairs


def _request(mod, data: bytes) -> tuple:
    method, target, pairs = _request_parts(data)
    try:
        return ("bytes", mod.serialize_request(method, target, pairs))
    except Exception as e:
        return _error(e)


def _check(name: str, data: bytes, results: dict) -> None:
    values = list(results.values())
    if any(v != values[0] for v in values[1:]):
        lines = [f"{name} divergence on {data!r}:"]
        lines += [f"  {k}: {v!r}" for k, v in results.items()]
        raise Divergence("\n".join(lines))


def check_head(data: bytes) -> None:
    """Hold the C head parser against the twin, whole and split."""
    h = zlib.crc32(data)
    split = h % (len(data) + 1)
    opts = _limits(h >> 2, True)
    _check(
        "head",
        data,
        {
            "c": _head(C, data, None, opts),
            "py": _head(PY, data, None, opts),
            "c-split": _head(C, data, split, opts),
            "py-split": _head(PY, data, split, opts),
        },
    )


def check_chunked(data: bytes) -> None:
    """Hold the C chunked decoder against the twin, whole and split."""
    h = zlib.crc32(data)
    split = h % (len(data) + 1)
    opts = _limits(h >> 2, False)
    _check(
        "chunked",
        data,
        {
            "c": _chunked(C, data, None, opts),
            "py": _chunked(PY, data, None, opts),
            "c-split": _chunked(C, data, split, opts),
            "py-split": _chunked(PY, data, split, opts),
        },
    )


def check_request(data: bytes) -> None:
    """Hold the C request serializer against the twin."""
    _check("request", data, {"c": _request(C, data), "py": _request(PY, data)})


TARGETS = {"head": check_head, "chunked": check_chunked, "request": check_request}


def check_all(data: bytes) -> None:
    """Every target on one input."""
    check_head(data)
    check_chunked(data)
    check_request(data)


# Tokens the mutator splices in: the grammar the regex-based twin's coverage
# can't reveal by itself.
DICTIONARY = [
    b"HTTP/1.1 ",
    b"HTTP/1.0 ",
    b" 200 OK",
    b"100 Continue",
    b"101",
    b"204",
    b"304",
    b"\r\n",
    b"\r\n\r\n",
    b"\n\n",
    b": ",
    b"Content-Length",
    b"Transfer-Encoding",
    b"chunked",
    b"gzip",
    b"identity",
    b"Connection",
    b"close",
    b"keep-alive",
    b"upgrade",
    b", ",
    b"\t",
    b" ",
    b";",
    b"=",
    b'"',
    b"0\r\n\r\n",
    b"ffffffffffffffff",
    b"0000000000000000",
    b"4611686018427387903",
    b"18446744073709551616",
    b"\x00",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"GET",
    b"HEAD",
    b"Host",
]


def write_dict(path: str) -> None:
    """Write :data:`DICTIONARY` in libFuzzer's ``-dict=`` format."""
    with open(path, "w") as f:
        for token in DICTIONARY:
            f.write('"' + "".join(f"\\x{b:02x}" for b in token) + '"\n')


def write_seeds(directory: str, target: str = "all") -> int:
    """Write the seed inputs for ``target`` into ``directory`` (the table of
    tests/wire_cases.py and tests/fuzz/corpus/); return how many."""
    sys.path.insert(0, os.path.dirname(_HERE))
    try:
        import wire_cases
    finally:
        sys.path.pop(0)
    seeds: list[bytes] = []
    if target in ("head", "all"):
        seeds += [c["data"] for c in wire_cases.HEAD_CASES]
    if target in ("chunked", "all"):
        seeds += [c["data"] for c in wire_cases.CHUNKED_CASES]
    if target in ("request", "all"):
        seeds += [b"GET\x00/\x00Host\x00example.com\x00Accept\x00*/*", b"POST\x00/a?b=c\x00X\x00\x01"]
    for sub in ("head", "chunked") if target == "all" else (target,):
        corpus = os.path.join(_HERE, "corpus", sub)
        if os.path.isdir(corpus):
            for name in sorted(os.listdir(corpus)):
                with open(os.path.join(corpus, name), "rb") as f:
                    seeds.append(f.read())
    os.makedirs(directory, exist_ok=True)
    for i, seed in enumerate(seeds):
        with open(os.path.join(directory, f"seed-{i:04d}"), "wb") as f:
            f.write(seed)
    return len(seeds)


def main(argv: list[str]) -> None:
    """Run libFuzzer over the chosen target; argv as for libFuzzer plus
    ``--target=NAME``."""
    target = "all"
    rest = []
    for arg in argv:
        if arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    fn = check_all if target == "all" else TARGETS[target]
    atheris.Setup(rest, fn)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
