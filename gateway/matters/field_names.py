"""More DAT field names a matter's producers use, added to the ingest's table for the matter.

A name is compared as the table's are (case, spaces, underscores and punctuation aside) and
may serve one role only: a name the table or the matter already gives to another role is
refused, so a volume can never be read two ways.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.errors import Conflict, GatewayError, Invalid, NotFound
from gateway.ingest.fields import FIELD_ALIASES, canonical_name, normalize_field_name, role_of
from gateway.matters.models import Matter
from gateway.runtime import Refused, Runtime


def field_aliases(rt: Runtime, matter_id: int) -> Mapping[str, tuple[str, ...]]:
    """Role -> the matter's extra names for it (normalised)."""
    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        return {role: tuple(names) for role, names in (matter.field_aliases or {}).items()}


def add_field_name(rt: Runtime, actor: Actor, matter_id: int, *, role: str, name: str) -> str:
    """Let ``name`` serve ``role`` in every later ingest of the matter; the role's name."""
    details: dict[str, object] = {"field_name": "add", "role": role[:40], "name": name[:100]}
    with rt.transaction() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        current = {r: list(n) for r, n in (matter.field_aliases or {}).items()}
        try:
            target, key = _checked(role, name, current)
        except GatewayError as error:
            raise _refused(actor, matter_id, error, details) from None
        current.setdefault(target, []).append(key)
        matter.field_aliases = current
        _audit(rt, session, actor, matter_id, details)
        return canonical_name(target)


def remove_field_name(rt: Runtime, actor: Actor, matter_id: int, *, name: str) -> None:
    details: dict[str, object] = {"field_name": "remove", "name": name[:100]}
    with rt.transaction() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        key = normalize_field_name(name)
        current = {
            r: [n for n in names if n != key] for r, names in (matter.field_aliases or {}).items()
        }
        if current == (matter.field_aliases or {}):
            error = NotFound(f"{name!r} is not one of this matter's field names")
            raise _refused(actor, matter_id, error, details)
        matter.field_aliases = {r: names for r, names in current.items() if names}
        _audit(rt, session, actor, matter_id, details)


def _checked(role: str, name: str, current: Mapping[str, list[str]]) -> tuple[str, str]:
    target = role_of(role)
    if target is None:
        roles = ", ".join(canonical_name(r) for r in FIELD_ALIASES)
        raise Invalid(f"role: {role!r} is not a role; roles: {roles}")
    key = normalize_field_name(name)
    if not key:
        raise Invalid("name: a field name needs letters or digits")
    taken = role_of(key) or next((r for r, names in current.items() if key in names), None)
    if taken is not None and taken != target:
        raise Conflict(f"name: {name!r} already names {canonical_name(taken)}")
    if taken == target:
        raise Conflict(f"name: {name!r} already names {canonical_name(target)}")
    return target, key


def _audit(
    rt: Runtime, session: Session, actor: Actor, matter_id: int, details: dict[str, object]
) -> None:
    rt.audit(
        session,
        AuditEvent(
            tag=Tag.MATTER_SETTING_CHANGED,
            outcome=Outcome.ALLOWED,
            actor=actor,
            matter_id=matter_id,
            details=details,
        ),
    )


def _refused(
    actor: Actor, matter_id: int, error: GatewayError, details: dict[str, object]
) -> Refused:
    return Refused(
        error,
        AuditEvent(
            tag=Tag.MATTER_SETTING_CHANGED,
            outcome=Outcome.DENIED,
            actor=actor,
            matter_id=matter_id,
            reason=error.message[:300],
            details=details,
        ),
    )
