"""The shipped rules against a table written by hand from the order's text (BRIEF §2).

Nothing here is computed by the code under test: the tables below are what the N.D. Cal.
model order says, and every cell is checked both ways (what a role may do, what stays hidden).
A request is about the person (Exhibit A, standing, affiliation) and about the document as
the person stands to it (relation, §7.4 clearance by its designating party, tier, state,
presented to the court).
"""

from __future__ import annotations

import pytest

from gateway.authz.derive import Authorizer, Grants
from gateway.authz.policy import load_default_policy

LIST, VIEW, DOWNLOAD = "document:list", "document:view", "document:download"
RENDER, NATIVE = "document:render", "document:download_native"
DOCUMENT_ACTIONS = (LIST, VIEW, DOWNLOAD, RENDER, NATIVE)
EVERY = {LIST, VIEW, DOWNLOAD, RENDER, NATIVE}
ROLES = (
    "outside_counsel",
    "counsel_staff",
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
CLEARANCES = ("cleared", "not_cleared")
# The roles that are officers or employees of their party by definition; everyone else is
# checked as a person of no party and, separately, as one recorded as a party's employee.
EMPLOYEES = {"party_employee", "house_counsel"}

# Which tiers the order lets each role see, for a document the user neither produced,
# designated, nor wrote, received or kept (relation "other"), for a person acting for a
# party: (role, Exhibit A, §7.4 clearance by the document's designating party) -> tiers.
ALL = {"PUBLIC", "CONFIDENTIAL", "AEO"}
SEES: dict[tuple[str, str, str], set[str]] = {
    # ¶7.2(a), ¶7.3(a): no Exhibit A needed.
    ("outside_counsel", "signed", "cleared"): ALL,
    ("outside_counsel", "signed", "not_cleared"): ALL,
    ("outside_counsel", "unsigned", "cleared"): ALL,
    ("outside_counsel", "unsigned", "not_cleared"): ALL,
    # ¶7.2(a): their staff, once each signed Exhibit A.
    ("counsel_staff", "signed", "cleared"): ALL,
    ("counsel_staff", "signed", "not_cleared"): ALL,
    ("counsel_staff", "unsigned", "cleared"): {"PUBLIC"},
    ("counsel_staff", "unsigned", "not_cleared"): {"PUBLIC"},
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
# document (sequestered, withdrawn) is a slip in lists, never opened; an original replaced by
# a redacted version is a slip too (the version, produced, is what the receiving side gets).
RECEIVING: dict[str, set[str]] = {
    "produced": EVERY,
    "sequestered": {LIST},
    "withdrawn": {LIST},
    "replaced": {LIST},
}
# A deposition witness is shown documents (their pages as watermarked images) and keeps no
# copy, not even of a native (¶7.2(f)).
WITNESS: dict[str, set[str]] = {
    "produced": {LIST, VIEW, RENDER},
    "sequestered": {LIST},
    "withdrawn": {LIST},
    "replaced": {LIST},
}
# The court opens a sequestered document only once it was presented or lodged with it
# under seal (FRCP 26(b)(5)(B)): (state, presented) -> actions.
COURT: dict[tuple[str, str], set[str]] = {
    ("produced", "not_presented"): EVERY,
    ("produced", "presented"): EVERY,
    ("sequestered", "not_presented"): {LIST},
    ("sequestered", "presented"): EVERY,
    ("withdrawn", "not_presented"): {LIST},
    ("withdrawn", "presented"): {LIST},
    ("replaced", "not_presented"): EVERY,
    ("replaced", "presented"): EVERY,
}


def grants(
    authorizer: Authorizer,
    roles: list[str],
    ack: str,
    *,
    standing: str = "party",
    affiliation: str = "unaffiliated",
) -> Grants:
    return authorizer.grants(roles, ack=ack, standing=standing, affiliation=affiliation)


def allows(
    found: Grants,
    relation: str,
    designation: str,
    state: str,
    action: str,
    *,
    clearance: str = "not_cleared",
    presented: str = "not_presented",
) -> bool:
    return found.allows(
        relation=relation,
        clearance=clearance,
        designation=designation,
        state=state,
        presented=presented,
        action=action,
    )


@pytest.fixture(scope="module")
def authorizer() -> Authorizer:
    return Authorizer(load_default_policy())


def _expected(
    role: str, ack: str, clearance: str, designation: str, state: str, presented: str
) -> set[str]:
    if designation not in SEES[(role, ack, clearance)]:
        return set()
    if role == "court":
        return COURT[(state, presented)]
    return (WITNESS if role == "witness" else RECEIVING)[state]


def _sentence(role: str, facts: str, verb: str, action: str, cell: str) -> str:
    return f"{role} ({facts}) {verb} {action.split(':')[1]} {cell}"


@pytest.mark.parametrize("clearance", CLEARANCES)
@pytest.mark.parametrize("ack", ACKS)
@pytest.mark.parametrize("role", ROLES)
def test_relation_other_matches_the_order(
    authorizer: Authorizer, role: str, ack: str, clearance: str
) -> None:
    affiliation = "affiliated" if role in EMPLOYEES else "unaffiliated"
    found = grants(authorizer, [role], ack, affiliation=affiliation)
    wrong = []
    for designation in TIERS:
        for state in STATES:
            for presented in ("presented", "not_presented"):
                expected = _expected(role, ack, clearance, designation, state, presented)
                for action in DOCUMENT_ACTIONS:
                    allowed = allows(
                        found,
                        "other",
                        designation,
                        state,
                        action,
                        clearance=clearance,
                        presented=presented,
                    )
                    cell = f"a {state} ({presented}) {designation} document"
                    facts = f"{ack}, {clearance}"
                    if allowed and action not in expected:
                        wrong.append(_sentence(role, facts, "must not", action, cell))
                    if not allowed and action in expected:
                        wrong.append(_sentence(role, facts, "should", action, cell))
    assert wrong == []


# --- hidden: the cases the order exists for ----------------------------------------------


@pytest.mark.parametrize("action", DOCUMENT_ACTIONS)
@pytest.mark.parametrize("state", STATES)
def test_party_employee_signed_must_not_list_view_or_download_aeo(
    authorizer: Authorizer, state: str, action: str
) -> None:
    found = grants(authorizer, ["party_employee"], "signed", affiliation="affiliated")
    for clearance in CLEARANCES:
        assert not allows(found, "other", "AEO", state, action, clearance=clearance), (
            "AEO leaked to a party employee"
        )


@pytest.mark.parametrize("role", ["outside_counsel", "counsel_staff", "expert", "vendor"])
def test_a_party_employee_enrolled_under_another_role_is_still_barred_from_aeo(
    authorizer: Authorizer, role: str
) -> None:
    # the bar binds the person (¶7.3): an employee of Defendants enrolled as expert, vendor
    # or even counsel never sees Plaintiffs' AEO; the same role unaffiliated does
    barred = grants(authorizer, [role], "signed", affiliation="affiliated")
    free = grants(authorizer, [role], "signed", affiliation="unaffiliated")
    for action in DOCUMENT_ACTIONS:
        assert not allows(barred, "other", "AEO", "produced", action, clearance="cleared")
        assert allows(free, "other", "AEO", "produced", action, clearance="cleared")
    # CONFIDENTIAL is not barred; their own and their named documents are not "another's"
    assert allows(barred, "other", "CONFIDENTIAL", "produced", VIEW)


def test_witness_affiliated_sees_no_aeo_and_never_downloads(authorizer: Authorizer) -> None:
    found = grants(authorizer, ["witness", "party_employee"], "signed", affiliation="affiliated")
    assert not allows(found, "other", "AEO", "produced", VIEW)
    # "witnesses shall not retain a copy": not even of their own party's documents
    assert allows(found, "producer", "AEO", "produced", VIEW)
    assert allows(found, "producer", "AEO", "produced", RENDER)
    assert not allows(found, "producer", "AEO", "produced", DOWNLOAD)
    assert not allows(found, "producer", "AEO", "produced", NATIVE)


def test_cleared_house_counsel_is_the_one_exception_and_only_per_designating_party(
    authorizer: Authorizer,
) -> None:
    found = grants(authorizer, ["house_counsel"], "signed", affiliation="affiliated")
    assert allows(found, "other", "AEO", "produced", DOWNLOAD, clearance="cleared")
    # cleared by one designating party is not cleared for another's AEO
    assert not allows(found, "other", "AEO", "produced", VIEW, clearance="not_cleared")
    # holding party_employee as well lifts nothing: deny overrides
    both = grants(
        authorizer, ["house_counsel", "party_employee"], "signed", affiliation="affiliated"
    )
    assert not allows(both, "other", "AEO", "produced", VIEW, clearance="cleared")


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("court", "auditor")])
def test_non_party_sees_only_what_it_produced_or_designated(
    authorizer: Authorizer, role: str
) -> None:
    # a non-party producing under the order is not a Receiving Party (¶2, ¶7.1)
    found = grants(authorizer, [role], "signed", standing="non_party")
    for designation in TIERS:
        for action in DOCUMENT_ACTIONS:
            assert not allows(found, "other", designation, "produced", action), (
                f"a non-party's {role} reached another's {designation}"
            )
    if role in ("outside_counsel", "party_employee", "house_counsel"):
        assert allows(found, "producer", "AEO", "produced", DOWNLOAD)
        assert allows(found, "designator", "AEO", "produced", DOWNLOAD)


def test_declarant_key_stays_hidden_even_when_another_role_is_added(
    authorizer: Authorizer,
) -> None:
    # Plaintiffs' key to the 67 declarants (AEO): no officer or employee of Defendants may
    # see it, whatever else they are; Defendants' outside counsel may.
    employee = grants(
        authorizer, ["party_employee", "outside_counsel"], "signed", affiliation="affiliated"
    )
    assert not allows(employee, "other", "AEO", "produced", VIEW), "deny must override"
    assert not allows(employee, "other", "AEO", "produced", LIST)
    counsel = grants(authorizer, ["outside_counsel"], "unsigned")
    assert allows(counsel, "other", "AEO", "produced", DOWNLOAD)


def test_deny_rule_is_named_for_the_audit(authorizer: Authorizer) -> None:
    decision = authorizer.explain(
        ["party_employee"],
        (
            "signed",
            "party",
            "affiliated",
            "other",
            "cleared",
            "AEO",
            "produced",
            "not_presented",
            LIST,
        ),
    )
    assert not decision.allowed
    assert decision.reason == "denied by rule"
    assert decision.rule == (
        "p",
        "party_employee",
        "*",
        "*",
        "affiliated",
        "other",
        "*",
        "AEO",
        "*",
        "*",
        "*",
        "deny",
    )


@pytest.mark.parametrize("relation", ("producer", "designator", "named", "other"))
def test_auditor_must_not_see_any_document(authorizer: Authorizer, relation: str) -> None:
    for ack in ACKS:
        for standing in ("party", "non_party", "neutral"):
            found = grants(authorizer, ["auditor"], ack, standing=standing)
            assert found.document == frozenset(), "the auditor sees logs, not documents"
            assert not allows(found, relation, "PUBLIC", "produced", LIST)


@pytest.mark.parametrize("role", ("expert", "house_counsel"))
def test_signed_but_not_cleared_must_not_view_aeo(authorizer: Authorizer, role: str) -> None:
    found = grants(authorizer, [role], "signed")
    for action in DOCUMENT_ACTIONS:
        assert not allows(found, "other", "AEO", "produced", action)
    assert allows(found, "other", "CONFIDENTIAL", "produced", VIEW)


@pytest.mark.parametrize("role", ("expert", "house_counsel"))
def test_cleared_but_unsigned_must_not_view_aeo(authorizer: Authorizer, role: str) -> None:
    found = grants(authorizer, [role], "unsigned")
    assert not allows(found, "other", "AEO", "produced", VIEW, clearance="cleared")
    assert not allows(found, "other", "CONFIDENTIAL", "produced", VIEW, clearance="cleared")


def test_expert_not_cleared_reason_is_deny_by_default(authorizer: Authorizer) -> None:
    decision = authorizer.explain(
        ["expert"],
        (
            "signed",
            "party",
            "unaffiliated",
            "other",
            "not_cleared",
            "AEO",
            "produced",
            "not_presented",
            VIEW,
        ),
    )
    assert decision == decision.__class__(False, "no rule allows", None)


def test_counsel_staff_unsigned_sees_no_designated_material(authorizer: Authorizer) -> None:
    found = grants(authorizer, ["counsel_staff"], "unsigned")
    for designation in ("CONFIDENTIAL", "AEO"):
        for action in DOCUMENT_ACTIONS:
            assert not allows(found, "other", designation, "produced", action)
            # not even their own side's (counsel's staff sign before anything designated)
            assert not allows(found, "producer", designation, "produced", action)
    assert allows(found, "other", "PUBLIC", "produced", DOWNLOAD)


# --- the producing (or designating) party's own team -----------------------------------


@pytest.mark.parametrize("relation", ("producer", "designator"))
@pytest.mark.parametrize("role", ("outside_counsel", "party_employee", "house_counsel"))
def test_producing_team_keeps_everything_it_produced(
    authorizer: Authorizer, role: str, relation: str
) -> None:
    # It must preserve clawed-back originals (FRCP 26(b)(5)(B)), AEO included.
    affiliation = "affiliated" if role in EMPLOYEES else "unaffiliated"
    found = grants(authorizer, [role], "unsigned", affiliation=affiliation)
    for designation in TIERS:
        for state in STATES:
            for action in DOCUMENT_ACTIONS:
                assert allows(found, relation, designation, state, action), (
                    f"{role} lost {action} on its own {state} {designation} document"
                )


def test_receiving_counsel_cannot_open_sequestered_or_withdrawn(authorizer: Authorizer) -> None:
    found = grants(authorizer, ["outside_counsel"], "signed")
    for state in ("sequestered", "withdrawn"):
        for presented in ("presented", "not_presented"):
            assert allows(found, "other", "AEO", state, LIST, presented=presented)
            assert not allows(found, "other", "AEO", state, VIEW, presented=presented)
            assert not allows(found, "other", "AEO", state, DOWNLOAD, presented=presented)


# --- author, recipient, custodian (¶7.2(g), ¶7.3(f)) ------------------------------------


@pytest.mark.parametrize(
    "role", ("counsel_staff", "party_employee", "house_counsel", "expert", "vendor", "witness")
)
def test_named_person_sees_any_tier_without_exhibit_a(authorizer: Authorizer, role: str) -> None:
    affiliation = "affiliated" if role in EMPLOYEES else "unaffiliated"
    found = grants(authorizer, [role], "unsigned", affiliation=affiliation)
    table = WITNESS if role == "witness" else RECEIVING
    for designation in TIERS:
        for state, permitted in table.items():
            for action in DOCUMENT_ACTIONS:
                assert allows(found, "named", designation, state, action) == (
                    action in permitted
                ), f"{role} named: {action} {state} {designation}"


def test_named_auditor_still_sees_nothing(authorizer: Authorizer) -> None:
    found = grants(authorizer, ["auditor"], "signed")
    assert not allows(found, "named", "CONFIDENTIAL", "produced", VIEW, clearance="cleared")


# --- matter-level actions ----------------------------------------------------------------

MATTER: dict[str, set[str]] = {
    "outside_counsel": {
        "audit:read_side",
        "production:upload",
        "designation:change",
        "clawback:notice",
        "clawback:present",
        "certification:sign",
        "version:supply",
        "redaction:read",
        "filing:record",
        "privilege_log:read",
        "acknowledgment:sign",
    },
    "counsel_staff": {"acknowledgment:sign"},
    "party_employee": {"acknowledgment:sign"},
    "house_counsel": {"acknowledgment:sign"},
    "expert": {"acknowledgment:sign"},
    "court": {
        "clawback:rule",
        "filing:record",
        "redaction:read",
        "privilege_log:read",
        "acknowledgment:sign",
    },
    "vendor": {"acknowledgment:sign"},
    "witness": {"acknowledgment:sign"},
    "auditor": {"audit:read_all", "audit:trace", "acknowledgment:sign"},
}


SIGNED_LOG_READERS = {"counsel_staff", "party_employee", "house_counsel"}


@pytest.mark.parametrize("role", ROLES)
def test_matter_actions(authorizer: Authorizer, role: str) -> None:
    for ack in ACKS:
        for affiliation in ("affiliated", "unaffiliated"):
            found = grants(authorizer, [role], ack, affiliation=affiliation)
            # counsel's staff supply redacted versions (and read the redaction log) once
            # they signed Exhibit A
            staff = (role, ack) == ("counsel_staff", "signed")
            signed_staff = {"version:supply", "redaction:read"} if staff else set()
            # a party's people read the privilege log once they signed Exhibit A
            reads_log = ack == "signed" and role in SIGNED_LOG_READERS
            signed_log = {"privilege_log:read"} if reads_log else set()
            assert set(found.matter) == MATTER[role] | signed_staff | signed_log


def test_only_the_auditor_reads_every_side(authorizer: Authorizer) -> None:
    readers = [
        r for r in ROLES if grants(authorizer, [r], "signed").allows_matter("audit:read_all")
    ]
    assert readers == ["auditor"]


# --- Exhibit A prompts -------------------------------------------------------------------

NEEDS_EXHIBIT_A = {
    "outside_counsel": False,
    "counsel_staff": True,
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
    for affiliation in ("affiliated", "unaffiliated"):
        assert (
            authorizer.requires_acknowledgment([role], standing="party", affiliation=affiliation)
            is NEEDS_EXHIBIT_A[role]
        )
