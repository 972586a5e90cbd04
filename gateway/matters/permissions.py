"""The one permission check for matter-level actions: ``require(access, Action, ...)``.

It asks the matter's authorizer (the same derivation the document filter uses), and on a
refusal raises it with its reason and the Casbin rule that decided it, for the audit trail;
the caller's transaction is rolled back and the refusal recorded by ``Runtime.transaction``.
Documents are not checked one by one here: lists, searches and look-ups filter in SQL
(``gateway.documents.visibility``), and a refused single look-up is explained by
``documents.service.refuse_hidden``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.audit.tags import Outcome, Tag
from gateway.authz.derive import Decision
from gateway.authz.vocabulary import MATTER_ACTIONS, NOT_APPLICABLE, Action
from gateway.errors import Forbidden, GatewayError
from gateway.matters.service import MatterAccess
from gateway.runtime import Refused


def decide(access: MatterAccess, action: Action) -> Decision:
    if action not in MATTER_ACTIONS:
        raise ValueError(f"{action} concerns a document: filter documents in SQL instead")
    request = (
        access.ack,
        access.standing,
        access.affiliation,
        *([NOT_APPLICABLE] * 5),
        action,
    )
    return access.authorizer.explain(access.roles, request)


def require(
    access: MatterAccess,
    action: Action,
    *,
    tag: Tag,
    refusal: GatewayError | None = None,
    document_id: int | None = None,
    bates: str = "",
    details: Mapping[str, Any] | None = None,
) -> Decision:
    """Allow ``action`` or raise a ``Refused`` carrying why and which rule decided;
    ``document_id``, ``bates`` and ``details`` go into the refusal's audit entry."""
    decision = decide(access, action)
    if decision.allowed:
        return decision
    raise Refused(
        refusal or Forbidden(f"your role in this matter does not allow {action}"),
        access.event(
            tag,
            Outcome.DENIED,
            reason=f"{action}: {decision.reason}",
            rule=",".join(decision.rule or ()),
            document_id=document_id,
            bates=bates,
            details=details,
        ),
    )
