"""Attacks on filings, deadlines and the multipart boundary."""

from __future__ import annotations

import io

from tests.factories import PLAINTIFFS, person
from tests.helpers import BASE, api_get, auth, pdf_bytes, token_for

EX1 = "AOL-DEF-00556914"  # 5 pages, AEO
EX6 = "AOL-DEF-00556923"  # CONFIDENTIAL
EX18 = "AOL-DEF-00528691"  # 17 pages, AEO
ORDER = {"date": "2020-06-26", "docket": "463"}
DEFENDANTS = "counsel@defendants.example"
COUNSEL = "counsel@plaintiffs.example"
EMPLOYEE = "staff@alotrolado.example"
COURT = "court@casd.example"


def post(client, who, matter, path, body):
    return client.post(
        f"{BASE}/api/v1/matters/{matter}{path}", headers=auth(token_for(client, who)), json=body
    )


def get(client, who, matter, path, **params):
    response = api_get(client, token_for(client, who), f"/matters/{matter}{path}", **params)
    response.get_data()  # consume a streamed body: no request context outlives the test
    return response


def test_deadlines_name_documents_the_reader_may_not_list(client, rt, demo):
    """The order obliges Plaintiffs to lodge Ex. 1 (Defendants' AEO) under seal; Plaintiffs'
    counsel does. Plaintiffs' own employee (barred from AEO: Ex. 1 answers 404 like a
    Bates number that does not exist) reads Plaintiffs' deadlines -- and the filing recorded
    against it names AOL-DEF-00556914, its disposition and docket."""
    cb = post(
        client,
        DEFENDANTS,
        demo,
        "/clawbacks",
        {"documents": [EX1], "privilege": "le", "basis": "code"},
    ).get_json()["id"]
    ruled = post(
        client,
        COURT,
        demo,
        f"/clawbacks/{cb}/rulings",
        {
            "document": EX1,
            "outcome": "denied",
            "order": ORDER,
            "deadlines": [{"party": PLAINTIFFS, "what": "lodge the exhibits", "days": 14}],
        },
    )
    assert ruled.status_code == 201, ruled.get_json()
    filed = post(
        client,
        COUNSEL,
        demo,
        "/filings",
        {
            "document": EX1,
            "disposition": "lodged_under_seal",
            "docket": "471",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    assert filed.status_code == 201, filed.get_json()
    assert get(client, EMPLOYEE, demo, f"/documents/{EX1}").status_code == 404
    seen = get(client, EMPLOYEE, demo, "/deadlines")
    assert EX1 not in seen.get_data(as_text=True), "a hidden document's Bates number is named"


def test_deadlines_for_a_neutral_vendor_show_every_partys_obligations(client, rt, demo):
    """A vendor enrolled for no party (standing neutral), without Exhibit A, reads every
    party's obligations and the Bates numbers filed against them."""
    person(rt, demo, "reporter@depo.example", "vendor")
    post(
        client,
        DEFENDANTS,
        demo,
        "/clawbacks",
        {"documents": [EX1], "privilege": "le", "basis": "code"},
    )
    ruled = post(
        client,
        COURT,
        demo,
        "/clawbacks/1/rulings",
        {
            "document": EX1,
            "outcome": "denied",
            "order": ORDER,
            "deadlines": [
                {
                    "party": "Chad F. Wolf, et al. (Defendants)",
                    "what": "lodge Ex. 1 under seal",
                    "days": 14,
                }
            ],
        },
    )
    assert ruled.status_code == 201
    assert (
        post(
            client,
            DEFENDANTS,
            demo,
            "/filings",
            {
                "document": EX1,
                "disposition": "lodged_under_seal",
                "docket": "471",
                "filed_at": "2020-06-26T09:00:00-07:00",
            },
        ).status_code
        == 201
    )
    vendor = get(client, "reporter@depo.example", demo, "/deadlines")
    get(client, "reporter@depo.example", demo, f"/documents/{EX1}")
    assert EX1 not in vendor.get_data(as_text=True)


def test_a_filing_dated_before_the_order_counts_as_on_time(client, rt, demo):
    cb = post(
        client,
        DEFENDANTS,
        demo,
        "/clawbacks",
        {"documents": [EX6], "privilege": "le", "basis": "code"},
    ).get_json()["id"]
    ruled = post(
        client,
        COURT,
        demo,
        f"/clawbacks/{cb}/rulings",
        {
            "document": EX6,
            "outcome": "denied",
            "order": ORDER,
            "deadlines": [
                {
                    "party": "Chad F. Wolf, et al. (Defendants)",
                    "what": "file Ex. 6 in full",
                    "days": 14,
                }
            ],
        },
    )
    assert ruled.status_code == 201
    filed = post(
        client,
        DEFENDANTS,
        demo,
        "/filings",
        {
            "document": EX6,
            "disposition": "public_full",
            "docket": "1",
            "filed_at": "1999-01-01T00:00:00-08:00",
        },
    )
    assert filed.status_code == 422, "a filing before the order (and the case) is accepted"


def test_lodging_a_redacted_version_gives_the_court_the_sequestered_original(client, rt, demo):
    """Ex. 18 is clawed back (sequestered; not presented: the court may not open it). A
    public-redacted version supplied afterwards must not open a way to the original."""
    post(
        client,
        DEFENDANTS,
        demo,
        "/clawbacks",
        {"documents": [EX18], "privilege": "le", "basis": "code"},
    ).get_json()["id"]
    assert get(client, COURT, demo, f"/documents/{EX18}/content").status_code == 403
    made = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/versions",
        headers=auth(token_for(client, DEFENDANTS)),
        data={
            "kind": "public_redacted",
            "designation": "AEO",
            "file": (io.BytesIO(pdf_bytes(17, "public")), "v.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert made.status_code == 201
    seen = get(client, COUNSEL, demo, f"/documents/{EX18}").get_json()
    assert "served_version" not in seen and seen["state"] == "sequestered"
    filed = post(
        client,
        COUNSEL,
        demo,
        "/filings",
        {
            "document": EX18,
            "version": "public_redacted",
            "disposition": "lodged_under_seal",
            "docket": "472",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    # made while the claim is pending, the version is sequestered with the document: counsel
    # neither sees nor lodges it, and the court still does not open the original
    assert filed.status_code == 404, filed.get_json()
    assert get(client, COURT, demo, f"/documents/{EX18}/content").status_code == 403


def test_a_filing_naming_an_ill_typed_deadline_is_refused_and_changes_nothing(client, rt, demo):

    from sqlalchemy import func, select

    from gateway.audit.models import AuditEntry
    from gateway.documents.ingest import count_rows
    from gateway.orders.models import Filing

    defendants = token_for(client, DEFENDANTS)  # signing in is audited too: before the count
    for named in ("1", 1.5, True, [1], {"id": 1}):
        with rt.db.session() as s:
            rows, audits = count_rows(s), s.scalar(select(func.count()).select_from(AuditEntry))
            filings = s.scalar(select(func.count()).select_from(Filing))
        response = client.post(
            f"{BASE}/api/v1/matters/{demo}/filings",
            headers=auth(defendants),
            json={
                "document": EX6,
                "disposition": "lodged_under_seal",
                "docket": "470-6",
                "filed_at": rt.now().isoformat(),
                "deadline": named,
            },
        )
        assert response.status_code == 422, (named, response.get_json())
        message = response.get_json()["error"]["message"]
        assert message == "deadline: the id of one of your party's deadlines (GET deadlines)"
        with rt.db.session() as s:
            assert count_rows(s) == rows
            assert s.scalar(select(func.count()).select_from(Filing)) == filings
            assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits + 1
