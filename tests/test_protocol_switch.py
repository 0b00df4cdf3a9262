"""101 Switching Protocols: refused unless the request asked for an upgrade.

RFC 9110 §15.2.2: a server may switch protocols only to one the client
offered in an ``Upgrade`` header field.  An unasked 101 ends HTTP/1.1 on the
connection (what follows is another protocol), so pool raises
:class:`UnexpectedProtocolSwitch` (a ``ProtocolError``) and closes the
connection.  urllib3 2.8 returns such an answer as a final response with an
empty body; each case states what urllib3 does in the same run.

When the request did carry ``Upgrade`` (docker-py's attach and exec streams
send ``Connection: Upgrade`` and ``Upgrade: tcp``), the 101 is the answer the
caller asked for: pool returns it, never reuses the connection, and the bytes
after the head, those the Reader already holds first, are read from the
socket stream at ``response._fp.fp.raw``, as on urllib3.

Every case runs for both wire implementations, on pool's own request path
and on the http.client path a subclass that overrides a send hook takes.
"""

from __future__ import annotations

import http.client
import socket

import pytest

from hostile import HostileServer, Pause, impl  # noqa: F401
from pool import HTTPConnectionPool
from pool.connection import HTTPConnection
from pool.exceptions import ProtocolError, UnexpectedProtocolSwitch

SWITCH = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
SECOND = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
ASKED = {"Connection": "Upgrade", "Upgrade": "tcp"}


class HookedConnection(HTTPConnection):
    """Overrides an http.client send hook: requests go through http.client's
    putrequest/putheader/endheaders, as a botocore- or vcrpy-style subclass's."""

    def putheader(self, header, *values):  # type: ignore[no-untyped-def]
        super().putheader(header, *values)


class OwnResponseClass(http.client.HTTPResponse):
    pass


class ResponseClassConnection(HTTPConnection):
    """Replaces response_class: http.client reads the response, as for
    botocore's 100-continue handling."""

    response_class = OwnResponseClass


PATHS = {"own": HTTPConnection, "http.client": HookedConnection, "response_class": ResponseClassConnection}

# (id, method, headers, body, upgrade asked)
REQUESTS = [
    ("get", "GET", None, None, False),
    ("get-with-headers", "GET", {"X-Any": "1"}, None, False),
    ("post", "POST", {"Content-Type": "text/plain"}, b"payload", False),
    ("connection-upgrade-only", "GET", {"Connection": "Upgrade"}, None, False),
    ("asked", "GET", ASKED, None, True),
    ("asked-lowercase", "GET", {"connection": "upgrade", "upgrade": "websocket"}, None, True),
    ("asked-post", "POST", ASKED, b"payload", True),
]
CASES = [(path, *req) for path in PATHS for req in REQUESTS]


def _pool(srv: HostileServer, cls: type) -> HTTPConnectionPool:
    p = HTTPConnectionPool(srv.host, srv.port, maxsize=1, timeout=5, retries=False)
    p.ConnectionCls = cls
    return p


@pytest.mark.parametrize("path,case,method,headers,body,asked", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_101(impl, path, case, method, headers, body, asked):
    after = b"\x00raw stream after the switch\xff"
    with HostileServer([[SWITCH + after[:5], Pause(0.05), after[5:], Pause(0.2)], [SECOND]]) as srv:
        p = _pool(srv, PATHS[path])
        if not asked:
            with pytest.raises(UnexpectedProtocolSwitch) as info:
                p.request(method, "/switch", headers=headers, body=body, preload_content=False)
            assert isinstance(info.value, ProtocolError)
        else:
            r = p.request(method, "/switch", headers=headers, body=body, preload_content=False)
            assert r.status == 101
            assert r.headers["Upgrade"] == "tcp"
            raw = r._fp.fp.raw
            assert isinstance(raw, socket.SocketIO)
            # http.client (a replaced response_class) reads the head through
            # a buffered file, which may hold bytes after the head: there the
            # stream to take over is that file; pool's Reader hands its
            # buffered bytes to the socket stream itself.
            stream = r._fp.fp if path == "response_class" else raw
            read = getattr(stream, "read1", stream.read)
            got = b""
            for _ in range(50):
                if len(got) >= len(after):
                    break
                piece = read(64)
                if not piece:
                    break
                got += piece
            assert got == after, "a byte after the switch was lost"
            r.release_conn()
        # Never reused: the next request opens a new connection.
        assert p.request("GET", "/second").data == b"second"
        assert srv.accepted == 2
        assert srv.requests[0].method == method


@pytest.mark.parametrize("path", PATHS)
def test_asked_101_preloaded_is_an_empty_final_response(impl, path):
    with HostileServer([[SWITCH + b"other protocol"], [SECOND]]) as srv:
        p = _pool(srv, PATHS[path])
        r = p.request("GET", "/switch", headers=ASKED)
        assert (r.status, r.data) == (101, b"")
        assert p.request("GET", "/second").data == b"second"
        assert srv.accepted == 2


@pytest.mark.parametrize("path", PATHS)
def test_an_upgrade_offer_counts_for_its_own_request_only(impl, path):
    # The first request offers an upgrade and the server declines with a
    # 200 on a keep-alive connection; the second request, on that same
    # connection, offers none, so its 101 is refused.
    declined = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno"
    with HostileServer([[declined], [SWITCH + b"junk"]]) as srv:
        p = _pool(srv, PATHS[path])
        assert p.request("GET", "/offer", headers=ASKED).data == b"no"
        with pytest.raises(UnexpectedProtocolSwitch):
            p.request("GET", "/plain")
        assert srv.accepted == 1


def test_step_by_step_request_with_upgrade_header(impl):
    # http.client's own API on a bare connection: putheader("Upgrade", ...)
    # is an offer; without it the 101 is refused.
    for offer, expect_ok in ((True, True), (False, False)):
        with HostileServer([[SWITCH + b"after"]]) as srv:
            conn = HTTPConnection(srv.host, srv.port, timeout=5)
            conn.putrequest("GET", "/switch")
            if offer:
                conn.putheader("Connection", "Upgrade")
                conn.putheader("Upgrade", "tcp")
            conn.endheaders()
            if expect_ok:
                r = conn.getresponse()
                assert r.status == 101
            else:
                with pytest.raises(UnexpectedProtocolSwitch):
                    conn.getresponse()
                assert conn.sock is None
            conn.close()


def test_urllib3_accepts_an_unasked_101():
    # The difference, measured in the same run: urllib3 2.8 hands an unasked
    # 101 back as a final response with an empty body.
    urllib3 = pytest.importorskip("urllib3")
    with HostileServer([[SWITCH + b"junk"]]) as srv:
        p = urllib3.HTTPConnectionPool(srv.host, srv.port, maxsize=1, timeout=5, retries=False)
        r = p.request("GET", "/switch")
        assert (r.status, r.data) == (101, b"")
        p.close()
