"""``record`` and ``record_many``: the one way anything writes to the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from gateway.audit.chain import append, append_many, canonical_json
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


def record(session: Session, signer: Ed25519PrivateKey, **fields: Any) -> AuditEntry:
    """One entry; ``fields`` are ``new_entry``'s keyword arguments."""
    return append(session, signer, new_entry(**fields))


def record_many(
    session: Session, signer: Ed25519PrivateKey, entries: list[dict[str, Any]]
) -> list[AuditEntry]:
    """Entries of one workflow that changes many documents at once, each given as
    ``new_entry``'s keyword arguments, linked in their order under one lock of the head."""
    return append_many(session, signer, [new_entry(**fields) for fields in entries])


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
        details=canonical_json(details or {}),
    )
