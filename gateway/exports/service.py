"""Exporting what a user may download, as a ZIP in the review platforms' layout.

One transaction finds the documents, in the version this user is served, lays them out,
writes the load files and audits a download of each document and the export itself; the
stream is built after it, as a served volume is (gateway.documents.downloads), and reads
each stored file only as the ZIP reaches it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.log import entry_ref
from gateway.audit.tags import Outcome, Tag
from gateway.db import batches
from gateway.documents.aborts import Serving, start
from gateway.documents.content import Served, file_sources, readables
from gateway.documents.downloads import _audit_download, _refuse_slip_only, volume_documents
from gateway.documents.ingest import check_volume_name
from gateway.documents.marking import markable, marked_source, record_served
from gateway.documents.models import Document, DocumentFile, DocumentPerson
from gateway.documents.natives import without_withheld
from gateway.documents.rebranding import BrandingFailed, is_stale, rebrand
from gateway.documents.service import refuse_hidden
from gateway.documents.versions import served_versions
from gateway.documents.visibility import DOWNLOAD, LIST, NATIVE, visible_clause
from gateway.documents.zipstream import Member, known_zip, stream_zip
from gateway.errors import GatewayError, Invalid, NotFound
from gateway.exports.layout import Exported, Layout, place_files
from gateway.matters.service import MatterAccess, require_acknowledged, resolve_access
from gateway.runtime import Refused, Runtime

MAX_SELECTION = 10_000
T = TypeVar("T")


@dataclass(frozen=True)
class ExportedFile:
    """One file member of an export, for a per-download change of its bytes."""

    entry: Exported
    file: DocumentFile
    audit_ref: int  # the audit entry of this document's download in this export (entry_ref)


# A per-download change of one member's bytes (a forensic watermark on a PDF naming the
# audit entry), applied as the ZIP is written: a member it returns without a size and
# CRC-32 is DEFLATED with a data descriptor, which every reader, Java's ZipInputStream
# included, accepts.
MemberTransform = Callable[[ExportedFile, Member], Member]


@dataclass(frozen=True)
class ExportRequest:
    """A volume, or a selection of documents by BEGBATES (exactly one of the two)."""

    volume: str | None = None
    documents: tuple[str, ...] = ()
    name: str | None = None  # the export's volume folder; a selection's default is dated

    def check(self) -> None:
        if (self.volume is None) == (not self.documents):
            raise Invalid("give either volume or documents (a list of BEGBATES), not both")
        if len(self.documents) > MAX_SELECTION:
            raise Invalid(f"documents: at most {MAX_SELECTION} in one export")
        seen: set[str] = set()
        for bates in self.documents:
            if bates in seen:
                raise Invalid(f"documents: {bates} is listed twice")
            seen.add(bates)
        if self.name is not None:
            check_volume_name(self.name)


def export(
    rt: Runtime,
    user: User,
    matter_id: int,
    request: ExportRequest,
    *,
    address: str,
    transform: MemberTransform | None = None,
) -> Served:
    return rebranding(
        rt,
        matter_id,
        lambda rebranded: _export(rt, user, matter_id, request, address, transform, rebranded),
    )


def _export(
    rt: Runtime,
    user: User,
    matter_id: int,
    request: ExportRequest,
    address: str,
    transform: MemberTransform | None,
    rebranded: bool,
) -> Served:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, Tag.PRODUCTION_EXPORT)
        checked(access, request.check)
        if request.volume is not None:
            docs = _volume_documents(session, access, request.volume)
            volume = request.volume
            name = request.name or checked(access, lambda: check_volume_name(volume))
        else:
            docs = _selected_documents(rt, session, access, request.documents)
            name = request.name or f"EXPORT-{rt.now():%Y%m%d-%H%M%S}"
        found = exported(session, access, docs, rebranded=rebranded)
        entries = found.entries
        layout = _layout(access, name, entries, found)
        seqs = audit_downloads(rt, session, access, entries, name, found.withheld)
        details = _described(request, name, len(entries))
        if found.stale:
            details["left_out_not_rebranded"] = len(found.stale)
        if found.withheld:
            details["native_withheld"] = found.withheld_bates()
        rt.audit(session, access.event(Tag.PRODUCTION_EXPORT, Outcome.ALLOWED, details=details))
    modified = rt.now()
    order = tuple(e.doc.id for e in entries)
    return start(
        rt,
        access,
        lambda: export_stream(
            rt, access, layout, modified, bound(transform or forensic_marks(rt, access), seqs)
        ),
        Serving(Tag.PRODUCTION_EXPORT, f"export {name}", {"export": name}, order),
    )


def audit_downloads(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    entries: list[Exported],
    volume: str,
    withheld: dict[int, tuple[str, dict[str, object]]],
) -> dict[int, int]:
    """A download entry per document, as a served volume writes them, saying what of it was
    withheld (``Found.withheld``): document id -> seq."""
    return {
        e.doc.id: entry_ref(
            _audit_download(
                rt,
                session,
                access,
                e.doc,
                e.version,
                list(e.files),
                volume=volume,
                withheld=withheld[e.doc.id][1] if e.doc.id in withheld else None,
            )
        )
        for e in entries
    }


def forensic_marks(rt: Runtime, access: MatterAccess) -> MemberTransform:
    """Each PDF and page image of an export as every download serves it: with the
    recipient's forensic mark naming its document's download entry, its served copy
    recorded when written whole (``gateway.documents.marking``); any other file as it is."""

    def mark(exported: ExportedFile, member: Member) -> Member:
        if not markable(exported.file):
            return member
        doc, version = exported.entry.doc, exported.entry.version
        (readable,) = readables(rt, access.matter, doc, version, [exported.file])
        seq = exported.audit_ref
        source = marked_source(rt, access, seq, exported.file, readable)
        assert source is not None  # markable
        marked = source

        def chunks() -> Iterator[bytes]:
            return record_served(
                rt,
                access,
                seq,
                document_id=doc.id,
                bates=doc.bates_begin,
                chunks=marked(),
                watermarked=True,
                extra={"export": member.name.split("/", 1)[0], "file": exported.file.file_name},
            )

        return replace(member, chunks=chunks, size=None, crc32=None)

    return mark


def bound(
    transform: MemberTransform | None, seqs: dict[int, int]
) -> Callable[[Exported, DocumentFile, Member], Member] | None:
    if transform is None:
        return None
    return lambda entry, f, member: transform(ExportedFile(entry, f, seqs[entry.doc.id]), member)


def checked(access: MatterAccess, check: Callable[[], T]) -> T:
    """``check()``; a request it refuses is refused and audited, with the reason."""
    try:
        return check()
    except GatewayError as error:
        raise Refused(
            error,
            access.event(Tag.PRODUCTION_EXPORT, Outcome.DENIED, reason=error.message[:300]),
        ) from None


def _described(request: ExportRequest, name: str, count: int) -> dict[str, object]:
    details: dict[str, object] = {"export": name, "documents": count}
    if request.volume is not None:
        details["volume"] = request.volume
    else:
        details["selected"] = len(request.documents)
    return details


def _volume_documents(session: Session, access: MatterAccess, volume: str) -> list[Document]:
    _production, docs = volume_documents(session, access, volume, Tag.PRODUCTION_EXPORT)
    return docs


def _selected_documents(
    rt: Runtime, session: Session, access: MatterAccess, wanted: Sequence[str]
) -> list[Document]:
    """Every document named, or a refusal of the whole export for the first that the user
    may not download: a hidden one exactly as one that does not exist."""
    found: dict[str, Document] = {}
    for batch in batches(list(wanted)):
        for doc in session.scalars(
            select(Document).where(
                Document.matter_id == access.matter.id,
                Document.bates_begin.in_(batch),
                visible_clause(access, DOWNLOAD),
            )
        ):
            found[doc.bates_begin] = doc
    for bates in wanted:
        if bates in found:
            continue
        listed = session.scalar(
            select(Document).where(
                Document.matter_id == access.matter.id,
                Document.bates_begin == bates,
                visible_clause(access, LIST),
            )
        )
        if listed is None:
            raise refuse_hidden(session, rt, access, bates, Tag.PRODUCTION_EXPORT, DOWNLOAD)
        raise _refuse_slip_only(access, bates, listed, Tag.PRODUCTION_EXPORT)
    return sorted(found.values(), key=lambda d: (d.bates_prefix, d.bates_begin_no))


class Stale(Exception):
    """Some documents' pages still carry a legend their version no longer has: re-brand
    them (outside the transaction), then export again."""

    def __init__(self, doc_ids: list[int]) -> None:
        super().__init__("stale branding")
        self.doc_ids = doc_ids


def rebranding(rt: Runtime, matter_id: int, make: Callable[[bool], Served]) -> Served:
    """``make(rebranded)``, once more after re-branding the documents it found stale; the
    second time those that still cannot carry their legend are left out, as a served volume
    leaves them out (the export's entry says how many)."""
    try:
        return make(False)
    except Stale as stale:
        try:
            rebrand(rt, matter_id, stale.doc_ids)
        except BrandingFailed:
            pass
    return make(True)


@dataclass
class Found:
    entries: list[Exported]
    stale: list[int]  # documents left out, their pages not re-branded
    # document id -> (BEGBATES, what was left out): a pageless native the order withholds
    # from this user, and the version's text with it; a document with nothing else is
    # left out of the export
    withheld: dict[int, tuple[str, dict[str, object]]] = field(default_factory=dict)

    def withheld_bates(self) -> list[str]:
        """For the export's entry (the user's own side's: it may name them), at most 100."""
        return [bates for bates, _what in self.withheld.values()][:100]


def exported(
    session: Session, access: MatterAccess, docs: Sequence[Document], *, rebranded: bool
) -> Found:
    """Each document in the version this user is served, with its files; a document with
    no file to serve is left out (as a served volume leaves it out). ``Stale`` if some
    document's pages carry an old legend, unless they were just re-branded."""
    versions = served_versions(session, access, [d.id for d in docs], DOWNLOAD)
    # a native without pages goes only where the order lets the user download natives
    natives = served_versions(session, access, [d.id for d in docs], NATIVE)
    people = _people(session, [d.id for d in docs])
    files_by_version = _files(session, [v.id for v in versions.values()])
    found = Found([], [])
    for doc in docs:
        version = versions.get(doc.id)
        files = files_by_version.get(version.id, []) if version is not None else []
        if version is not None:
            allowed = natives.get(doc.id)
            files, withheld = without_withheld(
                files, native_allowed=allowed is not None and allowed.id == version.id
            )
            if withheld is not None:
                found.withheld[doc.id] = (doc.bates_begin, withheld)
        if version is None or not files:
            continue
        if is_stale(doc, version, files):
            found.stale.append(doc.id)
            continue
        authors, recipients = people.get(doc.id, ((), ()))
        found.entries.append(Exported(doc, version, files, authors, recipients))
    if found.stale and not rebranded:
        raise Stale(found.stale)
    return found


def _files(session: Session, version_ids: list[int]) -> dict[int, list[DocumentFile]]:
    """Each version's current files (no superseded edition), ordered as ``files_of`` orders
    them, a batch of versions per query."""
    found: dict[int, list[DocumentFile]] = {}
    for batch in batches(version_ids):
        for f in session.scalars(
            select(DocumentFile)
            .where(DocumentFile.version_id.in_(batch), DocumentFile.superseded_at.is_(None))
            .order_by(
                DocumentFile.version_id, DocumentFile.role, DocumentFile.page_no, DocumentFile.id
            )
        ):
            found.setdefault(f.version_id, []).append(f)
    return found


def _people(session: Session, ids: list[int]) -> dict[int, tuple[tuple[str, ...], tuple[str, ...]]]:
    found: dict[int, dict[str, list[str]]] = {}
    for batch in batches(ids):
        for person in session.scalars(
            select(DocumentPerson)
            .where(DocumentPerson.document_id.in_(batch))
            .order_by(DocumentPerson.id)
        ):
            found.setdefault(person.document_id, {}).setdefault(person.kind, []).append(
                person.value
            )
    return {
        doc_id: (tuple(kinds.get("author", [])), tuple(kinds.get("recipient", [])))
        for doc_id, kinds in found.items()
    }


def _layout(access: MatterAccess, name: str, entries: list[Exported], found: Found) -> Layout:
    if not entries:
        why = "nothing in this export can be downloaded"
        if found.withheld:
            why += (
                f": the order withholds the natives of {len(found.withheld)} of its documents "
                "from you (a download of each serves its slip sheet)"
            )
        details: dict[str, object] = {"export": name}
        if found.withheld:
            details["native_withheld"] = found.withheld_bates()
        raise Refused(
            NotFound(why),
            access.event(
                Tag.PRODUCTION_EXPORT,
                Outcome.DENIED,
                reason="nothing downloadable",
                details=details,
            ),
        )
    try:
        return place_files(name, entries)
    except GatewayError as error:
        raise Refused(
            error,
            access.event(
                Tag.PRODUCTION_EXPORT,
                Outcome.DENIED,
                reason=error.message[:300],
                details={"export": name},
            ),
        ) from None


def export_stream(
    rt: Runtime,
    access: MatterAccess,
    layout: Layout,
    modified: datetime,
    transform: Callable[[Exported, DocumentFile, Member], Member] | None = None,
    extra: Sequence[tuple[str, bytes]] = (),
) -> Served:
    """The ZIP of ``layout``: its files (read from the store as the ZIP reaches each one,
    the first opened and checked now), then ``DATA/`` with the load files and ``extra``."""
    keys = []
    by_doc: dict[int, list[DocumentFile]] = {}
    entries: dict[int, Exported] = {}
    for entry, f, _path in layout.paths:
        by_doc.setdefault(entry.doc.id, []).append(f)
        entries[entry.doc.id] = entry
    for doc_id, files in by_doc.items():
        entry = entries[doc_id]
        keys += readables(rt, access.matter, entry.doc, entry.version, files)
    sources = file_sources(rt, keys)
    volume = layout.volume
    members = []
    for (entry, f, path), source in zip(layout.paths, sources, strict=True):
        member = Member(f"{volume}/{path}", entry.doc.created_at, source, f.plaintext_size, f.crc32)
        members.append(transform(entry, f, member) if transform else member)
    data = [(f"DATA/{volume}.dat", layout.dat)]
    data += [(f"DATA/{volume}.opt", layout.opt)] if layout.opt else []
    for name, content in [*data, *extra]:
        members.append(
            Member(
                f"{volume}/{name}",
                modified,
                partial(iter, [content]),
                len(content),
                zlib.crc32(content),
            )
        )
    known = known_zip(members)
    if known is None:
        return Served(f"{volume}.zip", "application/zip", None, stream_zip(members))
    return Served(f"{volume}.zip", "application/zip", known.size, known.stream())
