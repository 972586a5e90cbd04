"""Encrypted document files: writing them at ingest, streaming them back out.

Each file gets a fresh data key, wrapped by the matter key. The file's place (matter,
document, version, role, page) and its blob key are bound into both the segment format's
identity and the data key's wrapping, so ciphertext or a file row moved to another
document, version or page fails to decrypt instead of being served under the wrong
designation.

Serving opens the first file and decrypts its first piece before the response begins, so a
stored file that fails there is refused with an error rather than a broken response; any
later failure raises ``StoredContentFailed`` mid-stream, naming the document to the caller
(never in its message, which reaches server logs).
"""

from __future__ import annotations

import io
import itertools
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.crypto.keys import generate_key, unwrap_key, wrap_key
from gateway.db import batches
from gateway.documents.loadfiles import Placed, volume_load_files
from gateway.documents.models import Document, DocumentFile, DocumentVersion, Production
from gateway.documents.zipstream import Member, known_zip, stream_zip, unique_name
from gateway.errors import IntegrityFailure
from gateway.matters.models import Matter
from gateway.matters.service import matter_key
from gateway.runtime import Runtime

CHUNK = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def new_uid() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Place:
    """Where a file belongs; bound into its encryption."""

    document_uid: str
    version_uid: str
    role: str
    page_no: int | None

    def label(self, matter: Matter, blob_key: str) -> str:
        page = self.page_no or 0
        return f"{matter.uid}:{self.document_uid}:{self.version_uid}:{self.role}:{page}:{blob_key}"


def _identity(matter: Matter, place: Place, blob_key: str) -> bytes:
    return f"pogw-doc:{place.label(matter, blob_key)}".encode("ascii")


@dataclass(frozen=True)
class Binding:
    """What decides who may see a document, bound into the wrapping of its data keys: a
    row changed outside the product's own services (``designation`` set to CONFIDENTIAL
    by hand, a sequestered ``state`` set back to produced) then fails to decrypt, while a
    workflow that changes them re-wraps the keys in its own transaction (``rebind``)."""

    designation: str
    state: str
    producing_party_id: int
    designating_party_id: int
    presented: bool

    @classmethod
    def of(cls, doc: Document) -> Binding:
        return cls(
            designation=doc.designation,
            state=doc.state,
            producing_party_id=doc.producing_party_id,
            designating_party_id=doc.designating_party_id,
            presented=doc.presented_at is not None,
        )

    @classmethod
    def of_version(cls, doc: Document, version: DocumentVersion) -> Binding:
        """A version other than the original is decided by its own designation and state."""
        return cls(
            designation=version.designation or doc.designation,
            state=version.state or doc.state,
            producing_party_id=doc.producing_party_id,
            designating_party_id=doc.designating_party_id,
            presented=doc.presented_at is not None,
        )

    @classmethod
    def new(cls, designation: str, party_id: int) -> Binding:
        """A document as first produced: its producer designates it."""
        return cls(designation, "produced", party_id, party_id, False)

    def label(self) -> str:
        parties = f"{self.producing_party_id}:{self.designating_party_id}"
        return f"{self.designation}:{self.state}:{parties}:{int(self.presented)}"


def _key_context(matter: Matter, place: Place, blob_key: str, binding: Binding | None) -> bytes:
    """``binding`` None: the context of a key wrapped before access attributes were bound."""
    context = f"pogw-data-key:{place.label(matter, blob_key)}"
    if binding is not None:
        context += f":access:{binding.label()}"
    return context.encode("ascii")


@dataclass(frozen=True)
class StoredFile:
    blob_key: str
    wrapped_data_key: bytes
    plaintext_size: int
    ciphertext_size: int
    sha256: str
    crc32: int


def store_file(
    rt: Runtime,
    matter: Matter,
    mkey: bytes,
    place: Place,
    chunks: Iterable[bytes],
    binding: Binding,
) -> StoredFile:
    blob_key = f"m/{matter.uid}/{new_uid()}"
    data_key = generate_key()
    crc = _Crc32(chunks)
    stored = rt.blobs.put(
        blob_key, crc, data_key=data_key, identity=_identity(matter, place, blob_key)
    )
    return StoredFile(
        blob_key=blob_key,
        wrapped_data_key=wrap_key(
            mkey, data_key, context=_key_context(matter, place, blob_key, binding)
        ),
        plaintext_size=stored.plaintext_size,
        ciphertext_size=stored.ciphertext_size,
        sha256=stored.sha256_hex,
        crc32=crc.value,
    )


class StoredContentFailed(IntegrityFailure):
    """A document's stored file cannot be read back intact: a key or a segment fails its
    authentication, or the blob is gone. The message says why and never names the
    document, since it may reach a server log; ``document_id`` and ``bates`` say which."""

    what = "stored file failed its integrity check"  # the abort's reason begins with it

    def __init__(self, document_id: int, bates: str, reason: str) -> None:
        super().__init__(reason)
        self.document_id = document_id
        self.bates = bates


class _Crc32:
    """The chunks passed through, their CRC-32 taken on the way (for ZIP headers)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = chunks
        self.value = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.value = zlib.crc32(chunk, self.value)
            yield chunk


@dataclass(frozen=True)
class _Readable:
    """What the stream needs after the database transaction has ended."""

    document_id: int
    bates: str
    blob_key: str
    data_key: bytes
    identity: bytes
    ciphertext_size: int


def open_stored(
    rt: Runtime,
    matter: Matter,
    mkey: bytes,
    place: Place,
    stored: StoredFile,
    binding: Binding,
) -> BinaryIO:
    """A seekable plaintext reader of a file just stored (to check what was received)."""
    data_key = unwrap_key(
        mkey,
        stored.wrapped_data_key,
        context=_key_context(matter, place, stored.blob_key, binding),
    )
    reader = rt.blobs.open(
        stored.blob_key,
        data_key=data_key,
        identity=_identity(matter, place, stored.blob_key),
        ciphertext_size=stored.ciphertext_size,
    )
    return io.BufferedReader(reader, CHUNK)


def rewrap_stored(
    matter: Matter, mkey: bytes, place: Place, stored: StoredFile, old: Binding, new: Binding
) -> bytes:
    """The data key of a file just stored under ``old``, wrapped for ``new``: a file whose
    access attributes are known only once the whole request was read (a form field after
    the file) is stored under a placeholder and bound when it is committed."""
    key = unwrap_key(
        mkey, stored.wrapped_data_key, context=_key_context(matter, place, stored.blob_key, old)
    )
    return wrap_key(mkey, key, context=_key_context(matter, place, stored.blob_key, new))


def place_of(doc: Document, version: DocumentVersion, f: DocumentFile) -> Place:
    return Place(doc.uid, version.uid, f.role, f.page_no)


def readables(
    rt: Runtime, matter: Matter, doc: Document, version: DocumentVersion, files: list[DocumentFile]
) -> list[_Readable]:
    """Unwrap the data keys now; ``StoredContentFailed`` if a key fails authentication."""
    try:
        mkey = matter_key(rt, matter)
        binding = Binding.of_version(doc, version)
        result = []
        for f in files:
            place = place_of(doc, version, f)
            bound = binding if f.key_binding else None
            data_key = unwrap_key(
                mkey, f.wrapped_data_key, context=_key_context(matter, place, f.blob_key, bound)
            )
            result.append(
                _Readable(
                    document_id=doc.id,
                    bates=doc.bates_begin,
                    blob_key=f.blob_key,
                    data_key=data_key,
                    identity=_identity(matter, place, f.blob_key),
                    ciphertext_size=f.ciphertext_size,
                )
            )
    except IntegrityFailure as exc:
        raise StoredContentFailed(doc.id, doc.bates_begin, exc.message) from None
    return result


def bindings(session: Session, doc: Document) -> dict[int, Binding]:
    """What decides access to each version of ``doc`` now: taken before a workflow changes
    it, and given to ``rebind`` after."""
    return bindings_many(session, [doc])[doc.id]


def bindings_many(session: Session, docs: Sequence[Document]) -> dict[int, dict[int, Binding]]:
    """``bindings`` of each of ``docs``, by document id, in a query per batch of them."""
    by_id = {d.id: d for d in docs}
    found: dict[int, dict[int, Binding]] = {d.id: {} for d in docs}
    for batch in batches(list(by_id)):
        for v in _versions(session, batch):
            found[v.document_id][v.id] = Binding.of_version(by_id[v.document_id], v)
    return found


def _versions(session: Session, doc_ids: Sequence[int]) -> list[DocumentVersion]:
    return list(
        session.scalars(select(DocumentVersion).where(DocumentVersion.document_id.in_(doc_ids)))
    )


def rebind(
    rt: Runtime, session: Session, matter: Matter, doc: Document, before: dict[int, Binding]
) -> int:
    """Re-wrap the data keys of every version of ``doc`` after a workflow changed what
    decides access to it (``before``: ``bindings`` as they were), in the caller's
    transaction; the content is not re-encrypted. Returns how many keys were re-wrapped.

    A key that no longer opens under ``before`` was already tampered with: it is left as it
    is (it fails to decrypt, and every attempt is audited), and the workflow goes on, since
    a change such as a sequestration must never be blocked by it.
    """
    return rebind_many(rt, session, matter, [(doc, before)])


def rebind_many(
    rt: Runtime,
    session: Session,
    matter: Matter,
    changed: Sequence[tuple[Document, dict[int, Binding]]],
) -> int:
    """``rebind`` for many documents of one matter: the matter key unwrapped once, the
    versions and files looked up a batch of documents at a time."""
    mkey = matter_key(rt, matter)
    before = {doc.id: (doc, bound) for doc, bound in changed}
    done = 0
    for batch in batches(list(before)):
        versions = {v.id: v for v in _versions(session, batch)}
        files = session.scalars(select(DocumentFile).where(DocumentFile.version_id.in_(versions)))
        for f in files:
            version = versions[f.version_id]
            doc, bound = before[version.document_id]
            done += _rewrap(mkey, matter, doc, version, f, bound)
    return done


def _rewrap(
    mkey: bytes,
    matter: Matter,
    doc: Document,
    version: DocumentVersion,
    f: DocumentFile,
    before: dict[int, Binding],
) -> int:
    """1 if the file's data key was re-wrapped for the version's binding now, else 0."""
    after = Binding.of_version(doc, version)
    place = place_of(doc, version, f)
    old = before.get(version.id, after) if f.key_binding else None
    if old == after and f.key_binding:
        return 0
    try:
        key = unwrap_key(
            mkey, f.wrapped_data_key, context=_key_context(matter, place, f.blob_key, old)
        )
    except IntegrityFailure:
        return 0
    f.wrapped_data_key = wrap_key(mkey, key, context=_key_context(matter, place, f.blob_key, after))
    f.key_binding = 1
    return 1


def _plaintext(rt: Runtime, readable: _Readable) -> Iterator[bytes]:
    try:
        reader = rt.blobs.open(
            readable.blob_key,
            data_key=readable.data_key,
            identity=readable.identity,
            ciphertext_size=readable.ciphertext_size,
        )
        try:
            yield from reader.iter_chunks()
        finally:
            reader.close()
    except IntegrityFailure as exc:
        raise StoredContentFailed(readable.document_id, readable.bates, exc.message) from None
    except FileNotFoundError:
        # the exception's text may hold the blob's path: say only what happened
        raise StoredContentFailed(
            readable.document_id, readable.bates, "the stored file is missing"
        ) from None


def open_plaintext(rt: Runtime, readable: _Readable) -> BinaryIO:
    """A seekable plaintext reader of a stored file (one segment decrypted at a time, never
    written to disk), for what needs random access: pikepdf, pypdfium2, Pillow. The caller
    closes it. StoredContentFailed if the file is missing or fails its check."""
    try:
        reader = rt.blobs.open(
            readable.blob_key,
            data_key=readable.data_key,
            identity=readable.identity,
            ciphertext_size=readable.ciphertext_size,
        )
    except IntegrityFailure as exc:
        raise StoredContentFailed(readable.document_id, readable.bates, exc.message) from None
    except FileNotFoundError:
        raise StoredContentFailed(
            readable.document_id, readable.bates, "the stored file is missing"
        ) from None
    return io.BufferedReader(reader, CHUNK)


def _primed(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Produce the first piece now (which opens and checks the file), the rest when asked."""
    first = next(chunks, None)
    return iter(()) if first is None else itertools.chain((first,), chunks)


def _sources(rt: Runtime, keys: list[_Readable]) -> list[Callable[[], Iterator[bytes]]]:
    """One plaintext source per file, the first one already opened and checked."""
    sources: list[Callable[[], Iterator[bytes]]] = [partial(_plaintext, rt, r) for r in keys]
    if sources:
        first = _primed(sources[0]())
        sources[0] = lambda: first
    return sources


def file_sources(rt: Runtime, keys: list[_Readable]) -> list[Callable[[], Iterator[bytes]]]:
    """One plaintext source per stored file, for a ZIP of them (an export): the first is
    opened and checked now, so that a failure is refused before the response begins."""
    return _sources(rt, keys)


def zip_part(name: str) -> str:
    """One path component of a ZIP member: never a separator, never '..'."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")
    return cleaned or "_"


@dataclass(frozen=True)
class Served:
    file_name: str
    media_type: str
    size: int | None  # None when the length is not known up front (a ZIP)
    chunks: Iterator[bytes]


def document_stream(
    rt: Runtime,
    matter: Matter,
    doc: Document,
    files: list[DocumentFile],
    keys: list[_Readable],
    marked: MarkedSource | None = None,
) -> Served:
    """The document's one file, or a ZIP of its files; the first file is opened (and
    marked) now, so that a failure is told before a byte is sent. ``marked``: as for
    ``volume_stream`` (a changed file's size is not known)."""
    changed = [
        marked(doc, f, readable) if marked is not None else None
        for f, readable in zip(files, keys, strict=True)
    ]
    sources: list[Callable[[], Iterator[bytes]]] = [
        other if other is not None else partial(_plaintext, rt, readable)
        for other, readable in zip(changed, keys, strict=True)
    ]
    if sources:
        first = _primed(sources[0]())
        sources[0] = lambda: first
    if len(files) == 1:
        only = files[0]
        return Served(
            file_name=served_name(doc, only),
            media_type=only.media_type,
            size=only.plaintext_size if changed[0] is None else None,
            chunks=sources[0](),
        )
    members = []
    for f, source, other in zip(files, sources, changed, strict=True):
        name = f"{zip_part(doc.bates_begin)}/{zip_part(f.file_name)}"
        members.append(
            _member(name, doc, f, source) if other is None else Member(name, doc.created_at, source)
        )
    return _zip(f"{doc.bates_begin}.zip", members)


MarkedSource = Callable[[Document, DocumentFile, _Readable], Callable[[], Iterator[bytes]] | None]


def served_name(doc: Document, f: DocumentFile) -> str:
    """A single file's name as served: its Bates number and its own suffix."""
    return f"{doc.bates_begin}{_suffix(f.file_name)}"


def volume_stream(
    rt: Runtime,
    production: Production,
    entries: list[tuple[Document, DocumentVersion, list[DocumentFile], list[_Readable]]],
    marked: MarkedSource | None = None,
) -> Served:
    """Every file given of each document, under VOLUME/BATES/, and VOLUME/DATA/ with a DAT
    (and, when there are page images, an OPT) listing exactly those files. The first file
    is opened and checked now. ``marked`` gives a file served changed (a PDF with its
    forensic mark) the source of what is served instead: its size is then not known."""
    volume = zip_part(production.volume)
    sources = iter(_sources(rt, [r for _doc, _version, _files, keys in entries for r in keys]))
    taken: set[str] = set()
    members, placed = [], []
    for doc, version, files, keys in entries:
        paths = []
        for f, readable in zip(files, keys, strict=True):
            path = unique_name(f"{zip_part(doc.bates_begin)}/{zip_part(f.file_name)}", taken)
            source = next(sources)
            changed = marked(doc, f, readable) if marked is not None else None
            if changed is None:
                members.append(_member(f"{volume}/{path}", doc, f, source))
            else:
                members.append(Member(f"{volume}/{path}", doc.created_at, changed))
            paths.append((f, path))
        placed.append(Placed(doc, paths, version.designation or doc.designation))
    dat, opt = volume_load_files(volume, placed)
    load_files = [(f"DATA/{volume}.dat", dat)] + ([(f"DATA/{volume}.opt", opt)] if opt else [])
    for name, data in load_files:
        members.append(
            Member(
                name=f"{volume}/{unique_name(name, taken)}",
                modified=production.produced_at,
                chunks=partial(iter, [data]),
                size=len(data),
                crc32=zlib.crc32(data),
            )
        )
    return _zip(f"{volume}.zip", members)


def _member(
    name: str, doc: Document, f: DocumentFile, source: Callable[[], Iterator[bytes]]
) -> Member:
    return Member(
        name=name,
        modified=doc.created_at,
        chunks=source,
        size=f.plaintext_size,
        crc32=f.crc32,
    )


def _zip(file_name: str, members: list[Member]) -> Served:
    """With every size and CRC-32 known, the ZIP's length is known: Content-Length."""
    known = known_zip(members)
    if known is None:
        return Served(file_name, "application/zip", None, stream_zip(members))
    return Served(file_name, "application/zip", known.size, known.stream())


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    suffix = name[dot:].lower() if 0 <= dot and len(name) - dot <= 8 else ""
    return suffix if re.fullmatch(r"\.[a-z0-9]+", suffix) else ""
