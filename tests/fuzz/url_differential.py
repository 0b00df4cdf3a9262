"""Differential fuzzer of URL parsing: pool's ``parse_url`` against a WHATWG
(browser) URL parser, ada-url.

The property, for any string: pool refuses it (``LocationParseError``), or
pool sends the request where a browser-style parser says the URL goes --
same scheme, same host, same port.  Hosts are compared as the addresses or
names they are: IPv4 forms as ``inet_aton()`` reads them (the resolver's
reading, which is what the socket connects to), IPv6 literals as addresses,
names as lower-case ASCII.  Inputs WHATWG refuses, or in which it finds no
http(s) host, prove nothing about a bypass and are only counted.  A
scheme-less input is read by WHATWG as pool reads it: with ``http://`` in
front, or, when it starts with a slash or backslash, resolved against a
base URL.

A second property holds for redirects: a ``Location`` that PoolManager
follows (``_resolve_redirect``, then ``parse_url``) goes where WHATWG's
resolution of it against the same base goes.

Any other exception from pool, or a pool host of no use to a socket (an
IPv4 form ``inet_aton()`` rejects), is a finding too.

Usage::

    python tests/fuzz/url_differential.py [--runs N] [--random] [libFuzzer flags] [corpus dirs]

With atheris installed it runs coverage-guided (``--runs N`` becomes
libFuzzer's ``-runs=N``; ``-max_total_time=S`` and the other libFuzzer
flags pass through); with ``--random``, or without atheris, it runs N
random inputs spliced from :data:`TOKENS`.  tests/test_url_differential.py
runs the same checks over a deterministic table of authority fragments.
"""

from __future__ import annotations

import ipaddress
import os
import random
import socket
import sys
import typing

import ada_url

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

try:
    import atheris
except ImportError:  # the pytest table and --random need no atheris
    atheris = None

if atheris is not None and __name__ == "__main__":
    # Coverage comes from pool's URL module, the code under test.
    with atheris.instrument_imports(include=["pool.util.url"]):
        from pool.util import url as url_mod
else:
    from pool.util import url as url_mod
from pool.exceptions import LocationParseError  # noqa: E402

DEFAULT_PORTS = {"http": 80, "https": 443}
#: The base URL relative references are resolved against.
BASE = "http://base.invalid/dir/page"


class Finding(AssertionError):
    """pool and WHATWG read a URL's destination differently (or pool failed
    in a way it must not)."""


Dest = typing.Tuple[str, str, int]  # scheme, host (normalised), port


def _whatwg(url: str, base: str | None = None) -> Dest | None:
    """Where a WHATWG parser sends *url* (resolved against *base*), or None
    when it refuses it or finds no http(s) host."""
    try:
        href = ada_url.join_url(base, url) if base is not None else url
        parsed = ada_url.parse_url(href)
    except (ValueError, UnicodeError):
        return None
    scheme = parsed["protocol"].rstrip(":")
    if scheme not in DEFAULT_PORTS or not parsed["hostname"]:
        return None
    host = parsed["hostname"]
    if host.startswith("["):
        host = ipaddress.IPv6Address(host[1:-1]).compressed
    port = int(parsed["port"]) if parsed["port"] else DEFAULT_PORTS[scheme]
    return scheme, host, port


def _pool_dest(u: typing.Any, source: str) -> Dest | None:
    """Where pool connects for a parsed URL, normalised like :func:`_whatwg`;
    None without a host."""
    if u.host is None:
        return None
    scheme = u.scheme or "http"
    host = u.host
    if host.startswith("["):
        address, _, zone = host[1:-1].partition("%")
        host = ipaddress.IPv6Address(address).compressed + ("%" + zone if zone else "")
    elif url_mod._IPV4_RE.match(host):
        try:
            host = socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            raise Finding(f"{source!r}: pool accepts IPv4 host {u.host!r}, which inet_aton() rejects") from None
    port = u.port if u.port is not None else DEFAULT_PORTS.get(scheme, 80)
    return scheme, host, port


def _reference_input(url: str) -> tuple[str, str | None]:
    """The input and base WHATWG gets for *url*, read as pool reads it."""
    cleaned = url.translate({9: None, 10: None, 13: None}).lstrip("".join(map(chr, range(0x21))))
    if cleaned.startswith(("/", "\\")):
        return url, BASE
    if url_mod._HAS_SCHEME_RE.match(url):
        return url, None
    return "http://" + url, None


def check_url(url: str) -> str:
    """Hold ``parse_url(url)`` against WHATWG; return the outcome's kind:
    "refused", "agree", "no-host" (pool: a path), "whatwg-none",
    "other-scheme"."""
    try:
        u = url_mod.parse_url(url)
    except LocationParseError:
        return "refused"
    except Exception as e:  # anything else escaping parse_url is a bug
        raise Finding(f"{url!r}: parse_url raised {type(e).__name__}: {e}") from e
    if u.scheme not in (None, "http", "https"):
        return "other-scheme"  # split, not normalised: pool never connects to it
    mine = _pool_dest(u, url)
    theirs = _whatwg(*_reference_input(url))
    if theirs is None:
        return "whatwg-none"
    if mine is None:
        if url.startswith(("/", "\\")):
            return "no-host"  # a path: no request can be made from it
        raise Finding(f"{url!r}: pool finds no host, WHATWG finds {theirs}")
    if mine != theirs:
        raise Finding(f"{url!r}: pool sends the request to {mine}, WHATWG to {theirs}")
    return "agree"


def check_redirect(location: str, base: str = BASE) -> str:
    """Hold PoolManager's reading of a redirect's *location* against
    WHATWG's resolution of it; return the outcome's kind."""
    try:
        u = url_mod.parse_url(url_mod._resolve_redirect(base, location))
    except LocationParseError:
        return "refused"
    except Exception as e:
        raise Finding(f"Location {location!r}: {type(e).__name__}: {e}") from e
    if u.scheme not in ("http", "https"):
        return "other-scheme"  # PoolManager refuses the redirect
    theirs = _whatwg(location, base)
    if theirs is None:
        return "whatwg-none"
    mine = _pool_dest(u, location)
    if mine is None:
        raise Finding(f"Location {location!r}: pool finds no host, WHATWG finds {theirs}")
    if mine != theirs:
        raise Finding(f"Location {location!r}: pool follows it to {mine}, WHATWG to {theirs}")
    return "agree"


def check(data: bytes) -> None:
    """One fuzz input: as a URL, and as a redirect's Location."""
    text = data.decode("utf-8", "surrogateescape")
    check_url(text)
    check_redirect(text)


# ---------------------------------------------------------------- generator

# The parser-differential classes, as fragments of an http(s) URL.
SCHEMES = ["http:", "https:", "HTTP:", ""]
SEPARATORS = ["//", "/", "///", "////", "\\\\", "/\\", "\\/", "", "/\t/", "//\t", "\n//", "\\"]
USERINFOS = [
    "",
    "user@",
    "user:pass@",
    "a@b@",
    "@",
    ":@",
    "u:p:q@",
    "%40@",
    "a.com@",
    "127.0.0.1:80@",
    "a\\@",
    "u\t@",
    "[::1]@",
    "a%2f@",
    "a b@",
    "a#@",
    "a?@",
    "a/@",
    "u:p@ss@",
    "%2e@",
]
HOSTS = [
    "example.com",
    "EXAMPLE.com",
    "a%2ecom",
    "a%2Ecom%2E",
    "a%2fb",
    "a%40b",
    "a%5cb",
    "a%3ab",
    "a%25b",
    "a%23b",
    "a%3fb",
    "a%20b",
    "%41.com",
    "%65xample.com",
    "%C3%A9.com",
    "%FF.com",
    "\u00e9.com",
    "\uff45.com",
    "127.0.0.1",
    "0x7f.1",
    "0X7F.0.0.1",
    "0177.0.0.1",
    "2130706433",
    "127.1",
    "127.0.1",
    "0x",
    "0x.1",
    "08",
    "09.1",
    "1.2.3.4.5",
    "127.0.0.1.",
    "1.2.3.",
    "256.1.1.1",
    "1.256.1",
    "4294967295",
    "4294967296",
    "0xffffffff",
    "0x100000000",
    "foo.123",
    "foo.0x1",
    "foo.0x",
    "1.2.3.0x",
    "1.2.3.0xg",
    "[::1]",
    "[fe80::1%25eth0]",
    "[fe80::1%eth0]",
    "[::ffff:127.0.0.1]",
    "[::ffff:127.0.0.01]",
    "[::1.2.3.4]",
    "[::1.2.3.256]",
    "[0:0:0:0:0:0:0:1]",
    "[::1]x",
    "[::1",
    "a.com\\b.com",
    "xn--9ca.com",
    "xn--a.com",
    "a_b.com",
    "a~b.com",
    "a<b.com",
    "a|b",
    "a^b",
    'a"b',
    "a{b}",
    "a`b",
    "a*b",
    "ex\tample.com",
    "ex\nample.com",
    "",
    "a..b",
    ".a",
    "a.com.",
    "%31%32%37.0.0.1",
    "\uff11\uff12\uff17.0.0.1",
    "a\u3002b",
    "a\uff0eb",
    "a\uff0fb",
    "a\uff20b",
    "\u0430pple.com",
    "faß.de",
    "a\u200db.com",
    "localhost",
    "\u0391\u03a3.com",
    "\u03a3\u03a3",
    "x\u03a3",
    "\u0130.com",
    "\u1e9e.de",
]
PORTS = ["", ":", ":80", ":8080", ":0080", ":443", ":65535", ":65536", ":8\t0", ":x", ":0", ":+1", ": 80"]
TAILS = ["", "/", "/p", "\\p", "?q", "#f", "\\@b.com/", "#@b.com", "?@b.com", "/@b.com", "@b.com", ":80@b.com/", "\t"]

LOCATION_HEADS = [
    "",
    "/",
    "//",
    "///",
    "\\",
    "\\\\",
    "/\\",
    "\\/",
    "\\\\\\",
    "http:",
    "https:",
    "HTTP:",
    "http:/",
    "http://",
    "http:///",
    "http:\\\\",
    "http:/\\",
    "https:\\\\",
    "https:/",
    "\t/",
    "/\t/",
    " //",
    "\x01//",
    "ftp:",
    "a:",
]
LOCATION_TAILS = ["evil.example/x", "evil.example", "127.0.0.2:8080/x", "a@evil.example/", "x?y#z", "", "%2e%2e/x"]

#: Tokens the random mode splices together (and atheris' dictionary).
TOKENS = sorted(set(SCHEMES + SEPARATORS + USERINFOS + HOSTS + PORTS + TAILS + LOCATION_HEADS) - {""})


def authority_urls(count: int, seed: int = 0) -> list[str]:
    """URLs built from the fragment tables: every userinfo with every host
    (after ``http://``), then *count* random combinations of all parts."""
    urls = [f"http://{u}{h}/" for u in USERINFOS for h in HOSTS]
    urls += [f"http://{h}{p}/" for h in HOSTS for p in PORTS]
    urls += [f"{s}{sep}{h}/" for s in SCHEMES for sep in SEPARATORS for h in HOSTS[:20]]
    rng = random.Random(seed)
    for _ in range(count):
        urls.append(
            rng.choice(SCHEMES)
            + rng.choice(SEPARATORS)
            + rng.choice(USERINFOS)
            + rng.choice(HOSTS)
            + rng.choice(PORTS)
            + rng.choice(TAILS)
        )
    return list(dict.fromkeys(urls))


def redirect_locations() -> list[str]:
    """Locations built from the heads above, each with the tails above and
    with every host of :data:`HOSTS`."""
    locations = [h + t for h in LOCATION_HEADS for t in LOCATION_TAILS]
    locations += [h + host + "/x" for h in LOCATION_HEADS for host in HOSTS]
    return list(dict.fromkeys(locations))


def random_input(rng: random.Random) -> bytes:
    """A random input: tokens and random bytes spliced together."""
    parts = []
    for _ in range(rng.randint(1, 8)):
        r = rng.random()
        if r < 0.75:
            parts.append(rng.choice(TOKENS).encode("utf-8"))
        elif r < 0.9:
            parts.append(bytes([rng.randrange(0x20, 0x7F)]))
        else:
            parts.append(bytes([rng.randrange(256)]))
    return b"".join(parts)


def write_dict(path: str) -> None:
    """Write :data:`TOKENS` in libFuzzer's ``-dict=`` format."""
    with open(path, "w") as f:
        for token in TOKENS:
            f.write('"' + "".join(f"\\x{b:02x}" for b in token.encode("utf-8")) + '"\n')


def write_seeds(directory: str) -> int:
    """Write the generated URLs and Locations as seed inputs; return how many."""
    seeds = authority_urls(0) + redirect_locations()
    os.makedirs(directory, exist_ok=True)
    for i, seed in enumerate(seeds):
        with open(os.path.join(directory, f"seed-{i:05d}"), "wb") as f:
            f.write(seed.encode("utf-8", "surrogateescape"))
    return len(seeds)


def _random_main(runs: int, seed: int) -> None:
    rng = random.Random(seed)
    kinds: dict[str, int] = {}
    for _ in range(runs):
        text = random_input(rng).decode("utf-8", "surrogateescape")
        for name, fn in (("url", check_url), ("location", check_redirect)):
            kind = f"{name} {fn(text)}"
            kinds[kind] = kinds.get(kind, 0) + 1
    print(f"Done {runs} runs (random, seed {seed}): {dict(sorted(kinds.items()))}")


def main(argv: list[str]) -> None:
    runs = None
    use_random = False
    seed = 0
    rest = [argv[0]]
    args = iter(argv[1:])
    for arg in args:
        if arg == "--runs":
            runs = int(next(args))
        elif arg.startswith("--runs="):
            runs = int(arg.split("=", 1)[1])
        elif arg == "--random":
            use_random = True
        elif arg.startswith("--seed="):
            seed = int(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    if use_random or atheris is None:
        _random_main(runs if runs is not None else 100_000, seed)
        return
    if runs is not None:
        rest.append(f"-runs={runs}")
    atheris.Setup(rest, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
