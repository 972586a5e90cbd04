"""Fixtures shared by unit tests: every blob backend, for one contract suite.

S3 is moto's real HTTP server (fixtures in tests/conftest.py); each test gets a fresh
bucket, so tests never see each other's objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.storage import FileBlobStore, S3BlobStore
from gateway.storage.base import BlobStore

S3_REGION = "us-east-1"


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
