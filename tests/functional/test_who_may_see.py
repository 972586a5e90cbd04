"""The access leaks found in review, each closed, end to end through the HTTP API.

Each test names the leak it closes and checks both sides: what the person may see, and
what stays hidden exactly like a document that does not exist. Expected sets are written
out by hand from the model order (BRIEF §2, §3).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from gateway.accounts import service as accounts
from gateway.audit.tags import Tag
from gateway.cli import main
from gateway.errors import Invalid
from gateway.matters.models import Membership, PartyAffiliation
from tests import factories
from tests.factories import DEFENDANTS, PLAINTIFFS
from tests.helpers import BASE, all_bates, api_get, auth, token_for
from tests.volumes import Doc, build_volume

KEY = "AOL-PLTF-00000001"  # the declarant key (AEO)
PUBLIC_INDEX = "AOL-PLTF-00000004"
EX1 = "AOL-DEF-00556914"  # AEO e-mail: author officer.a@, recipient supervisor.b@cbp.example
EX18 = "AOL-DEF-00528691"  # AEO
CONF = "AOL-DEF-00556923"  # Ex. 6, CONFIDENTIAL
NON_PARTY = "Border Data Vendor LLC"


def _content(client, token, matter_id, bates):
    return api_get(client, token, f"/matters/{matter_id}/documents/{bates}/content")


def _meta(client, token, matter_id, bates):
    return api_get(client, token, f"/matters/{matter_id}/documents/{bates}")


def _hidden(client, token, matter_id, bates):
    """Refused exactly as a Bates number that does not exist."""
    missing = _meta(client, token, matter_id, "AOL-DEF-09999999")
    for response in (
        _meta(client, token, matter_id, bates),
        _content(client, token, matter_id, bates),
    ):
        assert response.status_code == 404, bates
        assert response.get_json() == missing.get_json()
        assert b"%PDF" not in response.data
    return True


def _members(rt):
    with rt.db.session() as session:
        return session.scalar(select(func.count(Membership.id)))


# --- leak 1: a non-party's counsel ------------------------------------------------------


def test_non_party_counsel_sees_only_its_own_production(client, demo, rt, tmp_path):
    factories.add_non_party(rt, demo, NON_PARTY)
    factories.person(rt, demo, "counsel@vendor.example", "outside_counsel", party=NON_PARTY)
    token = token_for(client, "counsel@vendor.example")
    assert all_bates(client, token, demo) == []
    for bates in (KEY, EX18, CONF, PUBLIC_INDEX):
        assert _hidden(client, token, demo, bates)
    # what it produces under the order, it sees
    folder = build_volume(tmp_path, [Doc(1, 2, "AEO"), Doc(3, 3, "CONFIDENTIAL")], prefix="BDV-")
    factories.produce(rt, demo, NON_PARTY, folder)
    assert all_bates(client, token, demo) == ["BDV-00000001", "BDV-00000003"]
    assert _content(client, token, demo, "BDV-00000001").status_code == 200
    # and the parties' counsel see the non-party's production as any other
    plaintiffs = token_for(client, "counsel@plaintiffs.example")
    assert {"BDV-00000001", "BDV-00000003"} <= set(all_bates(client, plaintiffs, demo))


@pytest.mark.parametrize("role", ["outside_counsel", "counsel_staff", "expert"])
def test_a_role_that_acts_for_a_party_must_name_one(rt, demo, role):
    before = _members(rt)
    with pytest.raises(Invalid, match="acts for a party"):
        factories.person(rt, demo, f"{role}@nowhere.example", role)
    assert _members(rt) == before


# --- leak 2: the bar binds the person ---------------------------------------------------


def test_a_party_employee_cannot_be_enrolled_as_expert(rt, demo):
    before = _members(rt)
    with pytest.raises(Invalid, match="expert under the order may not be"):
        factories.person(
            rt, demo, "analyst@cbp.example", "expert", party=DEFENDANTS, affiliated_with=DEFENDANTS
        )
    assert _members(rt) == before
    # nor can an existing employee take the expert role later
    with pytest.raises(Invalid, match="expert under the order may not be"):
        factories.enrol(rt, demo, "staff@alotrolado.example", "expert", party=PLAINTIFFS)
    assert _members(rt) == before


@pytest.mark.parametrize("role", ["vendor", "counsel_staff", "outside_counsel"])
def test_a_defendants_employee_under_another_role_never_sees_plaintiffs_aeo(client, demo, rt, role):
    factories.person(
        rt,
        demo,
        "officer@cbp.example",
        role,
        party=DEFENDANTS,
        affiliated_with=DEFENDANTS,
        signed=True,
    )
    token = token_for(client, "officer@cbp.example")
    seen = set(all_bates(client, token, demo))
    assert KEY not in seen, f"the declarant key leaked to a Defendants employee as {role}"
    assert _hidden(client, token, demo, KEY)
    assert PUBLIC_INDEX in seen
    # the bar is on another party's AEO: their own party's production stays visible
    assert {EX1, EX18, CONF} <= seen


def test_affiliation_is_shown_on_the_membership_and_audited(client, demo, rt):
    factories.person(
        rt, demo, "officer@cbp.example", "vendor", party=DEFENDANTS, affiliated_with=DEFENDANTS
    )
    officer = accounts.get_user(rt, "officer@cbp.example")
    with rt.db.session() as session:
        (row,) = session.scalars(
            select(PartyAffiliation).where(PartyAffiliation.user_id == officer.id)
        ).all()
    assert row.until is None and row.since == rt.now()
    auditor = token_for(client, "auditor@audit.example")
    trail = api_get(client, auditor, f"/matters/{demo}/audit", per_page=500).get_json()["items"]
    added = [e for e in trail if e["details"].get("user") == "officer@cbp.example"]
    assert added[0]["details"]["affiliated_with"] == DEFENDANTS


def test_affiliated_with_another_party_than_the_one_acted_for_is_refused(rt, demo):
    before = _members(rt)
    with pytest.raises(Invalid, match="cannot act for another"):
        factories.person(
            rt, demo, "mole@cbp.example", "vendor", party=PLAINTIFFS, affiliated_with=DEFENDANTS
        )
    assert _members(rt) == before


# --- leak 3: the author, recipient or custodian without Exhibit A -----------------------


def test_unsigned_recipient_opens_the_document_they_received_and_nothing_more(client, demo, rt):
    # a court reporter's firm employee who was a recipient of Ex. 1, enrolled as vendor
    factories.person(rt, demo, "supervisor.b@cbp.example", "vendor", party=PLAINTIFFS)
    token = token_for(client, "supervisor.b@cbp.example")
    listing = api_get(client, token, f"/matters/{demo}/documents", per_page=500).get_json()
    assert {i["bates_begin"] for i in listing["items"]} == {EX1, PUBLIC_INDEX}
    assert listing["acknowledgment_required"] is True
    response = _content(client, token, demo, EX1)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    # the rest of the family and every other AEO or CONFIDENTIAL document stay hidden
    for bates in (EX18, CONF, KEY, "AOL-DEF-00556919"):
        assert _hidden(client, token, demo, bates)
    assert listing["items"][0]["family"]["members"] in ([EX1], [PUBLIC_INDEX])


# --- leak 5: deposition witnesses -------------------------------------------------------


def test_witness_views_during_the_deposition_only_and_never_downloads(client, demo, rt, clock):
    start = rt.now() + timedelta(hours=1)
    factories.person(
        rt,
        demo,
        "witness@example.org",
        "witness",
        active_from=start,
        active_until=start + timedelta(hours=4),
    )
    token = token_for(client, "witness@example.org")
    before = api_get(client, token, f"/matters/{demo}/documents")
    assert before.status_code == 403 and "window" in before.get_json()["error"]["message"]
    assert _content(client, token, demo, CONF).status_code == 403
    clock.advance(hours=2)
    factories.sign_exhibit_a(rt, demo, "witness@example.org", "Wendy Witness")
    seen = set(all_bates(client, token, demo))
    assert CONF in seen and EX18 not in seen and KEY not in seen
    meta = _meta(client, token, demo, CONF).get_json()
    assert meta["can_view"] is True and meta["can_download"] is False
    response = _content(client, token, demo, CONF)
    assert response.status_code == 403 and b"%PDF" not in response.data
    volume = api_get(client, token, f"/matters/{demo}/productions/AOL-DEF-VOL001/download")
    assert volume.status_code in (403, 404) and not volume.data.startswith(b"PK")
    clock.advance(hours=3)
    after = api_get(client, token, f"/matters/{demo}/documents")
    assert after.status_code == 403


def test_a_witness_needs_a_window(rt, demo):
    before = _members(rt)
    with pytest.raises(Invalid, match="only during the deposition"):
        factories.person(rt, demo, "w@example.org", "witness")
    with pytest.raises(Invalid, match="end after it starts"):
        factories.enrol(
            rt,
            demo,
            "w@example.org",
            "witness",
            active_from=rt.now(),
            active_until=rt.now() - timedelta(minutes=1),
        )
    assert _members(rt) == before


# --- leak 6: outside counsel's staff ----------------------------------------------------


def test_counsel_staff_see_designated_material_only_after_exhibit_a(client, demo, rt):
    factories.person(rt, demo, "paralegal@plaintiffs.example", "counsel_staff", party=PLAINTIFFS)
    token = token_for(client, "paralegal@plaintiffs.example")
    listing = api_get(client, token, f"/matters/{demo}/documents", per_page=500).get_json()
    assert [i["bates_begin"] for i in listing["items"]] == [PUBLIC_INDEX]
    assert listing["acknowledgment_required"] is True
    assert _hidden(client, token, demo, EX18)
    factories.sign_exhibit_a(rt, demo, "paralegal@plaintiffs.example", "Paralegal")
    seen = set(all_bates(client, token, demo))
    assert {EX1, EX18, CONF, KEY, PUBLIC_INDEX} <= seen
    assert _content(client, token, demo, EX18).status_code == 200


# --- clearance per designating party (§7.4) ---------------------------------------------


def test_expert_cleared_by_defendants_is_not_cleared_for_a_non_partys_aeo(
    client, demo, rt, tmp_path
):
    factories.add_non_party(rt, demo, NON_PARTY)
    folder = build_volume(tmp_path, [Doc(1, 1, "AEO"), Doc(2, 2, "CONFIDENTIAL")], prefix="BDV-")
    factories.produce(rt, demo, NON_PARTY, folder)
    factories.person(
        rt,
        demo,
        "analyst@lab.example",
        "expert",
        party=PLAINTIFFS,
        cleared_by=(DEFENDANTS,),
        signed=True,
    )
    token = token_for(client, "analyst@lab.example")
    seen = set(all_bates(client, token, demo))
    assert {EX1, EX18} <= seen, "cleared by Defendants: Defendants' AEO"
    assert "BDV-00000002" in seen, "CONFIDENTIAL needs no clearance"
    assert "BDV-00000001" not in seen, "not cleared by the non-party: its AEO stays hidden"
    assert _hidden(client, token, demo, "BDV-00000001")


def test_clearance_follows_the_designating_party_not_the_producing_party(
    client, demo, rt, tmp_path
):
    # Defendants designated AEO material a non-party produced: Defendants' clearance counts
    factories.add_non_party(rt, demo, NON_PARTY)
    folder = build_volume(tmp_path, [Doc(1, 1, "AEO")], prefix="BDV-")
    factories.produce(rt, demo, NON_PARTY, folder)
    factories.set_document_state(rt, demo, "BDV-00000001", designating_party=DEFENDANTS)
    factories.person(
        rt,
        demo,
        "analyst@lab.example",
        "expert",
        party=PLAINTIFFS,
        cleared_by=(DEFENDANTS,),
        signed=True,
    )
    token = token_for(client, "analyst@lab.example")
    assert "BDV-00000001" in all_bates(client, token, demo)
    # and Defendants' own employee sees what Defendants designated, as its designating party
    factories.person(rt, demo, "officer@cbp.example", "party_employee", party=DEFENDANTS)
    officer = token_for(client, "officer@cbp.example")
    assert "BDV-00000001" in all_bates(client, officer, demo)
    # a Plaintiffs employee does not
    staff = token_for(client, "staff@alotrolado.example")
    assert _hidden(client, staff, demo, "BDV-00000001")


# --- the command line contract ----------------------------------------------------------


def _cli(rt, *args):
    settings = rt.settings
    return CliRunner().invoke(
        main,
        ["--instance", settings["INSTANCE_PATH"], "--keys", settings["KEYS_PATH"], *args],
        env={"GATEWAY_DATABASE_URL": settings["DATABASE_URL"]},
    )


def test_cli_add_member_records_affiliation_clearance_and_window(rt, demo):
    from gateway.demo import CASE_NUMBER

    for email in ("e1@lab.example", "w1@example.org", "o1@cbp.example"):
        accounts.create_user(
            rt, factories.OPERATOR, email=email, full_name="Some One", password="x" * 12
        )
    ok = _cli(
        rt,
        "matters",
        "add-member",
        CASE_NUMBER,
        "--email",
        "e1@lab.example",
        "--role",
        "expert",
        "--party",
        PLAINTIFFS,
        "--cleared-by",
        DEFENDANTS,
    )
    assert ok.exit_code == 0, ok.output
    window = _cli(
        rt,
        "matters",
        "add-member",
        CASE_NUMBER,
        "--email",
        "w1@example.org",
        "--role",
        "witness",
        "--from",
        "2020-06-27T09:00:00-07:00",
        "--until",
        "2020-06-27T17:00:00-07:00",
    )
    assert window.exit_code == 0, window.output
    before = _members(rt)
    refused = _cli(
        rt,
        "matters",
        "add-member",
        CASE_NUMBER,
        "--email",
        "o1@cbp.example",
        "--role",
        "expert",
        "--party",
        DEFENDANTS,
        "--affiliated-with",
        DEFENDANTS,
    )
    assert refused.exit_code == 2 and "expert under the order" in refused.output
    naive = _cli(
        rt,
        "matters",
        "add-member",
        CASE_NUMBER,
        "--email",
        "o1@cbp.example",
        "--role",
        "witness",
        "--from",
        "2020-06-27T09:00:00",
        "--until",
        "2020-06-27T17:00:00-07:00",
    )
    assert naive.exit_code == 2 and "offset" in naive.output
    assert _members(rt) == before


# --- one permission check for matter-level actions ---------------------------------------


def test_a_refused_matter_action_is_audited_with_its_reason_and_rule(client, demo, rt):
    from gateway.audit.models import AuditEntry
    from gateway.authz.vocabulary import Action
    from gateway.matters import permissions
    from gateway.matters import service as matters
    from gateway.runtime import Refused

    expert = accounts.get_user(rt, "expert@plaintiffs.example")
    with rt.db.session() as session:
        access = matters.resolve_access(rt, session, expert, demo, address="test")
    assert permissions.decide(access, Action.ACKNOWLEDGMENT_SIGN).allowed
    refused = permissions.decide(access, Action.PRODUCTION_UPLOAD)
    assert (refused.allowed, refused.reason, refused.rule) == (False, "no rule allows", None)
    with pytest.raises(Refused) as raised:
        permissions.require(access, Action.AUDIT_READ_ALL, tag=Tag.AUDIT_READ)
    assert raised.value.event.reason == "audit:read_all: no rule allows"
    # through the API: an expert may not produce; the refusal is in the trail with its reason
    token = token_for(client, "expert@plaintiffs.example")
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/VOL9/documents",
        headers={**auth(token), "Content-Type": "application/octet-stream"},
        query_string={"bates_begin": "AOL-PLTF-00000100", "file_name": "x.pdf"},
        data=b"%PDF-1.4 stand-in",
    )
    assert response.status_code == 403
    with rt.db.session() as session:
        reasons = session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == "production:upload", AuditEntry.actor_email == expert.email
            )
        ).all()
    assert "production:upload: no rule allows" in reasons
