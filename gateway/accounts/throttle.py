"""Counting sign-in attempts that did not succeed, per account and per address, over a
sliding window.

An attempt is reserved (counted) before its password is checked, and released when it
succeeds: concurrent guesses cannot all pass the check before any of them is counted,
and successes are never counted.

Embedded, the counts live in the database (``login_failures``). Scaled out with
``GATEWAY_REDIS_URL``, they live in Redis sorted sets shared by every worker, and expire
by themselves.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gateway.accounts.models import LoginFailure
from gateway.db import Database


class FailureCounter(Protocol):
    def counts(self, email: str, address: str, since: datetime) -> tuple[int, int]:
        """(failures for this account, failures from this address) since ``since``."""
        ...

    def reserve(self, email: str, address: str, at: datetime) -> str:
        """Count one attempt now; returns what ``release`` needs."""
        ...

    def release(self, email: str, address: str, reservation: str) -> None:
        """Un-count an attempt that succeeded."""
        ...


class DatabaseCounter:
    def __init__(self, db: Database) -> None:
        self.db = db

    def counts(self, email: str, address: str, since: datetime) -> tuple[int, int]:
        with self.db.read_session() as session:
            return (
                self._count(session, LoginFailure.email, email, since),
                self._count(session, LoginFailure.address, address, since),
            )

    @staticmethod
    def _count(
        session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
    ) -> int:
        stmt = select(func.count(LoginFailure.id)).where(column == value, LoginFailure.at >= since)
        return session.scalar(stmt) or 0

    def reserve(self, email: str, address: str, at: datetime) -> str:
        with self.db.session() as session:
            row = LoginFailure(email=email[:320], address=address, at=at)
            session.add(row)
            session.flush()
            return str(row.id)

    def release(self, email: str, address: str, reservation: str) -> None:
        with self.db.session() as session:
            session.execute(delete(LoginFailure).where(LoginFailure.id == int(reservation)))


class RedisCounter:
    def __init__(self, client: Any, *, prefix: str, window: timedelta) -> None:
        self.client = client
        self.prefix = prefix
        self.window = window

    def _keys(self, email: str, address: str) -> tuple[str, str]:
        # hashed: the keys would otherwise put e-mail addresses in Redis in the clear
        account = hashlib.sha256(email.encode("utf-8")).hexdigest()
        where = hashlib.sha256(address.encode("utf-8")).hexdigest()
        return f"{self.prefix}fail:account:{account}", f"{self.prefix}fail:address:{where}"

    def counts(self, email: str, address: str, since: datetime) -> tuple[int, int]:
        account, where = self._keys(email, address)
        pipe = self.client.pipeline()
        pipe.zcount(account, since.timestamp(), "+inf")
        pipe.zcount(where, since.timestamp(), "+inf")
        per_account, per_address = pipe.execute()
        return int(per_account), int(per_address)

    def reserve(self, email: str, address: str, at: datetime) -> str:
        ttl = int(self.window.total_seconds()) + 1
        member = f"{at.timestamp()}:{secrets.token_hex(8)}"
        pipe = self.client.pipeline()
        for key in self._keys(email, address):
            pipe.zadd(key, {member: at.timestamp()})
            pipe.zremrangebyscore(key, "-inf", (at - self.window).timestamp())
            pipe.expire(key, ttl)
        pipe.execute()
        return member

    def release(self, email: str, address: str, reservation: str) -> None:
        pipe = self.client.pipeline()
        for key in self._keys(email, address):
            pipe.zrem(key, reservation)
        pipe.execute()


def make_counter(settings: dict[str, Any], db: Database) -> FailureCounter:
    if not settings.get("REDIS_URL"):
        return DatabaseCounter(db)
    import redis

    window = timedelta(minutes=settings["LOGIN_FAILURE_WINDOW_MINUTES"])
    client = redis.Redis.from_url(settings["REDIS_URL"])
    return RedisCounter(client, prefix=settings.get("REDIS_PREFIX") or "pogw:", window=window)
