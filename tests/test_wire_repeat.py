"""Consecutive responses on one keep-alive connection whose heads repeat in
part: the compiled Reader keeps the strs of its last head (names, values,
reason phrase, by field position) and hands them out again when the bytes
repeat, so every kind of near-repeat must still come back exact: a value or
reason that repeats, changes length, changes only in case or in one byte; a
name that changes case or moves to another position; fewer or more fields;
names, values and reasons too long to be kept; a field repeated in one head.
Both wire implementations, over a 127.0.0.1 TCP connection and a socket
pair, through read_response() and read_head() alike."""

import pytest
from test_wire_reader import _serve_requests, peer

LONG_VALUE = "v" * 80  # past what is kept of a value
LONG_NAME = "X-" + "n" * 70  # past what is kept of a name
LONG_REASON = "A Reason Phrase Longer Than Thirty-Two Bytes"
MANY = [(f"X-F{i:02d}", f"value {i}") for i in range(40)]  # more positions than are kept

BASE = [
    ("Server", "nginx"),
    ("Date", "Thu, 03 Dec 2026 07:00:00 GMT"),
    ("Content-Type", "text/html"),
    ("X-Custom-Name", "abc"),
    ("ETag", '"5f1-1"'),
]

# (status line after the version, fields): the heads in the order they are
# sent on one connection; each one changes something against the one before.
STEPS = [
    ("200 OK", BASE),
    ("200 OK", BASE),  # a whole repeat
    ("200 Okay", [("Server", "nginx/1.25.3"), *BASE[1:3], ("X-Custom-Name", "abcdef"), BASE[4]]),  # longer
    ("200 OK", BASE),  # and back: shorter
    ("200 ok", [BASE[0], ("Date", "Thu, 03 Dec 2026 07:00:01 GMT"), *BASE[2:]]),  # same length, one byte
    ("200 Ok", [("server", "NGINX"), ("DATE", BASE[1][1]), ("content-type", "TEXT/HTML"), *BASE[3:]]),  # case
    ("200 OK", [("x-custom-name", "ABC"), ("Etag", '"5F1-1"'), *BASE[:3]]),  # case and order
    ("200 OK", list(reversed(BASE))),  # order
    ("200 OK", BASE[1:]),  # a field fewer: all positions shift
    ("200 OK", [("X-Extra", "1"), *BASE]),  # one more, at the front
    ("200 OK", [("X-A", "1"), ("X-AB", "12"), ("X-A", "12")]),  # prefixes; a repeated field
    ("200 OK", [("X-AB", "1"), ("X-A", "12"), ("X-A", "1")]),
    ("200 OK", [(LONG_NAME, LONG_VALUE), ("Server", LONG_VALUE)]),
    ("200 OK", [(LONG_NAME, LONG_VALUE), ("Server", LONG_VALUE)]),
    ("200 OK", [(LONG_NAME, LONG_VALUE[:-1] + "w"), ("Server", LONG_VALUE[:-1] + "w")]),
    ("404 " + LONG_REASON, [("Server", ""), ("X-Empty", "")]),
    ("404 " + LONG_REASON, [("Server", ""), ("X-Empty", "")]),
    ("404 " + LONG_REASON[:-1] + "z", [("Server", "x"), ("X-Empty", "")]),
    ("404 ", [("Server", "")]),  # an empty reason
    ("200 OK", MANY),
    ("200 OK", MANY[:35] + [("X-F35", "changed")] + MANY[36:]),
    ("200 OK", MANY[:39]),
    ("200 OK", [("Server", "caf\xe9"), ("X-Latin", "\xe9t\xe9")]),  # latin-1 bytes
    ("200 OK", [("Server", "caf\xe8"), ("X-Latin", "\xe9t\xe9")]),
    ("200 OK", []),  # no fields at all
    ("200 OK", BASE),
]


def _response(status, fields, body):
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    head += f"Content-Length: {len(body)}\r\n\r\n"
    return head.encode("latin-1") + body


def _expected_fields(fields):
    out = {}
    for name, value in fields:
        out.setdefault(name.lower(), [name]).append(value)
    return out


@pytest.mark.parametrize("transport", ["tcp", "pair"])
@pytest.mark.parametrize("method", ["read_response", "read_head", "alternate"])
def test_near_repeats_on_one_connection(wire, transport, method):
    bodies = [b"body %d" % i for i in range(len(STEPS))]
    responses = [_response(s, f, b) for (s, f), b in zip(STEPS, bodies)]
    with peer(transport, _serve_requests(responses)) as sock:
        r = wire.Reader(sock)
        for i, ((status, fields), body) in enumerate(zip(STEPS, bodies)):
            code, _, reason = status.partition(" ")
            sent = [*fields, ("Content-Length", str(len(body)))]
            sock.sendall(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            if method == "read_response" or (method == "alternate" and i % 2):
                got = r.read_response(preload=True)
                assert got == (11, int(code), reason, _expected_fields(sent), body), i
                assert list(got[3].items()) == list(_expected_fields(sent).items()), i
                assert all(type(v) is str for vals in got[3].values() for v in vals), i
            else:
                assert r.read_head() == (11, int(code), reason, sent), i
                assert r.read() == body, i
            assert r.complete and r.reusable, i
