"""boto3/botocore against a local moto S3 server, on urllib3 or on pool.

botocore subclasses urllib3's connection classes (``AWSHTTPConnection``
adds ``Expect: 100-continue`` handling and swaps ``response_class``) and its
pools, so it is the widest test of pool as a base class.  moto's standalone
server (werkzeug, which answers ``Expect: 100-continue`` with a 100) runs in
this process on 127.0.0.1; credentials are dummies.

Usage: ``python boto3_script.py urllib3|pool|pool-py [SCENARIO...]``
(see harness.py for the output).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tempfile
import typing

import harness
import servers

for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    AWS_EC2_METADATA_DISABLED="true",
)

import boto3  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.httpsession  # noqa: E402
import urllib3  # noqa: E402
from boto3.s3.transfer import TransferConfig  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MiB = 1024 * 1024
BUCKET = "eco-bucket"


class World:
    def __init__(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="eco-boto3-")
        self.server, self.endpoint = servers.start_moto()
        config = Config(
            region_name="us-east-1",
            connect_timeout=5,
            read_timeout=harness.IO_TIMEOUT,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, config=config)
        # The bucket every scenario after create_bucket uses; created here
        # too, so that one scenario's failure does not cascade.
        self.bucket_ready = False

    def bucket(self) -> str:
        if not self.bucket_ready:
            try:
                self.s3.create_bucket(Bucket=BUCKET)
            except ClientError as e:
                if e.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            self.bucket_ready = True
        return BUCKET

    def close(self) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- scenarios


def s_backend(w: World) -> typing.Any:
    session = w.s3._endpoint.http_session
    return {
        **harness.http_layer(),
        "httpsession.PoolManager": harness.origin(botocore.httpsession.PoolManager),
        "AWSHTTPConnection.base": harness.origin(botocore.awsrequest.AWSHTTPConnection.__mro__[2]),
        "AWSHTTPConnectionPool.base": harness.origin(botocore.awsrequest.AWSHTTPConnectionPool.__mro__[1]),
        "session.manager": harness.origin(type(session._manager)),
    }


def s_create_bucket(w: World) -> typing.Any:
    created = w.s3.create_bucket(Bucket="eco-created")
    head = w.s3.head_bucket(Bucket="eco-created")
    names = [b["Name"] for b in w.s3.list_buckets()["Buckets"]]
    return [
        created["ResponseMetadata"]["HTTPStatusCode"],
        head["ResponseMetadata"]["HTTPStatusCode"],
        "eco-created" in names,
    ]


def s_put_get_small(w: World) -> typing.Any:
    bucket = w.bucket()
    body = b"hello from the ecosystem tests\n"
    put = w.s3.put_object(Bucket=bucket, Key="small.txt", Body=body, ContentType="text/plain", Metadata={"k": "v"})
    got = w.s3.get_object(Bucket=bucket, Key="small.txt")
    data = got["Body"].read()
    return {
        "etag": put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(),
        "body": data.decode(),
        "type": got["ContentType"],
        "length": got["ContentLength"],
        "meta": got["Metadata"],
        "get_etag": got["ETag"] == put["ETag"],
    }


def s_put_get_large(w: World) -> typing.Any:
    bucket = w.bucket()
    body = servers.random_bytes(4 * MiB + 123, seed=1)
    put = w.s3.put_object(Bucket=bucket, Key="large.bin", Body=body)
    got = w.s3.get_object(Bucket=bucket, Key="large.bin")
    stream = got["Body"]
    # Read in pieces, as an application streaming a download would.
    pieces = []
    for piece in stream.iter_chunks(chunk_size=256 * 1024):
        pieces.append(piece)
    data = b"".join(pieces)
    ranged = w.s3.get_object(Bucket=bucket, Key="large.bin", Range="bytes=1000-1999")
    part = ranged["Body"].read()
    return {
        "md5_etag": put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest(),
        "length": [len(data), got["ContentLength"]],
        "sha256": servers.sha256(data) == servers.sha256(body),
        "range": [ranged["ResponseMetadata"]["HTTPStatusCode"], len(part), part == body[1000:2000]],
    }


def s_checksum_sha256(w: World) -> typing.Any:
    bucket = w.bucket()
    body = servers.random_bytes(300 * 1024, seed=2)
    want = base64.b64encode(hashlib.sha256(body).digest()).decode()
    put = w.s3.put_object(Bucket=bucket, Key="checked.bin", Body=body, ChecksumAlgorithm="SHA256")
    got = w.s3.get_object(Bucket=bucket, Key="checked.bin", ChecksumMode="ENABLED")
    data = got["Body"].read()
    return {
        "put_checksum": put.get("ChecksumSHA256") == want,
        "get_checksum": got.get("ChecksumSHA256") == want,
        "sha256": servers.sha256(data) == servers.sha256(body),
    }


def s_multipart_transfer(w: World) -> typing.Any:
    bucket = w.bucket()
    body = servers.random_bytes(12 * MiB + 4321, seed=3)
    src = os.path.join(w.tmp, "upload.bin")
    dst = os.path.join(w.tmp, "download.bin")
    with open(src, "wb") as f:
        f.write(body)
    config = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=3)
    w.s3.upload_file(src, bucket, "multi.bin", Config=config)
    head = w.s3.head_object(Bucket=bucket, Key="multi.bin")
    w.s3.download_file(bucket, "multi.bin", dst, Config=config)
    with open(dst, "rb") as f:
        data = f.read()
    return {
        "parts_etag": head["ETag"].strip('"').endswith("-3"),
        "length": head["ContentLength"],
        "sha256": servers.sha256(data) == servers.sha256(body),
    }


def s_paginate(w: World) -> typing.Any:
    bucket = w.bucket()
    keys = [f"page/{i:03d}" for i in range(23)]
    for key in keys:
        w.s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    paginator = w.s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 5}))
    listed = [o["Key"] for p in pages for o in p.get("Contents", [])]
    return {
        "pages": [p["KeyCount"] for p in pages],
        "truncated": [p["IsTruncated"] for p in pages],
        "all_keys": listed == keys,
    }


def s_presigned_get(w: World) -> typing.Any:
    bucket = w.bucket()
    body = b"presigned content"
    w.s3.put_object(Bucket=bucket, Key="presigned.txt", Body=body)
    url = w.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "presigned.txt"}, ExpiresIn=300)
    pm = urllib3.PoolManager(timeout=urllib3.Timeout(connect=5, read=harness.IO_TIMEOUT), retries=False)
    r = pm.request("GET", url)
    put_url = w.s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "presigned-put.txt"}, ExpiresIn=300
    )
    put = pm.request("PUT", put_url, body=b"put through a presigned URL")
    missing_url = w.s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "no-such"}, ExpiresIn=300)
    missing = pm.request("GET", missing_url)
    pm.clear()
    stored = w.s3.get_object(Bucket=bucket, Key="presigned-put.txt")["Body"].read()
    return {
        "manager": harness.origin(pm),
        "get": [r.status, r.data.decode()],
        "put": [put.status, stored.decode()],
        "missing": [missing.status, b"<Code>NoSuchKey</Code>" in missing.data],
    }


def s_missing_key(w: World) -> typing.Any:
    bucket = w.bucket()
    out = {}
    try:
        w.s3.get_object(Bucket=bucket, Key="no/such/key")
        out["get"] = "no error"
    except ClientError as e:
        out["get"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    try:
        w.s3.head_object(Bucket=bucket, Key="no/such/key")
        out["head"] = "no error"
    except ClientError as e:
        out["head"] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
    # The connection is still usable afterwards.
    out["after"] = w.s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"]
    return out


def s_expect_continue(w: World) -> typing.Any:
    """A file-like PutObject body makes botocore send ``Expect:
    100-continue``, wait for the interim 100, then send the body: its
    AWSConnection._handle_expect_response must run and see the 100."""
    bucket = w.bucket()
    body = servers.random_bytes(1 * MiB + 7, seed=4)
    seen: list[dict[str, typing.Any]] = []
    sent_expect: list[typing.Any] = []
    cls = botocore.awsrequest.AWSConnection
    real_handle = cls._handle_expect_response
    real_is_100 = cls._is_100_continue_status

    def handle(self: typing.Any, message_body: typing.Any) -> typing.Any:
        seen.append({"called": True})
        return real_handle(self, message_body)

    def is_100(self: typing.Any, line: bytes) -> bool:
        result = real_is_100(self, line)
        if seen:
            seen[-1]["status_line"] = line.strip().decode("latin-1")
            seen[-1]["is_100"] = result
        return result

    def before_send(request: typing.Any, **kwargs: typing.Any) -> None:
        sent_expect.append(request.headers.get("Expect"))

    w.s3.meta.events.register("before-send.s3.PutObject", before_send)
    cls._handle_expect_response = handle  # type: ignore[method-assign]
    cls._is_100_continue_status = is_100  # type: ignore[method-assign]
    try:
        put = w.s3.put_object(Bucket=bucket, Key="continued.bin", Body=io.BytesIO(body))
    finally:
        cls._handle_expect_response = real_handle  # type: ignore[method-assign]
        cls._is_100_continue_status = real_is_100  # type: ignore[method-assign]
        w.s3.meta.events.unregister("before-send.s3.PutObject", before_send)
    data = w.s3.get_object(Bucket=bucket, Key="continued.bin")["Body"].read()
    return {
        "expect_header": [v.decode() if isinstance(v, bytes) else v for v in sent_expect],
        "handled": [[s.get("status_line", "").split(" ")[1:2], s.get("is_100")] for s in seen],
        "status": put["ResponseMetadata"]["HTTPStatusCode"],
        "sha256": servers.sha256(data) == servers.sha256(body),
    }


if __name__ == "__main__":
    harness.run(harness.scenarios_of(globals()), World, World.close)
