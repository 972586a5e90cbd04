"""The claimant describes each claimed document for the privilege log (FRCP 26(b)(5)(A)):
"the nature of the documents ... in a manner that, without revealing information itself
privileged or protected, will enable other parties to assess the claim".

Only counsel of the party that made the claim describes it (``clawback:notice``, its side
the claimant's): the description is that party's own assertion to the others, like the
claim's basis. It replaces the neutral description (kind and length) the log shows
otherwise, and may be amended; a claim the court denied is no longer in the log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action
from gateway.documents.models import Document
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid, NotFound
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, resolve_access
from gateway.orders.models import Clawback, ClawbackItem, LogDescription
from gateway.orders.refusals import refused
from gateway.runtime import Runtime

MAX_DESCRIPTION = 500
TAG = Tag.PRIVILEGE_LOG_DESCRIBED


def describe(
    rt: Runtime,
    user: User,
    matter_id: int,
    *,
    clawback_id: Any,
    document: Any,
    description: Any,
    address: str,
) -> dict[str, Any]:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.CLAWBACK_NOTICE, tag=TAG)
        item, doc = _item(session, access, clawback_id, document)
        try:
            text = _checked(session, access, item, description)
        except GatewayError as error:
            raise refused(access, TAG, error, document_id=doc.id, bates=doc.bates_begin) from None
        found = session.scalar(
            select(LogDescription).where(LogDescription.clawback_item_id == item.id)
        )
        amended = found is not None
        if found is None:
            found = LogDescription(clawback_item_id=item.id)
            session.add(found)
        found.description = text
        found.described_by_user_id = user.id
        found.described_at = rt.now()
        rt.audit(
            session,
            access.event(
                TAG,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                details={"clawback": item.clawback_id, "amended": amended},
            ),
        )
        return {
            "clawback": item.clawback_id,
            "document": doc.bates_begin,
            "description": text,
            "amended": amended,
        }


def _item(
    session: Session, access: MatterAccess, clawback_id: Any, bates: Any
) -> tuple[ClawbackItem, Document]:
    """The claim's item for a document the caller may list; anything else is as missing."""
    missing = refused(access, TAG, NotFound("no such document in that claw-back"))
    if not isinstance(clawback_id, int) or isinstance(clawback_id, bool):
        raise refused(access, TAG, Invalid("clawback: the claw-back's id, a number"))
    if not isinstance(bates, str) or not bates:
        raise refused(access, TAG, Invalid("document: a Bates number"))
    row = session.execute(
        select(ClawbackItem, Document)
        .join(Clawback, Clawback.id == ClawbackItem.clawback_id)
        .join(Document, Document.id == ClawbackItem.document_id)
        .where(
            Clawback.id == clawback_id,
            Clawback.matter_id == access.matter.id,
            Document.bates_begin == bates,
            visible_clause(access, LIST),
        )
    ).first()
    if row is None:
        raise missing
    return row[0], row[1]


def _checked(session: Session, access: MatterAccess, item: ClawbackItem, text: Any) -> str:
    claim = session.get(Clawback, item.clawback_id)
    assert claim is not None  # the item's own claim
    if access.side_party_id != claim.claimant_party_id:
        raise Forbidden("only the party that made the claim describes it for the log")
    if item.outcome == "denied":
        raise Conflict("the court denied this claim: the document is not withheld")
    if not isinstance(text, str) or not text.strip():
        raise Invalid("description: the nature of the document, revealing nothing protected")
    text = " ".join(text.split())
    if len(text) > MAX_DESCRIPTION:
        raise Invalid(f"description: at most {MAX_DESCRIPTION} characters")
    return text
