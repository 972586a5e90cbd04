"""One contract for every blob backend (STYLE 5): the same tests run on the file store and
on S3 (moto's server), so code above ``BlobStore`` never needs to know which it has."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import ConfigurationError
from gateway.storage import FileBlobStore, S3BlobStore, make_blob_store
from gateway.storage.base import BlobStore, validate_key

MIB = 1024 * 1024
DATA = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable


class Interrupted(Exception):
    """What the chunk iterator raises midway through an upload."""


def failing_chunks(size: int, *, chunk: int = MIB) -> Iterator[bytes]:
    """Yield ``size`` bytes, then fail the way a dropped client connection would."""
    sent = 0
    while sent < size:
        piece = min(chunk, size - sent)
        yield os.urandom(piece)
        sent += piece
    raise Interrupted("client went away")


def odd_chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_every_backend_is_a_blob_store(blob_store: BlobStore) -> None:
    assert isinstance(blob_store, BlobStore)


def test_put_returns_bytes_written_and_round_trips(blob_store: BlobStore) -> None:
    written = blob_store.put("matter-1/doc/abc", odd_chunks(DATA, 100))

    assert written == len(DATA)
    assert blob_store.exists("matter-1/doc/abc")
    assert blob_store.size("matter-1/doc/abc") == len(DATA)
    assert blob_store.read_range("matter-1/doc/abc", 0, len(DATA)) == DATA


def test_empty_blob(blob_store: BlobStore) -> None:
    assert blob_store.put("empty", []) == 0
    assert blob_store.put("empty-chunks", [b"", b""]) == 0

    assert blob_store.exists("empty")
    assert blob_store.size("empty") == 0
    assert blob_store.read_range("empty", 0, 10) == b""
    assert blob_store.read_range("empty-chunks", 5, 0) == b""


def test_put_replaces_an_existing_blob(blob_store: BlobStore) -> None:
    blob_store.put("doc", [b"old content that is longer"])
    blob_store.put("doc", [b"new"])

    assert blob_store.size("doc") == 3
    assert blob_store.read_range("doc", 0, 100) == b"new"
    assert list(blob_store.iter_keys()) == ["doc"]


@pytest.mark.parametrize(
    ("offset", "length", "expected"),
    [
        (0, 0, b""),
        (0, 10, DATA[:10]),
        (10, 0, b""),
        (500, 24, DATA[500:524]),
        (1014, 10, DATA[1014:]),
        (1020, 10, DATA[1020:]),  # short only at the end
        (1024, 5, b""),
        (5000, 1, b""),
        (0, 1024, DATA),
        (0, 10_000, DATA),
    ],
)
def test_read_range(blob_store: BlobStore, offset: int, length: int, expected: bytes) -> None:
    blob_store.put("doc", [DATA])

    assert blob_store.read_range("doc", offset, length) == expected


@pytest.mark.parametrize(("offset", "length"), [(-1, 5), (0, -1)])
def test_negative_range_is_refused(blob_store: BlobStore, offset: int, length: int) -> None:
    blob_store.put("doc", [DATA])

    with pytest.raises(ValueError, match="range"):
        blob_store.read_range("doc", offset, length)


def test_missing_key_raises_file_not_found(blob_store: BlobStore) -> None:
    blob_store.put("present", [b"x"])

    with pytest.raises(FileNotFoundError):
        blob_store.size("absent")
    with pytest.raises(FileNotFoundError):
        blob_store.read_range("absent", 0, 10)
    with pytest.raises(FileNotFoundError):
        blob_store.read_range("absent", 0, 0)
    with pytest.raises(FileNotFoundError):
        blob_store.size("present/child")
    assert blob_store.exists("absent") is False


def test_modified_is_an_aware_recent_time(blob_store: BlobStore) -> None:
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC) - timedelta(seconds=5)
    blob_store.put("dated", [b"x"])
    stamp = blob_store.modified("dated")
    assert stamp.tzinfo is not None
    assert before <= stamp <= datetime.now(UTC) + timedelta(seconds=5)
    with pytest.raises(FileNotFoundError):
        blob_store.modified("absent")


def test_delete_is_idempotent(blob_store: BlobStore) -> None:
    blob_store.put("a/doc", [b"payload"])
    blob_store.put("a/other", [b"kept"])

    blob_store.delete("a/doc")
    blob_store.delete("a/doc")
    blob_store.delete("never-stored")

    assert blob_store.exists("a/doc") is False
    with pytest.raises(FileNotFoundError):
        blob_store.size("a/doc")
    assert list(blob_store.iter_keys()) == ["a/other"]
    assert blob_store.read_range("a/other", 0, 10) == b"kept"


KEYS = ["a", "a-b", "a/b", "a/b/c", "a/b_d", "a0", "ab", "b/x/y", "z9"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", sorted(KEYS)),
        ("a", ["a", "a-b", "a/b", "a/b/c", "a/b_d", "a0", "ab"]),
        ("a/", ["a/b", "a/b/c", "a/b_d"]),
        ("a/b", ["a/b", "a/b/c", "a/b_d"]),
        ("a/b/", ["a/b/c"]),
        ("b/x/", ["b/x/y"]),
        ("b/x/y", ["b/x/y"]),
        ("c", []),
        ("b/q/", []),
    ],
)
def test_iter_keys_lists_by_prefix_in_order(
    blob_store: BlobStore, prefix: str, expected: list[str]
) -> None:
    for key in reversed(KEYS):
        blob_store.put(key, [key.encode()])

    assert list(blob_store.iter_keys(prefix)) == expected


def test_iter_keys_on_an_empty_store(blob_store: BlobStore) -> None:
    assert list(blob_store.iter_keys()) == []
    assert list(blob_store.iter_keys("a/")) == []


BAD_KEYS = [
    "",
    "/a",
    "a/",
    "a//b",
    "..",
    "../a",
    "a/../b",
    "a/./b",
    ".hidden",
    "A",
    "doc.pdf",
    "a b",
    "a\\b",
    "a\x00b",
    "a\nb",
    "é",
    "-a",
    "_a",
    "a" * 202,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_are_refused_everywhere(blob_store: BlobStore, key: str) -> None:
    consumed: list[bytes] = []

    def chunks() -> Iterator[bytes]:
        consumed.append(b"x")
        yield b"x"

    with pytest.raises(ValueError, match="invalid storage key"):
        blob_store.put(key, chunks())
    for call in (
        lambda: blob_store.size(key),
        lambda: blob_store.read_range(key, 0, 1),
        lambda: blob_store.delete(key),
        lambda: blob_store.exists(key),
    ):
        with pytest.raises(ValueError, match="invalid storage key"):
            call()
    assert consumed == []
    assert list(blob_store.iter_keys()) == []


@pytest.mark.parametrize("prefix", ["/", "/a", "a//", "A", "a.b", "../"])
def test_bad_prefixes_are_refused(blob_store: BlobStore, prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        blob_store.iter_keys(prefix)


def test_longest_valid_key_works(blob_store: BlobStore) -> None:
    key = "k" * 201

    blob_store.put(key, [b"long"])

    assert blob_store.read_range(key, 0, 4) == b"long"
    assert list(blob_store.iter_keys()) == [key]


@pytest.mark.parametrize("fail_after", [0, 10, 9 * MIB + 1, 17 * MIB])
def test_put_is_atomic_when_the_iterator_raises(backend: Any, fail_after: int) -> None:
    with pytest.raises(Interrupted):
        backend.store.put("matter/doc", failing_chunks(fail_after))

    assert backend.store.exists("matter/doc") is False
    assert list(backend.store.iter_keys()) == []
    assert backend.residue() == []


def test_failed_overwrite_keeps_the_old_blob(backend: Any) -> None:
    backend.store.put("matter/doc", [b"version one"])

    with pytest.raises(Interrupted):
        backend.store.put("matter/doc", failing_chunks(9 * MIB, chunk=MIB + 7))

    assert backend.store.read_range("matter/doc", 0, 100) == b"version one"
    assert backend.residue() in (["blobs/matter/doc.blob"], ["matter/doc"])


def test_large_blob_round_trips(blob_store: BlobStore) -> None:
    data = os.urandom(12 * MIB + 12345)

    written = blob_store.put("big", odd_chunks(data, 1_000_003))

    assert written == len(data)
    assert blob_store.size("big") == len(data)
    boundary = 8 * MIB  # the S3 part boundary
    assert blob_store.read_range("big", boundary - 10, 20) == data[boundary - 10 : boundary + 10]
    whole = b"".join(
        blob_store.read_range("big", off, 3 * MIB) for off in range(0, len(data), 3 * MIB)
    )
    assert hashlib.sha256(whole).digest() == hashlib.sha256(data).digest()


# --- key grammar -------------------------------------------------------------------------

_KEY_SHAPE = re.compile(r"[a-z0-9][a-z0-9/_-]{0,200}")


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet="ab0/_-.A\\ \x00", max_size=12) | st.from_regex(_KEY_SHAPE, fullmatch=True))
def test_validate_key_accepts_exactly_the_documented_grammar(key: str) -> None:
    expected = bool(_KEY_SHAPE.fullmatch(key)) and "//" not in key and not key.endswith("/")
    try:
        validate_key(key)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert accepted is expected


# --- backend specifics -------------------------------------------------------------------


def test_file_store_permissions_and_no_temp_files(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")

    store.put("matter/doc/v1", [b"secret ciphertext"])

    blob = tmp_path / "blobs" / "matter" / "doc" / "v1.blob"
    assert stat.S_IMODE(blob.stat().st_mode) == 0o600
    for directory in (tmp_path / "blobs", blob.parent, blob.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert sorted(p.name for p in (tmp_path / "blobs").rglob("*")) == ["doc", "matter", "v1.blob"]


def test_file_store_ignores_foreign_files(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    store.put("doc", [b"x"])
    (tmp_path / "blobs" / ".abc.tmp").write_bytes(b"left by a crash")
    (tmp_path / "blobs" / "notes.txt").write_bytes(b"not a blob")
    (tmp_path / "blobs" / "Upper.blob").write_bytes(b"not a valid key")

    assert list(store.iter_keys()) == ["doc"]


def test_s3_large_blob_is_uploaded_in_parts(s3_client: Any, s3_bucket: str) -> None:
    store = S3BlobStore(s3_bucket, client=s3_client)
    data = os.urandom(12 * MIB)

    store.put("big", odd_chunks(data, 777_777))

    etag = s3_client.head_object(Bucket=s3_bucket, Key="big")["ETag"].strip('"')
    assert etag.endswith("-2")  # 8 MiB + 4 MiB
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    assert store.read_range("big", len(data) - 5, 10) == data[-5:]


def test_s3_blob_of_exactly_one_part_uses_a_single_put(s3_client: Any, s3_bucket: str) -> None:
    store = S3BlobStore(s3_bucket, client=s3_client, part_size=5 * MIB)
    data = os.urandom(5 * MIB)

    store.put("edge", odd_chunks(data, MIB))

    etag = s3_client.head_object(Bucket=s3_bucket, Key="edge")["ETag"].strip('"')
    assert etag == hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert store.read_range("edge", 0, 5 * MIB) == data


def test_s3_part_size_must_be_accepted_by_s3(s3_client: Any) -> None:
    with pytest.raises(ValueError, match="part_size"):
        S3BlobStore("bucket", client=s3_client, part_size=MIB)


def test_s3_prefix_keeps_stores_apart(s3_client: Any, s3_bucket: str) -> None:
    one = S3BlobStore(s3_bucket, client=s3_client, prefix="one")
    two = S3BlobStore(s3_bucket, client=s3_client, prefix="two/")
    one.put("doc", [b"first"])
    two.put("doc", [b"second"])
    s3_client.put_object(Bucket=s3_bucket, Key="one/Foreign.Object", Body=b"x")

    assert list(one.iter_keys()) == ["doc"]
    assert one.read_range("doc", 0, 10) == b"first"
    assert two.read_range("doc", 0, 10) == b"second"
    listed = s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == ["one/Foreign.Object", "one/doc", "two/doc"]


# --- configuration -----------------------------------------------------------------------


def test_make_blob_store_file(tmp_path: Path) -> None:
    store = make_blob_store({"BLOB_BACKEND": "file"}, tmp_path)

    assert isinstance(store, FileBlobStore)
    store.put("doc", [b"x"])
    assert (tmp_path / "blobs" / "doc.blob").is_file()


def test_make_blob_store_s3(moto_endpoint: str, s3_client: Any, s3_bucket: str) -> None:
    config = {
        "BLOB_BACKEND": "s3",
        "S3_BUCKET": s3_bucket,
        "S3_ENDPOINT_URL": moto_endpoint,
        "S3_REGION": "us-east-1",
        "S3_PREFIX": "gateway",
    }

    store = make_blob_store(config, Path("unused"))

    assert isinstance(store, S3BlobStore)
    store.put("doc", [b"through settings"])
    body = s3_client.get_object(Bucket=s3_bucket, Key="gateway/doc")["Body"]
    with body:
        assert body.read() == b"through settings"


@pytest.mark.parametrize(
    "config",
    [
        {"BLOB_BACKEND": "ftp"},
        {"BLOB_BACKEND": "s3"},
        {"BLOB_BACKEND": "s3", "S3_BUCKET": "b", "S3_PREFIX": "/bad"},
    ],
)
def test_make_blob_store_refuses_bad_settings(tmp_path: Path, config: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        make_blob_store(config, tmp_path)
    assert not (tmp_path / "blobs").exists()
