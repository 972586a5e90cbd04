"""policies/ as files: bad input is refused by file and line; vocabulary and files agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gateway.authz.derive import Authorizer
from gateway.authz.policy import (
    PolicySource,
    Tier,
    build_enforcer,
    load_default_policy,
    parse_policy,
    parse_rules_csv,
    parse_tiers_csv,
)
from gateway.authz.vocabulary import (
    Ack,
    Action,
    Affiliation,
    Clearance,
    DefaultTier,
    Presented,
    Relation,
    Role,
    Standing,
    State,
)
from gateway.errors import Invalid

POLICIES = Path(__file__).resolve().parents[3] / "policies"
GOOD = "p, expert, signed, *, *, *, *, CONFIDENTIAL, produced, *, document:view, allow"


def _row(**changes: str) -> str:
    """GOOD with some columns changed (or dropped, with None)."""
    names = [
        "kind",
        "role",
        "ack",
        "standing",
        "affiliation",
        "relation",
        "clearance",
        "designation",
        "state",
        "presented",
        "action",
        "effect",
    ]
    values = dict(zip(names, [v.strip() for v in GOOD.split(",")], strict=True))
    values.update(changes)
    return ", ".join(v for v in values.values() if v != "DROP")


def _default_texts() -> dict[str, str]:
    return {
        "model_text": (POLICIES / "model.conf").read_text(encoding="utf-8"),
        "rules_text": (POLICIES / "default.csv").read_text(encoding="utf-8"),
        "tiers_text": (POLICIES / "tiers.csv").read_text(encoding="utf-8"),
    }


# --- bad rules ---------------------------------------------------------------------------

BAD_RULES = [
    (_row(role="spy"), "unknown role 'spy'"),
    (_row(action="document:print"), "unknown action"),
    (_row(state="shredded"), "unknown state"),
    (_row(relation="cousin"), "unknown relation"),
    (_row(ack="maybe"), "unknown ack"),
    (_row(clearance="pending"), "unknown clearance"),
    (_row(standing="bystander"), "unknown standing"),
    (_row(affiliation="friendly"), "unknown affiliation"),
    (_row(presented="mailed"), "unknown presented"),
    (_row(designation="SECRET"), "unknown designation"),
    (_row(effect="DROP"), "has 12 columns"),
    (GOOD + ", extra", "has 12 columns"),
    (_row(effect="permit"), "bad effect"),
    (_row(role="*"), "unknown role '*'"),
    (_row(standing="-"), "unknown standing"),
    (_row(relation="-"), "concerns a document"),
    (_row(role="auditor", state="-", action="audit:read_all"), "matter-level action"),
    ("g, expert", "has 3 columns"),
    ("g, expert, spy", "unknown role 'spy'"),
    ("g, expert, expert", "inherit from itself"),
    ("q, expert, vendor", "unknown rule type"),
    (GOOD, "duplicate of line 2"),
]


@pytest.mark.parametrize(("row", "why"), BAD_RULES)
def test_bad_rule_names_file_and_line(row: str, why: str) -> None:
    text = f"# rules\n{GOOD}\n\n{row}\n"
    with pytest.raises(Invalid) as caught:
        parse_rules_csv(text, source_name="matter-7.csv")
    assert caught.value.message.startswith("matter-7.csv, line 4: ")
    assert why in caught.value.message
    assert caught.value.details["file"] == "matter-7.csv"
    assert caught.value.details["line"] == 4


def test_inheritance_cycle_is_refused_where_it_closes() -> None:
    text = "g, expert, vendor\ng, vendor, witness\ng, witness, expert\n"
    with pytest.raises(Invalid, match=r"x.csv, line 3: .*cycle"):
        parse_rules_csv(text, source_name="x.csv")


def test_designation_must_be_one_of_the_matter_tiers() -> None:
    tiers = (Tier("PUBLIC", 0, ""), Tier("OCEO", 5, "OUTSIDE COUNSEL'S EYES ONLY"))
    row = _row(role="outside_counsel", designation="OCEO", ack="*", action="*")
    assert parse_rules_csv(row, source_name="x.csv", tiers=tiers)[0][7] == "OCEO"
    with pytest.raises(Invalid, match="unknown designation 'AEO'"):
        parse_rules_csv(row.replace("OCEO", "AEO"), source_name="x.csv", tiers=tiers)


# --- bad tiers ---------------------------------------------------------------------------

BAD_TIERS = [
    ("code,rank,legend\nPUBLIC,0,\nAEO,two,HIGHLY", 3, "whole number"),
    ("code,rank,legend\nPUBLIC,0,\nAEO,2", 3, "has 3 columns"),
    ("code,rank,legend\nPUBLIC,0,\nPUBLIC,1,", 3, "defined twice"),
    ("code,rank,legend\nPUBLIC,0,\nAEO,0,X", 3, "also PUBLIC's"),
    ("code,rank,legend\nPUBLIC,0,\nhighly confidential,2,X", 3, "upper case"),
    ("tier,rank,legend\nPUBLIC,0,", 1, "header"),
]


@pytest.mark.parametrize(("text", "line", "why"), BAD_TIERS)
def test_bad_tier_names_file_and_line(text: str, line: int, why: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_tiers_csv(text, source_name="tiers.csv")
    assert caught.value.message.startswith(f"tiers.csv, line {line}: ")
    assert why in caught.value.message


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("code,rank,legend\nCONFIDENTIAL,1,CONFIDENTIAL", "must include PUBLIC"),
        ("code,rank,legend\nPUBLIC,3,\nCONFIDENTIAL,1,CONFIDENTIAL", "lowest rank"),
    ],
)
def test_tier_set_must_start_from_public(text: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        parse_tiers_csv(text, source_name="tiers.csv")


# --- the model ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        (
            "e = some(where (p.eft == allow)) && !some(where (p.eft == deny))",
            "e = some(where (p.eft == allow))",
            "policy_effect",
        ),
        ("m = g(r.sub, p.sub) \\", "m = g(r.sub, p.sub) || eval(p.sub) \\", "eval"),
        ("m = g(r.sub, p.sub) \\", "m = r.sub == p.sub || g(r.sub, p.sub) \\", "matcher"),
        ("r = sub, ack,", "r = sub, acknowledgment,", "request_definition"),
    ],
)
def test_model_changes_the_derivation_cannot_trust_are_refused(
    old: str, new: str, why: str
) -> None:
    texts = _default_texts()
    assert old in texts["model_text"]
    texts["model_text"] = texts["model_text"].replace(old, new)
    with pytest.raises(Invalid, match=why):
        parse_policy(**texts, model_source="model.conf")


# --- the shipped files -------------------------------------------------------------------


def test_policies_ship_as_a_package() -> None:
    assert (POLICIES / "__init__.py").exists()
    assert {"model.conf", "default.csv", "tiers.csv", "README.md"} <= {
        p.name for p in POLICIES.iterdir()
    }
    assert load_default_policy().rules == parse_policy(**_default_texts()).rules


def test_default_tiers_are_the_default_designations() -> None:
    tiers = load_default_policy().tiers
    assert [(t.code, t.rank) for t in tiers] == [("PUBLIC", 0), ("CONFIDENTIAL", 1), ("AEO", 2)]
    assert {t.code for t in tiers} == set(DefaultTier)
    assert tiers[2].legend == "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY"
    assert tiers[0].legend == ""


def _column(index: int) -> set[str]:
    return {rule[index] for rule in load_default_policy().policy_rules}


def test_every_role_and_action_appears_in_the_policy() -> None:
    text = (POLICIES / "default.csv").read_text(encoding="utf-8")
    assert set(Role) <= _column(1)
    for value in [*Role, *Action]:
        assert f" {value}" in text, f"{value} is not in default.csv"
    # Rules may write "*" for every document action: each action must still be granted.
    authorizer = Authorizer(load_default_policy())
    granted: set[str] = set()
    for role in Role:
        grants = authorizer.grants(
            [role], ack=Ack.SIGNED, standing=Standing.PARTY, affiliation=Affiliation.UNAFFILIATED
        )
        granted |= grants.matter | {g[5] for g in grants.document}
    assert granted == set(Action)


def test_every_value_in_the_policy_is_in_the_vocabulary() -> None:
    tiers = {t.code for t in load_default_policy().tiers}
    columns = [Role, Ack, Standing, Affiliation, Relation, Clearance, tiers, State, Presented]
    extras = [set(), *[{"*"}] * 3, *[{"*", "-"}] * 5]
    for index, (allowed, extra) in enumerate(zip(columns, extras, strict=True), start=1):
        assert _column(index) <= {str(v) for v in allowed} | extra
    assert _column(10) <= {str(v) for v in Action} | {"*"}
    assert _column(11) == {"allow", "deny"}


def test_default_policy_has_the_bars_as_deny_rows() -> None:
    deny = {r[1:-1] for r in load_default_policy().policy_rules if r[-1] == "deny"}
    bar = ("*", "*", "affiliated", "other", "*", "AEO", "*", "*", "*")
    for role in ("outside_counsel", "counsel_staff", "party_employee", "expert", "vendor"):
        assert (role, *bar) in deny, f"the bar on a party's people misses {role}"
    assert ("house_counsel", "*", "*", "affiliated", "other", "not_cleared", "AEO") + (
        "*",
        "*",
        "*",
    ) in deny
    for role in ("outside_counsel", "party_employee", "expert", "vendor", "witness"):
        assert (role, "*", "non_party", "*", "other", "*", "*", "*", "*", "*") in deny
    assert ("witness", "*", "*", "*", "*", "*", "*", "*", "*", "document:download") in deny


# --- versions ----------------------------------------------------------------------------


def test_version_changes_when_a_rule_changes() -> None:
    policy = load_default_policy()
    rules = list(policy.rules)
    index = rules.index(
        (
            "p",
            "witness",
            "signed",
            "*",
            "*",
            "*",
            "*",
            "CONFIDENTIAL",
            "produced",
            "*",
            "document:view",
            "allow",
        )
    )
    rules[index] = (*rules[index][:2], "*", *rules[index][3:])
    changed = dataclasses.replace(policy, rules=tuple(rules))
    assert changed.version != policy.version
    assert len(policy.version) == 64


def test_version_changes_with_tiers_but_not_with_rule_order() -> None:
    policy = load_default_policy()
    reordered = dataclasses.replace(policy, rules=tuple(reversed(policy.rules)))
    assert reordered.version == policy.version
    more = (*policy.tiers, Tier("OCEO", 3, "OUTSIDE COUNSEL'S EYES ONLY"))
    assert dataclasses.replace(policy, tiers=more).version != policy.version


def test_version_is_stable_across_loads() -> None:
    assert load_default_policy().version == parse_policy(**_default_texts()).version


# --- a matter's own tier, no code change -------------------------------------------------


def test_a_matter_adds_a_tier_without_code_change() -> None:
    texts = _default_texts()
    texts["tiers_text"] += "OCEO,3,OUTSIDE COUNSEL'S EYES ONLY\n"
    texts["rules_text"] += "p, outside_counsel, *, *, *, *, *, OCEO, produced, *, *, allow\n"
    policy = parse_policy(**texts)
    authorizer = Authorizer(policy)
    facts = {"standing": "party", "affiliation": "unaffiliated"}
    document = {"relation": "other", "designation": "OCEO", "state": "produced"}
    counsel = authorizer.grants(["outside_counsel"], ack="unsigned", **facts)
    assert counsel.allows(
        **document, clearance="not_cleared", presented="not_presented", action="document:download"
    )
    expert = authorizer.grants(["expert"], ack="signed", **facts)
    assert not expert.allows(
        **document, clearance="cleared", presented="not_presented", action="document:list"
    ), "new tier leaked"


def test_build_enforcer_from_strings_tolerates_duplicate_rules() -> None:
    # pycasbin refuses a whole batch when one rule repeats; build_enforcer must not.
    court = ("p", "court", "*", "*", "*", "*", "*", "*", "produced", "*", "*", "allow")
    policy = PolicySource(
        model_text=_default_texts()["model_text"],
        rules=(court, court, ("g", "vendor", "court")),
        tiers=(Tier("PUBLIC", 0, ""),),
    )
    enforcer = build_enforcer(policy)
    request = ("unsigned", "party", "unaffiliated", "other", "cleared", "PUBLIC")
    assert enforcer.enforce("vendor", *request, "produced", "not_presented", "document:view")
    assert not enforcer.enforce("vendor", *request, "withdrawn", "not_presented", "document:view")
