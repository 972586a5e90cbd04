"""The documents a workflow names by Bates number, found together."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit.tags import Tag
from gateway.db import batches
from gateway.documents.models import Document
from gateway.documents.service import refuse_hidden
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import BadRequest, Invalid
from gateway.matters.service import MatterAccess
from gateway.orders.refusals import refused
from gateway.runtime import Runtime

MAX_DOCUMENTS = 10_000


def named_documents(
    session: Session, rt: Runtime, access: MatterAccess, bates: Any, *, tag: Tag
) -> list[Document]:
    """The documents, in the order named, each one the caller may list. The first one
    named that is missing or hidden is refused as a look-up of it alone would be
    (``refuse_hidden``: the same answer for both)."""
    if not isinstance(bates, list) or not all(isinstance(b, str) for b in bates):
        raise refused(access, tag, Invalid("documents: a list of Bates numbers"))
    if not bates or len(bates) > MAX_DOCUMENTS:
        raise refused(
            access,
            tag,
            BadRequest(f"documents: name 1 to {MAX_DOCUMENTS} documents by Bates number"),
        )
    if len(set(bates)) != len(bates):
        raise refused(access, tag, BadRequest("documents: named twice"))
    listable = visible_clause(access, LIST)
    found: dict[str, Document] = {}
    for batch in batches(bates):
        found.update(
            (doc.bates_begin, doc)
            for doc in session.scalars(
                select(Document)
                .where(
                    Document.matter_id == access.matter.id,
                    Document.bates_begin.in_(batch),
                    listable,
                )
                # held until the workflow commits: two changes never pass their checks on
                # the same state (see ``documents.service.find_document``)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
    for number in bates:
        if number not in found:
            raise refuse_hidden(session, rt, access, number, tag, LIST)
    return [found[number] for number in bates]
