"""requests' common paths, run against local servers, on urllib3 or on pool.

Usage::

    python requests_script.py urllib3|pool [SCENARIO...]   # JSON results on stdout
    python requests_script.py urllib3|pool --bench N URL   # N small GETs of URL, GETs/s

With ``pool``, ``pool.install_as_urllib3()`` runs before requests is
imported; the ``backend`` scenario then shows that requests really runs on
pool (a silent fallback to urllib3 fails the tests).  tests/test_requests.py
runs every scenario once per backend and compares.  Each scenario returns a
JSON-able value free of ports and random boundaries, or its exception's class
name, so the two runs compare as values.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import traceback
import typing
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
BACKEND = sys.argv[1] if len(sys.argv) > 1 else "urllib3"
if BACKEND == "pool":
    import pool

    _install = getattr(pool, "install_as_urllib3", None)
    if _install is None:
        from pool._install import install_as_urllib3 as _install
    _install()
elif BACKEND != "urllib3":
    raise SystemExit(f"unknown backend {BACKEND!r}")

import requests  # noqa: E402
import urllib3  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from requests.auth import HTTPDigestAuth  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

if BACKEND == "pool":
    # A silent fallback to the real urllib3 must not pass for pool.
    import pool.poolmanager  # noqa: E402
    from pool._version import URLLIB3_API_VERSION  # noqa: E402

    assert requests.adapters.PoolManager is pool.poolmanager.PoolManager, "requests is not on pool"
    assert urllib3.__version__ == URLLIB3_API_VERSION, urllib3.__version__
else:
    assert "pool" not in sys.modules and requests.adapters.PoolManager.__module__ == "urllib3.poolmanager"

import httpserver  # noqa: E402
from httpserver import CLOSE, RAW, Request, Server  # noqa: E402

GZ_BODY = b"line one\nline two\n" * 40
LINES_CHUNKS = [b"alpha\nbe", b"ta\n", b"\ngam", b"ma\r\ndelta"]
DIGEST = {"realm": "pool-test", "nonce": "0123456789abcdef", "user": "user", "password": "pass"}


def _digest_ok(req: Request) -> bool:
    # RFC 7616 with qop=auth and MD5: recompute the client's response.
    header = req.header("Authorization") or ""
    if not header.startswith("Digest "):
        return False
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{DIGEST['user']}:{DIGEST['realm']}:{DIGEST['password']}")
    ha2 = md5(f"{req.method}:{fields.get('uri')}")
    want = md5(f"{ha1}:{DIGEST['nonce']}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}")
    return fields.get("response") == want and fields.get("username") == DIGEST["user"]


def handler(req: Request) -> typing.Any:
    """Routes beyond httpserver's built-in ones."""
    path, q = req.path, req.query
    if path == "/cookies/set":
        return 200, [("Set-Cookie", f"{k}={v}; Path=/") for k, v in sorted(q.items())], b"set"
    if path == "/cookies/redirect":
        return 302, [("Location", "/echo"), ("Set-Cookie", "session=abc; Path=/")], b""
    if path == "/digest":
        if _digest_ok(req):
            return 200, [], b"digest ok"
        challenge = f'Digest realm="{DIGEST["realm"]}", nonce="{DIGEST["nonce"]}", qop="auth", algorithm=MD5'
        return 401, [("WWW-Authenticate", challenge)], b"who are you"
    if path == "/gzip":
        return 200, [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")], gzip.compress(GZ_BODY)
    if path == "/lines":
        raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        raw += b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in LINES_CHUNKS) + b"0\r\n\r\n"
        req.sock.sendall(raw)
        return RAW
    if path == "/big":
        return 200, [], b"x" * int(q.get("n", "1000"))
    if path == "/peercert":
        cert = req.sock.getpeercert() if isinstance(req.sock, ssl.SSLSocket) else None
        subject = dict(x[0] for x in cert["subject"]) if cert else {}
        return 200, [], json.dumps(subject).encode()
    if path == "/cl-te":
        req.sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        )
        return CLOSE
    if req.target.startswith("http://"):
        # Acting as a forward proxy: say what arrived.
        body = json.dumps({"proxied": req.target.split("/", 3)[-1], "auth": req.header("Proxy-Authorization")})
        return 200, [], body.encode()
    return None


class World:
    """The servers every scenario may use, started once."""

    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="reqs-")
        tls = httpserver.tls_contexts(Path(self.tmp))
        self.ca_file = tls["ca_file"]
        client = tls["ca"].issue_cert("client@pool.test", common_name="pool client")
        self.client_pem = os.path.join(self.tmp, "client.pem")
        client.private_key_and_cert_chain_pem.write_to_path(self.client_pem)
        self.client_cert = os.path.join(self.tmp, "client-cert.pem")
        self.client_key = os.path.join(self.tmp, "client-key.pem")
        client.cert_chain_pems[0].write_to_path(self.client_cert)
        client.private_key_pem.write_to_path(self.client_key)
        mtls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls["cert"].configure_cert(mtls_ctx)
        tls["ca"].configure_trust(mtls_ctx)
        mtls_ctx.verify_mode = ssl.CERT_REQUIRED

        self.http = Server(handler)
        self.http2 = Server(handler)
        self.https = Server(handler, ssl_context=tls["server_ctx"])
        self.mtls = Server(handler, ssl_context=mtls_ctx)
        self.proxy = Server(handler)
        self.servers = [self.http, self.http2, self.https, self.mtls, self.proxy]
        for s in self.servers:
            s.start()
        # A listener whose accept queue is full: connecting to it times out.
        self.full = socket.socket()
        self.full.bind(("127.0.0.1", 0))
        self.full.listen(0)
        self.full_port = self.full.getsockname()[1]
        self.fillers = []
        for _ in range(4):
            f = socket.socket()
            f.settimeout(0.2)
            try:
                f.connect(("127.0.0.1", self.full_port))
            except OSError:
                pass
            self.fillers.append(f)

    def url(self, path: str, server: Server | None = None) -> str:
        return (server or self.http).url(path)

    def close(self) -> None:
        for s in self.servers:
            s.stop()
        for f in [*self.fillers, self.full]:
            f.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _refused_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}/"


def _echo(r: requests.Response) -> dict[str, typing.Any]:
    doc = r.json()
    doc["headers"] = sorted([k.lower(), v] for k, v in doc["headers"] if k.lower() != "host")
    return doc


def _conn_count(w: World, server: Server | None = None) -> int:
    return (server or w.http).connections_accepted


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    r = requests.get(w.url("/id?id=b"))
    return {
        "poolmanager": requests.adapters.PoolManager.__module__,
        "raw": type(r.raw).__module__ + "." + type(r.raw).__name__,
        "version": urllib3.__version__,
        "packages_alias": requests.packages.urllib3 is sys.modules["urllib3"],
        "retry": requests.adapters.Retry.__module__,
        "pool_imported": "pool" in sys.modules,
    }


def s_session_keepalive(w: World) -> typing.Any:
    before = _conn_count(w)
    with requests.Session() as s:
        ids = [s.get(w.url("/conn")).text for _ in range(5)]
        s.get(w.url("/id?id=other", w.http2))
        pools = len(s.get_adapter(w.url("/")).poolmanager.pools)
    return {"distinct_conns": len(set(ids)), "opened": _conn_count(w) - before, "pools": pools}


def s_session_close_unread_stream(w: World) -> typing.Any:
    with requests.Session() as s:
        first = s.get(w.url("/conn")).text
        r = s.get(w.url("/big?n=200000"), stream=True)
        r.raw.read(10)
        r.close()
        after = s.get(w.url("/conn")).text
    return {"reused_after_close": first == after}


def s_params(w: World) -> typing.Any:
    r = requests.get(w.url("/echo"), params={"a": "1", "b": ["x", "y"], "c": "é ü", "d": ""})
    return _echo(r)["target"]


def s_data_form(w: World) -> typing.Any:
    return _echo(requests.post(w.url("/echo"), data={"k": "v", "list": ["1", "2"], "sp": "a b&c"}))


def s_data_bytes(w: World) -> typing.Any:
    return _echo(requests.put(w.url("/echo"), data=b"\x00\x01raw bytes\xff"))


def s_data_generator(w: World) -> typing.Any:
    def gen() -> typing.Iterator[bytes]:
        yield b"part1-"
        yield b"part2-"
        yield b"part3"

    return _echo(requests.post(w.url("/echo"), data=gen()))


def s_data_file(w: World) -> typing.Any:
    path = os.path.join(w.tmp, "upload.bin")
    with open(path, "wb") as f:
        f.write(b"0123456789" * 1000)
    with open(path, "rb") as f:
        doc = _echo(requests.post(w.url("/echo"), data=f))
    doc["body"] = [len(doc["body"]), doc["body"][:20]]
    return doc


def s_json(w: World) -> typing.Any:
    return _echo(requests.post(w.url("/echo"), json={"a": [1, 2, {"b": None}], "u": "é"}))


def s_files(w: World) -> typing.Any:
    files = {"f": ("a.txt", b"file content", "text/plain"), "g": ("b.bin", io.BytesIO(b"\x00\x01"))}
    doc = _echo(requests.post(w.url("/echo"), files=files, data={"k": "v"}))
    ctype = dict(doc["headers"])["content-type"]
    boundary = ctype.split("boundary=")[1]
    doc["body"] = doc["body"].replace(boundary, "BOUNDARY")
    doc["headers"] = [[k, v.replace(boundary, "BOUNDARY")] for k, v in doc["headers"]]
    return doc


def s_headers(w: World) -> typing.Any:
    return _echo(requests.get(w.url("/echo"), headers={"X-One": "1", "Accept": "text/plain"}))


def s_head_and_status(w: World) -> typing.Any:
    h = requests.head(w.url("/id?id=h"))
    r = requests.get(w.url("/status?code=404"))
    try:
        r.raise_for_status()
        raised = None
    except requests.HTTPError as e:
        raised = type(e).__name__
    return {"head": [h.status_code, h.content, h.headers.get("X-Id")], "404": [r.status_code, r.reason, raised]}


def s_stream_iter_content(w: World) -> typing.Any:
    with requests.Session() as s:
        first = s.get(w.url("/conn")).text
        r = s.get(w.url("/chunked?n=5"), stream=True)
        pieces = list(r.iter_content(chunk_size=4))
        again = s.get(w.url("/conn")).text
    return {"joined": b"".join(pieces).decode(), "max": max(map(len, pieces)), "reused": first == again}


def s_stream_iter_lines(w: World) -> typing.Any:
    r = requests.get(w.url("/lines"), stream=True)
    return [line.decode() for line in r.iter_lines()]


def s_stream_raw_read(w: World) -> typing.Any:
    r = requests.get(w.url("/big?n=100"), stream=True)
    a = r.raw.read(10)
    b = r.raw.read()
    c = r.raw.read(5)
    return [len(a), len(b), c.decode(), r.raw.tell()]


def s_gzip(w: World) -> typing.Any:
    r = requests.get(w.url("/gzip"))
    s = requests.get(w.url("/gzip"), stream=True)
    raw = s.raw.read()
    t = requests.get(w.url("/gzip"), stream=True)
    decoded = b"".join(t.iter_content(7))
    return {
        "content_ok": r.content == GZ_BODY,
        "text_start": r.text[:8],
        "encoding": r.headers["Content-Encoding"],
        "raw_is_compressed": raw == gzip.compress(GZ_BODY) or gzip.decompress(raw) == GZ_BODY,
        "iter_ok": decoded == GZ_BODY,
    }


def s_redirects(w: World) -> typing.Any:
    r = requests.get(w.url("/redirect?target=/echo"))
    p303 = requests.post(w.url("/redirect?target=/echo&status=303"), data=b"body")
    p307 = requests.post(w.url("/redirect?target=/echo&status=307"), data=b"body")
    no = requests.get(w.url("/redirect?target=/echo"), allow_redirects=False)
    return {
        "get": [r.status_code, [h.status_code for h in r.history], r.url.split("/", 3)[-1]],
        "303": [p303.json()["method"], p303.json()["body"]],
        "307": [p307.json()["method"], p307.json()["body"]],
        "off": [no.status_code, no.is_redirect, no.headers["Location"], no.next.url.split("/", 3)[-1]],
    }


def s_redirect_cross_host_drops_auth(w: World) -> typing.Any:
    target = w.url("/echo", w.http2)
    r = requests.get(w.url(f"/redirect?target={target}"), headers={"Authorization": "secret"})
    return [r.history[0].status_code, "authorization" in dict(_echo(r)["headers"])]


def s_redirect_loop(w: World) -> typing.Any:
    with requests.Session() as s:
        s.max_redirects = 5
        try:
            s.get(w.url("/loop"))
        except requests.TooManyRedirects as e:
            return [type(e).__name__, len(e.response.history)]
    return None


def s_cookies(w: World) -> typing.Any:
    with requests.Session() as s:
        r = s.get(w.url("/cookies/set?a=1&b=2"))
        jar = sorted(s.cookies.items())
        sent = dict(_echo(s.get(w.url("/echo")))["headers"]).get("cookie")
        red = s.get(w.url("/cookies/redirect"))
        final = dict(_echo(red)["headers"]).get("cookie")
    return {
        "response_cookies": sorted(r.cookies.items()),
        "jar": jar,
        "sent": sent,
        "after_redirect": final,
        "history": [h.status_code for h in red.history],
    }


def s_auth_basic(w: World) -> typing.Any:
    return dict(_echo(requests.get(w.url("/echo"), auth=("user", "pässword")))["headers"])["authorization"]


def s_auth_digest(w: World) -> typing.Any:
    with requests.Session() as s:
        r = s.get(w.url("/digest"), auth=HTTPDigestAuth(DIGEST["user"], DIGEST["password"]))
    return [r.status_code, r.text, [h.status_code for h in r.history]]


def s_read_timeout(w: World) -> typing.Any:
    out = []
    for timeout in (0.2, (2, 0.2)):
        t0 = time.monotonic()
        try:
            requests.get(w.url("/sleep?s=1"), timeout=timeout)
            out.append("no error")
        except requests.ReadTimeout as e:
            out.append([type(e).__name__, isinstance(e, requests.Timeout), time.monotonic() - t0 < 0.9])
    return out


def s_stream_read_timeout(w: World) -> typing.Any:
    r = requests.get(w.url("/drip?n=3&delay=0.5"), stream=True, timeout=0.1)
    try:
        r.content
    except requests.ConnectionError as e:
        return [type(e).__name__, type(e.args[0]).__name__]
    return "no error"


def s_connect_timeout(w: World) -> typing.Any:
    t0 = time.monotonic()
    try:
        requests.get(f"http://127.0.0.1:{w.full_port}/", timeout=(0.2, 5))
    except requests.ConnectTimeout as e:
        return [type(e).__name__, isinstance(e, requests.ConnectionError), time.monotonic() - t0 < 2]
    return "no error"


def s_connection_refused(w: World) -> typing.Any:
    try:
        requests.get(_refused_url(), timeout=2)
    except requests.ConnectionError as e:
        reason = e.args[0].reason if hasattr(e.args[0], "reason") else e.args[0]
        return [type(e).__name__, isinstance(e, requests.ConnectTimeout), type(reason).__name__]
    return "no error"


def s_retry_status(w: World) -> typing.Any:
    out = {}
    with requests.Session() as s:
        s.mount("http://", HTTPAdapter(max_retries=Retry(total=2, status_forcelist=[503], backoff_factor=0)))
        before = len(w.http.requests)
        try:
            s.get(w.url("/status?code=503"))
        except requests.exceptions.RetryError as e:
            out["error"] = type(e).__name__
        out["attempts"] = len(w.http.requests) - before
    with requests.Session() as s:
        s.mount("http://", HTTPAdapter(max_retries=Retry(total=1, status_forcelist=[503], raise_on_status=False)))
        out["no_raise"] = s.get(w.url("/status?code=503")).status_code
    return out


def s_retry_connect(w: World) -> typing.Any:
    with requests.Session() as s:
        s.mount("http://", HTTPAdapter(max_retries=Retry(connect=2, backoff_factor=0)))
        try:
            s.get(_refused_url())
        except requests.ConnectionError as e:
            return [type(e).__name__, type(e.args[0]).__name__, type(e.args[0].reason).__name__]
    return "no error"


def s_retry_after(w: World) -> typing.Any:
    with requests.Session() as s:
        s.mount(
            "http://", HTTPAdapter(max_retries=Retry(total=1, status_forcelist=[429], respect_retry_after_header=True))
        )
        before = len(w.http.requests)
        t0 = time.monotonic()
        try:
            r = s.get(w.url("/status?code=429&retry_after=0"))
            result: typing.Any = r.status_code
        except requests.exceptions.RetryError as e:
            result = type(e).__name__
        return [result, len(w.http.requests) - before, time.monotonic() - t0 < 1]


def s_https_verify_ca(w: World) -> typing.Any:
    r = requests.get(w.url("/id?id=tls", w.https), verify=w.ca_file)
    return [r.status_code, r.text]


def s_https_verify_default_fails(w: World) -> typing.Any:
    try:
        requests.get(w.url("/id?id=tls", w.https))
    except requests.exceptions.SSLError as e:
        return [type(e).__name__, "CERTIFICATE_VERIFY_FAILED" in str(e)]
    return "no error"


def s_https_verify_false(w: World) -> typing.Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = requests.get(w.url("/id?id=noverify", w.https), verify=False)
    cats = sorted({c.category.__name__ for c in caught})
    is_urllib3s = all(issubclass(c.category, urllib3.exceptions.HTTPWarning) for c in caught)
    return [r.status_code, r.text, cats, is_urllib3s]


def s_https_session_reuse(w: World) -> typing.Any:
    with requests.Session() as s:
        # Per request: REQUESTS_CA_BUNDLE in the environment would override
        # a Session-level verify.
        before = _conn_count(w, w.https)
        texts = [s.get(w.url("/id?id=k", w.https), verify=w.ca_file).text for _ in range(3)]
        return [texts, _conn_count(w, w.https) - before]


def s_https_client_cert(w: World) -> typing.Any:
    a = requests.get(w.url("/peercert", w.mtls), verify=w.ca_file, cert=(w.client_cert, w.client_key))
    b = requests.get(w.url("/peercert", w.mtls), verify=w.ca_file, cert=w.client_pem)
    return [a.json()["commonName"], b.json()["commonName"]]


def s_https_client_cert_missing(w: World) -> typing.Any:
    try:
        requests.get(w.url("/peercert", w.mtls), verify=w.ca_file, timeout=5)
    except requests.RequestException as e:
        return ["RequestException", isinstance(e, (requests.exceptions.SSLError, requests.ConnectionError))]
    return "no error"


def s_proxies(w: World) -> typing.Any:
    proxy = w.url("/", w.proxy).rstrip("/").replace("http://", "http://pu:pp@")
    r = requests.get(w.url("/id?id=via"), proxies={"http": proxy})
    return r.json()


def s_cl_te_response(w: World) -> typing.Any:
    # pool refuses a response with both Content-Length and Transfer-Encoding;
    # urllib3 (through http.client) reads it as chunked.
    try:
        r = requests.get(w.url("/cl-te"))
        return [r.status_code, r.text]
    except requests.ConnectionError as e:
        return ["ConnectionError", type(e.args[0]).__name__]


def s_large_body(w: World) -> typing.Any:
    r = requests.get(w.url("/big?n=3000000"))
    return [len(r.content), r.headers["Content-Length"]]


SCENARIOS = {name[2:]: fn for name, fn in globals().items() if name.startswith("s_") and callable(fn)}


def bench(url: str, n: int) -> None:
    """Print small GETs per second over one keep-alive Session (at most n
    requests, at most 30 seconds).  The server should run in another process,
    so that it does not share this one's interpreter lock."""
    with requests.Session() as s:
        for _ in range(50):
            s.get(url)
        deadline = time.monotonic() + 30
        t0 = time.perf_counter()
        c0 = time.process_time()
        done = 0
        for _ in range(n):
            s.get(url)
            done += 1
            if time.monotonic() > deadline:
                break
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
    # Per CPU second too: on a busy machine it varies less than wall time.
    print(
        json.dumps(
            {
                "backend": BACKEND,
                "requests": done,
                "seconds": elapsed,
                "per_second": done / elapsed,
                "per_cpu_second": done / cpu,
            }
        )
    )


def main(argv: list[str]) -> None:
    if argv[:1] == ["--bench"]:
        bench(argv[2], int(argv[1]))
        return
    w = World()
    try:
        names = argv or list(SCENARIOS)
        results = {}
        for name in names:
            try:
                results[name] = {"ok": SCENARIOS[name](w)}
            except Exception as e:  # reported, not raised: one scenario must not hide the others
                results[name] = {"error": f"{type(e).__module__}.{type(e).__name__}: {e}", "tb": traceback.format_exc()}
        print(json.dumps(results, default=repr))
    finally:
        w.close()


if __name__ == "__main__":
    main(sys.argv[2:])
