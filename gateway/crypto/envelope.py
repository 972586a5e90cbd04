"""Encryption around any blob store: plaintext in, ciphertext stored, plaintext out.

Kept outside the backends (STYLE "encryption wraps any backend") so that every backend
stores only ciphertext and the segment format is tested once. Plaintext only ever exists
in memory, one segment at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from gateway.crypto.segments import DEFAULT_SEGMENT_SIZE, SegmentReader, encrypt_chunks
from gateway.storage.base import BlobStore


@dataclass(frozen=True)
class StoredBlob:
    """What a caller records about a stored document: sizes and the plaintext digest."""

    plaintext_size: int
    sha256_hex: str
    ciphertext_size: int


class EncryptedBlobs:
    """Stores documents encrypted under their data key, bound to their identity.

    ``identity`` names the document (e.g. ``b"matter-id/document-id/version"``); it must be
    the same at ``put`` and ``open``, which is what stops a blob moved from one document's
    key to another's from decrypting.
    """

    def __init__(self, store: BlobStore, *, segment_size: int = DEFAULT_SEGMENT_SIZE) -> None:
        self.store = store
        self.segment_size = segment_size

    def put(
        self, key: str, chunks: Iterable[bytes], *, data_key: bytes, identity: bytes
    ) -> StoredBlob:
        """Encrypt and store ``chunks`` under ``key`` (atomically, as ``BlobStore.put``)."""
        encryptor = encrypt_chunks(data_key, identity, chunks, segment_size=self.segment_size)
        written = self.store.put(key, encryptor)
        if written != encryptor.ciphertext_size:
            raise RuntimeError(f"store wrote {written} bytes of {encryptor.ciphertext_size}")
        return StoredBlob(
            plaintext_size=encryptor.plaintext_size,
            sha256_hex=encryptor.sha256_hex,
            ciphertext_size=written,
        )

    def open(
        self,
        key: str,
        *,
        data_key: bytes,
        identity: bytes,
        ciphertext_size: int | None = None,
    ) -> SegmentReader:
        """A seekable plaintext reader; ``FileNotFoundError`` for a missing key and
        ``IntegrityFailure`` for a blob that is not this document's.

        Passing the ``ciphertext_size`` recorded at ``put`` saves asking the store for it,
        and a blob whose size has changed since then fails as tampered.
        """
        size = self.store.size(key) if ciphertext_size is None else ciphertext_size
        return SegmentReader(data_key, identity, partial(self.store.read_range, key), size)

    def delete(self, key: str) -> None:
        self.store.delete(key)
