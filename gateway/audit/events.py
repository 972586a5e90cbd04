"""``AuditEvent``: what one audit entry records, as one typed value, and the ``Actor`` in it.

Every write to the audit trail takes events (``Runtime.audit``, ``Runtime.audit_many``, a
``Refused`` refusal), so a field's name is checked where the event is built, not when the
entry is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from gateway.audit.tags import Outcome, Tag

USER_AGENT_MAX = 200

# the User-Agent of the request being served; set by the web application for each request
# (gateway.http), empty on the command line and in workers
_request_user_agent: ContextVar[str] = ContextVar("request_user_agent", default="")


def set_request_user_agent(value: str) -> None:
    _request_user_agent.set(value[:USER_AGENT_MAX])


def request_user_agent() -> str:
    return _request_user_agent.get()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts and from where. ``user_id`` is None for the command line's operator."""

    user_id: int | None
    email: str
    address: str
    user_agent: str = ""

    @classmethod
    def command_line(cls, who: str = "operator@command-line") -> Actor:
        return cls(user_id=None, email=who, address="local")

    @classmethod
    def from_request(cls, user_id: int | None, email: str, address: str) -> Actor:
        """One acting through the web application or the API: with the User-Agent of the
        request being served (none outside a request)."""
        return cls(user_id=user_id, email=email, address=address, user_agent=request_user_agent())


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit entry to be recorded. ``at`` is None for the runtime's clock at the time it
    is recorded."""

    tag: Tag
    outcome: Outcome
    actor: Actor
    matter_id: int | None = None
    side_party_id: int | None = None
    document_id: int | None = None
    bates: str = ""
    reason: str = ""
    rule: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None

    def with_(self, **changes: Any) -> AuditEvent:
        """This event with some fields changed (a misspelt name is a TypeError)."""
        return replace(self, **changes)
