"""The court's ruling on a claw-back, document by document (FRCP 26(b)(5)(B): the claim is
resolved by the court), and the dated obligations the order puts on the parties.

denied: the document is restored to what it was before the notice; granted: withdrawn (a
slip stays at its Bates number); granted in part: it stays sequestered for the receiving
side, with the pages the order names recorded, until the producing party supplies a
privilege-redacted version. Each obligation with a period ("within 14 days of the date of
this Order") becomes a deadline for the named party, counted under FRCP 6(a).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, Role, State
from gateway.documents.content import bindings, rebind
from gateway.documents.models import Document
from gateway.documents.versions import alternates
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import Conflict, GatewayError, Invalid, NotFound
from gateway.matters.models import Matter, Party
from gateway.matters.permissions import require
from gateway.matters.service import court_today, resolve_access
from gateway.orders.clawback import _clawback
from gateway.orders.deadlines import deadline
from gateway.orders.holidays import Calendar
from gateway.orders.models import Clawback, ClawbackItem, Filing, Obligation
from gateway.orders.refusals import refused
from gateway.orders.service import added_calendars
from gateway.runtime import Refused, Runtime

OUTCOMES = {"denied", "granted", "granted_in_part"}


class Recorder(Protocol):
    """Who records a ruling in a matter: the court's user (its ``MatterAccess``), or the
    operator entering the court's written order (``OperatorRecord``)."""

    @property
    def matter(self) -> Matter: ...

    def event(
        self,
        tag: Tag,
        outcome: Outcome,
        *,
        document_id: int | None = None,
        bates: str = "",
        reason: str = "",
        rule: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent: ...


@dataclass(frozen=True)
class OperatorRecord:
    """The operator at the command line, recording the court's written order in a matter
    it belongs to no side of (its audit entries go to the court's and neutrals' side)."""

    matter: Matter
    actor: Actor

    def event(
        self,
        tag: Tag,
        outcome: Outcome,
        *,
        document_id: int | None = None,
        bates: str = "",
        reason: str = "",
        rule: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        return AuditEvent(
            tag=tag,
            outcome=outcome,
            actor=self.actor,
            matter_id=self.matter.id,
            document_id=document_id,
            bates=bates,
            reason=reason,
            rule=rule,
            details=details or {},
        )


@dataclass(frozen=True)
class Ordered:
    """One obligation an order sets, before it is counted."""

    party: str
    what: str
    days: int
    business_days: bool = False


def rule(
    rt: Runtime,
    user: User,
    matter_id: int,
    clawback_id: int,
    *,
    document: Any,
    outcome: Any,
    pages: Any,
    order: Any,
    deadlines: Any,
    address: str,
) -> dict[str, Any]:
    """The values as the request gave them: checked here, after the caller's membership
    and permission, so that every refusal is audited."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.CLAWBACK_RULE, tag=Tag.CLAWBACK_RULED)
        clawback = _clawback(session, access, clawback_id, Tag.CLAWBACK_RULED)
        try:
            if not isinstance(order, dict):
                raise Invalid("order: {date, docket} of the court's written order")
            return _rule(
                rt,
                session,
                access,
                clawback.id,
                str(document)[:100],
                str(outcome),
                pages,
                str(order.get("date", "")),
                str(order.get("docket", "")),
                _ordered(deadlines),
            )
        except GatewayError as error:
            raise refused(access, Tag.CLAWBACK_RULED, error, bates=str(document)[:100]) from None


def record_ruling(
    rt: Runtime,
    actor: Actor,
    matter_id: int,
    clawback_id: int,
    *,
    document: Any,
    outcome: Any,
    pages: Any,
    order: Any,
    deadlines: Any,
) -> dict[str, Any]:
    """The operator records the court's written order (its date and docket number given),
    with the same checks, changes and audit as the court's own ruling."""
    with rt.transaction() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound("no such matter")
        recorder = OperatorRecord(matter, actor)
        clawback = session.get(Clawback, clawback_id)
        try:
            if clawback is None or clawback.matter_id != matter_id:
                raise NotFound("no such claw-back in this matter")
            if not isinstance(order, dict):
                raise Invalid("order: {date, docket} of the court's written order")
            return _rule(
                rt,
                session,
                recorder,
                clawback.id,
                str(document)[:100],
                str(outcome),
                pages,
                str(order.get("date", "")),
                str(order.get("docket", "")),
                _ordered(deadlines),
            )
        except GatewayError as error:
            raise Refused(
                error,
                recorder.event(
                    Tag.CLAWBACK_RULED,
                    Outcome.DENIED,
                    reason=error.message[:300],
                    bates=str(document)[:100],
                ),
            ) from None


def _ordered(deadlines: Any) -> list[Ordered]:
    if deadlines is None:
        return []
    shaped = isinstance(deadlines, list) and all(
        isinstance(o, dict)
        and isinstance(o.get("days"), int)
        and not isinstance(o.get("days"), bool)
        and isinstance(o.get("party", ""), str)
        and isinstance(o.get("what", ""), str)
        and isinstance(o.get("business_days", False), bool)
        for o in deadlines
    )
    if not shaped:
        raise Invalid("deadlines: a list of {party, what, days, business_days?}")
    return [
        Ordered(o.get("party", ""), o.get("what", ""), o["days"], o.get("business_days", False))
        for o in deadlines
    ]


def _rule(
    rt: Runtime,
    session: Session,
    access: Recorder,
    clawback_id: int,
    bates: str,
    outcome: str,
    pages: Any,
    order_date: str,
    docket: str,
    ordered: list[Ordered],
) -> dict[str, Any]:
    row = session.execute(
        select(ClawbackItem, Document)
        .join(Document, Document.id == ClawbackItem.document_id)
        .where(ClawbackItem.clawback_id == clawback_id, Document.bates_begin == bates)
        # both rows held: a second ruling at the same moment waits, then finds this one
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound(f"document: {bates or '(none)'} is not in claw-back {clawback_id}")
    item, doc = row
    if item.outcome:
        raise Conflict(f"{bates} was ruled on already ({item.outcome})")
    if outcome not in OUTCOMES:
        raise Invalid(f"outcome: one of {', '.join(sorted(OUTCOMES))}, not {outcome!r}")
    named = _pages(outcome, pages, doc)
    when = _order_date(access, order_date, rt)
    noticed = session.get_one(Clawback, clawback_id).noticed_at
    if when < court_today(access.matter, noticed):
        raise Invalid(
            f"order.date: {when} is before the claw-back notice "
            f"({court_today(access.matter, noticed)}) the order rules on"
        )
    if not docket.strip():
        raise Invalid("order.docket: the docket number of the court's order")
    added = added_calendars(rt.settings)
    obligations = [_obligation(session, access, o, when, docket, added) for o in ordered]
    bound = bindings(session, doc)
    prior = item.prior_versions or {}
    others = [v for v in alternates(session, doc) if str(v.id) in prior]
    if outcome == "denied":
        doc.state = item.prior_state
        for version in others:
            version.state = prior[str(version.id)] or str(State.PRODUCED)
    elif outcome == "granted":
        doc.state = str(State.WITHDRAWN)
        for version in others:
            version.state = str(State.WITHDRAWN)
    rebind(rt, session, access.matter, doc, bound)
    item.outcome, item.pages = outcome, list(named) or None
    item.ruled_at, item.order_date, item.order_docket = rt.now(), when, docket.strip()[:50]
    for obligation in obligations:
        obligation.created_at = rt.now()
        session.add(obligation)
    rt.audit(
        session,
        access.event(
            Tag.CLAWBACK_RULED,
            Outcome.ALLOWED,
            document_id=doc.id,
            bates=doc.bates_begin,
            reason=outcome,
            details={
                "clawback": clawback_id,
                "pages": list(named),
                "order": {"date": when.isoformat(), "docket": item.order_docket},
                "deadlines": len(obligations),
            },
        ),
    )
    return {
        "document": doc.bates_begin,
        "outcome": outcome,
        "state": doc.state,
        "pages": list(named),
        "deadlines": [_obligation_json(session, o) for o in obligations],
    }


def _pages(outcome: str, pages: Any, doc: Document) -> tuple[int, ...]:
    if pages is not None and not (
        isinstance(pages, list)
        and all(isinstance(p, int) and not isinstance(p, bool) for p in pages)
    ):
        raise Invalid("pages: a list of page numbers (1 is the document's first page)")
    if outcome != "granted_in_part":
        if pages:
            raise Invalid("pages: only a claim granted in part names pages")
        return ()
    if not pages:
        raise Invalid("pages: name the pages the claim is granted for (1 is the first page)")
    wrong = [p for p in pages if not 1 <= p <= doc.page_count]
    if wrong:
        raise Invalid(f"pages: {doc.bates_begin} has pages 1 to {doc.page_count}, not {wrong}")
    return tuple(sorted(set(pages)))


def _order_date(access: Recorder, text: str, rt: Runtime) -> date:
    try:
        when = date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"order.date: a date as YYYY-MM-DD, not {text[:40]!r}") from None
    if when > court_today(access.matter, rt.now()):
        raise Invalid(f"order.date: {when} is in the future in the court's time zone")
    return when


def _obligation(
    session: Session,
    access: Recorder,
    ordered: Ordered,
    when: date,
    docket: str,
    added: Sequence[Calendar],
) -> Obligation:
    party = session.scalar(
        select(Party).where(Party.matter_id == access.matter.id, Party.name == ordered.party)
    )
    if party is None:
        raise Invalid(f"deadlines: no party {ordered.party!r} in this matter")
    if not ordered.what.strip():
        raise Invalid("deadlines: say what is to be done")
    if not access.matter.court_id:
        raise Invalid("deadlines: the matter names no court (PACER id) to count them in")
    found = deadline(
        access.matter.court_id,
        when,
        ordered.days,
        business_days=ordered.business_days,
        added=added,
    )
    return Obligation(
        matter_id=access.matter.id,
        party_id=party.id,
        what=ordered.what.strip()[:500],
        order_docket=docket.strip()[:50],
        trigger=when,
        days=ordered.days,
        business_days=ordered.business_days,
        due=found.due,
        ends_at=found.ends_at,
        explanation=found.as_json()["skipped"],
    )


def _obligation_json(session: Session, o: Obligation) -> dict[str, Any]:
    party = session.get(Party, o.party_id)
    return {
        "id": o.id,
        "party": party.name if party else "",
        "what": o.what,
        "order": o.order_docket,
        "days": o.days,
        "business_days": o.business_days,
        "due": o.due.isoformat(),
        "ends_at": o.ends_at.isoformat(),
        "skipped": o.explanation,
    }


def deadlines_for(rt: Runtime, user: User, matter_id: int, *, address: str) -> list[dict[str, Any]]:
    """What the court's orders require, and when: each party sees its own obligations; the
    court and the neutral auditor see every party's."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        query = select(Obligation).where(Obligation.matter_id == matter_id)
        neutral = bool(access.roles & {Role.COURT, Role.AUDITOR})
        if access.side_party_id is not None:
            query = query.where(
                Obligation.party_id == access.side_party_id,
                # a duty is shown with the order that set it, so only to a reader who may
                # list a document that order ruled on (its words may describe them)
                Obligation.order_docket.in_(
                    select(ClawbackItem.order_docket)
                    .join(Document, Document.id == ClawbackItem.document_id)
                    .where(Document.matter_id == matter_id, visible_clause(access, LIST))
                ),
            )
        elif not neutral:
            query = query.where(false())  # a neutral vendor or witness: no party's duties
        rows = session.scalars(query.order_by(Obligation.ends_at, Obligation.id)).all()
        items = deadline_items(session, list(rows), rt.now(), visible_clause(access, LIST))
        rt.audit(
            session,
            access.event(
                Tag.OBLIGATIONS_READ, Outcome.ALLOWED, details={"obligations": len(items)}
            ),
        )
        return items


def deadline_items(
    session: Session, obligations: list[Obligation], now: datetime, listable: Any = None
) -> list[dict[str, Any]]:
    """Each obligation as the deadline lists show it: whether its last day has ended at
    ``now`` (whether what it required was all done, the filings recorded against it tell);
    ``listable``: the reader's visibility condition, so that a filing names only documents
    the reader may list (None: the operator's view)."""
    filed = _filings_against(session, [o.id for o in obligations], listable)
    return [
        {
            **_obligation_json(session, o),
            "overdue": now >= o.ends_at,
            "filings": filed.get(o.id, []),
        }
        for o in obligations
    ]


def _filings_against(
    session: Session, ids: list[int], listable: Any
) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not ids:
        return found
    query = (
        select(Filing, Document.bates_begin)
        .join(Document, Document.id == Filing.document_id)
        .where(Filing.obligation_id.in_(ids))
        .order_by(Filing.filed_at, Filing.id)
    )
    rows = session.execute(query if listable is None else query.where(listable))
    for filing, bates in rows:
        assert filing.obligation_id is not None
        found.setdefault(filing.obligation_id, []).append(
            {
                "document": bates,
                "disposition": filing.disposition,
                "docket": filing.docket,
                "filed_at": filing.filed_at.isoformat(),
                "on_time": filing.on_time,
            }
        )
    return found


def orders_for(rt: Runtime, user: User, matter_id: int, *, address: str) -> list[dict[str, Any]]:
    """The court's orders ruling on claw-backs in the matter, newest first: each with its
    date, docket number and how the documents it ruled on came out, counting only those
    the caller may list (the court and a party see the orders on what they may see)."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        rows = session.execute(
            select(
                ClawbackItem.order_docket,
                ClawbackItem.order_date,
                ClawbackItem.outcome,
                func.count(ClawbackItem.id),
            )
            .join(Document, Document.id == ClawbackItem.document_id)
            .where(ClawbackItem.outcome != "", visible_clause(access, LIST))
            .group_by(ClawbackItem.order_docket, ClawbackItem.order_date, ClawbackItem.outcome)
        ).all()
        orders: dict[tuple[str, date], dict[str, int]] = {}
        for docket, when, outcome, count in rows:
            assert when is not None  # every ruling records its order's date
            orders.setdefault((docket, when), {})[outcome] = count
        return [
            {"docket": docket, "date": when.isoformat(), "outcomes": outcomes}
            for (docket, when), outcomes in sorted(
                orders.items(), key=lambda kv: (kv[0][1], kv[0][0]), reverse=True
            )
        ]
