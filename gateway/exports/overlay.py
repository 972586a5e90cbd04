"""Overlay volumes: what changed for one user since a time, for that user's review platform.

An overlay keeps the Bates numbers of the documents it names and holds, under ``VOL/``:

- ``DATA/VOL.dat``: one row per changed document the user may still download, keyed on
  BEGBATES, with its CONFIDENTIALITY (the designation of the version now served to this
  user), its ENDBATES and PAGECOUNT, and NATIVEPATH/TEXTPATH when files are replaced;
- ``DATA/VOL.opt`` and ``IMAGES/``, ``NATIVES/``, ``TEXT/``: for each of those documents the
  files of the version now served to this user (a redacted version replacing the original,
  a document restored after a claw-back);
- ``DATA/VOL_REMOVE.txt``: one BEGBATES per line (CRLF) of each document to take off the
  platform: sequestered or withdrawn, or no longer downloadable by this user.

What changed comes from the database: versions made since then, and the audit entries of
re-designations, claw-back notices and rulings, supplied versions and filings. A document
the user may no longer list (say re-designated AEO, for a party's employee) is named in the
removal list only if this user downloaded it before: the overlay tells nobody of a document
they have not already had.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.db import batches
from gateway.documents.aborts import Serving, start
from gateway.documents.content import Served
from gateway.documents.ingest import check_volume_name
from gateway.documents.loadfiles import Placed, volume_load_files
from gateway.documents.models import Document, DocumentVersion
from gateway.documents.versions import designation_of
from gateway.documents.visibility import DOWNLOAD, LIST, visible_clause
from gateway.errors import Invalid
from gateway.exports.layout import LINKS, Exported, Layout, file_path
from gateway.exports.service import (
    MemberTransform,
    audit_downloads,
    bound,
    checked,
    export_stream,
    exported,
    forensic_marks,
    rebranding,
)
from gateway.matters.service import MatterAccess, require_acknowledged, resolve_access
from gateway.runtime import Runtime

OVERLAY_FIELDS = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "PAGECOUNT", *LINKS]
# audit entries that say a document changed in a way a review platform must be told of
CHANGES = (
    Tag.DESIGNATION_CHANGED,
    Tag.CLAWBACK_NOTICED,
    Tag.CLAWBACK_RULED,
    Tag.VERSION_SUPPLIED,
    Tag.FILING_RECORDED,
)


def parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"overlay_since: {text!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise Invalid("overlay_since: give the time with its zone, e.g. 2020-06-26T17:00:00Z")
    return moment


def removal_list(bates: Sequence[str]) -> bytes:
    return "".join(f"{b}\r\n" for b in bates).encode("utf-8")


def export_overlay(
    rt: Runtime,
    user: User,
    matter_id: int,
    *,
    since: str,
    name: str | None,
    address: str,
    transform: MemberTransform | None = None,
) -> Served:
    """``since``: ISO 8601 with its zone; the overlay holds what changed after it."""
    return rebranding(
        rt,
        matter_id,
        lambda rebranded: _overlay(rt, user, matter_id, since, name, address, transform, rebranded),
    )


def _overlay(
    rt: Runtime,
    user: User,
    matter_id: int,
    since: str,
    name: str | None,
    address: str,
    transform: MemberTransform | None,
    rebranded: bool,
) -> Served:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, Tag.PRODUCTION_EXPORT)
        moment = checked(access, lambda: _check(rt, since, name))
        volume = name or f"OVERLAY-{rt.now():%Y%m%d-%H%M%S}"
        changed = _changed(session, access, moment)
        servable = _visible(session, access, changed, DOWNLOAD)
        found = exported(session, access, servable, rebranded=rebranded)
        entries = found.entries
        # a document left out as not re-branded is neither replaced nor removed: it stays
        # on the platform as it was until an overlay can carry it
        kept = {e.doc.id for e in entries} | set(found.stale)
        listed = _visible(session, access, changed, LIST)
        had = _downloaded_before(session, access, changed)
        shown = {d.id for d in listed}
        removed = [d for d in listed if d.id not in kept]
        removed += [d for d in _documents(session, had - shown - kept)]
        removed.sort(key=lambda d: (d.bates_prefix, d.bates_begin_no))
        removal = (f"DATA/{volume}_REMOVE.txt", removal_list([d.bates_begin for d in removed]))
        layout = checked(access, lambda: _overlay_layout(volume, entries))
        seqs = audit_downloads(rt, session, access, entries, volume, found.withheld)
        rt.audit(
            session,
            access.event(
                Tag.PRODUCTION_EXPORT,
                Outcome.ALLOWED,
                details={
                    "export": volume,
                    "overlay_since": moment.isoformat(),
                    "documents": len(entries),
                    "removed": len(removed),
                    **({"left_out_not_rebranded": len(found.stale)} if found.stale else {}),
                    **({"native_withheld": found.withheld_bates()} if found.withheld else {}),
                },
            ),
        )
    modified = rt.now()
    order = tuple(e.doc.id for e in entries)
    return start(
        rt,
        access,
        lambda: export_stream(
            rt,
            access,
            layout,
            modified,
            bound(transform or forensic_marks(rt, access), seqs),
            [removal],
        ),
        Serving(Tag.PRODUCTION_EXPORT, f"overlay {volume}", {"export": volume}, order),
    )


def _check(rt: Runtime, since: str, name: str | None) -> datetime:
    if name is not None:
        check_volume_name(name)
    moment = parse_since(since)
    if moment > rt.now():
        raise Invalid("overlay_since: the time is in the future")
    return moment


def _changed(session: Session, access: MatterAccess, since: datetime) -> set[int]:
    """Ids of the matter's documents with a version made, or a change audited, after ``since``."""
    versions = session.scalars(
        select(DocumentVersion.document_id)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(Document.matter_id == access.matter.id, DocumentVersion.created_at > since)
    )
    audited = session.scalars(
        select(AuditEntry.document_id).where(
            AuditEntry.matter_id == access.matter.id,
            AuditEntry.document_id.is_not(None),
            AuditEntry.tag.in_([str(t) for t in CHANGES]),
            AuditEntry.outcome == str(Outcome.ALLOWED),
            AuditEntry.at > since,
        )
    )
    return set(versions) | {cast(int, i) for i in audited}


def _visible(session: Session, access: MatterAccess, ids: set[int], action: str) -> list[Document]:
    found: list[Document] = []
    for batch in batches(sorted(ids)):
        found += session.scalars(
            select(Document).where(Document.id.in_(batch), visible_clause(access, action))
        )
    return sorted(found, key=lambda d: (d.bates_prefix, d.bates_begin_no))


def _documents(session: Session, ids: set[int]) -> list[Document]:
    found: list[Document] = []
    for batch in batches(sorted(ids)):
        found += session.scalars(select(Document).where(Document.id.in_(batch)))
    return found


def _downloaded_before(session: Session, access: MatterAccess, ids: set[int]) -> set[int]:
    """Those of ``ids`` this user downloaded (the audit trail says so): the user already
    knows them, so naming one to remove reveals nothing."""
    found: set[int] = set()
    for batch in batches(sorted(ids)):
        found.update(
            cast(int, i)
            for i in session.scalars(
                select(AuditEntry.document_id).where(
                    AuditEntry.matter_id == access.matter.id,
                    AuditEntry.actor_user_id == access.user.id,
                    AuditEntry.document_id.in_(batch),
                    AuditEntry.tag == str(Tag.DOCUMENT_DOWNLOAD),
                    AuditEntry.outcome == str(Outcome.ALLOWED),
                )
            )
        )
    return found


def _overlay_layout(volume: str, entries: list[Exported]) -> Layout:
    """Each changed document with the files of the version now served to this user: a
    document restored after a claw-back needs them again as much as a redacted one."""
    paths = []
    placed = []
    for entry in entries:
        files = [(f, file_path(entry.doc, f)) for f in entry.files]
        paths += [(entry, f, path) for f, path in files]
        doc = entry.doc
        pages = str(doc.bates_end_no - doc.bates_begin_no + 1)
        placed.append(Placed(doc, files, designation_of(doc, entry.version), {"PAGECOUNT": pages}))
    try:
        dat, opt = volume_load_files(volume, placed, dat_fields=OVERLAY_FIELDS, links=LINKS)
    except ValueError as exc:
        raise Invalid(f"the overlay's DAT cannot carry a value: {exc}") from None
    return Layout(volume, paths, dat, opt)
