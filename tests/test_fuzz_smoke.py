"""A short run of the differential fuzzer (tests/fuzz/atheris_wire.py): the
compiled wire core against its Python twin, from the seeds of
tests/wire_cases.py and tests/fuzz/corpus/, for a bounded number of runs per
target (skipped without atheris); and a randomized differential run of the
two Readers over socketpairs, responses mutated and read every way.
Skipped when the compiled module is missing.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys

import pytest

if os.environ.get("POOL_NO_EXTENSIONS"):
    pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test", allow_module_level=True)
C = pytest.importorskip("pool._wire_c")

import wire_cases  # noqa: E402

from pool import _wire_py as PY  # noqa: E402
from pool.exceptions import HTTPError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZER = os.path.join(HERE, "fuzz", "atheris_wire.py")
RUNS = {"head": 6000, "chunked": 3000, "request": 6000}


def _harness():
    sys.path.insert(0, os.path.join(HERE, "fuzz"))
    try:
        import atheris_wire
    finally:
        sys.path.pop(0)
    return atheris_wire


def _seed(directory: str, target: str) -> int:
    return _harness().write_seeds(directory, target)


@pytest.mark.parametrize("target", sorted(RUNS))
def test_fuzz_smoke(target, tmp_path):
    pytest.importorskip("atheris")
    corpus = tmp_path / "corpus"
    assert _seed(str(corpus), target) > 0
    _harness().write_dict(str(tmp_path / "wire.dict"))
    cmd = [
        sys.executable,
        FUZZER,
        f"--target={target}",
        f"-runs={RUNS[target]}",
        "-max_len=1024",
        "-seed=1",
        f"-dict={tmp_path / 'wire.dict'}",
        "-max_total_time=25",
        f"-artifact_prefix={tmp_path}/",
        str(corpus),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=os.path.dirname(HERE))
    out = proc.stderr[-4000:]
    assert proc.returncode == 0, out
    assert "Done " in out, out
    assert not any(p.name.startswith(("crash-", "timeout-", "oom-")) for p in tmp_path.iterdir()), out


@pytest.mark.skipif(
    bool(os.environ.get("POOL_UNDER_ASAN")),
    reason="atheris carries its own libFuzzer runtime, which clashes with the AddressSanitizer preload",
)
def test_fuzzer_finds_a_planted_divergence(tmp_path):
    pytest.importorskip("atheris")
    # The harness must be able to fail: make the twin disagree with the C
    # on one byte and check that the fuzzer reports it from the seeds.
    script = tmp_path / "planted.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {os.path.join(HERE, 'fuzz')!r})\n"
        "import atheris_wire as a\n"
        "real = a.PY.HeadParser.feed\n"
        "def feed(self, data):\n"
        "    n = real(self, data)\n"
        "    if self.status == 200:\n"
        "        self.status = 201\n"
        "    return n\n"
        "a.PY.HeadParser.feed = feed\n"
        "a.main(sys.argv)\n"
    )
    corpus = tmp_path / "corpus"
    _seed(str(corpus), "head")
    cmd = [sys.executable, str(script), "--target=head", "-runs=200", f"-artifact_prefix={tmp_path}/", str(corpus)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=os.path.dirname(HERE))
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "Divergence: head divergence" in out, out[-2000:]


def _read_all(mod, data: bytes, was_head: bool, mode: int, bufsize: int) -> tuple:
    """Up to two responses from ``data`` through a Reader of ``mod``: what
    each call returned and the Reader's state after each response."""
    a, b = socket.socketpair()
    try:
        a.settimeout(2)
        # Everything is sent (and the write side shut) before reading, so
        # what each recv returns depends on the buffer size only.
        b.sendall(data)
        b.shutdown(socket.SHUT_WR)
        reader = mod.Reader(a, bufsize=bufsize)
        out: list = []
        try:
            for _ in range(2):
                head = reader.read_head(was_head)
                parts = []
                while True:
                    if mode == 0:
                        x = reader.read()
                    elif mode == 1:
                        x = reader.read(7)
                    elif mode == 2:
                        x = reader.read1(5)
                    else:
                        buf = bytearray(9)
                        x = bytes(buf[: reader.readinto(buf)])
                    if not x:
                        break
                    parts.append(x)
                state = (reader.framing, reader.will_close, reader.complete, reader.reusable, reader.bytes_read)
                out.append((head, b"".join(parts), state))
                if not reader.reusable:
                    break
        except (HTTPError, OSError) as e:
            return ("error", type(e).__name__, out)
        return ("ok", out)
    finally:
        a.close()
        b.close()


def test_readers_agree_over_socketpairs():
    # Every table case, alone or followed by another, sometimes with one byte
    # changed, read with each read method and buffer sizes from 1 byte up:
    # the compiled Reader and the twin must give the same bytes, state and
    # error class.
    rng = random.Random(20251121)
    datas = [c["data"] for c in wire_cases.HEAD_CASES]
    datas += [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + c["data"] for c in wire_cases.CHUNKED_CASES]
    for _ in range(600):
        data = rng.choice(datas)
        if rng.random() < 0.5:
            data += rng.choice(datas)
        if data and rng.random() < 0.3:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]
        args = (data, rng.random() < 0.1, rng.randrange(4), rng.choice([1, 7, 64, 65536]))
        assert _read_all(C, *args) == _read_all(PY, *args), args
