"""What a user may do in a matter, derived from Casbin once per policy version.

The attribute space is finite (roles, acknowledgment, disclosure, relation, tiers, states,
actions), so for each role Casbin itself is asked every request once: which requests some
allow row matches and which some deny row matches. A user holding several roles may then do
what any of the roles' allow rows permits, minus what any of their deny rows forbids: exactly
what one Casbin decision for a user linked to those roles would say (deny overrides, deny by
default). Documents are then filtered in SQL by the derived sets (``Grants.by_relation``),
never by one decision per document.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import casbin

from gateway.authz.policy import (
    NO_DENY,
    SOME_ALLOW,
    PolicySource,
    Rule,
    build_enforcer,
    check_model_text,
)
from gateway.authz.vocabulary import (
    DOCUMENT_ACTIONS,
    MATTER_ACTIONS,
    NOT_APPLICABLE,
    Ack,
    Disclosure,
    Effect,
    Relation,
    Role,
    State,
)
from gateway.errors import Invalid

# (ack, disclosure, relation, designation, state, action): a Casbin request without its role.
Request = tuple[str, str, str, str, str, str]
DocumentGrant = tuple[str, str, str, str]  # (relation, designation, state, action)

ALLOWED_BY_RULE = "allowed by rule"
DENIED_BY_RULE = "denied by rule"
NO_RULE_ALLOWS = "no rule allows"


@dataclass(frozen=True)
class Grants:
    """Everything one user may do in one matter (for one acknowledgment and disclosure)."""

    document: frozenset[DocumentGrant]
    matter: frozenset[str]

    def allows(self, relation: str, designation: str, state: str, action: str) -> bool:
        if action in MATTER_ACTIONS:
            matter_level = (relation, designation, state) == (NOT_APPLICABLE,) * 3
            return matter_level and action in self.matter
        return (relation, designation, state, action) in self.document

    def allows_matter(self, action: str) -> bool:
        return action in self.matter

    def by_relation(self) -> dict[str, dict[str, set[tuple[str, str]]]]:
        """relation -> action -> {(designation, state)}: what the SQL filter needs."""
        result: dict[str, dict[str, set[tuple[str, str]]]] = {}
        for relation, designation, state, action in self.document:
            result.setdefault(relation, {}).setdefault(action, set()).add((designation, state))
        return result


@dataclass(frozen=True)
class Decision:
    """One decision with its reason and the rule that made it, for the audit trail."""

    allowed: bool
    reason: str
    rule: Rule | None


@dataclass(frozen=True)
class _RoleMatches:
    """The requests some allow row, resp. some deny row, matches for one role."""

    allow: frozenset[Request]
    deny: frozenset[Request]
    allow_enforcer: casbin.Enforcer
    deny_enforcer: casbin.Enforcer


class Authorizer:
    """Derives and caches ``Grants`` for one policy version; thread-safe."""

    def __init__(self, policy: PolicySource) -> None:
        check_model_text(policy.model_text, source_name="policy model")
        self.policy = policy
        self._designations = policy.designations
        # Only used for role inheritance, which Casbin resolves for us.
        self._links = build_enforcer(
            PolicySource(policy.model_text, policy.grouping_rules, policy.tiers)
        )
        self._lock = threading.Lock()
        self._roles: dict[str, _RoleMatches] = {}
        self._grants: dict[tuple[frozenset[str], str, str], Grants] = {}

    @property
    def version(self) -> str:
        return self.policy.version

    def grants(self, roles: Iterable[str], ack: str, disclosure: str) -> Grants:
        """What a user holding these roles may do; derived once, then served from a cache."""
        key = (frozenset(str(r) for r in roles), str(ack), str(disclosure))
        with self._lock:
            cached = self._grants.get(key)
            if cached is None:
                cached = self._grants[key] = self._derive(*key)
            return cached

    def requires_acknowledgment(self, roles: Iterable[str], disclosure: str) -> bool:
        """Whether signing Exhibit A would let these roles do something more."""
        roles = tuple(roles)
        signed = self.grants(roles, Ack.SIGNED, disclosure)
        unsigned = self.grants(roles, Ack.UNSIGNED, disclosure)
        return bool(signed.document - unsigned.document or signed.matter - unsigned.matter)

    def explain(
        self,
        roles: Iterable[str],
        ack: str,
        disclosure: str,
        relation: str,
        designation: str,
        state: str,
        action: str,
    ) -> Decision:
        """The decision ``grants`` implies for one request, naming the rule that decided it."""
        request = self._check_request((ack, disclosure, relation, designation, state, action))
        names = sorted(self._check_roles(roles))
        with self._lock:
            matches = [(name, self._matches(name)) for name in names]
            # Deny overrides: a deny match decides before any allow does.
            for name, found in matches:
                if request in found.deny:
                    _, rule = found.deny_enforcer.enforce_ex(name, *request)
                    return Decision(False, DENIED_BY_RULE, ("p", *rule))
            for name, found in matches:
                if request in found.allow:
                    _, rule = found.allow_enforcer.enforce_ex(name, *request)
                    return Decision(True, ALLOWED_BY_RULE, ("p", *rule))
        return Decision(False, NO_RULE_ALLOWS, None)

    # --- derivation ------------------------------------------------------------------------

    def _derive(self, roles: frozenset[str], ack: str, disclosure: str) -> Grants:
        self._check_roles(roles)
        _check_member("ack", ack, Ack)
        _check_member("disclosure", disclosure, Disclosure)
        allowed: set[Request] = set()
        denied: set[Request] = set()
        for role in roles:
            found = self._matches(role)
            allowed |= found.allow
            denied |= found.deny
        permitted = [r for r in allowed - denied if r[:2] == (ack, disclosure)]
        return Grants(
            document=frozenset(r[2:] for r in permitted if r[5] in DOCUMENT_ACTIONS),
            matter=frozenset(r[5] for r in permitted if r[5] in MATTER_ACTIONS),
        )

    def _matches(self, role: str) -> _RoleMatches:
        """Ask Casbin every request for this role once; callers hold the lock."""
        found = self._roles.get(role)
        if found is None:
            found = self._roles[role] = self._enumerate(role)
        return found

    def _enumerate(self, role: str) -> _RoleMatches:
        rules = self._rules_for(role)
        allow_enforcer = build_enforcer(rules, effect=SOME_ALLOW)
        deny_enforcer = build_enforcer(rules, effect=NO_DENY)
        effects = {rule[-1] for rule in rules.policy_rules}
        allow: set[Request] = set()
        deny: set[Request] = set()
        for request in self._space():
            # A role without rows of one effect cannot match that effect: skip asking.
            if Effect.ALLOW in effects and allow_enforcer.enforce(role, *request):
                allow.add(request)
            if Effect.DENY in effects and not deny_enforcer.enforce(role, *request):
                deny.add(request)
        return _RoleMatches(frozenset(allow), frozenset(deny), allow_enforcer, deny_enforcer)

    def _rules_for(self, role: str) -> PolicySource:
        # The matcher is g(r.sub, p.sub) && ... (checked in __init__), so a row whose subject
        # the role does not inherit can never match it: leaving it out changes no answer and
        # saves most of the work, since pycasbin evaluates every row for every request.
        links = self._links.get_role_manager()
        mine = tuple(r for r in self.policy.policy_rules if links.has_link(role, r[1]))
        return PolicySource(self.policy.model_text, mine + self.policy.grouping_rules, ())

    def _space(self) -> list[Request]:
        values = [str(v) for v in Ack], [str(v) for v in Disclosure]
        document = itertools.product(
            *values,
            [str(v) for v in Relation],
            self._designations,
            [str(v) for v in State],
            sorted(str(a) for a in DOCUMENT_ACTIONS),
        )
        na = [NOT_APPLICABLE]
        matter = itertools.product(*values, na, na, na, sorted(str(a) for a in MATTER_ACTIONS))
        return [*document, *matter]

    # --- checks ----------------------------------------------------------------------------

    def _check_roles(self, roles: Iterable[str]) -> set[str]:
        checked = set()
        for role in roles:
            _check_member("role", role, Role)
            checked.add(str(role))
        return checked

    def _check_request(self, request: Iterable[str]) -> Request:
        ack, disclosure, relation, designation, state, action = (str(v) for v in request)
        _check_member("ack", ack, Ack)
        _check_member("disclosure", disclosure, Disclosure)
        if action in MATTER_ACTIONS:
            for column, value in zip(
                ("relation", "designation", "state"), (relation, designation, state), strict=True
            ):
                _check_member(column, value, [NOT_APPLICABLE])
        else:
            _check_member("action", action, DOCUMENT_ACTIONS)
            _check_member("relation", relation, Relation)
            _check_member("designation", designation, self._designations)
            _check_member("state", state, State)
        return (ack, disclosure, relation, designation, state, action)


def _check_member(column: str, value: str, allowed: Iterable[str]) -> None:
    # Casbin would answer any string; outside the enumerated space it could disagree with
    # grants() (a "*" row matches an unknown tier), so such a request is refused outright.
    if str(value) not in {str(v) for v in allowed}:
        raise Invalid(f"unknown {column} {value!r}")
