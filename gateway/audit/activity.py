"""Who viewed, downloaded or was refused what: the neutral auditor's figures for a matter.

Counted per day, per user, per party and per document over a range of days of the
matter's court (its time zone decides where a day begins). Every figure is a ``GROUP BY``
in the database; Python only lays out the groups. A day is found in SQL by comparing the
entry's instant with the range's day boundaries (a balanced ``CASE``, so a day is a few
comparisons, and the same on SQLite and PostgreSQL), so a day keeps its length across a
change to or from daylight saving time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.errors import BadRequest
from gateway.matters.models import Matter, Party

VIEW_TAGS = (str(Tag.DOCUMENT_VIEW), str(Tag.DOCUMENT_PAGE_VIEW))
# a volume's download and an export write one of these per document, and a summary that
# names no document (not counted: its documents are)
DOWNLOAD_TAGS = (str(Tag.DOCUMENT_DOWNLOAD), str(Tag.VOLUME_DOWNLOAD), str(Tag.PRODUCTION_EXPORT))
ACCESS_TAGS = VIEW_TAGS + DOWNLOAD_TAGS
MAX_RANGE_DAYS = 366
# rows per table in the auditor's answer; the rest are counted, not listed
TABLE_ROWS = 200
NO_PARTY = "(no party: court, auditor, operator)"


@dataclass(frozen=True)
class DayRange:
    """Days ``since``..``until`` (both included) of the matter's court, and their instants."""

    since: date
    until: date
    zone: ZoneInfo

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(days=i) for i in range((self.until - self.since).days + 1)]

    def start_of(self, day: date, hour: int = 0) -> datetime:
        """That hour of the court's day, in UTC (so that instants subtract exactly)."""
        return datetime.combine(day, time(hour), tzinfo=self.zone).astimezone(UTC)

    @property
    def start(self) -> datetime:
        return self.start_of(self.since)

    @property
    def end(self) -> datetime:
        """The first instant after the range."""
        return self.start_of(self.until + timedelta(days=1))

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def describe(self) -> str:
        if self.since == self.until:
            return f"{self.since.isoformat()} ({self.zone.key})"
        return f"{self.since.isoformat()} to {self.until.isoformat()} ({self.zone.key})"


def _day(text: str, name: str, zone: ZoneInfo) -> date:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(f"{name}: not an ISO 8601 date: {text!r}") from None
    if not 1900 <= value.year <= 9000:
        raise BadRequest(f"{name}: a year between 1900 and 9000, not {value.year}")
    if value.tzinfo is not None:
        return value.astimezone(zone).date()
    return value.date()


def day_range(session: Session, matter: Matter, since: str, until: str, today: date) -> DayRange:
    """The range asked for, in the matter's court days; by default from the matter's
    first entry (or today) to today. A time given with its offset counts as its court
    day; one without counts as the court's own."""
    zone = ZoneInfo(matter.court_timezone)
    end = _day(until, "until", zone) if until else today
    if since:
        start = _day(since, "since", zone)
    else:
        first = session.scalar(
            select(func.min(AuditEntry.at)).where(AuditEntry.matter_id == matter.id)
        )
        start = min(first.astimezone(zone).date(), end) if first else end
    if end < start:
        raise BadRequest(f"until ({end}) is before since ({start})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise BadRequest(f"a range of at most {MAX_RANGE_DAYS} days, not {(end - start).days + 1}")
    return DayRange(start, end, zone)


def bucket(column: Any, bounds: Sequence[datetime]) -> ColumnElement[int]:
    """The index ``i`` with ``bounds[i] <= column < bounds[i + 1]``, as SQL: a balanced
    ``CASE`` over the sorted ``bounds`` (the caller keeps values inside them)."""

    def tree(low: int, high: int) -> ColumnElement[int]:
        # the segments low..high-1
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column < bounds[middle], tree(low, middle)), else_=tree(middle, high))

    return tree(0, len(bounds) - 1)


def in_range(stmt: Any, matter_id: int, days: DayRange) -> Any:
    return stmt.where(
        AuditEntry.matter_id == matter_id,
        AuditEntry.at >= days.start,
        AuditEntry.at < days.end,
    )


@dataclass(frozen=True)
class Counts:
    views: int = 0
    downloads: int = 0
    denials: int = 0

    @property
    def total(self) -> int:
        return self.views + self.downloads + self.denials

    def as_json(self) -> dict[str, int]:
        return {"views": self.views, "downloads": self.downloads, "denials": self.denials}


@dataclass(frozen=True)
class Row:
    key: str  # the user's e-mail, the party's name, the document's Bates number
    counts: Counts
    party: str = ""  # a user's party

    def as_json(self, name: str) -> dict[str, Any]:
        shown: dict[str, Any] = {name: self.key}
        if name == "user":
            shown["party"] = self.party
        return shown | self.counts.as_json()


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    more: int  # rows beyond the ones listed (the least active)

    def as_json(self, name: str) -> dict[str, Any]:
        return {"rows": [r.as_json(name) for r in self.rows], "more": self.more}


@dataclass(frozen=True)
class Activity:
    caption: str
    case_number: str
    days: DayRange
    per_day: list[tuple[date, Counts]]
    users: Table
    parties: Table
    documents: Table
    entries_in_range: int

    @property
    def totals(self) -> Counts:
        return Counts(
            views=sum(c.views for _d, c in self.per_day),
            downloads=sum(c.downloads for _d, c in self.per_day),
            denials=sum(c.denials for _d, c in self.per_day),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "case_number": self.case_number,
            "since": self.days.since.isoformat(),
            "until": self.days.until.isoformat(),
            "time_zone": self.days.zone.key,
            "entries_in_range": self.entries_in_range,
            "totals": self.totals.as_json(),
            "per_day": [{"day": d.isoformat()} | c.as_json() for d, c in self.per_day],
            "users": self.users.as_json("user"),
            "parties": self.parties.as_json("party"),
            "documents": self.documents.as_json("document"),
        }


# an entry counts once: a denial whatever it was, else a view or a download of a document
_DENIED = AuditEntry.outcome == str(Outcome.DENIED)
_VIEWED = and_(~_DENIED, AuditEntry.tag.in_(VIEW_TAGS), AuditEntry.bates != "")
_DOWNLOADED = and_(~_DENIED, AuditEntry.tag.in_(DOWNLOAD_TAGS), AuditEntry.bates != "")
_COUNTED = or_(_DENIED, _VIEWED, _DOWNLOADED)


def _sums() -> tuple[Any, Any, Any]:
    def total(condition: ColumnElement[bool], label: str) -> Any:
        return func.sum(case((condition, 1), else_=0)).label(label)

    return total(_VIEWED, "views"), total(_DOWNLOADED, "downloads"), total(_DENIED, "denials")


def _counts(row: Any) -> Counts:
    return Counts(int(row.views or 0), int(row.downloads or 0), int(row.denials or 0))


def _table(session: Session, matter_id: int, days: DayRange, keys: list[Any], *where: Any) -> Any:
    """The rows grouped by ``keys``, most active first, and how many groups there are."""
    stmt = in_range(select(*keys, *_sums()), matter_id, days).where(_COUNTED, *where)
    stmt = stmt.group_by(*keys)
    everything = func.count(AuditEntry.seq)
    rows = session.execute(stmt.order_by(everything.desc(), *keys).limit(TABLE_ROWS)).all()
    groups = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return rows, groups - len(rows)


def party_names(session: Session, matter_id: int) -> dict[int, str]:
    return dict(
        session.execute(select(Party.id, Party.name).where(Party.matter_id == matter_id)).all()
    )


def _per_day(session: Session, matter_id: int, days: DayRange) -> list[tuple[date, Counts]]:
    listed = days.days
    bounds = [days.start_of(d) for d in listed] + [days.end]
    index = bucket(AuditEntry.at, bounds).label("day")
    grouped = session.execute(
        in_range(select(index, *_sums()), matter_id, days).where(_COUNTED).group_by(index)
    ).all()
    found = {int(row.day): _counts(row) for row in grouped}
    return [(day, found.get(i, Counts())) for i, day in enumerate(listed)]


def activity(session: Session, matter: Matter, days: DayRange) -> Activity:
    """The figures; the caller has decided that the reader is the neutral auditor."""
    names = party_names(session, matter.id)

    def party(party_id: int | None) -> str:
        return NO_PARTY if party_id is None else names.get(party_id, f"party {party_id}")

    users, more_users = _table(
        session, matter.id, days, [AuditEntry.actor_email, AuditEntry.side_party_id]
    )
    parties, more_parties = _table(session, matter.id, days, [AuditEntry.side_party_id])
    documents, more_documents = _table(
        session, matter.id, days, [AuditEntry.bates], AuditEntry.bates != ""
    )
    in_days = session.scalar(in_range(select(func.count(AuditEntry.seq)), matter.id, days)) or 0
    return Activity(
        caption=matter.caption,
        case_number=matter.case_number,
        days=days,
        per_day=_per_day(session, matter.id, days),
        users=Table(
            [Row(r.actor_email or "(no user)", _counts(r), party(r.side_party_id)) for r in users],
            more_users,
        ),
        parties=Table([Row(party(r.side_party_id), _counts(r)) for r in parties], more_parties),
        documents=Table([Row(r.bates, _counts(r)) for r in documents], more_documents),
        entries_in_range=int(in_days),
    )
