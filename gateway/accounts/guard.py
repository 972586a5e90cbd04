"""Deciding what a sign-in attempt may do, from the failures counted before it.

An attacker must not be able to lock a user out, so refusals are narrow:

- failures for one account from one address (or one trusted device) past the limit
  refuse that pair only;
- failures from one address past a higher limit refuse that address, except for a
  device that signed in to the account before;
- failures for the account from anywhere never refuse: they slow every attempt that
  does not come from a trusted device down, by a delay that doubles per failure up to a
  cap, and a cap on the password checks in flight for one account keeps the delays from
  tying up every thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.accounts.throttle import Counts


@dataclass(frozen=True)
class Verdict:
    refused: str  # why the attempt is refused unchecked; "" when it may go on
    delay_seconds: float  # how long to wait before checking the password


def judge(settings: dict[str, Any], counts: Counts, *, trusted: bool) -> Verdict:
    """``counts`` include this attempt; ``trusted``: from a device that signed in before."""
    limit = settings["LOGIN_MAX_FAILURES"]
    if counts.pair > limit:
        return Verdict("too many failures for this account from here", 0.0)
    if trusted:
        return Verdict("", 0.0)
    if counts.address > settings["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        return Verdict("too many failures from this address", 0.0)
    return Verdict("", account_delay(settings, counts.account - 1))


def account_delay(settings: dict[str, Any], failures: int) -> float:
    """The wait before a check, after ``failures`` failures for the account from anywhere."""
    excess = failures - settings["LOGIN_MAX_FAILURES"]
    if excess <= 0:
        return 0.0
    base = float(settings["LOGIN_DELAY_BASE_SECONDS"])
    cap = float(settings["LOGIN_DELAY_MAX_SECONDS"])
    return min(cap, base * 2.0 ** min(excess - 1, 32))


class CheckSlots:
    """At most ``limit`` password checks in flight per account in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}

    def in_flight(self, account: str) -> int:
        with self._lock:
            return self._busy.get(account, 0)

    def acquire(self, account: str) -> bool:
        with self._lock:
            busy = self._busy.get(account, 0)
            if busy >= self.limit:
                return False
            self._busy[account] = busy + 1
            return True

    def release(self, account: str) -> None:
        with self._lock:
            busy = self._busy.get(account, 0) - 1
            if busy > 0:
                self._busy[account] = busy
            else:
                self._busy.pop(account, None)

    @contextmanager
    def held(self, account: str) -> Iterator[bool]:
        """Yields whether a slot was free; a slot taken is given back at the end."""
        taken = self.acquire(account)
        try:
            yield taken
        finally:
            if taken:
                self.release(account)
