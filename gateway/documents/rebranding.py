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
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.documents.branding import band_file, band_text, brandable, legend_for, legends
from gateway.documents.content import (
    Binding,
    Place,
    StoredContentFailed,
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
    Every version is tried; BrandingFailed for the first one that could not be (nothing
    changed for it, and the failure is recorded so that it is not retried at every
    request: ``retry`` in ``rebrand_versions``)."""
    with rt.db.session() as session:
        targets = stale_versions(session, doc_ids)
    return rebrand_versions(rt, matter_id, targets)


def rebrand_versions(
    rt: Runtime, matter_id: int, targets: Sequence[tuple[int, int]], *, retry: bool = False
) -> int:
    """``rebrand`` of the (document id, version id) pairs given. ``retry``: also those whose
    last attempt failed for the designation they have now (the operator's sweep). A stored
    file failing its check (StoredContentFailed) is raised, after the others were tried,
    as it would be by serving it; it is not recorded as a branding failure."""
    done = 0
    first_failure: BrandingFailed | StoredContentFailed | None = None
    for doc_id, version_id in targets:
        try:
            done += _rebrand_version(rt, matter_id, doc_id, version_id, retry=retry)
        except (BrandingFailed, StoredContentFailed) as failed:
            first_failure = first_failure or failed
    if first_failure is not None:
        raise first_failure
    return done


def rebrand_after_change(rt: Runtime, matter_id: int, doc_ids: Sequence[int]) -> int:
    """``rebrand`` right after a workflow changed designations (committed already), so
    that the band is made when the change is, whoever downloads first: a document whose
    pages cannot carry the new legend is left stale, and its downloads are refused with the
    reason until they can (the change itself stands)."""
    done = 0
    for doc_id in doc_ids:
        try:
            done += rebrand(rt, matter_id, [doc_id])
        except BrandingFailed:
            log.warning("a re-designated document's pages could not be re-branded")
        except StoredContentFailed as failure:
            # the change stands; serving the document will report the file as it fails
            log.error("a stored file failed its integrity check while re-branded: %s", failure)
    return done


@dataclass(frozen=True)
class RebrandReport:
    versions: int
    failed: list[str]  # Bates numbers whose pages could not carry their legend


def rebrand_all(rt: Runtime) -> RebrandReport:
    """Every stale version of every document (after an upgrade, an interrupted workflow,
    or a failure fixed since), a document at a time, failures retried."""
    with rt.db.session() as session:
        rows = session.execute(
            select(Document, DocumentVersion, DocumentFile)
            .join(DocumentVersion, DocumentVersion.document_id == Document.id)
            .join(DocumentFile, DocumentFile.version_id == DocumentVersion.id)
            .where(DocumentFile.superseded_at.is_(None), DocumentFile.branded_as.is_not(None))
        ).all()
        stale = sorted(
            {
                (doc.matter_id, doc.bates_begin, doc.id, version.id)
                for doc, version, f in rows
                if brandable(f.role, f.media_type) and f.branded_as != designation_of(doc, version)
            }
        )
    done, failed = 0, []
    for matter_id, bates, doc_id, version_id in stale:
        try:
            done += rebrand_versions(rt, matter_id, [(doc_id, version_id)], retry=True)
        except (BrandingFailed, StoredContentFailed):
            failed.append(bates)
    return RebrandReport(done, sorted(set(failed)))


def failed_before(doc: Document, version: DocumentVersion, files: Sequence[DocumentFile]) -> bool:
    """Whether re-branding the version for the designation it has now failed already."""
    want = designation_of(doc, version)
    return any(f.brand_failed == want for f in files if f.superseded_at is None)


def _rebrand_version(
    rt: Runtime, matter_id: int, doc_id: int, version_id: int, *, retry: bool
) -> int:
    # a stored file that fails its check is raised as it is: not a branding failure
    try:
        edition = _stage(rt, matter_id, doc_id, version_id, retry=retry)
    except BrandingFailed as failed:
        _record_failure(rt, matter_id, doc_id, version_id, failed)
        raise
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


def _stage(
    rt: Runtime, matter_id: int, doc_id: int, version_id: int, *, retry: bool
) -> _Edition | None:
    with rt.db.session() as session:
        matter = session.get_one(Matter, matter_id)
        doc = session.get_one(Document, doc_id)
        version = session.get_one(DocumentVersion, version_id)
        want = designation_of(doc, version)
        current = list(
            session.scalars(
                select(DocumentFile).where(
                    DocumentFile.version_id == version_id, DocumentFile.superseded_at.is_(None)
                )
            )
        )
        if not retry and failed_before(doc, version, current):
            raise BrandingFailed(
                f"{doc.bates_begin}: its pages cannot carry the legend of {want} (tried "
                "before); the operator's `pogw storage rebrand` tries again"
            )
        produced = _as_produced(session, version_id)
        pages = [f for f in produced if brandable(f.role, f.media_type) and f.branded_as]
        if not pages:
            return None
        if all(f.branded_as == want for f in pages):
            return _Edition(version_id, want, [], restore=True)
        legend_of = legends(rt.policies.for_matter(session, matter_id).policy.tiers)
        # the day of the change where the court sits (made at once after it: see
        # rebrand_after_change)
        on = rt.now().astimezone(ZoneInfo(matter.court_timezone)).date().isoformat()
        try:
            lines = band_text(
                legend_for(legend_of, want),
                legend_for(legend_of, pages[0].branded_as or want),
                on,
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
                data = band_file(handle, role=f.role, lines=lines)
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
            AuditEvent(
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
                    "files": [
                        {"page": f.page_no, "sha256": s.sha256} for f, s, _p in edition.staged
                    ],
                },
            ),
        )
    return 1


class _Moved(Exception):
    pass


def _record_failure(
    rt: Runtime, matter_id: int, doc_id: int, version_id: int, failed: BrandingFailed
) -> None:
    """Mark the version's current page files as failed for the designation it has now,
    and audit it (no side, as a re-brand): the next request is refused without trying."""
    with rt.transaction() as session:
        doc = session.get_one(Document, doc_id, with_for_update=True, populate_existing=True)
        version = session.get_one(DocumentVersion, version_id, populate_existing=True)
        want = designation_of(doc, version)
        files = session.scalars(
            select(DocumentFile).where(
                DocumentFile.version_id == version_id, DocumentFile.superseded_at.is_(None)
            )
        )
        marked = [f for f in files if brandable(f.role, f.media_type) and f.brand_failed != want]
        if not marked:
            return  # recorded already (or by a request racing this one)
        for f in marked:
            f.brand_failed = want
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.VERSION_REBRANDED,
                outcome=Outcome.DENIED,
                actor=SYSTEM,
                matter_id=matter_id,
                side_party_id=None,
                document_id=doc.id,
                bates=doc.bates_begin,
                reason=failed.message[:300],
                details={"version": version.kind, "to": want},
            ),
        )


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
