"""``EncryptedBlobs`` over every blob backend: only ciphertext is ever stored, and a blob
is readable only as the document it was written for."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.crypto.envelope import EncryptedBlobs, StoredBlob
from gateway.crypto.keys import generate_key
from gateway.crypto.segments import HEADER_SIZE, TAG_SIZE, ciphertext_size
from gateway.errors import IntegrityFailure

SEG = 64
MARKER = b"AOL-DEF-00528703 DATABASE IDENTIFICATION CODE"
DATA_KEY = bytes(range(32))
ID_A = b"matter-1/AOL-DEF-00528691/v1"
ID_B = b"matter-1/AOL-DEF-00516605/v1"


@pytest.fixture
def blobs(backend: Any) -> EncryptedBlobs:
    return EncryptedBlobs(backend.store, segment_size=SEG)


def document(size: int) -> bytes:
    """Plaintext made of the marker, so any plaintext leak contains it."""
    return (MARKER * (size // len(MARKER) + 1))[:size]


def chunks_of(data: bytes, size: int = 100) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("size", [0, 1, SEG, 10 * SEG + 7])
def test_put_and_open_round_trip(blobs: EncryptedBlobs, size: int) -> None:
    data = document(size)

    stored = blobs.put("matter-1/doc-a", chunks_of(data), data_key=DATA_KEY, identity=ID_A)

    assert stored == StoredBlob(
        plaintext_size=size,
        sha256_hex=hashlib.sha256(data).hexdigest(),
        ciphertext_size=ciphertext_size(size, SEG),
    )
    assert blobs.store.size("matter-1/doc-a") == stored.ciphertext_size
    with blobs.open("matter-1/doc-a", data_key=DATA_KEY, identity=ID_A) as reader:
        assert reader.size == size
        assert reader.read() == data


def test_open_with_the_recorded_size_skips_the_lookup(blobs: EncryptedBlobs) -> None:
    data = document(5 * SEG)
    stored = blobs.put("doc", [data], data_key=DATA_KEY, identity=ID_A)

    with blobs.open(
        "doc", data_key=DATA_KEY, identity=ID_A, ciphertext_size=stored.ciphertext_size
    ) as reader:
        assert reader.read() == data
    with pytest.raises(IntegrityFailure):
        blobs.open(
            "doc", data_key=DATA_KEY, identity=ID_A, ciphertext_size=stored.ciphertext_size - 1
        )


@pytest.mark.parametrize("size", [len(MARKER), 3 * SEG, 40 * SEG + 5])
def test_no_plaintext_byte_pattern_is_ever_stored(backend: Any, size: int) -> None:
    blobs = EncryptedBlobs(backend.store, segment_size=SEG)
    data = document(size)

    blobs.put("matter-1/doc-a", chunks_of(data, 7), data_key=DATA_KEY, identity=ID_A)
    blobs.put("matter-1/doc-b", [data], data_key=generate_key(), identity=ID_B)

    stored = backend.raw_contents()
    assert len(stored) == 2
    for name, content in stored.items():
        assert len(content) == ciphertext_size(size, SEG)
        assert MARKER[:12] not in content, f"plaintext leaked into {name}"
        assert MARKER[-12:] not in content, f"plaintext leaked into {name}"


def test_swapping_two_documents_ciphertext_fails(backend: Any) -> None:
    blobs = EncryptedBlobs(backend.store, segment_size=SEG)
    store = backend.store
    blobs.put("doc-a", [document(4 * SEG)], data_key=DATA_KEY, identity=ID_A)
    blobs.put("doc-b", [document(4 * SEG)[::-1]], data_key=DATA_KEY, identity=ID_B)
    raw_a = store.read_range("doc-a", 0, store.size("doc-a"))
    raw_b = store.read_range("doc-b", 0, store.size("doc-b"))

    store.put("doc-a", [raw_b])
    store.put("doc-b", [raw_a])

    for key, identity in (("doc-a", ID_A), ("doc-b", ID_B)):
        with pytest.raises(IntegrityFailure):
            blobs.open(key, data_key=DATA_KEY, identity=identity).read()


def test_swapping_one_segment_between_documents_fails(backend: Any) -> None:
    blobs = EncryptedBlobs(backend.store, segment_size=SEG)
    store = backend.store
    blobs.put("doc-a", [document(4 * SEG)], data_key=DATA_KEY, identity=ID_A)
    blobs.put("doc-b", [document(4 * SEG)], data_key=DATA_KEY, identity=ID_B)
    raw_a = store.read_range("doc-a", 0, store.size("doc-a"))
    raw_b = store.read_range("doc-b", 0, store.size("doc-b"))
    stride = SEG + TAG_SIZE
    second = slice(HEADER_SIZE + stride, HEADER_SIZE + 2 * stride)

    store.put("doc-a", [raw_a[: second.start], raw_b[second], raw_a[second.stop :]])

    reader = blobs.open("doc-a", data_key=DATA_KEY, identity=ID_A)
    assert reader.read(SEG) == document(4 * SEG)[:SEG]  # untouched segments still verify
    with pytest.raises(IntegrityFailure, match="segment 1"):
        reader.read(SEG)


def test_missing_document_raises_file_not_found(blobs: EncryptedBlobs) -> None:
    with pytest.raises(FileNotFoundError):
        blobs.open("matter-1/absent", data_key=DATA_KEY, identity=ID_A)


def test_delete(blobs: EncryptedBlobs) -> None:
    blobs.put("doc", [b"x"], data_key=DATA_KEY, identity=ID_A)

    blobs.delete("doc")
    blobs.delete("doc")

    assert blobs.store.exists("doc") is False
    with pytest.raises(FileNotFoundError):
        blobs.open("doc", data_key=DATA_KEY, identity=ID_A)


class Interrupted(Exception):
    pass


def test_a_failed_upload_stores_nothing(backend: Any) -> None:
    blobs = EncryptedBlobs(backend.store)  # real 1 MiB segments, several S3 parts

    def upload() -> Iterator[bytes]:
        for _ in range(10):
            yield os.urandom(1024 * 1024)
        raise Interrupted

    with pytest.raises(Interrupted):
        blobs.put("doc", upload(), data_key=DATA_KEY, identity=ID_A)

    assert backend.residue() == []


@settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(start=st.integers(0, 700), length=st.integers(0, 200))
def test_random_reads_through_the_store(blobs: EncryptedBlobs, start: int, length: int) -> None:
    # The fixture's store is shared by every example: each one writes the same document
    # again, which is what a fresh store would hold.
    data = document(9 * SEG + 11)
    blobs.put("doc", chunks_of(data, 33), data_key=DATA_KEY, identity=ID_A)

    with blobs.open("doc", data_key=DATA_KEY, identity=ID_A) as reader:
        reader.seek(start)
        assert reader.read(length) == data[start : start + length]
        assert b"".join(reader.iter_chunks(start, start + length)) == data[start : start + length]
