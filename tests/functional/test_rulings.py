"""The court's ruling on a claw-back, per document and per page, and the deadlines it
orders (the reference case's order of June 26, 2020; FRCP 6(a))."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.documents.models import Document
from gateway.orders.models import ClawbackItem, Obligation
from tests.factories import DEFENDANTS, PLAINTIFFS
from tests.helpers import BASE, api_get, auth, token_for

EX1 = "AOL-DEF-00556914"
EX18 = "AOL-DEF-00528691"  # page 13 is AOL-DEF-00528703
EX19 = "AOL-DEF-00516605"
ORDER = {"date": "2020-06-26", "docket": "463"}


def _post(client, token, path, body):
    return client.post(f"{BASE}/api/v1{path}", headers=auth(token), json=body)


def _rows(rt):
    with rt.db.session() as session:
        return (
            tuple(session.scalars(select(ClawbackItem.outcome).order_by(ClawbackItem.id))),
            tuple(session.scalars(select(Document.state).order_by(Document.id))),
            session.scalar(select(func.count()).select_from(Obligation)),
        )


@pytest.fixture
def clawed(client, demo):
    defendants = token_for(client, "counsel@defendants.example")
    response = _post(
        client,
        defendants,
        f"/matters/{demo}/clawbacks",
        {"documents": [EX1, EX18, EX19], "privilege": "law enforcement", "basis": "codes"},
    )
    assert response.status_code == 201
    return response.get_json()["id"]


def test_the_courts_rulings_restore_replace_or_withdraw(client, demo, rt, clawed):
    court = token_for(client, "court@casd.example")
    counsel = token_for(client, "counsel@plaintiffs.example")
    url = f"/matters/{demo}/clawbacks/{clawed}/rulings"
    denied = _post(client, court, url, {"document": EX1, "outcome": "denied", "order": ORDER})
    assert denied.status_code == 201 and denied.get_json()["state"] == "produced"
    opened = api_get(client, counsel, f"/matters/{demo}/documents/{EX1}/content")
    assert opened.status_code == 200 and opened.data.startswith(b"%PDF")
    in_part = _post(
        client,
        court,
        url,
        {
            "document": EX18,
            "outcome": "granted_in_part",
            "pages": [13],
            "order": ORDER,
            "deadlines": [
                {
                    "party": DEFENDANTS,
                    "what": "lodge Ex. 1-13, 18, 19 under seal and file them publicly redacted",
                    "days": 14,
                }
            ],
        },
    )
    assert in_part.status_code == 201, in_part.get_json()
    body = in_part.get_json()
    assert body["state"] == "sequestered" and body["pages"] == [13]
    (due,) = body["deadlines"]
    assert (due["due"], due["ends_at"]) == ("2020-07-10", "2020-07-11T07:00:00+00:00")
    assert api_get(client, counsel, f"/matters/{demo}/documents/{EX18}/content").status_code == 403
    granted = _post(client, court, url, {"document": EX19, "outcome": "granted", "order": ORDER})
    assert granted.get_json()["state"] == "withdrawn"
    assert EX19 in {
        i["bates_begin"]
        for i in api_get(client, counsel, f"/matters/{demo}/documents", per_page=500).get_json()[
            "items"
        ]
    }
    # the deadline is Defendants' own: Plaintiffs see none of it, the court sees it
    defendants = token_for(client, "counsel@defendants.example")
    theirs = api_get(client, defendants, f"/matters/{demo}/deadlines").get_json()["items"]
    assert [d["due"] for d in theirs] == ["2020-07-10"] and theirs[0]["overdue"] is False
    assert api_get(client, counsel, f"/matters/{demo}/deadlines").get_json()["items"] == []
    assert len(api_get(client, court, f"/matters/{demo}/deadlines").get_json()["items"]) == 1


@pytest.mark.parametrize(
    ("who", "body", "status", "why"),
    [
        (
            "counsel@defendants.example",
            {"document": EX1, "outcome": "denied"},
            403,
            "clawback:rule",
        ),
        (
            "court@casd.example",
            {"document": "AOL-DEF-00556923", "outcome": "denied"},
            404,
            "not in claw-back",
        ),
        ("court@casd.example", {"document": EX18, "outcome": "granted_in_part"}, 422, "pages"),
        (
            "court@casd.example",
            {"document": EX18, "outcome": "granted_in_part", "pages": [18]},
            422,
            "pages 1 to 17",
        ),
        ("court@casd.example", {"document": EX18, "outcome": "upheld"}, 422, "outcome"),
        (
            "court@casd.example",
            {"document": EX1, "outcome": "denied", "order": {"date": "2020-07-01", "docket": "1"}},
            422,
            "future",
        ),
        (
            "court@casd.example",
            {
                "document": EX1,
                "outcome": "denied",
                "deadlines": [{"party": "Nobody", "what": "x", "days": 14}],
            },
            422,
            "no party",
        ),
        (
            "court@casd.example",
            {
                "document": EX1,
                "outcome": "denied",
                "deadlines": [{"party": PLAINTIFFS, "what": "x", "days": 0}],
            },
            422,
            "days",
        ),
    ],
)
def test_a_refused_ruling_changes_nothing(client, demo, rt, clawed, who, body, status, why):
    before = _rows(rt)
    response = _post(
        client,
        token_for(client, who),
        f"/matters/{demo}/clawbacks/{clawed}/rulings",
        {"order": ORDER, **body},
    )
    assert response.status_code == status, response.get_json()
    assert why in response.get_json()["error"]["message"]
    assert _rows(rt) == before


def test_a_second_ruling_on_the_same_document_is_refused(client, demo, rt, clawed):
    court = token_for(client, "court@casd.example")
    url = f"/matters/{demo}/clawbacks/{clawed}/rulings"
    assert (
        _post(
            client, court, url, {"document": EX1, "outcome": "denied", "order": ORDER}
        ).status_code
        == 201
    )
    before = _rows(rt)
    again = _post(client, court, url, {"document": EX1, "outcome": "granted", "order": ORDER})
    assert again.status_code == 409 and _rows(rt) == before


def test_an_order_counting_business_days_sets_its_deadline_so(client, demo, rt, clawed):
    # 10 business days from Friday June 26, 2020: the weekends and Friday July 3 (Independence
    # Day observed, 5 U.S.C. § 6103(b)) do not count, so the last day is Monday July 13
    court = token_for(client, "court@casd.example")
    ruled = _post(
        client,
        court,
        f"/matters/{demo}/clawbacks/{clawed}/rulings",
        {
            "document": EX1,
            "outcome": "denied",
            "order": ORDER,
            "deadlines": [{"party": DEFENDANTS, "what": "x", "days": 10, "business_days": True}],
        },
    )
    assert ruled.status_code == 201, ruled.get_json()
    (due,) = ruled.get_json()["deadlines"]
    assert (due["due"], due["business_days"]) == ("2020-07-13", True)
    assert "2020-07-03" in {s["date"] for s in due["skipped"]}
