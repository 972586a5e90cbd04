"""``record`` and ``record_many``: the one way anything writes to the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from gateway.audit.chain import append, append_many, canonical_json
from gateway.audit.events import AuditEvent
from gateway.audit.models import AuditEntry


def record(session: Session, signer: Ed25519PrivateKey, event: AuditEvent) -> AuditEntry:
    """One entry; ``event.at`` must be set (``Runtime.audit`` sets it from its clock)."""
    return append(session, signer, new_entry(event, _at(event)))


def record_many(
    session: Session, signer: Ed25519PrivateKey, events: Sequence[AuditEvent]
) -> list[AuditEntry]:
    """Entries of one workflow that changes many documents at once, linked in their order
    under one lock of the head; each event's ``at`` must be set."""
    return append_many(session, signer, [new_entry(event, _at(event)) for event in events])


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
        # actor.user_agent is stored here once the entry has a column for it
        details=canonical_json(dict(event.details)),
    )
