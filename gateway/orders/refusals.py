"""One shape for a workflow's refusal: the error, and its audit entry with the reason."""

from __future__ import annotations

from typing import Any

from gateway.audit.tags import Outcome, Tag
from gateway.errors import GatewayError
from gateway.matters.service import MatterAccess
from gateway.runtime import Refused


def refused(access: MatterAccess, tag: Tag, error: GatewayError, **audit: Any) -> Refused:
    """Raise it inside ``Runtime.transaction``: the change is rolled back, the refusal
    recorded in a transaction of its own."""
    return Refused(
        error,
        dict(
            tag=tag,
            outcome=Outcome.DENIED,
            reason=error.message[:300],
            **audit,
            **access.audit_kwargs(),
        ),
    )
