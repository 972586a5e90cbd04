"""Attacks on rulings: periods the calculator cannot count, dates before the claim."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from tests.factories import DEFENDANTS as DEF_PARTY
from tests.helpers import BASE, auth, token_for

EX6 = "AOL-DEF-00556923"
DEFENDANTS = "counsel@defendants.example"
COURT = "court@casd.example"


def _post(client, who, matter, path, body):
    return client.post(
        f"{BASE}/api/v1/matters/{matter}{path}", headers=auth(token_for(client, who)), json=body
    )


@pytest.mark.parametrize("days", [10**6, 10**9, -3, 0])
def test_a_period_the_calculator_cannot_count(app, rt, demo, days):
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    cb = _post(
        client, DEFENDANTS, demo, "/clawbacks", {"documents": [EX6], "privilege": "p", "basis": "b"}
    ).get_json()["id"]
    court = token_for(client, COURT)
    with rt.db.session() as s:
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    ruled = client.post(
        f"{BASE}/api/v1/matters/{demo}/clawbacks/{cb}/rulings",
        headers=auth(court),
        json={
            "document": EX6,
            "outcome": "denied",
            "order": {"date": "2020-06-26", "docket": "463"},
            "deadlines": [{"party": DEF_PARTY, "what": "x", "days": days}],
        },
    )  # noqa
    with rt.db.session() as s:
        after = s.scalar(select(func.count()).select_from(AuditEntry))
    assert ruled.status_code == 422, ruled.status_code
    assert after == audits + 1


def test_an_order_dated_before_the_claim(client, rt, demo):
    cb = _post(
        client, DEFENDANTS, demo, "/clawbacks", {"documents": [EX6], "privilege": "p", "basis": "b"}
    ).get_json()["id"]
    ruled = _post(
        client,
        COURT,
        demo,
        f"/clawbacks/{cb}/rulings",
        {
            "document": EX6,
            "outcome": "denied",
            "order": {"date": "2019-01-02", "docket": "1"},
            "deadlines": [{"party": DEF_PARTY, "what": "file it", "days": 14}],
        },
    )
    assert ruled.status_code == 422, "a ruling dated before the claw-back it decides"


@pytest.mark.parametrize(
    "ordered",
    [
        {"party": DEF_PARTY, "what": "x", "days": 14, "business_days": "yes"},
        {"party": DEF_PARTY, "what": "x", "days": 14, "business_days": 1},
        {"party": DEF_PARTY, "what": "x", "days": "14"},
        {"party": DEF_PARTY, "what": "x", "days": True},
        {"party": 7, "what": "x", "days": 14},
        "14 days",
    ],
    ids=[
        "business-days-text",
        "business-days-number",
        "days-text",
        "days-bool",
        "party-number",
        "text",
    ],
)
def test_an_ill_typed_deadline_refuses_the_ruling_and_changes_nothing(client, rt, demo, ordered):
    from gateway.documents.ingest import count_rows

    cb = _post(
        client, DEFENDANTS, demo, "/clawbacks", {"documents": [EX6], "privilege": "p", "basis": "b"}
    ).get_json()["id"]
    court = token_for(client, COURT)  # signing in is audited too: before the count
    with rt.db.session() as s:
        rows = count_rows(s)
        audits = s.scalar(select(func.count()).select_from(AuditEntry))
    ruled = client.post(
        f"{BASE}/api/v1/matters/{demo}/clawbacks/{cb}/rulings",
        headers=auth(court),
        json={
            "document": EX6,
            "outcome": "denied",
            "order": {"date": "2020-06-26", "docket": "463"},
            "deadlines": [ordered],
        },
    )
    assert ruled.status_code == 422, ruled.get_json()
    assert (
        "deadlines: a list of {party, what, days, business_days?}"
        in (ruled.get_json()["error"]["message"])
    )
    with rt.db.session() as s:
        assert count_rows(s) == rows
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits + 1
    # the claim is untouched: a well-formed ruling on it is recorded now
    ruled = client.post(
        f"{BASE}/api/v1/matters/{demo}/clawbacks/{cb}/rulings",
        headers=auth(court),
        json={
            "document": EX6,
            "outcome": "denied",
            "order": {"date": "2020-06-26", "docket": "463"},
        },
    )
    assert ruled.status_code == 201, ruled.get_json()
