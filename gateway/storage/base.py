"""The one storage interface every blob backend implements, and its key rules.

Blobs hold ciphertext only (encryption wraps a store, see ``gateway.crypto.envelope``), so a
store knows nothing about documents. Keys are chosen by the server, never taken from a
client: a client's file name must never become a path or an object name. The key grammar
below is therefore deliberately narrow, the same for every backend, so that a key valid on
the file store is valid on S3 and the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol, runtime_checkable

# Lower-case ASCII, digits, "/", "_" and "-": no dots (so no ".." and no hidden files), no
# upper case (case-insensitive file systems), at most 201 characters.
_KEY_RE = re.compile(r"[a-z0-9][a-z0-9/_-]{0,200}")


def validate_key(key: str) -> str:
    """Return ``key`` if it is a well-formed storage key, else raise ``ValueError``.

    A key is a "/"-separated path of non-empty segments: it may not start or end with "/"
    nor contain "//", so every backend maps it to exactly one object.
    """
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"invalid storage key {key!r}")
    if "//" in key or key.endswith("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


def is_valid_key(key: str) -> bool:
    """Whether ``key`` passes ``validate_key``; for listings that skip foreign names."""
    try:
        validate_key(key)
    except ValueError:
        return False
    return True


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start a key ("" or a key, optionally ending in "/")."""
    if prefix == "":
        return prefix
    if not isinstance(prefix, str) or not _KEY_RE.fullmatch(prefix) or "//" in prefix:
        raise ValueError(f"invalid storage key prefix {prefix!r}")
    return prefix


def validate_range(offset: int, length: int) -> None:
    """Refuse negative ranges early: every backend would treat them differently."""
    if offset < 0 or length < 0:
        raise ValueError(f"invalid byte range offset={offset} length={length}")


@runtime_checkable
class BlobStore(Protocol):
    """Where encrypted blobs live. Every method raises ``FileNotFoundError`` for a missing
    key (except ``delete`` and ``exists``) and ``ValueError`` for a malformed key."""

    def put(self, key: str, chunks: Iterable[bytes]) -> int:
        """Store the concatenated chunks under ``key``, replacing any previous blob, and
        return the number of bytes written.

        Atomic: readers see the old blob or the whole new one, never a part. When the
        iterator raises midway, nothing is stored (an old blob stays as it was) and no
        temporary file or pending upload remains; the exception propagates.
        """
        ...

    def size(self, key: str) -> int:
        """Size of the blob in bytes."""
        ...

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; shorter only at the end of the blob
        (empty when ``offset`` is at or past the end)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether a blob is stored under ``key``."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with ``prefix`` (a plain string prefix, not a
        directory), in lexicographic order."""
        ...

    def modified(self, key: str) -> datetime:
        """When the blob was last written (aware, UTC)."""
        ...
