"""Who sees which demo document, end to end through the API and SQL filter.

The expected sets are written out by hand from the order (BRIEF §2, §3), not computed.
Every test checks both sides: what the user sees, and what must stay hidden.
"""

from __future__ import annotations

import pytest

from gateway.accounts import service as accounts
from gateway.audit.events import Actor
from gateway.matters import service as matters
from tests import factories
from tests.factories import DEFENDANTS
from tests.helpers import BASE, all_bates, api_get, auth, token_for

DEF = "AOL-DEF-"
EX1 = f"{DEF}00556914"
AEO_IMAGES = [f"{DEF}{n:08d}" for n in range(556919, 556923)]  # Ex. 2-5
CONF_IMAGES = [f"{DEF}{n:08d}" for n in range(556923, 556935)]  # Ex. 6-17
EX18 = f"{DEF}00528691"
EX19 = f"{DEF}00516605"
KEY = "AOL-PLTF-00000001"  # the declarant key, OCEO (the matter's own tier)
PUBLIC_INDEX = "AOL-PLTF-00000004"
DEF_AEO = [EX1, *AEO_IMAGES, EX18, EX19]
EVERYTHING = set(DEF_AEO + CONF_IMAGES + [KEY, PUBLIC_INDEX])


def test_receiving_counsel_sees_the_whole_production(client, demo):
    token = token_for(client, "counsel@plaintiffs.example")
    assert set(all_bates(client, token, demo)) == EVERYTHING


def test_named_party_employee_sees_confidential_never_aeo(client, demo):
    token = token_for(client, "staff@alotrolado.example")
    seen = set(all_bates(client, token, demo))
    # CONFIDENTIAL images, the public index, and the employee's own party's production
    assert seen == set(CONF_IMAGES) | {PUBLIC_INDEX, KEY}
    for hidden in DEF_AEO:
        assert hidden not in seen, f"{hidden} leaked but should be hidden"


def test_aeo_is_absent_from_totals_search_and_family(client, demo):
    token = token_for(client, "staff@alotrolado.example")
    response = api_get(client, token, f"/matters/{demo}/documents", q="AOL-DEF")
    body = response.get_json()
    assert body["total"] == len(CONF_IMAGES)
    assert all(i["designation"] != "AEO" for i in body["items"])
    # search by a hidden document's title text finds nothing
    assert api_get(client, token, f"/matters/{demo}/documents", q="SENTRI").get_json()["total"] == 0
    assert (
        api_get(client, token, f"/matters/{demo}/documents", q="lookout").get_json()["total"] == 0
    )
    # a Bates range across the family returns only the CONFIDENTIAL members
    ranged = all_bates(client, token, demo, bates_from=EX1, bates_to=f"{DEF}00556934")
    assert ranged == CONF_IMAGES
    # the family lists the visible siblings only; the AEO parent is never named
    item = api_get(client, token, f"/matters/{demo}/documents/{CONF_IMAGES[0]}").get_json()
    assert item["family"]["members"] == CONF_IMAGES
    assert EX1 not in str(item)
    family = all_bates(client, token, demo, family=item["family"]["id"])
    assert family == CONF_IMAGES
    # the designation filter does not reveal a count of hidden AEO documents
    assert (
        api_get(client, token, f"/matters/{demo}/documents", designation="AEO").get_json()["total"]
        == 0
    )
    # their own party's key, in the matter's own outside-counsel-only tier
    assert all_bates(client, token, demo, designation="OCEO") == [KEY]


def test_guessing_a_hidden_url_looks_like_a_missing_document(client, demo):
    token = token_for(client, "staff@alotrolado.example")
    hidden = api_get(client, token, f"/matters/{demo}/documents/{EX18}")
    missing = api_get(client, token, f"/matters/{demo}/documents/{DEF}99999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    hidden_content = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/content", headers=auth(token)
    )
    missing_content = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{DEF}99999999/content", headers=auth(token)
    )
    assert hidden_content.status_code == missing_content.status_code == 404
    assert hidden_content.get_json() == missing_content.get_json()
    assert b"%PDF" not in hidden_content.data


def test_unsigned_expert_sees_only_what_needs_no_exhibit_a_and_is_told_to_sign(client, demo):
    token = token_for(client, "expert@plaintiffs.example")
    listing = api_get(client, token, f"/matters/{demo}/documents", per_page=500)
    assert listing.status_code == 200
    body = listing.get_json()
    assert [i["bates_begin"] for i in body["items"]] == [PUBLIC_INDEX]
    assert body["total"] == 1
    assert body["acknowledgment_required"] is True and "Exhibit A" in body["notice"]
    # CONFIDENTIAL needs Exhibit A (¶7.2(c)): hidden exactly like a missing document
    for path in (
        f"/matters/{demo}/documents/{CONF_IMAGES[0]}",
        f"/matters/{demo}/documents/{CONF_IMAGES[0]}/content",
        f"/matters/{demo}/documents/AOL-DEF-09999999",
    ):
        response = api_get(client, token, path)
        assert response.status_code == 404
        assert "Exhibit A" in response.get_json()["error"]["message"]
        assert b"%PDF" not in response.data
    assert (
        api_get(client, token, f"/matters/{demo}/documents/{CONF_IMAGES[0]}").data
        == api_get(client, token, f"/matters/{demo}/documents/AOL-DEF-09999999").data
    )


def _sign(client, token, matter_id, name="Erin Expert", signed_on="2020-06-26"):
    return client.post(
        f"{BASE}/api/v1/matters/{matter_id}/acknowledgment",
        headers=auth(token),
        json={
            "full_name": name,
            "address": "9 Lab Way, San Diego, CA",
            "agent_name": "Agent A",
            "agent_address": "1 Main St, San Diego, CA",
            "signed_city": "San Diego, CA",
            "signed_on": signed_on,
            "signature": f"/s/ {name}",
            "agree": True,
        },
    )


def test_expert_after_signing_sees_confidential_but_not_aeo_until_cleared(client, demo, rt):
    token = token_for(client, "expert@plaintiffs.example")
    assert _sign(client, token, demo).status_code == 201
    seen = set(all_bates(client, token, demo))
    assert seen == set(CONF_IMAGES) | {PUBLIC_INDEX}
    assert not seen & set(DEF_AEO), "AEO visible to an expert before §7.4 clearance"
    assert KEY not in seen


def test_acknowledgment_refuses_incomplete_forms_and_changes_nothing(client, demo, rt):
    token = token_for(client, "expert@plaintiffs.example")
    bad = _sign(client, token, demo, signed_on="2020-06-20")  # not today in San Diego
    assert bad.status_code == 422
    assert "signed_on" in bad.get_json()["error"]["message"]
    missing = client.post(
        f"{BASE}/api/v1/matters/{demo}/acknowledgment",
        headers=auth(token),
        json={"full_name": "Erin Expert", "signed_on": "2020-06-26", "agree": False},
    )
    assert missing.status_code == 422
    assert "agree" in missing.get_json()["error"]["message"]
    assert (
        matters.acknowledgment_of(rt, accounts.get_user(rt, "expert@plaintiffs.example"), demo)
        is None
    )
    assert all_bates(client, token, demo) == [PUBLIC_INDEX]


def test_court_sees_everything_auditor_and_operator_nothing(client, demo):
    court = token_for(client, "court@casd.example")
    assert set(all_bates(client, court, demo)) == EVERYTHING
    auditor = token_for(client, "auditor@audit.example")
    response = api_get(client, auditor, f"/matters/{demo}/documents")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert api_get(client, auditor, f"/matters/{demo}/documents/{EX1}/content").status_code == 403
    operator = token_for(client, "admin@gateway.example")
    assert api_get(client, operator, f"/matters/{demo}/documents").status_code == 404
    assert api_get(client, operator, f"/matters/{demo}/documents/{EX1}/content").status_code == 404


def test_declarant_key_is_hidden_from_every_defendants_employee(client, demo, rt):
    factories.person(rt, demo, "officer@cbp.example", "party_employee", party=DEFENDANTS)
    token = token_for(client, "officer@cbp.example")
    assert _sign(client, token, demo, name="Officer O").status_code == 201
    seen = set(all_bates(client, token, demo))
    assert KEY not in seen, "the declarant key leaked to a Defendants employee"
    assert api_get(client, token, f"/matters/{demo}/documents/{KEY}").status_code == 404
    # the employee's own party's production, AEO included, stays visible to them
    assert set(DEF_AEO) <= seen
    # Defendants' outside counsel may see the key
    counsel = token_for(client, "counsel@defendants.example")
    assert KEY in all_bates(client, counsel, demo)


def test_another_matters_document_is_not_found(client, demo, rt):
    other = matters.create_matter(
        rt,
        Actor.command_line(),
        caption="Other v. Case",
        case_number="1:23-cv-1",
        court="Court",
        court_timezone="America/New_York",
        order_title="Order",
        order_date=__import__("datetime").date(2023, 1, 1),
        order_docket="1",
        forum_state="New York",
    )
    token = token_for(client, "counsel@plaintiffs.example")
    assert api_get(client, token, f"/matters/{other.id}/documents/{EX1}").status_code == 404
    assert api_get(client, token, f"/matters/{other.id}/documents").status_code == 404


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"per_page": 501}, {"per_page": "x"}, {"bates": "not bates!"}]
)
def test_bad_list_parameters_are_400(client, demo, params):
    token = token_for(client, "counsel@plaintiffs.example")
    response = api_get(client, token, f"/matters/{demo}/documents", **params)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def _set_state(rt, matter_id, bates, state):
    factories.set_document_state(rt, matter_id, bates, state=state)


def test_sequestered_document_shows_a_slip_to_the_receiving_side_only(client, demo, rt):
    # the claw-back workflow sets this state; here it is set directly to test the rules
    _set_state(rt, demo, EX18, "sequestered")
    counsel = token_for(client, "counsel@plaintiffs.example")
    listing = api_get(client, counsel, f"/matters/{demo}/documents", bates=EX18).get_json()
    (item,) = listing["items"]
    assert item["state"] == "sequestered" and item["can_view"] is False
    assert "title" not in item and "custodian" not in item and "slip" in item
    meta = api_get(client, counsel, f"/matters/{demo}/documents/{EX18}").get_json()
    assert "files" not in meta and "title" not in meta
    content = api_get(client, counsel, f"/matters/{demo}/documents/{EX18}/content")
    assert content.status_code == 403 and b"%PDF" not in content.data
    assert "sequestered" in content.get_json()["error"]["message"]
    # searching by its title finds nothing while it is sequestered
    assert (
        api_get(client, counsel, f"/matters/{demo}/documents", q="Border Patrol field").get_json()[
            "total"
        ]
        == 0
    )
    # the producing party keeps its original
    token = token_for(client, "counsel@defendants.example")
    response = api_get(client, token, f"/matters/{demo}/documents/{EX18}/content")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    # the court holds no standing access to clawed-back material (leak 4): only once the
    # receiving party presents it under seal (FRCP 26(b)(5)(B)) does the court open it
    court = token_for(client, "court@casd.example")
    before = api_get(client, court, f"/matters/{demo}/documents/{EX18}/content")
    assert before.status_code in (403, 404) and b"%PDF" not in before.data
    assert "title" not in api_get(client, court, f"/matters/{demo}/documents/{EX18}").get_json()
    factories.set_document_state(rt, demo, EX18, presented_at=rt.now())
    after = api_get(client, court, f"/matters/{demo}/documents/{EX18}/content")
    assert after.status_code == 200 and after.data.startswith(b"%PDF")
    # presenting it to the court opens nothing for the receiving side
    assert api_get(client, counsel, f"/matters/{demo}/documents/{EX18}/content").status_code == 403
    # a user who could not see it before sees no slip either
    staff = token_for(client, "staff@alotrolado.example")
    assert api_get(client, staff, f"/matters/{demo}/documents/{EX18}").status_code == 404


def test_withdrawn_document_keeps_its_bates_number_as_a_slip(client, demo, rt):
    _set_state(rt, demo, EX19, "withdrawn")
    counsel = token_for(client, "counsel@plaintiffs.example")
    assert EX19 in all_bates(client, counsel, demo)
    assert api_get(client, counsel, f"/matters/{demo}/documents/{EX19}/content").status_code == 403
    court = token_for(client, "court@casd.example")
    assert api_get(client, court, f"/matters/{demo}/documents/{EX19}/content").status_code == 403
