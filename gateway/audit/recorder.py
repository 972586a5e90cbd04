"""``record`` and ``record_many``: the one way anything writes to the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.audit.encoding import canonical_json
from gateway.audit.events import AuditEvent
from gateway.audit.log import AuditLog
from gateway.audit.models import AuditEntry


def record(session: Session, log: AuditLog, event: AuditEvent) -> AuditEntry:
    """One entry; ``event.at`` must be set (``Runtime.audit`` sets it from its clock)."""
    entry = new_entry(event, _at(event))
    return log.append(session, [entry], entry.at)[0]


def record_many(session: Session, log: AuditLog, events: Sequence[AuditEvent]) -> list[AuditEntry]:
    """Entries of one workflow that changes many documents at once, appended in their
    order under one lock per log; each event's ``at`` must be set."""
    made = [new_entry(event, _at(event)) for event in events]
    return log.append(session, made, made[0].at) if made else made


def _at(event: AuditEvent) -> datetime:
    if event.at is None:
        raise ValueError(f"audit event {event.tag} has no time")
    return event.at


def new_entry(event: AuditEvent, at: datetime) -> AuditEntry:
    actor = event.actor
    return AuditEntry(
        at=at,
        tag=str(event.tag),
        outcome=str(event.outcome),
        reason=event.reason[:300],
        rule=event.rule[:300],
        actor_user_id=actor.user_id,
        actor_email=actor.email,
        side_party_id=event.side_party_id,
        matter_id=event.matter_id,
        document_id=event.document_id,
        bates=event.bates,
        address=actor.address,
        user_agent=actor.user_agent[:200],
        details=canonical_json(dict(event.details)),
    )
