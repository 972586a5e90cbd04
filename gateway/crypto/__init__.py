"""Encryption at rest: key hierarchy, the segmented document format, and the envelope
that puts it around any blob store (BRIEF §1, §6, §7)."""

from __future__ import annotations

from gateway.crypto.envelope import EncryptedBlobs, StoredBlob
from gateway.crypto.keys import (
    KEY_SIZE,
    encode_key,
    generate_key,
    key_from_b64,
    load_key_file,
    unwrap_key,
    wrap_key,
    write_key_file,
)
from gateway.crypto.segments import (
    DEFAULT_SEGMENT_SIZE,
    SegmentEncryptor,
    SegmentReader,
    ciphertext_size,
    encrypt_chunks,
    plaintext_size,
)

__all__ = [
    "DEFAULT_SEGMENT_SIZE",
    "KEY_SIZE",
    "EncryptedBlobs",
    "SegmentEncryptor",
    "SegmentReader",
    "StoredBlob",
    "ciphertext_size",
    "encode_key",
    "encrypt_chunks",
    "generate_key",
    "key_from_b64",
    "load_key_file",
    "plaintext_size",
    "unwrap_key",
    "wrap_key",
    "write_key_file",
]
