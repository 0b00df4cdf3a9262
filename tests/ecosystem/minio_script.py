"""minio (the MinIO/S3 SDK) against a local moto S3 server, on urllib3 or on
pool.

minio drives a ``urllib3.PoolManager`` itself (and checks that a client
passed in is one), signs every request with AWS SigV4, streams downloads
from responses opened with ``preload_content=False``, and uploads large
objects in parts from several threads.  moto's standalone server runs in
this process on 127.0.0.1.

Usage: ``python minio_script.py urllib3|pool|pool-py [SCENARIO...]``
(see harness.py for the output).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import typing

import harness
import servers

import minio  # noqa: E402
import urllib3  # noqa: E402
from minio.commonconfig import CopySource  # noqa: E402
from minio.error import S3Error  # noqa: E402

MiB = 1024 * 1024
BUCKET = "eco-minio"


class World:
    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="eco-minio-")
        self.server, endpoint = servers.start_moto()
        self.http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=harness.IO_TIMEOUT),
            maxsize=10,
            retries=urllib3.Retry(total=0),
        )
        self.client = minio.Minio(
            endpoint.split("://", 1)[1],
            access_key="testing",
            secret_key="testing",
            secure=False,
            region="us-east-1",
            http_client=self.http,
        )
        self.bucket_ready = False

    def bucket(self) -> str:
        if not self.bucket_ready:
            if not self.client.bucket_exists(BUCKET):
                self.client.make_bucket(BUCKET)
            self.bucket_ready = True
        return BUCKET

    def close(self) -> None:
        self.http.clear()
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    return {**harness.http_layer(), "client._http": harness.origin(type(w.client._http))}


def s_make_bucket(w: World) -> typing.Any:
    before = w.client.bucket_exists("eco-made")
    w.client.make_bucket("eco-made")
    after = w.client.bucket_exists("eco-made")
    names = [b.name for b in w.client.list_buckets()]
    return [before, after, "eco-made" in names]


def s_put_get_small(w: World) -> typing.Any:
    bucket = w.bucket()
    body = b"small object for minio\n"
    put = w.client.put_object(
        bucket, "small.txt", io.BytesIO(body), len(body), content_type="text/plain", metadata={"x-amz-meta-k": "v"}
    )
    r = w.client.get_object(bucket, "small.txt")
    try:
        data = r.read()
        headers = [r.status, r.headers.get("Content-Type"), r.headers.get("x-amz-meta-k")]
    finally:
        r.close()
        r.release_conn()
    return {"etag": put.etag == hashlib.md5(body).hexdigest(), "body": data.decode(), "headers": headers}


def s_stream_large(w: World) -> typing.Any:
    bucket = w.bucket()
    body = servers.random_bytes(3 * MiB + 99, seed=11)
    w.client.put_object(bucket, "large.bin", io.BytesIO(body), len(body))
    r = w.client.get_object(bucket, "large.bin")
    try:
        pieces = list(r.stream(64 * 1024))
    finally:
        r.close()
        r.release_conn()
    data = b"".join(pieces)
    ranged = w.client.get_object(bucket, "large.bin", offset=1000, length=500)
    try:
        part = ranged.read()
    finally:
        ranged.close()
        ranged.release_conn()
    return {
        "length": len(data),
        "sha256": servers.sha256(data) == servers.sha256(body),
        "max_piece": max(len(p) for p in pieces) <= 64 * 1024,
        "range": [ranged.status, part == body[1000:1500]],
    }


def s_multipart_unknown_length(w: World) -> typing.Any:
    """length=-1: minio reads the stream part by part and uploads the parts."""
    bucket = w.bucket()
    body = servers.random_bytes(11 * MiB + 5, seed=12)
    w.client.put_object(bucket, "multi.bin", io.BytesIO(body), length=-1, part_size=5 * MiB)
    st = w.client.stat_object(bucket, "multi.bin")
    dst = os.path.join(w.tmp, "multi.out")
    w.client.fget_object(bucket, "multi.bin", dst)
    with open(dst, "rb") as f:
        data = f.read()
    return {
        "size": st.size,
        "parts_etag": st.etag.endswith("-3"),
        "sha256": servers.sha256(data) == servers.sha256(body),
    }


def s_fput_stat(w: World) -> typing.Any:
    bucket = w.bucket()
    body = servers.random_bytes(200 * 1024, seed=13)
    src = os.path.join(w.tmp, "fput.bin")
    with open(src, "wb") as f:
        f.write(body)
    w.client.fput_object(bucket, "dir/fput.bin", src, content_type="application/x-test", metadata={"Color": "blue"})
    st = w.client.stat_object(bucket, "dir/fput.bin")
    return [
        st.size,
        st.content_type,
        st.etag == hashlib.md5(body).hexdigest(),
        (st.metadata or {}).get("x-amz-meta-color"),
    ]


def s_list_objects(w: World) -> typing.Any:
    bucket = w.bucket()
    names = [f"list/{d}/{i}.txt" for d in ("a", "b") for i in range(4)]
    for name in names:
        w.client.put_object(bucket, name, io.BytesIO(name.encode()), len(name))
    flat = [o.object_name for o in w.client.list_objects(bucket, prefix="list/")]
    deep = [o.object_name for o in w.client.list_objects(bucket, prefix="list/", recursive=True)]
    return {"flat": flat, "recursive": deep == names}


def s_copy_remove(w: World) -> typing.Any:
    bucket = w.bucket()
    w.client.put_object(bucket, "orig.txt", io.BytesIO(b"copy me"), 7)
    w.client.copy_object(bucket, "copy.txt", CopySource(bucket, "orig.txt"))
    r = w.client.get_object(bucket, "copy.txt")
    try:
        copied = r.read().decode()
    finally:
        r.close()
        r.release_conn()
    w.client.remove_object(bucket, "orig.txt")
    try:
        w.client.stat_object(bucket, "orig.txt")
        gone: typing.Any = "no error"
    except S3Error as e:
        gone = [e.code, e.response.status]
    return [copied, gone]


def s_missing_object(w: World) -> typing.Any:
    bucket = w.bucket()
    try:
        w.client.get_object(bucket, "no/such/object")
    except S3Error as e:
        return [type(e).__name__, e.code, e.response.status]
    return "no error"


def s_presigned_get(w: World) -> typing.Any:
    bucket = w.bucket()
    w.client.put_object(bucket, "presigned.txt", io.BytesIO(b"presigned by minio"), 18)
    url = w.client.presigned_get_object(bucket, "presigned.txt")
    r = w.http.request("GET", url)
    return [r.status, r.data.decode()]


if __name__ == "__main__":
    harness.run(harness.scenarios_of(globals()), World, World.close)
