"""Federal district courts by PACER id: the state whose holidays count and the time zone
whose midnight ends the last day. The table is data: ``courts.toml`` beside this module."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import ConfigurationError, Invalid

_FIELDS = {"name", "seat", "state", "timezone", "spans"}


@dataclass(frozen=True)
class Court:
    id: str
    name: str
    seat: str
    state: str
    timezone: str
    spans: str = ""  # when the district spans time zones: which one is used and why

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@cache
def courts() -> dict[str, Court]:
    text = resources.files("gateway.orders").joinpath("courts.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    found = {}
    for court_id, row in table.items():
        missing = {"name", "seat", "state", "timezone"} - set(row)
        unknown = set(row) - _FIELDS
        if missing or unknown:
            raise ConfigurationError(
                f"courts.toml [{court_id}]: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        try:
            ZoneInfo(row["timezone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"courts.toml [{court_id}]: time zone: {exc}") from None
        found[court_id] = Court(id=court_id, **row)
    return found


def court(court_id: str) -> Court:
    """The court with this PACER id; any other id is refused, never guessed."""
    found = courts().get(court_id)
    if found is None:
        known = ", ".join(sorted(courts()))
        raise Invalid(f"court: unknown court id {court_id[:40]!r}; known: {known}")
    return found
