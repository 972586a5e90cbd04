"""Fixtures shared by unit tests: every blob backend, for one contract suite.

S3 is moto's real HTTP server, started once per session in this process; each test gets
a fresh bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from gateway.storage import FileBlobStore, S3BlobStore
from gateway.storage.base import BlobStore

S3_REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an in-process moto S3 server, with fake credentials in the environment."""
    absent = tmp_path_factory.mktemp("aws") / "absent"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", S3_REGION)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        # Never pick up a developer's real profile or credentials.
        env.setenv("AWS_CONFIG_FILE", str(absent))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(absent))
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=S3_REGION,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A fresh, empty bucket, emptied and removed afterwards to keep moto's memory small."""
    bucket = f"test-{uuid.uuid4().hex}"
    s3_client.create_bucket(Bucket=bucket)
    yield bucket
    for upload in s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3_client.abort_multipart_upload(
            Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
        )
    for item in s3_client.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3_client.delete_object(Bucket=bucket, Key=item["Key"])
    s3_client.delete_bucket(Bucket=bucket)


@dataclass(frozen=True)
class Backend:
    """A store plus a view of what it physically holds, read behind the store's back."""

    name: str
    store: BlobStore
    residue: Callable[[], list[str]]
    """Every file, object or pending multipart upload, temporary ones included."""
    raw_contents: Callable[[], dict[str, bytes]]
    """Every stored byte, by file or object name."""


def _file_backend(root: Path) -> Backend:
    store = FileBlobStore(root / "blobs")

    def residue() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def raw_contents() -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    return Backend("file", store, residue, raw_contents)


def _s3_backend(client: Any, bucket: str) -> Backend:
    store = S3BlobStore(bucket, client=client)

    def residue() -> list[str]:
        objects = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return sorted([item["Key"] for item in objects] + [f"upload:{u['Key']}" for u in uploads])

    def raw_contents() -> dict[str, bytes]:
        contents = {}
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"]
            with body:
                contents[item["Key"]] = body.read()
        return contents

    return Backend("s3", store, residue, raw_contents)


@pytest.fixture(params=["file", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each blob backend in turn: the contract suite runs once per backend."""
    if request.param == "file":
        return _file_backend(tmp_path)
    client = request.getfixturevalue("s3_client")
    bucket = request.getfixturevalue("s3_bucket")
    return _s3_backend(client, bucket)


@pytest.fixture
def blob_store(backend: Backend) -> BlobStore:
    return backend.store
