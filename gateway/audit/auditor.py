"""The neutral auditor's tools over a matter's trail: activity, anomalies, the PDF report.

Each is one function that authorizes (the neutral auditor only: the figures cover every
side), computes over a range of court days, and audits the reading in the same
transaction; a refusal is audited as the trail's reader audits its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.activity import Activity, DayRange, activity, day_range
from gateway.audit.anomalies import Anomaly, Thresholds, find_anomalies
from gateway.audit.models import AuditEntry
from gateway.audit.service import authorize_auditor
from gateway.audit.tags import Outcome, Tag
from gateway.matters.service import MatterAccess, court_today
from gateway.runtime import Runtime


@dataclass(frozen=True)
class Findings:
    days: DayRange
    anomalies: list[Anomaly]
    thresholds: Thresholds

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.days.since.isoformat(),
            "until": self.days.until.isoformat(),
            "time_zone": self.days.zone.key,
            "thresholds": {
                "bulk_downloads": self.thresholds.bulk_downloads,
                "bulk_window_minutes": self.thresholds.bulk_window_minutes,
                "denial_burst": self.thresholds.denial_burst,
                "denial_window_minutes": self.thresholds.denial_window_minutes,
                "working_hours": self.thresholds.working_hours(),
            },
            "items": [a.as_json() for a in self.anomalies],
        }


@dataclass(frozen=True)
class Overview:
    """Everything the auditor's page and PDF report show."""

    activity: Activity
    findings: Findings
    court: str
    # the matter's trail up to the end of the range (so a past range always reads the same)
    trail_entries: int
    last_at: datetime | None
    prepared_for: str


def _days(rt: Runtime, session: Session, access: MatterAccess, since: str, until: str) -> DayRange:
    return day_range(session, access.matter, since, until, court_today(access.matter, rt.now()))


def _audited(
    rt: Runtime, session: Session, access: MatterAccess, tag: Tag, view: str, days: DayRange
) -> None:
    details = {"view": view, "since": days.since.isoformat(), "until": days.until.isoformat()}
    rt.audit(session, access.event(tag, Outcome.ALLOWED, details=details))


def _findings(rt: Runtime, session: Session, access: MatterAccess, days: DayRange) -> Findings:
    limits = Thresholds.from_settings(rt.settings)
    return Findings(days, find_anomalies(session, access.matter, days, limits), limits)


def read_activity(
    rt: Runtime, user: User, matter_id: int, *, since: str = "", until: str = "", address: str
) -> Activity:
    with rt.transaction() as session:
        access = authorize_auditor(rt, session, user, matter_id, address, what="activity")
        days = _days(rt, session, access, since, until)
        found = activity(session, access.matter, days)
        _audited(rt, session, access, Tag.AUDIT_READ, "activity", days)
        return found


def read_anomalies(
    rt: Runtime, user: User, matter_id: int, *, since: str = "", until: str = "", address: str
) -> Findings:
    with rt.transaction() as session:
        access = authorize_auditor(rt, session, user, matter_id, address, what="anomalies")
        days = _days(rt, session, access, since, until)
        found = _findings(rt, session, access, days)
        _audited(rt, session, access, Tag.AUDIT_READ, "anomalies", days)
        return found


def _overview(rt: Runtime, session: Session, access: MatterAccess, days: DayRange) -> Overview:
    entries, last_at = session.execute(
        select(func.count(AuditEntry.seq), func.max(AuditEntry.at)).where(
            AuditEntry.matter_id == access.matter.id, AuditEntry.at < days.end
        )
    ).one()
    return Overview(
        activity=activity(session, access.matter, days),
        findings=_findings(rt, session, access, days),
        court=access.matter.court,
        trail_entries=int(entries),
        last_at=last_at,
        prepared_for=access.user.email,
    )


def read_overview(
    rt: Runtime, user: User, matter_id: int, *, since: str = "", until: str = "", address: str
) -> Overview:
    """The auditor's page: activity and anomalies at one reading."""
    with rt.transaction() as session:
        access = authorize_auditor(rt, session, user, matter_id, address, what="the auditor's page")
        days = _days(rt, session, access, since, until)
        found = _overview(rt, session, access, days)
        _audited(rt, session, access, Tag.AUDIT_READ, "overview", days)
        return found


def audit_report(
    rt: Runtime, user: User, matter_id: int, *, since: str = "", until: str = "", address: str
) -> bytes:
    """The printable report (PDF), the same bytes for the same trail and range."""
    from gateway.audit.report_pdf import render

    with rt.transaction() as session:
        access = authorize_auditor(
            rt, session, user, matter_id, address, tag=Tag.AUDIT_EXPORT, what="the audit report"
        )
        days = _days(rt, session, access, since, until)
        found = _overview(rt, session, access, days)
        _audited(rt, session, access, Tag.AUDIT_EXPORT, "report.pdf", days)
    return render(found)
