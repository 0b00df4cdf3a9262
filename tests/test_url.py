"""parse_url and Url: a table checked against fixed expectations, the same
table (and more) checked against urllib3's parse_url, the deliberate
deviations, and the cache."""

from __future__ import annotations

import pickle

import pytest

from pool.exceptions import LocationParseError, LocationValueError
from pool.util import url as url_mod
from pool.util.url import Url, parse_url

# (input, (scheme, auth, host, port, path, query, fragment)) -- written out by
# hand, so these hold even without a reference implementation.
EXPECTED = [
    ("http://google.com/mail", ("http", None, "google.com", None, "/mail", None, None)),
    ("http://google.com/mail/", ("http", None, "google.com", None, "/mail/", None, None)),
    ("google.com:80", (None, None, "google.com", 80, None, None, None)),
    ("google.com", (None, None, "google.com", None, None, None, None)),
    ("/foo?bar", (None, None, None, None, "/foo", "bar", None)),
    ("", (None, None, None, None, None, None, None)),
    ("http://google.com?foo", ("http", None, "google.com", None, "", "foo", None)),
    ("http://google.com#bar", ("http", None, "google.com", None, "", None, "bar")),
    ("http://google.com:/", ("http", None, "google.com", None, "/", None, None)),
    ("HtTpS://GoOgLe.CoM:443/MaIl", ("https", None, "google.com", 443, "/MaIl", None, None)),
    ("http://user:pass@host.com:8080/p", ("http", "user:pass", "host.com", 8080, "/p", None, None)),
    # An encoded '@' in the userinfo is no second '@'.
    ("http://a%40b@c/", ("http", "a%40b", "c", None, "/", None, None)),
    # A backslash after the authority is part of the path.
    ("http://good.com/\\@evil.com", ("http", None, "good.com", None, "/%5C@evil.com", None, None)),
    ("http://u%20ser:pa ss@host/", ("http", "u%20ser:pa%20ss", "host", None, "/", None, None)),
    ("http://[::1]:8080/x", ("http", None, "[::1]", 8080, "/x", None, None)),
    ("http://[2001:DB8::1]/", ("http", None, "[2001:db8::1]", None, "/", None, None)),
    # RFC 6874 zone: "%25" decodes to "%", the zone keeps its case.
    ("http://[FE80::1%25EtH0]:80/", ("http", None, "[fe80::1%EtH0]", 80, "/", None, None)),
    ("http://[fe80::1%eth0]/", ("http", None, "[fe80::1%eth0]", None, "/", None, None)),
    ("http://1.2.3.4:65535/", ("http", None, "1.2.3.4", 65535, "/", None, None)),
    ("http://host:00080/", ("http", None, "host", 80, "/", None, None)),
    ("http://host:0/", ("http", None, "host", 0, "/", None, None)),
    ("http://Bücher.Example/", ("http", None, "xn--bcher-kva.example", None, "/", None, None)),
    (
        "http://münchen.de:8080/straße?q=ä#ö",
        ("http", None, "xn--mnchen-3ya.de", 8080, "/stra%C3%9Fe", "q=%C3%A4", "%C3%B6"),
    ),
    ("http://host/a/./b/../c", ("http", None, "host", None, "/a/c", None, None)),
    ("http://host/../../a", ("http", None, "host", None, "/a", None, None)),
    ("http://host/a/b/..", ("http", None, "host", None, "/a/", None, None)),
    ("http://host/a b", ("http", None, "host", None, "/a%20b", None, None)),
    # CR/LF can never reach the request line.
    ("http://host/a\r\nb", ("http", None, "host", None, "/a%0D%0Ab", None, None)),
    ("http://host/p?q\r\nHost: evil", ("http", None, "host", None, "/p", "q%0D%0AHost:%20evil", None)),
    ("http://host/p?%41%2f", ("http", None, "host", None, "/p", "%41%2F", None)),
    # A stray '%' means the component wasn't encoded: every '%' is encoded.
    ("http://host/p?%41%", ("http", None, "host", None, "/p", "%2541%25", None)),
    ("http://host/{}|^`", ("http", None, "host", None, "/%7B%7D%7C%5E%60", None, None)),
    # Other schemes: split only, host case kept, nothing encoded.
    ("ftp://Host.COM/a b", ("ftp", None, "Host.COM", None, "/a b", None, None)),
    ("svn+ssh://Host:22/a/../b", ("svn+ssh", None, "Host", 22, "/a/../b", None, None)),
    ("localhost:8080", ("localhost", None, None, None, "/8080", None, None)),
    ("//host/path", (None, None, "host", None, "/path", None, None)),
    ("http://h/a?b#c?d", ("http", None, "h", None, "/a", "b", "c?d")),
]

# Each must raise LocationParseError (urllib3 agrees on all of them).
BAD = [
    "http://host:65536/",
    "http://host:-1/",
    "http://host:abc/",
    "http://host:123456/",
    "http://host:80:90/",
    "http://host:+80/",
    "http://host: 80/",
    "http://[::1]:65536/",
    "http://[1:2:3:4:5:6:7:8:9]/",
    "http://[::1/",
    "http://[::1]x/",
    "http://[zz::1]/",
    "http://[v1.x]/",
    "http://h%st/",
    "http://ho%zzst/",
    "http://☃.net/",
    "http://a:b:c/",
    "http://[::1]]/",
]

# Compared with urllib3.util.parse_url: results (or LocationParseError) must
# be the same.  Every entry above is included too.
REFERENCE = (
    [
        "http://google.com",
        "http://google.com/",
        "http://",
        "http://google.com/?#",
        "HTTP://GOOGLE.COM/MAIL/",
        "http://user@host",
        "http://@host/",
        "http://:@host/",
        "http://user:p%40ss@host/",
        "http://[::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[fe80::1%25]/",
        "http://[fe80::1%25%41]/",
        "http://[::ffff:1.2.3.4]/",
        "http://[1:2:3:4:5:6:7:8]/",
        "http://1.2.3.4/",
        "http://ü.example/",
        "http://xn--bcher-kva.example/",
        "http://host/a/b/.",
        "http://host/.",
        "http://host/./",
        "http://host/a//b",
        "http://host/%2e%2e/x",
        "http://host/p#frag ment",
        "http://host/p?%zz",
        "http://host/%7e",
        "http://host/~user",
        "http://host/ä?ä#ä",
        "http://host/\x00",
        "http://host/\u2028",
        "http://host/[x]",
        "https://host/'\"<>",
        "mailto:User@Example.COM",
        "file:///etc/passwd",
        "file://localhost/x",
        "data:text/plain,hi",
        "urn:isbn:123",
        "localhost",
        "127.0.0.1:80",
        "a.b:80/x",
        "///path",
        "http:",
        "http:/",
        "http:///",
        "http:?q",
        "HTTP://[::1]",
        "http://h%41st/",
        "http://H%7e%2D/",
        "http://h%00st/",
        "http://h%7Fst/",
        "http://h%st/",
        "http://[fe80::1%25eth%00]/",
        "http://[fe80::1%25Eth%2f0]/",
        "http://host#",
        "http://host?",
        "http://host/?",
        "http://a.b.c./",
        "http://.a/",
        "http://a..b/",
        "http://host:",
        "http://[::1]:/",
        "http://[::1]:0/",
        "http://user:pass@[::1]:80/",
        "http://a_b.com/",
        "http://A_B.COM/",
        "https://example.com:443/path;params?q=1&r=2#f",
        "http://example.com/%E2%82%AC",
        "http://example.com/€",
        "http://example.com/?a=%",
        "http://[::1%25lo]:8000/",
        "http://\u0430pple.com/",
        "http://host:8080?x",
        "http://host:8080#x",
        "HTTPS://USER:PASS@HOST/",
        "http://h/a?b?c",
        "http://h/a#b#c",
        "/\\host",
        "http://host/\\path",
        "ws://Host/",
        "git+ssh://Host/repo",
        "http://1.2.3.255/",
        "http://h/a/%2E/b",
        "http://us\ner@host/",
        "http://xn--/",
        "http://*.example.com/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://2130706433/",
        "http://127.1/",
        "http://1.2.3.0x4/",
        "http://a.com:80@b.com/",
        "http://a.com#@b.com/",
        "http://a.com?@b.com/",
        "http://u\t@host/",
    ]
    + [u for u, _ in EXPECTED]
    + BAD
)

# Refused on purpose, where urllib3 2.8 parses them: an RFC 3986 parser and
# a WHATWG (browser) parser would read different hosts out of each
# (tests/test_url_authority.py has the table, with where each would go).
REFUSED_UNLIKE_URLLIB3 = [
    "http://evil.com\\@good.com/x",
    "http://user:p@ss@host/",
    "http://a@b@c/",
    "http:foo",
    "http:/foo",
    "http:////x",
    "http://h%2fSt/",
    "\\\\host\\share",
    "http://host\\path",
    "http://1.2.3.999/",
    "http://a%2ecom/",
    "http://%C3%A9.com/",
    "http://127.0.0.1./",
    "http://0x/",
    "http://foo.123/",
    "http://[::ffff:1.2.3.04]/",
    "\\host",
]


def _outcome(parse, url):
    try:
        return tuple(parse(url))
    except LocationParseError:
        return "LocationParseError"


@pytest.mark.parametrize("url, expected", EXPECTED, ids=[repr(u) for u, _ in EXPECTED])
def test_parse_url_expected(url, expected):
    parsed = parse_url(url)
    assert isinstance(parsed, Url)
    assert tuple(parsed) == expected


@pytest.mark.parametrize("url", BAD, ids=repr)
def test_parse_url_rejects(url):
    import urllib3

    with pytest.raises(LocationParseError) as info:
        parse_url(url)
    assert isinstance(info.value, LocationValueError)
    try:
        urllib3.util.parse_url(url)
    except urllib3.exceptions.LocationParseError as e:
        # urllib3 2.8's words for a bad host are kept (other parts: the URL).
        if e.location.startswith("Host "):
            assert info.value.location == e.location


def test_reference_table_is_large():
    assert len(set(REFERENCE)) >= 60
    assert not set(REFERENCE) & set(REFUSED_UNLIKE_URLLIB3)


@pytest.mark.parametrize("url", REFUSED_UNLIKE_URLLIB3, ids=repr)
def test_authority_confusion_refused_unlike_urllib3(url):
    urllib3_url = pytest.importorskip("urllib3.util.url")
    with pytest.raises(LocationParseError):
        parse_url(url)
    urllib3_url.parse_url(url)  # a deliberate difference: urllib3 accepts it


@pytest.mark.parametrize("url", REFERENCE, ids=repr)
def test_parse_url_matches_urllib3(url):
    urllib3_url = pytest.importorskip("urllib3.util.url")
    from urllib3.exceptions import LocationParseError as U3LocationParseError

    try:
        expected = tuple(urllib3_url.parse_url(url))
    except U3LocationParseError:
        expected = "LocationParseError"
    assert _outcome(parse_url, url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://exa mple.com/", "http://exa\r\nmple.com/", "http://host\t/", "https://a\x00b/", "exa mple.com"],
    ids=repr,
)
def test_whitespace_in_host_refused(url):
    # Deliberately stricter than urllib3, which keeps such hosts and lets them
    # reach the Host header.
    with pytest.raises(LocationParseError):
        parse_url(url)


@pytest.mark.parametrize("url", ["http://host:80\n/", "http://[::1]\n/", "example.com:\n"], ids=repr)
def test_trailing_newline_in_authority_refused(url):
    # urllib3's host regex ends in '$', which also matches before a final
    # newline, so it silently drops the newline; we refuse the URL.
    with pytest.raises(LocationParseError):
        parse_url(url)


def test_host_with_space_is_refused_for_every_scheme():
    # As urllib3 2.8 does: a space or control character is never part of a
    # host, whatever the scheme.
    for url in ("ftp://Exa mple/", "redis://h\tst/", "http://h st/"):
        with pytest.raises(LocationParseError, match="contains invalid character"):
            parse_url(url)


def test_idna_error_is_location_parse_error():
    with pytest.raises(LocationParseError):
        parse_url("http://\u2603\u2603.example/")


def test_url_properties():
    u = Url("HTTP", "user:pw", "example.com", 8080, "index", "a=1", "top")
    assert u.scheme == "http"
    assert u.path == "/index"
    assert u.hostname == "example.com"
    assert u.request_uri == "/index?a=1"
    assert u.netloc == "example.com:8080"
    assert u.authority == "user:pw@example.com:8080"
    assert u.url == "http://user:pw@example.com:8080/index?a=1#top"
    assert str(u) == u.url
    assert Url().url == ""
    assert Url(host="h").request_uri == "/"
    assert Url(host="h", port=0).netloc == "h:0"  # kept, as urllib3 2.8
    assert Url(path="/p").netloc is None and Url(path="/p").authority is None
    assert Url("http", host="h", query="").url == "http://h?"


@pytest.mark.parametrize("url", ["http://google.com/mail/", "http://u:p@[::1]:80/a?b#c", "/foo?bar", "google.com:80"])
def test_round_trip(url):
    assert parse_url(url).url == url
    assert parse_url(parse_url(url).url) == parse_url(url)


def test_url_is_immutable_and_picklable():
    u = parse_url("https://example.com/x")
    with pytest.raises(AttributeError):
        u.host = "other"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(u)) == u
    assert u._replace(port=1).port == 1


def test_parse_url_is_cached_and_bounded():
    url = "https://cached.example/path?x=1"
    assert parse_url(url) is parse_url(url)
    assert 0 < url_mod._URL_CACHE.maxsize <= 4096
    # Errors are not cached: they raise every time.
    for _ in range(2):
        with pytest.raises(LocationParseError):
            parse_url("http://host:99999/")


def test_parse_url_non_str():
    with pytest.raises(TypeError):
        parse_url(b"http://example.com/")  # type: ignore[arg-type]


def test_encode_target():
    assert url_mod._encode_target("/a b?c d#e") == "/a%20b?c%20d"
    with pytest.raises(LocationParseError):
        url_mod._encode_target("no-slash")
