"""Throughput of encryption at rest against the cipher's own speed (BRIEF §6).

Streams generated data through ``EncryptedBlobs`` over the file backend (encrypt + SHA-256
+ fsynced write, then ranged reads + decrypt) and compares it with raw ``AESGCM`` on 1 MiB
buffers in the same process, so the ratio says what the format, the digest and the store
cost on this machine. Not part of the test suite; run it by hand:

    .venv/bin/python bench/crypto_throughput.py [--mib 256]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.crypto.envelope import EncryptedBlobs
from gateway.crypto.keys import generate_key
from gateway.crypto.segments import DEFAULT_SEGMENT_SIZE, encrypt_chunks
from gateway.storage.file import FileBlobStore

MIB = 1024 * 1024


def generated(mebibytes: int, blocks: list[bytes]) -> Iterator[bytes]:
    """``mebibytes`` of data without holding it: a few random blocks, cycled."""
    return itertools.islice(itertools.cycle(blocks), mebibytes)


def rate(mebibytes: float, seconds: float) -> float:
    return mebibytes / seconds if seconds else float("inf")


def baseline(mebibytes: int, blocks: list[bytes]) -> tuple[float, float]:
    """Seconds for raw AES-256-GCM encrypt and decrypt of ``mebibytes`` 1 MiB buffers."""
    aead = AESGCM(generate_key())
    nonce = os.urandom(12)
    sealed: list[bytes] = []
    started = time.perf_counter()
    for block in generated(mebibytes, blocks):
        ciphertext = aead.encrypt(nonce, block, None)
        if len(sealed) < len(blocks):  # keep a few to decrypt, not the whole data set
            sealed.append(ciphertext)
    encrypted = time.perf_counter()
    for index in range(mebibytes):
        aead.decrypt(nonce, sealed[index % len(sealed)], None)
    decrypted = time.perf_counter()
    return encrypted - started, decrypted - encrypted


def ours(mebibytes: int, blocks: list[bytes], root: Path) -> tuple[float, float]:
    """Seconds for ``EncryptedBlobs.put`` and for reading the document back."""
    blobs = EncryptedBlobs(FileBlobStore(root))
    data_key, identity = generate_key(), b"bench/doc/v1"
    started = time.perf_counter()
    stored = blobs.put(
        "bench/doc", generated(mebibytes, blocks), data_key=data_key, identity=identity
    )
    encrypted = time.perf_counter()
    total = 0
    with blobs.open("bench/doc", data_key=data_key, identity=identity) as reader:
        for piece in reader.iter_chunks():
            total += len(piece)
    decrypted = time.perf_counter()
    if total != stored.plaintext_size or total != mebibytes * MIB:
        raise SystemExit(f"read back {total} bytes, expected {mebibytes * MIB}")
    return encrypted - started, decrypted - encrypted


def ours_in_memory(mebibytes: int, blocks: list[bytes]) -> float:
    """Seconds for the segment encryption alone (with its digest), ciphertext discarded:
    what ``put`` costs before the store."""
    started = time.perf_counter()
    for _ in encrypt_chunks(generate_key(), b"bench/doc/v1", generated(mebibytes, blocks)):
        pass
    return time.perf_counter() - started


def sha256_only(mebibytes: int, blocks: list[bytes]) -> float:
    """Seconds to hash the plaintext: ``StoredBlob.sha256_hex`` requires it."""
    digest = hashlib.sha256()
    started = time.perf_counter()
    for block in generated(mebibytes, blocks):
        digest.update(block)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="MiB of data (default 256)")
    args = parser.parse_args()
    size = args.mib
    blocks = [os.urandom(MIB) for _ in range(8)]

    base_enc, base_dec = baseline(size, blocks)
    hash_time = sha256_only(size, blocks)
    memory_time = ours_in_memory(size, blocks)
    with tempfile.TemporaryDirectory(prefix="pogw-bench-") as tmp:
        our_enc, our_dec = ours(size, blocks, Path(tmp))

    base_rate = rate(2 * size, base_enc + base_dec)
    our_rate = rate(2 * size, our_enc + our_dec)
    print(f"data: {size} MiB, segment {DEFAULT_SEGMENT_SIZE // MIB} MiB, file backend in /tmp")
    print(f"baseline AESGCM encrypt   {rate(size, base_enc):10.1f} MiB/s")
    print(f"baseline AESGCM decrypt   {rate(size, base_dec):10.1f} MiB/s")
    print(f"sha256 alone              {rate(size, hash_time):10.1f} MiB/s")
    print(f"ours encrypt+sha, no I/O  {rate(size, memory_time):10.1f} MiB/s")
    print(f"ours put (enc+sha+write)  {rate(size, our_enc):10.1f} MiB/s")
    print(f"ours read (read+decrypt)  {rate(size, our_dec):10.1f} MiB/s")
    print(
        f"RESULT ratio={our_rate / base_rate:.3f} ours_mib_s={our_rate:.1f} "
        f"baseline_mib_s={base_rate:.1f} mib={size}"
    )


if __name__ == "__main__":
    main()
