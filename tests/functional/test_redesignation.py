"""Re-designation (model order ¶5.3; BRIEF §2, §3): the seed's Ex. 19, CONFIDENTIAL -> AEO.

It takes effect at the next request; everyone who held the document is told what they hold;
the designating party learns the names of its own side's holders only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.documents.models import Document
from gateway.orders.models import Notice, OutboxMessage, PageDesignation
from tests.helpers import BASE, all_bates, api_get, auth, token_for

EX19 = "AOL-DEF-00516605"  # 19 pages; page 13 is AOL-DEF-00516617
EX1 = "AOL-DEF-00556914"


def _designate(client, token, matter_id, bates, **body):
    return client.post(
        f"{BASE}/api/v1/matters/{matter_id}/documents/{bates}/designation",
        headers=auth(token),
        json=body,
    )


def _counts(rt):
    with rt.db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Notice)),
            session.scalar(select(func.count()).select_from(OutboxMessage)),
            session.scalar(select(func.count()).select_from(PageDesignation)),
            tuple(session.scalars(select(Document.designation).order_by(Document.id))),
        )


@pytest.fixture
def ex19_confidential(client, demo):
    """Ex. 19 as first produced: CONFIDENTIAL (the demo serves it as already re-designated)."""
    counsel = token_for(client, "counsel@defendants.example")
    response = _designate(
        client, counsel, demo, EX19, designation="CONFIDENTIAL", reason="as first produced"
    )
    assert response.status_code == 200, response.get_json()
    return counsel


def test_the_employee_who_downloaded_ex19_loses_it_at_once_and_is_told(
    client, demo, rt, ex19_confidential
):
    staff = token_for(client, "staff@alotrolado.example")
    got = api_get(client, staff, f"/matters/{demo}/documents/{EX19}/content")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    plaintiffs = token_for(client, "counsel@plaintiffs.example")
    assert api_get(client, plaintiffs, f"/matters/{demo}/documents/{EX19}").status_code == 200
    own = token_for(client, "counsel@defendants.example")
    assert api_get(client, own, f"/matters/{demo}/documents/{EX19}/content").status_code == 200

    response = _designate(
        client, ex19_confidential, demo, EX19, designation="AEO", reason="inadvertent (¶5.3)"
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["designation"] == "AEO" and body["before"] == "CONFIDENTIAL"
    # Defendants see their own holders by name, never Plaintiffs' (their review is work product)
    names = {n["email"] for n in body["notified"]}
    assert names == {"counsel@defendants.example"}
    assert "staff@alotrolado.example" not in str(body)
    # at once: the employee gets 404, exactly like a missing document
    gone = api_get(client, staff, f"/matters/{demo}/documents/{EX19}")
    missing = api_get(client, staff, f"/matters/{demo}/documents/AOL-DEF-09999999")
    assert gone.status_code == 404 and gone.get_json() == missing.get_json()
    assert EX19 not in all_bates(client, staff, demo)
    # receiving counsel still sees it (AEO is theirs to see)
    assert EX19 in all_bates(client, plaintiffs, demo)
    # the employee is told, by name, what they hold
    notices = api_get(client, staff, "/notices").get_json()["items"]
    (notice,) = [n for n in notices if n["subject"].startswith(EX19)]
    assert "CONFIDENTIAL to AEO" in notice["body"] and "downloaded" in notice["body"]
    # and by e-mail through the spool folder (no mail server), without document content
    spool = sorted((Path(rt.settings["INSTANCE_PATH"]) / "outbox").glob("*.eml"))
    mails = [p.read_text() for p in spool]
    assert any("staff@alotrolado.example" in m and EX19 in m for m in mails)
    assert not any("GENERATED STAND-IN" in m or "Briefing presentation" in m for m in mails)
    # the other side's notices are its own: Defendants' counsel sees none of Plaintiffs'
    defense_notices = api_get(client, own, "/notices").get_json()["items"]
    assert all("staff@" not in n["body"] for n in defense_notices)


def test_named_pages_raise_the_document_to_their_strictest_tier(
    client, demo, rt, ex19_confidential
):
    response = _designate(
        client, ex19_confidential, demo, EX19, designation="AEO", pages=[13], reason="the code"
    )
    assert response.status_code == 200 and response.get_json()["designation"] == "AEO"
    with rt.db.session() as session:
        rows = session.scalars(select(PageDesignation).order_by(PageDesignation.page_no)).all()
    # every page gets its row, the others keeping the tier the document had
    assert [(r.page_no, r.designation) for r in rows if r.designation == "AEO"] == [(13, "AEO")]
    assert len(rows) == 19
    staff = token_for(client, "staff@alotrolado.example")
    assert EX19 not in all_bates(client, staff, demo)
    # the same again changes nothing and is refused (no probe by a no-op)
    again = _designate(
        client, ex19_confidential, demo, EX19, designation="AEO", pages=[13], reason="again"
    )
    assert again.status_code == 409
    # and the page can be lowered again: the document follows its pages back down
    lowered = _designate(
        client, ex19_confidential, demo, EX19, designation="CONFIDENTIAL", pages=[13], reason="x"
    )
    assert lowered.status_code == 200 and lowered.get_json()["designation"] == "CONFIDENTIAL"
    assert EX19 in all_bates(client, staff, demo)


def test_the_designating_partys_trail_does_not_count_the_other_sides_holders(
    client, demo, rt, ex19_confidential
):
    staff = token_for(client, "staff@alotrolado.example")
    assert api_get(client, staff, f"/matters/{demo}/documents/{EX19}/content").status_code == 200
    response = _designate(client, ex19_confidential, demo, EX19, designation="AEO", reason="x")
    assert response.status_code == 200
    trail = api_get(client, ex19_confidential, f"/matters/{demo}/audit", per_page=500).get_json()
    (entry,) = [
        e
        for e in trail["items"]
        if e["tag"] == "document:designation"
        and e["outcome"] == "allowed"
        and e["details"].get("to") == "AEO"
    ]
    assert entry["details"]["notified_on_this_side"] == 0
    assert "notified" not in entry["details"]


@pytest.mark.parametrize(
    ("who", "bates", "body", "status", "why"),
    [
        (
            "counsel@plaintiffs.example",
            EX19,
            {"designation": "PUBLIC", "reason": "x"},
            403,
            "only the designating party",
        ),
        (
            "counsel@defendants.example",
            EX19,
            {"designation": "SECRET", "reason": "x"},
            422,
            "designation: one of",
        ),
        (
            "counsel@defendants.example",
            EX19,
            {"designation": "AEO", "reason": "x", "pages": [20]},
            422,
            "pages 1 to 19",
        ),
        ("counsel@defendants.example", EX19, {"designation": "AEO", "reason": " "}, 422, "reason"),
        (
            "counsel@defendants.example",
            EX19,
            {"designation": "AEO", "reason": "again"},
            409,
            "already designated AEO",
        ),
        (
            "staff@alotrolado.example",
            EX1,
            {"designation": "PUBLIC", "reason": "x"},
            403,
            "designation:change",
        ),
        (
            "counsel@defendants.example",
            "AOL-DEF-09999999",
            {"designation": "AEO", "reason": "x"},
            404,
            "no such document",
        ),
    ],
)
def test_a_refused_redesignation_changes_nothing_and_is_audited(
    client, demo, rt, who, bates, body, status, why
):
    before = _counts(rt)
    response = _designate(client, token_for(client, who), demo, bates, **body)
    assert response.status_code == status, response.get_json()
    assert why in response.get_json()["error"]["message"] or why in _last_denial(rt)
    assert _counts(rt) == before
    assert _last_denial(rt)


def _last_denial(rt) -> str:
    with rt.db.session() as session:
        reason = session.scalar(
            select(AuditEntry.reason)
            .where(AuditEntry.tag == "document:designation", AuditEntry.outcome == "denied")
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
    return reason or ""
