"""Every way of reading a body gives exactly the bytes urllib3 gives.

A matrix, generated from the tables in read_matrix_cases.py: each read API
of HTTPResponse (``.data``, read() with and without an amount, read1(),
stream(), read_chunked(), readinto(), line iteration, io.BufferedReader and
io.TextIOWrapper over the response, drain_conn() and release_conn() then a
second request) crossed with each framing (Content-Length; chunked with
1-byte, 100-byte, 4 KiB and 100 KiB chunks, the last larger than the wire
Reader's buffer; chunk extensions and trailers; close-delimited; HTTP/1.0),
each content coding (identity, gzip, deflate, br, zstd, a chain), whole or
dripped delivery (the head and the first 2 KiB of body in tiny TCP segments,
then the rest in a few large ones), with and without decoding, for both
wire implementations.  The test ids name the combination:
``c-chunked100-gzip-drip-stream_none-decode``.

urllib3 2.8, installed beside pool, is the oracle.  Its outcome for a
combination (the body, the exception class if one was raised, the piece
lengths where the API fixes them, and for the two-request APIs the second
body, the connection count and whether the connection was reused) is
computed once per run, in worker processes, and pool's must equal it.
Chunked bodies read chunk by chunk once lost every chunk after the first
when the chunks came in separate segments: the dripped rows catch that
kind of loss.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import typing

import pytest
from hostile import HostileServer, impl  # noqa: F401
from read_matrix_cases import SECOND_BODY, Combo, Outcome, combos, matrix_server, oracle, run

import pool

# How long a test waits for urllib3's outcome.  The workers compute the
# outcomes in test order, ahead of the tests: a wait this long means one is
# stuck.
_ORACLE_TIMEOUT = 50.0


class Matrix:
    """The server pool reads from, and urllib3's outcomes: computed once per
    combination, in the order the tests will need them, by two worker
    processes (each with a server of its own; two, as a dripped response
    keeps its reader mostly waiting)."""

    def __init__(self, wanted: typing.Iterable[Combo]) -> None:
        self.server: HostileServer = matrix_server()
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=2, mp_context=multiprocessing.get_context("spawn")
        )
        self._outcomes: dict[str, concurrent.futures.Future[Outcome]] = {}
        for combo in wanted:
            self._submit(combo)

    def _submit(self, combo: Combo) -> concurrent.futures.Future[Outcome]:
        if combo.id not in self._outcomes:
            self._outcomes[combo.id] = self._executor.submit(oracle, combo.id)
        return self._outcomes[combo.id]

    def expected(self, combo: Combo) -> Outcome:
        """urllib3's outcome for the combination."""
        return self._submit(combo).result(timeout=_ORACLE_TIMEOUT)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.server.close()


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest) -> typing.Iterator[Matrix]:
    wanted = [
        item.callspec.params["combo"]
        for item in request.session.items
        if getattr(item, "module", None) is request.module
        and hasattr(item, "callspec")
        and "combo" in item.callspec.params
        and item.get_closest_marker("skip") is None
    ]
    m = Matrix(wanted)
    yield m
    m.close()


@pytest.mark.parametrize("combo", combos())
def test_read_matrix(impl: typing.Any, matrix: Matrix, combo: Combo) -> None:
    got = run(pool, matrix.server, combo)
    expected = matrix.expected(combo)
    api = combo.api

    if api.name == "release_conn" and expected.second != SECOND_BODY:
        # urllib3 puts the connection back with the rest of the body unread.
        # At the next checkout it drops a connection with bytes waiting, but
        # when the rest has not arrived yet (dripped delivery) it sends the
        # second request on that connection, and http.client, whose first
        # response is still open, raises ResponseNotReady: urllib3 reports
        # ProtocolError('Connection aborted.') for a good second response,
        # which never reaches the server.  pool closes such a connection at
        # release (docs/differences.md): the second request must get its own
        # response, whichever connection it went out on.
        expected = dataclasses.replace(expected, second=SECOND_BODY, reused=got.reused)
    if got != expected:
        pytest.fail(f"pool:    {got.short()}\nurllib3: {expected.short()}", pytrace=False)

    limit = api.max_piece(combo.framing.small)
    sizes = [len(piece) for piece in got.pieces]
    if limit is not None and sizes and max(sizes) > limit:
        pytest.fail(f"a piece of {max(sizes)} bytes, more than {limit}", pytrace=False)
    if api.nonempty and 0 in sizes:
        pytest.fail(f"an empty piece (piece {sizes.index(0)} of {len(sizes)})", pytrace=False)
