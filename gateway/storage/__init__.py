"""Blob storage: one interface, backends chosen by configuration (BRIEF §4).

The embedded deployment keeps blobs in the instance folder; the scale-out one in an
S3-compatible bucket. Both hold ciphertext only: ``gateway.crypto.envelope`` wraps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway.errors import ConfigurationError
from gateway.storage.base import BlobStore, is_valid_key, validate_key
from gateway.storage.file import FileBlobStore
from gateway.storage.s3 import S3BlobStore

__all__ = [
    "BlobStore",
    "FileBlobStore",
    "S3BlobStore",
    "is_valid_key",
    "make_blob_store",
    "validate_key",
]


def make_blob_store(settings: Mapping[str, Any], instance_path: Path) -> BlobStore:
    """The store the settings ask for.

    ``BLOB_BACKEND`` is "file" (the default: the embedded shape needs no service) or "s3"
    (``S3_BUCKET`` required; ``S3_ENDPOINT_URL``, ``S3_REGION``, ``S3_PREFIX`` optional).
    """
    backend = settings.get("BLOB_BACKEND") or "file"
    if backend == "file":
        return FileBlobStore(Path(instance_path) / "blobs")
    if backend == "s3":
        bucket = settings.get("S3_BUCKET")
        if not bucket:
            raise ConfigurationError("BLOB_BACKEND is 's3' but S3_BUCKET is not set")
        try:
            return S3BlobStore.from_settings(
                bucket,
                endpoint_url=settings.get("S3_ENDPOINT_URL") or None,
                region=settings.get("S3_REGION") or None,
                prefix=settings.get("S3_PREFIX") or "",
            )
        except ValueError as error:
            raise ConfigurationError(f"invalid S3 settings: {error}") from error
    raise ConfigurationError(f"unknown BLOB_BACKEND {backend!r}: expected 'file' or 's3'")
