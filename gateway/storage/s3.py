"""Blob store on an S3-compatible object store (the scale-out deployment, BRIEF §4).

Large blobs are streamed with a multipart upload so that a worker never holds more than
one part in memory; the object appears only when the upload completes, and any failure
(including the caller's chunk iterator raising) aborts the upload, so S3 keeps no orphaned
parts, which would otherwise be billed and hold ciphertext nobody tracks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from gateway.storage.base import (
    is_valid_key,
    validate_key,
    validate_prefix,
    validate_range,
)

MIN_PART_SIZE = 5 * 1024 * 1024  # S3 refuses smaller parts, except the last one
DEFAULT_PART_SIZE = 8 * 1024 * 1024

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_missing(error: ClientError) -> bool:
    return _error_code(error) in _MISSING_CODES


class S3BlobStore:
    """A ``BlobStore`` in one bucket, optionally under a key prefix shared with nobody."""

    def __init__(
        self,
        bucket: str,
        *,
        client: Any,
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        # A prefix names a "folder" of the bucket: "gateway" and "gateway/" mean the same.
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        validate_prefix(prefix)
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        self._client = client

    @classmethod
    def from_settings(
        cls,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "",
    ) -> S3BlobStore:
        """Build a store with its own boto3 client; credentials come from boto3's usual
        chain (environment, shared files, instance role), never from gateway settings."""
        import boto3
        from botocore.config import Config

        # Path-style addressing: S3-compatible servers (MinIO, Ceph) behind a custom
        # endpoint rarely resolve bucket sub-domains.
        config = Config(s3={"addressing_style": "path"}) if endpoint_url else None
        client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)
        return cls(bucket, client=client, prefix=prefix)

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        name = self._name(key)
        buffer = bytearray()
        iterator = iter(chunks)
        for chunk in iterator:
            buffer += chunk
            if len(buffer) > self.part_size:
                return self._put_multipart(name, buffer, iterator)
        self._client.put_object(Bucket=self.bucket, Key=name, Body=bytes(buffer))
        return len(buffer)

    def _put_multipart(self, name: str, buffer: bytearray, rest: Iterator[bytes]) -> int:
        """Upload ``buffer`` then ``rest`` in parts of exactly ``part_size`` bytes.

        A part is sent only once more data is known to follow, so the last part is the
        only one that may be short and no part is ever empty. Whatever goes wrong before
        the upload completes (S3, the network, the caller's iterator) aborts it.
        """
        response = self._client.create_multipart_upload(Bucket=self.bucket, Key=name)
        upload_id = response["UploadId"]
        parts: list[dict[str, Any]] = []
        written = 0
        completed = False
        try:
            chunks = itertools.chain([b""], rest)
            for chunk in chunks:
                buffer += chunk
                while len(buffer) > self.part_size:
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    written += self._upload_part(name, upload_id, parts, part)
            written += self._upload_part(name, upload_id, parts, bytes(buffer))
            self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=name,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
            completed = True
        finally:
            if not completed:
                self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id
                )
        return written

    def _upload_part(
        self, name: str, upload_id: str, parts: list[dict[str, Any]], data: bytes
    ) -> int:
        number = len(parts) + 1
        response = self._client.upload_part(
            Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=data
        )
        parts.append({"PartNumber": number, "ETag": response["ETag"]})
        return len(data)

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def modified(self, key: str) -> datetime:
        stamp: datetime = self._head(key)["LastModified"]
        return stamp.astimezone(UTC)

    def _head(self, key: str) -> dict[str, Any]:
        try:
            return self._client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if _is_missing(error):
                raise FileNotFoundError(key) from None
            raise

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        validate_range(offset, length)
        if length == 0:
            self._head(key)  # still report a missing key
            return b""
        try:
            response = self._client.get_object(
                Bucket=self.bucket,
                Key=self._name(key),
                Range=f"bytes={offset}-{offset + length - 1}",
            )
        except ClientError as error:
            if _is_missing(error):
                raise FileNotFoundError(key) from None
            if _error_code(error) == "InvalidRange":
                return b""  # the object exists and ``offset`` is at or past its end
            raise
        with response["Body"] as body:
            return body.read()

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except FileNotFoundError:
            return False
        return True

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        return self._list(prefix)

    def _list(self, prefix: str) -> Iterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if is_valid_key(key):  # objects someone else put in a shared bucket
                    yield key
