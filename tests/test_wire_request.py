"""serialize_request: the request head in one bytes object (RFC 9112
sections 3 and 5), and every refusal, for both wire implementations."""

import collections

import pytest

from pool import exceptions


def test_simple(wire):
    out = wire.serialize_request("GET", "/", {"Host": "example.com", "Accept": "*/*"})
    assert out == b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
    assert type(out) is bytes


def test_no_headers(wire):
    assert wire.serialize_request("OPTIONS", "*", {}) == b"OPTIONS * HTTP/1.1\r\n\r\n"
    assert wire.serialize_request("GET", "/", []) == b"GET / HTTP/1.1\r\n\r\n"


def test_pair_list_keeps_order_and_duplicates(wire):
    headers = [("Host", "h"), ("Cookie", "a=1"), ("cookie", "b=2"), ("X-Z", "z")]
    assert wire.serialize_request("POST", "/p?q=1", headers) == (
        b"POST /p?q=1 HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\ncookie: b=2\r\nX-Z: z\r\n\r\n"
    )


def test_tuple_and_generator_inputs(wire):
    expected = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n"
    assert wire.serialize_request("GET", "/", (("A", "1"), ("B", "2"))) == expected
    assert wire.serialize_request("GET", "/", ((k, v) for k, v in [("A", "1"), ("B", "2")])) == expected


class _Items:
    """A mapping-like object whose items() yields repeated names, as a
    multi-valued header dict does."""

    def items(self):
        return [("Set", "1"), ("Set", "2")]


def test_mapping_inputs(wire):
    expected = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n"
    assert wire.serialize_request("GET", "/", collections.OrderedDict([("A", "1"), ("B", "2")])) == expected
    assert wire.serialize_request("GET", "/", _Items()) == b"GET / HTTP/1.1\r\nSet: 1\r\nSet: 2\r\n\r\n"


def test_bytes_and_int_values(wire):
    out = wire.serialize_request("PUT", "/u", [(b"Content-Length", 42), ("X-Raw", b"\xff\x80 ok"), ("N", 0)])
    assert out == b"PUT /u HTTP/1.1\r\nContent-Length: 42\r\nX-Raw: \xff\x80 ok\r\nN: 0\r\n\r\n"


def test_latin1_values_and_tabs(wire):
    out = wire.serialize_request("GET", "/", {"X": "caf\xe9\tau lait", "Empty": ""})
    assert out == b"GET / HTTP/1.1\r\nX: caf\xe9\tau lait\r\nEmpty: \r\n\r\n"


def test_targets(wire):
    for target in ["http://example.com:8080/a?b=c#d", "example.com:443", "/%20a~!$&'()*+,;=:@"]:
        assert wire.serialize_request("GET", target, {}) == b"GET " + target.encode() + b" HTTP/1.1\r\n\r\n"


def test_token_methods(wire):
    for method in ["PATCH", "M-SEARCH", "x!#$%&'*+.^_`|~9"]:
        assert wire.serialize_request(method, "/", {}).startswith(method.encode() + b" / ")


@pytest.mark.parametrize("method", ["", "GE T", "GET\r\n", "GET\n", "G\x00T", "G\tT", "GÉT", "GET/", "G(T", "\u0100"])
def test_bad_method(wire, method):
    with pytest.raises(exceptions.InvalidMethod):
        wire.serialize_request(method, "/", {})


@pytest.mark.parametrize(
    "target", ["", "/a b", "/a\r\nX: y", "/\n", "/\r", "/\x00", "/\x01", "/\x7f", "/\x1f", "/caf\xe9", "/\u20ac", "/\t"]
)
def test_bad_target(wire, target):
    with pytest.raises(exceptions.InvalidRequestTarget):
        wire.serialize_request("GET", target, {})


@pytest.mark.parametrize(
    "name", ["", "X Y", "X:Y", "X\r\n", "X\n", "X\x00", "X\t", "X\xe9", "X\u0100", "(X)", b"X Y", b"", b"X\r"]
)
def test_bad_header_name(wire, name):
    with pytest.raises(exceptions.InvalidRequestHeader):
        wire.serialize_request("GET", "/", [(name, "v")])


@pytest.mark.parametrize(
    "value",
    [
        "a\rb",
        "a\nb",
        "a\r\nX-Injected: 1",
        "a\x00",
        "\x01",
        "\x1f",
        "a\x7f",
        "\x0b",
        "\u0100",
        "\u20ac",
        "\U0001f600",
        b"a\r\nb",
        b"\x00",
        b"\x7f",
    ],
)
def test_bad_header_value(wire, value):
    with pytest.raises(exceptions.InvalidRequestHeader):
        wire.serialize_request("GET", "/", [("X", value)])


def test_refusal_is_also_invalid_header_and_value_error(wire):
    with pytest.raises(exceptions.InvalidHeader):
        wire.serialize_request("GET", "/", {"X": "a\nb"})
    with pytest.raises(ValueError):
        wire.serialize_request("GET", "/", {"X": "a\nb"})
    with pytest.raises(exceptions.LocationValueError):
        wire.serialize_request("GET", "/a b", {})


@pytest.mark.parametrize("value", [1.5, None, ["a"], object()])
def test_bad_value_types(wire, value):
    with pytest.raises(TypeError):
        wire.serialize_request("GET", "/", [("X", value)])


@pytest.mark.parametrize("name", [1, None, 2.0])
def test_bad_name_types(wire, name):
    with pytest.raises(TypeError):
        wire.serialize_request("GET", "/", [(name, "v")])


def test_bad_method_and_target_types(wire):
    with pytest.raises(TypeError):
        wire.serialize_request(None, "/", {})
    with pytest.raises(TypeError):
        wire.serialize_request("GET", None, {})


def test_nothing_produced_on_late_refusal(wire):
    """A bad header after good ones refuses the whole head."""
    headers = [("Host", "h")] * 50 + [("Bad", "x\r\ny")]
    with pytest.raises(exceptions.InvalidRequestHeader):
        wire.serialize_request("GET", "/", headers)


def test_large_head(wire):
    headers = [("X-%d" % i, "v" * 100) for i in range(200)]
    out = wire.serialize_request("GET", "/", headers)
    assert out.count(b"\r\n") == 202
    assert len(out) == len(b"GET / HTTP/1.1\r\n") + sum(len(n) + 2 + 100 + 2 for n, _ in headers) + 2


def test_matches_what_the_parser_would_accept(wire):
    """Names and values that pass serialize_request are valid field lines."""
    out = wire.serialize_request("GET", "/", {"A": "x\ty \xff", "B": ""})
    parser = wire.HeadParser()
    assert parser.feed(b"HTTP/1.1 200 OK\r\n" + out.split(b"\r\n", 1)[1]) > 0
    assert parser.headers == [("A", "x\ty \xff"), ("B", "")]


@pytest.mark.parametrize("value", [None, 1.5, object()])
@pytest.mark.parametrize("name", ["X Y", b"X Y", "", "X\u0100"])
def test_name_refused_before_the_value_type(wire, name, value):
    """A field's name is refused before its value's type is looked at."""
    with pytest.raises(exceptions.InvalidRequestHeader):
        wire.serialize_request("GET", "/", [(name, value)])


_REFUSALS = [
    (None, "/", {}),
    ("GE T", "/", {}),
    ("GE T", None, {}),
    ("G\u0100T", "/a b", {}),
    ("GET", 1, {}),
    ("GET", "/a b", [("X", None)]),
    ("GET", "/\u20ac", {}),
    ("GET", "/", [(1, "v")]),
    ("GET", "/", [(bytearray(b"X"), "v")]),
    ("GET", "/", [("X Y", "v")]),
    ("GET", "/", [(b"X Y", "v")]),
    ("GET", "/", [(b"X Y", None)]),
    ("GET", "/", [("X", None)]),
    ("GET", "/", [("X", 1.5)]),
    ("GET", "/", [("X", "a\r\nb")]),
    ("GET", "/", [(b"X", b"a\r\nb")]),
    ("GET", "/", [("X", "\u20ac")]),
    ("GET", "/", [("A", "1"), ("X", "\x00")]),
]


@pytest.mark.parametrize("args", _REFUSALS, ids=repr)
def test_refusals_identical_in_both(args):
    """The compiled core and its twin refuse with the same class and the
    same message."""
    import os

    if os.environ.get("POOL_NO_EXTENSIONS"):
        pytest.skip("POOL_NO_EXTENSIONS is set: the compiled core is not under test")
    c = pytest.importorskip("pool._wire_c")
    from pool import _wire_py as py

    outcomes = []
    for mod in (c, py):
        with pytest.raises(Exception) as info:
            mod.serialize_request(*args)
        outcomes.append((type(info.value), str(info.value)))
    assert outcomes[0] == outcomes[1]
