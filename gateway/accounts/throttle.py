"""Counting sign-in attempts that did not succeed, per account, per (account, address)
and per address, over a sliding window.

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
from typing import Any, NamedTuple, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from gateway.accounts.models import LoginFailure
from gateway.db import Database


class Counts(NamedTuple):
    account: int  # from anywhere
    pair: int  # for this account from this address (or trusted device)
    address: int  # for any account from this address


class FailureCounter(Protocol):
    def counts(self, email: str, address: str, since: datetime) -> Counts:
        """Failures since ``since``, reservations in flight included."""
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

    def counts(self, email: str, address: str, since: datetime) -> Counts:
        email = email[:320]
        recent = LoginFailure.at >= since
        by_email = LoginFailure.email == email
        by_address = LoginFailure.address == address
        with self.db.read_session() as session:
            return Counts(
                account=self._count(session, recent, by_email),
                pair=self._count(session, recent, by_email, by_address),
                address=self._count(session, recent, by_address),
            )

    @staticmethod
    def _count(session: Session, *where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count(LoginFailure.id)).where(*where)) or 0

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

    def _keys(self, email: str, address: str) -> tuple[str, str, str]:
        # hashed: the keys would otherwise put e-mail addresses in Redis in the clear
        email = email[:320]
        account = _digest(email)
        pair = _digest(email + "\n" + address)
        where = _digest(address)
        return (
            f"{self.prefix}fail:account:{account}",
            f"{self.prefix}fail:pair:{pair}",
            f"{self.prefix}fail:address:{where}",
        )

    def counts(self, email: str, address: str, since: datetime) -> Counts:
        pipe = self.client.pipeline()
        for key in self._keys(email, address):
            pipe.zcount(key, since.timestamp(), "+inf")
        account, pair, where = pipe.execute()
        return Counts(account=int(account), pair=int(pair), address=int(where))

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


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def make_counter(settings: dict[str, Any], db: Database) -> FailureCounter:
    if not settings.get("REDIS_URL"):
        return DatabaseCounter(db)
    import redis

    window = timedelta(minutes=settings["LOGIN_FAILURE_WINDOW_MINUTES"])
    client = redis.Redis.from_url(settings["REDIS_URL"])
    return RedisCounter(client, prefix=settings.get("REDIS_PREFIX") or "pogw:", window=window)
