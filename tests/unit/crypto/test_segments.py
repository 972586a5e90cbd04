"""The segmented document format: round trips, random access, and every way of tampering
with a blob failing with ``IntegrityFailure`` (BRIEF §7)."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import struct
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.crypto.segments import (
    DEFAULT_SEGMENT_SIZE,
    HEADER_SIZE,
    MAGIC,
    TAG_SIZE,
    SegmentReader,
    ciphertext_size,
    encrypt_chunks,
    plaintext_size,
)
from gateway.errors import IntegrityFailure

SEG = 64
STRIDE = SEG + TAG_SIZE
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
IDENTITY = b"matter-1/AOL-DEF-00556914/v1"
OTHER_IDENTITY = b"matter-1/AOL-DEF-00556919/v1"
MIB = 1024 * 1024


def seal(
    data: bytes,
    *,
    key: bytes = KEY,
    identity: bytes = IDENTITY,
    segment_size: int = SEG,
    chunk: int | None = None,
) -> bytes:
    chunk = chunk or max(1, len(data))
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return b"".join(encrypt_chunks(key, identity, pieces, segment_size=segment_size))


def open_blob(
    blob: bytes,
    *,
    key: bytes = KEY,
    identity: bytes = IDENTITY,
    read_range: Callable[[int, int], bytes] | None = None,
) -> SegmentReader:
    reader = read_range or (lambda offset, length: blob[offset : offset + length])
    return SegmentReader(key, identity, reader, len(blob))


def decrypt(blob: bytes, **kwargs: bytes) -> bytes:
    with open_blob(blob, **kwargs) as reader:  # type: ignore[arg-type]
        return reader.read()


def segments_of(blob: bytes) -> list[bytes]:
    body = blob[HEADER_SIZE:]
    return [body[i : i + STRIDE] for i in range(0, len(body), STRIDE)]


def assemble(header: bytes, segments: list[bytes]) -> bytes:
    return header + b"".join(segments)


def data_of(size: int) -> bytes:
    return bytes((i * 7 + 3) % 251 for i in range(size))


# --- round trips ---------------------------------------------------------------------------

SIZES = [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 5 * SEG + 7, 9 * SEG]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("chunk", [None, 1, 10, SEG, 3 * SEG + 5])
def test_round_trip(size: int, chunk: int | None) -> None:
    data = data_of(size)

    blob = seal(data, chunk=chunk)

    assert len(blob) == ciphertext_size(size, SEG)
    assert plaintext_size(len(blob), SEG) == size
    assert len(segments_of(blob)) == max(1, -(-size // SEG))
    assert decrypt(blob) == data


@pytest.mark.parametrize("size", SIZES)
def test_encryptor_reports_size_and_digest_when_exhausted(size: int) -> None:
    data = data_of(size)
    encryptor = encrypt_chunks(KEY, IDENTITY, [data], segment_size=SEG)

    with pytest.raises(RuntimeError, match="not been exhausted"):
        _ = encryptor.sha256_hex
    blob = b"".join(encryptor)

    assert encryptor.plaintext_size == size
    assert encryptor.sha256_hex == hashlib.sha256(data).hexdigest()
    assert encryptor.ciphertext_size == len(blob)


def test_a_reused_chunk_buffer_is_copied_before_the_next_chunk() -> None:
    data = data_of(10 * SEG + 3)

    def reused_buffer() -> Iterator[bytearray]:
        buffer = bytearray(37)
        for start in range(0, len(data), 37):
            piece = data[start : start + 37]
            buffer[: len(piece)] = piece
            yield buffer if len(piece) == 37 else bytearray(piece)

    blob = b"".join(encrypt_chunks(KEY, IDENTITY, reused_buffer(), segment_size=SEG))

    assert decrypt(blob) == data


def test_round_trip_with_real_one_mib_segments() -> None:
    data = os.urandom(3 * MIB + 5)

    blob = b"".join(encrypt_chunks(KEY, IDENTITY, [data[: MIB + 1], data[MIB + 1 :]]))

    assert len(blob) == ciphertext_size(len(data))
    assert blob[8:12] == struct.pack(">I", DEFAULT_SEGMENT_SIZE)
    with open_blob(blob) as reader:
        assert reader.size == len(data)
        assert reader.read() == data
        reader.seek(2 * MIB - 3)
        assert reader.read(10) == data[2 * MIB - 3 : 2 * MIB + 7]


@settings(deadline=None, max_examples=150)
@given(
    data=st.binary(max_size=600),
    segment_size=st.integers(1, 100),
    cuts=st.lists(st.integers(0, 600), max_size=8),
)
def test_round_trip_for_any_chunking(data: bytes, segment_size: int, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]

    blob = b"".join(encrypt_chunks(KEY, IDENTITY, chunks, segment_size=segment_size))

    assert len(blob) == ciphertext_size(len(data), segment_size)
    assert decrypt(blob) == data


def test_encrypting_twice_gives_unrelated_blobs() -> None:
    data = data_of(3 * SEG)

    first, second = seal(data), seal(data)

    assert first[:8] == second[:8] == MAGIC
    assert first[12:] != second[12:]
    assert not set(segments_of(first)) & set(segments_of(second))


def test_plaintext_does_not_appear_in_the_blob() -> None:
    marker = b"HIGHLY CONFIDENTIAL MARKER "
    blob = seal(marker * 20)

    assert marker[:16] not in blob


@pytest.mark.parametrize("segment_size", [1, 7, 64])
def test_sizes_are_inverse_and_impossible_sizes_are_refused(segment_size: int) -> None:
    valid = {ciphertext_size(p, segment_size): p for p in range(12 * segment_size)}
    top = max(valid)

    for size in range(top):
        if size in valid:
            assert plaintext_size(size, segment_size) == valid[size]
        else:
            with pytest.raises(ValueError, match="no blob"):
                plaintext_size(size, segment_size)


@pytest.mark.parametrize("segment_size", [0, -1, 64 * MIB + 1])
def test_segment_size_is_bounded(segment_size: int) -> None:
    with pytest.raises(ValueError, match="segment size"):
        encrypt_chunks(KEY, IDENTITY, [], segment_size=segment_size)


@pytest.mark.parametrize("size", [0, SEG, 3 * SEG + 10])
def test_blob_follows_the_documented_construction(size: int) -> None:
    """Decrypt by hand from the module docstring, so the format cannot drift unnoticed
    (other tools, or a future version, must be able to read today's blobs)."""
    data = data_of(size)
    blob = seal(data)
    header = blob[:HEADER_SIZE]
    magic, segment_size, salt, prefix = struct.unpack(">8sI32s7s", header)
    segment_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=salt, info=b"pogw-segment-v1" + IDENTITY
    ).derive(KEY)
    sealed = segments_of(blob)

    plaintext = b"".join(
        AESGCM(segment_key).decrypt(
            prefix + struct.pack(">I", index) + (b"\x01" if index == len(sealed) - 1 else b"\x00"),
            segment,
            header + IDENTITY,
        )
        for index, segment in enumerate(sealed)
    )

    assert (magic, segment_size) == (b"POGWSEG1", SEG)
    assert plaintext == data


# --- tampering -----------------------------------------------------------------------------


@settings(deadline=None, max_examples=300)
@given(
    size=st.sampled_from(SIZES),
    where=st.floats(0, 1, exclude_max=True),
    mask=st.integers(1, 255),
)
def test_changing_any_byte_fails(size: int, where: float, mask: int) -> None:
    blob = bytearray(seal(data_of(size)))
    blob[int(where * len(blob))] ^= mask

    with pytest.raises(IntegrityFailure):
        decrypt(bytes(blob))


@pytest.mark.parametrize("size", [2 * SEG, 3 * SEG + 10])
def test_reordered_segments_fail(size: int) -> None:
    blob = seal(data_of(size))
    header, segments = blob[:HEADER_SIZE], segments_of(blob)
    segments[0], segments[1] = segments[1], segments[0]

    with pytest.raises(IntegrityFailure):
        decrypt(assemble(header, segments))


@pytest.mark.parametrize("size", [0, 1, SEG, 3 * SEG, 3 * SEG + 10])
def test_every_truncation_fails(size: int) -> None:
    blob = seal(data_of(size))

    for length in range(len(blob)):
        with pytest.raises(IntegrityFailure):
            decrypt(blob[:length])


@pytest.mark.parametrize("size", [2 * SEG, 3 * SEG + 10])
def test_dropping_whole_final_segments_fails(size: int) -> None:
    blob = seal(data_of(size))
    header, segments = blob[:HEADER_SIZE], segments_of(blob)

    for keep in range(len(segments)):
        shorter = assemble(header, segments[:keep])
        with pytest.raises(IntegrityFailure):
            decrypt(shorter)


@pytest.mark.parametrize("size", [0, SEG, 2 * SEG + 5])
def test_extension_fails(size: int) -> None:
    blob = seal(data_of(size))
    segments = segments_of(blob)
    foreign = segments_of(seal(data_of(SEG)))[0]

    for extended in (
        blob + b"\x00",
        blob + b"\x00" * STRIDE,
        blob + segments[-1],
        blob + segments[0],
        blob + foreign,
    ):
        with pytest.raises(IntegrityFailure):
            decrypt(extended)


@pytest.mark.parametrize(
    ("field", "replacement"),
    [
        (slice(0, 8), b"POGWSEG2"),
        (slice(8, 12), struct.pack(">I", SEG + 1)),
        (slice(8, 12), struct.pack(">I", SEG // 2)),
        (slice(8, 12), struct.pack(">I", 2**32 - 1)),
        (slice(12, 44), bytes(32)),
        (slice(44, 51), bytes(7)),
    ],
)
@pytest.mark.parametrize("size", [0, SEG, 4 * SEG + 3])
def test_header_edits_fail(field: slice, replacement: bytes, size: int) -> None:
    blob = bytearray(seal(data_of(size)))
    blob[field] = replacement

    with pytest.raises(IntegrityFailure):
        decrypt(bytes(blob))


def test_header_from_another_blob_fails() -> None:
    data = data_of(3 * SEG)
    mine, theirs = seal(data), seal(data)

    with pytest.raises(IntegrityFailure):
        decrypt(theirs[:HEADER_SIZE] + mine[HEADER_SIZE:])


@pytest.mark.parametrize(
    ("key", "identity"),
    [(KEY, OTHER_IDENTITY), (KEY, IDENTITY), (OTHER_KEY, IDENTITY)],
    ids=["other-document", "re-encryption", "other-key"],
)
def test_segment_from_another_blob_fails(key: bytes, identity: bytes) -> None:
    data = data_of(3 * SEG)
    mine = seal(data)
    theirs = seal(data, key=key, identity=identity)
    segments = segments_of(mine)
    segments[1] = segments_of(theirs)[1]

    with pytest.raises(IntegrityFailure):
        decrypt(assemble(mine[:HEADER_SIZE], segments))


@pytest.mark.parametrize("size", [0, SEG, 3 * SEG + 1])
def test_a_blob_opened_as_another_document_fails(size: int) -> None:
    blob = seal(data_of(size))

    with pytest.raises(IntegrityFailure):
        decrypt(blob, identity=OTHER_IDENTITY)
    with pytest.raises(IntegrityFailure):
        decrypt(blob, identity=IDENTITY + b"\x00")
    with pytest.raises(IntegrityFailure):
        decrypt(blob, key=OTHER_KEY)


def test_a_short_read_from_the_store_fails() -> None:
    blob = seal(data_of(5 * SEG))
    stored = blob[: HEADER_SIZE + 2 * STRIDE + 5]  # the store lost the tail

    def read_range(offset: int, length: int) -> bytes:
        return stored[offset : offset + length]

    with pytest.raises(IntegrityFailure, match="truncated"):
        open_blob(blob, read_range=read_range)


def test_not_an_encrypted_document() -> None:
    with pytest.raises(IntegrityFailure, match="not an encrypted document"):
        decrypt(b"%PDF-1.7" + bytes(200))


# --- random access -------------------------------------------------------------------------

_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("seek"), st.integers(-400, 400), st.sampled_from([0, 1, 2])),
        st.tuples(st.just("read"), st.integers(-1, 200)),
        st.tuples(st.just("readinto"), st.integers(0, 200)),
    ),
    max_size=25,
)


@settings(deadline=None, max_examples=200)
@given(data=st.binary(max_size=500), segment_size=st.integers(1, 70), ops=_OPS)
def test_random_seeks_and_reads_match_the_plaintext(
    data: bytes, segment_size: int, ops: list[tuple[str, int] | tuple[str, int, int]]
) -> None:
    blob = b"".join(encrypt_chunks(KEY, IDENTITY, [data], segment_size=segment_size))
    reader = open_blob(blob)
    position = 0

    for op in ops:
        if op[0] == "seek":
            _, offset, whence = op
            target = offset + (0, position, len(data))[whence]
            if target < 0:
                with pytest.raises(ValueError, match="negative"):
                    reader.seek(offset, whence)
            else:
                assert reader.seek(offset, whence) == target
                position = target
        elif op[0] == "read":
            size = op[1]
            end = len(data) if size < 0 else position + size
            assert reader.read(size) == data[position:end]
            position = max(position, min(end, len(data)))
        else:
            buffer = bytearray(op[1])
            count = reader.readinto(buffer)
            assert bytes(buffer[:count]) == data[position : position + op[1]]
            position += count
        assert reader.tell() == position


@settings(deadline=None, max_examples=200)
@given(
    data=st.binary(max_size=500),
    segment_size=st.integers(1, 70),
    start=st.integers(0, 600),
    length=st.none() | st.integers(0, 600),
)
def test_iter_chunks_yields_the_slice_a_segment_at_most(
    data: bytes, segment_size: int, start: int, length: int | None
) -> None:
    blob = b"".join(encrypt_chunks(KEY, IDENTITY, [data], segment_size=segment_size))
    reader = open_blob(blob)
    reader.seek(3)
    end = None if length is None else start + length

    pieces = list(reader.iter_chunks(start, end))

    assert b"".join(pieces) == data[start:end]
    assert all(0 < len(piece) <= segment_size for piece in pieces)
    assert reader.tell() == 3


def test_only_the_needed_segments_are_read() -> None:
    data = data_of(100 * SEG)
    blob = seal(data)
    calls: list[tuple[int, int]] = []

    def read_range(offset: int, length: int) -> bytes:
        calls.append((offset, length))
        return blob[offset : offset + length]

    reader = open_blob(blob, read_range=read_range)
    assert calls == [(0, HEADER_SIZE), (HEADER_SIZE + 99 * STRIDE, STRIDE)]  # header, last

    reader.seek(50 * SEG + 3)
    assert reader.read(10) == data[50 * SEG + 3 : 50 * SEG + 13]
    assert reader.read(10) == data[50 * SEG + 13 : 50 * SEG + 23]
    assert calls[2:] == [(HEADER_SIZE + 50 * STRIDE, STRIDE)]

    assert reader.read(SEG) == data[50 * SEG + 23 : 51 * SEG + 23]
    assert calls[3:] == [(HEADER_SIZE + 51 * STRIDE, STRIDE)]


def test_a_buffered_reader_and_closing_work_like_a_file() -> None:
    data = data_of(10 * SEG + 1)
    raw = open_blob(seal(data))

    with io.BufferedReader(raw, buffer_size=SEG) as buffered:
        assert raw.readable() and raw.seekable() and not raw.writable()
        buffered.seek(-5, io.SEEK_END)
        assert buffered.read() == data[-5:]
        buffered.seek(SEG - 2)
        assert buffered.read(4) == data[SEG - 2 : SEG + 2]

    assert raw.closed
    with pytest.raises(ValueError, match="closed"):
        raw.read(1)
    with pytest.raises(ValueError, match="closed"):
        raw.seek(0)


def test_invalid_whence_and_range() -> None:
    reader = open_blob(seal(data_of(SEG)))

    with pytest.raises(ValueError, match="whence"):
        reader.seek(0, 3)
    with pytest.raises(ValueError, match="range"):
        reader.iter_chunks(10, 5)
    with pytest.raises(ValueError, match="range"):
        reader.iter_chunks(-1)


# --- memory --------------------------------------------------------------------------------


def _peak_while_streaming(path: Path, mebibytes: int) -> int:
    """Encrypt ``mebibytes`` to a file, decrypt it back; return the traced memory peak."""
    block = os.urandom(MIB)  # allocated before tracing: the caller's data is not ours
    expected = hashlib.sha256()
    tracemalloc.start()
    try:
        encryptor = encrypt_chunks(KEY, IDENTITY, itertools.repeat(block, mebibytes))
        with path.open("wb") as out:
            for piece in encryptor:
                out.write(piece)
        with path.open("rb") as blob:

            def read_range(offset: int, length: int) -> bytes:
                blob.seek(offset)
                return blob.read(length)

            reader = SegmentReader(KEY, IDENTITY, read_range, encryptor.ciphertext_size)
            for piece in reader.iter_chunks():
                expected.update(piece)
            reader.seek(0)
            buffer = bytearray(256 * 1024)
            while reader.readinto(buffer):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert encryptor.plaintext_size == mebibytes * MIB
    assert expected.hexdigest() == encryptor.sha256_hex
    return peak


def test_memory_does_not_grow_with_document_size(tmp_path: Path) -> None:
    small = _peak_while_streaming(tmp_path / "small", 8)
    large = _peak_while_streaming(tmp_path / "large", 32)

    assert large < 4 * MIB  # about three segments: plaintext, ciphertext, the caller's piece
    assert large - small < MIB // 2
