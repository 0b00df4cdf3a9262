"""The wire layer under many threads at once: each thread parses its own
responses (distinct reasons, header names and values, bodies) with its own
Reader, HeadParser and ChunkedDecoder, and every result must be exact.

A Reader serves one connection, so nothing in the wire layer may be shared
between Readers: state kept at module level (a cache of names, values or
reason phrases) would hand one thread's strings to another.  On a
free-threaded build (the compiled module declares itself safe to run
without the GIL) such a race shows here as a wrong field; with the GIL the
test still holds both implementations to the same exact results.
"""

import sys
import sysconfig
import threading

import pytest

THREADS = 8
ROUNDS = 150
TIMEOUT = 60.0


class _Bytes:
    """A socket-like source of real response bytes: ``recv_into`` hands out
    the stream in pieces of a fixed size, then b"" (EOF)."""

    def __init__(self, data: bytes, piece: int) -> None:
        self._data = data
        self._pos = 0
        self._piece = piece

    def recv_into(self, view, nbytes=0):
        n = min(len(view), nbytes or len(view), self._piece, len(self._data) - self._pos)
        view[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


# Statuses whose responses carry a body.
_STATUSES = (200, 201, 202, 203, 206, 299, 400, 404, 418, 500, 503, 599)


def _response(t: int, r: int, chunked: bool) -> tuple:
    """(bytes, status, reason, [(name, value), ...], body) for thread t,
    round r.  Common names carry values of the same length in every thread
    and round (as a shared value cache would compare them), rare names differ
    per thread, and the field order shifts with the round."""
    status = _STATUSES[(t * 7 + r) % len(_STATUSES)]
    reason = f"Reason t{t:02d} r{r:04d}"
    body = bytes([t]) * (r % 50) + f"body {t} {r}".encode()
    fields = [
        ("Server", f"server-{t:02d}-{r:04d}"),
        ("Content-Type", f"text/t{t:02d}-{r:04d}"),
        (f"X-Thread-{t}", f"{t}-{r}"),
        ("Date", f"day {r:04d} of thread {t:02d}"),
    ]
    fields = fields[r % 4 :] + fields[: r % 4]
    fields += [(f"X-Round-{r % 5}-T{t}", "v" * (1 + (t + r) % 9))]
    if chunked:
        fields.append(("Transfer-Encoding", "chunked"))
        payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7))
        payload += b"0\r\n\r\n"
    else:
        fields.append(("Content-Length", str(len(body))))
        payload = body
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields) + "\r\n"
    return head.encode("latin-1") + payload, status, reason, fields, body


def _expected_fields(fields: list) -> dict:
    out: dict = {}
    for name, value in fields:
        out.setdefault(name.lower(), [name]).append(value)
    return out


def _run_threads(work) -> None:
    barrier = threading.Barrier(THREADS)
    errors: list = []

    def run(t: int) -> None:
        try:
            barrier.wait(TIMEOUT)
            work(t)
        except BaseException as e:  # reported below, from the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(TIMEOUT)
    assert not any(th.is_alive() for th in threads), "a thread did not finish"
    if errors:
        raise errors[0]


@pytest.mark.parametrize("piece", [1 << 16, 13], ids=["whole", "pieces"])
def test_readers_in_threads_exact(wire, piece):
    """Each thread reads ROUNDS responses, alternating read_response and
    read_head, Content-Length and chunked, on its own keep-alive Reader."""

    def work(t: int) -> None:
        cases = [_response(t, r, chunked=r % 2 == 1) for r in range(ROUNDS)]
        reader = wire.Reader(_Bytes(b"".join(c[0] for c in cases), piece))
        for r, (_, status, reason, fields, body) in enumerate(cases):
            if r % 3 == 0:
                version, got_status, got_reason, headers = reader.read_head()
                assert headers == fields, (t, r)
                got_body = reader.read()
            else:
                version, got_status, got_reason, got_fields, got_body = reader.read_response(preload=True)
                assert got_fields == _expected_fields(fields), (t, r)
                if got_body is None:
                    got_body = reader.read()
            assert (version, got_status, got_reason, got_body) == (11, status, reason, body), (t, r)
            assert reader.complete, (t, r)

    _run_threads(work)


def test_head_parsers_and_decoders_in_threads_exact(wire):
    def work(t: int) -> None:
        for r in range(ROUNDS):
            data, status, reason, fields, body = _response(t, r, chunked=True)
            parser = wire.HeadParser()
            used = parser.feed(data)
            assert (parser.status, parser.reason, parser.headers) == (status, reason, fields), (t, r)
            decoder = wire.ChunkedDecoder()
            assert decoder.feed(data[used:]) == body and decoder.done, (t, r)

    _run_threads(work)


@pytest.mark.skipif(not sysconfig.get_config_var("Py_GIL_DISABLED"), reason="not a free-threaded build")
def test_compiled_module_keeps_the_gil_off():
    """The extension declares itself free-threading compatible, so importing
    it does not turn the GIL back on."""
    if sys._is_gil_enabled():  # type: ignore[attr-defined]
        pytest.skip("the GIL was enabled for this run (PYTHON_GIL=1 or another module)")
    pytest.importorskip("pool._wire_c")
    assert not sys._is_gil_enabled()  # type: ignore[attr-defined]
