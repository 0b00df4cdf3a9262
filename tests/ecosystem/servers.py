"""Local fake servers for the ecosystem scripts, built on tests/httpserver.py.

``Server`` (TCP on 127.0.0.1) and ``UnixServer`` (a UNIX socket) parse
requests by hand and record them; handlers answer with a normal response or
write to the socket themselves.  ``send_chunked`` writes a chunked response
one chunk at a time with pauses between them, so that a client sees the body
arrive piecemeal, as from a real streaming API (logs, watches, progress).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import socket
import typing

from httpserver import CLOSE, RAW, Request, Server  # noqa: F401  (re-exported)

#: Socket timeout of every fake server (the clients' own timeouts are lower
#: or equal, so a stuck client is reported by the client side first).
SERVER_TIMEOUT = 10.0


class UnixServer(Server):
    """``Server`` listening on a UNIX socket at ``path`` instead of TCP."""

    thread_name = "unixserver"

    def __init__(self, path: str, handler: typing.Callable[[Request], typing.Any]) -> None:
        super().__init__(handler)
        self._listener.close()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(16)
        listener.settimeout(0.5)
        self._listener = listener
        self.path = path
        self.port = 0


def json_reply(
    doc: typing.Any, status: int = 200, headers: list[tuple[str, str]] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """A JSON response for a handler to return."""
    return status, [("Content-Type", "application/json"), *(headers or [])], json.dumps(doc).encode()


def send_chunked(
    req: Request,
    chunks: typing.Iterable[bytes],
    headers: list[tuple[str, str]] | None = None,
    status: str = "200 OK",
    pause: float = 0.05,
) -> typing.Any:
    """Answer ``req`` with a chunked body, one chunk per write, ``pause``
    seconds apart, then the last chunk; returns RAW (the connection stays
    open), or CLOSE if the client went away or the server is stopping."""
    head = [f"HTTP/1.1 {status}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers or []]
    try:
        req.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        for chunk in chunks:
            if req.stop.wait(pause):
                return CLOSE
            req.sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if req.stop.wait(pause):
            return CLOSE
        req.sock.sendall(b"0\r\n\r\n")
    except OSError:
        return CLOSE
    return RAW


def random_bytes(n: int, seed: int) -> bytes:
    """``n`` reproducible bytes (an object's content)."""
    return random.Random(seed).randbytes(n)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_moto() -> tuple[typing.Any, str]:
    """moto's S3 server on 127.0.0.1 (an ephemeral port), started; returns
    (server, endpoint URL).  Imported here so only the scripts that use it
    pay for moto."""
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request moto serves.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"
