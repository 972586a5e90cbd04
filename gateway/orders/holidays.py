"""Holiday calendars: TOML files, one per jurisdiction, read and checked here.

Every entry names its day by one rule (a fixed date, the n-th weekday of a month, an offset
from Easter, or a list of dates), carries its legal citation and the years it applies, and
says whether it moves when it falls on a weekend. A file that does not say all of that
clearly is refused with the file, the line of the entry, the field and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.errors import ConfigurationError

WEEKDAYS = {"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}
KINDS = {"federal", "declared", "state"}
_RULE_KEYS = {"date", "nth", "easter", "dates"}
_HOLIDAY_KEYS = {
    "name",
    "citation",
    "date",
    "month",
    "weekday",
    "nth",
    "plus_days",
    "easter",
    "dates",
    "from",
    "until",
    "every",
    "remainder",
    "saturday",
    "sunday",
    "observed_citation",
}
_UNCERTAIN_KEYS = {"name", "citation", "why", "dates"}
_TOP_KEYS = {"kind", "jurisdiction", "name", "covers", "holiday", "uncertain"}


@dataclass(frozen=True)
class Holiday:
    """One legal holiday on one day, and the law that makes it one."""

    name: str
    citation: str
    kind: str  # federal, declared or state: which clause of FRCP 6(a)(6) counts it
    jurisdiction: str
    observed: bool = False
    observed_citation: str = ""


@dataclass(frozen=True)
class Uncertain:
    name: str
    citation: str
    why: str


@dataclass(frozen=True)
class Rule:
    name: str
    citation: str
    month: int = 0
    day: int = 0
    weekday: int = -1
    nth: int = 0
    plus_days: int = 0
    easter: int | None = None
    dates: tuple[date, ...] = ()
    first: int = 1
    last: int = 9999
    every: int = 1
    remainder: int = 0
    saturday: bool = False  # a Saturday holiday is also held on the Friday before
    sunday: bool = False  # a Sunday holiday is also held on the Monday after
    observed_citation: str = ""

    def applies(self, year: int) -> bool:
        return self.first <= year <= self.last and year % self.every == self.remainder

    def actual(self, year: int) -> list[date]:
        if self.dates:
            return [d for d in self.dates if d.year == year]
        if not self.applies(year):
            return []
        if self.easter is not None:
            return [easter_sunday(year) + timedelta(days=self.easter)]
        if self.day:
            return [date(year, self.month, self.day)]
        return [nth_weekday(year, self.month, self.weekday, self.nth) + timedelta(self.plus_days)]

    def days(self, year: int) -> list[tuple[date, bool]]:
        """(day, observed) pairs for the holiday's occurrence in ``year``."""
        found: list[tuple[date, bool]] = []
        for day in self.actual(year):
            found.append((day, False))
            if self.saturday and day.weekday() == 5:
                found.append((day - timedelta(days=1), True))
            if self.sunday and day.weekday() == 6:
                found.append((day + timedelta(days=1), True))
        return found


@dataclass(frozen=True)
class Calendar:
    kind: str
    jurisdiction: str
    name: str
    source: str
    covers: tuple[int, int] | None
    rules: tuple[Rule, ...]
    uncertain: dict[date, Uncertain] = field(default_factory=dict)

    def holidays_on(self, day: date) -> list[Holiday]:
        found = []
        # an observed day can fall in the year before (Jan 1 on a Saturday: Dec 31)
        for year in (day.year, day.year + 1):
            for rule in self.rules:
                for when, observed in rule.days(year):
                    if when == day:
                        found.append(
                            Holiday(
                                name=rule.name,
                                citation=rule.citation,
                                kind=self.kind,
                                jurisdiction=self.name,
                                observed=observed,
                                observed_citation=rule.observed_citation if observed else "",
                            )
                        )
        return found


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The ``nth`` (1-5, or -1 for the last) ``weekday`` of ``month``."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


class _Reader:
    """Reads one file's entries, naming the file and the entry's line in every refusal."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.headers = {
            name: [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == name]
            for name in ("[[holiday]]", "[[uncertain]]")
        }

    def fail(self, where: str, index: int, key: str, why: str) -> ConfigurationError:
        lines = self.headers[f"[[{where}]]"]
        line = lines[index] if index < len(lines) else 0
        return ConfigurationError(f"{self.source}, line {line}, {where} {key!r}: {why}")

    def text(self, entry: dict[str, Any], where: str, index: int, key: str) -> str:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, index, key, "a non-empty text is required")
        return value

    def number(self, entry: dict[str, Any], index: int, key: str, low: int, high: int) -> int:
        value = entry[key]
        if type(value) is not int or not low <= value <= high:
            raise self.fail("holiday", index, key, f"a whole number from {low} to {high}")
        return value

    def dates(self, entry: dict[str, Any], where: str, index: int) -> tuple[date, ...]:
        values = entry.get("dates")
        if not isinstance(values, list) or not values:
            raise self.fail(where, index, "dates", "a non-empty list of YYYY-MM-DD dates")
        found = []
        for value in values:
            try:
                found.append(date.fromisoformat(value))
            except (TypeError, ValueError):
                raise self.fail(where, index, "dates", f"{value!r} is not a date") from None
        return tuple(found)


def _shift(reader: _Reader, entry: dict[str, Any], index: int, key: str, to: str) -> bool:
    if key not in entry:
        return False
    if entry[key] != to:
        raise reader.fail("holiday", index, key, f"the only move known is {to!r}")
    return True


def _rule(reader: _Reader, entry: dict[str, Any], index: int) -> Rule:
    unknown = set(entry) - _HOLIDAY_KEYS
    if unknown:
        raise reader.fail("holiday", index, sorted(unknown)[0], "unknown field")
    kinds = _RULE_KEYS & set(entry)
    if len(kinds) != 1:
        raise reader.fail("holiday", index, "date", "exactly one of date, nth, easter, dates")
    values: dict[str, Any] = {
        "name": reader.text(entry, "holiday", index, "name"),
        "citation": reader.text(entry, "holiday", index, "citation"),
        "saturday": _shift(reader, entry, index, "saturday", "friday"),
        "sunday": _shift(reader, entry, index, "sunday", "monday"),
        "observed_citation": entry.get("observed_citation") or entry["citation"],
    }
    for key, low, high in (("from", 1900, 2200), ("until", 1900, 2200), ("every", 1, 4)):
        if key in entry:
            values[{"from": "first", "until": "last"}.get(key, key)] = reader.number(
                entry, index, key, low, high
            )
    if "remainder" in entry:
        values["remainder"] = reader.number(entry, index, "remainder", 0, 3)
    if "date" in entry:
        try:
            month, day = (int(part) for part in str(entry["date"]).split("-"))
            date(2000, month, day)  # a leap year: Feb 29 would pass, but no holiday is one
        except ValueError:
            raise reader.fail("holiday", index, "date", "a month and day as MM-DD") from None
        values.update(month=month, day=day)
    elif "nth" in entry:
        if entry.get("weekday") not in WEEKDAYS:
            raise reader.fail("holiday", index, "weekday", f"one of {', '.join(WEEKDAYS)}")
        nth = reader.number(entry, index, "nth", -1, 5)
        if nth == 0:
            raise reader.fail("holiday", index, "nth", "1 to 5, or -1 for the last")
        values.update(
            month=reader.number(entry, index, "month", 1, 12),
            weekday=WEEKDAYS[entry["weekday"]],
            nth=nth,
            plus_days=reader.number(entry, index, "plus_days", 0, 6) if "plus_days" in entry else 0,
        )
    elif "easter" in entry:
        values["easter"] = reader.number(entry, index, "easter", -60, 60)
    else:
        values["dates"] = reader.dates(entry, "holiday", index)
    return Rule(**values)


def _uncertain(reader: _Reader, entry: dict[str, Any], index: int) -> dict[date, Uncertain]:
    unknown = set(entry) - _UNCERTAIN_KEYS
    if unknown:
        raise reader.fail("uncertain", index, sorted(unknown)[0], "unknown field")
    item = Uncertain(
        name=reader.text(entry, "uncertain", index, "name"),
        citation=reader.text(entry, "uncertain", index, "citation"),
        why=reader.text(entry, "uncertain", index, "why"),
    )
    return {day: item for day in reader.dates(entry, "uncertain", index)}


def parse_calendar(text: str, source: str) -> Calendar:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{source}: not TOML ({exc})") from None
    reader = _Reader(source, text)
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise ConfigurationError(f"{source}: unknown field {sorted(unknown)[0]!r}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise ConfigurationError(f"{source}, 'kind': one of {', '.join(sorted(KINDS))}")
    for key in ("jurisdiction", "name"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ConfigurationError(f"{source}, {key!r}: a non-empty text is required")
    covers = data.get("covers")
    if covers is not None and not (
        isinstance(covers, list)
        and len(covers) == 2
        and all(type(year) is int for year in covers)
        and covers[0] <= covers[1]
    ):
        raise ConfigurationError(f"{source}, 'covers': [first year, last year]")
    holidays = data.get("holiday", [])
    if not isinstance(holidays, list) or not holidays:
        raise ConfigurationError(f"{source}: no [[holiday]] entries")
    uncertain: dict[date, Uncertain] = {}
    for index, entry in enumerate(data.get("uncertain", [])):
        uncertain.update(_uncertain(reader, entry, index))
    return Calendar(
        kind=kind,
        jurisdiction=data["jurisdiction"],
        name=data["name"],
        source=source,
        covers=(covers[0], covers[1]) if covers else None,
        rules=tuple(_rule(reader, entry, index) for index, entry in enumerate(holidays)),
        uncertain=uncertain,
    )


def shipped_calendar(file_name: str) -> Calendar:
    """A calendar shipped in ``gateway/orders/calendars/``."""
    path = resources.files("gateway.orders").joinpath("calendars", file_name)
    return parse_calendar(path.read_text(encoding="utf-8"), f"calendars/{file_name}")


def load_declared(path: str | Path) -> Calendar:
    """The operator's file of declared days (or extra state days), same format."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{file}: cannot be read ({exc})") from None
    calendar = parse_calendar(text, str(file))
    if calendar.kind == "federal":
        raise ConfigurationError(
            f"{file}, 'kind': an added file holds declared or state days, not the statutory list"
        )
    return calendar
