"""Removing blobs that no document file refers to.

An ingest writes its blobs before the rows that refer to them; a process killed in
between leaves blobs nobody can read (their wrapped keys were never saved). Only blobs
older than a grace period are removed, so an ingest still running is never robbed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.documents.models import DocumentFile
from gateway.errors import Invalid
from gateway.runtime import Runtime

MIN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class SweepReport:
    examined: int
    orphans: list[str]
    removed: int


def sweep_orphans(rt: Runtime, actor: Actor, *, grace: timedelta, dry_run: bool) -> SweepReport:
    if grace < MIN_GRACE:
        raise Invalid(f"grace: at least {MIN_GRACE} (an ingest may still be writing)")
    store = rt.blobs.store
    cutoff = rt.now() - grace
    orphans: list[str] = []
    examined = 0
    with rt.db.read_session() as session:
        for key in store.iter_keys("m/"):
            examined += 1
            referenced = session.scalar(select(DocumentFile.id).where(DocumentFile.blob_key == key))
            if referenced is None and store.modified(key) < cutoff:
                orphans.append(key)
    removed = 0
    if not dry_run:
        for key in orphans:
            store.delete(key)
            removed += 1
    with rt.transaction() as session:
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.STORAGE_SWEPT,
                outcome=Outcome.ALLOWED,
                actor=actor,
                details={
                    "examined": examined,
                    "orphans": len(orphans),
                    "removed": removed,
                    "grace_hours": grace.total_seconds() / 3600,
                    "dry_run": dry_run,
                },
            ),
        )
    return SweepReport(examined, orphans, removed)
