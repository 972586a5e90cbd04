"""``record`` and ``record_many``: the one way anything writes to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.audit.encoding import canonical_json
from gateway.audit.log import AuditLog
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag


@dataclass(frozen=True)
class Actor:
    """Who acts and from where. ``user_id`` is None for the command line's operator."""

    user_id: int | None
    email: str
    address: str

    @classmethod
    def command_line(cls, who: str = "operator@command-line") -> Actor:
        return cls(user_id=None, email=who, address="local")


def record(session: Session, log: AuditLog, **fields: Any) -> AuditEntry:
    """One entry; ``fields`` are ``new_entry``'s keyword arguments."""
    entry = new_entry(**fields)
    return log.append(session, [entry], entry.at)[0]


def record_many(session: Session, log: AuditLog, entries: list[dict[str, Any]]) -> list[AuditEntry]:
    """Entries of one workflow that changes many documents at once, each given as
    ``new_entry``'s keyword arguments, appended in their order under one lock per log."""
    made = [new_entry(**fields) for fields in entries]
    return log.append(session, made, made[0].at) if made else made


def new_entry(
    *,
    at: datetime,
    tag: Tag,
    actor: Actor,
    outcome: Outcome,
    reason: str = "",
    rule: str = "",
    matter_id: int | None = None,
    side_party_id: int | None = None,
    document_id: int | None = None,
    bates: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry(
        at=at,
        tag=str(tag),
        outcome=str(outcome),
        reason=reason[:300],
        rule=rule[:300],
        actor_user_id=actor.user_id,
        actor_email=actor.email,
        side_party_id=side_party_id,
        matter_id=matter_id,
        document_id=document_id,
        bates=bates,
        address=actor.address,
        user_agent="",
        details=canonical_json(details or {}),
    )
