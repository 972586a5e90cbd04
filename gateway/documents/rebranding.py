"""A new branding of a version when its designation changes (BRIEF §7): the next download
of a re-designated document carries the new legend, and never a second legend added at
serve time.

A version's page files (page images, a PDF native) are *stale* when the legend they carry
(``branded_as``) is not the version's designation. Re-branding makes, from the files as
produced (edition 0), a new edition with a band above each page carrying the legend now
in force; back at the designation they were produced under, the files as produced are
served again. The files replaced are kept (superseded), never served again: what was
produced is preserved. The band work is done before the transaction; the transaction
locks the document, checks the version is still stale for the same designation, swaps the
files and audits, so two downloads racing to re-brand make one edition.

The audit entry has no side (only a neutral auditor sees it): a re-brand made when a
receiving party first downloads the document would otherwise tell the designating party
when that happened.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit.recorder import Actor
from gateway.audit.tags import Outcome, Tag
from gateway.documents.branding import band_file, band_text, brandable, legend_for, legends
from gateway.documents.content import (
    Binding,
    Place,
    StoredFile,
    open_plaintext,
    readables,
    rewrap_stored,
    store_file,
)
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.versions import designation_of
from gateway.errors import Conflict
from gateway.matters.models import Matter
from gateway.matters.service import matter_key
from gateway.pdf.opening import PdfRefused
from gateway.runtime import Runtime

log = logging.getLogger(__name__)
SYSTEM = Actor(user_id=None, email="gateway@branding", address="local")


class BrandingFailed(Conflict):
    """A version's pages cannot carry its new legend: it is not served until they do."""


def is_stale(doc: Document, version: DocumentVersion, files: Sequence[DocumentFile]) -> bool:
    """Whether any of the version's current page files carries another legend."""
    want = designation_of(doc, version)
    return any(
        brandable(f.role, f.media_type) and f.branded_as is not None and f.branded_as != want
        for f in files
        if f.superseded_at is None
    )


def stale_versions(session: Session, doc_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(document id, version id) of every version of ``doc_ids`` whose pages carry a legend
    other than its designation."""
    if not doc_ids:
        return []
    rows = session.execute(
        select(Document, DocumentVersion, DocumentFile)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .join(DocumentFile, DocumentFile.version_id == DocumentVersion.id)
        .where(
            Document.id.in_(doc_ids),
            DocumentFile.superseded_at.is_(None),
            DocumentFile.branded_as.is_not(None),
        )
    ).all()
    found = {
        (doc.id, version.id)
        for doc, version, f in rows
        if brandable(f.role, f.media_type) and f.branded_as != designation_of(doc, version)
    }
    return sorted(found)


@dataclass
class _Edition:
    """New page files made for one version, staged (stored, not yet recorded)."""

    version_id: int
    designation: str
    staged: list[tuple[DocumentFile, StoredFile, Place]]
    restore: bool  # back at the designation as produced: edition 0 is served again
    binding: Binding | None = None  # what the staged files' keys were wrapped for


def rebrand(rt: Runtime, matter_id: int, doc_ids: Sequence[int]) -> int:
    """Re-brand every stale version of ``doc_ids``; how many versions were re-branded.
    BrandingFailed (nothing changed for that document) if a file cannot be banded."""
    done = 0
    with rt.db.session() as session:
        targets = stale_versions(session, doc_ids)
    for doc_id, version_id in targets:
        done += _rebrand_version(rt, matter_id, doc_id, version_id)
    return done


def rebrand_after_change(rt: Runtime, matter_id: int, doc_ids: Sequence[int]) -> int:
    """``rebrand`` right after a workflow changed designations (committed already): a
    document whose pages cannot carry the new legend is left stale, and its downloads are
    refused with the reason until they can (the change itself stands)."""
    done = 0
    for doc_id in doc_ids:
        try:
            done += rebrand(rt, matter_id, [doc_id])
        except BrandingFailed:
            log.warning("a re-designated document's pages could not be re-branded")
    return done


@dataclass(frozen=True)
class RebrandReport:
    versions: int
    failed: list[str]  # Bates numbers whose pages could not carry their legend


def rebrand_all(rt: Runtime) -> RebrandReport:
    """Every stale version of every document (after a workflow that re-designates without
    re-branding, or an interrupted one), a document at a time."""
    with rt.db.session() as session:
        stale_docs = sorted(
            {
                (doc.matter_id, doc.id, doc.bates_begin)
                for doc, _v, f in session.execute(
                    select(Document, DocumentVersion, DocumentFile)
                    .join(DocumentVersion, DocumentVersion.document_id == Document.id)
                    .join(DocumentFile, DocumentFile.version_id == DocumentVersion.id)
                    .where(
                        DocumentFile.superseded_at.is_(None),
                        DocumentFile.branded_as.is_not(None),
                    )
                ).all()
                if brandable(f.role, f.media_type) and f.branded_as != designation_of(doc, _v)
            }
        )
    done, failed = 0, []
    for matter_id, doc_id, bates in stale_docs:
        try:
            done += rebrand(rt, matter_id, [doc_id])
        except BrandingFailed:
            failed.append(bates)
    return RebrandReport(done, failed)


def _rebrand_version(rt: Runtime, matter_id: int, doc_id: int, version_id: int) -> int:
    edition = _stage(rt, matter_id, doc_id, version_id)
    if edition is None:
        return 0
    try:
        return _commit(rt, matter_id, doc_id, edition)
    except _Moved:
        for _f, stored, _place in edition.staged:
            rt.blobs.delete(stored.blob_key)
        return 0
    except BaseException:
        for _f, stored, _place in edition.staged:
            rt.blobs.delete(stored.blob_key)
        raise


def _stage(rt: Runtime, matter_id: int, doc_id: int, version_id: int) -> _Edition | None:
    with rt.db.session() as session:
        matter = session.get_one(Matter, matter_id)
        doc = session.get_one(Document, doc_id)
        version = session.get_one(DocumentVersion, version_id)
        want = designation_of(doc, version)
        produced = _as_produced(session, version_id)
        pages = [f for f in produced if brandable(f.role, f.media_type) and f.branded_as]
        if not pages:
            return None
        if all(f.branded_as == want for f in pages):
            return _Edition(version_id, want, [], restore=True)
        legend_of = legends(rt.policies.for_matter(session, matter_id).policy.tiers)
        try:
            text = band_text(
                legend_for(legend_of, want),
                legend_for(legend_of, pages[0].branded_as or want),
                rt.now().date().isoformat(),
            )
        except PdfRefused as exc:
            raise BrandingFailed(f"{doc.bates_begin}: {exc.reason}") from None
        keys = readables(rt, matter, doc, version, pages)
        binding = Binding.of_version(doc, version)
        mkey = matter_key(rt, matter)
        session.expunge_all()
    staged: list[tuple[DocumentFile, StoredFile, Place]] = []
    try:
        for f, readable in zip(pages, keys, strict=True):
            with open_plaintext(rt, readable) as handle:
                data = band_file(handle, role=f.role, text=text)
            place = Place(doc.uid, version.uid, f.role, f.page_no)
            stored = store_file(rt, matter, mkey, place, iter([data]), binding)
            staged.append((f, stored, place))
    except PdfRefused as exc:
        for _f, stored, _place in staged:
            rt.blobs.delete(stored.blob_key)
        raise BrandingFailed(
            f"{doc.bates_begin}: cannot carry the new legend: {exc.reason}"
        ) from None
    except BaseException:
        for _f, stored, _place in staged:
            rt.blobs.delete(stored.blob_key)
        raise
    return _Edition(version_id, want, staged, restore=False, binding=binding)


def _as_produced(session: Session, version_id: int) -> list[DocumentFile]:
    return list(
        session.scalars(
            select(DocumentFile)
            .where(DocumentFile.version_id == version_id, DocumentFile.edition == 0)
            .order_by(DocumentFile.role, DocumentFile.page_no, DocumentFile.id)
        )
    )


def _commit(rt: Runtime, matter_id: int, doc_id: int, edition: _Edition) -> int:
    with rt.transaction() as session:
        doc = session.get_one(Document, doc_id, with_for_update=True, populate_existing=True)
        version = session.get_one(DocumentVersion, edition.version_id, populate_existing=True)
        if designation_of(doc, version) != edition.designation:
            raise _Moved()  # changed again meanwhile: the next call brands it as it is now
        current = [
            f
            for f in session.scalars(
                select(DocumentFile).where(
                    DocumentFile.version_id == version.id, DocumentFile.superseded_at.is_(None)
                )
            )
            if brandable(f.role, f.media_type) and f.branded_as is not None
        ]
        if all(f.branded_as == edition.designation for f in current):
            raise _Moved()  # another request did it first
        now = rt.now()
        for f in current:
            f.superseded_at = now
        before = sorted({f.branded_as or "" for f in current})
        if edition.restore:
            for f in _as_produced(session, version.id):
                if brandable(f.role, f.media_type) and f.branded_as is not None:
                    f.superseded_at = None
            number = 0
        else:
            number = _next_edition(session, version.id)
            matter = session.get_one(Matter, matter_id)
            mkey = matter_key(rt, matter)
            final = Binding.of_version(doc, version)
            assert edition.binding is not None
            for source, stored, place in edition.staged:
                session.add(
                    _file(
                        source,
                        stored,
                        place,
                        matter,
                        mkey,
                        (edition.binding, final),
                        number,
                        edition.designation,
                    )
                )

        rt.audit(
            session,
            tag=Tag.VERSION_REBRANDED,
            outcome=Outcome.ALLOWED,
            actor=SYSTEM,
            matter_id=matter_id,
            side_party_id=None,
            document_id=doc.id,
            bates=doc.bates_begin,
            reason=f"legend of {edition.designation}",
            details={
                "version": version.kind,
                "from": before,
                "to": edition.designation,
                "edition": number,
                "files": [{"page": f.page_no, "sha256": s.sha256} for f, s, _p in edition.staged],
            },
        )
    return 1


class _Moved(Exception):
    pass


def _next_edition(session: Session, version_id: int) -> int:
    highest = session.scalar(
        select(func.max(DocumentFile.edition)).where(DocumentFile.version_id == version_id)
    )
    return int(highest or 0) + 1


def _file(
    source: DocumentFile,
    stored: StoredFile,
    place: Place,
    matter: Matter,
    mkey: bytes,
    bindings: tuple[Binding, Binding],
    edition: int,
    branded_as: str,
) -> DocumentFile:
    # staged under the binding of its version when it was read; bound to it as it is now
    staged_binding, final = bindings
    return DocumentFile(
        version_id=source.version_id,
        role=source.role,
        page_no=source.page_no,
        file_name=source.file_name,
        media_type=source.media_type,
        blob_key=stored.blob_key,
        wrapped_data_key=rewrap_stored(matter, mkey, place, stored, staged_binding, final),
        plaintext_size=stored.plaintext_size,
        ciphertext_size=stored.ciphertext_size,
        sha256=stored.sha256,
        crc32=stored.crc32,
        key_binding=1,
        branded_as=branded_as,
        edition=edition,
        note=f"re-branded: edition {edition} of the file as produced",
    )
