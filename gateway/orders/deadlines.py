"""Deadlines under FRCP 6(a): a pure computation, no database, no clock, no Flask.

FRCP 6(a)(1), a period stated in days: "(A) exclude the day of the event that triggers the
period; (B) count every day, including intermediate Saturdays, Sundays, and legal holidays;
and (C) include the last day of the period, but if the last day is a Saturday, Sunday, or
legal holiday, the period continues to run until the end of the next day that is not a
Saturday, Sunday, or legal holiday."

6(a)(4)(A): the last day ends "for electronic filing, at midnight in the court's time zone".
6(a)(5): the "next day" is found "by continuing to count forward when the period is measured
after an event and backward when measured before an event".
6(a)(6): which days are legal holidays (``gateway.orders.legal``).

An order may count business days instead ("within 5 business days"): then only days that
are not a Saturday, Sunday or legal holiday are counted at all. Every skipped day is kept
with the reason, so each deadline explains itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from gateway.errors import Invalid
from gateway.orders.courts import Court, court
from gateway.orders.holidays import Calendar
from gateway.orders.legal import LegalHolidays, explain

MAX_DAYS = 3650  # ten years: no order sets a longer period in days
_WEEKEND = {5: "Saturday", 6: "Sunday"}


@dataclass(frozen=True)
class Skipped:
    day: date
    why: str


@dataclass(frozen=True)
class Deadline:
    court: Court
    trigger: date
    days: int
    business_days: bool
    before_event: bool
    due: date
    ends_at: datetime  # the instant the last day ends (6(a)(4)(A)), in UTC
    skipped: tuple[Skipped, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "due": self.due.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "court": self.court.id,
            "skipped": [{"date": s.day.isoformat(), "why": s.why} for s in self.skipped],
        }


def why_closed(holidays: LegalHolidays, day: date, *, after_event: bool) -> str:
    """Why ``day`` is not a day the period may end on, or "" when it may."""
    reasons = [f"{_WEEKEND[day.weekday()]} (FRCP 6(a)(1)(C))"] if day.weekday() in _WEEKEND else []
    reasons += [explain(h) for h in holidays.holidays_on(day, after_event=after_event)]
    return "; ".join(reasons)


def ends_at(court_: Court, due: date) -> datetime:
    """Midnight at the end of ``due`` in the court's zone, as a UTC instant."""
    midnight = datetime.combine(due + timedelta(days=1), time(0), tzinfo=court_.zone)
    return midnight.astimezone(UTC)


def compute_deadline(
    court_: Court,
    trigger: date,
    days: int,
    *,
    holidays: LegalHolidays,
    business_days: bool = False,
    before_event: bool = False,
) -> Deadline:
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"days: a period of 1 to {MAX_DAYS} days, not {days}")
    step = timedelta(days=-1 if before_event else 1)
    after_event = not before_event
    skipped: list[Skipped] = []
    day = trigger  # 6(a)(1)(A): the trigger day itself is never counted
    if business_days:
        counted = 0
        while counted < days:
            day += step
            why = why_closed(holidays, day, after_event=after_event)
            if why:
                skipped.append(Skipped(day, why))
            else:
                counted += 1
    else:
        day = trigger + step * days  # 6(a)(1)(B): every day counts
        while why := why_closed(holidays, day, after_event=after_event):
            skipped.append(Skipped(day, why))  # 6(a)(1)(C) and 6(a)(5)
            day += step
    return Deadline(
        court=court_,
        trigger=trigger,
        days=days,
        business_days=business_days,
        before_event=before_event,
        due=day,
        ends_at=ends_at(court_, day),
        skipped=tuple(skipped),
    )


def deadline(
    court_id: str,
    trigger: date,
    days: int,
    *,
    business_days: bool = False,
    before_event: bool = False,
    added: Sequence[Calendar] = (),
) -> Deadline:
    """The deadline in the court named by its PACER id, with its shipped calendars and any
    calendars the operator added (declared days)."""
    found = court(court_id)
    return compute_deadline(
        found,
        trigger,
        days,
        holidays=LegalHolidays.for_court(found, added),
        business_days=business_days,
        before_event=before_event,
    )
