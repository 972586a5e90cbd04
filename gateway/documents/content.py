"""Encrypted document files: writing them at ingest, streaming them back out.

Each file gets a fresh data key, wrapped by the matter key; the segment format binds the
ciphertext to the matter and the blob key, so ciphertext moved between documents fails
to decrypt.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from gateway.crypto.keys import generate_key, unwrap_key, wrap_key
from gateway.documents.models import Document, DocumentFile, Production
from gateway.documents.zipstream import Member, stream_zip
from gateway.matters.models import Matter
from gateway.matters.service import matter_key
from gateway.runtime import Runtime

CHUNK = 1 << 20


def new_blob_key(matter: Matter) -> str:
    return f"m/{matter.uid}/{secrets.token_hex(16)}"


def identity(matter: Matter, blob_key: str) -> bytes:
    return f"pogw-doc:{matter.uid}:{blob_key}".encode("ascii")


def data_key_context(blob_key: str) -> bytes:
    return f"pogw-data-key:{blob_key}".encode("ascii")


@dataclass(frozen=True)
class StoredFile:
    blob_key: str
    wrapped_data_key: bytes
    plaintext_size: int
    ciphertext_size: int
    sha256: str


def store_file(rt: Runtime, matter: Matter, mkey: bytes, chunks: Iterable[bytes]) -> StoredFile:
    blob_key = new_blob_key(matter)
    data_key = generate_key()
    stored = rt.blobs.put(blob_key, chunks, data_key=data_key, identity=identity(matter, blob_key))
    return StoredFile(
        blob_key=blob_key,
        wrapped_data_key=wrap_key(mkey, data_key, context=data_key_context(blob_key)),
        plaintext_size=stored.plaintext_size,
        ciphertext_size=stored.ciphertext_size,
        sha256=stored.sha256_hex,
    )


@dataclass(frozen=True)
class _Readable:
    """What the stream needs after the database transaction has ended."""

    blob_key: str
    data_key: bytes
    identity: bytes
    ciphertext_size: int


def _readables(rt: Runtime, matter: Matter, files: list[DocumentFile]) -> list[_Readable]:
    mkey = matter_key(rt, matter)
    return [
        _Readable(
            blob_key=f.blob_key,
            data_key=unwrap_key(mkey, f.wrapped_data_key, context=data_key_context(f.blob_key)),
            identity=identity(matter, f.blob_key),
            ciphertext_size=f.ciphertext_size,
        )
        for f in files
    ]


def _plaintext(rt: Runtime, readable: _Readable) -> Iterator[bytes]:
    reader = rt.blobs.open(
        readable.blob_key, data_key=readable.data_key, identity=readable.identity
    )
    try:
        yield from reader.iter_chunks()
    finally:
        reader.close()


def document_download(rt: Runtime, matter: Matter, doc: Document, files: list[DocumentFile]):  # noqa: ANN201
    from gateway.documents.service import Download

    readables = _readables(rt, matter, files)
    if len(files) == 1:
        only = files[0]
        return Download(
            file_name=f"{doc.bates_begin}{_suffix(only.file_name)}",
            media_type=only.media_type,
            size=only.plaintext_size,
            chunks=_plaintext(rt, readables[0]),
        )
    members = [
        Member(
            name=f"{doc.bates_begin}/{f.file_name}",
            modified=doc.created_at,
            chunks=partial(_plaintext, rt, r),
        )
        for f, r in zip(files, readables, strict=True)
    ]
    return Download(
        file_name=f"{doc.bates_begin}.zip",
        media_type="application/zip",
        size=None,
        chunks=stream_zip(members),
    )


def volume_download(  # noqa: ANN201
    rt: Runtime,
    matter: Matter,
    production: Production,
    entries: list[tuple[Document, list[DocumentFile]]],
):
    from gateway.documents.service import Download

    def members() -> Iterator[Member]:
        for doc, files in entries:
            for f, r in zip(files, _readables(rt, matter, files), strict=True):
                yield Member(
                    name=f"{production.volume}/{doc.bates_begin}/{f.file_name}",
                    modified=doc.created_at,
                    chunks=partial(_plaintext, rt, r),
                )

    return Download(
        file_name=f"{production.volume}.zip",
        media_type="application/zip",
        size=None,
        chunks=stream_zip(members()),
    )


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if 0 <= dot and len(name) - dot <= 8 else ""
