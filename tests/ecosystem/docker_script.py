"""docker (docker-py) against a fake Docker Engine API on a UNIX socket, on
urllib3 or on pool.

docker-py subclasses urllib3's HTTPConnection and HTTPConnectionPool to speak
HTTP over a UNIX socket (it sets ``self.sock`` itself in ``connect()``), and
for streamed output it reaches below the response API: container logs read
the socket under ``response.raw._fp.fp.raw`` (to lift its timeout) and then
parse Docker's multiplexed framing (an 8-byte header: stream type, three zero
bytes, a big-endian length) from ``response.raw.read()``; progress streams
such as ``pull`` read ``response.raw._fp.chunked`` and ``_fp.chunk_left``.
The fake engine sends those bodies chunked, a few pieces at a time with
pauses, with frames split across chunks and chunks holding several frames.

Usage: ``python docker_script.py urllib3|pool|pool-py [SCENARIO...]``
(see harness.py for the output).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
import typing

import harness

os.environ.pop("DOCKER_HOST", None)
os.environ.pop("DOCKER_TLS_VERIFY", None)
os.environ.pop("DOCKER_CERT_PATH", None)

import docker  # noqa: E402
import docker.transport.unixconn  # noqa: E402
import servers  # noqa: E402
from servers import Request  # noqa: E402

API = "1.45"
CID = "f00dfeed" * 8
TTY_CID = "7777aaaa" * 8


def frame(stream: int, payload: bytes) -> bytes:
    """One frame of Docker's multiplexed stream (1 = stdout, 2 = stderr)."""
    return struct.pack(">BxxxL", stream, len(payload)) + payload


BIG = b"".join(b"%05d " % i for i in range(1500)) + b"\n"  # 9001 bytes
FRAMES = [
    (1, b"starting server\n"),
    (2, b"warning: no config\n"),
    (1, b"listening on :80\n"),
    (1, BIG),
    (2, b"shutting down\n"),
]


def _log_chunks() -> list[bytes]:
    """The frames as chunks: whole, a header alone, a header's tail with two
    frames, a payload across chunks."""
    raw = [frame(s, p) for s, p in FRAMES]
    return [
        raw[0],
        raw[1][:8],
        raw[1][8:] + raw[2][:3],
        raw[2][3:] + raw[3][:1000],
        raw[3][1000:5000],
        raw[3][5000:] + raw[4],
    ]


PULL_EVENTS = [
    {"status": "Pulling from library/busybox", "id": "latest"},
    {"status": "Pulling fs layer", "id": "abc123"},
    {"status": "Downloading", "progressDetail": {"current": 1024, "total": 2048}, "id": "abc123"},
    {"status": "Download complete", "id": "abc123"},
    {"status": "Pull complete", "id": "abc123"},
    {"status": "Digest: sha256:" + "0" * 64},
    {"status": "Status: Downloaded newer image for busybox:latest"},
]


def _pull_chunks() -> list[bytes]:
    lines = [json.dumps(e).encode() + b"\r\n" for e in PULL_EVENTS]
    return [lines[0], lines[1] + lines[2], lines[3][:10], lines[3][10:], lines[4], lines[5], lines[6]]


def _container(cid: str, name: str, tty: bool) -> dict[str, typing.Any]:
    return {
        "Id": cid,
        "Name": "/" + name,
        "Created": "2024-01-01T00:00:00Z",
        "Image": "sha256:" + "1" * 64,
        "State": {"Status": "running", "Running": True, "Pid": 42, "ExitCode": 0},
        "Config": {"Tty": tty, "Image": "nginx:latest", "Labels": {"app": name}, "Cmd": ["nginx"]},
        "HostConfig": {},
        "NetworkSettings": {"Networks": {}},
    }


CONTAINERS = {CID: _container(CID, "web", False), TTY_CID: _container(TTY_CID, "shell", True)}

VERSION = {
    "Version": "26.1.0",
    "ApiVersion": API,
    "MinAPIVersion": "1.24",
    "Os": "linux",
    "Arch": "amd64",
    "KernelVersion": "6.0.0",
    "Components": [{"Name": "Engine", "Version": "26.1.0"}],
}


def engine(req: Request) -> typing.Any:
    path = req.path
    prefix = f"/v{API}"
    if path.startswith(prefix):
        path = path[len(prefix) :]
    if path == "/_ping":
        return 200, [("Api-Version", API), ("Content-Type", "text/plain; charset=utf-8")], b"OK"
    if path == "/version":
        return servers.json_reply(VERSION, headers=[("Api-Version", API)])
    if path == "/containers/json":
        listed = [
            {
                "Id": c["Id"],
                "Names": [c["Name"]],
                "Image": "nginx:latest",
                "State": "running",
                "Labels": c["Config"]["Labels"],
            }
            for c in CONTAINERS.values()
        ]
        return servers.json_reply(listed)
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "containers" and parts[2] in CONTAINERS:
        cid, what = parts[2], parts[3]
        if what == "json":
            return servers.json_reply(CONTAINERS[cid])
        if what == "logs":
            if CONTAINERS[cid]["Config"]["Tty"]:
                # A TTY container's output is raw, not multiplexed.
                return servers.send_chunked(
                    req, [b"$ echo hi\r\n", b"hi\r\n", b"$ "], [("Content-Type", "application/vnd.docker.raw-stream")]
                )
            return servers.send_chunked(
                req, _log_chunks(), [("Content-Type", "application/vnd.docker.multiplexed-stream")]
            )
    if path == "/images/create" and req.method == "POST":
        return servers.send_chunked(req, _pull_chunks(), [("Content-Type", "application/json")])
    return servers.json_reply({"message": f"page not found: {req.method} {req.path}"}, status=404)


class World:
    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="eco-docker-")
        os.environ["DOCKER_CONFIG"] = self.tmp  # no credentials from the user's config
        self.sock_path = os.path.join(self.tmp, "docker.sock")
        self.server = servers.UnixServer(self.sock_path, engine)
        self.server.start()
        self._client: docker.DockerClient | None = None

    @property
    def client(self) -> docker.DockerClient:
        """The client as an application makes it: its constructor already
        asks the engine for its API version (so it is made on first use, and
        a failure there is reported by each scenario)."""
        if self._client is None:
            self._client = docker.DockerClient(base_url="unix://" + self.sock_path, timeout=int(harness.IO_TIMEOUT))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _summary(data: bytes) -> typing.Any:
    return data.decode() if len(data) < 100 else [len(data), data == BIG]


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    # With the version given, making the client sends nothing.
    api = docker.APIClient(base_url="unix://" + w.sock_path, version=API, timeout=int(harness.IO_TIMEOUT))
    adapter = api.get_adapter("http+docker://localhost/")
    pool = adapter.get_connection(f"http+docker://localhost/v{API}/_ping")
    api.close()
    return {
        **harness.http_layer(),
        "UnixHTTPConnection.base": harness.origin(docker.transport.unixconn.UnixHTTPConnection.__mro__[1]),
        "UnixHTTPConnectionPool.base": harness.origin(docker.transport.unixconn.UnixHTTPConnectionPool.__mro__[1]),
        "pool": harness.origin(type(pool).__mro__[1]),
    }


def s_ping_version(w: World) -> typing.Any:
    v = w.client.version()
    return {
        "ping": w.client.ping(),
        "detected_api": w.client.api.api_version,
        "version": [v["Version"], v["ApiVersion"], v["Os"]],
        "targets": sorted(
            {
                r.target.split("?")[0]
                for r in w.server.requests
                if "/containers/" not in r.target and "/images/" not in r.target
            }
        ),
    }


def s_containers_list(w: World) -> typing.Any:
    listed = w.client.containers.list()
    return [[c.short_id, c.name, c.status, c.labels] for c in listed]


def s_logs_buffered(w: World) -> typing.Any:
    out = w.client.containers.get(CID).logs()
    return [len(out), out == b"".join(p for _, p in FRAMES)]


def s_logs_stream(w: World) -> typing.Any:
    container = w.client.containers.get(CID)
    return [_summary(piece) for piece in container.logs(stream=True)]


def s_logs_stream_follow_api(w: World) -> typing.Any:
    pieces = w.client.api.logs(CID, stream=True, follow=True)
    out = [_summary(piece) for piece in pieces]
    # The connection is usable again afterwards.
    out.append(w.client.ping())
    return out


def s_logs_stream_tty(w: World) -> typing.Any:
    container = w.client.containers.get(TTY_CID)
    return b"".join(container.logs(stream=True)).decode()


def s_pull_progress(w: World) -> typing.Any:
    events = list(w.client.api.pull("busybox", tag="latest", stream=True, decode=True))
    return [[e.get("status"), e.get("id")] for e in events]


def s_pull_raw_chunks(w: World) -> typing.Any:
    # Undecoded, the helper yields the body as it arrived, one chunk at a time.
    pieces = list(w.client.api.pull("busybox", tag="latest", stream=True))
    return [
        len(pieces),
        b"".join(pieces) == b"".join(_pull_chunks()),
        [len(p) for p in pieces] == [len(c) for c in _pull_chunks()],
    ]


def s_missing_container(w: World) -> typing.Any:
    try:
        w.client.containers.get("nope")
    except docker.errors.NotFound as e:
        return [type(e).__name__, e.status_code, "page not found" in str(e)]
    return "no error"


if __name__ == "__main__":
    harness.run(harness.scenarios_of(globals()), World, World.close)
