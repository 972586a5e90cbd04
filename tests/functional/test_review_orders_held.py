"""Probes that held: each asserts the gateway's correct behaviour."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from tests.functional.test_review_orders_versions import (
    COUNSEL,
    COURT,
    DEFENDANTS,
    EMPLOYEE,
    EX1,
    EX18,
    EX19,
    EXPERT,
    claw_and_rule,
    get,
    post,
    supply,  # noqa: F401 - fixture
)
from tests.helpers import BASE, assert_marked_copy, auth, pdf_bytes, stored_file, token_for


@pytest.fixture
def start(rt):
    from gateway.demo import load_demo

    return load_demo(rt, say=lambda _line: None, start=True)


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def test_hidden_document_versions_and_missing_answer_alike(client, rt, demo):
    assert supply(client, DEFENDANTS, demo, EX1, "public_redacted", "AEO", 5).status_code == 201
    hidden = get(client, EXPERT, demo, f"/documents/{EX1}/versions")
    missing = get(client, EXPERT, demo, "/documents/AOL-DEF-99999999/versions")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    assert get(client, EMPLOYEE, demo, f"/documents/{EX1}").status_code == 404


def test_stricter_version_is_not_named_to_the_employee(client, rt, start):
    claw_and_rule(client, start, EX19, "granted_in_part", [13])
    assert (
        supply(
            client, DEFENDANTS, start, EX19, "privilege_redacted", "CONFIDENTIAL", 19
        ).status_code
        == 201
    )
    assert supply(client, DEFENDANTS, start, EX19, "public_redacted", "AEO", 19).status_code == 201
    items = get(client, EMPLOYEE, start, f"/documents/{EX19}/versions").get_json()["items"]
    # the original (CONFIDENTIAL, replaced) as a slip; the AEO public version not named
    assert [(v["kind"], v["can_view"]) for v in items] == [
        ("original", False),
        ("privilege_redacted", True),
    ]
    meta = get(client, EMPLOYEE, start, f"/documents/{EX19}").get_json()
    assert meta["versions"] == ["privilege_redacted"]


def test_replaced_original_never_reaches_receiving_counsel(client, rt, demo):
    claw_and_rule(client, demo, EX18, "granted_in_part", [13])
    redacted = pdf_bytes(17, "redacted")
    made = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/versions",
        headers=auth(token_for(client, DEFENDANTS)),
        data={
            "kind": "privilege_redacted",
            "designation": "AEO",
            "file": (io.BytesIO(redacted), "v.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert made.status_code == 201
    head = client.head(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/content",
        headers=auth(token_for(client, COUNSEL)),
    )
    # a PDF's marked length is known only once written: HEAD does not claim one
    assert head.status_code == 200 and "Content-Length" not in head.headers
    assert_marked_copy(get(client, COUNSEL, demo, f"/documents/{EX18}/content").data, redacted)
    volume = get(client, COUNSEL, demo, "/productions/AOL-DEF-VOL001/download")
    with zipfile.ZipFile(io.BytesIO(volume.data)) as z:
        names = [n for n in z.namelist() if EX18 in n]
        assert len(names) == 1
        assert_marked_copy(z.read(names[0]), redacted, email=COUNSEL)
    # filing the withheld original publicly is refused; so is the receiving side filing
    filed = post(
        client,
        DEFENDANTS,
        demo,
        "/filings",
        {
            "document": EX18,
            "disposition": "public_full",
            "docket": "1",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    assert filed.status_code == 409
    filed = post(
        client,
        COUNSEL,
        demo,
        "/filings",
        {
            "document": EX18,
            "version": "privilege_redacted",
            "disposition": "public_full",
            "docket": "1",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    assert filed.status_code == 403
    # a second claw-back round trip restores exactly the replaced state
    cb = post(
        client,
        DEFENDANTS,
        demo,
        "/clawbacks",
        {"documents": [EX18], "privilege": "again", "basis": "b"},
    ).get_json()["id"]
    assert get(client, COUNSEL, demo, f"/documents/{EX18}/content").status_code == 403
    post(
        client,
        COURT,
        demo,
        f"/clawbacks/{cb}/rulings",
        {"document": EX18, "outcome": "denied", "order": {"date": "2020-06-26", "docket": "5"}},
    )
    got = get(client, COUNSEL, demo, f"/documents/{EX18}/content")
    assert got.status_code == 200
    assert_marked_copy(got.data, redacted, email=COUNSEL)
    theirs = get(client, DEFENDANTS, demo, f"/documents/{EX18}/content").data
    assert_marked_copy(theirs, stored_file(rt, demo, EX18), email=DEFENDANTS)


def test_sequestration_reaches_existing_versions_and_zip(client, rt, demo):
    assert supply(client, DEFENDANTS, demo, EX1, "public_redacted", "AEO", 5).status_code == 201
    post(
        client, DEFENDANTS, demo, "/clawbacks", {"documents": [EX1], "privilege": "p", "basis": "b"}
    )
    assert get(client, COUNSEL, demo, f"/documents/{EX1}/content").status_code == 403
    meta = get(client, COUNSEL, demo, f"/documents/{EX1}").get_json()
    assert "title" not in meta and meta["versions"] == []
    hits = get(client, COUNSEL, demo, "/documents", q="SENTRI").get_json()
    assert hits["total"] == 0
    volume = get(client, COUNSEL, demo, "/productions/AOL-DEF-VOL001/download")
    with zipfile.ZipFile(io.BytesIO(volume.data)) as z:
        assert not [n for n in z.namelist() if EX1 in n]
        dat = next(n for n in z.namelist() if n.endswith(".dat"))
        assert EX1 not in z.read(dat).decode("utf-8-sig")


def test_refused_supply_of_a_public_record_and_sequestered_redesignation(client, rt, demo):
    claw_and_rule(client, demo, EX18, "granted_in_part", [13])
    refused = post(
        client,
        DEFENDANTS,
        demo,
        f"/documents/{EX18}/designation",
        {"designation": "CONFIDENTIAL", "reason": "r"},
    )
    assert refused.status_code == 409
