"""parse_url held against a WHATWG URL parser (ada-url) on a few thousand
URLs built from a table of authority fragments: userinfo with '@' and ':',
backslashes, tabs and newlines, percent-encoded dots and slashes, IPv4 in
unusual radixes, IPv6 with zone ids, ports.  For every URL pool refuses it,
or sends the request where the WHATWG parser says (scheme, host and port;
tests/fuzz/url_differential.py has the property and the fragments, and
fuzzes the same property on arbitrary input).  The same for redirect
Locations resolved against a base URL.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("ada_url")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))
try:
    import url_differential as diff
finally:
    sys.path.pop(0)

URLS = diff.authority_urls(3000, seed=20240)
LOCATIONS = diff.redirect_locations()


def _run(check, inputs):
    kinds: dict[str, list[str]] = {}
    findings = []
    for text in inputs:
        try:
            kinds.setdefault(check(text), []).append(text)
        except diff.Finding as e:
            findings.append(str(e))
    return kinds, findings


def test_generated_urls_refused_or_sent_where_whatwg_says():
    assert len(URLS) >= 5000
    kinds, findings = _run(diff.check_url, URLS)
    assert findings == [], "\n".join(findings[:50])
    # Both outcomes are well represented: the table is neither all refused
    # nor all accepted.
    assert len(kinds["agree"]) >= 1000 and len(kinds["refused"]) >= 1000, {k: len(v) for k, v in kinds.items()}


def test_generated_locations_followed_where_whatwg_says():
    kinds, findings = _run(diff.check_redirect, LOCATIONS)
    assert findings == [], "\n".join(findings)
    assert len(LOCATIONS) >= 2000
    assert len(kinds["agree"]) >= 500 and len(kinds["refused"]) >= 500, {k: len(v) for k, v in kinds.items()}


@pytest.mark.parametrize(
    "url",
    [
        "http://a.com\\@b.com/",
        "http://a@b@c/",
        "http:\\\\b.com/",
        "http:/b.com",
        "http:///b.com",
        "http://a%2eb/",
        "http://a%2fb/",
        "http://%C3%A9.com/",
        "http://127.0.0.1./",
        "http://0x/",
        "http://1.2.3.4.5/",
        "http://foo.1/",
        "http://[::ffff:1.2.3.04]/",
        "http://\u0391\u03a3.com/",
    ],
)
def test_known_differentials_are_refused(url):
    # The classes the property exists for: each must be refused, not merely
    # happen to agree.
    assert diff.check_url(url) == "refused"


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://2130706433/",
        "http://127.1/",
        "http://[::1]:8080/",
        "http://%41.com/",
        "http://user:pass@example.com:8080/",
        "http://a.com:80@b.com/",
        "HTTPS://Example.COM/",
    ],
)
def test_agreeing_urls_are_kept(url):
    assert diff.check_url(url) == "agree"


def test_zone_ids_kept_though_whatwg_refuses_them():
    # urllib3 parity: no parser reads another host out of a zone id.
    assert diff.check_url("http://[fe80::1%25eth0]/") == "whatwg-none"


@pytest.mark.parametrize("url", ["http:\\\\b.com/", "http://%C3%A9.com/", "http://0x/"])
def test_harness_catches_a_differential(url, monkeypatch):
    # The property can fail: with urllib3 2.8's parse_url in pool's place,
    # each of these is a finding.
    import urllib3.util.url as u3

    monkeypatch.setattr(diff.url_mod, "parse_url", u3.parse_url)
    with pytest.raises(diff.Finding):
        diff.check_url(url)


FUZZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz", "url_differential.py")


@pytest.mark.parametrize("mode", ["random", "atheris"])
def test_fuzzer_smoke(mode, tmp_path):
    # A short run of the fuzz script itself, so it keeps working.
    import subprocess

    cmd = [sys.executable, FUZZER, "--runs", "3000"]
    if mode == "random":
        cmd += ["--random", "--seed=7"]
    else:
        pytest.importorskip("atheris")
        seeds = tmp_path / "seeds"
        assert diff.write_seeds(str(seeds)) > 1000
        diff.write_dict(str(tmp_path / "url.dict"))
        cmd += [
            "-seed=1",
            "-max_len=256",
            f"-dict={tmp_path / 'url.dict'}",
            "-max_total_time=25",
            f"-artifact_prefix={tmp_path}/",
            str(seeds),
        ]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=root)
    out = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, out
    assert "Done " in out, out
    assert not any(p.name.startswith(("crash-", "timeout-", "oom-")) for p in tmp_path.iterdir()), out
