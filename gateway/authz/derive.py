"""What a user may do in a matter, derived from Casbin once per policy version.

The attribute space is finite (roles; acknowledgment, standing and affiliation of the person;
relation, clearance, tier, state and presentation of the document; actions), so for each role
and each set of facts about a person Casbin itself is asked every request once: which
requests some allow row matches and which some deny row matches. A user holding several
roles may then do what any of the roles' allow rows permits, minus what any of their deny rows
forbids: exactly what one Casbin decision for a user linked to those roles would say (deny
overrides, deny by default). Documents are then filtered in SQL by the derived sets
(``Grants.for_action``), never by one decision per document.
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
    Affiliation,
    Clearance,
    Effect,
    Presented,
    Relation,
    Role,
    Standing,
    State,
)
from gateway.errors import Invalid

# (ack, standing, affiliation): what a request says about the person, fixed per request.
Person = tuple[str, str, str]
# (relation, clearance, designation, state, presented, action): the rest of a request.
DocumentGrant = tuple[str, str, str, str, str, str]
# A Casbin request without its role: Person + DocumentGrant.
Request = tuple[str, ...]

_SHARED: dict[str, Authorizer] = {}
_SHARED_LOCK = threading.Lock()

ALLOWED_BY_RULE = "allowed by rule"
DENIED_BY_RULE = "denied by rule"
NO_RULE_ALLOWS = "no rule allows"


@dataclass(frozen=True)
class Grants:
    """Everything one user may do in one matter, for one set of facts about the person."""

    document: frozenset[DocumentGrant]
    matter: frozenset[str]

    def allows(
        self,
        *,
        relation: str,
        clearance: str,
        designation: str,
        state: str,
        presented: str,
        action: str,
    ) -> bool:
        if action in MATTER_ACTIONS:
            return False
        return (relation, clearance, designation, state, presented, action) in self.document

    def allows_matter(self, action: str) -> bool:
        return action in self.matter

    def for_action(self, action: str) -> frozenset[tuple[str, ...]]:
        """(relation, clearance, designation, state, presented) allowed for one action."""
        return frozenset(g[:5] for g in self.document if g[5] == action)


@dataclass(frozen=True)
class Decision:
    """One decision with its reason and the rule that made it, for the audit trail."""

    allowed: bool
    reason: str
    rule: Rule | None


@dataclass(frozen=True)
class _RoleMatches:
    """The requests some allow row, resp. some deny row, matches for one role and person."""

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
        self._rules: dict[str, PolicySource] = {}
        self._roles: dict[tuple[str, Person], _RoleMatches] = {}
        self._grants: dict[tuple[frozenset[str], Person], Grants] = {}

    @classmethod
    def shared(cls, policy: PolicySource) -> Authorizer:
        """One authorizer per policy version in this process: a version is a hash of the
        policy's content, so every matter (and runtime) on the same rules shares what was
        derived for them."""
        with _SHARED_LOCK:
            found = _SHARED.get(policy.version)
            if found is None:
                found = _SHARED[policy.version] = cls(policy)
            return found

    @property
    def version(self) -> str:
        return self.policy.version

    def grants(self, roles: Iterable[str], *, ack: str, standing: str, affiliation: str) -> Grants:
        """What a user holding these roles may do; derived once, then served from a cache."""
        person = _check_person(ack, standing, affiliation)
        key = (frozenset(self._check_roles(roles)), person)
        with self._lock:
            cached = self._grants.get(key)
            if cached is None:
                cached = self._grants[key] = self._derive(*key)
            return cached

    def requires_acknowledgment(
        self, roles: Iterable[str], *, standing: str, affiliation: str
    ) -> bool:
        """Whether signing Exhibit A would let these roles do something more."""
        roles = tuple(roles)
        facts = {"standing": standing, "affiliation": affiliation}
        signed = self.grants(roles, ack=Ack.SIGNED, **facts)
        unsigned = self.grants(roles, ack=Ack.UNSIGNED, **facts)
        return bool(signed.document - unsigned.document or signed.matter - unsigned.matter)

    def explain(self, roles: Iterable[str], request: Request) -> Decision:
        """The decision ``grants`` implies for one request, naming the rule that decided it.

        ``request`` is (ack, standing, affiliation, relation, clearance, designation, state,
        presented, action), as in ``policies/model.conf``.
        """
        request = self._check_request(request)
        person = (request[0], request[1], request[2])
        names = sorted(self._check_roles(roles))
        with self._lock:
            matches = [(name, self._matches(name, person)) for name in names]
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

    def _derive(self, roles: frozenset[str], person: Person) -> Grants:
        allowed: set[Request] = set()
        denied: set[Request] = set()
        for role in roles:
            found = self._matches(role, person)
            allowed |= found.allow
            denied |= found.deny
        permitted = [r[3:] for r in allowed - denied]
        return Grants(
            document=frozenset(
                (rel, clr, des, st, pre, act)
                for rel, clr, des, st, pre, act in permitted
                if act in DOCUMENT_ACTIONS
            ),
            matter=frozenset(r[5] for r in permitted if r[5] in MATTER_ACTIONS),
        )

    def _matches(self, role: str, person: Person) -> _RoleMatches:
        """Ask Casbin every request for this role and person once; callers hold the lock."""
        found = self._roles.get((role, person))
        if found is None:
            found = self._roles[(role, person)] = self._enumerate(role, person)
        return found

    def _enumerate(self, role: str, person: Person) -> _RoleMatches:
        rules = self._rules_for(role)
        allow_enforcer = build_enforcer(rules, effect=SOME_ALLOW)
        deny_enforcer = build_enforcer(rules, effect=NO_DENY)
        effects = {rule[-1] for rule in rules.policy_rules}
        classes = self._classes(rules)
        allow: set[Request] = set()
        deny: set[Request] = set()
        for request in self._space(person, classes):
            # A role without rows of one effect cannot match that effect: skip asking.
            if Effect.ALLOW in effects and allow_enforcer.enforce(role, *request):
                allow.update(_expand(request, classes))
            if Effect.DENY in effects and not deny_enforcer.enforce(role, *request):
                deny.update(_expand(request, classes))
        return _RoleMatches(frozenset(allow), frozenset(deny), allow_enforcer, deny_enforcer)

    def _classes(self, rules: PolicySource) -> list[dict[str, tuple[str, ...]]]:
        """Per document column: each value to ask Casbin about -> the values it answers for.

        Under the canonical matcher (checked in __init__) a value that no rule of the role
        names only ever matches "*", exactly like every other such value: Casbin is asked
        about one of them and its answer holds for all. Every value a rule names is asked
        about itself.
        """
        domains = [
            [str(v) for v in Relation],
            [str(v) for v in Clearance],
            list(self._designations),
            [str(v) for v in State],
            [str(v) for v in Presented],
            sorted(str(a) for a in DOCUMENT_ACTIONS),
        ]
        classes: list[dict[str, tuple[str, ...]]] = []
        # rule = ("p", role, ack, standing, affiliation, relation, ...): relation is column 5
        for column, domain in enumerate(domains, start=5):
            named = {rule[column] for rule in rules.policy_rules}
            unnamed = tuple(v for v in domain if v not in named)
            mapping: dict[str, tuple[str, ...]] = {v: (v,) for v in domain if v in named}
            if unnamed:
                mapping[unnamed[0]] = unnamed
            classes.append(mapping)
        return classes

    def _rules_for(self, role: str) -> PolicySource:
        # The matcher is g(r.sub, p.sub) && ... (checked in __init__), so a row whose subject
        # the role does not inherit can never match it: leaving it out changes no answer and
        # saves most of the work, since pycasbin evaluates every row for every request.
        cached = self._rules.get(role)
        if cached is None:
            links = self._links.get_role_manager()
            mine = tuple(r for r in self.policy.policy_rules if links.has_link(role, r[1]))
            cached = PolicySource(self.policy.model_text, mine + self.policy.grouping_rules, ())
            self._rules[role] = cached
        return cached

    @staticmethod
    def _space(person: Person, classes: list[dict[str, tuple[str, ...]]]) -> list[Request]:
        document = itertools.product(*(list(mapping) for mapping in classes))
        na = [NOT_APPLICABLE]
        matter = itertools.product(na, na, na, na, na, sorted(str(a) for a in MATTER_ACTIONS))
        return [(*person, *rest) for rest in itertools.chain(document, matter)]

    # --- checks ----------------------------------------------------------------------------

    def _check_roles(self, roles: Iterable[str]) -> set[str]:
        checked = set()
        for role in roles:
            _check_member("role", role, Role)
            checked.add(str(role))
        return checked

    def _check_request(self, request: Iterable[str]) -> Request:
        values = tuple(str(v) for v in request)
        if len(values) != 9:
            raise Invalid(f"a request has 9 values, not {len(values)}")
        _check_person(*values[:3])
        relation, clearance, designation, state, presented, action = values[3:]
        columns = ("relation", "clearance", "designation", "state", "presented")
        if action in MATTER_ACTIONS:
            for column, value in zip(columns, values[3:8], strict=True):
                _check_member(column, value, [NOT_APPLICABLE])
        else:
            _check_member("action", action, DOCUMENT_ACTIONS)
            _check_member("relation", relation, Relation)
            _check_member("clearance", clearance, Clearance)
            _check_member("designation", designation, self._designations)
            _check_member("state", state, State)
            _check_member("presented", presented, Presented)
        return values


def _expand(request: Request, classes: list[dict[str, tuple[str, ...]]]) -> list[Request]:
    """Every request that one asked request answers for (itself, for a matter action)."""
    if request[-1] in MATTER_ACTIONS:
        return [request]
    options = [mapping[value] for mapping, value in zip(classes, request[3:], strict=True)]
    return [(*request[:3], *rest) for rest in itertools.product(*options)]


def _check_person(ack: str, standing: str, affiliation: str) -> Person:
    _check_member("ack", ack, Ack)
    _check_member("standing", standing, Standing)
    _check_member("affiliation", affiliation, Affiliation)
    return (str(ack), str(standing), str(affiliation))


def _check_member(column: str, value: str, allowed: Iterable[str]) -> None:
    # Casbin would answer any string; outside the enumerated space it could disagree with
    # grants() (a "*" row matches an unknown tier), so such a request is refused outright.
    if str(value) not in {str(v) for v in allowed}:
        raise Invalid(f"unknown {column} {value!r}")
