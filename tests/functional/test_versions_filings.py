"""Versions of a document and filings with the court: who may supply and file what, and
bad input that changes nothing (rows and blobs counted) and is audited with its reason."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.documents.ingest import count_rows
from gateway.documents.models import Document
from gateway.orders.models import Filing
from tests.factories import add_non_party, person
from tests.helpers import BASE, api_get, assert_marked_copy, auth, pdf_bytes, token_for

EX1 = "AOL-DEF-00556914"  # 5 pages, AEO
EX14 = "AOL-DEF-00556931"  # 1 page, CONFIDENTIAL
EX18 = "AOL-DEF-00528691"  # 17 pages, AEO
ORDER = {"date": "2020-06-26", "docket": "463"}
DEFENDANTS = "counsel@defendants.example"
PLAINTIFFS = "counsel@plaintiffs.example"


def _state(rt) -> tuple[Any, ...]:
    with rt.db.session() as session:
        return (
            count_rows(session),
            session.scalar(select(func.count()).select_from(Filing)),
            tuple(session.execute(select(Document.designation, Document.state)).all()),
            sorted(rt.blobs.store.iter_keys()),
        )


def _denials(rt, tag: str) -> list[str]:
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.reason).where(
                    AuditEntry.tag == tag, AuditEntry.outcome == "denied"
                )
            )
        )


def _supply(
    client,
    who,
    matter,
    bates,
    *,
    kind="privilege_redacted",
    designation="AEO",
    pdf=None,
    order=("kind", "designation", "file"),
):
    fields: dict[str, Any] = {
        "kind": kind,
        "designation": designation,
        "file": (io.BytesIO(pdf if pdf is not None else pdf_bytes(17)), "v.pdf"),
    }
    return client.post(
        f"{BASE}/api/v1/matters/{matter}/documents/{bates}/versions",
        headers=auth(token_for(client, who)),
        data={k: fields[k] for k in order},
        content_type="multipart/form-data",
    )


def _post(client, who, path, body):
    return client.post(f"{BASE}/api/v1{path}", headers=auth(token_for(client, who)), json=body)


@pytest.fixture
def in_part(client, demo) -> int:
    """Ex. 18 clawed back and granted in part for page 13, as the order did."""
    noticed = _post(
        client,
        DEFENDANTS,
        f"/matters/{demo}/clawbacks",
        {"documents": [EX18], "privilege": "law enforcement", "basis": "a database code"},
    )
    clawback = noticed.get_json()["id"]
    ruled = _post(
        client,
        "court@casd.example",
        f"/matters/{demo}/clawbacks/{clawback}/rulings",
        {"document": EX18, "outcome": "granted_in_part", "pages": [13], "order": ORDER},
    )
    assert ruled.status_code == 201, ruled.get_json()
    return demo


def test_a_privilege_redacted_version_replaces_the_original_for_the_receiving_side(
    client, rt, in_part
):
    redacted = pdf_bytes(17, "redacted for privilege")
    # the file part first, the fields after it: read as they arrive, bound at the end
    made = _supply(
        client, DEFENDANTS, in_part, EX18, pdf=redacted, order=("file", "kind", "designation")
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json() | {"created_at": ""} == {
        "document": EX18,
        "kind": "privilege_redacted",
        "designation": "AEO",
        "state": "produced",
        "page_count": 17,
        "created_at": "",
        "public_record": False,
        "note": "supplied as a PDF by the producing party",
        "filings": [],
    }
    counsel = token_for(client, PLAINTIFFS)
    meta = api_get(client, counsel, f"/matters/{in_part}/documents/{EX18}").get_json()
    assert meta["state"] == "replaced" and meta["versions"] == ["privilege_redacted"]
    assert meta["served_version"] == {"kind": "privilege_redacted", "designation": "AEO"}
    got = api_get(client, counsel, f"/matters/{in_part}/documents/{EX18}/content")
    assert got.status_code == 200
    assert_marked_copy(got.data, redacted, email=PLAINTIFFS)
    theirs = api_get(client, token_for(client, DEFENDANTS), f"/matters/{in_part}/documents/{EX18}")
    assert theirs.get_json()["versions"] == ["original", "privilege_redacted"]
    # a second one is refused, and nothing changes
    before = _state(rt)
    again = _supply(client, DEFENDANTS, in_part, EX18)
    assert again.status_code == 409
    assert _state(rt) == before


@pytest.mark.parametrize(
    ("who", "bates", "fields", "status", "why"),
    [
        # a different page count
        (DEFENDANTS, EX18, {"pdf": pdf_bytes(16)}, 422, "16 page(s)"),
        # not a PDF at all
        (DEFENDANTS, EX18, {"pdf": b"GIF89a not a pdf"}, 422, "as a PDF"),
        # a document whose claw-back was not granted in part
        (DEFENDANTS, EX1, {"pdf": pdf_bytes(5)}, 409, "granted in part"),
        # by the receiving party
        (PLAINTIFFS, EX18, {}, 403, "only the producing or designating party"),
        # a tier the matter does not define
        (DEFENDANTS, EX18, {"designation": "SECRET"}, 422, "designation"),
        # the original is not supplied
        (DEFENDANTS, EX18, {"kind": "original"}, 422, "kind"),
        # a role that supplies nothing
        ("court@casd.example", EX18, {}, 403, "version:supply"),
        # a document that does not exist
        (DEFENDANTS, "AOL-DEF-99999999", {}, 404, "no such document"),
    ],
)
def test_a_bad_version_changes_nothing(client, rt, in_part, who, bates, fields, status, why):
    before = _state(rt)
    response = _supply(client, who, in_part, bates, **fields)
    assert response.status_code == status, response.get_json()
    assert _state(rt) == before  # no row, no blob
    assert any(why in reason for reason in _denials(rt, "version:supply")), _denials(
        rt, "version:supply"
    )


def _file(client, who, matter, **body):
    return _post(
        client,
        who,
        f"/matters/{matter}/filings",
        {"docket": "470", "filed_at": "2020-06-26T09:00:00-07:00", **body},
    )


def test_filing_in_full_makes_a_public_record_and_under_seal_gives_the_court_the_document(
    client, rt, demo
):
    expert = token_for(client, "expert@plaintiffs.example")  # no Exhibit A: PUBLIC only
    assert api_get(client, expert, f"/matters/{demo}/documents/{EX14}").status_code == 404
    filed = _file(client, DEFENDANTS, demo, document=EX14, disposition="public_full")
    assert filed.status_code == 201, filed.get_json()
    body = filed.get_json()
    assert body["designation"] == {"before": "CONFIDENTIAL", "after": "PUBLIC"}
    assert body["deadline"] is None  # no order set one for it
    meta = api_get(client, expert, f"/matters/{demo}/documents/{EX14}").get_json()
    assert meta["designation"] == "PUBLIC" and meta["can_download"]
    history = api_get(client, expert, f"/matters/{demo}/documents/{EX14}/versions").get_json()
    assert history["items"][0]["public_record"] is True
    assert history["items"][0]["filings"][0]["docket"] == "470"
    # the court's own record of a sealed lodging
    sealed = _file(
        client, "court@casd.example", demo, document=EX1, disposition="lodged_under_seal"
    )
    assert sealed.status_code == 201 and sealed.get_json()["designation"]["after"] == "AEO"


@pytest.mark.parametrize(
    ("who", "body", "status", "why"),
    [
        # the receiving party cannot put Defendants' material on the public docket
        (PLAINTIFFS, {"document": EX14, "disposition": "public_full"}, 403, "under seal"),
        # a role that files nothing
        (
            "staff@alotrolado.example",
            {"document": EX14, "disposition": "lodged_under_seal"},
            403,
            "filing:record",
        ),
        # a document the filer cannot see: a non-party's counsel sees only its own
        ("counsel@vendor.example", {"document": EX1, "disposition": "lodged_under_seal"}, 404, ""),
        (
            PLAINTIFFS,
            {"document": "AOL-DEF-99999999", "disposition": "lodged_under_seal"},
            404,
            "no such document",
        ),
        # a filing with redactions needs its public-redacted version
        (DEFENDANTS, {"document": EX1, "disposition": "public_redacted"}, 404, "no such version"),
        (DEFENDANTS, {"document": EX1, "disposition": "on_the_docket"}, 422, "disposition"),
        (
            DEFENDANTS,
            {"document": EX1, "disposition": "public_full", "filed_at": "2020-06-26T09:00:00"},
            422,
            "offset",
        ),
        (
            DEFENDANTS,
            {
                "document": EX1,
                "disposition": "public_full",
                "filed_at": "2020-07-01T09:00:00-07:00",
            },
            422,
            "future",
        ),
        (DEFENDANTS, {"document": EX1, "disposition": "public_full", "docket": ""}, 422, "docket"),
    ],
)
def test_a_bad_filing_changes_nothing(client, rt, demo, who, body, status, why):
    add_non_party(rt, demo)
    person(rt, demo, "counsel@vendor.example", "outside_counsel", party="Border Data Vendor LLC")
    before = _state(rt)
    response = _file(client, who, demo, **body)
    assert response.status_code == status, response.get_json()
    assert _state(rt) == before
    assert any(why in reason for reason in _denials(rt, "filing:record"))


def test_a_receiving_party_lodges_under_seal_what_it_may_see(client, rt, demo):
    filed = _file(client, PLAINTIFFS, demo, document=EX1, disposition="lodged_under_seal")
    assert filed.status_code == 201, filed.get_json()
    assert filed.get_json()["designation"] == {"before": "AEO", "after": "AEO"}
    # Ex. 1 keeps its designation: the employee still may not see it
    staff = token_for(client, "staff@alotrolado.example")
    assert api_get(client, staff, f"/matters/{demo}/documents/{EX1}").status_code == 404
