"""Re-designation: the designating party changes a document's tier, whole or named pages.

Model order ¶5.3 (an inadvertent failure to designate may be corrected) and BRIEF §2: the
new tier holds at once, for every user, at their next request (the tier is a column the SQL
filter reads); everyone who viewed or downloaded the document before is told, by name, what
they hold and must now treat differently. Which documents a party's people opened is that
party's work product, so the designating party is shown only its own side's holders; the
others are notified without their names reaching it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, State
from gateway.documents.content import bindings, rebind
from gateway.documents.models import Document
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.versions import alternates, public_record
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid
from gateway.matters.models import Party
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, resolve_access
from gateway.orders.models import PageDesignation
from gateway.orders.notices import deliver_outbox, notify
from gateway.orders.refusals import refused
from gateway.runtime import Runtime

# what a person may hold of a document: a view shows its metadata, a download its content
HOLDING_TAGS = {str(Tag.DOCUMENT_VIEW): "viewed", str(Tag.DOCUMENT_DOWNLOAD): "downloaded"}


@dataclass(frozen=True)
class Redesignation:
    document: str
    before: str
    after: str
    pages: tuple[int, ...]
    # the holders on the caller's own side: email, name, what they hold
    notified: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "before": self.before,
            "designation": self.after,
            "pages": list(self.pages),
            "notified": self.notified,
        }


def redesignate(
    rt: Runtime,
    user: User,
    matter_id: int,
    bates: str,
    *,
    designation: Any,
    pages: Any,
    reason: Any,
    address: str,
) -> Redesignation:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.DESIGNATION_CHANGE, tag=Tag.DESIGNATION_CHANGED)
        doc = find_document(session, access, bates, visible_clause(access, LIST), lock=True)
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, Tag.DESIGNATION_CHANGED, LIST)
        try:
            result = _apply(rt, session, access, doc, designation, pages, reason)
        except GatewayError as error:
            raise refused(
                access,
                Tag.DESIGNATION_CHANGED,
                error,
                document_id=doc.id,
                bates=doc.bates_begin,
            ) from None
    deliver_outbox(rt)
    return result


def _apply(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    doc: Document,
    designation: Any,
    pages: Any,
    reason: Any,
) -> Redesignation:
    if not isinstance(designation, str) or not isinstance(reason, str):
        raise Invalid("designation, reason: text")
    tiers = {t.code: t.rank for t in access.policy.tiers}
    code = designation.strip().upper()
    if code not in tiers:
        raise Invalid(
            f"designation: one of {', '.join(access.policy.designations)}, not {designation!r}"
        )
    if doc.designating_party_id != access.side_party_id:
        name = session.get(Party, doc.designating_party_id)
        raise Forbidden(
            f"only the designating party ({name.name if name else 'another party'}) "
            f"changes the designation of {doc.bates_begin}"
        )
    if not reason.strip():
        raise Invalid("reason: say why the designation changes")
    if doc.state == str(State.SEQUESTERED):
        # the producing party must preserve the material while the claim is pending
        raise Conflict(f"{doc.bates_begin} is sequestered: a claw-back claim is pending")
    if public_record(session, doc):
        raise Conflict(
            f"{doc.bates_begin} was filed on the public docket in full: a public record is "
            "outside the order and is not designated again"
        )
    named = _pages(pages, doc)
    before = doc.designation
    after, changed = _strictest(session, rt, doc, code, named, tiers)
    if not changed:
        where = f"pages {', '.join(map(str, named))} of " if named else ""
        raise Conflict(f"{where}{doc.bates_begin} already designated {code}")
    bound = bindings(session, doc)
    doc.designation = after
    _raise_versions(session, doc, after, tiers)
    rebind(rt, session, access.matter, doc, bound)
    holders = _holders(session, doc)
    side_names = []
    for holder, held in holders:
        notify(
            rt,
            session,
            matter_id=doc.matter_id,
            user=holder,
            kind="redesignation",
            document_id=doc.id,
            subject=f"{doc.bates_begin} re-designated {after}",
            body=_body(doc, before, after, named, held, reason),
        )
        if _side_of(session, doc.matter_id, holder) == access.side_party_id:
            side_names.append({"email": holder.email, "name": holder.full_name, "held": held})
    rt.audit(
        session,
        tag=Tag.DESIGNATION_CHANGED,
        outcome=Outcome.ALLOWED,
        document_id=doc.id,
        bates=doc.bates_begin,
        reason=reason.strip()[:300],
        details={
            "from": before,
            "to": after,
            "pages": list(named),
            "page_designation": code,
            # the caller's own side only: how many of the other side held it is theirs
            "notified_on_this_side": len(side_names),
        },
        **access.audit_kwargs(),
    )
    return Redesignation(doc.bates_begin, before, after, named, side_names)


def _raise_versions(session: Session, doc: Document, after: str, tiers: dict[str, int]) -> None:
    """A stricter tier reaches every other version (a redacted one shows the rest of the
    same pages), except one already on the public docket; a lower tier leaves them as they
    are (lowering a version is its own re-designation or filing)."""
    for version in alternates(session, doc):
        current = version.designation or after
        if version.public_record_at is None and tiers.get(current, 0) < tiers[after]:
            version.designation = after


def _pages(pages: Any, doc: Document) -> tuple[int, ...]:
    if pages is None or pages == []:
        return ()
    whole = isinstance(pages, list) and all(
        isinstance(p, int) and not isinstance(p, bool) for p in pages
    )
    if not whole:
        raise Invalid("pages: a list of page numbers (1 is the document's first page)")
    wrong = [p for p in pages if not 1 <= p <= doc.page_count]
    if wrong:
        raise Invalid(f"pages: {doc.bates_begin} has pages 1 to {doc.page_count}, not {wrong}")
    return tuple(sorted(set(pages)))


def _strictest(
    session: Session,
    rt: Runtime,
    doc: Document,
    code: str,
    pages: tuple[int, ...],
    tiers: dict[str, int],
) -> tuple[str, bool]:
    """The document's new tier and whether anything changes: the code itself, or with
    named pages the strictest of its pages. The first time pages are named every page gets
    a row (the others keep the tier the document had), so a page can later be lowered."""
    if not pages:
        had = session.scalar(
            select(PageDesignation.id).where(PageDesignation.document_id == doc.id).limit(1)
        )
        session.execute(delete(PageDesignation).where(PageDesignation.document_id == doc.id))
        return code, code != doc.designation or had is not None
    rows = {
        p.page_no: p
        for p in session.scalars(
            select(PageDesignation).where(PageDesignation.document_id == doc.id)
        )
    }
    now = rt.now()
    for page in range(1, doc.page_count + 1):
        if page not in rows:
            rows[page] = PageDesignation(
                document_id=doc.id, page_no=page, designation=doc.designation, set_at=now
            )
            session.add(rows[page])
    changed = False
    for page in pages:
        if rows[page].designation != code:
            rows[page].designation, rows[page].set_at, changed = code, now, True
    strictest = max(tiers.get(r.designation, max(tiers.values())) for r in rows.values())
    after = next(c for c, rank in tiers.items() if rank == strictest)
    return after, changed


def _holders(session: Session, doc: Document) -> list[tuple[User, list[str]]]:
    entries = session.execute(
        select(AuditEntry.actor_user_id, AuditEntry.tag, AuditEntry.at, AuditEntry.reason)
        .where(
            AuditEntry.document_id == doc.id,
            AuditEntry.outcome == str(Outcome.ALLOWED),
            AuditEntry.tag.in_(sorted(HOLDING_TAGS)),
        )
        .order_by(AuditEntry.seq)
    ).all()
    held: dict[int, list[str]] = {}
    for user_id, tag, at, why in entries:
        if user_id is None or why == "slip sheet only":
            continue
        held.setdefault(user_id, []).append(
            f"{doc.bates_begin}: {HOLDING_TAGS[tag]} {at.isoformat()}"
        )
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(sorted(held))))}
    return [(users[uid], lines) for uid, lines in held.items() if uid in users]


def _side_of(session: Session, matter_id: int, user: User) -> int | None:
    from gateway.matters.models import Membership

    return session.scalar(
        select(Membership.party_id).where(
            Membership.matter_id == matter_id, Membership.user_id == user.id
        )
    )


def _body(
    doc: Document,
    before: str,
    after: str,
    pages: tuple[int, ...],
    held: list[str],
    reason: str,
) -> str:
    where = f"pages {', '.join(map(str, pages))} of " if pages else ""
    lines = [
        f"The designating party changed the designation of {where}{doc.bates_begin} "
        f"from {before} to {after} under the protective order.",
        f"Reason given: {reason.strip()}",
        "",
        "You viewed or downloaded it before the change:",
        *(f"  - {line}" for line in held),
        "",
        f"From now on treat every copy you hold as {after}: keep it only where the order "
        f"allows {after} material, and retrieve any copy you gave to someone it does not.",
    ]
    return "\n".join(lines)
