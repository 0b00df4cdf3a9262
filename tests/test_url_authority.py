"""Authority confusion: where each URL's request goes, for pool, urllib3 2.8
and a browser-style (WHATWG) parser.

An allow-list that checks a URL with one parser and a client that connects
with another are bypassed exactly where the two read different hosts (the
classic SSRF allow-list bypass).  pool refuses, with ``LocationParseError``,
every URL on which an RFC 3986 reading and a WHATWG reading disagree about
the host (pool.util.url's module docstring lists the classes); on the rest
it sends the request where urllib3 2.8 does.

One table, ``ROWS``.  Each row: a name, the URL (``{a}`` and ``{b}`` stand
for the ports of two loopback servers, A on 127.0.0.1 and B on 127.0.0.2),
then where the request goes for pool, for urllib3 2.8 and for a WHATWG
parser, and whether pool differs from urllib3 on purpose.  A destination is
``(host, port)`` as ``parse_url`` gives them (port ``"a"``/``"b"``: that
server's port), or ``REFUSED`` (``LocationParseError``), ``NO_HOST``
(parsed, but without a host: no request can be made) or, for WHATWG,
``INVALID`` (the URL is refused).  A scheme-less URL is read by WHATWG as
pool reads it: ``http://`` put in front, or, when it starts with a slash or
backslash, resolved against ``http://base.invalid/`` (tabs and newlines
aside, which WHATWG deletes first).

For each row:

- pool's ``parse_url`` and ``PoolManager().connection_from_url`` give the
  destination of the pool column, or raise ``LocationParseError``;
- a refused URL, requested with ``PoolManager().request``, raises
  ``LocationParseError`` and neither server sees a connection;
- an accepted URL that names A or B is requested for real, and the server
  named (and only it) answers;
- urllib3 2.8, in the same run, parses the URL as its column says and, when
  that names A or B, its request really lands there (so each deliberate
  difference shows where urllib3 would have sent the request);
- the WHATWG column is checked against ada-url (a WHATWG URL parser) when it
  is installed.
"""

from __future__ import annotations

import socket
import typing
import warnings

import pytest
from hostile import HostileServer, response

from pool import PoolManager
from pool.exceptions import LocationParseError
from pool.util.url import parse_url

REFUSED = "refused"
NO_HOST = "no host"
INVALID = "invalid"
DELIBERATE = "deliberate"  # pool refuses where urllib3 2.8 sends the request
SAME = ""

A = ("127.0.0.1", "a")
B = ("127.0.0.2", "b")

Dest = typing.Union[str, typing.Tuple[str, typing.Union[int, str, None]]]

# name, URL, pool, urllib3 2.8, WHATWG, deliberate?
ROWS: list[tuple[str, str, Dest, Dest, Dest, str]] = [
    # --- userinfo with '@' and ':' -------------------------------------
    ("userinfo-looks-like-host-port", "http://127.0.0.1:{a}@127.0.0.2:{b}/", B, B, B, SAME),
    ("userinfo-user-pass", "http://user:pass@127.0.0.2:{b}/", B, B, B, SAME),
    ("userinfo-encoded-at", "http://%40@127.0.0.2:{b}/", B, B, B, SAME),
    ("userinfo-ipv6-looking", "http://[::1]@127.0.0.2:{b}/", B, B, B, SAME),
    ("userinfo-semicolon", "http://127.0.0.1:{a};@127.0.0.2:{b}/", B, B, B, SAME),
    ("userinfo-space-ampersand", "http://127.0.0.1 &@127.0.0.2:{b}# @127.0.0.3/", B, B, B, SAME),
    ("fragment-before-at", "http://127.0.0.1:{a}#@127.0.0.2:{b}/", A, A, A, SAME),
    ("query-before-at", "http://127.0.0.1:{a}?@127.0.0.2:{b}/", A, A, A, SAME),
    ("encoded-at-in-port", "http://127.0.0.1:{a}%40127.0.0.2:{b}/", REFUSED, REFUSED, INVALID, SAME),
    ("two-at-signs", "http://127.0.0.1@127.0.0.1@127.0.0.2:{b}/", REFUSED, B, B, DELIBERATE),
    ("two-at-signs-with-port", "http://u:p@127.0.0.1:{a}@127.0.0.2:{b}/", REFUSED, B, B, DELIBERATE),
    ("two-at-signs-names", "http://a@b@c.example/", REFUSED, ("c.example", None), ("c.example", None), DELIBERATE),
    ("at-in-password", "http://user:p@ss@127.0.0.2:{b}/", REFUSED, B, B, DELIBERATE),
    # --- backslashes ----------------------------------------------------
    ("backslash-then-at", "http://127.0.0.1:{a}\\@127.0.0.2:{b}/", REFUSED, A, A, DELIBERATE),
    ("backslash-names", "http://a.example\\@b.example/", REFUSED, ("a.example", None), ("a.example", None), DELIBERATE),
    ("two-backslashes", "http://127.0.0.1:{a}\\\\127.0.0.2:{b}/", REFUSED, A, A, DELIBERATE),
    ("trailing-backslash", "http://127.0.0.1:{a}\\", REFUSED, A, A, DELIBERATE),
    ("backslash-first", "http://\\127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("scheme-backslashes", "http:\\\\127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("scheme-slash-backslash", "http:/\\127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("scheme-backslash-slash", "http:\\/127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("scheme-less-backslash-then-at", "127.0.0.1:{a}\\@127.0.0.2:{b}/", REFUSED, A, A, DELIBERATE),
    ("backslash-in-path", "http://127.0.0.1:{a}/\\127.0.0.2:{b}/", A, A, A, SAME),
    # --- tabs and newlines (WHATWG deletes them before parsing) ---------
    ("tab-in-userinfo", "http://127.0.0.1:{a}\t@127.0.0.2:{b}/", B, B, B, SAME),
    ("tab-in-host", "http://127.0.0.\t2:{b}/", REFUSED, REFUSED, B, SAME),
    ("tab-between-slashes", "http:/\t/127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("tab-before-slashes", "http:\t//127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("tab-after-slashes", "http://\t127.0.0.2:{b}/", REFUSED, REFUSED, B, SAME),
    ("tab-in-scheme", "ht\ttp://127.0.0.2:{b}/", REFUSED, REFUSED, B, SAME),
    ("newline-after-port", "http://127.0.0.1:{a}\n", REFUSED, REFUSED, A, SAME),
    ("tab-in-path", "http://127.0.0.2:{b}/\t", B, B, B, SAME),
    ("crlf-in-path", "http://127.0.0.1:{a}/\r\nHost: 127.0.0.2", A, A, A, SAME),
    # --- percent-encoded characters in hosts ----------------------------
    ("encoded-dot", "http://127%2e0.0.2:{b}/", REFUSED, B, B, DELIBERATE),
    ("encoded-slash-in-userinfo", "http://127.0.0.2%2f@127.0.0.1:{a}/", A, A, A, SAME),
    (
        "encoded-slash",
        "http://127.0.0.1%2f.127.0.0.2:{b}/",
        REFUSED,
        ("127.0.0.1%2F.127.0.0.2", "b"),
        INVALID,
        DELIBERATE,
    ),
    ("encoded-at", "http://127.0.0.1%40127.0.0.2:{b}/", REFUSED, ("127.0.0.1%40127.0.0.2", "b"), INVALID, DELIBERATE),
    (
        "encoded-backslash",
        "http://127.0.0.1%5c.127.0.0.2:{b}/",
        REFUSED,
        ("127.0.0.1%5C.127.0.0.2", "b"),
        INVALID,
        DELIBERATE,
    ),
    ("encoded-colon", "http://127.0.0.1%3a{b}/", REFUSED, ("127.0.0.1%3A{b}", None), INVALID, DELIBERATE),
    ("encoded-hash", "http://127.0.0.1%23.127.0.0.2/", REFUSED, ("127.0.0.1%23.127.0.0.2", None), INVALID, DELIBERATE),
    (
        "encoded-names",
        "http://good.example%2f.evil.example/",
        REFUSED,
        ("good.example%2F.evil.example", None),
        INVALID,
        DELIBERATE,
    ),
    (
        "encoded-utf8",
        "http://%C3%A9.example/",
        REFUSED,
        ("%C3%A9.example", None),
        ("xn--9ca.example", None),
        DELIBERATE,
    ),
    ("encoded-digits", "http://%31%32%37.0.0.2:{b}/", B, B, B, SAME),
    (
        "encoded-letter",
        "http://%65xample.com/",
        ("example.com", None),
        ("example.com", None),
        ("example.com", None),
        SAME,
    ),
    (
        "idna",
        "http://\u00e9.example/",
        ("xn--9ca.example", None),
        ("xn--9ca.example", None),
        ("xn--9ca.example", None),
        SAME,
    ),
    (
        "idna-final-capital-sigma",
        "http://\u0391\u03a3.example/",
        REFUSED,
        ("xn--mxa8a.example", None),
        ("xn--mxa0b.example", None),
        DELIBERATE,
    ),
    (
        "idna-capital-sigma-inside",
        "http://\u03a3\u0391.example/",
        ("xn--mxa9a.example", None),
        ("xn--mxa9a.example", None),
        ("xn--mxa9a.example", None),
        SAME,
    ),
    ("fullwidth-letters", "http://\uff21\uff22\uff23.example/", REFUSED, REFUSED, ("abc.example", None), SAME),
    ("fullwidth-digits", "http://\uff11\uff12\uff17.0.0.2:{b}/", REFUSED, REFUSED, B, SAME),
    ("ideographic-full-stop", "http://127\u30020.0.2:{b}/", REFUSED, REFUSED, B, SAME),
    # --- IPv4 in unusual radixes ----------------------------------------
    ("ipv4-hex-part", "http://0x7f.0.0.2:{b}/", ("0x7f.0.0.2", "b"), ("0x7f.0.0.2", "b"), B, SAME),
    ("ipv4-upper-hex-part", "http://0X7F.0.0.2:{b}/", ("0X7F.0.0.2", "b"), ("0X7F.0.0.2", "b"), B, SAME),
    ("ipv4-octal-part", "http://0177.0.0.2:{b}/", ("0177.0.0.2", "b"), ("0177.0.0.2", "b"), B, SAME),
    ("ipv4-decimal", "http://2130706434:{b}/", ("2130706434", "b"), ("2130706434", "b"), B, SAME),
    ("ipv4-hex", "http://0x7f000002:{b}/", ("0x7f000002", "b"), ("0x7f000002", "b"), B, SAME),
    ("ipv4-two-parts", "http://127.2:{b}/", ("127.2", "b"), ("127.2", "b"), B, SAME),
    ("ipv4-three-parts", "http://127.0.2:{b}/", ("127.0.2", "b"), ("127.0.2", "b"), B, SAME),
    ("ipv4-hex-last-part", "http://127.0.0.0x2:{b}/", ("127.0.0.0x2", "b"), ("127.0.0.0x2", "b"), B, SAME),
    ("ipv4-trailing-dot", "http://127.0.0.2.:{b}/", REFUSED, ("127.0.0.2.", "b"), B, DELIBERATE),
    ("ipv4-empty-hex", "http://0x:{a}/", REFUSED, ("0x", "a"), ("0.0.0.0", "a"), DELIBERATE),
    (
        "ipv4-empty-hex-last-part",
        "http://127.0.0.0x:{a}/",
        REFUSED,
        ("127.0.0.0x", "a"),
        ("127.0.0.0", "a"),
        DELIBERATE,
    ),
    ("ipv4-bad-octal", "http://127.0.0.08:{a}/", REFUSED, ("127.0.0.08", "a"), INVALID, DELIBERATE),
    ("ipv4-octet-over-255", "http://127.0.0.256:{a}/", REFUSED, ("127.0.0.256", "a"), INVALID, DELIBERATE),
    ("ipv4-five-parts", "http://1.2.3.4.5/", REFUSED, ("1.2.3.4.5", None), INVALID, DELIBERATE),
    ("ipv4-over-32-bits", "http://4294967296/", REFUSED, ("4294967296", None), INVALID, DELIBERATE),
    (
        "ipv4-all-ones-hex",
        "http://0xffffffff/",
        ("0xffffffff", None),
        ("0xffffffff", None),
        ("255.255.255.255", None),
        SAME,
    ),
    ("name-ending-in-number", "http://foo.127/", REFUSED, ("foo.127", None), INVALID, DELIBERATE),
    (
        "name-starting-with-ipv4",
        "http://127.0.0.1.example/",
        ("127.0.0.1.example", None),
        ("127.0.0.1.example", None),
        ("127.0.0.1.example", None),
        SAME,
    ),
    # --- IPv6 and zone ids ----------------------------------------------
    ("ipv6", "http://[::1]:{a}/", ("[::1]", "a"), ("[::1]", "a"), ("[::1]", "a"), SAME),
    (
        "ipv6-zone-rfc6874",
        "http://[fe80::1%25eth0]/",
        ("[fe80::1%eth0]", None),
        ("[fe80::1%eth0]", None),
        INVALID,
        SAME,
    ),
    (
        "ipv6-zone-bare-percent",
        "http://[fe80::1%eth0]/",
        ("[fe80::1%eth0]", None),
        ("[fe80::1%eth0]", None),
        INVALID,
        SAME,
    ),
    (
        "ipv6-zone-encoded-slash",
        "http://[fe80::1%25%2F127.0.0.2]/",
        ("[fe80::1%%2F127.0.0.2]", None),
        ("[fe80::1%%2F127.0.0.2]", None),
        INVALID,
        SAME,
    ),
    ("ipv6-zone-at", "http://[::1%25@127.0.0.2]/", REFUSED, REFUSED, INVALID, SAME),
    (
        "ipv6-mapped-ipv4",
        "http://[::ffff:127.0.0.2]:{b}/",
        ("[::ffff:127.0.0.2]", "b"),
        ("[::ffff:127.0.0.2]", "b"),
        ("[::ffff:7f00:2]", "b"),
        SAME,
    ),
    (
        "ipv6-mapped-leading-zero",
        "http://[::ffff:127.0.0.02]/",
        REFUSED,
        ("[::ffff:127.0.0.02]", None),
        INVALID,
        DELIBERATE,
    ),
    (
        "ipv6-mapped-over-255",
        "http://[::ffff:127.0.0.256]/",
        REFUSED,
        ("[::ffff:127.0.0.256]", None),
        INVALID,
        DELIBERATE,
    ),
    ("ipv6-after-userinfo", "http://127.0.0.2:{b}@[::1]/", ("[::1]", None), ("[::1]", None), ("[::1]", None), SAME),
    # --- slashes between the scheme and the host ------------------------
    ("no-slashes", "http:127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("one-slash", "http:/127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("three-slashes", "http:///127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("four-slashes", "http:////127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("other-scheme-no-slashes", "https:127.0.0.2:{b}/", REFUSED, NO_HOST, B, DELIBERATE),
    ("no-host-after-three-slashes", "http:///", NO_HOST, NO_HOST, INVALID, SAME),
    ("scheme-relative", "//127.0.0.2:{b}/", B, B, B, SAME),
    ("upper-case-scheme", "HTTP://127.0.0.2:{b}/", B, B, B, SAME),
    # --- ports ----------------------------------------------------------
    ("two-ports", "http://127.0.0.2:{b}:{a}/", REFUSED, REFUSED, INVALID, SAME),
    ("port-leading-zero", "http://127.0.0.2:0{b}/", B, B, B, SAME),
]

IDS = [row[0] for row in ROWS]


def _dest(value: Dest, servers: dict[str, HostileServer]) -> Dest:
    """A table destination with the servers' real ports filled in."""
    if isinstance(value, str):
        return value
    host, port = value
    host = host.format(a=servers["a"].port, b=servers["b"].port)
    if isinstance(port, str):
        port = servers[port].port
    return (host, port)


def _server_for(dest: Dest, servers: dict[str, HostileServer]) -> HostileServer | None:
    """The loopback server a destination reaches, if any: its host read as
    the resolver reads IPv4 forms (inet_aton), its port one of theirs."""
    if isinstance(dest, str) or dest[1] is None:
        return None
    host, port = dest
    try:
        address = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None
    for server in servers.values():
        if (server.host, server.port) == (address, port):
            return server
    return None


def _outcome(parse: typing.Callable[[str], typing.Any], url: str, error: type[BaseException]) -> Dest:
    try:
        u = parse(url)
    except error:
        return REFUSED
    return NO_HOST if u.host is None else (u.host, u.port)


@pytest.fixture(scope="module")
def servers():
    with HostileServer(lambda req: [response(b"A")], host="127.0.0.1") as a:
        with HostileServer(lambda req: [response(b"B")], host="127.0.0.2") as b:
            yield {"a": a, "b": b}


def _accepted(servers: dict[str, HostileServer]) -> dict[str, int]:
    return {name: s.accepted for name, s in servers.items()}


def _request(manager_cls: typing.Any, url: str) -> typing.Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scheme-less URLs warn (FutureWarning), as in urllib3
        pm = manager_cls(timeout=3, retries=False)
        try:
            return pm.request("GET", url)
        finally:
            pm.clear()


def test_table_is_consistent():
    assert len(set(IDS)) == len(IDS)
    for name, _, pool_dest, urllib3_dest, _, mark in ROWS:
        # A row is marked deliberate exactly when pool differs from urllib3,
        # and every deliberate difference is a refusal.
        assert (mark == DELIBERATE) == (pool_dest != urllib3_dest), name
        if mark == DELIBERATE:
            assert pool_dest == REFUSED, name


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_pool_destination(row, servers):
    _, template, pool_dest, _, _, _ = row
    url = template.format(a=servers["a"].port, b=servers["b"].port)
    want = _dest(pool_dest, servers)
    assert _outcome(parse_url, url, LocationParseError) == want

    pm = PoolManager()
    before = _accepted(servers)
    if want == REFUSED:
        with pytest.raises(LocationParseError):
            pm.connection_from_url(url)
        with pytest.raises(LocationParseError):
            _request(PoolManager, url)
        assert _accepted(servers) == before, "a refused URL made a connection"
        return
    if want == NO_HOST:
        return
    host, port = want
    pool = pm.connection_from_url(url)
    assert pool.host == host.strip("[]")
    assert pool.port == (port if port is not None else (443 if url.lower().startswith("https:") else 80))
    server = _server_for(want, servers)
    if server is None:
        return  # not a loopback server: no real request
    r = _request(PoolManager, url)
    assert r.status == 200
    assert r.data == (b"A" if server is servers["a"] else b"B")
    after = _accepted(servers)
    for name, s in servers.items():
        assert after[name] - before[name] == (1 if s is server else 0)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_urllib3_destination(row, servers):
    # What urllib3 2.8 does with the same URL, in the same run.
    urllib3 = pytest.importorskip("urllib3")
    assert urllib3.__version__ == "2.8.0"
    _, template, _, urllib3_dest, _, _ = row
    url = template.format(a=servers["a"].port, b=servers["b"].port)
    want = _dest(urllib3_dest, servers)
    assert _outcome(urllib3.util.parse_url, url, urllib3.exceptions.LocationParseError) == want
    server = _server_for(want, servers)
    if server is None:
        return
    before = _accepted(servers)
    r = _request(urllib3.PoolManager, url)
    assert r.data == (b"A" if server is servers["a"] else b"B")
    after = _accepted(servers)
    for name, s in servers.items():
        assert after[name] - before[name] == (1 if s is server else 0)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_whatwg_destination(row):
    ada_url = pytest.importorskip("ada_url")
    _, template, _, _, whatwg_dest, _ = row
    ports = {"a": 5001, "b": 5002}
    url = template.format(**ports)
    # WHATWG deletes tabs and newlines first, so they decide nothing here.
    cleaned = url.replace("\t", "").replace("\n", "").replace("\r", "")
    if cleaned.startswith(("/", "\\")):
        reference = ("join", "http://base.invalid/", url)
    elif cleaned.lower().startswith(("http:", "https:")):
        reference = ("parse", url)
    else:
        reference = ("parse", "http://" + url)
    try:
        if reference[0] == "join":
            parsed = ada_url.parse_url(ada_url.join_url(reference[1], reference[2]))
        else:
            parsed = ada_url.parse_url(reference[1])
    except ValueError:
        got: Dest = INVALID
    else:
        got = (parsed["hostname"], int(parsed["port"]) if parsed["port"] else None)
    if isinstance(whatwg_dest, tuple):
        host, port = whatwg_dest
        whatwg_dest = (host.format(**ports), ports.get(port, port) if isinstance(port, str) else port)
    assert got == whatwg_dest
