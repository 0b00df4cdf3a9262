"""URL parsing: :func:`parse_url` and the :class:`Url` tuple.

Generic URI syntax per RFC 3986 (§3 components, §3.2.2 hosts, §5.2.4
dot-segment removal, §2.1 percent-encoding), IPv6 zone identifiers per
RFC 6874, internationalised host names per IDNA (RFC 5891).  Results match
urllib3 2.x's ``urllib3.util.url.parse_url``, with one stricter rule: for
http, https and scheme-less URLs a host holding whitespace or a control
character is refused (urllib3 keeps it and lets it reach the Host header).

For http(s) and scheme-less URLs the parser also normalises: scheme and host
lower-cased, non-ASCII hosts IDNA-encoded, dot segments removed from the path,
and characters not allowed in a component percent-encoded (so CR, LF and space
in a URL become ``%0D``, ``%0A`` and ``%20`` and can never split a request
line).  Other schemes are split into components without normalisation.

:func:`parse_url` runs on every request, so results for str input are cached
(a bounded LRU; :class:`Url` is an immutable tuple, so sharing is safe).
"""

from __future__ import annotations

import functools
import re
import typing
from urllib.parse import unquote as _unquote

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
_IPV6_PAT = "(?:" + "|".join(
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
) + ")"
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
    try:
        if _idna is not None:
            encoded: bytes = _idna.encode(label.lower(), strict=True, std3_rules=True)
            return encoded
        # Without the idna package, the standard library's IDNA 2003 codec.
        return label.lower().encode("idna")
    except (UnicodeError, ValueError) as e:
        raise LocationParseError(f"Name '{label}' is not a valid IDNA label") from e


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
        if not zone:
            return host.lower()
        if zone.startswith("%25") and zone != "%25":
            zone = zone[3:]
        else:
            zone = zone[1:]
        _PERCENT_RE.sub(functools.partial(_host_octet, host=host, keep_unreserved=False), zone)
        return f"[{address.lower()}%{_encode_invalid_chars(zone, _UNRESERVED)}]"
    if _IPV4_RE.match(host):
        return host
    if "%" in host:
        # RFC 3986 section 6.2.2.2: escapes of unreserved characters are
        # decoded, the others kept with upper-case hex (lowered with the
        # rest of the name below, then raised again).
        host = _HOST_PERCENT_RE.sub(functools.partial(_host_octet, host=host, keep_unreserved=True), host)
    if host.isascii():
        host = host.lower()
        return _PERCENT_RE.sub(_upper, host) if "%" in host else host
    return b".".join([_idna_encode(label) for label in host.split(".")]).decode("ascii")


_HOST_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}|%")


def _upper(m: re.Match[str]) -> str:
    return m.group(0).upper()


def _host_octet(m: re.Match[str], host: str, keep_unreserved: bool) -> str:
    """One escape in a host or zone id: a control character or a lone '%'
    is refused; an unreserved character is decoded when ``keep_unreserved``;
    any other escape stays, in upper case."""
    escape = m.group(0)
    if escape == "%":
        raise LocationParseError(f"{host!r} is not a valid host")
    octet = chr(int(escape[1:], 16))
    if octet < "\x20" or octet == "\x7f":
        raise LocationParseError(f"Host {host!r} contains invalid percent-encoded control character {escape!r}")
    if keep_unreserved and octet in _UNRESERVED:
        return octet
    return escape.upper()


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


def _parse_url(url: str) -> Url:
    source_url = url
    if not _HAS_SCHEME_RE.match(url):
        url = "//" + url
    try:
        scheme, authority, path, query, fragment = _SPLIT_RE.match(url).groups()  # type: ignore[union-attr]
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


_parse_url_cached = functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)(_parse_url)


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
        return _parse_url_cached(url)
    return _parse_url(url)
