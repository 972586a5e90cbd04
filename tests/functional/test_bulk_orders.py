"""Re-designating many documents in one request (model order §5.3; BRIEF §2; issue 8).

``POST /matters/<id>/designations`` does what one re-designation per document would: the
same checks, the same audit entry per document, the change visible at every user's next
request. It is all or none, and each person who held any of the documents gets one notice
naming every one they hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.documents.models import Document, DocumentFile
from gateway.orders.models import Notice, OutboxMessage, PageDesignation
from tests.helpers import BASE, all_bates, api_get, auth, token_for

DEFENDANTS = "counsel@defendants.example"
PLAINTIFFS = "counsel@plaintiffs.example"
STAFF = "staff@alotrolado.example"
# Ex. 6-9, CONFIDENTIAL in the demo: the party employee with Exhibit A sees them
EX6, EX7, EX8, EX9 = "AOL-DEF-00556923", "AOL-DEF-00556924", "AOL-DEF-00556925", "AOL-DEF-00556926"
EX1 = "AOL-DEF-00556914"  # AEO already
PLAINTIFFS_INDEX = "AOL-PLTF-00000004"  # Plaintiffs' production, designated by them
MISSING = "AOL-DEF-09999999"


def _bulk(client, token, matter_id, **body):
    return client.post(
        f"{BASE}/api/v1/matters/{matter_id}/designations", headers=auth(token), json=body
    )


def _counts(rt):
    """Everything a re-designation changes: notices, mail, page rows, tiers, wrapped keys."""
    with rt.db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Notice)),
            session.scalar(select(func.count()).select_from(OutboxMessage)),
            session.scalar(select(func.count()).select_from(PageDesignation)),
            tuple(session.scalars(select(Document.designation).order_by(Document.id))),
            tuple(session.scalars(select(DocumentFile.wrapped_data_key).order_by(DocumentFile.id))),
        )


def _entries(rt, *, outcome):
    with rt.db.session() as session:
        return session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tag == "document:designation", AuditEntry.outcome == outcome)
            .order_by(AuditEntry.seq)
        ).all()


def _chain_verifies(rt):
    with rt.db.session() as session:
        report = rt.audit_log.verify(session)
    assert report.ok, report.problems


def test_every_document_changes_at_once_for_everyone(client, demo, rt):
    staff = token_for(client, STAFF)
    plaintiffs = token_for(client, PLAINTIFFS)
    defendants = token_for(client, DEFENDANTS)
    assert {EX6, EX7, EX8} <= set(all_bates(client, staff, demo))
    for bates in (EX6, EX7):  # the employee holds two of them
        assert (
            api_get(client, staff, f"/matters/{demo}/documents/{bates}/content").status_code == 200
        )
    assert api_get(client, plaintiffs, f"/matters/{demo}/documents/{EX8}").status_code == 200
    assert api_get(client, defendants, f"/matters/{demo}/documents/{EX6}").status_code == 200

    response = _bulk(
        client,
        defendants,
        demo,
        documents=[EX6, EX7, EX8],
        designation="AEO",
        reason="inadvertent failure to designate (¶5.3)",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["documents"] == [
        {"document": b, "before": "CONFIDENTIAL", "designation": "AEO"} for b in (EX6, EX7, EX8)
    ]
    # Defendants learn the names of their own side's holders only (the rest is work product)
    assert [n["email"] for n in body["notified"]] == [DEFENDANTS]
    assert body["notified"][0]["held"][0].startswith(f"{EX6}: viewed ")
    assert STAFF not in str(body) and PLAINTIFFS not in str(body)

    # at the employee's next request all three are gone, answered like a missing document
    assert not {EX6, EX7, EX8} & set(all_bates(client, staff, demo))
    gone = api_get(client, staff, f"/matters/{demo}/documents/{EX7}")
    missing = api_get(client, staff, f"/matters/{demo}/documents/{MISSING}")
    assert gone.status_code == 404 and gone.get_json() == missing.get_json()
    # receiving counsel still lists and opens them: the data keys were re-wrapped
    assert {EX6, EX7, EX8} <= set(all_bates(client, plaintiffs, demo))
    content = api_get(client, plaintiffs, f"/matters/{demo}/documents/{EX7}/content")
    assert content.status_code == 200 and content.data.startswith(b"%PDF")
    _chain_verifies(rt)


def test_each_holder_gets_one_notice_naming_what_they_hold(client, demo, rt):
    staff = token_for(client, STAFF)
    plaintiffs = token_for(client, PLAINTIFFS)
    for bates in (EX6, EX7):
        assert (
            api_get(client, staff, f"/matters/{demo}/documents/{bates}/content").status_code == 200
        )
    assert api_get(client, plaintiffs, f"/matters/{demo}/documents/{EX8}").status_code == 200
    response = _bulk(
        client,
        token_for(client, DEFENDANTS),
        demo,
        documents=[EX6, EX7, EX8, EX9],
        designation="AEO",
        reason="inadvertent",
    )
    assert response.status_code == 200, response.get_json()

    (theirs,) = api_get(client, staff, "/notices").get_json()["items"]
    assert theirs["subject"] == "2 documents you hold re-designated AEO"
    assert f"{EX6} (was CONFIDENTIAL)" in theirs["body"]
    assert f"{EX7} (was CONFIDENTIAL)" in theirs["body"] and "downloaded" in theirs["body"]
    # never a document they did not hold
    assert EX8 not in theirs["body"] and EX9 not in theirs["body"]
    # one document held: the notice a single re-designation sends
    (counsels,) = api_get(client, plaintiffs, "/notices").get_json()["items"]
    assert counsels["subject"] == f"{EX8} re-designated AEO"
    assert "from CONFIDENTIAL to AEO" in counsels["body"]
    spool = sorted((Path(rt.settings["INSTANCE_PATH"]) / "outbox").glob("*.eml"))
    mails = [p.read_text() for p in spool]
    assert sum(STAFF in m for m in mails) == 1
    assert not any("GENERATED STAND-IN" in m for m in mails)


def test_the_audit_says_what_one_call_per_document_would(client, demo, rt):
    defendants = token_for(client, DEFENDANTS)
    single = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX9}/designation",
        headers=auth(defendants),
        json={"designation": "AEO", "reason": "inadvertent"},
    )
    assert single.status_code == 200
    response = _bulk(
        client, defendants, demo, documents=[EX6, EX7], designation="AEO", reason="inadvertent"
    )
    assert response.status_code == 200
    one, *many = _entries(rt, outcome="allowed")
    assert [e.bates for e in many] == [EX6, EX7]

    def shown(entry):
        return (
            entry.tag,
            entry.outcome,
            entry.reason,
            entry.rule,
            entry.actor_email,
            entry.side_party_id,
            entry.matter_id,
            entry.details,
        )

    assert all(shown(e) == shown(one) for e in many)
    _chain_verifies(rt)


def test_a_document_with_designated_pages_takes_the_tier_whole(client, demo, rt):
    defendants = token_for(client, DEFENDANTS)
    paged = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX1}/designation",
        headers=auth(defendants),
        json={"designation": "CONFIDENTIAL", "pages": [1], "reason": "page 1 only"},
    )
    assert paged.status_code == 200 and paged.get_json()["designation"] == "AEO"
    # still AEO as a whole, but its pages are its own: the whole tier is a change
    response = _bulk(
        client, defendants, demo, documents=[EX1, EX6], designation="AEO", reason="whole"
    )
    assert response.status_code == 200, response.get_json()
    with rt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(PageDesignation)) == 0


@pytest.mark.parametrize(
    ("who", "documents", "body", "status", "why", "named"),
    [
        # one Bates number that does not exist: refused as a look-up of it alone would be
        (DEFENDANTS, [EX6, MISSING, EX7], {}, 404, "no such document", MISSING),
        # another party's document among them
        (DEFENDANTS, [EX6, PLAINTIFFS_INDEX], {}, 403, "only the designating", PLAINTIFFS_INDEX),
        # one already has the tier: a change that changes nothing is refused
        (DEFENDANTS, [EX6, EX1], {}, 409, f"{EX1} already designated AEO", EX1),
        (DEFENDANTS, [EX6, EX6], {}, 400, "named twice", ""),
        (DEFENDANTS, [], {}, 400, "name 1 to", ""),
        (DEFENDANTS, EX6, {}, 422, "a list of Bates numbers", ""),
        (DEFENDANTS, [EX6], {"designation": "SECRET"}, 422, "designation: one of", ""),
        (DEFENDANTS, [EX6], {"reason": " "}, 422, "reason", ""),
        (STAFF, [EX6], {}, 403, "designation:change", ""),
    ],
)
def test_one_document_refused_changes_none_and_is_audited(
    client, demo, rt, who, documents, body, status, why, named
):
    before = _counts(rt)
    denials = len(_entries(rt, outcome="denied"))
    fields = {"designation": "AEO", "reason": "inadvertent"} | body
    response = _bulk(client, token_for(client, who), demo, documents=documents, **fields)
    assert response.status_code == status, response.get_json()
    *_, denial = _entries(rt, outcome="denied")
    assert why in response.get_json()["error"]["message"] or why in denial.reason
    assert _counts(rt) == before
    assert len(_entries(rt, outcome="denied")) == denials + 1
    assert _entries(rt, outcome="allowed") == []
    # the entry names the document that was refused, if one was
    assert denial.bates == named
    _chain_verifies(rt)
