"""The deadline calculator for a caller (the API, the command line): the request's text is
read strictly, the deadline computed, and every refusal audited with what was asked."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from functools import cache
from typing import Any

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.errors import BadRequest, Invalid
from gateway.orders.deadlines import MAX_DAYS, Deadline, deadline
from gateway.orders.holidays import Calendar, load_declared

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COUNT = re.compile(r"-?\d{1,9}")
_FLAGS = {"": False, "0": False, "false": False, "1": True, "true": True}


@dataclass(frozen=True)
class DeadlineRequest:
    """What the caller asked, as text: nothing is interpreted before it is checked."""

    court: str
    start: str  # the trigger day, YYYY-MM-DD
    days: str
    business_days: str = ""
    before_event: str = ""


def _date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise BadRequest(f"from: a date as YYYY-MM-DD is required, not {text[:40]!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"from: {text!r} is not a day of the calendar") from None


def _days(text: str) -> int:
    if not _COUNT.fullmatch(text):
        raise BadRequest(f"days: a whole number of days is required, not {text[:40]!r}")
    days = int(text)
    if days < 1:
        raise Invalid(
            f"days: {days} is not a period; count at least 1 day (a period before an event "
            "is counted backward with before_event, not with a negative number)"
        )
    if days > MAX_DAYS:
        raise Invalid(f"days: {days} is beyond any period an order sets (at most {MAX_DAYS})")
    return days


def _flag(name: str, text: str) -> bool:
    if text.lower() not in _FLAGS:
        raise BadRequest(f"{name}: 1 or 0 (true or false), not {text[:20]!r}")
    return _FLAGS[text.lower()]


@cache
def _declared(path: str) -> Calendar:
    return load_declared(path)


def added_calendars(settings: dict[str, Any]) -> tuple[Calendar, ...]:
    """The operator's declared days (``DECLARED_HOLIDAYS``), if configured."""
    path = settings.get("DECLARED_HOLIDAYS")
    return (_declared(str(path)),) if path else ()


def compute(rt: Any, actor: Actor, request: DeadlineRequest) -> Deadline:
    """The deadline asked for; a refusal is audited, then raised."""
    added = added_calendars(rt.settings)
    try:
        return deadline(
            request.court,
            _date(request.start),
            _days(request.days),
            business_days=_flag("business_days", request.business_days),
            before_event=_flag("before_event", request.before_event),
            added=added,
        )
    except (BadRequest, Invalid) as error:
        with rt.db.session() as session:
            rt.audit(
                session,
                AuditEvent(
                    tag=Tag.DEADLINE_COMPUTED,
                    outcome=Outcome.DENIED,
                    actor=actor,
                    reason=error.message,
                    details={key: value[:64] for key, value in asdict(request).items()},
                ),
            )
        raise
