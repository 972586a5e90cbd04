"""What in a matter's trail deserves the neutral auditor's second look, each with its rule.

Four kinds, each found over a range of the matter's court days:

- ``bulk_download``: one user downloaded at least ``AUDIT_BULK_DOWNLOADS`` documents within
  ``AUDIT_BULK_WINDOW_MINUTES`` (a volume's download counts each of its documents);
- ``off_hours``: a user viewed or downloaded documents outside the working hours
  (``AUDIT_WORK_START_HOUR`` to ``AUDIT_WORK_END_HOUR`` on ``AUDIT_WORK_DAYS``), in the
  court's time zone; one finding per user and day;
- ``denial_burst``: at least ``AUDIT_DENIAL_BURST`` refusals within
  ``AUDIT_DENIAL_WINDOW_MINUTES``, by one user or from one address;
- ``sequestered_access``: a view or download, allowed or refused, of a document while a
  claw-back of it was pending (from the notice to the ruling), by anyone but the claimant's
  own side, which keeps its original.

Counting is done in SQL (``GROUP BY`` ... ``HAVING``); only the entries of a user or an
address already past a threshold over the whole range are read one by one, to find the
windows. Each finding says, in plain words, what happened and the threshold it crossed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from gateway.audit.activity import (
    DOWNLOAD_TAGS,
    VIEW_TAGS,
    DayRange,
    bucket,
    in_range,
)
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome
from gateway.errors import ConfigurationError
from gateway.matters.models import Matter
from gateway.orders.models import Clawback, ClawbackItem

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Kind(StrEnum):
    BULK_DOWNLOAD = "bulk_download"
    OFF_HOURS = "off_hours"
    DENIAL_BURST = "denial_burst"
    SEQUESTERED_ACCESS = "sequestered_access"


@dataclass(frozen=True)
class Anomaly:
    kind: Kind
    who: str  # a user's e-mail, or "address <ip>"
    when: datetime  # the first entry concerned (UTC)
    what: str  # what was done, in a few words
    count: int  # the entries concerned
    explanation: str

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "who": self.who,
            "when": self.when.isoformat(),
            "what": self.what,
            "count": self.count,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Thresholds:
    bulk_downloads: int = 100
    bulk_window_minutes: int = 10
    denial_burst: int = 10
    denial_window_minutes: int = 5
    work_start_hour: int = 7
    work_end_hour: int = 20
    work_days: frozenset[int] = frozenset(range(5))  # Monday..Friday

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Thresholds:
        found = cls(
            bulk_downloads=int(settings.get("AUDIT_BULK_DOWNLOADS", cls.bulk_downloads)),
            bulk_window_minutes=int(
                settings.get("AUDIT_BULK_WINDOW_MINUTES", cls.bulk_window_minutes)
            ),
            denial_burst=int(settings.get("AUDIT_DENIAL_BURST", cls.denial_burst)),
            denial_window_minutes=int(
                settings.get("AUDIT_DENIAL_WINDOW_MINUTES", cls.denial_window_minutes)
            ),
            work_start_hour=int(settings.get("AUDIT_WORK_START_HOUR", cls.work_start_hour)),
            work_end_hour=int(settings.get("AUDIT_WORK_END_HOUR", cls.work_end_hour)),
            work_days=parse_work_days(settings.get("AUDIT_WORK_DAYS", "mon-fri")),
        )
        found.check()
        return found

    def check(self) -> None:
        for name in ("bulk_downloads", "bulk_window_minutes", "denial_burst"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"GATEWAY_AUDIT_{name.upper()} must be at least 1")
        if self.denial_window_minutes < 1:
            raise ConfigurationError("GATEWAY_AUDIT_DENIAL_WINDOW_MINUTES must be at least 1")
        if not 0 <= self.work_start_hour < self.work_end_hour <= 24:
            raise ConfigurationError(
                "working hours: 0 <= GATEWAY_AUDIT_WORK_START_HOUR < "
                "GATEWAY_AUDIT_WORK_END_HOUR <= 24"
            )

    def working_hours(self) -> str:
        days = sorted(self.work_days)
        named = ", ".join(WEEKDAYS[d].title() for d in days) or "no day"
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            named = f"{WEEKDAYS[days[0]].title()}-{WEEKDAYS[days[-1]].title()}"
        return f"{self.work_start_hour:02d}:00-{self.work_end_hour:02d}:00, {named}"


def parse_work_days(text: str) -> frozenset[int]:
    """``mon-fri``, ``mon,tue,thu`` or ``mon-fri,sun``; ``-`` alone: no working day."""
    days: set[int] = set()
    for part in str(text).lower().replace(" ", "").split(","):
        if part in ("", "-"):
            continue
        first, _dash, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ConfigurationError(
                f"GATEWAY_AUDIT_WORK_DAYS: days as mon..sun, e.g. mon-fri, not {text!r}"
            )
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ConfigurationError(f"GATEWAY_AUDIT_WORK_DAYS: {part!r} runs backwards")
        days.update(range(start, end + 1))
    return frozenset(days)


_DENIED = AuditEntry.outcome == str(Outcome.DENIED)
_DOWNLOADED = and_(~_DENIED, AuditEntry.tag.in_(DOWNLOAD_TAGS), AuditEntry.bates != "")
_ACCESSED = and_(~_DENIED, AuditEntry.tag.in_(VIEW_TAGS + DOWNLOAD_TAGS), AuditEntry.bates != "")


def find_anomalies(
    session: Session, matter: Matter, days: DayRange, limits: Thresholds
) -> list[Anomaly]:
    """Every finding in the range, oldest first; the caller has decided that the reader is
    the neutral auditor."""
    found = [
        *_bulk_downloads(session, matter, days, limits),
        *_off_hours(session, matter, days, limits),
        *_denial_bursts(session, matter, days, limits),
        *_sequestered(session, matter, days),
    ]
    return sorted(found, key=lambda a: (a.when, a.kind, a.who, a.what))


@dataclass
class _Episode:
    first: datetime
    last: datetime
    peak: int
    actors: set[str]


def bursts(
    times: Sequence[datetime], threshold: int, window: timedelta, actors: Sequence[str] = ()
) -> list[_Episode]:
    """Runs of entries in which some ``window`` (from an entry's instant on) holds at least
    ``threshold`` of them; overlapping windows make one run, with its busiest window's count."""
    episodes: list[_Episode] = []
    end = 0
    for start, at in enumerate(times):
        while end < len(times) and times[end] - at < window:
            end += 1
        count = end - start
        if count < threshold:
            continue
        who = set(actors[start:end]) if actors else set()
        last = episodes[-1] if episodes else None
        if last is not None and at <= last.last:
            last.last = max(last.last, times[end - 1])
            last.peak = max(last.peak, count)
            last.actors |= who
        else:
            episodes.append(_Episode(at, times[end - 1], count, who))
    return episodes


def _heavy(
    session: Session, matter: Matter, days: DayRange, key: Any, threshold: int, *where: Any
) -> list[str]:
    """The values of ``key`` with at least ``threshold`` such entries over the range."""
    stmt = in_range(select(key), matter.id, days).where(key != "", *where).group_by(key)
    return list(session.scalars(stmt.having(func.count(AuditEntry.seq) >= threshold).order_by(key)))


def _instants(
    session: Session, matter: Matter, days: DayRange, key: Any, value: str, *where: Any
) -> list[tuple[datetime, str]]:
    stmt = in_range(select(AuditEntry.at, AuditEntry.actor_email), matter.id, days)
    stmt = stmt.where(key == value, *where).order_by(AuditEntry.at, AuditEntry.seq)
    return [(at, actor) for at, actor in session.execute(stmt).all()]


def _on(days: DayRange, at: datetime) -> str:
    local = days.local(at)
    return f"{local.date().isoformat()} at {local.strftime('%H:%M')}"


def _bulk_downloads(
    session: Session, matter: Matter, days: DayRange, limits: Thresholds
) -> Iterable[Anomaly]:
    window = timedelta(minutes=limits.bulk_window_minutes)
    rule = f"threshold: {limits.bulk_downloads} in {limits.bulk_window_minutes} minutes"
    for user in _heavy(
        session, matter, days, AuditEntry.actor_email, limits.bulk_downloads, _DOWNLOADED
    ):
        rows = _instants(session, matter, days, AuditEntry.actor_email, user, _DOWNLOADED)
        times = [at for at, _actor in rows]
        for run in bursts(times, limits.bulk_downloads, window):
            yield Anomaly(
                kind=Kind.BULK_DOWNLOAD,
                who=user,
                when=run.first,
                what=f"{run.peak} documents downloaded",
                count=run.peak,
                explanation=(
                    f"{user} downloaded {run.peak} documents within "
                    f"{limits.bulk_window_minutes} minutes on {_on(days, run.first)} ({rule})"
                ),
            )


def _denial_bursts(
    session: Session, matter: Matter, days: DayRange, limits: Thresholds
) -> Iterable[Anomaly]:
    window = timedelta(minutes=limits.denial_window_minutes)
    rule = f"threshold: {limits.denial_burst} in {limits.denial_window_minutes} minutes"
    for user in _heavy(session, matter, days, AuditEntry.actor_email, limits.denial_burst, _DENIED):
        rows = _instants(session, matter, days, AuditEntry.actor_email, user, _DENIED)
        for run in bursts([at for at, _a in rows], limits.denial_burst, window):
            yield Anomaly(
                kind=Kind.DENIAL_BURST,
                who=user,
                when=run.first,
                what=f"{run.peak} refusals",
                count=run.peak,
                explanation=(
                    f"{user} was refused {run.peak} times within "
                    f"{limits.denial_window_minutes} minutes on {_on(days, run.first)} ({rule})"
                ),
            )
    for address in _heavy(session, matter, days, AuditEntry.address, limits.denial_burst, _DENIED):
        rows = _instants(session, matter, days, AuditEntry.address, address, _DENIED)
        times, actors = [at for at, _a in rows], [a for _at, a in rows]
        for run in bursts(times, limits.denial_burst, window, actors):
            if len(run.actors) == 1 and "" not in run.actors:
                continue  # one user's burst, reported under that user
            users = len(run.actors - {""})
            yield Anomaly(
                kind=Kind.DENIAL_BURST,
                who=f"address {address}",
                when=run.first,
                what=f"{run.peak} refusals",
                count=run.peak,
                explanation=(
                    f"address {address} was refused {run.peak} times within "
                    f"{limits.denial_window_minutes} minutes on {_on(days, run.first)}, "
                    f"for {users} user(s) ({rule})"
                ),
            )


def _segments(days: DayRange, limits: Thresholds) -> tuple[list[datetime], list[tuple[date, bool]]]:
    """The range cut at each day's start and its working hours: the boundaries, and for
    each piece its day and whether it lies outside the working hours."""
    bounds: list[datetime] = []
    labels: list[tuple[date, bool]] = []

    def cut(at: datetime, day: date, outside: bool) -> None:
        if bounds and at <= bounds[-1]:
            labels[-1] = (day, outside)  # a piece of no length: the later one holds
            return
        bounds.append(at)
        labels.append((day, outside))

    for day in days.days:
        cut(days.start_of(day), day, True)
        if day.weekday() in limits.work_days:
            cut(days.start_of(day, limits.work_start_hour), day, False)
            if limits.work_end_hour < 24:
                cut(days.start_of(day, limits.work_end_hour), day, True)
    bounds.append(days.end)
    return bounds, labels


def _off_hours(
    session: Session, matter: Matter, days: DayRange, limits: Thresholds
) -> Iterable[Anomaly]:
    bounds, labels = _segments(days, limits)
    piece = bucket(AuditEntry.at, bounds).label("piece")
    stmt = in_range(
        select(
            AuditEntry.actor_email,
            piece,
            func.count(AuditEntry.seq).label("entries"),
            func.min(AuditEntry.at).label("first"),
        ),
        matter.id,
        days,
    ).where(_ACCESSED)
    per_day: dict[tuple[str, date], tuple[int, datetime]] = {}
    for row in session.execute(stmt.group_by(AuditEntry.actor_email, piece)).all():
        day, outside = labels[int(row.piece)]
        if not outside:
            continue
        count, first = per_day.get((row.actor_email, day), (0, row.first))
        per_day[(row.actor_email, day)] = (count + int(row.entries), min(first, row.first))
    hours = limits.working_hours()
    for (user, day), (count, first) in per_day.items():
        weekday = WEEKDAYS[day.weekday()].title()
        times = "once" if count == 1 else f"{count} times"
        yield Anomaly(
            kind=Kind.OFF_HOURS,
            who=user or "(no user)",
            when=first,
            what=f"{count} accesses outside working hours",
            count=count,
            explanation=(
                f"{user} viewed or downloaded documents {times} outside working hours on "
                f"{weekday} {day.isoformat()}, first at {days.local(first).strftime('%H:%M')} "
                f"(working hours: {hours}, {days.zone.key})"
            ),
        )


def _sequestered(session: Session, matter: Matter, days: DayRange) -> Iterable[Anomaly]:
    stmt = (
        in_range(
            select(
                AuditEntry.actor_email,
                AuditEntry.bates,
                AuditEntry.tag,
                AuditEntry.outcome,
                Clawback.id.label("clawback"),
                Clawback.noticed_at,
                func.count(AuditEntry.seq).label("entries"),
                func.min(AuditEntry.at).label("first"),
            ),
            matter.id,
            days,
        )
        .join(ClawbackItem, ClawbackItem.document_id == AuditEntry.document_id)
        .join(Clawback, Clawback.id == ClawbackItem.clawback_id)
        .where(
            Clawback.matter_id == matter.id,
            AuditEntry.tag.in_(VIEW_TAGS + DOWNLOAD_TAGS),
            AuditEntry.at >= Clawback.noticed_at,
            or_(ClawbackItem.ruled_at.is_(None), AuditEntry.at < ClawbackItem.ruled_at),
            or_(
                AuditEntry.side_party_id.is_(None),
                AuditEntry.side_party_id != Clawback.claimant_party_id,
            ),
        )
        .group_by(
            AuditEntry.actor_email,
            AuditEntry.bates,
            AuditEntry.tag,
            AuditEntry.outcome,
            Clawback.id,
            Clawback.noticed_at,
        )
    )
    for row in session.execute(stmt).all():
        viewing = row.tag in VIEW_TAGS
        times = "once" if row.entries == 1 else f"{row.entries} times"
        if row.outcome == str(Outcome.DENIED):
            did = f"was refused {'viewing' if viewing else 'downloading'} {row.bates} {times}"
        else:
            did = f"{'viewed' if viewing else 'downloaded'} {row.bates} {times}"
        yield Anomaly(
            kind=Kind.SEQUESTERED_ACCESS,
            who=row.actor_email or "(no user)",
            when=row.first,
            what=f"{row.tag} of {row.bates} ({row.outcome})",
            count=int(row.entries),
            explanation=(
                f"{row.actor_email} {did} while it was sequestered under claw-back "
                f"#{row.clawback} (noticed {_on(days, row.noticed_at)}, then still pending), "
                f"first on {_on(days, row.first)} (rule: no view or download between a "
                "claw-back's notice and its ruling, except by the claimant's side)"
            ),
        )
