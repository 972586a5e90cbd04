"""One shape for a workflow's refusal: the error, and its audit entry with the reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.audit.tags import Outcome, Tag
from gateway.errors import GatewayError
from gateway.matters.service import MatterAccess
from gateway.runtime import Refused


def refused(
    access: MatterAccess,
    tag: Tag,
    error: GatewayError,
    *,
    document_id: int | None = None,
    bates: str = "",
    details: Mapping[str, Any] | None = None,
) -> Refused:
    """Raise it inside ``Runtime.transaction``: the change is rolled back, the refusal
    recorded in a transaction of its own."""
    return Refused(
        error,
        access.event(
            tag,
            Outcome.DENIED,
            reason=error.message[:300],
            document_id=document_id,
            bates=bates,
            details=details,
        ),
    )
