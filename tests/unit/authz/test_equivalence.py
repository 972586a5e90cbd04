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
    Affiliation,
    Clearance,
    Presented,
    Relation,
    Role,
    Standing,
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
        document = [draw(scope) for _ in range(5)]
    else:
        # "-" now and then: such a row can only ever match matter-level requests.
        document = [
            draw(_or_wildcard(_values(Relation, "-"))),
            draw(_or_wildcard(_values(Clearance, "-"))),
            draw(_or_wildcard(st.sampled_from([*CODES, "-"]))),
            draw(_or_wildcard(_values(State, "-"))),
            draw(_or_wildcard(_values(Presented, "-"))),
        ]
    return (
        "p",
        # Mostly the user's roles: rows about other roles rarely matter.
        draw(st.one_of(st.sampled_from(held), st.sampled_from(ROLES))),
        draw(_or_wildcard(_values(Ack))),
        draw(_or_wildcard(_values(Standing))),
        draw(_or_wildcard(_values(Affiliation))),
        *document,
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


PERSONS = list(
    itertools.product(
        [str(v) for v in Ack], [str(v) for v in Standing], [str(v) for v in Affiliation]
    )
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[PolicySource, list[str], list[tuple[str, ...]]]:
    """A random policy, the 1-3 roles the user holds, and two of the twelve kinds of person
    (Exhibit A x standing x affiliation) the user may be."""
    # Duplicates are dropped rather than redrawn: hypothesis rejects many unique draws.
    held = list(dict.fromkeys(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3))))
    rows = dict.fromkeys(draw(st.lists(allow_or_deny_rows(held), min_size=1, max_size=16)))
    policy = PolicySource(MODEL_TEXT, (*rows, *draw(inheritance_rows())), TIERS)
    persons = draw(st.lists(st.sampled_from(PERSONS), min_size=1, max_size=2, unique=True))
    return policy, held, persons


def _space(codes: list[str], person: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every request such a person can make: exhaustive, not sampled."""
    document = itertools.product(
        [str(v) for v in Relation],
        [str(v) for v in Clearance],
        codes,
        [str(v) for v in State],
        [str(v) for v in Presented],
        sorted(DOCUMENT_ACTIONS),
    )
    matter = itertools.product("-", "-", "-", "-", "-", sorted(MATTER_ACTIONS))
    return [(*person, *rest) for rest in itertools.chain(document, matter)]


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


def _check(
    policy: PolicySource,
    roles: list[str],
    persons: list[tuple[str, ...]],
    authorizer: Authorizer,
) -> int:
    """Compare every request of each person; returns how many were allowed."""
    oracle = _oracle(policy, roles)
    allowed = 0
    for person in persons:
        ack, standing, affiliation = person
        grants = authorizer.grants(roles, ack=ack, standing=standing, affiliation=affiliation)
        for request in _space([t.code for t in policy.tiers], person):
            expected = oracle.enforce(USER, *request)
            relation, clearance, designation, state, presented, action = request[3:]
            if action in MATTER_ACTIONS:
                derived = grants.allows_matter(action)
            else:
                derived = grants.allows(
                    relation=relation,
                    clearance=clearance,
                    designation=designation,
                    state=state,
                    presented=presented,
                    action=action,
                )
            assert derived == expected, (roles, request)
            decision = authorizer.explain(roles, request)
            assert decision.allowed == expected, (roles, request)
            assert decision.rule is None or decision.rule in policy.rules, decision
            allowed += expected
    return allowed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_grants_equal_casbin_on_random_policies(
    case: tuple[PolicySource, list[str], list[tuple[str, ...]]],
) -> None:
    policy, roles, persons = case
    allowed = _check(policy, roles, persons, Authorizer(policy))
    event("some request allowed" if allowed else "every request denied")


@functools.cache
def _shipped() -> Authorizer:
    return Authorizer(load_default_policy())


@settings(max_examples=8, deadline=None)
@given(
    roles=st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True),
    persons=st.lists(st.sampled_from(PERSONS), min_size=1, max_size=2, unique=True),
)
def test_grants_equal_casbin_on_the_shipped_policy(
    roles: list[str], persons: list[tuple[str, ...]]
) -> None:
    _check(_shipped().policy, roles, persons, _shipped())


def test_explain_names_a_rule_that_matches() -> None:
    person = ("*", "*", "*")
    document = ("*", "*", "AEO", "produced", "*")
    policy = PolicySource(
        MODEL_TEXT,
        (
            ("p", "vendor", "signed", *person[1:], *document, "*", "allow"),
            ("p", "court", *person, "other", "*", "*", "*", "*", "document:download", "deny"),
            ("g", "court", "vendor"),
        ),
        TIERS,
    )
    authorizer = Authorizer(policy)
    request = ("signed", "party", "unaffiliated", "other", "cleared", "AEO", "produced")
    allowed = authorizer.explain(["vendor"], (*request, "not_presented", "document:view"))
    assert (allowed.allowed, allowed.reason) == (True, "allowed by rule")
    assert allowed.rule == policy.rules[0]
    # The court inherits the vendor's allow and its own deny wins.
    denied = authorizer.explain(["court"], (*request, "not_presented", "document:download"))
    assert (denied.allowed, denied.reason, denied.rule) == (
        False,
        "denied by rule",
        policy.rules[1],
    )
    nothing = authorizer.explain(["witness"], (*request, "not_presented", "document:view"))
    assert (nothing.allowed, nothing.reason, nothing.rule) == (False, "no rule allows", None)


def test_a_value_no_rule_names_is_answered_like_every_other_such_value() -> None:
    """The derivation asks Casbin about one unnamed value per column and answers for all:
    a tier no rule names is allowed only by "*" rows, exactly as Casbin decides it."""
    policy = PolicySource(
        MODEL_TEXT,
        (
            ("p", "vendor", "*", "*", "*", "*", "*", "*", "produced", "*", "*", "allow"),
            ("p", "vendor", "*", "*", "*", "*", "*", "PUBLIC", "*", "*", "*", "deny"),
        ),
        TIERS,
    )
    grants = Authorizer(policy).grants(
        ["vendor"], ack="signed", standing="party", affiliation="unaffiliated"
    )
    seen = {g[2] for g in grants.for_action("document:download")}
    assert seen == {"CONFIDENTIAL", "AEO", "SOURCE_CODE"}
    assert _check(policy, ["vendor"], [("signed", "party", "unaffiliated")], Authorizer(policy))
