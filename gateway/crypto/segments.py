"""A streaming, seekable AEAD format for documents (BRIEF §6, §7).

GCM over a whole file would need the whole file to check one tag; Fernet holds it in
memory. Instead the plaintext is cut into segments, each sealed on its own, so a reader can
decrypt just the segments under a byte range (stamping and ZIP streaming seek) while any
change to the blob still fails:

    header   = b"POGWSEG1" || segment_size (u32 BE) || salt (32) || nonce_prefix (7)
    blob     = header || seal(segment 0) || ... || seal(segment n-1)
    seal(i)  = AES-256-GCM(segment_key, nonce_i, plaintext_i, aad) = ciphertext_i || tag
    segment_key = HKDF-SHA256(data_key, salt, info=b"pogw-segment-v1" || identity)
    nonce_i  = nonce_prefix || i (u32 BE) || last (1 byte: 1 for segment n-1, else 0)
    aad      = header || identity

Every segment but the last holds exactly ``segment_size`` plaintext bytes; the last holds
1..segment_size, or 0 for an empty document (which is one empty final segment). Segment
order is in the nonce, so reordering fails; the last flag makes truncation at a segment
boundary and extension fail; the header is in every segment's associated data; the
``identity`` (the caller's name for the document) is in the key and the associated data,
so a segment or a whole blob moved to another document fails too. The random salt gives
each blob its own segment key, so nonces never repeat across re-encryptions under one data
key.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from collections.abc import Callable, Iterable, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.errors import IntegrityFailure

MAGIC = b"POGWSEG1"
SALT_SIZE = 32
NONCE_PREFIX_SIZE = 7
_HEADER = struct.Struct(f">{len(MAGIC)}sI{SALT_SIZE}s{NONCE_PREFIX_SIZE}s")
HEADER_SIZE = _HEADER.size
TAG_SIZE = 16
DEFAULT_SEGMENT_SIZE = 1024 * 1024
MAX_SEGMENT_SIZE = 64 * 1024 * 1024  # bounds what a reader allocates for a forged header
MAX_SEGMENTS = 2**32  # the segment index is a u32 in the nonce
_INFO = b"pogw-segment-v1"


def _check_segment_size(segment_size: int) -> None:
    if not 1 <= segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError(f"segment size must be between 1 and {MAX_SEGMENT_SIZE} bytes")


def _segment_count(plaintext_size: int, segment_size: int) -> int:
    return max(1, -(-plaintext_size // segment_size))


def ciphertext_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Size of the blob holding ``plaintext_size`` bytes."""
    _check_segment_size(segment_size)
    if plaintext_size < 0:
        raise ValueError("plaintext size must not be negative")
    return HEADER_SIZE + plaintext_size + TAG_SIZE * _segment_count(plaintext_size, segment_size)


def plaintext_size(ciphertext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    """Inverse of ``ciphertext_size``; ``ValueError`` for a size no blob can have."""
    _check_segment_size(segment_size)
    body = ciphertext_size - HEADER_SIZE
    if body < TAG_SIZE:
        raise ValueError(f"no blob is {ciphertext_size} bytes long")
    full, rest = divmod(body, segment_size + TAG_SIZE)
    if rest == 0:
        return full * segment_size
    # A short last segment carries 1..segment_size-1 bytes, an empty one only when alone.
    if rest < TAG_SIZE or (rest == TAG_SIZE and full > 0):
        raise ValueError(f"no blob is {ciphertext_size} bytes long")
    return full * segment_size + rest - TAG_SIZE


def _segment_aead(data_key: bytes, identity: bytes, salt: bytes) -> AESGCM:
    if len(data_key) != 32:
        raise ValueError("data key must be 32 bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO + identity)
    return AESGCM(hkdf.derive(data_key))


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class SegmentEncryptor:
    """Iterator of ciphertext pieces (the header, then one sealed segment per piece).

    It holds at most one segment of plaintext. Once exhausted, ``plaintext_size``,
    ``sha256_hex`` and ``ciphertext_size`` describe what was encrypted, so a caller can
    record them without a second pass over the document.
    """

    def __init__(
        self,
        data_key: bytes,
        identity: bytes,
        chunks: Iterable[bytes],
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
    ) -> None:
        _check_segment_size(segment_size)
        self.segment_size = segment_size
        salt = os.urandom(SALT_SIZE)
        self._prefix = os.urandom(NONCE_PREFIX_SIZE)
        self.header = _HEADER.pack(MAGIC, segment_size, salt, self._prefix)
        self._aad = self.header + identity
        self._aead = _segment_aead(data_key, identity, salt)
        self._hash = hashlib.sha256()
        self._size = 0
        self._written = 0
        self._done = False
        self._pieces = self._generate(iter(chunks))

    def __iter__(self) -> SegmentEncryptor:
        return self

    def __next__(self) -> bytes:
        piece = next(self._pieces)
        self._written += len(piece)
        return piece

    def _require_done(self) -> None:
        if not self._done:
            raise RuntimeError("the encryptor has not been exhausted yet")

    @property
    def plaintext_size(self) -> int:
        self._require_done()
        return self._size

    @property
    def sha256_hex(self) -> str:
        self._require_done()
        return self._hash.hexdigest()

    @property
    def ciphertext_size(self) -> int:
        self._require_done()
        return self._written

    def _seal(self, index: int, data: bytearray | memoryview, *, last: bool) -> bytes:
        if index >= MAX_SEGMENTS:
            raise ValueError("document too large for this segment size")
        return self._aead.encrypt(_nonce(self._prefix, index, last), data, self._aad)

    def _generate(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        yield self.header
        size = self.segment_size
        index = 0
        # One segment's worth of plaintext waiting to learn whether it is the last: it is
        # sealed as non-final only when more data turns up. Allocated once at full size so
        # that filling it never reallocates (and never holds two copies).
        pending = bytearray(size)
        filled = 0
        for chunk in chunks:
            # Copied into ``pending`` before the next chunk is asked for, so a caller may
            # reuse one buffer for every chunk.
            view = memoryview(chunk).cast("B")
            self._hash.update(view)
            self._size += view.nbytes
            while view:
                if filled == size:
                    yield self._seal(index, pending, last=False)
                    index += 1
                    filled = 0
                take = min(size - filled, len(view))
                pending[filled : filled + take] = view[:take]
                filled += take
                view = view[take:]
        yield self._seal(index, memoryview(pending)[:filled], last=True)
        self._done = True


def encrypt_chunks(
    data_key: bytes,
    identity: bytes,
    chunks: Iterable[bytes],
    *,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> SegmentEncryptor:
    """Encrypt a stream of plaintext chunks; see ``SegmentEncryptor``."""
    return SegmentEncryptor(data_key, identity, chunks, segment_size=segment_size)


class SegmentReader(io.RawIOBase):
    """A read-only, seekable file over a blob that decrypts segments on demand.

    ``read_range(offset, length)`` reads ciphertext (short only at the end of the blob);
    ``ciphertext_size`` is the blob's size. Opening checks the header and the last segment,
    so a truncated, extended or re-headed blob, or one from another document, fails at once
    and the reported size can be trusted; every other segment is checked when read. Only
    the segment under the current position is kept in memory. Not thread-safe.
    """

    def __init__(
        self,
        data_key: bytes,
        identity: bytes,
        read_range: Callable[[int, int], bytes],
        ciphertext_size: int,
    ) -> None:
        super().__init__()
        self._read_range = read_range
        self._ciphertext_size = ciphertext_size
        header = read_range(0, HEADER_SIZE) if ciphertext_size >= HEADER_SIZE else b""
        if len(header) != HEADER_SIZE:
            raise IntegrityFailure("encrypted document is truncated")
        magic, segment_size, salt, prefix = _HEADER.unpack(header)
        if magic != MAGIC:
            raise IntegrityFailure("not an encrypted document")
        try:
            self._size = plaintext_size(ciphertext_size, segment_size)
        except ValueError:
            raise IntegrityFailure("encrypted document has an impossible size") from None
        self.segment_size = segment_size
        self._prefix = prefix
        self._aad = header + identity
        self._aead = _segment_aead(data_key, identity, salt)
        self._last_index = _segment_count(self._size, segment_size) - 1
        self._position = 0
        self._cached_index = -1
        self._cached = b""
        self._segment(self._last_index)

    @property
    def size(self) -> int:
        """Plaintext size in bytes (authenticated: the last segment was checked)."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._check_open()
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` as far as the document goes (short only at its end)."""
        self._check_open()
        target = memoryview(buffer).cast("B")
        filled = 0
        for piece in self.iter_chunks(self._position, self._position + len(target)):
            target[filled : filled + len(piece)] = piece
            filled += len(piece)
        self._position += filled
        return filled

    def readall(self) -> bytes:
        self._check_open()
        data = b"".join(self.iter_chunks(self._position))
        self._position = max(self._position, self._size)
        return data

    def iter_chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Plaintext of ``[start, end)`` (clamped to the document) in pieces of at most one
        segment, for streaming a response. It does not move the read position."""
        self._check_open()
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"invalid range start={start} end={end}")
        end = self._size if end is None else min(end, self._size)
        return self._pieces(start, end)

    def _pieces(self, start: int, end: int) -> Iterator[bytes]:
        position = start
        while position < end:
            index, offset = divmod(position, self.segment_size)
            segment = self._segment(index)
            piece = segment[offset : offset + end - position]
            yield piece
            position += len(piece)

    def _segment(self, index: int) -> bytes:
        """Decrypted segment ``index``; the one most recently used stays cached."""
        if index == self._cached_index:
            return self._cached
        self._cached_index, self._cached = -1, b""  # never hold two segments at once
        stride = self.segment_size + TAG_SIZE
        offset = HEADER_SIZE + index * stride
        length = min(stride, self._ciphertext_size - offset)
        sealed = self._read_range(offset, length)
        if len(sealed) != length:
            raise IntegrityFailure("encrypted document is truncated")
        nonce = _nonce(self._prefix, index, index == self._last_index)
        try:
            plaintext = self._aead.decrypt(nonce, sealed, self._aad)
        except InvalidTag:
            raise IntegrityFailure(
                f"encrypted document failed authentication (segment {index})"
            ) from None
        self._cached_index, self._cached = index, plaintext
        return plaintext

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def close(self) -> None:
        self._cached_index, self._cached = -1, b""
        super().close()
