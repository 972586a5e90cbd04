"""Time comes from an injected clock so that deadlines and expiries are testable."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None:
        """Wait (a sign-in slowed down by failures): real time, or the test's time."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FixedClock:
    """A clock that moves only when told to (tests, demos of deadlines)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **kwargs: float) -> None:
        self._now += timedelta(**kwargs)

    def sleep(self, seconds: float) -> None:
        """Waiting moves this clock on at once, so a delay shows as time passed."""
        self.advance(seconds=seconds)


class FileClock:
    """For demonstrations and acceptance runs only: the current instant is read from a file
    (ISO 8601 with its offset) at every use, so an operator can move the gateway through
    the order's deadlines. No HTTP route can change it; the gateway says so loudly when it
    starts (``Runtime``). A file that is missing or does not hold an aware instant is an
    error, never a silent fall back to the system clock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.now()  # refuse at start-up what would be refused at the first request

    def now(self) -> datetime:
        from gateway.errors import ConfigurationError

        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"GATEWAY_CLOCK_FILE {self.path}: {exc.strerror}") from None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ConfigurationError(
                f"GATEWAY_CLOCK_FILE {self.path}: not an ISO 8601 instant: {text[:60]!r}"
            ) from None
        if value.tzinfo is None:
            raise ConfigurationError(f"GATEWAY_CLOCK_FILE {self.path}: give the offset too")
        return value.astimezone(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
