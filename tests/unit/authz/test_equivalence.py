"""The derived grants are exactly Casbin's answer: random policies, every possible request.

The oracle is a plain Casbin enforcer over the real model text, with the user linked to each
role held (the per-user role graph the gateway never builds in production), asked each request
of the finite space one at a time. The policies are random allow and deny rows with wildcards,
plus role inheritance without cycles; the user holds 1-3 random roles.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import casbin
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.authz.derive import Authorizer
from gateway.authz.policy import PolicySource, Tier, load_default_policy
from gateway.authz.vocabulary import (
    DOCUMENT_ACTIONS,
    MATTER_ACTIONS,
    Ack,
    Action,
    Disclosure,
    Relation,
    Role,
    State,
)

MODEL_TEXT = (Path(__file__).resolve().parents[3] / "policies" / "model.conf").read_text(
    encoding="utf-8"
)
USER = "user:alice"
TIERS = (
    Tier("PUBLIC", 0, ""),
    Tier("CONFIDENTIAL", 1, "CONFIDENTIAL"),
    Tier("AEO", 2, "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY"),
    Tier("SOURCE_CODE", 3, "HIGHLY CONFIDENTIAL - SOURCE CODE"),
)
CODES = [t.code for t in TIERS]
ROLES = [str(r) for r in Role]


def _values(enum: type, *extra: str) -> st.SearchStrategy[str]:
    return st.sampled_from([*(str(v) for v in enum), *extra])


def _or_wildcard(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # Half wildcards: rows that match often make the comparison worth something.
    return st.one_of(st.just("*"), values)


@st.composite
def allow_or_deny_rows(draw: st.DrawFn, held: list[str]) -> tuple[str, ...]:
    action = draw(_or_wildcard(_values(Action)))
    if action in MATTER_ACTIONS:
        scope = st.sampled_from(["-", "*"])
        relation, designation, state = draw(scope), draw(scope), draw(scope)
    else:
        # "-" now and then: such a row can only ever match matter-level requests.
        relation = draw(_or_wildcard(_values(Relation, "-")))
        designation = draw(_or_wildcard(st.sampled_from([*CODES, "-"])))
        state = draw(_or_wildcard(_values(State, "-")))
    return (
        "p",
        # Mostly the user's roles: rows about other roles rarely matter.
        draw(st.one_of(st.sampled_from(held), st.sampled_from(ROLES))),
        draw(_or_wildcard(_values(Ack))),
        draw(_or_wildcard(_values(Disclosure))),
        relation,
        designation,
        state,
        action,
        draw(st.sampled_from(["allow", "allow", "allow", "deny"])),
    )


@st.composite
def inheritance_rows(draw: st.DrawFn) -> list[tuple[str, ...]]:
    # Edges only from earlier to later roles in a random order: no cycles.
    order = draw(st.permutations(ROLES))
    pairs = [(i, j) for i in range(len(order)) for j in range(i + 1, len(order))]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=6))
    return [("g", order[i], order[j]) for i, j in dict.fromkeys(chosen)]


@st.composite
def cases(draw: st.DrawFn) -> tuple[PolicySource, list[str]]:
    """A random policy and the 1-3 roles the user holds in the matter."""
    # Duplicates are dropped rather than redrawn: hypothesis rejects many unique draws.
    held = list(dict.fromkeys(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3))))
    rows = dict.fromkeys(draw(st.lists(allow_or_deny_rows(held), min_size=1, max_size=20)))
    return PolicySource(MODEL_TEXT, (*rows, *draw(inheritance_rows())), TIERS), held


def _space(codes: list[str]) -> list[tuple[str, ...]]:
    """Every request there is: the comparison is exhaustive, not sampled."""
    acks, disclosures = [str(v) for v in Ack], [str(v) for v in Disclosure]
    document = itertools.product(
        acks,
        disclosures,
        [str(v) for v in Relation],
        codes,
        [str(v) for v in State],
        sorted(DOCUMENT_ACTIONS),
    )
    matter = itertools.product(acks, disclosures, "-", "-", "-", sorted(MATTER_ACTIONS))
    return [*document, *matter]


def _oracle(policy: PolicySource, roles: list[str]) -> casbin.Enforcer:
    model = casbin.Model()
    model.load_model_from_text(policy.model_text)
    enforcer = casbin.Enforcer(model)
    for rule in policy.rules:
        if rule[0] == "p":
            assert enforcer.add_policy(*rule[1:])
        else:
            assert enforcer.add_grouping_policy(*rule[1:])
    for role in roles:
        assert enforcer.add_grouping_policy(USER, role)
    return enforcer


def _check(policy: PolicySource, roles: list[str], authorizer: Authorizer) -> int:
    """Compare every request; returns how many were allowed."""
    oracle = _oracle(policy, roles)
    allowed = 0
    for request in _space([t.code for t in policy.tiers]):
        ack, disclosure, relation, designation, state, action = request
        expected = oracle.enforce(USER, *request)
        grants = authorizer.grants(roles, ack, disclosure)
        assert grants.allows(relation, designation, state, action) == expected, (roles, request)
        decision = authorizer.explain(roles, *request)
        assert decision.allowed == expected, (roles, request)
        assert decision.rule is None or decision.rule in policy.rules, decision
        allowed += expected
    return allowed


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_grants_equal_casbin_on_random_policies(case: tuple[PolicySource, list[str]]) -> None:
    policy, roles = case
    allowed = _check(policy, roles, Authorizer(policy))
    event("some request allowed" if allowed else "every request denied")


@functools.cache
def _shipped() -> Authorizer:
    return Authorizer(load_default_policy())


@settings(max_examples=15, deadline=None)
@given(roles=st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))
def test_grants_equal_casbin_on_the_shipped_policy(roles: list[str]) -> None:
    assert _check(_shipped().policy, roles, _shipped()) > 0


def test_explain_names_a_rule_that_matches() -> None:
    policy = PolicySource(
        MODEL_TEXT,
        (
            ("p", "vendor", "signed", "*", "*", "AEO", "produced", "*", "allow"),
            ("p", "court", "*", "*", "other", "*", "*", "document:download", "deny"),
            ("g", "court", "vendor"),
        ),
        TIERS,
    )
    authorizer = Authorizer(policy)
    request = ("signed", "cleared", "other", "AEO", "produced")
    allowed = authorizer.explain(["vendor"], *request, "document:view")
    assert (allowed.allowed, allowed.reason) == (True, "allowed by rule")
    assert allowed.rule == policy.rules[0]
    # The court inherits the vendor's allow and its own deny wins.
    denied = authorizer.explain(["court"], *request, "document:download")
    assert (denied.allowed, denied.reason, denied.rule) == (
        False,
        "denied by rule",
        policy.rules[1],
    )
    nothing = authorizer.explain(["witness"], *request, "document:view")
    assert (nothing.allowed, nothing.reason, nothing.rule) == (False, "no rule allows", None)
