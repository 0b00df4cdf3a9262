"""vcrpy recording and replaying requests (and urllib3) traffic, on urllib3
or on pool.

vcrpy patches urllib3 in place: it swaps the connection classes of
``urllib3.connectionpool`` for its own stubs (subclasses that record the real
exchange, or answer from a cassette without any socket), and its stubs build
urllib3 responses from what they recorded.  The script records a cassette of
several requests against a local server (a GET with a query, a POST with a
JSON body, a chunked response, a gzip response, a 404), stops the server, and
replays the same requests from the cassette: status, headers and bodies must
come back identical, and nothing may reach the network.

Usage: ``python vcrpy_script.py urllib3|pool|pool-py [SCENARIO...]``
(see harness.py for the output).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
import typing

import harness

import requests  # noqa: E402
import servers  # noqa: E402
import urllib3  # noqa: E402
import vcr  # noqa: E402
import yaml  # noqa: E402
from servers import Request  # noqa: E402

GZ_BODY = b"compressible line of text\n" * 64
CHUNKS = [b"first chunk|", b"second chunk|", b"third chunk"]
TIMEOUT = (5, harness.IO_TIMEOUT)


def handler(req: Request) -> typing.Any:
    if req.path == "/search":
        doc = {"q": req.query.get("q"), "page": req.query.get("page")}
        return servers.json_reply(doc, headers=[("X-Served", "search")])
    if req.path == "/items" and req.method == "POST":
        doc = json.loads(req.body)
        return servers.json_reply({"created": doc, "id": 17}, status=201, headers=[("Location", "/items/17")])
    if req.path == "/stream":
        return servers.send_chunked(req, CHUNKS, [("Content-Type", "text/plain")], pause=0.02)
    if req.path == "/gzip":
        return 200, [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], gzip.compress(GZ_BODY, mtime=0)
    if req.path == "/missing":
        return 404, [("Content-Type", "text/plain")], b"no such thing"
    return None


# Headers the server sets; compared as recorded and as replayed.
COMPARED_HEADERS = ("content-type", "content-length", "content-encoding", "transfer-encoding", "x-served", "location")


class World:
    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="eco-vcr-")
        self.server = servers.Server(handler)
        self.server.start()
        self.base = f"http://127.0.0.1:{self.server.port}"
        self.cassette = os.path.join(self.tmp, "requests.yaml")
        self.urllib3_cassette = os.path.join(self.tmp, "urllib3.yaml")
        self.recorded: dict[str, typing.Any] = {}
        self.stopped = False

    def stop_server(self) -> None:
        if not self.stopped:
            self.server.stop()
            self.stopped = True

    def close(self) -> None:
        self.stop_server()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _summary(r: requests.Response) -> dict[str, typing.Any]:
    return {
        "status": r.status_code,
        "headers": sorted([k.lower(), v] for k, v in r.headers.items() if k.lower() in COMPARED_HEADERS),
        "body": r.content.decode(),
    }


def _requests_exchange(base: str) -> dict[str, typing.Any]:
    with requests.Session() as s:
        out = {
            "get_query": _summary(s.get(base + "/search", params={"q": "pool ü", "page": 2}, timeout=TIMEOUT)),
            "post_json": _summary(
                s.post(base + "/items", json={"name": "widget", "tags": ["a", "b"]}, timeout=TIMEOUT)
            ),
            "chunked": _summary(s.get(base + "/stream", timeout=TIMEOUT)),
            "gzip": _summary(s.get(base + "/gzip", timeout=TIMEOUT)),
            "not_found": _summary(s.get(base + "/missing", timeout=TIMEOUT)),
        }
        streamed = s.get(base + "/stream", stream=True, timeout=TIMEOUT)
        out["streamed"] = b"".join(streamed.iter_content(chunk_size=None)).decode()
    out["gzip"]["body"] = out["gzip"]["body"] == GZ_BODY.decode()
    return out


def _cassette_facts(path: str) -> dict[str, typing.Any]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    interactions = doc["interactions"]
    return {
        "interactions": [
            [i["request"]["method"], i["request"]["uri"].split("/", 3)[-1], i["response"]["status"]["code"]]
            for i in interactions
        ],
        "post_body": json.loads(interactions[1]["request"]["body"]),
    }


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    import vcr.stubs.requests_stubs

    with vcr.use_cassette(os.path.join(w.tmp, "probe.yaml"), record_mode="none"):
        import urllib3.connectionpool as cpool

        patched = cpool.HTTPConnectionPool.ConnectionCls
    return {
        **harness.http_layer(),
        "requests.PoolManager": harness.origin(requests.adapters.PoolManager),
        "VCRRequestsHTTPConnection.real": harness.origin(vcr.stubs.requests_stubs.VCRRequestsHTTPConnection._baseclass),
        "patched_connection_is_stub": issubclass(patched, vcr.stubs.VCRConnection),
    }


def s_record(w: World) -> typing.Any:
    before = len(w.server.requests)
    with vcr.use_cassette(w.cassette, record_mode="once") as cassette:
        result = _requests_exchange(w.base)
        played = cassette.play_count
    w.recorded["requests"] = result
    return {
        "result": result,
        "server_saw": len(w.server.requests) - before,
        "play_count": played,
        "cassette": _cassette_facts(w.cassette),
    }


def s_replay(w: World) -> typing.Any:
    w.stop_server()
    with vcr.use_cassette(w.cassette, record_mode="once") as cassette:
        result = _requests_exchange(w.base)
        played = cassette.play_count
        all_played = cassette.all_played
    return {
        "same_as_recorded": result == w.recorded.get("requests"),
        "result": result,
        "play_count": played,
        "all_played": all_played,
    }


def s_replay_unknown_request(w: World) -> typing.Any:
    w.stop_server()
    with vcr.use_cassette(w.cassette, record_mode="once"):
        try:
            requests.get(w.base + "/never-recorded", timeout=TIMEOUT)
        except vcr.errors.CannotOverwriteExistingCassetteException as e:
            return [type(e).__name__, "/never-recorded" in str(e)]
    return "no error"


def s_urllib3_record_replay(w: World) -> typing.Any:
    """vcrpy on urllib3 used directly: a PoolManager request, and a streamed
    read of a chunked body."""
    if w.stopped:
        return "server already stopped"
    pm_kw = {"timeout": urllib3.Timeout(connect=5, read=harness.IO_TIMEOUT), "retries": False}

    def exchange() -> list[typing.Any]:
        pm = urllib3.PoolManager(**pm_kw)
        try:
            r = pm.request("GET", w.base + "/search?q=direct&page=1")
            s = pm.request("GET", w.base + "/stream", preload_content=False)
            pieces = [p.decode() for p in s.stream(8)]
            s.release_conn()
            g = pm.request("GET", w.base + "/gzip")
            return [r.status, json.loads(r.data), r.headers.get("X-Served"), "".join(pieces), g.data == GZ_BODY]
        finally:
            pm.clear()

    before = len(w.server.requests)
    with vcr.use_cassette(w.urllib3_cassette, record_mode="once"):
        recorded = exchange()
    saw = len(w.server.requests) - before
    w.stop_server()
    with vcr.use_cassette(w.urllib3_cassette, record_mode="once") as cassette:
        replayed = exchange()
        played = cassette.play_count
    return {"recorded": recorded, "server_saw": saw, "replayed_same": replayed == recorded, "play_count": played}


if __name__ == "__main__":
    # urllib3_record_replay needs the live server: it runs before replay stops it.
    names = harness.scenarios_of(globals())
    order = ["backend", "record", "urllib3_record_replay", "replay", "replay_unknown_request"]
    harness.run({n: names[n] for n in order}, World, World.close)
