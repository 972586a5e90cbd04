"""The report's PDF on its own: a long range, an empty one, and text that is mark-up."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from gateway.audit.activity import Activity, Counts, DayRange, Row, Table
from gateway.audit.anomalies import Thresholds
from gateway.audit.auditor import Findings, Overview
from gateway.audit.report_pdf import render

ZONE = ZoneInfo("America/New_York")


def _overview(days: DayRange, per_day, users: Table) -> Overview:
    return Overview(
        activity=Activity(
            caption="Doe <Inc.> & Co. v. Roe",
            case_number="1:20-cv-1",
            days=days,
            per_day=per_day,
            users=users,
            parties=Table([], 0),
            documents=Table([], 0),
            entries_in_range=sum(c.total for _d, c in per_day),
        ),
        findings=Findings(days, [], Thresholds()),
        court="A Court",
        trail_entries=0,
        last_at=None,
        prepared_for="auditor@example.org",
    )


def test_a_year_of_days_is_laid_out():
    days = DayRange(date(2020, 1, 1), date(2020, 12, 31), ZONE)
    per_day = [(d, Counts(i % 7, i % 3, i % 2)) for i, d in enumerate(days.days)]
    rows = [Row(f"user{i}@example.org", Counts(i, 0, 0), "P") for i in range(200)]
    data = render(_overview(days, per_day, Table(rows, 5)))
    assert data.startswith(b"%PDF") and len(days.days) == 366


def test_an_empty_range_and_mark_up_in_names():
    days = DayRange(date(2020, 1, 1), date(2020, 1, 1), ZONE)
    data = render(_overview(days, [(days.since, Counts())], Table([], 0)))
    assert data.startswith(b"%PDF")
    assert days.end - days.start == timedelta(days=1)
