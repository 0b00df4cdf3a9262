"""Request bodies read from files, with a declared Content-Length.

A file on disk (Python's own binary file types) sent over plain TCP goes out
with the kernel's sendfile(); any other file object, and any file over TLS,
is read in blocks.  Either way the server must get exactly the declared
bytes from the file's position on, the file must be left where urllib3
leaves it (at its end), and a file that turns out shorter or longer than
declared must be cut off before the server holds a whole request.  The
tables cross file kinds, starting positions and transports, and the
agreeing rows run on urllib3 2.8 in the same run.
"""

from __future__ import annotations

import io
import os
import sys

import pytest
from hostile import HostileServer, client, client_pool, impl, response, transport  # noqa: F401

from pool.exceptions import InvalidBodyFraming

SIZE = 256 * 1024
DATA = bytes(range(256)) * (SIZE // 256)


class CountingReader(io.BufferedReader):
    """A file type of the caller's own that counts its reads (a progress
    bar's shape): its read() must be called, never bypassed."""

    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        type(self).reads += 1
        return super().read(size)


FILE_KINDS = {
    "buffered": lambda p: open(p, "rb"),
    "unbuffered": lambda p: open(p, "rb", buffering=0),
    "read-write": lambda p: open(p, "r+b"),
    "subclass": lambda p: CountingReader(open(p, "rb", buffering=0)),
    "bytesio": lambda p: io.BytesIO(DATA),
}
OFFSETS = [0, 1000]


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "body.bin"
    path.write_bytes(DATA)
    return path


def _open_at(kind, path, offset):
    f = FILE_KINDS[kind](path)
    if offset:
        assert len(f.read(offset)) == offset
    return f


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("kind", FILE_KINDS)
def test_file_body_arrives_whole(client, transport, data_file, kind, offset):
    CountingReader.reads = 0
    with HostileServer([[response(b"one")], [response(b"two")]], tls=transport) as srv:
        pool = client_pool(srv, client)
        with _open_at(kind, data_file, offset) as f:
            r = pool.urlopen("PUT", "/up", body=f, headers={"Content-Length": str(SIZE - offset)})
            assert r.data == b"one"
            assert f.tell() == SIZE
        assert srv.requests[0].body == DATA[offset:]
        # The connection was left clean: the next request reuses it.
        assert pool.urlopen("GET", "/next").data == b"two"
        assert srv.accepted == 1
    if kind == "subclass":
        assert CountingReader.reads > 0


# (declared length - bytes the file holds from its position)
MISMATCHES = {"file-longer-by-1": -1, "file-longer": -5000, "file-shorter-by-1": 1, "file-shorter": 5000}


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("kind", FILE_KINDS)
@pytest.mark.parametrize("mismatch", MISMATCHES)
def test_file_disagreeing_with_its_length_is_cut_off(impl, transport, data_file, kind, offset, mismatch):
    declared = SIZE - offset + MISMATCHES[mismatch]
    # One script: the cut-off request never gets to use one.
    with HostileServer([[response(b"next")]], tls=transport) as srv:
        pool = client_pool(srv)
        with _open_at(kind, data_file, offset) as f, pytest.raises(InvalidBodyFraming):
            pool.urlopen("PUT", "/up", body=f, headers={"Content-Length": str(declared)})
        assert srv.wait_closed(2)
        # The server never held a whole request, so it answered none.
        assert srv.requests == []
        assert len(srv.received().partition(b"\r\n\r\n")[2]) < declared
        assert pool.urlopen("GET", "/next").data == b"next"
        assert srv.accepted == 2


@pytest.mark.parametrize("kind", ["buffered", "unbuffered"])
def test_file_body_sent_again_on_a_307(impl, transport, data_file, kind):
    redirect = response(b"", status="307 Temporary Redirect", headers=["Location: /again"])
    with HostileServer([[redirect], [response(b"done")]], tls=transport) as srv:
        pool = client_pool(srv)
        with _open_at(kind, data_file, 1000) as f:
            r = pool.urlopen("PUT", "/up", body=f, headers={"Content-Length": str(SIZE - 1000)})
            assert r.data == b"done"
        assert [q.body for q in srv.requests] == [DATA[1000:], DATA[1000:]]


def _read_syscalls() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("syscr:")).split()[1])


@pytest.mark.skipif(not sys.platform.startswith("linux") or not os.path.exists("/proc/self/io"), reason="Linux /proc")
@pytest.mark.parametrize("kind,kernel_copies", [("buffered", True), ("unbuffered", True), ("subclass", False)])
def test_disk_file_over_plain_tcp_is_not_read_by_python(impl, tmp_path, kind, kernel_copies):
    # 4 MiB read in 16 KiB blocks takes 256 read() calls; sendfile() a few.
    # (Each sendfile() call is counted as one read syscall too.)
    path = tmp_path / "big.bin"
    size = 4 * 1024 * 1024
    path.write_bytes(b"s" * size)
    with HostileServer([[response(b"ok")]]) as srv:
        pool = client_pool(srv)
        with open(path, "rb") as warm:  # page cache, and the first-open costs
            warm.read()
        with FILE_KINDS[kind](path) as f:
            before = _read_syscalls()
            assert pool.urlopen("PUT", "/up", body=f, headers={"Content-Length": str(size)}).data == b"ok"
            reads = _read_syscalls() - before
        assert len(srv.requests[0].body) == size
    if kernel_copies:
        assert reads < 64
    else:
        assert reads >= 256
