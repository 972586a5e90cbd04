"""Counts over the whole audit trail, for the operator and outside checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditEntry


def audit_stats(session: Session) -> dict[str, Any]:
    """``entries`` is the total number of audit entries in the instance (a fixed contract);
    the rest may grow."""
    entries, last_at = session.execute(
        select(func.count(AuditEntry.seq), func.max(AuditEntry.at))
    ).one()
    by_tag = dict(
        session.execute(
            select(AuditEntry.tag, func.count(AuditEntry.seq)).group_by(AuditEntry.tag)
        ).all()
    )
    return {
        "entries": int(entries),
        "last_at": last_at.isoformat() if last_at else None,
        "by_tag": {tag: int(count) for tag, count in sorted(by_tag.items())},
    }
