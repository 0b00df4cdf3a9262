"""Multipart fields and bodies, byte for byte against urllib3's output."""

import warnings

import pytest
import urllib3.fields as u3fields
import urllib3.filepost as u3filepost

from pool import fields, filepost
from pool.fields import RequestField, format_multipart_header_param, guess_content_type


@pytest.mark.parametrize(
    "filename, expected",
    [
        ("a.txt", "text/plain"),
        ("x.png", "image/png"),
        ("noext", "application/octet-stream"),
        (None, "application/octet-stream"),
        ("", "application/octet-stream"),
    ],
)
def test_guess_content_type(filename, expected):
    assert guess_content_type(filename) == expected
    assert guess_content_type(filename) == u3fields.guess_content_type(filename)


def test_guess_content_type_default():
    assert guess_content_type("noext", default="x/y") == "x/y"


@pytest.mark.parametrize(
    "value",
    ["plain", 'quo"te', "line\nbreak\r", "snow \u2603", "tab\there", b"bytes \xe2\x98\x83", "back\\slash", ""],
)
def test_format_multipart_header_param(value):
    assert format_multipart_header_param("name", value) == u3fields.format_multipart_header_param("name", value)


def test_format_multipart_header_param_escapes():
    assert format_multipart_header_param("filename", 'a"b\r\nc') == 'filename="a%22b%0D%0Ac"'


@pytest.mark.parametrize("fn", ["format_header_param_html5", "format_header_param", "format_header_param_rfc2231"])
@pytest.mark.parametrize("value", ["ascii", "snow \u2603", 'q"'])
def test_deprecated_formatters_warn_and_match(fn, value):
    with pytest.warns(FutureWarning):
        ours = getattr(fields, fn)("filename", value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(u3fields, fn)("filename", value)
    assert ours == theirs


@pytest.mark.parametrize(
    "name, value",
    [
        ("plain", "value"),
        ("file", ("report.txt", b"contents")),
        ("typed", ("img.bin", b"\x00\x01", "image/jpeg")),
        ("unicode \u2603", ("f\u00fcr.txt", "d\u00e4ta")),
        ("quoted", ('we"ird\nname.txt', "x")),
    ],
)
def test_request_field_from_tuples_matches(name, value):
    ours = RequestField.from_tuples(name, value)
    theirs = u3fields.RequestField.from_tuples(name, value)
    assert ours.render_headers() == theirs.render_headers()
    assert ours.headers == theirs.headers
    assert ours.data == theirs.data


def test_render_headers_order_and_empty_values():
    f = RequestField("n", "d", headers={"X-Extra": "1", "Content-Type": "text/plain", "X-Empty": ""})
    f.make_multipart(content_location="/loc")
    assert f.render_headers() == (
        'Content-Disposition: form-data; name="n"\r\nContent-Location: /loc\r\nX-Extra: 1\r\n\r\n'
    )


def test_make_multipart_custom_disposition():
    f = RequestField("n", "d", filename="f.txt")
    f.make_multipart(content_disposition="attachment", content_type="text/csv")
    assert f.headers["Content-Disposition"] == 'attachment; name="n"; filename="f.txt"'
    assert f.headers["Content-Type"] == "text/csv"


def test_header_formatter_is_deprecated_but_used():
    with pytest.warns(FutureWarning):
        f = RequestField("n", "d", header_formatter=lambda k, v: f"{k}=<{v}>")
    f.make_multipart()
    assert f.headers["Content-Disposition"] == "form-data; name=<n>"
    assert f._render_parts({"a": "1", "b": None}) == "a=<1>"


FIELD_SETS = [
    {"k": "v", "file": ("a.txt", b"\x00binary\xff")},
    [("k", "v1"), ("k", "v2"), ("n", 5)],
    [("u", "\u2603"), ("t", ("t.json", '{"a": 1}', "application/json"))],
    {},
]


@pytest.mark.parametrize("flds", FIELD_SETS)
def test_encode_multipart_matches_urllib3(flds):
    ours = filepost.encode_multipart_formdata(flds, boundary="BOUNDARY")
    theirs = u3filepost.encode_multipart_formdata(flds, boundary="BOUNDARY")
    assert ours == theirs


def test_encode_multipart_layout():
    body, ctype = filepost.encode_multipart_formdata([("a", "1"), RequestField("b", b"2")], boundary="xyz")
    assert ctype == "multipart/form-data; boundary=xyz"
    # RequestField built by hand has no headers: only the blank line precedes the data.
    assert body == (b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz\r\n\r\n2\r\n--xyz--\r\n')


def test_choose_boundary_is_random_hex():
    a, b = filepost.choose_boundary(), filepost.choose_boundary()
    assert a != b and len(a) == 32 and int(a, 16) >= 0


def test_random_boundary_used():
    body, ctype = filepost.encode_multipart_formdata({"a": "b"})
    boundary = ctype.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())


def test_iter_field_objects_kinds():
    rf = RequestField("x", "y")
    out = list(filepost.iter_field_objects([rf, ("a", "b")]))
    assert out[0] is rf and out[1]._name == "a"
    assert [f._name for f in filepost.iter_field_objects({"p": "q", "r": "s"})] == ["p", "r"]
