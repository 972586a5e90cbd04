"""Which days are legal holidays for one court, under FRCP 6(a)(6):

    "Legal holiday" means:
    (A) the day set aside by statute for observing New Year's Day, Martin Luther King Jr.'s
        Birthday, Washington's Birthday, Memorial Day, Juneteenth National Independence
        Day, Independence Day, Labor Day, Columbus Day, Veterans' Day, Thanksgiving Day,
        or Christmas Day;
    (B) any day declared a holiday by the President or Congress; and
    (C) for periods that are measured after an event, any other day declared a holiday by
        the state where the district court is located.

So a state's days count only when the period runs forward from an event; a period counted
backward ("14 days before the hearing") skips only (A) and (B) days and weekends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from gateway.errors import Invalid
from gateway.orders.courts import Court
from gateway.orders.holidays import Calendar, Holiday, shipped_calendar

CLAUSE = {"federal": "(A)", "declared": "(B)", "state": "(C)"}
STATE_FILES = {
    "CA": "ca.toml",
    "NY": "ny.toml",
    "TX": "tx.toml",
    "IL": "il.toml",
    "FL": "fl.toml",
    "DE": "de.toml",
    "NV": "nv.toml",
    "DC": "dc.toml",
}


@cache
def shipped(file_name: str) -> Calendar:
    return shipped_calendar(file_name)


@dataclass(frozen=True)
class LegalHolidays:
    """The calendars that apply in one court."""

    federal: tuple[Calendar, ...]  # (A) and (B): always
    state: tuple[Calendar, ...]  # (C): only for periods measured after an event

    @classmethod
    def for_court(cls, court: Court, added: Sequence[Calendar] = ()) -> LegalHolidays:
        if court.state not in STATE_FILES:
            raise Invalid(f"court {court.id}: no holiday calendar for the state {court.state}")
        federal = [shipped("federal.toml"), shipped("federal-declared.toml")]
        state = [shipped(STATE_FILES[court.state])]
        for calendar in added:
            if calendar.kind == "declared":
                federal.append(calendar)
            elif calendar.jurisdiction == court.state:
                state.append(calendar)
        return cls(federal=tuple(federal), state=tuple(state))

    def _applicable(self, after_event: bool) -> tuple[Calendar, ...]:
        return self.federal + self.state if after_event else self.federal

    def holidays_on(self, day: date, *, after_event: bool) -> list[Holiday]:
        """The day's holidays. A day whose status a calendar cannot tell is refused unless
        it is a Saturday or Sunday, where the answer changes nothing."""
        found: list[Holiday] = []
        for calendar in self._applicable(after_event):
            if calendar.covers and not calendar.covers[0] <= day.year <= calendar.covers[1]:
                first, last = calendar.covers
                raise Invalid(
                    f"{day.isoformat()}: the {calendar.name} holiday calendar "
                    f"({calendar.source}) covers {first} to {last} only"
                )
            uncertain = calendar.uncertain.get(day)
            if uncertain is not None and day.weekday() < 5:
                raise Invalid(
                    f"{day.isoformat()}: whether this is {uncertain.name} "
                    f"({uncertain.citation}) cannot be told: {uncertain.why}; "
                    "the deadline turns on it, so it is not computed"
                )
            found.extend(calendar.holidays_on(day))
        return found


def explain(holiday: Holiday) -> str:
    observed = " (observed)" if holiday.observed else ""
    law = holiday.citation
    if holiday.observed and holiday.observed_citation != holiday.citation:
        law = f"{holiday.citation}; {holiday.observed_citation}"
    where = {
        "federal": "a federal legal holiday",
        "declared": "a day declared a holiday by the President or Congress",
        "state": f"a {holiday.jurisdiction} holiday",
    }[holiday.kind]
    return f"{holiday.name}{observed}, {where} ({law}); FRCP 6(a)(6){CLAUSE[holiday.kind]}"
