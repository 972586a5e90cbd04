"""Applying an overlay volume to documents already loaded: new designations by BEGBATES,
replacement files, documents to take off (withdrawn: a slip stays at the Bates number).

All or nothing: the plan is checked against the matter first; replacement files are
encrypted before the transaction and deleted again if anything fails; the transaction
changes, re-binds and audits every document at once; the files replaced are deleted only
after it commits. A refusal is audited as a production's is.
"""

from __future__ import annotations

import mimetypes
from dataclasses import replace

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import (
    Binding,
    Place,
    StoredFile,
    bindings_many,
    rebind_many,
    store_file,
)
from gateway.documents.ingest import (
    _chunks,
    audit_failure,
    check_volume_name,
    designation_spellings,
    file_row,
    lock_matter,
)
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.errors import GatewayError, NotFound
from gateway.ingest.errors import ErrorCollector, LoadFileError
from gateway.ingest.overlay import OverlayChange, OverlayFile, OverlayPlan, plan_overlay
from gateway.ingest.source import VolumeSource
from gateway.matters.models import Matter
from gateway.matters.service import matter_key
from gateway.runtime import Runtime

WITHDRAWN = "withdrawn"


def load_overlay(
    rt: Runtime, actor: Actor, *, matter_id: int, source: VolumeSource, volume: str
) -> dict[str, int]:
    """Read the overlay ``volume`` from ``source`` and apply it; a refusal is audited."""
    try:
        check_volume_name(volume)
        plan = plan_overlay(
            source, volume=volume, designations=designation_spellings(rt, matter_id)
        )
    except GatewayError as error:
        audit_failure(rt, actor, matter_id, volume, error)
        raise
    return apply_overlay(rt, actor, matter_id=matter_id, plan=plan, source=source)


def apply_overlay(
    rt: Runtime, actor: Actor, *, matter_id: int, plan: OverlayPlan, source: VolumeSource
) -> dict[str, int]:
    """How many documents were re-designated, had files replaced, were withdrawn."""
    try:
        check_volume_name(plan.volume)
        return _apply(rt, actor, matter_id, plan, source)
    except GatewayError as error:
        audit_failure(rt, actor, matter_id, plan.volume, error)
        raise


def _apply(
    rt: Runtime, actor: Actor, matter_id: int, plan: OverlayPlan, source: VolumeSource
) -> dict[str, int]:
    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        docs = _documents(session, matter_id, plan)
        versions = {
            v.id: v.uid
            for v in session.scalars(
                select(DocumentVersion).where(
                    DocumentVersion.id.in_([d.current_version_id for d in docs.values()])
                )
            )
        }
    mkey = matter_key(rt, matter)
    stored: dict[str, list[tuple[OverlayFile, StoredFile]]] = {}
    written: list[str] = []
    try:
        for change in plan.changes:
            doc = docs[change.bates_begin]
            for item in change.files:
                assert doc.current_version_id is not None
                place = Place(doc.uid, versions[doc.current_version_id], item.role, item.page_no)
                binding = replace(Binding.of(doc), designation=change.designation)
                try:
                    chunks = _chunks(source.open(item.path))
                    result = store_file(rt, matter, mkey, place, chunks, binding)
                except OSError as exc:
                    raise LoadFileError(
                        f"cannot read: {exc.strerror or exc}", file=source.describe(item.path)
                    ) from exc
                written.append(result.blob_key)
                stored.setdefault(change.bates_begin, []).append((item, result))
        counts, replaced = _commit(rt, actor, matter, plan, stored)
    except BaseException:
        for key in written:
            rt.blobs.delete(key)
        raise
    for key in replaced:
        rt.blobs.delete(key)
    return counts


def _documents(session: Session, matter_id: int, plan: OverlayPlan) -> dict[str, Document]:
    """Each document the overlay names, or every problem with them."""
    wanted = [c.bates_begin for c in plan.changes] + [b for b, _ in plan.removals]
    found = {
        d.bates_begin: d
        for d in session.scalars(
            select(Document).where(
                Document.matter_id == matter_id, Document.bates_begin.in_(wanted)
            )
        )
    }
    errors = ErrorCollector()
    for change in plan.changes:
        doc = found.get(change.bates_begin)
        if doc is None:
            errors.add(
                f"no document {change.bates_begin} in this matter",
                file=plan.dat,
                line=change.line,
                field="BEGBATES",
            )
        elif doc.bates_end != change.bates_end:
            errors.add(
                f"{doc.bates_begin} ends at {doc.bates_end}, not {change.bates_end}",
                file=plan.dat,
                line=change.line,
                field="ENDBATES",
            )
    remove = f"{plan.dat.rsplit('.', 1)[0]}_REMOVE.txt"
    for bates, line in plan.removals:
        if bates not in found:
            errors.add(f"no document {bates} in this matter", file=remove, line=line)
    errors.raise_if_any()
    return found


def _commit(
    rt: Runtime,
    actor: Actor,
    matter: Matter,
    plan: OverlayPlan,
    stored: dict[str, list[tuple[OverlayFile, StoredFile]]],
) -> tuple[dict[str, int], list[str]]:
    counts = {"designated": 0, "replaced": 0, "withdrawn": 0}
    replaced: list[str] = []
    with rt.transaction() as session:
        lock_matter(session, matter.id)
        docs = _documents(session, matter.id, plan)
        before = bindings_many(session, list(docs.values()))
        events: list[AuditEvent] = []
        for change in plan.changes:
            doc = docs[change.bates_begin]
            details = _designate(doc, change, counts)
            if change.bates_begin in stored:
                replaced += _replace_files(session, doc, stored[change.bates_begin])
                details["files"] = len(stored[change.bates_begin])
                counts["replaced"] += 1
            events.append(_event(actor, matter, doc, plan, details))
        for bates, _line in plan.removals:
            doc = docs[bates]
            if doc.state != WITHDRAWN:
                events.append(_event(actor, matter, doc, plan, {"state": [doc.state, WITHDRAWN]}))
                doc.state = WITHDRAWN
                counts["withdrawn"] += 1
        session.flush()
        rebind_many(rt, session, matter, [(d, before[d.id]) for d in docs.values()])
        events.append(
            AuditEvent(
                tag=Tag.OVERLAY_APPLIED,
                outcome=Outcome.ALLOWED,
                actor=actor,
                matter_id=matter.id,
                details={"volume": plan.volume, **counts},
            )
        )
        rt.audit_many(session, events)
    return counts, replaced


def _designate(doc: Document, change: OverlayChange, counts: dict[str, int]) -> dict[str, object]:
    if doc.designation == change.designation:
        return {}
    details: dict[str, object] = {"designation": [doc.designation, change.designation]}
    doc.designation = change.designation
    counts["designated"] += 1
    return details


def _replace_files(
    session: Session, doc: Document, files: list[tuple[OverlayFile, StoredFile]]
) -> list[str]:
    """The version's files become ``files``; returns the blob keys of those replaced."""
    version = DocumentFile.version_id == doc.current_version_id
    old = list(session.scalars(select(DocumentFile.blob_key).where(version)))
    session.execute(delete(DocumentFile).where(version))
    for item, result in files:
        name = item.path.rsplit("/", 1)[-1]
        type_ = mimetypes.guess_type(name)[0] or "application/octet-stream"
        assert doc.current_version_id is not None
        session.add(
            file_row(doc.current_version_id, item.role, item.page_no, name, type_, result, None)
        )
    return old


def _event(
    actor: Actor, matter: Matter, doc: Document, plan: OverlayPlan, details: dict[str, object]
) -> AuditEvent:
    return AuditEvent(
        tag=Tag.OVERLAY_APPLIED,
        outcome=Outcome.ALLOWED,
        actor=actor,
        matter_id=matter.id,
        document_id=doc.id,
        bates=doc.bates_begin,
        details={"volume": plan.volume, **details},
    )
