"""The shipped rules against a table written by hand from the order's text (BRIEF §2).

Nothing here is computed by the code under test: the tables below are what the N.D. Cal.
model order says, and every cell is checked both ways (what a role may do, what stays hidden).
"""

from __future__ import annotations

import pytest

from gateway.authz.derive import Authorizer
from gateway.authz.policy import load_default_policy

LIST, VIEW, DOWNLOAD = "document:list", "document:view", "document:download"
DOCUMENT_ACTIONS = (LIST, VIEW, DOWNLOAD)
EVERY = {LIST, VIEW, DOWNLOAD}
ROLES = (
    "outside_counsel",
    "party_employee",
    "house_counsel",
    "expert",
    "court",
    "vendor",
    "witness",
    "auditor",
)
TIERS = ("PUBLIC", "CONFIDENTIAL", "AEO")
STATES = ("produced", "sequestered", "withdrawn", "replaced")
ACKS = ("signed", "unsigned")
DISCLOSURES = ("cleared", "not_cleared")

# Which tiers the order lets each role see, for a document the user neither produced nor
# wrote, received or kept (relation "other"): (role, Exhibit A, §7.4) -> tiers.
ALL = {"PUBLIC", "CONFIDENTIAL", "AEO"}
SEES: dict[tuple[str, str, str], set[str]] = {
    # ¶7.2(a), ¶7.3(a): no Exhibit A needed.
    ("outside_counsel", "signed", "cleared"): ALL,
    ("outside_counsel", "signed", "not_cleared"): ALL,
    ("outside_counsel", "unsigned", "cleared"): ALL,
    ("outside_counsel", "unsigned", "not_cleared"): ALL,
    # ¶7.2(b): CONFIDENTIAL with Exhibit A; never AEO.
    ("party_employee", "signed", "cleared"): {"PUBLIC", "CONFIDENTIAL"},
    ("party_employee", "signed", "not_cleared"): {"PUBLIC", "CONFIDENTIAL"},
    ("party_employee", "unsigned", "cleared"): {"PUBLIC"},
    ("party_employee", "unsigned", "not_cleared"): {"PUBLIC"},
    # ¶7.2(b) as in-house counsel; ¶7.3(b): AEO needs Exhibit A and §7.4.
    ("house_counsel", "signed", "cleared"): ALL,
    ("house_counsel", "signed", "not_cleared"): {"PUBLIC", "CONFIDENTIAL"},
    ("house_counsel", "unsigned", "cleared"): {"PUBLIC"},
    ("house_counsel", "unsigned", "not_cleared"): {"PUBLIC"},
    # ¶7.2(c): CONFIDENTIAL with Exhibit A; ¶7.3(c): AEO needs Exhibit A and §7.4.
    ("expert", "signed", "cleared"): ALL,
    ("expert", "signed", "not_cleared"): {"PUBLIC", "CONFIDENTIAL"},
    ("expert", "unsigned", "cleared"): {"PUBLIC"},
    ("expert", "unsigned", "not_cleared"): {"PUBLIC"},
    # ¶7.2(d), ¶7.3(d).
    ("court", "signed", "cleared"): ALL,
    ("court", "signed", "not_cleared"): ALL,
    ("court", "unsigned", "cleared"): ALL,
    ("court", "unsigned", "not_cleared"): ALL,
    # ¶7.2(e), ¶7.3(e): Exhibit A, no §7.4.
    ("vendor", "signed", "cleared"): ALL,
    ("vendor", "signed", "not_cleared"): ALL,
    ("vendor", "unsigned", "cleared"): {"PUBLIC"},
    ("vendor", "unsigned", "not_cleared"): {"PUBLIC"},
    # ¶7.2(f): CONFIDENTIAL with Exhibit A; ¶7.3 does not list witnesses.
    ("witness", "signed", "cleared"): {"PUBLIC", "CONFIDENTIAL"},
    ("witness", "signed", "not_cleared"): {"PUBLIC", "CONFIDENTIAL"},
    ("witness", "unsigned", "cleared"): {"PUBLIC"},
    ("witness", "unsigned", "not_cleared"): {"PUBLIC"},
    # The auditor sees logs, never documents.
    ("auditor", "signed", "cleared"): set(),
    ("auditor", "signed", "not_cleared"): set(),
    ("auditor", "unsigned", "cleared"): set(),
    ("auditor", "unsigned", "not_cleared"): set(),
}

# What the receiving side may do with a document it may see, by state: a clawed-back
# document (sequestered, withdrawn) is a slip in lists, never opened; the redacted
# replacement is served like a produced document.
RECEIVING: dict[str, set[str]] = {
    "produced": EVERY,
    "sequestered": {LIST},
    "withdrawn": {LIST},
    "replaced": EVERY,
}
# The court also opens sequestered documents: they are presented to it under seal.
COURT: dict[str, set[str]] = {
    "produced": EVERY,
    "sequestered": EVERY,
    "withdrawn": {LIST},
    "replaced": EVERY,
}


@pytest.fixture(scope="module")
def authorizer() -> Authorizer:
    return Authorizer(load_default_policy())


def _expected(role: str, ack: str, disclosure: str, designation: str, state: str) -> set[str]:
    if designation not in SEES[(role, ack, disclosure)]:
        return set()
    return (COURT if role == "court" else RECEIVING)[state]


def _sentence(role: str, ack: str, disclosure: str, verb: str, action: str, cell: str) -> str:
    return f"{role} ({ack}, {disclosure}) {verb} {action.split(':')[1]} {cell}"


@pytest.mark.parametrize("disclosure", DISCLOSURES)
@pytest.mark.parametrize("ack", ACKS)
@pytest.mark.parametrize("role", ROLES)
def test_relation_other_matches_the_order(
    authorizer: Authorizer, role: str, ack: str, disclosure: str
) -> None:
    grants = authorizer.grants([role], ack, disclosure)
    wrong = []
    for designation in TIERS:
        for state in STATES:
            expected = _expected(role, ack, disclosure, designation, state)
            for action in DOCUMENT_ACTIONS:
                allowed = grants.allows("other", designation, state, action)
                cell = f"a {state} {designation} document"
                if allowed and action not in expected:
                    wrong.append(_sentence(role, ack, disclosure, "must not", action, cell))
                if not allowed and action in expected:
                    wrong.append(_sentence(role, ack, disclosure, "should", action, cell))
    assert wrong == []


# --- hidden: the cases the order exists for ----------------------------------------------


@pytest.mark.parametrize("action", DOCUMENT_ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_party_employee_signed_must_not_list_view_or_download_aeo(
    authorizer: Authorizer, state: str, action: str
) -> None:
    for disclosure in DISCLOSURES:
        grants = authorizer.grants(["party_employee"], "signed", disclosure)
        assert not grants.allows("other", "AEO", state, action), "AEO leaked to a party employee"


def test_declarant_key_stays_hidden_even_when_another_role_is_added(
    authorizer: Authorizer,
) -> None:
    # Plaintiffs' key to the 67 declarants (AEO): no officer or employee of Defendants may
    # see it, whatever else they are; Defendants' outside counsel may.
    employee = authorizer.grants(["party_employee", "outside_counsel"], "signed", "cleared")
    assert not employee.allows("other", "AEO", "produced", VIEW), "deny must override"
    assert not employee.allows("other", "AEO", "produced", LIST)
    counsel = authorizer.grants(["outside_counsel"], "unsigned", "not_cleared")
    assert counsel.allows("other", "AEO", "produced", DOWNLOAD)


def test_deny_rule_is_named_for_the_audit(authorizer: Authorizer) -> None:
    decision = authorizer.explain(
        ["party_employee"], "signed", "cleared", "other", "AEO", "produced", LIST
    )
    assert not decision.allowed
    assert decision.reason == "denied by rule"
    assert decision.rule == ("p", "party_employee", "*", "*", "other", "AEO", "*", "*", "deny")


@pytest.mark.parametrize("relation", ("producer", "named", "other"))
def test_auditor_must_not_see_any_document(authorizer: Authorizer, relation: str) -> None:
    for ack in ACKS:
        for disclosure in DISCLOSURES:
            grants = authorizer.grants(["auditor"], ack, disclosure)
            assert grants.document == frozenset(), "the auditor sees logs, not documents"
            assert not grants.allows(relation, "PUBLIC", "produced", LIST)


@pytest.mark.parametrize("role", ("expert", "house_counsel"))
def test_signed_but_not_cleared_must_not_view_aeo(authorizer: Authorizer, role: str) -> None:
    grants = authorizer.grants([role], "signed", "not_cleared")
    for action in DOCUMENT_ACTIONS:
        assert not grants.allows("other", "AEO", "produced", action)
    assert grants.allows("other", "CONFIDENTIAL", "produced", VIEW)


@pytest.mark.parametrize("role", ("expert", "house_counsel"))
def test_cleared_but_unsigned_must_not_view_aeo(authorizer: Authorizer, role: str) -> None:
    grants = authorizer.grants([role], "unsigned", "cleared")
    assert not grants.allows("other", "AEO", "produced", VIEW)
    assert not grants.allows("other", "CONFIDENTIAL", "produced", VIEW)


def test_expert_not_cleared_reason_is_deny_by_default(authorizer: Authorizer) -> None:
    decision = authorizer.explain(
        ["expert"], "signed", "not_cleared", "other", "AEO", "produced", VIEW
    )
    assert decision == decision.__class__(False, "no rule allows", None)


# --- the producing party's own team ------------------------------------------------------


@pytest.mark.parametrize("role", ("outside_counsel", "party_employee", "house_counsel"))
def test_producing_team_keeps_everything_it_produced(authorizer: Authorizer, role: str) -> None:
    # It must preserve clawed-back originals (FRCP 26(b)(5)(B)), AEO included.
    grants = authorizer.grants([role], "unsigned", "not_cleared")
    for designation in TIERS:
        for state in STATES:
            for action in DOCUMENT_ACTIONS:
                assert grants.allows("producer", designation, state, action), (
                    f"{role} lost {action} on its own {state} {designation} document"
                )


def test_receiving_counsel_cannot_open_sequestered_or_withdrawn(authorizer: Authorizer) -> None:
    grants = authorizer.grants(["outside_counsel"], "signed", "cleared")
    for state in ("sequestered", "withdrawn"):
        assert grants.allows("other", "AEO", state, LIST), "the slip stays in the list"
        assert not grants.allows("other", "AEO", state, VIEW)
        assert not grants.allows("other", "AEO", state, DOWNLOAD)


# --- author, recipient, custodian (¶7.2(g), ¶7.3(f)) ------------------------------------


@pytest.mark.parametrize("role", ("party_employee", "house_counsel", "expert", "vendor", "witness"))
def test_named_person_sees_any_tier_without_exhibit_a(authorizer: Authorizer, role: str) -> None:
    grants = authorizer.grants([role], "unsigned", "not_cleared")
    for designation in TIERS:
        for state, allowed in RECEIVING.items():
            for action in DOCUMENT_ACTIONS:
                assert grants.allows("named", designation, state, action) == (action in allowed), (
                    f"{role} named: {action} {state} {designation}"
                )


def test_named_auditor_still_sees_nothing(authorizer: Authorizer) -> None:
    grants = authorizer.grants(["auditor"], "signed", "cleared")
    assert not grants.allows("named", "CONFIDENTIAL", "produced", VIEW)


# --- matter-level actions ----------------------------------------------------------------

MATTER: dict[str, set[str]] = {
    "outside_counsel": {"audit:read_side", "production:upload", "acknowledgment:sign"},
    "party_employee": {"acknowledgment:sign"},
    "house_counsel": {"acknowledgment:sign"},
    "expert": {"acknowledgment:sign"},
    "court": {"acknowledgment:sign"},
    "vendor": {"acknowledgment:sign"},
    "witness": {"acknowledgment:sign"},
    "auditor": {"audit:read_all", "acknowledgment:sign"},
}


@pytest.mark.parametrize("role", ROLES)
def test_matter_actions(authorizer: Authorizer, role: str) -> None:
    for ack in ACKS:
        for disclosure in DISCLOSURES:
            grants = authorizer.grants([role], ack, disclosure)
            assert set(grants.matter) == MATTER[role]
            for action in MATTER[role]:
                assert grants.allows("-", "-", "-", action)


def test_only_the_auditor_reads_every_side(authorizer: Authorizer) -> None:
    readers = [
        r
        for r in ROLES
        if authorizer.grants([r], "signed", "cleared").allows_matter("audit:read_all")
    ]
    assert readers == ["auditor"]


# --- Exhibit A prompts -------------------------------------------------------------------

NEEDS_EXHIBIT_A = {
    "outside_counsel": False,
    "party_employee": True,
    "house_counsel": True,
    "expert": True,
    "court": False,
    "vendor": True,
    "witness": True,
    "auditor": False,
}


@pytest.mark.parametrize("role", ROLES)
def test_requires_acknowledgment(authorizer: Authorizer, role: str) -> None:
    for disclosure in DISCLOSURES:
        assert authorizer.requires_acknowledgment([role], disclosure) is NEEDS_EXHIBIT_A[role]
