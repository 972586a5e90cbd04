"""Claw-back (FRCP 26(b)(5)(B); BRIEF §2, §3): sequestered at once, presented to the court
under seal, and each receiving party's certification of its pre-notice copies, shown to
that party alone.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from gateway.documents.models import Document
from gateway.orders.models import Certification, CertificationCopy, Clawback, ClawbackItem
from tests.helpers import BASE, all_bates, api_get, auth, token_for

EX1 = "AOL-DEF-00556914"
EX6 = "AOL-DEF-00556923"  # CONFIDENTIAL image
EX18 = "AOL-DEF-00528691"
EX19 = "AOL-DEF-00516605"


def _post(client, token, path, body):
    return client.post(f"{BASE}/api/v1{path}", headers=auth(token), json=body)


def _content(client, token, matter_id, bates):
    return api_get(client, token, f"/matters/{matter_id}/documents/{bates}/content")


def _rows(rt):
    with rt.db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Clawback)),
            session.scalar(select(func.count()).select_from(ClawbackItem)),
            session.scalar(select(func.count()).select_from(Certification)),
            session.scalar(select(func.count()).select_from(CertificationCopy)),
            tuple(session.scalars(select(Document.state).order_by(Document.id))),
        )


@pytest.fixture
def tokens(client):
    return {
        who: token_for(client, email)
        for who, email in {
            "plaintiffs": "counsel@plaintiffs.example",
            "staff": "staff@alotrolado.example",
            "defendants": "counsel@defendants.example",
            "court": "court@casd.example",
        }.items()
    }


def test_clawback_sequesters_at_once_and_tasks_the_receiving_party(client, demo, rt, tokens):
    # before the notice: Plaintiffs' counsel downloads Ex. 6 and Ex. 18, the employee Ex. 6
    for who, bates in (("plaintiffs", EX6), ("plaintiffs", EX18), ("staff", EX6)):
        assert _content(client, tokens[who], demo, bates).status_code == 200
    notice = _post(
        client,
        tokens["defendants"],
        f"/matters/{demo}/clawbacks",
        {
            "documents": [EX1, EX6, EX18, EX19],
            "privilege": "law enforcement privilege",
            "basis": "database identification codes and law-enforcement techniques",
        },
    )
    assert notice.status_code == 201, notice.get_json()
    body = notice.get_json()
    assert {d["state"] for d in body["documents"]} == {"sequestered"}
    clawback_id = body["id"]

    # the receiving side: slips where it could list them, never content, not in the ZIP
    for who, bates in (("plaintiffs", EX18), ("staff", EX6), ("plaintiffs", EX6)):
        item = api_get(client, tokens[who], f"/matters/{demo}/documents", bates=bates)
        (listed,) = item.get_json()["items"]
        assert listed["state"] == "sequestered" and "title" not in listed
        refused = _content(client, tokens[who], demo, bates)
        assert refused.status_code == 403 and b"%PDF" not in refused.data
    volume = api_get(
        client, tokens["plaintiffs"], f"/matters/{demo}/productions/AOL-DEF-VOL001/download"
    )
    names = zipfile.ZipFile(io.BytesIO(volume.data)).namelist()
    assert not any(b in n for n in names for b in (EX1, EX6, EX18, EX19))
    assert any("AOL-DEF-00556924" in n for n in names)  # the rest of the volume is there
    # the producing party keeps its original
    assert _content(client, tokens["defendants"], demo, EX18).status_code == 200

    # the court opens it only once receiving counsel presents it under seal
    assert _content(client, tokens["court"], demo, EX18).status_code == 403
    refused = _post(
        client, tokens["defendants"], f"/matters/{demo}/clawbacks/{clawback_id}/presentations", {}
    )
    assert refused.status_code == 403
    presented = _post(
        client,
        tokens["plaintiffs"],
        f"/matters/{demo}/clawbacks/{clawback_id}/presentations",
        {"documents": [EX18]},
    )
    assert presented.status_code == 201, presented.get_json()
    assert _content(client, tokens["court"], demo, EX18).status_code == 200
    assert _content(client, tokens["court"], demo, EX19).status_code == 403
    assert _content(client, tokens["plaintiffs"], demo, EX18).status_code == 403

    # Plaintiffs' task lists exactly their pre-notice copies; Defendants see no task at all
    tasks = api_get(client, tokens["plaintiffs"], f"/matters/{demo}/certifications").get_json()
    (task,) = tasks["items"]
    copies = sorted((c["bates_begin"], c["downloaded_by"]) for c in task["copies"])
    assert copies == [
        (EX18, "counsel@plaintiffs.example"),
        (EX6, "counsel@plaintiffs.example"),
        (EX6, "staff@alotrolado.example"),
    ]
    # 14 days under FRCP 6(a) from June 26, 2020 in casd: July 10, ending at midnight Pacific
    assert task["due_at"] == "2020-07-11T07:00:00+00:00"
    other = api_get(client, tokens["defendants"], f"/matters/{demo}/certifications").get_json()
    assert other["items"] == []
    stolen = _post(
        client,
        tokens["defendants"],
        f"/matters/{demo}/certifications/{task['id']}",
        {"copies": [], "statement": "x", "signed_by": "Dana Defense-Counsel"},
    )
    assert stolen.status_code == 404
    assert "counsel@plaintiffs.example" not in str(
        api_get(client, tokens["defendants"], f"/matters/{demo}/audit", per_page=500).get_json()
    )

    # certifying: every copy, a real action, counsel's own name
    url = f"/matters/{demo}/certifications/{task['id']}"
    signer = {
        "statement": "sequestered on our review platform",
        "signed_by": "/s/ Pat Plaintiff-Counsel",
    }
    wrong = _post(
        client,
        tokens["plaintiffs"],
        url,
        {**signer, "copies": [{"bates_begin": EX1, "action": "destroyed"}]},
    )
    assert (
        wrong.status_code == 422
        and "not a copy your party downloaded" in wrong.get_json()["error"]["message"]
    )
    short = _post(
        client,
        tokens["plaintiffs"],
        url,
        {**signer, "copies": [{"bates_begin": EX6, "action": "destroyed"}]},
    )
    assert short.status_code == 422 and EX18 in short.get_json()["error"]["message"]
    done = _post(
        client,
        tokens["plaintiffs"],
        url,
        {
            **signer,
            "copies": [
                {"bates_begin": EX6, "action": "destroyed"},
                {"bates_begin": EX18, "action": "sequestered"},
            ],
        },
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["certified_at"] == rt.now().isoformat()
    again = _post(
        client,
        tokens["plaintiffs"],
        url,
        {
            **signer,
            "copies": [
                {"bates_begin": EX6, "action": "destroyed"},
                {"bates_begin": EX18, "action": "sequestered"},
            ],
        },
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("who", "body", "status", "why"),
    [
        (
            "plaintiffs",
            {"documents": [EX18], "privilege": "p", "basis": "b"},
            403,
            "producing or designating",
        ),
        ("staff", {"documents": [EX6], "privilege": "p", "basis": "b"}, 403, "clawback:notice"),
        (
            "defendants",
            {"documents": ["AOL-DEF-09999999"], "privilege": "p", "basis": "b"},
            404,
            "no such document",
        ),
        ("defendants", {"documents": [EX18], "privilege": " ", "basis": "b"}, 422, "privilege"),
        ("defendants", {"documents": [EX18, EX18], "privilege": "p", "basis": "b"}, 400, "twice"),
        ("defendants", {"documents": [], "privilege": "p", "basis": "b"}, 400, "name 1 to"),
        (
            "defendants",
            {"documents": "AOL-DEF-00528691", "privilege": "p", "basis": "b"},
            422,
            "list",
        ),
    ],
)
def test_a_refused_clawback_changes_nothing(client, demo, rt, tokens, who, body, status, why):
    before = _rows(rt)
    response = _post(client, tokens[who], f"/matters/{demo}/clawbacks", body)
    assert response.status_code == status, response.get_json()
    assert why in response.get_json()["error"]["message"] or status == 404
    assert _rows(rt) == before


def test_a_document_already_sequestered_cannot_be_clawed_back_twice(client, demo, rt, tokens):
    body = {"documents": [EX18], "privilege": "p", "basis": "b"}
    assert (
        _post(client, tokens["defendants"], f"/matters/{demo}/clawbacks", body).status_code == 201
    )
    before = _rows(rt)
    again = _post(client, tokens["defendants"], f"/matters/{demo}/clawbacks", body)
    assert (
        again.status_code == 409 and "sequestered already" in again.get_json()["error"]["message"]
    )
    assert _rows(rt) == before
    # nobody on the receiving side downloaded it: no certification task
    assert (
        api_get(client, tokens["plaintiffs"], f"/matters/{demo}/certifications").get_json()["items"]
        == []
    )
    assert EX18 in all_bates(client, tokens["plaintiffs"], demo)


def test_only_a_receiving_party_that_may_list_them_presents_documents(client, demo, rt, tokens):
    from tests import factories

    factories.add_non_party(rt, demo, "Border Data Vendor LLC")
    factories.person(
        rt, demo, "np@vendor.example", "outside_counsel", party="Border Data Vendor LLC"
    )
    body = {"documents": [EX18], "privilege": "p", "basis": "b"}
    clawback_id = _post(
        client, tokens["defendants"], f"/matters/{demo}/clawbacks", body
    ).get_json()["id"]
    before = _rows(rt)
    stranger = token_for(client, "np@vendor.example")
    url = f"/matters/{demo}/clawbacks/{clawback_id}/presentations"
    refused = _post(client, stranger, url, {})
    assert refused.status_code == 404 and EX18 not in refused.get_data(as_text=True)
    assert api_get(client, stranger, f"/matters/{demo}/clawbacks/{clawback_id}").status_code == 404
    assert _content(client, tokens["court"], demo, EX18).status_code == 403
    assert _rows(rt) == before


def test_a_new_claim_on_a_document_once_presented_is_closed_to_the_court_again(
    client, demo, rt, tokens
):
    body = {"documents": [EX18], "privilege": "p", "basis": "b"}
    first = _post(client, tokens["defendants"], f"/matters/{demo}/clawbacks", body).get_json()["id"]
    _post(client, tokens["plaintiffs"], f"/matters/{demo}/clawbacks/{first}/presentations", {})
    assert _content(client, tokens["court"], demo, EX18).status_code == 200
    ruling = {"document": EX18, "outcome": "denied", "order": {"date": "2020-06-26", "docket": "1"}}
    assert (
        _post(
            client, tokens["court"], f"/matters/{demo}/clawbacks/{first}/rulings", ruling
        ).status_code
        == 201
    )
    second = _post(client, tokens["defendants"], f"/matters/{demo}/clawbacks", body)
    assert second.status_code == 201
    assert _content(client, tokens["court"], demo, EX18).status_code == 403


def test_a_malformed_clawback_is_refused_after_membership_and_audited(client, demo, rt, tokens):
    from gateway.audit.models import AuditEntry

    response = _post(
        client,
        tokens["defendants"],
        f"/matters/{demo}/clawbacks",
        {"documents": "AOL", "privilege": {"a": 1}},
    )
    assert response.status_code == 422
    with rt.db.session() as session:
        reasons = session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == "clawback:notice", AuditEntry.outcome == "denied"
            )
        ).all()
    assert any("a list of Bates numbers" in r for r in reasons)


def test_a_counsel_barred_from_a_copy_neither_sees_nor_signs_the_task(client, demo, rt, tokens):
    from tests import factories
    from tests.factories import PLAINTIFFS

    # a Plaintiffs employee enrolled as counsel: the bar keeps Defendants' AEO from them
    factories.person(
        rt,
        demo,
        "gc@alotrolado.example",
        "outside_counsel",
        party=PLAINTIFFS,
        affiliated_with=PLAINTIFFS,
        name="Gina Counsel",
    )
    assert _content(client, tokens["plaintiffs"], demo, EX18).status_code == 200
    body = {"documents": [EX18], "privilege": "p", "basis": "b"}
    assert (
        _post(client, tokens["defendants"], f"/matters/{demo}/clawbacks", body).status_code == 201
    )
    gc = token_for(client, "gc@alotrolado.example")
    assert api_get(client, gc, f"/matters/{demo}/certifications").get_json()["items"] == []
    (task,) = api_get(client, tokens["plaintiffs"], f"/matters/{demo}/certifications").get_json()[
        "items"
    ]
    refused = _post(
        client,
        gc,
        f"/matters/{demo}/certifications/{task['id']}",
        {"copies": [], "statement": "x", "signed_by": "Gina Counsel"},
    )
    assert refused.status_code == 404 and EX18 not in refused.get_data(as_text=True)
