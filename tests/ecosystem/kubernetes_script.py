"""The official kubernetes client against a fake API server, on urllib3 or
on pool.

The client drives a ``urllib3.PoolManager`` directly, with
``preload_content=False`` for every call; its watches read the response with
``stream(amt=None, decode_content=False)`` and split lines themselves, so a
chunked body must come out whole and in order however its chunks arrive.  The
fake server answers the CoreV1 pod calls with minimal valid objects, and a
watch with seven events, one chunk each, sent with pauses between them.

Usage: ``python kubernetes_script.py urllib3|pool|pool-py [SCENARIO...]``
(see harness.py for the output).
"""

from __future__ import annotations

import json
import os
import typing

import harness

for _name in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"):
    os.environ.pop(_name, None)

import kubernetes  # noqa: E402
import kubernetes.client.rest  # noqa: E402
import servers  # noqa: E402
from kubernetes import client, watch  # noqa: E402
from servers import Request  # noqa: E402

NS = "default"
TIMEOUT = harness.IO_TIMEOUT


def pod(name: str, rv: int, phase: str = "Running", **meta: typing.Any) -> dict[str, typing.Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "resourceVersion": str(rv),
            "labels": {"app": name.split("-")[0]},
            **meta,
        },
        "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]},
        "status": {"phase": phase, "podIP": "10.0.0.%d" % (rv % 250)},
    }


PODS = [pod("web-0", 100), pod("web-1", 101), pod("db-0", 102, phase="Pending")]

WATCH_EVENTS = [
    ("ADDED", pod("w-0", 200, phase="Pending")),
    ("ADDED", pod("w-1", 201, phase="Pending")),
    ("MODIFIED", pod("w-0", 202)),
    ("ADDED", pod("w-2", 203, phase="Pending")),
    ("MODIFIED", pod("w-1", 204)),
    ("DELETED", pod("w-0", 205, phase="Succeeded")),
    ("MODIFIED", pod("w-2", 206)),
]

LOG_LINES = [f"log line {i}: " + "x" * (i * 37) for i in range(6)]


class ApiServer:
    """The fake API server: pods in one namespace, kept in memory."""

    def __init__(self) -> None:
        self.pods = {p["metadata"]["name"]: p for p in PODS}
        self.rv = 300
        self.watch_queries: list[dict[str, str]] = []

    def __call__(self, req: Request) -> typing.Any:
        base = f"/api/v1/namespaces/{NS}/pods"
        if req.path == base and req.method == "GET":
            if req.query.get("watch", "").lower() == "true":
                self.watch_queries.append(req.query)
                events = [json.dumps({"type": t, "object": o}).encode() + b"\n" for t, o in WATCH_EVENTS]
                return servers.send_chunked(req, events, [("Content-Type", "application/json")], pause=0.05)
            items = sorted(self.pods.values(), key=lambda p: p["metadata"]["name"])
            return servers.json_reply(
                {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": str(self.rv)}, "items": items}
            )
        if req.path == base and req.method == "POST":
            body = json.loads(req.body)
            name = body["metadata"]["name"]
            if name in self.pods:
                return servers.json_reply(_status(409, "AlreadyExists", f'pods "{name}" already exists'), status=409)
            self.rv += 1
            body["metadata"].update(namespace=NS, uid=f"uid-{name}", resourceVersion=str(self.rv))
            body["status"] = {"phase": "Pending"}
            self.pods[name] = body
            return servers.json_reply(body, status=201)
        if req.path.startswith(base + "/"):
            rest = req.path[len(base) + 1 :].split("/")
            name = rest[0]
            if name not in self.pods:
                return servers.json_reply(_status(404, "NotFound", f'pods "{name}" not found'), status=404)
            if rest[1:] == ["log"] and req.method == "GET":
                lines = [line.encode() + b"\n" for line in LOG_LINES]
                # Lines split across chunks, and two lines in one chunk.
                chunks = [
                    lines[0][:5],
                    lines[0][5:] + lines[1],
                    lines[2],
                    lines[3][:20],
                    lines[3][20:],
                    lines[4] + lines[5],
                ]
                return servers.send_chunked(req, chunks, [("Content-Type", "text/plain")], pause=0.05)
            if req.method == "GET":
                return servers.json_reply(self.pods[name])
            if req.method == "DELETE":
                gone = self.pods.pop(name)
                gone["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
                return servers.json_reply(gone)
        return servers.json_reply(
            _status(404, "NotFound", "the server could not find the requested resource"), status=404
        )


def _status(code: int, reason: str, message: str) -> dict[str, typing.Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class World:
    def __init__(self) -> None:
        self.api = ApiServer()
        self.server = servers.Server(self.api)
        self.server.start()
        config = client.Configuration(host=f"http://127.0.0.1:{self.server.port}")
        config.retries = False
        self.client = client.ApiClient(config)
        self.v1 = client.CoreV1Api(self.client)

    def close(self) -> None:
        self.client.close()
        self.server.stop()


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    rest = w.client.rest_client
    return {
        **harness.http_layer(),
        "rest.urllib3": harness.origin(kubernetes.client.rest.urllib3),
        "pool_manager": harness.origin(type(rest.pool_manager)),
    }


def s_list_pods(w: World) -> typing.Any:
    pods = w.v1.list_namespaced_pod(NS, _request_timeout=TIMEOUT)
    return {
        "kind": [pods.kind, pods.metadata.resource_version],
        "pods": [[p.metadata.name, p.status.phase, p.spec.containers[0].image] for p in pods.items],
    }


def s_list_pods_label_selector(w: World) -> typing.Any:
    pods = w.v1.list_namespaced_pod(NS, label_selector="app=web", limit=10, _request_timeout=TIMEOUT)
    sent = w.server.requests[-1].query
    return [len(pods.items), sent.get("labelSelector"), sent.get("limit")]


def s_read_pod(w: World) -> typing.Any:
    p = w.v1.read_namespaced_pod("web-1", NS, _request_timeout=TIMEOUT)
    return [p.metadata.name, p.metadata.uid, p.metadata.labels, p.status.pod_ip]


def s_create_pod(w: World) -> typing.Any:
    body = client.V1Pod(
        api_version="v1",
        kind="Pod",
        metadata=client.V1ObjectMeta(name="new-0", labels={"app": "new"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="main", image="busybox", command=["sleep", "3600"])]),
    )
    created = w.v1.create_namespaced_pod(NS, body, _request_timeout=TIMEOUT)
    sent = json.loads(w.server.requests[-1].body)
    try:
        w.v1.create_namespaced_pod(NS, body, _request_timeout=TIMEOUT)
        again: typing.Any = "no error"
    except client.ApiException as e:
        again = [e.status, json.loads(e.body)["reason"]]
    return {
        "created": [
            created.metadata.name,
            created.metadata.namespace,
            created.status.phase,
            created.spec.containers[0].command,
        ],
        "sent": [sent["kind"], sent["apiVersion"], sent["spec"]["containers"][0]["image"]],
        "conflict": again,
    }


def s_delete_pod(w: World) -> typing.Any:
    gone = w.v1.delete_namespaced_pod("db-0", NS, _request_timeout=TIMEOUT)
    try:
        w.v1.read_namespaced_pod("db-0", NS, _request_timeout=TIMEOUT)
        after: typing.Any = "no error"
    except client.ApiException as e:
        after = [e.status, e.reason, json.loads(e.body)["reason"]]
    return [gone.metadata.name, gone.metadata.deletion_timestamp is not None, after]


def s_watch_pods(w: World) -> typing.Any:
    events = []
    before = len(w.api.watch_queries)
    watcher = watch.Watch()
    for event in watcher.stream(w.v1.list_namespaced_pod, NS, timeout_seconds=5, _request_timeout=TIMEOUT):
        obj = event["object"]
        events.append([event["type"], obj.metadata.name, obj.metadata.resource_version, obj.status.phase])
    return {
        "events": events,
        "resource_version": watcher.resource_version,
        "requests": len(w.api.watch_queries) - before,
    }


def s_watch_then_list(w: World) -> typing.Any:
    # A watch stopped early leaves the client usable for the next call.
    watcher = watch.Watch()
    first = []
    for event in watcher.stream(w.v1.list_namespaced_pod, NS, timeout_seconds=5, _request_timeout=TIMEOUT):
        first.append(event["object"].metadata.name)
        if len(first) == 2:
            watcher.stop()
    pods = w.v1.list_namespaced_pod(NS, _request_timeout=TIMEOUT)
    return [first, len(pods.items) > 0]


def s_follow_logs(w: World) -> typing.Any:
    lines = list(watch.Watch().stream(w.v1.read_namespaced_pod_log, "web-0", NS, follow=True, _request_timeout=TIMEOUT))
    return [lines == LOG_LINES, len(lines), lines[:1]]


def s_read_log_whole(w: World) -> typing.Any:
    text = w.v1.read_namespaced_pod_log("web-0", NS, _request_timeout=TIMEOUT)
    return text == "".join(line + "\n" for line in LOG_LINES)


if __name__ == "__main__":
    harness.run(harness.scenarios_of(globals()), World, World.close)
