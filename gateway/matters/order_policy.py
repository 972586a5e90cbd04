"""Giving a matter its own order: validate a variant of the rules, store it, audit it.

A matter starts from the shipped default (``policies/``). The operator may give it a variant
(its own rules and tiers, e.g. the reference matter's outside-counsel-only tier) or reset it
to the default. Each change is checked, stored through pycasbin's SQLAlchemy adapter,
recorded with a new revision and audited, all in one transaction; every worker sees it at
its next request (``order_store.PolicyCache``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.authz.derive import Authorizer
from gateway.authz.policy import PolicySource, Rule, Tier, parse_policy
from gateway.authz.vocabulary import (
    NEUTRAL_ROLES,
    Ack,
    Action,
    Affiliation,
    Effect,
    Relation,
    Role,
    Standing,
    State,
)
from gateway.documents.models import Document
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid, NotFound
from gateway.matters.models import Matter, MatterPolicy
from gateway.matters.order_store import OrderPolicy, store_rules, tiers_text
from gateway.matters.service import resolve_access
from gateway.runtime import Refused, Runtime


@dataclass(frozen=True)
class PolicyView:
    """A matter's rules beside the default, with what changed."""

    revision: int
    version: str
    variant: bool
    policy: PolicySource
    default: PolicySource
    added: tuple[Rule, ...]
    removed: tuple[Rule, ...]
    tiers_added: tuple[Tier, ...]
    tiers_removed: tuple[Tier, ...]


def describe(rt: Runtime, matter_id: int) -> PolicyView:
    with rt.db.session() as session:
        if session.get(Matter, matter_id) is None:
            raise NotFound("no such matter")
        order = rt.policies.for_matter(session, matter_id)
    return _view(order, rt.policy)


def _view(order: OrderPolicy, default: PolicySource) -> PolicyView:
    mine, base = set(order.policy.rules), set(default.rules)
    return PolicyView(
        revision=order.revision,
        version=order.policy.version,
        variant=order.variant,
        policy=order.policy,
        default=default,
        added=tuple(r for r in order.policy.rules if r not in base),
        removed=tuple(r for r in default.rules if r not in mine),
        tiers_added=tuple(t for t in order.policy.tiers if t not in default.tiers),
        tiers_removed=tuple(t for t in default.tiers if t not in order.policy.tiers),
    )


def set_variant(
    rt: Runtime, actor: Actor, matter_id: int, *, rules_text: str, tiers_text_: str, reason: str
) -> PolicyView:
    """Give the matter its own rules and tiers (complete texts, as in ``policies/``)."""
    return _change(rt, actor, matter_id, reason, lambda: _parse(rt, rules_text, tiers_text_))


def reset_variant(rt: Runtime, actor: Actor, matter_id: int, *, reason: str) -> PolicyView:
    """Put the matter back on the shipped default."""
    return _change(rt, actor, matter_id, reason, lambda: None)


def _parse(rt: Runtime, rules_text: str, tiers: str) -> PolicySource:
    return parse_policy(
        model_text=rt.policy.model_text,
        rules_text=rules_text,
        tiers_text=tiers,
        model_source="policies/model.conf",
        rules_source="rules",
        tiers_source="tiers",
    )


Make = Callable[[], PolicySource | None]


def _change(rt: Runtime, actor: Actor, matter_id: int, reason: str, make: Make) -> PolicyView:
    with rt.transaction() as session:
        try:
            return _apply(rt, session, actor, matter_id, reason, make)
        except GatewayError as error:
            raise Refused(
                error,
                AuditEvent(
                    tag=Tag.POLICY_CHANGED,
                    outcome=Outcome.DENIED,
                    actor=actor,
                    matter_id=matter_id if session.get(Matter, matter_id) else None,
                    reason=error.message[:300],
                ),
            ) from None


def _apply(
    rt: Runtime, session: Session, actor: Actor, matter_id: int, reason: str, make: Make
) -> PolicyView:
    if not reason.strip():
        raise Invalid("reason: say why the matter's rules change (e.g. the order's docket)")
    # one change at a time per matter: the row lock orders concurrent operators
    matter = session.scalar(select(Matter).where(Matter.id == matter_id).with_for_update())
    if matter is None:
        raise NotFound("no such matter")
    before = rt.policies.for_matter(session, matter_id)
    new = make()  # None: back to the default
    policy = new if new is not None else rt.policy
    if policy.version == before.policy.version:
        raise Conflict("the matter already follows exactly these rules")
    problems = check_variant(policy) + _tiers_in_use(session, matter_id, policy)
    if problems:
        raise Invalid("; ".join(problems), details={"problems": problems})
    row = session.scalar(select(MatterPolicy).where(MatterPolicy.matter_id == matter_id))
    if row is None:
        row = MatterPolicy(matter_id=matter_id, revision=0)
        session.add(row)
    row.revision = (row.revision or 0) + 1
    row.version = policy.version
    row.variant = new is not None
    row.tiers_text = tiers_text(policy)
    row.reason = reason.strip()[:500]
    row.updated_at = rt.now()
    store_rules(session, matter_id, policy if new is not None else _empty(policy))
    session.flush()
    after = OrderPolicy(row.revision, policy, new is not None)
    view = _view(after, rt.policy)
    rt.audit(
        session,
        AuditEvent(
            tag=Tag.POLICY_CHANGED,
            outcome=Outcome.ALLOWED,
            actor=actor,
            matter_id=matter_id,
            reason=row.reason,
            details={
                "revision": row.revision,
                "from_version": before.policy.version,
                "to_version": policy.version,
                "variant": row.variant,
                "rules_added_to_default": len(view.added),
                "rules_removed_from_default": len(view.removed),
                "tiers": [t.code for t in policy.tiers],
            },
        ),
    )
    return view


def _empty(policy: PolicySource) -> PolicySource:
    return PolicySource(policy.model_text, (), policy.tiers)


# --- what no variant may do ------------------------------------------------------------


def check_variant(policy: PolicySource) -> list[str]:
    """The rules a matter's order may not break, whatever it says; one line per problem."""
    # shared: a variant checked once (the demo's, say) costs nothing the next time
    authorizer = Authorizer.shared(policy)
    return (
        _auditor_sees_documents(authorizer)
        + _matter_actions_held_by_the_wrong_roles(authorizer)
        + _party_people_see_protected_tiers(authorizer)
        + _receiving_side_opens_replaced_originals(authorizer)
    )


def _persons() -> list[dict[str, str]]:
    return [
        {"ack": a, "standing": s, "affiliation": f}
        for a, s, f in itertools.product(Ack, Standing, Affiliation)
    ]


def _auditor_sees_documents(authorizer: Authorizer) -> list[str]:
    # The auditor reads logs, never documents; the operator holds no role in any matter, so
    # no rule can reach it. A role inheriting the auditor's is checked as the auditor.
    for person in _persons():
        if authorizer.grants([Role.AUDITOR], **person).document:
            return ["the auditor may never be granted a document action"]
    return []


# Who may ever hold a matter-level action, whatever a matter's order says: reading every
# side's trail is the neutral auditor's alone, a side's trail its counsel's (work product),
# ruling the court's; the parties' own acts are their counsel's. Anything else is refused.
MATTER_ACTION_HOLDERS: dict[Action, frozenset[Role]] = {
    Action.AUDIT_READ_ALL: frozenset({Role.AUDITOR}),
    Action.AUDIT_READ_SIDE: frozenset({Role.OUTSIDE_COUNSEL}),
    Action.AUDIT_TRACE: frozenset({Role.AUDITOR}),
    Action.CLAWBACK_RULE: frozenset({Role.COURT}),
    Action.PRODUCTION_UPLOAD: frozenset({Role.OUTSIDE_COUNSEL, Role.COUNSEL_STAFF}),
    Action.DESIGNATION_CHANGE: frozenset({Role.OUTSIDE_COUNSEL}),
    Action.CLAWBACK_NOTICE: frozenset({Role.OUTSIDE_COUNSEL}),
    Action.CLAWBACK_PRESENT: frozenset({Role.OUTSIDE_COUNSEL}),
    Action.CERTIFICATION_SIGN: frozenset({Role.OUTSIDE_COUNSEL}),
    Action.VERSION_SUPPLY: frozenset({Role.OUTSIDE_COUNSEL, Role.COUNSEL_STAFF}),
    Action.REDACTION_READ: frozenset({Role.OUTSIDE_COUNSEL, Role.COUNSEL_STAFF, Role.COURT}),
    Action.FILING_RECORD: frozenset({Role.OUTSIDE_COUNSEL, Role.COURT}),
    Action.ACKNOWLEDGMENT_SIGN: frozenset(Role),
    # the log names documents, so never the auditor (who reads logs of access, not of
    # documents); a matter's order may serve it on more than the parties and the court,
    # and each reader still sees rows only about what it may list
    Action.PRIVILEGE_LOG_READ: frozenset(Role) - {Role.AUDITOR},
}


def _matter_actions_held_by_the_wrong_roles(authorizer: Authorizer) -> list[str]:
    problems = []
    for role in sorted(Role):
        held: set[str] = set()
        for person in _persons():
            held |= authorizer.grants([role], **person).matter
        for action in sorted(held):
            if role not in MATTER_ACTION_HOLDERS.get(Action(action), frozenset()):
                problems.append(f"{role} may never be granted {action}")
    return problems


def _protected_tiers(policy: PolicySource) -> set[str]:
    """The tiers the bar on a party's people covers: every tier stricter than CONFIDENTIAL
    (AEO and whatever a matter adds above it), or the strictest when there is none."""
    ranks = {t.code: t.rank for t in policy.tiers}
    if "CONFIDENTIAL" in ranks:
        return {c for c in policy.designations if ranks[c] > ranks["CONFIDENTIAL"]}
    return {policy.designations[-1]}


def _party_people_see_protected_tiers(authorizer: Authorizer) -> list[str]:
    """A party's people may reach another party's protected tiers only through allow rules
    that name the tier: every such grant must still be there when every allow rule with a
    wildcard designation is left out, so a redundant rule naming the tier elsewhere cannot
    carry a leak through a wildcard."""
    policy = authorizer.policy
    kept = tuple(
        r for r in policy.rules if not (r[0] == "p" and r[-1] == Effect.ALLOW and r[7] == "*")
    )
    named_only = Authorizer.shared(PolicySource(policy.model_text, kept, policy.tiers))
    protected = _protected_tiers(policy)
    problems = []
    for role in sorted(set(Role) - NEUTRAL_ROLES):
        for ack in Ack:
            facts = {"ack": ack, "standing": Standing.PARTY, "affiliation": Affiliation.AFFILIATED}
            extra = (
                authorizer.grants([role], **facts).document
                - named_only.grants([role], **facts).document
            )
            tiers = sorted({g[2] for g in extra if g[0] == "other" and g[2] in protected})
            if tiers:
                problems.append(
                    f"{role}: a party's officer or employee would reach another party's "
                    f"{', '.join(tiers)} through rules that do not name the tier"
                )
                break
    return problems


def _receiving_side_opens_replaced_originals(authorizer: Authorizer) -> list[str]:
    """``replaced`` is an original a ruling withheld in part: only the party that produced
    or designated it and the court may open it (the receiving side gets the redacted
    version), whatever a matter's order says."""
    opening = {
        str(Action.DOCUMENT_VIEW),
        str(Action.DOCUMENT_DOWNLOAD),
        str(Action.DOCUMENT_RENDER),
        str(Action.DOCUMENT_DOWNLOAD_NATIVE),
    }
    own = {str(Relation.PRODUCER), str(Relation.DESIGNATOR)}
    problems = []
    for role in sorted(set(Role) - {Role.COURT}):
        for person in _persons():
            if any(
                g[3] == str(State.REPLACED) and g[5] in opening and g[0] not in own
                for g in authorizer.grants([role], **person).document
            ):
                problems.append(
                    f"{role}: only the producing or designating party and the court may open "
                    "an original replaced by a redacted version"
                )
                break
    return problems


def _tiers_in_use(session: Session, matter_id: int, policy: PolicySource) -> list[str]:
    """A tier still carried by documents cannot leave the matter's order: they would match no
    rule at all, not even their producer's."""
    used = session.execute(
        select(Document.designation, func.count(Document.id))
        .where(Document.matter_id == matter_id)
        .group_by(Document.designation)
    ).all()
    codes = set(policy.designations)
    return [
        f"tier {code} is the designation of {count} document(s) of this matter"
        for code, count in sorted(used)
        if code not in codes
    ]


# --- for the pages ---------------------------------------------------------------------


def view_for(rt: Runtime, user: User, matter_id: int, *, address: str) -> PolicyView:
    """The matter's rules for a member of it (any role: it is the order they are bound by)
    or for the operator; anyone else is refused as if the matter did not exist."""
    if not user.is_operator:
        with rt.transaction() as session:
            resolve_access(rt, session, user, matter_id, address=address)
    return describe(rt, matter_id)


def edit_variant(
    rt: Runtime,
    user: User,
    matter_id: int,
    *,
    rules_text: str,
    tiers_text_: str,
    reason: str,
    address: str,
) -> PolicyView:
    """The operator changes a matter's rules from the page; nobody else may."""
    actor = Actor.from_request(user.id, user.email, address)
    if not user.is_operator:
        with rt.transaction():
            raise Refused(
                Forbidden("only the operator changes a matter's rules, as the court ordered"),
                AuditEvent(
                    tag=Tag.POLICY_CHANGED,
                    outcome=Outcome.DENIED,
                    actor=actor,
                    matter_id=matter_id,
                    reason="not the operator",
                ),
            )
    return set_variant(
        rt, actor, matter_id, rules_text=rules_text, tiers_text_=tiers_text_, reason=reason
    )
