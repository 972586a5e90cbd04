"""Each matter carries its own order: the reference matter's OCEO tier, changing a variant
(validated, audited, versioned, effective at the next request), and what no variant may do.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.accounts import service as accounts
from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.cli import main
from gateway.demo import CASE_NUMBER, DEMO_PASSWORD, reference_rules_text
from gateway.errors import Conflict, Invalid
from gateway.matters import order_policy
from gateway.matters.models import CasbinRule, MatterPolicy
from gateway.matters.order_store import tiers_text
from tests import factories
from tests.factories import DEFENDANTS, PLAINTIFFS
from tests.helpers import (
    BASE,
    SAME_ORIGIN,
    all_bates,
    api_get,
    csrf_token,
    token_for,
    web_login,
)

KEY = "AOL-PLTF-00000001"
EX18 = "AOL-DEF-00528691"
OPERATOR = Actor.command_line("test-operator")


def _state(rt):
    with rt.db.session() as session:
        rules = session.scalar(select(func.count(CasbinRule.id)))
        revision = session.scalar(select(MatterPolicy.revision))
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    return rules, revision, entries


def _denials(rt):
    with rt.db.session() as session:
        return session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == "policy:change", AuditEntry.outcome == "denied"
            )
        ).all()


# --- the reference matter's own tier ------------------------------------------------------


def test_the_declarant_key_is_outside_counsel_eyes_only(client, demo, rt):
    view = order_policy.describe(rt, demo)
    assert view.variant and "OCEO" in view.policy.designations
    assert {t.code for t in view.tiers_added} == {"OCEO"}
    # who may see it: Defendants' outside counsel and their signed staff, the court, and the
    # party that produced it
    factories.person(rt, demo, "para@defendants.example", "counsel_staff", party=DEFENDANTS)
    factories.sign_exhibit_a(rt, demo, "para@defendants.example", "Para Legal")
    for email in (
        "counsel@defendants.example",
        "para@defendants.example",
        "court@casd.example",
        "counsel@plaintiffs.example",
        "staff@alotrolado.example",
    ):
        assert KEY in all_bates(client, token_for(client, email), demo), email
    # who never may: Defendants' cleared house counsel, any expert, vendors, and Defendants'
    # employee even as the key's custodian
    factories.person(
        rt,
        demo,
        "hc@cbp.example",
        "house_counsel",
        party=DEFENDANTS,
        cleared_by=(PLAINTIFFS,),
        signed=True,
    )
    factories.person(
        rt,
        demo,
        "ex@lab.example",
        "expert",
        party=DEFENDANTS,
        cleared_by=(PLAINTIFFS,),
        signed=True,
    )
    factories.person(rt, demo, "v@reporters.example", "vendor", party=DEFENDANTS, signed=True)
    for email in ("hc@cbp.example", "ex@lab.example", "v@reporters.example"):
        token = token_for(client, email)
        assert KEY not in all_bates(client, token, demo), f"OCEO leaked to {email}"
        response = api_get(client, token, f"/matters/{demo}/documents/{KEY}/content")
        assert response.status_code == 404 and b"%PDF" not in response.data
    # the cleared house counsel still sees Plaintiffs' AEO-and-below as the model order allows
    hc = token_for(client, "hc@cbp.example")
    assert "AOL-PLTF-00000004" in all_bates(client, hc, demo)


def test_the_variant_is_shown_on_its_page(client, demo):
    web_login(client, "counsel@defendants.example")
    page = client.get(f"{BASE}/matters/{demo}/policy")
    assert page.status_code == 200
    assert b"its own order" in page.data and b"OCEO" in page.data
    assert b"OUTSIDE COUNSEL&#39;S EYES ONLY" in page.data
    assert b"Change this matter" not in page.data, "only the operator edits"


def test_a_stranger_cannot_read_a_matters_rules(client, demo, rt):
    accounts.create_user(
        rt, OPERATOR, email="nobody@else.example", full_name="No Body", password=DEMO_PASSWORD
    )
    web_login(client, "nobody@else.example")
    assert client.get(f"{BASE}/matters/{demo}/policy").status_code == 404


# --- changing a matter's rules --------------------------------------------------------


def test_a_change_holds_at_the_next_request_and_is_audited(client, demo, rt):
    counsel = token_for(client, "counsel@plaintiffs.example")
    assert EX18 in all_bates(client, counsel, demo)
    rules, revision, _ = _state(rt)
    tiers = tiers_text(order_policy.describe(rt, demo).policy)
    view = order_policy.set_variant(
        rt,
        OPERATOR,
        demo,
        rules_text=factories.rules_without_counsel_aeo(),
        tiers_text_=tiers,
        reason="Dkt. 999",
    )
    assert view.revision == revision + 1
    assert EX18 not in all_bates(client, counsel, demo)
    assert api_get(client, counsel, f"/matters/{demo}/documents/{EX18}").status_code == 404
    # another runtime on the same database (another worker) sees the same at once
    from gateway.runtime import Runtime

    with Runtime(rt.settings, clock=rt.clock, keyring=rt.keyring) as other:
        with other.db.session() as session:
            assert other.policies.for_matter(session, demo).revision == revision + 1
    with rt.db.session() as session:
        (entry,) = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tag == "policy:change", AuditEntry.outcome == "allowed")
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        ).all()
    assert entry.reason == "Dkt. 999"
    assert view.version in entry.details
    # and back to the default: the OCEO documents keep the matter from dropping its tier
    with pytest.raises(Invalid, match="tier OCEO is the designation of 1 document"):
        order_policy.reset_variant(rt, OPERATOR, demo, reason="back to the model order")


BAD_VARIANTS = [
    ("p, spy, *, *, *, *, *, *, *, *, *, allow", "rules, line 1: unknown role 'spy'"),
    ("p, expert, *, *, *, *, *, SECRET, *, *, *, allow", "unknown designation 'SECRET'"),
    ("p, auditor, *, *, *, *, *, PUBLIC, *, *, *, allow", "the auditor may never"),
    ("g, auditor, court", "the auditor may never"),
    (
        "p, party_employee, *, *, *, *, *, *, produced, *, document:view, allow",
        "party_employee: a party's officer or employee would reach another party's OCEO",
    ),
    (
        "p, outside_counsel, *, *, *, -, -, -, -, -, audit:read_all, allow",
        "outside_counsel may never be granted audit:read_all",
    ),
    (
        "p, auditor, *, *, *, -, -, -, -, -, clawback:present, allow",
        "auditor may never be granted clawback:present",
    ),
    # the original a ruling withheld in part is the producing party's and the court's only
    (
        "p, outside_counsel, *, *, *, *, *, AEO, replaced, *, document:download, allow",
        "outside_counsel: only the producing or designating party and the court may open",
    ),
]


def test_a_rule_naming_the_tier_elsewhere_cannot_carry_a_leak_through_a_wildcard(rt, demo):
    # a harmless-looking rule that names OCEO for the employee's own documents, with the
    # employee's CONFIDENTIAL rows widened to every tier and their bars dropped
    lines = []
    for line in reference_rules_text().splitlines():
        if line.startswith("p, party_employee") and line.rstrip().endswith("deny"):
            continue
        if line.startswith("p, party_employee, signed") and "CONFIDENTIAL" in line:
            line = line.replace("CONFIDENTIAL", "*")
        lines.append(line)
    lines.append("p, party_employee, *, *, *, producer, *, OCEO, *, *, *, allow")
    tiers = tiers_text(order_policy.describe(rt, demo).policy)
    before = _state(rt)[:2]
    with pytest.raises(Invalid, match="party_employee: a party's officer or employee"):
        order_policy.set_variant(
            rt, OPERATOR, demo, rules_text="\n".join(lines), tiers_text_=tiers, reason="x"
        )
    assert _state(rt)[:2] == before


@pytest.mark.parametrize(("extra", "why"), BAD_VARIANTS)
def test_a_variant_the_order_cannot_mean_is_refused_and_changes_nothing(rt, demo, extra, why):
    base = reference_rules_text()
    if "OCEO" in why:
        # without the variant's bars: a wildcard rule then reaches the matter's top tier
        base = "\n".join(line for line in base.splitlines() if "OCEO" not in line)
    rules = f"{extra}\n{base}" if "line 1" in why else f"{base}\n{extra}\n"
    tiers = tiers_text(order_policy.describe(rt, demo).policy)
    before_rules, before_revision, _ = _state(rt)
    with pytest.raises(Invalid) as refused:
        order_policy.set_variant(
            rt, OPERATOR, demo, rules_text=rules, tiers_text_=tiers, reason="x"
        )
    assert why in refused.value.message
    assert _state(rt)[:2] == (before_rules, before_revision)
    assert _denials(rt)[-1].startswith(refused.value.message[:50])


def test_the_same_rules_again_or_no_reason_are_refused(rt, demo):
    tiers = tiers_text(order_policy.describe(rt, demo).policy)
    with pytest.raises(Conflict, match="already follows"):
        order_policy.set_variant(
            rt, OPERATOR, demo, rules_text=reference_rules_text(), tiers_text_=tiers, reason="x"
        )
    with pytest.raises(Invalid, match="reason"):
        order_policy.set_variant(
            rt,
            OPERATOR,
            demo,
            rules_text=factories.rules_without_counsel_aeo(),
            tiers_text_=tiers,
            reason=" ",
        )
    assert len(_denials(rt)) == 2


def test_a_matter_with_no_variant_follows_the_default(rt, demo):
    from datetime import date

    from gateway.matters import service as matters

    other = matters.create_matter(
        rt,
        OPERATOR,
        caption="Other v. Case",
        case_number="1:23-cv-2",
        court="Court",
        court_timezone="America/New_York",
        order_title="Order",
        order_date=date(2023, 1, 1),
        order_docket="1",
        forum_state="New York",
    )
    view = order_policy.describe(rt, other.id)
    assert not view.variant and view.revision == 0
    assert view.policy.version == rt.policy.version and "OCEO" not in view.policy.designations


def test_the_operator_changes_rules_from_the_page_and_nobody_else(client, demo, rt):
    tiers = tiers_text(order_policy.describe(rt, demo).policy)
    form = {
        "rules_text": factories.rules_without_counsel_aeo(),
        "tiers_text": tiers,
        "reason": "Dkt. 500",
    }
    web_login(client, "counsel@defendants.example")
    refused = client.post(
        f"{BASE}/matters/{demo}/policy",
        headers=SAME_ORIGIN,
        data={**form, "csrf_token": csrf_token(client, f"{BASE}/matters/{demo}/policy")},
    )
    assert refused.status_code == 403
    assert order_policy.describe(rt, demo).revision == 1
    client.post(
        f"{BASE}/logout",
        headers=SAME_ORIGIN,
        data={"csrf_token": csrf_token(client, f"{BASE}/matters")},
    )
    web_login(client, "admin@gateway.example")
    page = f"{BASE}/matters/{demo}/policy"
    bad = client.post(
        page,
        headers=SAME_ORIGIN,
        data={**form, "rules_text": "p, spy", "csrf_token": csrf_token(client, page)},
    )
    assert bad.status_code == 422 and b"rules, line 1" in bad.data
    done = client.post(
        page, headers=SAME_ORIGIN, data={**form, "csrf_token": csrf_token(client, page)}
    )
    assert done.status_code == 302
    assert order_policy.describe(rt, demo).revision == 2


def _cli(rt, *args):
    settings = rt.settings
    return CliRunner().invoke(
        main,
        ["--instance", settings["INSTANCE_PATH"], "--keys", settings["KEYS_PATH"], *args],
        env={"GATEWAY_DATABASE_URL": settings["DATABASE_URL"]},
    )


def test_policy_commands(rt, demo, tmp_path):
    shown = _cli(rt, "policy", "show", CASE_NUMBER)
    assert shown.exit_code == 0 and "its own variant" in shown.output
    assert "+ p, outside_counsel, *, *, *, *, *, OCEO" in shown.output
    rules = tmp_path / "rules.csv"
    rules.write_text(factories.rules_without_counsel_aeo(), encoding="utf-8")
    tiers = tmp_path / "tiers.csv"
    tiers.write_text(tiers_text(order_policy.describe(rt, demo).policy), encoding="utf-8")
    changed = _cli(
        rt,
        "policy",
        "set",
        CASE_NUMBER,
        "--rules",
        str(rules),
        "--tiers",
        str(tiers),
        "--reason",
        "Dkt. 600",
    )
    assert changed.exit_code == 0, changed.output
    assert "revision 2" in changed.output and "- p, outside_counsel" in changed.output
    rules.write_text("p, spy, *\n", encoding="utf-8")
    refused = _cli(
        rt,
        "policy",
        "set",
        CASE_NUMBER,
        "--rules",
        str(rules),
        "--tiers",
        str(tiers),
        "--reason",
        "x",
    )
    assert refused.exit_code == 2 and "rules, line 1" in refused.output
    assert order_policy.describe(rt, demo).revision == 2
