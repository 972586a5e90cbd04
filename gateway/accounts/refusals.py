"""Refusals of requests that prove no identity (no token, a bad token, a throttled
sign-in, a body over its limit), counted per address per interval instead of audited one
by one.

A flood of such requests must neither grow the audit trail nor hold the embedded
database's write lock, so each refusal only bumps a counter; when an interval has ended,
its counts go into the audit as one entry, written by whichever worker first sees it
ended. An address past the limit within an interval is answered 429.

Embedded, the counters live in the worker's memory: each worker applies the limit on its
own, and a worker that is killed loses the counts of its open interval (one that stops
writes them). Scaled out with ``GATEWAY_REDIS_URL``, they live in Redis: shared by every
worker, and kept when a worker dies.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway.audit.events import Actor, AuditEvent
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

    def close(self) -> None:
        """Nothing to release: the counts are in memory."""

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

    def _summary(self, interval: _Interval) -> Summary:
        return summarize(
            interval.start, self.interval, self.limit, interval.by_address, interval.untracked
        )


def summarize(
    start: int,
    interval: int,
    limit: int,
    by_address: dict[str, dict[str, int]],
    untracked: dict[str, int],
) -> Summary:
    busiest = sorted(by_address.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    rest = busiest[LISTED_ADDRESSES:]
    details: dict[str, Any] = {
        "interval_seconds": interval,
        "addresses": dict(busiest[:LISTED_ADDRESSES]),
        "other_addresses": len(rest) + (1 if untracked else 0),
        "other_refusals": sum(sum(r.values()) for _, r in rest) + sum(untracked.values()),
        "limit_per_address": limit,
    }
    total = sum(sum(r.values()) for r in by_address.values()) + sum(untracked.values())
    return Summary(
        datetime.fromtimestamp(start, UTC),
        datetime.fromtimestamp(start + interval, UTC),
        details,
        total,
    )


class RedisRefusalTally:
    """The same counts in Redis hashes, one per interval, shared by every worker."""

    def __init__(self, client: Any, *, prefix: str, interval_seconds: int, limit: int) -> None:
        if interval_seconds < 1 or limit < 1:
            raise ValueError("the interval and the limit must be positive")
        self.client = client
        self.prefix = f"{prefix}refusals:"
        self.interval = interval_seconds
        self.limit = limit
        # kept until a worker writes them, even across a restart of every worker
        self.ttl = interval_seconds + 86400

    def _start(self, now: datetime) -> int:
        return int(now.timestamp()) // self.interval * self.interval

    def note(self, address: str, reason: str, now: datetime) -> tuple[bool, list[Summary]]:
        start = self._start(now)
        counts, per_address = f"{self.prefix}{start}", f"{self.prefix}{start}:addresses"
        pipe = self.client.pipeline()
        pipe.hincrby(per_address, address, 1)
        pipe.hlen(per_address)
        count, tracked = pipe.execute()[:2]
        field = json.dumps([address, reason])
        if count == 1 and tracked > MAX_ADDRESSES:  # a new address past the bound
            self.client.hdel(per_address, address)
            field, count = json.dumps(["", reason]), None
        pipe = self.client.pipeline()
        pipe.hincrby(counts, field, 1)
        pipe.zadd(f"{self.prefix}open", {str(start): start})
        for key in (counts, per_address, f"{self.prefix}open"):
            pipe.expire(key, self.ttl)
        pipe.execute()
        over = count is None or count > self.limit
        return over, self.closed(now)

    def closed(self, now: datetime) -> list[Summary]:
        ended = self.client.zrangebyscore(f"{self.prefix}open", "-inf", f"({self._start(now)}")
        summaries = []
        for raw in ended:
            start = int(raw)
            counts = f"{self.prefix}{start}"
            # whoever sets this writes the interval; every other worker leaves it
            if not self.client.set(f"{counts}:taken", "1", nx=True, ex=self.ttl):
                continue
            pipe = self.client.pipeline()
            pipe.hgetall(counts)
            pipe.delete(counts, f"{counts}:addresses")
            pipe.zrem(f"{self.prefix}open", raw)
            fields = pipe.execute()[0]
            by_address: dict[str, dict[str, int]] = {}
            untracked: dict[str, int] = {}
            for name, value in fields.items():
                address, reason = json.loads(name)
                into = by_address.setdefault(address, {}) if address else untracked
                into[reason] = int(value)
            summaries.append(summarize(start, self.interval, self.limit, by_address, untracked))
        return summaries

    def drain(self) -> list[Summary]:
        """Nothing: the open interval stays in Redis for the workers that go on."""
        return []

    def close(self) -> None:
        self.client.close()


def make_tally(settings: dict[str, Any]) -> RefusalTally | RedisRefusalTally:
    interval = int(settings["UNAUTHENTICATED_INTERVAL_SECONDS"])
    limit = int(settings["UNAUTHENTICATED_LIMIT"])
    if not settings.get("REDIS_URL"):
        return RefusalTally(interval_seconds=interval, limit=limit)
    import redis

    return RedisRefusalTally(
        redis.Redis.from_url(settings["REDIS_URL"]),
        prefix=settings.get("REDIS_PREFIX") or "pogw:",
        interval_seconds=interval,
        limit=limit,
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
                AuditEvent(
                    tag=Tag.REFUSALS_COUNTED,
                    outcome=Outcome.DENIED,
                    actor=Actor(user_id=None, email="", address=""),
                    reason=f"{summary.total} unauthenticated refusal(s) from "
                    f"{summary.start.isoformat()} to {summary.end.isoformat()}",
                    details={**summary.details, "total": summary.total},
                ),
            )
