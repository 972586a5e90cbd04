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
from gateway.audit.events import AuditEvent
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, State
from gateway.db import batches
from gateway.documents.content import bindings, bindings_many, rebind, rebind_many
from gateway.documents.models import Document, DocumentVersion
from gateway.documents.rebranding import rebrand_after_change
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.versions import alternates, alternates_many, public_record, public_records
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid
from gateway.matters.models import Membership, Party
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, resolve_access
from gateway.orders.models import PageDesignation
from gateway.orders.named import named_documents
from gateway.orders.notices import deliver_outbox, notify
from gateway.orders.refusals import refused
from gateway.runtime import Runtime

# what a person may hold of a document: a view shows its metadata, a page view its pages
# (as images, one at a time), a download its content
HOLDING_TAGS = {
    str(Tag.DOCUMENT_VIEW): "viewed",
    str(Tag.DOCUMENT_PAGE_VIEW): "was shown pages",
    str(Tag.DOCUMENT_DOWNLOAD): "downloaded",
}


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
        changed = [doc.id]
    deliver_outbox(rt)
    rebrand_after_change(rt, matter_id, changed)
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
    code = _code(access, designation, reason)
    tiers = {t.code: t.rank for t in access.policy.tiers}
    if (error := _not_designating(session, access, doc)) is not None:
        raise error
    if not reason.strip():
        raise Invalid("reason: say why the designation changes")
    if (frozen := _held_as_is(doc, public=public_record(session, doc))) is not None:
        raise frozen
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
        access.event(
            Tag.DESIGNATION_CHANGED,
            Outcome.ALLOWED,
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
        ),
    )
    return Redesignation(doc.bates_begin, before, after, named, side_names)


def _raise_versions(session: Session, doc: Document, after: str, tiers: dict[str, int]) -> None:
    _raise(alternates(session, doc), after, tiers)


def _raise(versions: list[DocumentVersion], after: str, tiers: dict[str, int]) -> None:
    """A stricter tier reaches every other version (a redacted one shows the rest of the
    same pages), except one already on the public docket; a lower tier leaves them as they
    are (lowering a version is its own re-designation or filing)."""
    for version in versions:
        current = version.designation or after
        if version.public_record_at is None and tiers.get(current, 0) < tiers[after]:
            version.designation = after


def _code(access: MatterAccess, designation: Any, reason: Any) -> str:
    """The tier asked for, one of the matter's order."""
    if not isinstance(designation, str) or not isinstance(reason, str):
        raise Invalid("designation, reason: text")
    code = designation.strip().upper()
    if code not in {t.code for t in access.policy.tiers}:
        raise Invalid(
            f"designation: one of {', '.join(access.policy.designations)}, not {designation!r}"
        )
    return code


def _not_designating(session: Session, access: MatterAccess, doc: Document) -> Forbidden | None:
    if doc.designating_party_id == access.side_party_id:
        return None
    name = session.get(Party, doc.designating_party_id)
    return Forbidden(
        f"only the designating party ({name.name if name else 'another party'}) "
        f"changes the designation of {doc.bates_begin}"
    )


def _held_as_is(doc: Document, *, public: bool) -> Conflict | None:
    """Why the document keeps its designation whoever asks, if it does."""
    if doc.state == str(State.SEQUESTERED):
        # the producing party must preserve the material while the claim is pending
        return Conflict(f"{doc.bates_begin} is sequestered: a claw-back claim is pending")
    if public:
        return Conflict(
            f"{doc.bates_begin} was filed on the public docket in full: a public record is "
            "outside the order and is not designated again"
        )
    return None


# --- many whole documents at once ------------------------------------------------------


@dataclass(frozen=True)
class Redesignations:
    documents: list[Redesignation]
    # the holders on the caller's own side, each once with all they hold of these documents
    notified: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "documents": [
                {"document": r.document, "before": r.before, "designation": r.after}
                for r in self.documents
            ],
            "notified": self.notified,
        }


def redesignate_many(
    rt: Runtime,
    user: User,
    matter_id: int,
    bates: Any,
    *,
    designation: Any,
    reason: Any,
    address: str,
) -> Redesignations:
    """Whole documents re-designated together, all or none: each checked and audited as
    ``redesignate`` checks and audits it, a refusal of any one refusing them all; each
    person who held any of them gets one notice naming every one they hold."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.DESIGNATION_CHANGE, tag=Tag.DESIGNATION_CHANGED)
        docs = named_documents(session, rt, access, bates, tag=Tag.DESIGNATION_CHANGED)
        try:
            code = _code(access, designation, reason)
            if not reason.strip():
                raise Invalid("reason: say why the designation changes")
        except GatewayError as error:
            raise refused(access, Tag.DESIGNATION_CHANGED, error) from None
        paged = _paged(session, docs)
        _check_many(session, access, docs, code, paged)
        result = _apply_many(rt, session, access, docs, code, reason, paged)
        changed = [d.id for d in docs]
    deliver_outbox(rt)
    rebrand_after_change(rt, matter_id, changed)
    return result


def _paged(session: Session, docs: list[Document]) -> set[int]:
    """Those of ``docs`` with designations of their own pages."""
    found: set[int] = set()
    for batch in batches([d.id for d in docs]):
        found.update(
            session.scalars(
                select(PageDesignation.document_id)
                .where(PageDesignation.document_id.in_(batch))
                .distinct()
            )
        )
    return found


def _check_many(
    session: Session, access: MatterAccess, docs: list[Document], code: str, paged: set[int]
) -> None:
    """Refuse the first document named that ``redesignate`` would refuse, naming it."""
    public = public_records(session, docs)
    for doc in docs:
        error: GatewayError | None = _not_designating(session, access, doc)
        if error is None:
            error = _held_as_is(doc, public=doc.id in public)
        if error is None and doc.designation == code and doc.id not in paged:
            error = Conflict(f"{doc.bates_begin} already designated {code}")
        if error is not None:
            raise refused(
                access,
                Tag.DESIGNATION_CHANGED,
                error,
                document_id=doc.id,
                bates=doc.bates_begin,
            )


def _apply_many(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    docs: list[Document],
    code: str,
    reason: str,
    paged: set[int],
) -> Redesignations:
    for batch in batches(sorted(paged)):
        session.execute(delete(PageDesignation).where(PageDesignation.document_id.in_(batch)))
    bound = bindings_many(session, docs)
    before = {doc.id: doc.designation for doc in docs}
    others = alternates_many(session, docs)
    tiers = {t.code: t.rank for t in access.policy.tiers}
    for doc in docs:
        doc.designation = code
        _raise(others[doc.id], code, tiers)
    rebind_many(rt, session, access.matter, [(doc, bound[doc.id]) for doc in docs])
    holders = _holders_many(session, docs)
    sides = _sides_of(session, access.matter.id, {u.id for hs in holders.values() for u, _ in hs})
    results: list[Redesignation] = []
    events: list[AuditEvent] = []
    for doc in docs:
        own = [
            {"email": holder.email, "name": holder.full_name, "held": held}
            for holder, held in holders.get(doc.id, [])
            if sides.get(holder.id) == access.side_party_id
        ]
        events.append(
            access.event(
                Tag.DESIGNATION_CHANGED,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                reason=reason.strip()[:300],
                details={
                    "from": before[doc.id],
                    "to": code,
                    "pages": [],
                    "page_designation": code,
                    "notified_on_this_side": len(own),
                },
            )
        )
        results.append(Redesignation(doc.bates_begin, before[doc.id], code, (), own))
    notified = _tell_holders(rt, session, access, docs, holders, before, code, reason)
    rt.audit_many(session, events)
    own_side = [n for uid, n in notified.items() if sides.get(uid) == access.side_party_id]
    return Redesignations(results, own_side)


def _tell_holders(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    docs: list[Document],
    holders: dict[int, list[tuple[User, list[str]]]],
    before: dict[int, str],
    after: str,
    reason: str,
) -> dict[int, dict[str, Any]]:
    """One notice to each holder, naming each document they hold; by user id, who was told
    and what they hold."""
    held_by: dict[int, tuple[User, list[tuple[Document, list[str]]]]] = {}
    for doc in docs:
        for holder, held in holders.get(doc.id, []):
            held_by.setdefault(holder.id, (holder, []))[1].append((doc, held))
    told = {}
    for user_id, (holder, held_docs) in held_by.items():
        if len(held_docs) == 1:
            ((doc, held),) = held_docs
            subject = f"{doc.bates_begin} re-designated {after}"
            body = _body(doc, before[doc.id], after, (), held, reason)
            document_id: int | None = doc.id
        else:
            subject = f"{len(held_docs)} documents you hold re-designated {after}"
            body = _many_body(held_docs, before, after, reason)
            document_id = None
        notify(
            rt,
            session,
            matter_id=access.matter.id,
            user=holder,
            kind="redesignation",
            document_id=document_id,
            subject=subject,
            body=body,
        )
        lines = [line for _doc, held in held_docs for line in held]
        told[user_id] = {"email": holder.email, "name": holder.full_name, "held": lines}
    return told


def _many_body(
    held_docs: list[tuple[Document, list[str]]], before: dict[int, str], after: str, reason: str
) -> str:
    lines = [
        f"The designating party changed the designation of {len(held_docs)} documents "
        f"to {after} under the protective order.",
        f"Reason given: {reason.strip()}",
        "",
        "You viewed or downloaded them before the change:",
    ]
    for doc, held in held_docs:
        lines.append(f"  {doc.bates_begin} (was {before[doc.id]}):")
        lines.extend(f"    - {line}" for line in held)
    lines += [
        "",
        f"From now on treat every copy you hold as {after}: keep it only where the order "
        f"allows {after} material, and retrieve any copy you gave to someone it does not.",
    ]
    return "\n".join(lines)


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
    return _holders_many(session, [doc]).get(doc.id, [])


def _holders_many(
    session: Session, docs: list[Document]
) -> dict[int, list[tuple[User, list[str]]]]:
    """By document, who viewed or downloaded it (from the audit) and what they hold."""
    by_id = {d.id: d for d in docs}
    held: dict[int, dict[int, list[str]]] = {}
    for batch in batches(list(by_id)):
        entries = session.execute(
            select(
                AuditEntry.document_id,
                AuditEntry.actor_user_id,
                AuditEntry.tag,
                AuditEntry.at,
                AuditEntry.reason,
            )
            .where(
                AuditEntry.document_id.in_(batch),
                AuditEntry.outcome == str(Outcome.ALLOWED),
                AuditEntry.tag.in_(sorted(HOLDING_TAGS)),
            )
            .order_by(AuditEntry.seq)
        ).all()
        for document_id, user_id, tag, at, why in entries:
            if user_id is None or document_id is None or why == "slip sheet only":
                continue
            line = f"{by_id[document_id].bates_begin}: {HOLDING_TAGS[tag]} {at.isoformat()}"
            held.setdefault(document_id, {}).setdefault(user_id, []).append(line)
    user_ids = sorted({uid for per_doc in held.values() for uid in per_doc})
    users: dict[int, User] = {}
    for batch in batches(user_ids):
        users.update((u.id, u) for u in session.scalars(select(User).where(User.id.in_(batch))))
    return {
        document_id: [(users[uid], lines) for uid, lines in per_doc.items() if uid in users]
        for document_id, per_doc in held.items()
    }


def _sides_of(session: Session, matter_id: int, user_ids: set[int]) -> dict[int, int | None]:
    """``_side_of`` for many users."""
    sides: dict[int, int | None] = {}
    for batch in batches(sorted(user_ids)):
        rows = session.execute(
            select(Membership.user_id, Membership.party_id).where(
                Membership.matter_id == matter_id, Membership.user_id.in_(batch)
            )
        )
        sides.update((user_id, party_id) for user_id, party_id in rows)
    return sides


def _side_of(session: Session, matter_id: int, user: User) -> int | None:
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
