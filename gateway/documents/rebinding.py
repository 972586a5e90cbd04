"""Upgrading data keys wrapped before access attributes were bound into their wrapping.

Such keys (``document_files.key_binding = 0``) are bound to the file's place only: a row
edited behind the product's back could still change who sees their content. ``rebind_all``
re-wraps each under the document's attributes as they stand now, one matter at a time,
audited; run it once after upgrading (``pogw storage rebind``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import bindings, rebind
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.matters.models import Matter
from gateway.runtime import Runtime


@dataclass(frozen=True)
class RebindReport:
    documents: int
    keys: int


def rebind_all(rt: Runtime, actor: Actor) -> RebindReport:
    documents = keys = 0
    with rt.transaction() as session:
        # ids first: DISTINCT over whole rows fails on PostgreSQL's json columns
        ids = session.scalars(
            select(DocumentVersion.document_id)
            .join(DocumentFile, DocumentFile.version_id == DocumentVersion.id)
            .where(DocumentFile.key_binding == 0)
            .distinct()
        ).all()
        legacy = session.scalars(select(Document).where(Document.id.in_(ids))).all()
        for doc in legacy:
            matter = session.get(Matter, doc.matter_id)
            assert matter is not None
            # legacy keys open under the place alone: the binding "before" is unused for them
            keys += rebind(rt, session, matter, doc, bindings(session, doc))
            documents += 1
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.STORAGE_REBOUND,
                outcome=Outcome.ALLOWED,
                actor=actor,
                reason="data keys re-wrapped with the attributes that decide access",
                details={"documents": documents, "keys": keys},
            ),
        )
    return RebindReport(documents, keys)
