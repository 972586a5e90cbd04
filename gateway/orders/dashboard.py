"""The operator's view of what the court's orders require, across matters (``pogw
deadlines``).

A party sees only its own obligations (``rulings.deadlines_for``); the operator runs the
gateway for every matter and is no member of any, so it reads every party's dated
obligations, each as the matter's own deadline list shows it, with the matter's case number.
The read is audited like the operator's other commands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.matters.models import Matter
from gateway.orders.models import Obligation
from gateway.orders.rulings import deadline_items
from gateway.runtime import Runtime


def obligations_due(
    rt: Runtime, actor: Actor, *, matter_id: int | None = None, overdue_only: bool = False
) -> list[dict[str, Any]]:
    """Every dated obligation (of one matter, when given), soonest end first, each with
    whether it is overdue at the runtime clock's now: its last day has ended (FRCP
    6(a)(4)(A), midnight in the court's time zone)."""
    now = rt.now()
    with rt.transaction() as session:
        query = select(Obligation, Matter.case_number).join(
            Matter, Matter.id == Obligation.matter_id
        )
        if matter_id is not None:
            query = query.where(Obligation.matter_id == matter_id)
        if overdue_only:
            query = query.where(Obligation.ends_at <= now)
        rows = session.execute(
            query.order_by(Obligation.ends_at, Matter.case_number, Obligation.id)
        ).all()
        shown = deadline_items(session, [o for o, _case in rows], now)
        items = [
            {"case_number": case, **item} for (_o, case), item in zip(rows, shown, strict=True)
        ]
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.OBLIGATIONS_READ,
                outcome=Outcome.ALLOWED,
                actor=actor,
                matter_id=matter_id,
                details={
                    "obligations": len(items),
                    "overdue": sum(1 for i in items if i["overdue"]),
                    "overdue_only": overdue_only,
                },
            ),
        )
        return items
