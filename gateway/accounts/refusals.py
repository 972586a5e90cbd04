"""Refusals of requests that prove no identity (no token, a bad token, a throttled
sign-in), counted per address per interval instead of audited one by one.

A flood of such requests must neither grow the audit trail nor hold the embedded
database's write lock, so each refusal only bumps a counter in memory; when an interval
has closed, its counts go into the audit as one entry. An address past the limit within
an interval is answered 429. A worker that dies loses the counts of its open interval
only (at most one interval); the refusals themselves changed nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway.audit.recorder import Actor
from gateway.audit.tags import Outcome, Tag

if TYPE_CHECKING:
    from gateway.runtime import Runtime

# addresses tracked per interval; past that, new addresses count as one "other" address
# and are answered as if over the limit (fail closed), so memory stays bounded
MAX_ADDRESSES = 10_000
# addresses named in an interval's audit entry, the busiest first
LISTED_ADDRESSES = 50


@dataclass
class _Interval:
    start: int  # seconds since the epoch
    by_address: dict[str, dict[str, int]] = field(default_factory=dict)
    untracked: dict[str, int] = field(default_factory=dict)

    def add(self, address: str, reason: str) -> int | None:
        """Count one; the address's count so far, or None when it is not tracked."""
        reasons = self.by_address.get(address)
        if reasons is None:
            if len(self.by_address) >= MAX_ADDRESSES:
                self.untracked[reason] = self.untracked.get(reason, 0) + 1
                return None
            reasons = self.by_address[address] = {}
        reasons[reason] = reasons.get(reason, 0) + 1
        return sum(reasons.values())


@dataclass(frozen=True)
class Summary:
    start: datetime
    end: datetime
    details: dict[str, Any]
    total: int


class RefusalTally:
    def __init__(self, *, interval_seconds: int, limit: int) -> None:
        if interval_seconds < 1 or limit < 1:
            raise ValueError("the interval and the limit must be positive")
        self.interval = interval_seconds
        self.limit = limit
        self._lock = threading.Lock()
        self._open: dict[int, _Interval] = {}

    def note(self, address: str, reason: str, now: datetime) -> tuple[bool, list[Summary]]:
        """Count one refusal: (whether the address is past the limit, closed intervals)."""
        start = int(now.timestamp()) // self.interval * self.interval
        with self._lock:
            interval = self._open.setdefault(start, _Interval(start))
            count = interval.add(address, reason)
            closed = [self._open.pop(s) for s in sorted(self._open) if s < start]
        over = count is None or count > self.limit
        return over, [self._summary(i) for i in closed]

    def closed(self, now: datetime) -> list[Summary]:
        """Intervals that ended before ``now``, taken out to be written."""
        start = int(now.timestamp()) // self.interval * self.interval
        with self._lock:
            if not any(s < start for s in self._open):
                return []
            intervals = [self._open.pop(s) for s in sorted(self._open) if s < start]
        return [self._summary(i) for i in intervals]

    def drain(self) -> list[Summary]:
        """Every interval, open ones too (when the process stops)."""
        with self._lock:
            intervals = [self._open.pop(s) for s in sorted(self._open)]
        return [self._summary(i) for i in intervals]

    def pending(self) -> int:
        with self._lock:
            return sum(_total(i) for i in self._open.values())

    def _summary(self, interval: _Interval) -> Summary:
        busiest = sorted(interval.by_address.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        listed = dict(busiest[:LISTED_ADDRESSES])
        rest = busiest[LISTED_ADDRESSES:]
        details: dict[str, Any] = {
            "interval_seconds": self.interval,
            "addresses": listed,
            "other_addresses": len(rest) + (1 if interval.untracked else 0),
            "other_refusals": sum(sum(r.values()) for _, r in rest)
            + sum(interval.untracked.values()),
            "limit_per_address": self.limit,
        }
        start = datetime.fromtimestamp(interval.start, UTC)
        end = datetime.fromtimestamp(interval.start + self.interval, UTC)
        return Summary(start, end, details, _total(interval))


def _total(interval: _Interval) -> int:
    return sum(sum(r.values()) for r in interval.by_address.values()) + sum(
        interval.untracked.values()
    )


def count(rt: Runtime, address: str, reason: str) -> bool:
    """Count one refusal; whether the address is past the limit. Intervals that have
    closed are written to the audit now."""
    over, closed = rt.refusals.note(address, reason, rt.now())
    write(rt, closed)
    return over


def flush(rt: Runtime) -> None:
    """Write the intervals that have ended (cheap when none has: no database access)."""
    write(rt, rt.refusals.closed(rt.now()))


def write(rt: Runtime, summaries: list[Summary]) -> None:
    """One audit entry per closed interval, all in one transaction."""
    if not summaries:
        return
    with rt.db.session() as session:
        for summary in summaries:
            rt.audit(
                session,
                tag=Tag.REFUSALS_COUNTED,
                actor=Actor(user_id=None, email="", address=""),
                outcome=Outcome.DENIED,
                reason=f"{summary.total} unauthenticated refusal(s) from "
                f"{summary.start.isoformat()} to {summary.end.isoformat()}",
                details={**summary.details, "total": summary.total},
            )
