"""elasticsearch (the official client, on elastic-transport's urllib3 node)
against a fake cluster, on urllib3 or on pool.

elastic-transport builds an ``urllib3.HTTPConnectionPool`` per node and calls
``urlopen`` with its own retries, timeouts and body handling; with
``http_compress=True`` it gzips request bodies and accepts gzip responses.
The fake cluster keeps documents in memory and answers the info, index, get,
search, bulk and count APIs with the product header the client checks.

Usage: ``python elasticsearch_script.py urllib3|pool|pool-py [SCENARIO...]``
(see harness.py for the output).
"""

from __future__ import annotations

import gzip
import json
import typing

import harness

import elastic_transport  # noqa: E402
import servers  # noqa: E402
from elasticsearch import Elasticsearch, NotFoundError, helpers  # noqa: E402
from servers import Request  # noqa: E402

CTYPE = "application/vnd.elasticsearch+json;compatible-with=8"
INFO = {
    "name": "node-1",
    "cluster_name": "eco-cluster",
    "cluster_uuid": "abcdefghijklmnopqrstuv",
    "version": {"number": "8.19.0", "build_flavor": "default", "lucene_version": "9.12.0"},
    "tagline": "You Know, for Search",
}


class Cluster:
    """A one-node cluster: documents per index, in insertion order."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, dict[str, typing.Any]]] = {}
        self.compressed_requests = 0

    def reply(self, req: Request, doc: typing.Any, status: int = 200) -> typing.Any:
        body = json.dumps(doc).encode()
        headers = [("Content-Type", CTYPE), ("X-Elastic-Product", "Elasticsearch")]
        if "gzip" in (req.header("Accept-Encoding") or ""):
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        return status, headers, body

    def _index(self, index: str, doc_id: str, source: dict[str, typing.Any]) -> dict[str, typing.Any]:
        docs = self.docs.setdefault(index, {})
        created = doc_id not in docs
        docs[doc_id] = source
        return {
            "_index": index,
            "_id": doc_id,
            "_version": 1,
            "result": "created" if created else "updated",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": len(docs) - 1,
            "_primary_term": 1,
            "status": 201 if created else 200,
        }

    def __call__(self, req: Request) -> typing.Any:
        body = req.body
        if (req.header("Content-Encoding") or "") == "gzip":
            self.compressed_requests += 1
            body = gzip.decompress(body)
        parts = [p for p in req.path.split("/") if p]
        if not parts and req.method in ("GET", "HEAD"):
            return self.reply(req, INFO)
        if parts == ["_bulk"] and req.method in ("POST", "PUT"):
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            items = []
            for action, source in zip(lines[::2], lines[1::2]):
                meta = action["index"]
                result = self._index(meta["_index"], str(meta["_id"]), source)
                items.append({"index": result})
            return self.reply(req, {"took": 1, "errors": False, "items": items})
        if len(parts) == 3 and parts[1] == "_doc":
            index, doc_id = parts[0], parts[2]
            if req.method in ("PUT", "POST"):
                result = self._index(index, doc_id, json.loads(body))
                return self.reply(req, result, status=result.pop("status"))
            if req.method == "GET":
                source = self.docs.get(index, {}).get(doc_id)
                if source is None:
                    return self.reply(req, {"_index": index, "_id": doc_id, "found": False}, status=404)
                return self.reply(
                    req, {"_index": index, "_id": doc_id, "_version": 1, "found": True, "_source": source}
                )
        if len(parts) == 2 and parts[1] in ("_search", "_count") and parts[0] in self.docs:
            index = parts[0]
            query = json.loads(body or b"{}").get("query", {"match_all": {}})
            hits = [
                {"_index": index, "_id": doc_id, "_score": 1.0, "_source": source}
                for doc_id, source in self.docs.get(index, {}).items()
                if _matches(query, source)
            ]
            if parts[1] == "_count":
                return self.reply(req, {"count": len(hits), "_shards": {"total": 1, "successful": 1, "failed": 0}})
            return self.reply(
                req,
                {
                    "took": 2,
                    "timed_out": False,
                    "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
                    "hits": {
                        "total": {"value": len(hits), "relation": "eq"},
                        "max_score": 1.0 if hits else None,
                        "hits": hits,
                    },
                },
            )
        error = {"type": "index_not_found_exception", "reason": f"no such index [{parts[0] if parts else ''}]"}
        return self.reply(req, {"error": {"root_cause": [error], **error}, "status": 404}, status=404)


def _matches(query: dict[str, typing.Any], source: dict[str, typing.Any]) -> bool:
    if "match" in query:
        ((field, value),) = query["match"].items()
        return str(value).lower() in str(source.get(field, "")).lower().split()
    if "term" in query:
        ((field, value),) = query["term"].items()
        return source.get(field) == value
    return True


class World:
    def __init__(self) -> None:
        self.cluster = Cluster()
        self.server = servers.Server(self.cluster)
        self.server.start()
        url = f"http://127.0.0.1:{self.server.port}"
        self.es = Elasticsearch(url, request_timeout=harness.IO_TIMEOUT, max_retries=0)
        self.gz = Elasticsearch(url, request_timeout=harness.IO_TIMEOUT, max_retries=0, http_compress=True)

    def close(self) -> None:
        self.es.close()
        self.gz.close()
        self.server.stop()


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    node = next(iter(w.es.transport.node_pool.all()))
    return {
        **harness.http_layer(),
        "node": type(node).__name__,
        "node.pool": harness.origin(type(node.pool)),
        "Urllib3HttpNode.urllib3": harness.origin(elastic_transport._node._http_urllib3.urllib3),
    }


def s_info(w: World) -> typing.Any:
    info = w.es.info()
    return [
        info["cluster_name"],
        info["version"]["number"],
        info.meta.status,
        info.meta.headers.get("X-Elastic-Product"),
    ]


def s_index_get(w: World) -> typing.Any:
    created = w.es.index(index="books", id="1", document={"title": "Dune", "year": 1965, "tags": ["sf"]})
    got = w.es.get(index="books", id="1")
    try:
        w.es.get(index="books", id="404")
        missing: typing.Any = "no error"
    except NotFoundError as e:
        missing = [type(e).__name__, e.meta.status, e.body.get("found")]
    return [created["result"], created.meta.status, got["_source"], missing]


def s_bulk_search(w: World) -> typing.Any:
    titles = ["Solaris", "Hyperion", "Foundation", "Neuromancer", "Ubik", "Foundation and Empire"]
    actions = [{"_index": "library", "_id": str(i), "_source": {"title": t, "n": i}} for i, t in enumerate(titles)]
    ok, errors = helpers.bulk(w.es, actions, chunk_size=4)
    found = w.es.search(index="library", query={"match": {"title": "foundation"}})
    count = w.es.count(index="library")
    return {
        "bulk": [ok, errors, sum(1 for r in w.server.requests if r.path == "/_bulk")],
        "hits": [h["_source"]["title"] for h in found["hits"]["hits"]],
        "total": found["hits"]["total"]["value"],
        "count": count["count"],
    }


def s_compressed(w: World) -> typing.Any:
    before = w.cluster.compressed_requests
    big = {"title": "Long text", "body": "lorem ipsum dolor sit amet " * 2000}
    w.gz.index(index="gz", id="big", document=big)
    got = w.gz.get(index="gz", id="big")
    found = w.gz.search(index="gz", query={"term": {"title": "Long text"}})
    last = w.server.requests[-1]
    return {
        "gzip_requests": w.cluster.compressed_requests - before,
        "roundtrip": got["_source"] == big,
        "hits": found["hits"]["total"]["value"],
        "accept_encoding": "gzip" in (last.header("Accept-Encoding") or ""),
    }


def s_index_not_found(w: World) -> typing.Any:
    try:
        w.es.search(index="nope", query={"match_all": {}})
    except NotFoundError as e:
        return [type(e).__name__, e.meta.status, e.error]
    return "no error"


if __name__ == "__main__":
    harness.run(harness.scenarios_of(globals()), World, World.close)
