"""The audit trail: complete, side-separated (work product), and tamper-evident."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, select, update

from gateway.audit.chain import ANCHOR_ID, verify
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.models import AuditAnchor, AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.matters.models import Party
from tests import factories
from tests.helpers import BASE, api_get, auth, token_for

EX18 = "AOL-DEF-00528691"
CONF = "AOL-DEF-00556923"


@pytest.fixture
def activity(client, demo):
    """Plaintiffs' counsel reviews Ex. 18; the employee probes it and is refused;
    Defendants' counsel opens the declarant key."""
    plaintiffs = token_for(client, "counsel@plaintiffs.example")
    assert api_get(client, plaintiffs, f"/matters/{demo}/documents/{EX18}").status_code == 200
    assert (
        api_get(client, plaintiffs, f"/matters/{demo}/documents/{EX18}/content").status_code == 200
    )
    staff = token_for(client, "staff@alotrolado.example")
    assert api_get(client, staff, f"/matters/{demo}/documents/{EX18}").status_code == 404
    defendants = token_for(client, "counsel@defendants.example")
    assert (
        api_get(client, defendants, f"/matters/{demo}/documents/AOL-PLTF-00000001").status_code
        == 200
    )
    return demo


def _entries(client, email, matter_id, **params):
    token = token_for(client, email)
    response = api_get(client, token, f"/matters/{matter_id}/audit", per_page=500, **params)
    return response


def test_auditor_sees_every_side_including_denials(client, activity):
    body = _entries(client, "auditor@audit.example", activity).get_json()
    assert body["scope"] == "all"
    seen = {(e["user"], e["tag"], e["outcome"], e["document"]) for e in body["items"]}
    assert ("counsel@plaintiffs.example", "document:download", "allowed", EX18) in seen
    assert ("staff@alotrolado.example", "document:view", "denied", EX18) in seen
    assert ("counsel@defendants.example", "document:view", "allowed", "AOL-PLTF-00000001") in seen
    seqs = [e["seq"] for e in body["items"]]
    assert seqs == sorted(seqs, reverse=True), "audit lists newest first"
    denial = next(e for e in body["items"] if e["outcome"] == "denied" and e["document"] == EX18)
    assert denial["rule"], "a denial keeps the rule that decided it"
    assert denial["address"]


def test_producing_party_never_sees_the_receiving_sides_review_trail(client, activity):
    body = _entries(client, "counsel@defendants.example", activity).get_json()
    assert body["scope"] == "side"
    users = {e["user"] for e in body["items"]}
    assert "counsel@plaintiffs.example" not in users
    assert "staff@alotrolado.example" not in users
    assert not any(e["document"] == EX18 for e in body["items"]), (
        "Plaintiffs' review of Ex. 18 leaked"
    )
    assert any(e["document"] == "AOL-PLTF-00000001" for e in body["items"])


def test_receiving_counsel_sees_its_own_side_only(client, activity):
    body = _entries(client, "counsel@plaintiffs.example", activity).get_json()
    users = {e["user"] for e in body["items"]}
    assert {"counsel@plaintiffs.example", "staff@alotrolado.example"} <= users
    assert "counsel@defendants.example" not in users
    assert not any(
        e["document"] == "AOL-PLTF-00000001" and e["user"] == "counsel@defendants.example"
        for e in body["items"]
    )


@pytest.mark.parametrize("email", ["staff@alotrolado.example", "court@casd.example"])
def test_others_may_not_read_the_trail(client, activity, email):
    response = _entries(client, email, activity)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_operator_cannot_read_the_trail(client, activity):
    assert _entries(client, "admin@gateway.example", activity).status_code == 404


def test_filters_and_csv_export(client, activity):
    by_user = _entries(
        client, "auditor@audit.example", activity, user="staff@alotrolado.example"
    ).get_json()
    assert by_user["items"] and all(
        e["user"] == "staff@alotrolado.example" for e in by_user["items"]
    )
    by_doc = _entries(client, "auditor@audit.example", activity, document=EX18).get_json()
    assert by_doc["items"] and all(e["document"] == EX18 for e in by_doc["items"])
    future = _entries(client, "auditor@audit.example", activity, since="2030-01-01").get_json()
    assert future["total"] == 0
    bad = _entries(client, "auditor@audit.example", activity, since="yesterday")
    assert bad.status_code == 400
    token = token_for(client, "auditor@audit.example")
    response = client.get(
        f"{BASE}/api/v1/matters/{activity}/audit?format=csv&document={EX18}", headers=auth(token)
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and {r["bates"] for r in rows} == {EX18}
    assert {"counsel@plaintiffs.example", "staff@alotrolado.example"} <= {
        r["actor_email"] for r in rows
    }


def test_reading_the_trail_is_itself_audited(client, activity, rt):
    _entries(client, "auditor@audit.example", activity)
    with rt.db.session() as session:
        tags = session.scalars(
            select(AuditEntry.tag).where(AuditEntry.actor_email == "auditor@audit.example")
        ).all()
    assert "audit:read" in tags


def _verify(rt):
    with rt.db.session() as session:
        return verify(session, rt.keyring.audit_verify_key)


def test_intact_chain_verifies(activity, rt):
    report = _verify(rt)
    assert report.ok, report.problems
    assert report.checked > 20


class _Undo(Exception):
    """Raised to roll a transaction back once its result is read."""


def _linked(rt, link):
    """The entries ``link`` appends and the head it leaves, then rolled back."""
    with rt.db.session() as session:
        before = session.get(AuditAnchor, ANCHOR_ID).count
    found = None
    try:
        with rt.db.session() as session:
            link(session)
            rows = session.execute(
                select(AuditEntry.seq, AuditEntry.side_seq, AuditEntry.prev_hash, AuditEntry.hash)
                .where(AuditEntry.seq > before)
                .order_by(AuditEntry.seq)
            ).all()
            anchor = session.get(AuditAnchor, ANCHOR_ID)
            found = (rows, anchor.count, anchor.head_hash, anchor.signature)
            raise _Undo
    except _Undo:
        return found


def test_entries_linked_at_once_make_the_chain_one_at_a_time_would(activity, rt):
    with rt.db.session() as session:
        sides = list(session.scalars(select(Party.id).where(Party.matter_id == activity)))[:2]
    actor = Actor(user_id=None, email="bulk@test.example", address="test")
    events = [
        AuditEvent(
            tag=Tag.DESIGNATION_CHANGED,
            outcome=Outcome.ALLOWED,
            actor=actor,
            matter_id=activity,
            side_party_id=side,
            bates=f"X-{n}",
            details={"n": n},
        )
        for n, side in enumerate([sides[0], sides[1], sides[0], None, sides[1], sides[0]])
    ]
    one_by_one = _linked(rt, lambda session: [rt.audit(session, event) for event in events])
    at_once = _linked(rt, lambda session: rt.audit_many(session, events))
    assert len(one_by_one[0]) == len(events)
    # the same numbers within each side, the same links, the same signed head
    assert at_once == one_by_one
    with rt.db.session() as session:
        rt.audit_many(session, events)
    report = _verify(rt)
    assert report.ok, report.problems


def test_edited_row_is_found(activity, rt):
    with rt.db.session() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.seq == 5).values(actor_email="someone@else.example")
        )
    report = _verify(rt)
    assert not report.ok
    assert any("entry 5" in p for p in report.problems)


def test_deleted_row_is_found(activity, rt):
    with rt.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 7))
    report = _verify(rt)
    assert any("entry 7" in p for p in report.problems)


def test_reordered_rows_are_found(activity, rt):
    with rt.db.session() as session:
        a = session.get(AuditEntry, 3)
        b = session.get(AuditEntry, 4)
        a_fields = (a.tag, a.actor_email, a.details, a.hash, a.prev_hash)
        a.tag, a.actor_email, a.details, a.hash, a.prev_hash = (
            b.tag,
            b.actor_email,
            b.details,
            b.hash,
            b.prev_hash,
        )
        b.tag, b.actor_email, b.details, b.hash, b.prev_hash = a_fields
    assert not _verify(rt).ok


def test_deleted_tail_is_found(activity, rt):
    with rt.db.session() as session:
        last = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
        session.execute(delete(AuditEntry).where(AuditEntry.seq > last - 3))
    report = _verify(rt)
    assert any("signed head" in p for p in report.problems)


def test_forged_head_is_found(activity, rt):
    with rt.db.session() as session:
        last = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
        session.execute(delete(AuditEntry).where(AuditEntry.seq == last.seq))
        prev = session.get(AuditEntry, last.seq - 1)
        session.execute(update(AuditAnchor).values(count=last.seq - 1, head_hash=prev.hash))
    report = _verify(rt)
    assert any("signature" in p for p in report.problems)


def test_nothing_is_served_when_the_audit_cannot_be_written(client, demo, rt):
    token = token_for(client, "counsel@plaintiffs.example")
    with rt.db.session() as session:
        session.execute(delete(AuditAnchor))
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{CONF}/content", headers=auth(token)
    )
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "integrity"
    assert b"%PDF" not in response.data


def test_side_trail_never_reveals_a_document_the_reader_cannot_see(client, demo, rt):
    factories.keep_aeo_from_counsel(rt, demo)
    staff = token_for(client, "staff@alotrolado.example")
    assert api_get(client, staff, f"/matters/{demo}/documents/{EX18}").status_code == 404
    assert api_get(client, staff, f"/matters/{demo}/documents/AOL-DEF-99999999").status_code == 404
    counsel = token_for(client, "counsel@plaintiffs.example")
    assert api_get(client, counsel, f"/matters/{demo}/documents/{EX18}").status_code == 404
    items = _entries(client, "counsel@plaintiffs.example", demo).get_json()["items"]
    probes = {
        e["document"]: e
        for e in items
        if e["outcome"] == "denied" and e["user"] == "staff@alotrolado.example"
    }
    hidden, missing = probes[EX18], probes["AOL-DEF-99999999"]
    assert hidden["reason"] == missing["reason"] == "no such document"
    assert hidden["rule"] == missing["rule"] == ""
    token = token_for(client, "counsel@plaintiffs.example")
    exported = client.get(
        f"{BASE}/api/v1/matters/{demo}/audit?format=csv&document={EX18}", headers=auth(token)
    ).get_data(as_text=True)
    assert "deny" not in exported and "AEO" not in exported
    # the neutral auditor still sees the real reason and rule
    audited = _entries(client, "auditor@audit.example", demo, document=EX18).get_json()["items"]
    assert any(e["rule"] and e["reason"] != "no such document" for e in audited)


def test_auditor_gets_the_signed_head_and_counsel_does_not(client, activity):
    auditor = _entries(client, "auditor@audit.example", activity).get_json()
    assert set(auditor["head"]) == {"count", "head_hash", "signature"}
    assert auditor["head"]["count"] >= auditor["items"][0]["seq"]
    counsel = _entries(client, "counsel@plaintiffs.example", activity).get_json()
    assert "head" not in counsel
