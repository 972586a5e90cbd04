"""Claw-back of privileged or protected material (FRCP 26(b)(5)(B); the order's clause).

On notice the documents are sequestered at once for the whole receiving side: listed as a
slip where the user could list them, never opened (``state`` is a column the SQL filter
reads). The producing party keeps its original. Receiving counsel may present a document
to the court under seal (only then does the court open it). Each receiving party whose
users downloaded a copy before the notice gets a certification task listing exactly those
copies, visible to that party alone: which documents it opened is its work product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, Role, State
from gateway.documents.content import bindings, bindings_many, rebind, rebind_many
from gateway.documents.models import Document
from gateway.documents.versions import alternates_many, public_records
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid, NotFound
from gateway.matters.models import Matter, Membership, Party
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, court_today, resolve_access
from gateway.orders.holidays import Calendar
from gateway.orders.models import (
    Certification,
    CertificationCopy,
    Clawback,
    ClawbackItem,
    Presentation,
)
from gateway.orders.named import named_documents
from gateway.orders.notices import deliver_outbox, notify
from gateway.orders.refusals import refused
from gateway.orders.service import added_calendars
from gateway.runtime import Refused, Runtime

OPEN_STATES = (str(State.PRODUCED), str(State.REPLACED))
COPY_ACTIONS = ("returned", "sequestered", "destroyed")


@dataclass(frozen=True)
class ClawbackView:
    id: int
    documents: list[dict[str, Any]]
    privilege: str
    basis: str
    noticed_at: str
    claimant: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "documents": self.documents,
            "privilege": self.privilege,
            "basis": self.basis,
            "noticed_at": self.noticed_at,
            "claimant": self.claimant,
        }


# --- the notice ------------------------------------------------------------------------


def claw_back(
    rt: Runtime,
    user: User,
    matter_id: int,
    *,
    documents: Any,
    privilege: Any,
    basis: Any,
    address: str,
) -> ClawbackView:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.CLAWBACK_NOTICE, tag=Tag.CLAWBACK_NOTICED)
        docs = named_documents(session, rt, access, documents, tag=Tag.CLAWBACK_NOTICED)
        try:
            view = _notice(rt, session, access, docs, privilege, basis)
        except GatewayError as error:
            raise refused(access, Tag.CLAWBACK_NOTICED, error) from None
    deliver_outbox(rt)
    return view


def _notice(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    docs: list[Document],
    privilege: Any,
    basis: Any,
) -> ClawbackView:
    if not isinstance(privilege, str) or not isinstance(basis, str):
        raise Invalid("privilege, basis: text naming the privilege or protection and its basis")
    if not privilege.strip() or not basis.strip():
        raise Invalid("privilege, basis: name the privilege or protection and its basis")
    side = access.side_party_id
    public = public_records(session, docs)
    for doc in docs:
        if side not in (doc.producing_party_id, doc.designating_party_id):
            raise Forbidden(
                f"{doc.bates_begin}: only the producing or designating party claws it back"
            )
        if doc.state not in OPEN_STATES:
            raise Conflict(f"{doc.bates_begin} is {doc.state} already")
        if doc.id in public:
            raise Conflict(f"{doc.bates_begin} is a public record (filed in full on the docket)")
    now = rt.now()
    assert side is not None  # a party's counsel: require() and the check above
    clawback = Clawback(
        matter_id=access.matter.id,
        claimant_party_id=side,
        noticed_by_user_id=access.user.id,
        privilege=privilege.strip()[:200],
        basis=basis.strip(),
        noticed_at=now,
    )
    session.add(clawback)
    session.flush()
    bound = bindings_many(session, docs)
    versions = alternates_many(session, docs)
    for doc in docs:
        # its other versions go with it, except one already on the public docket
        others = [v for v in versions[doc.id] if v.public_record_at is None]
        session.add(
            ClawbackItem(
                clawback_id=clawback.id,
                document_id=doc.id,
                prior_state=doc.state,
                prior_versions={str(v.id): v.state or "" for v in others} or None,
                outcome="",
            )
        )
        for version in others:
            version.state = str(State.SEQUESTERED)
        doc.state = str(State.SEQUESTERED)
        doc.presented_at = None  # this claim is the court's only once presented to it
    rebind_many(rt, session, access.matter, [(doc, bound[doc.id]) for doc in docs])
    tasks = _certification_tasks(rt, session, access.matter, clawback, docs)
    rt.audit_many(
        session,
        [
            access.event(
                Tag.CLAWBACK_NOTICED,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                reason=clawback.privilege,
                details={"clawback": clawback.id},
            )
            for doc in docs
        ],
    )
    _tell_receiving_counsel(rt, session, access.matter, clawback, docs, tasks)
    return _view(session, clawback, docs, rulings=False)


WITHHELD = "withheld: it concerns documents you may not list"


def _view(
    session: Session,
    clawback: Clawback,
    docs: list[Document],
    *,
    rulings: bool = True,
    access: MatterAccess | None = None,
) -> ClawbackView:
    """The claw-back as shown: the documents given (those the caller may list), each with
    its state and (``rulings``; a new notice has none) the court's ruling on it, if any."""
    items = {
        i.document_id: i
        for i in session.scalars(
            select(ClawbackItem).where(
                ClawbackItem.clawback_id == clawback.id,
                ClawbackItem.document_id.in_([d.id for d in docs]),
            )
        )
    }
    claimant = session.get(Party, clawback.claimant_party_id)

    def shown(doc: Document) -> dict[str, Any]:
        item = items.get(doc.id)
        if not rulings:
            return {"bates_begin": doc.bates_begin, "state": doc.state}
        return {
            "bates_begin": doc.bates_begin,
            "state": doc.state,
            "ruling": item.outcome or None if item else None,
            "pages": list(item.pages or []) if item else [],
        }

    return ClawbackView(
        id=clawback.id,
        documents=[shown(d) for d in docs],
        privilege=clawback.privilege,
        basis=clawback.basis if _whole(session, clawback, docs, access) else WITHHELD,
        noticed_at=clawback.noticed_at.isoformat(),
        claimant=claimant.name if claimant else "",
    )


def _downloads(session: Session, docs: list[Document], before: datetime) -> list[Any]:
    return list(
        session.execute(
            select(AuditEntry.document_id, AuditEntry.actor_user_id, AuditEntry.at)
            .where(
                AuditEntry.document_id.in_([d.id for d in docs]),
                AuditEntry.tag == str(Tag.DOCUMENT_DOWNLOAD),
                AuditEntry.outcome == str(Outcome.ALLOWED),
                AuditEntry.at <= before,
            )
            .order_by(AuditEntry.seq)
        ).all()
    )


def _certification_tasks(
    rt: Runtime, session: Session, matter: Matter, clawback: Clawback, docs: list[Document]
) -> dict[int, Certification]:
    """One task per receiving party whose users downloaded a copy before the notice."""
    sides = dict(
        session.execute(
            select(Membership.user_id, Membership.party_id).where(Membership.matter_id == matter.id)
        ).all()
    )
    tasks: dict[int, Certification] = {}
    due = certification_due(matter, clawback.noticed_at, added_calendars(rt.settings))
    for document_id, user_id, at in _downloads(session, docs, clawback.noticed_at):
        party = sides.get(user_id)
        if party is None or party == clawback.claimant_party_id:
            continue  # the claimant's own copies, or the court's: nothing to certify
        task = tasks.get(party)
        if task is None:
            task = tasks[party] = Certification(
                matter_id=matter.id,
                clawback_id=clawback.id,
                party_id=party,
                created_at=clawback.noticed_at,
                due_at=due,
                signed_by="",
                statement="",
            )
            session.add(task)
            session.flush()
        session.add(
            CertificationCopy(
                certification_id=task.id,
                document_id=document_id,
                user_id=user_id,
                downloaded_at=at,
                action="",
            )
        )
    return tasks


def certification_due(
    matter: Matter, noticed_at: datetime, added: Sequence[Calendar] = ()
) -> datetime | None:
    """When the receiving party's certification is due: the matter's period, counted under
    FRCP 6(a) in the matter's court with the operator's declared days (None when the matter
    names no court calendar)."""
    from gateway.orders.deadlines import deadline

    if not matter.court_id:
        return None
    return deadline(
        matter.court_id,
        court_today(matter, noticed_at),
        matter.clawback_certification_days,
        added=added,
    ).ends_at


def _tell_receiving_counsel(
    rt: Runtime,
    session: Session,
    matter: Matter,
    clawback: Clawback,
    docs: list[Document],
    tasks: dict[int, Certification],
) -> None:
    counsel = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.matter_id == matter.id,
            Membership.role == "outside_counsel",
            Membership.party_id != clawback.claimant_party_id,
        )
    ).all()
    for person in counsel:
        try:
            theirs = resolve_access(rt, session, person, matter.id, address="notice")
        except Refused:
            continue  # a role outside its window: told when it opens the matter again
        listed = set(
            session.scalars(
                select(Document.id).where(
                    Document.id.in_([d.id for d in docs]), visible_clause(theirs, LIST)
                )
            )
        )
        if not listed:
            continue  # a notice must not name documents its reader may not list
        bates = ", ".join(d.bates_begin for d in docs if d.id in listed)
        # the basis may describe documents this reader may not list: then it is withheld
        basis = clawback.basis if len(listed) == len(docs) else WITHHELD
        notify(
            rt,
            session,
            matter_id=matter.id,
            user=person,
            kind="clawback",
            subject=f"Claw-back notice: {len(listed)} document(s) sequestered",
            body=(
                f"The producing party asserts {clawback.privilege} over {bates} "
                f"(basis: {basis}). Under FRCP 26(b)(5)(B) and the protective order "
                "you must promptly return, sequester or destroy the material and any copies, "
                "not use or disclose it until the claim is resolved, and retrieve copies you "
                "gave to others. You may present it to the court under seal. If your side "
                "downloaded copies, certify what you did with each (certifications)."
            ),
        )


# --- presenting to the court under seal --------------------------------------------------


def present(
    rt: Runtime,
    user: User,
    matter_id: int,
    clawback_id: int,
    *,
    documents: Any,
    address: str,
) -> ClawbackView:
    """Receiving counsel presents sequestered documents of a claw-back to the court under
    seal (FRCP 26(b)(5)(B)): from then on the court opens them."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.CLAWBACK_PRESENT, tag=Tag.CLAWBACK_PRESENTED)
        clawback = _clawback(session, access, clawback_id, Tag.CLAWBACK_PRESENTED)
        if access.side_party_id is None or not _listable(session, access, clawback):
            # a claw-back is known only to those who may list a document of it
            raise refused(
                access, Tag.CLAWBACK_PRESENTED, NotFound("no such claw-back in this matter")
            )
        try:
            docs = _presentable(session, access, clawback, documents)
        except GatewayError as error:
            raise refused(access, Tag.CLAWBACK_PRESENTED, error) from None
        now = rt.now()
        for doc in docs:
            session.add(
                Presentation(
                    clawback_id=clawback.id,
                    document_id=doc.id,
                    party_id=access.side_party_id,
                    presented_by_user_id=user.id,
                    presented_at=now,
                )
            )
            if doc.presented_at is None:
                bound = bindings(session, doc)
                doc.presented_at = now
                rebind(rt, session, access.matter, doc, bound)
            rt.audit(
                session,
                access.event(
                    Tag.CLAWBACK_PRESENTED,
                    Outcome.ALLOWED,
                    document_id=doc.id,
                    bates=doc.bates_begin,
                    details={"clawback": clawback.id},
                ),
            )
        return _view(session, clawback, _listable(session, access, clawback), access=access)


def _listable(
    session: Session, access: MatterAccess, clawback: Clawback, *, lock: bool = False
) -> list[Document]:
    """The claw-back's documents this user may list (a slip at least), in Bates order;
    ``lock``: their rows held for a change (see ``find_document``)."""
    query = (
        select(Document)
        .where(
            Document.id.in_(
                select(ClawbackItem.document_id).where(ClawbackItem.clawback_id == clawback.id)
            ),
            visible_clause(access, LIST),
        )
        .order_by(Document.bates_prefix, Document.bates_begin_no)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def _presentable(
    session: Session, access: MatterAccess, clawback: Clawback, bates: Any
) -> list[Document]:
    if bates is not None and (
        not isinstance(bates, list) or not all(isinstance(b, str) for b in bates)
    ):
        raise Invalid("documents: a list of Bates numbers")
    if access.side_party_id == clawback.claimant_party_id:
        raise Forbidden("the receiving party presents the material; the claimant already has it")
    items = _listable(session, access, clawback, lock=True)
    chosen = items if not bates else [d for d in items if d.bates_begin in set(bates)]
    unknown = set(bates or ()) - {d.bates_begin for d in items}
    if unknown:
        raise Invalid(f"documents: not in claw-back {clawback.id}: {', '.join(sorted(unknown))}")
    done = set(
        session.scalars(
            select(Presentation.document_id).where(Presentation.clawback_id == clawback.id)
        )
    )
    left = [d for d in chosen if d.id not in done and d.state == str(State.SEQUESTERED)]
    if not left:
        raise Conflict("those documents were presented already, or are no longer sequestered")
    return left


def _clawback(session: Session, access: MatterAccess, clawback_id: int, tag: Tag) -> Clawback:
    found = session.get(Clawback, clawback_id)
    if found is None or found.matter_id != access.matter.id:
        raise refused(access, tag, NotFound("no such claw-back in this matter"))
    return found


def get_clawback(
    rt: Runtime, user: User, matter_id: int, clawback_id: int, *, address: str
) -> ClawbackView:
    """A claw-back, to anyone of the matter who may list one of its documents (a slip at
    least), naming only those documents; to anyone else it does not exist."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        clawback = _clawback(session, access, clawback_id, Tag.CLAWBACK_READ)
        docs = _listable(session, access, clawback)
        if not docs:
            raise refused(access, Tag.CLAWBACK_READ, NotFound("no such claw-back in this matter"))
        rt.audit(
            session,
            access.event(
                Tag.CLAWBACK_READ,
                Outcome.ALLOWED,
                details={"clawback": clawback.id, "documents": len(docs)},
            ),
        )
        return _view(session, clawback, docs, access=access)


# --- certifying what became of the copies -------------------------------------------------


def certifications_for(
    rt: Runtime, user: User, matter_id: int, *, address: str
) -> list[dict[str, Any]]:
    """The caller's party's certification tasks only, to the counsel who certify them:
    which documents a party opened is its work product, never shown to the producing party
    or anyone else, and a copy names a document only the caller may list."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.CERTIFICATION_SIGN, tag=Tag.CERTIFICATION_READ)
        if access.side_party_id is None:
            return []
        tasks = session.scalars(
            select(Certification)
            .where(
                Certification.matter_id == matter_id,
                Certification.party_id == access.side_party_id,
            )
            .order_by(Certification.id)
        ).all()
        return [_task_json(session, access, t) for t in tasks if _all_listable(session, access, t)]


def _all_listable(session: Session, access: MatterAccess, task: Certification) -> bool:
    """Whether the caller may list every document the task names: a counsel the order bars
    from some of them (a party's own employee enrolled as counsel) leaves the task to
    another counsel of the party, and learns nothing of it."""
    names = select(CertificationCopy.document_id).where(
        CertificationCopy.certification_id == task.id
    )
    hidden = session.scalar(
        select(Document.id).where(Document.id.in_(names), ~visible_clause(access, LIST)).limit(1)
    )
    return hidden is None


def _task_json(session: Session, access: MatterAccess, task: Certification) -> dict[str, Any]:
    copies = session.execute(
        select(CertificationCopy, Document.bates_begin, User.email)
        .join(Document, Document.id == CertificationCopy.document_id)
        .join(User, User.id == CertificationCopy.user_id)
        .where(CertificationCopy.certification_id == task.id)
        .order_by(CertificationCopy.id)
    ).all()
    return {
        "id": task.id,
        "clawback": task.clawback_id,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "certified_at": task.certified_at.isoformat() if task.certified_at else None,
        "signed_by": task.signed_by,
        "copies": [
            {
                "bates_begin": bates,
                "downloaded_by": email,
                "downloaded_at": copy.downloaded_at.isoformat(),
                "action": copy.action or None,
            }
            for copy, bates, email in copies
        ],
    }


def certify(
    rt: Runtime,
    user: User,
    matter_id: int,
    certification_id: int,
    *,
    copies: Any,
    statement: Any,
    signed_by: Any,
    address: str,
) -> dict[str, Any]:
    """Receiving counsel certifies, for its party, what it did with every listed copy."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.CERTIFICATION_SIGN, tag=Tag.CERTIFICATION_SIGNED)
        task = session.get(Certification, certification_id)
        if (
            task is None
            or task.matter_id != matter_id
            or task.party_id != access.side_party_id
            or not _all_listable(session, access, task)
        ):
            # another party's task is as invisible as a missing one
            raise refused(
                access, Tag.CERTIFICATION_SIGNED, NotFound("no such certification for your party")
            )
        try:
            _certify(rt, session, access, task, copies, statement, signed_by)
        except GatewayError as error:
            raise refused(access, Tag.CERTIFICATION_SIGNED, error) from None
        return _task_json(session, access, task)


def _certify(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    task: Certification,
    copies: Any,
    statement: Any,
    signed_by: Any,
) -> None:
    if not isinstance(copies, list) or not all(isinstance(c, dict) for c in copies):
        raise Invalid("copies: a list of {bates_begin, action}")
    if not isinstance(statement, str) or not isinstance(signed_by, str):
        raise Invalid("statement, signed_by: text")
    if task.certified_at is not None:
        raise Conflict("this certification was signed already")
    if not statement.strip():
        raise Invalid("statement: say what was done with the copies")
    typed = signed_by.strip().removeprefix("/s/").strip().casefold()
    if typed != " ".join(access.user.full_name.split()).casefold():
        raise Invalid("signed_by: counsel signs with their own full name (optionally after /s/)")
    rows = session.execute(
        select(CertificationCopy, Document.bates_begin)
        .join(Document, Document.id == CertificationCopy.document_id)
        .where(CertificationCopy.certification_id == task.id)
    ).all()
    by_bates: dict[str, list[CertificationCopy]] = {}
    for row, bates in rows:
        by_bates.setdefault(bates, []).append(row)
    said: dict[str, str] = {}
    for item in copies:
        bates, action = str(item.get("bates_begin", "")), str(item.get("action", ""))
        if bates not in by_bates:
            raise Invalid(f"copies: {bates or '(none)'} is not a copy your party downloaded")
        if action not in COPY_ACTIONS:
            raise Invalid(f"copies: {bates}: action one of {', '.join(COPY_ACTIONS)}")
        if bates in said:
            raise Invalid(f"copies: {bates} is listed twice")
        said[bates] = action
    missing = sorted(set(by_bates) - set(said))
    if missing:
        raise Invalid(f"copies: say what became of every copy; missing {', '.join(missing)}")
    for bates, action in said.items():
        for row in by_bates[bates]:
            row.action = action
    task.certified_at = rt.now()
    task.certified_by_user_id = access.user.id
    task.signed_by = signed_by.strip()[:200]
    task.statement = statement.strip()
    rt.audit(
        session,
        access.event(
            Tag.CERTIFICATION_SIGNED,
            Outcome.ALLOWED,
            details={"certification": task.id, "copies": len(rows)},
        ),
    )


def _whole(
    session: Session, clawback: Clawback, docs: list[Document], access: MatterAccess | None
) -> bool:
    """Whether the reader may read the claim's basis: the claimant's side, the court, or a
    reader who may list every document it names (the basis may describe any of them)."""
    if access is None or access.side_party_id == clawback.claimant_party_id:
        return True
    if Role.COURT in access.roles:
        return True
    total = session.scalar(
        select(func.count())
        .select_from(ClawbackItem)
        .where(ClawbackItem.clawback_id == clawback.id)
    )
    return len(docs) == total


def clawbacks_for(rt: Runtime, user: User, matter_id: int, *, address: str) -> list[dict[str, Any]]:
    """The matter's claw-backs the caller may know of (those with a document it may list),
    newest first, each naming only those documents."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        found = session.scalars(
            select(Clawback)
            .where(Clawback.matter_id == matter_id)
            .order_by(Clawback.noticed_at.desc(), Clawback.id.desc())
        ).all()
        views = []
        for clawback in found:
            docs = _listable(session, access, clawback)
            if docs:
                views.append(_view(session, clawback, docs, access=access).as_json())
        rt.audit(
            session,
            access.event(Tag.CLAWBACK_READ, Outcome.ALLOWED, details={"clawbacks": len(views)}),
        )
        return views
