"""URL parsing: :func:`parse_url` and the :class:`Url` tuple.

Generic URI syntax per RFC 3986 (§3 components, §3.2.2 hosts, §5.2.4
dot-segment removal, §2.1 percent-encoding), IPv6 zone identifiers per
RFC 6874, internationalised host names per IDNA (RFC 5891).  Results match
urllib3 2.x's ``urllib3.util.url.parse_url``, with stricter rules: for
http, https and scheme-less URLs a host holding whitespace or a control
character is refused (urllib3 keeps it and lets it reach the Host header),
and so is every URL whose host an RFC 3986 parser and a WHATWG (browser)
parser would read differently -- see "Authority confusion" below.

For http(s) and scheme-less URLs the parser also normalises: scheme and host
lower-cased, non-ASCII hosts IDNA-encoded, dot segments removed from the path,
and characters not allowed in a component percent-encoded (so CR, LF and space
in a URL become ``%0D``, ``%0A`` and ``%20`` and can never split a request
line).  Other schemes are split into components without normalisation.

:func:`parse_url` runs on every request, so results for str input are cached
(a bounded LRU; :class:`Url` is an immutable tuple, so sharing is safe).

Authority confusion
-------------------
An allow-list that checks a URL with one parser and a client that connects
with another go wrong exactly where the two disagree about the host (the
SSRF allow-list bypass).  The WHATWG URL Standard, which browsers and many
checkers implement, reads http(s) URLs differently from RFC 3986 (and from
:func:`urllib.parse.urlsplit`) in a few known places.  Where the readings
could differ, pool refuses the URL with :class:`LocationParseError` instead
of picking one:

- a backslash anywhere in the authority (WHATWG ends the authority there,
  RFC 3986 does not): ``http://a.com\\@b.com/`` is a.com to a browser and
  b.com to ``urlsplit``;
- a tab, CR or LF before the host or in it (WHATWG deletes them first, so
  ``http:/``, a tab, ``/h`` has host h); in the userinfo, path, query and fragment
  they are percent-encoded as urllib3 does, which changes no host;
- more than one ``@`` in the authority (parsers split userinfo at the first
  or the last one);
- for http and https, anything but exactly ``//`` between the scheme and a
  host (``http:\\\\h``, ``http:/h``, ``http:///h``, ``http:h``: WHATWG
  finds host h in each, RFC 3986 none);
- a percent-escape in a host other than one of an ASCII letter, digit,
  ``-``, ``_`` or ``~`` (those are decoded, as urllib3 and WHATWG both do):
  ``%2e`` changes the labels, ``%2f``, ``%40``, ``%3a`` become delimiters to
  a decoding parser, and a non-ASCII byte is IDNA-encoded by WHATWG but sent
  as it is by urllib3;
- a host whose last label is a number (WHATWG then reads the whole host as
  IPv4) unless it is an IPv4 address both WHATWG and ``inet_aton()`` read
  the same: ``1.2.3.999``, ``1.2.3.4.5``, ``127.0.0.1.``, ``0x``, ``08``,
  ``foo.123`` are refused, ``0x7f.1`` and ``2130706433`` kept as they are;
- an IPv6 literal whose embedded IPv4 has an octet above 255 or a leading
  zero;
- a label with a word-final capital sigma: :meth:`str.lower` makes it a
  final sigma, browsers a plain one, and the two encode to different names.

URLs on which both parsers agree get urllib3 2.8's result.  IPv6 zone ids
(RFC 6874, ``[fe80::1%25eth0]``) are kept as urllib3 keeps them: WHATWG
refuses them, but no parser reads another host out of them.
"""

from __future__ import annotations

import functools
import re
import typing
from urllib.parse import unquote as _unquote
from urllib.parse import urljoin as _urljoin

from .._cache import BoundedCache
from ..exceptions import LocationParseError
from .util import to_str

__all__ = ["Url", "parse_url"]

# Only these schemes are normalised; a URL without a scheme is taken as http.
_NORMALIZABLE_SCHEMES = ("http", "https", None)

# Cached URL strings.  Enough for the hosts and paths of a busy client; an
# adversary feeding unique URLs only recycles the entries.
_PARSE_CACHE_SIZE = 1024
# Longer URLs are parsed every time instead: a server sending redirects with
# 60 KiB Locations must not make the cache hold 1024 of them (tens of MiB)
# for the life of the process.  Real URLs are far shorter.
_CACHE_MAX_URL_LENGTH = 2048

# A URL "has a scheme" if it starts with one followed by ':' (or is a path);
# anything else ("example.com:80/x") is read as an authority.  '.' is left
# out here, as urllib3 does, so "example.com:80" is not scheme "example.com".
_HAS_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+\-]*:|/")

# RFC 3986 Appendix B, with a scheme that must be a valid one, and '\' ending
# the authority as browsers (WHATWG) do, so "http://evil\@good/" has host
# "evil", not "good".
_SPLIT_RE = re.compile(
    r"(?:([a-zA-Z][a-zA-Z0-9+.\-]*):)?(?://([^\\/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?",
    re.DOTALL,
)

_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
_USERINFO_CHARS = _UNRESERVED | _SUB_DELIMS | {":"}
_PATH_CHARS = _USERINFO_CHARS | {"@", "/"}
_QUERY_CHARS = _FRAGMENT_CHARS = _PATH_CHARS | {"?"}


def _invalid_char_re(allowed: frozenset[str]) -> re.Pattern[str]:
    # Matches the first character that must be encoded ('%' included, since
    # whether it stays depends on the whole component).
    return re.compile("[^" + re.escape("".join(sorted(allowed))) + "]")


_NEEDS_WORK = {
    id(_USERINFO_CHARS): _invalid_char_re(_USERINFO_CHARS),
    id(_PATH_CHARS): _invalid_char_re(_PATH_CHARS),
    id(_QUERY_CHARS): _invalid_char_re(_QUERY_CHARS),
    id(_UNRESERVED): _invalid_char_re(_UNRESERVED),
}

# IPv4 dotted quad as urllib3 recognises it (octets are not range-checked).
# Every IPv4 form socket.connect() accepts, as urllib3 2.8 reads them:
# dotted quads, and hex, octal and decimal parts ("0x7f000001", "0177.1").
# Such a host is an address: no IDNA, no SNI, certificates matched as IPs.
_IPV4_RE = re.compile(r"(?:0[xX][0-9a-fA-F]+|[0-9]+)(?:\.(?:0[xX][0-9a-fA-F]+|[0-9]+)){0,3}\Z")

# RFC 3986 §3.2.2 IPv6address, built from its nine alternatives.
_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = f"(?:{_H16}:{_H16}|(?:[0-9]{{1,3}}\\.){{3}}[0-9]{{1,3}})"
_IPV6_PAT = (
    "(?:"
    + "|".join(
        [
            f"(?:{_H16}:){{6}}{_LS32}",
            f"::(?:{_H16}:){{5}}{_LS32}",
            f"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
            f"(?:(?:{_H16}:)?{_H16})?::(?:{_H16}:){{3}}{_LS32}",
            f"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
            f"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
            f"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
            f"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
            f"(?:(?:{_H16}:){{0,6}}{_H16})?::",
        ]
    )
    + ")"
)
# RFC 6874: "%25" then the zone; a bare "%" is accepted as urllib3 does.
_ZONE_PAT = r"(?:%25|%)(?:[A-Za-z0-9._~\-]|%[0-9A-Fa-f]{2})+"
_IPV6_RE = re.compile(_IPV6_PAT + r"\Z")
# The inside of "[...]": address, then an optional zone (captured).
_IPV6_HOST_RE = re.compile(f"({_IPV6_PAT})({_ZONE_PAT})?" + r"\Z")
# The same without brackets, for is_ipaddress() in ssl_.
_BRACELESS_IPV6_ADDRZ_RE = re.compile(f"{_IPV6_PAT}(?:{_ZONE_PAT})?" + r"\Z")

# reg-name as urllib3 accepts it: anything but "[]%:/?#", plus %XX escapes.
_REG_NAME_RE = re.compile(r"(?:[^\[\]%:/?#]|%[0-9A-Fa-f]{2})*\Z")
# Whitespace and control characters: never part of a host we would send.
_BAD_HOST_CHAR_RE = re.compile(r"[\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")

_TARGET_RE = re.compile(r"(/[^?#]*)(?:\?([^#]*))?(?:#.*)?\Z", re.DOTALL)

# Authority confusion (see the module docstring).  WHATWG's "special"
# schemes among those pool connects to: for them it finds a host after any
# run of '/' and '\' following "scheme:", even an empty one.
_SPECIAL_SCHEMES = ("http", "https")
# That run, with the tabs and newlines WHATWG deletes before parsing.
_LEADING_SLASHES_RE = re.compile(r"[/\\\t\n\r]*")
# The authority as RFC 3986 and urlsplit() delimit it: it ends at '/', '?'
# or '#' only, so it holds all of what WHATWG (and pool) read as the
# authority, which also ends at '\'.
_RFC_AUTHORITY_RE = re.compile(r"//([^/?#]*)")
# A host percent-escape stays decodable only for these (urllib3 and WHATWG
# then agree on the name); '.' is left out: decoded, it changes the labels.
_HOST_DECODABLE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~")
# A label that IDNA made out of a non-ASCII one must be an LDH label (or
# hold '_' or '~', which UTS 46 keeps too): the standard library's IDNA 2003
# codec, used without the idna package, maps e.g. U+FF0F to '/'.
_IDNA_LABEL_RE = re.compile(r"[a-z0-9_~-]+\Z")
# The dotted-quad tail of an IPv6 literal, as WHATWG and inet_pton() read
# it: 0-255, no leading zero.
_IPV6_DOTTED_RE = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\Z"
)

# IDNA 2008 (UTS #46-free, strict), as urllib3 uses it when installed.  Typed
# as Any so the module type-checks the same with or without idna around.
_idna: typing.Any = None
try:
    import idna as _idna_module
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:
    _idna = _idna_module


class _UrlFields(typing.NamedTuple):
    scheme: str | None
    auth: str | None
    host: str | None
    port: int | None
    path: str | None
    query: str | None
    fragment: str | None


class Url(_UrlFields):
    """A parsed URL, as returned by :func:`parse_url`: an immutable named
    tuple ``(scheme, auth, host, port, path, query, fragment)``.

    Fields absent from the URL are ``None``.  A non-empty ``path`` always
    starts with ``/`` and ``scheme`` is lower-cased.
    """

    __slots__ = ()

    def __new__(
        cls,
        scheme: str | None = None,
        auth: str | None = None,
        host: str | None = None,
        port: int | None = None,
        path: str | None = None,
        query: str | None = None,
        fragment: str | None = None,
    ) -> Url:
        if path and path[0] != "/":
            path = "/" + path
        if scheme is not None:
            scheme = scheme.lower()
        return tuple.__new__(cls, (scheme, auth, host, port, path, query, fragment))

    @property
    def auth_decoded(self) -> tuple[None, None] | tuple[str, str | None]:
        """The userinfo as ``(username, password)``, %-escapes decoded as
        UTF-8; ``(None, None)`` without userinfo, a ``None`` password
        without a ":"."""
        if self.auth is None:
            return None, None
        username, sep, password = self.auth.partition(":")
        return _unquote(username, encoding="utf-8"), _unquote(password, encoding="utf-8") if sep else None

    @property
    def auth_decoded_joined(self) -> str | None:
        """``username:password`` decoded (a trailing ":" when there is no
        password), ready for :func:`~pool.util.make_headers`' basic_auth and
        its encoding parameters; None without userinfo."""
        username, password = self.auth_decoded
        if username is None:
            return None
        return f"{username}:{password or ''}"

    @property
    def hostname(self) -> str | None:
        """The host; named as :mod:`urllib.parse` names it."""
        return self.host

    @property
    def request_uri(self) -> str:
        """The origin-form request target: path (``/`` if none) and query."""
        uri = self.path or "/"
        if self.query is not None:
            uri += "?" + self.query
        return uri

    @property
    def authority(self) -> str | None:
        """RFC 3986 §3.2 authority: ``userinfo@host:port`` (parts as present)."""
        netloc = self.netloc
        if netloc is None or self.auth is None:
            return netloc
        return f"{self.auth}@{netloc}"

    @property
    def netloc(self) -> str | None:
        """``host:port`` (port omitted when unset; an explicit 0 kept, as
        urllib3 2.8 keeps it), without userinfo;
        use :attr:`authority` for :mod:`urllib.parse`'s ``netloc``."""
        if self.host is None:
            return None
        if self.port is not None:
            return f"{self.host}:{self.port}"
        return self.host

    @property
    def url(self) -> str:
        """The URL assembled from the fields.

        Round-trips with :func:`parse_url` up to equivalence: e.g. an empty
        port (``host:``) is dropped.  Empty-string fields are kept (``?`` with
        an empty query stays).
        """
        scheme, auth, host, port, path, query, fragment = self
        parts = []
        if scheme is not None:
            parts.append(scheme + "://")
        if auth is not None:
            parts.append(auth + "@")
        if host is not None:
            parts.append(host)
        if port is not None:
            parts.append(":" + str(port))
        if path is not None:
            parts.append(path)
        if query is not None:
            parts.append("?" + query)
        if fragment is not None:
            parts.append("#" + fragment)
        return "".join(parts)

    def __str__(self) -> str:
        return self.url


def _encode_invalid_chars(component: str | None, allowed_chars: frozenset[str]) -> str | None:
    """Percent-encode the characters of *component* not in *allowed_chars*
    (as UTF-8 bytes), keeping existing ``%XX`` escapes (upper-cased) unless a
    stray ``%`` shows the component is not percent-encoded at all, in which
    case every ``%`` becomes ``%25``."""
    if component is None:
        return component
    component = to_str(component)
    finder = _NEEDS_WORK.get(id(allowed_chars))
    if finder is not None and finder.search(component) is None:
        return component  # the common case: nothing to do

    # Upper-case existing escapes and count them.
    component, escapes = _PERCENT_RE.subn(lambda m: m.group(0).upper(), component)
    raw = component.encode("utf-8", "surrogatepass")
    keep_percent = escapes == raw.count(b"%")
    out = []
    for byte in raw:
        ch = chr(byte)
        if (byte < 128 and ch in allowed_chars) or (keep_percent and byte == 0x25):
            out.append(ch)
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _remove_path_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: resolve "." and ".." segments ("/a/./b/../c" is "/a/c");
    ".." never climbs above the root."""
    out: list[str] = []
    for segment in path.split("/"):
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    # An absolute path stays absolute: restore the empty first segment that
    # a ".." may have removed.
    if path.startswith("/") and (not out or out[0]):
        out.insert(0, "")
    # A path ending in a dot segment names a directory: keep a trailing "/".
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out)


def _idna_encode(label: str) -> bytes:
    """One host label as ASCII: lower-cased, IDNA-encoded if not ASCII."""
    if label.isascii():
        label = label.lower()
        return (_PERCENT_RE.sub(_upper, label) if "%" in label else label).encode("ascii")
    lowered = label.lower()
    if "\u03a3" in label and lowered != "".join([c.lower() for c in label]):
        # str.lower() makes a word-final capital sigma a final sigma (U+03C2),
        # UTS 46 (browsers) a plain sigma: two names, two hosts.
        raise LocationParseError(f"Name '{label}' lower-cases to different names in browsers and here")
    try:
        if _idna is not None:
            encoded: bytes = _idna.encode(lowered, strict=True, std3_rules=True)
        else:
            # Without the idna package, the standard library's IDNA 2003 codec.
            encoded = lowered.encode("idna")
    except (UnicodeError, ValueError) as e:
        raise LocationParseError(f"Name '{label}' is not a valid IDNA label") from e
    if not _IDNA_LABEL_RE.match(encoded.decode("ascii")):
        raise LocationParseError(f"Name '{label}' is not a valid IDNA label")
    return encoded


def _normalize_host(host: str | None, scheme: str | None) -> str | None:
    """Lower-case and IDNA-encode *host* for http(s); keep it otherwise.
    Bracketed IPv6 hosts keep their zone id's case (RFC 6874), with the
    "%25" separator decoded to "%"."""
    if not host:
        return host
    bad = _BAD_HOST_CHAR_RE.search(host)
    if bad:
        # Whatever the scheme, and for hosts given on their own (pools,
        # tunnels) too, as urllib3 2.8.
        raise LocationParseError(f"Host {host!r} contains invalid character {bad.group()!r}")
    if scheme not in _NORMALIZABLE_SCHEMES:
        return host
    if host[0] == "[":
        m = _IPV6_HOST_RE.match(host, 1, len(host) - 1)
        if m is None:  # pragma: no cover - guarded by _split_authority
            raise LocationParseError(host)
        address, zone = m.groups()
        if "." in address and not _IPV6_DOTTED_RE.match(address, address.rindex(":") + 1):
            raise LocationParseError(f"Host {host!r} has an IPv4 part that is not a dotted quad")
        if not zone:
            return host.lower()
        if zone.startswith("%25") and zone != "%25":
            zone = zone[3:]
        else:
            zone = zone[1:]
        _PERCENT_RE.sub(functools.partial(_host_octet, host=host, keep_unreserved=False), zone)
        return f"[{address.lower()}%{_encode_invalid_chars(zone, _UNRESERVED)}]"
    if _IPV4_RE.match(host):
        _check_ipv4(host, host)
        return host
    source = host
    if "%" in host:
        # RFC 3986 section 6.2.2.2: escapes of unreserved characters are
        # decoded (but for '.'); any other escape is refused.
        host = _HOST_PERCENT_RE.sub(functools.partial(_host_octet, host=host, keep_unreserved=True), host)
    if host.isascii():
        host = host.lower()
    else:
        host = b".".join([_idna_encode(label) for label in host.split(".")]).decode("ascii")
    _check_ipv4(host, source)
    return host


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 host as the URL Standard reads it: decimal,
    "0x" hex (an empty one is 0) or leading-zero octal; None if not one."""
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
        if not part:
            return 0
    elif len(part) > 1 and part[0] == "0":
        part, base = part[1:], 8
    if not part or not part.isascii() or not part.isalnum():
        return None
    try:
        return int(part, base)
    except ValueError:
        return None


def _check_ipv4(host: str, source: str) -> None:
    """Refuse *host* (normalised from *source*) if its last label is a
    number but the whole is not an IPv4 address that the URL Standard and
    ``inet_aton()`` both read, and read the same.

    WHATWG reads any host ending in a number as IPv4, and fails it when it
    is not one; a resolver reads "1.2.3.999" or "127.0.0.1." as a name to
    look up, and ``inet_aton()`` fails "0x" and a trailing dot, which WHATWG
    takes.  The forms accepted (dotted quads, and 1 to 4 decimal, hex or
    octal parts within range) are read alike by both.
    """
    if ":" in host:  # a bare IPv6 literal given to a pool
        return
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and _ipv4_number(last) is None:
        return  # a name
    if _IPV4_RE.match(host) and len(parts) <= 4:
        numbers = [_ipv4_number(p) for p in parts]
        if None not in numbers:
            *head, tail = typing.cast("list[int]", numbers)
            if all(n <= 255 for n in head) and tail < 256 ** (5 - len(parts)):
                return
    raise LocationParseError(f"Host {source!r} ends in a number but is not an IPv4 address")


_HOST_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}|%")


def _upper(m: re.Match[str]) -> str:
    return m.group(0).upper()


def _host_octet(m: re.Match[str], host: str, keep_unreserved: bool) -> str:
    """One escape in a host or zone id: a control character or a lone '%'
    is refused.  In a host (``keep_unreserved``) an ASCII letter, digit,
    '-', '_' or '~' is decoded and any other escape refused (see the module
    docstring); in a zone id the escape stays, in upper case."""
    escape = m.group(0)
    if escape == "%":
        raise LocationParseError(f"{host!r} is not a valid host")
    octet = chr(int(escape[1:], 16))
    if octet < "\x20" or octet == "\x7f":
        raise LocationParseError(f"Host {host!r} contains invalid percent-encoded control character {escape!r}")
    if not keep_unreserved:
        return escape.upper()
    if octet in _HOST_DECODABLE:
        return octet
    raise LocationParseError(f"Host {host!r} contains percent-encoded {escape!r}, which parsers decode differently")


def _split_authority(authority: str, normalize: bool) -> tuple[str | None, str | None, int | None]:
    """``userinfo@host:port`` into (auth, host, port); raises ValueError."""
    # The last '@' ends the userinfo, so "a@b@c" has host "c" (and userinfo
    # "a@b", which is then percent-encoded to "a%40b").
    auth, _, hostport = authority.rpartition("@")
    bad = _BAD_HOST_CHAR_RE.search(hostport)
    if bad:
        raise LocationParseError(f"Host {hostport!r} contains invalid character {bad.group()!r}")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0 or not _IPV6_HOST_RE.match(hostport, 1, end):
            raise ValueError("invalid IPv6 host")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if rest and rest[0] != ":":
            raise ValueError("junk after IPv6 host")
        port = rest[1:] if rest else None
    else:
        host, sep, port_str = hostport.partition(":")
        port = port_str if sep else None
        if not _REG_NAME_RE.match(host):
            raise ValueError("invalid character in host")
    port_int = None
    if port:  # "" (as in "host:") means no port
        # Digits only, any number of leading zeros; 0-65535.
        if not (port.isascii() and port.isdigit()):
            raise ValueError("port is not a number")
        port_int = int(port)
        if port_int > 65535:
            raise ValueError("port out of range")
    if auth and normalize:
        auth = _encode_invalid_chars(auth, _USERINFO_CHARS)  # type: ignore[assignment]
    return auth or None, host, port_int


def _encode_target(target: str) -> str:
    """Percent-encode a request target that starts with "/" (path and query;
    a fragment is dropped)."""
    match = _TARGET_RE.match(target)
    if not match:
        raise LocationParseError(f"{target!r} is not a valid request URI")
    path, query = match.groups()
    encoded = _encode_invalid_chars(path, _PATH_CHARS)
    if query is not None:
        encoded += "?" + _encode_invalid_chars(query, _QUERY_CHARS)  # type: ignore[operator]
    return encoded  # type: ignore[return-value]


def _check_authority(url: str, scheme: str | None, rest: int) -> None:
    """Refuse *url* where RFC 3986 and WHATWG would read different
    authorities out of it (see the module docstring); ``url[rest:]`` follows
    ``scheme:``, or is all of a scheme-less URL (with "//" put in front)."""
    if scheme in _SPECIAL_SCHEMES:
        end = _LEADING_SLASHES_RE.match(url, rest).end()  # type: ignore[union-attr]
        if url[rest:end] != "//" and end < len(url) and url[end] not in "?#":
            raise LocationParseError(
                f"{url!r}: browsers read a host after {url[rest:end]!r}, RFC 3986 only after exactly '//'"
            )
    m = _RFC_AUTHORITY_RE.match(url, rest)
    if m is None:
        return
    authority = m.group(1)
    if "\\" in authority:
        raise LocationParseError(f"Authority {authority!r} contains a backslash, which parsers read differently")
    if authority.count("@") > 1:
        raise LocationParseError(f"Authority {authority!r} contains more than one '@'")


def _check_redirect_reference(location: str) -> None:
    """Refuse a redirect's *location* when, resolved against the URL that
    answered with it, it would name another host for WHATWG than for RFC 3986
    (:func:`urllib.parse.urljoin`).

    After the optional scheme, WHATWG reads an authority after any run of
    two or more slashes and backslashes, RFC 3986 only after exactly "//":
    ``/\\evil``, ``\\\\evil``, ``///evil`` and ``http:\\\\evil`` are host
    "evil" to a browser and a path on the same host to urljoin().  Both
    first delete tabs and newlines, and leading control characters and
    spaces; so does this check.  Absolute locations are then checked by
    :func:`parse_url` itself.
    """
    cleaned = location.translate(_TAB_NEWLINE).lstrip(_C0_OR_SPACE)
    run = _REFERENCE_SLASHES_RE.match(cleaned).group(1)  # type: ignore[union-attr]
    if len(run) >= 2 and run != "//":
        raise LocationParseError(f"{location!r}: browsers read a host after {run!r}, RFC 3986 only after exactly '//'")


def _resolve_redirect(url: str, location: str) -> str:
    """The URL a redirect from *url* to *location* goes to (RFC 3986
    section 5.2 resolution, by :func:`urllib.parse.urljoin`), or
    :class:`LocationParseError` for a location that a browser would resolve
    to another host, or that ``urljoin()`` cannot read (a bad IPv6 literal
    is a bare ``ValueError`` there)."""
    _check_redirect_reference(location)
    try:
        return _urljoin(url, location)
    except ValueError as e:
        raise LocationParseError(location) from e


_TAB_NEWLINE = {9: None, 10: None, 13: None}
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_REFERENCE_SLASHES_RE = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?([/\\]*)")


def _parse_url(url: str) -> Url:
    source_url = url
    if not _HAS_SCHEME_RE.match(url):
        url = "//" + url
    try:
        match = _SPLIT_RE.match(url)
        scheme, authority, path, query, fragment = match.groups()  # type: ignore[union-attr]
        _check_authority(url, scheme and scheme.lower(), match.end(1) + 1 if scheme else 0)  # type: ignore[union-attr]
        if scheme:
            scheme = scheme.lower()
        normalize = scheme in _NORMALIZABLE_SCHEMES
        if authority:
            auth, host, port = _split_authority(authority, normalize)
        else:
            auth = host = port = None
        host = _normalize_host(host, scheme)
        if normalize:
            if path:
                path = _encode_invalid_chars(_remove_path_dot_segments(path), _PATH_CHARS)
            if query:
                query = _encode_invalid_chars(query, _QUERY_CHARS)
            if fragment:
                fragment = _encode_invalid_chars(fragment, _FRAGMENT_CHARS)
    except LocationParseError:
        # Already says what is wrong with which part, as urllib3's do.
        raise
    except (ValueError, AttributeError) as e:
        raise LocationParseError(source_url) from e

    # urllib3 compatibility: an empty path is "" when a query or fragment
    # follows it, None otherwise.
    if not path:
        path = "" if (query is not None or fragment is not None) else None
    return Url(scheme, auth, host, port, path, query, fragment)


# parse_url's results, by URL (a Url is immutable, so it can be shared):
# a hit costs about 0.25 us, a parse about 20 us.
_URL_CACHE: BoundedCache[str, Url] = BoundedCache(_PARSE_CACHE_SIZE)


def parse_url(url: str) -> Url:
    """Parse *url* into a :class:`Url`; missing components are ``None``.

    Best effort on incomplete input: ``"example.com:80"`` has host and port,
    ``"/foo?bar"`` path and query.  See the module docstring for the
    normalisation applied to http(s) URLs.

    .. code-block:: python

        parse_url("https://user@Example.com:8443/a/../b?q#f")
        # Url(scheme='https', auth='user', host='example.com', port=8443,
        #     path='/b', query='q', fragment='f')

    :raises LocationParseError: for a malformed authority: a port that is not
        a number or above 65535, a bad IPv6 literal, a '%' not starting an
        escape in the host, an invalid IDNA name, or whitespace or a control
        character in an http(s) host.
    """
    if not url:
        return Url()
    if type(url) is str and len(url) <= _CACHE_MAX_URL_LENGTH:
        cached = _URL_CACHE.get(url)
        return cached if cached is not None else _URL_CACHE.put(url, _parse_url(url))
    return _parse_url(url)
