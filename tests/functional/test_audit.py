"""The audit trail: complete, side-separated (work product), and tamper-evident."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import delete, select, update

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.log import log_name
from gateway.audit.merkle import Frontier
from gateway.audit.models import AuditCheckpoint, AuditEntry, LogHead
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


def _verify(rt, receipts=()):
    with rt.db.read_session() as session:
        return rt.audit_log.verify(session, receipts=receipts)


def _log_entries(rt, name):
    """The entries of one log, in their order."""
    with rt.db.session() as session:
        head = session.scalar(select(LogHead).where(LogHead.name == name))
        return session.scalars(
            select(AuditEntry).where(AuditEntry.log_id == head.id).order_by(AuditEntry.log_index)
        ).all()


def _plaintiffs_log(rt, matter_id):
    with rt.db.session() as session:
        party = session.scalar(
            select(Party.id).where(Party.matter_id == matter_id, Party.kind == "plaintiff")
        )
    return log_name(matter_id, party)


def test_intact_logs_verify(activity, rt):
    report = _verify(rt)
    assert report.ok, report.problems
    assert report.checked > 20
    with rt.db.session() as session:
        names = set(session.scalars(select(LogHead.name)))
    # the court's log, each party's, the matter's log of checkpoints, the instance's log
    assert {f"matter/{activity}/court", f"matter/{activity}/checkpoints", "global"} <= names
    assert sum(1 for n in names if n.startswith(f"matter/{activity}/party/")) >= 2


def test_each_side_has_its_own_dense_log(activity, rt):
    name = _plaintiffs_log(rt, activity)
    entries = _log_entries(rt, name)
    assert [e.log_index for e in entries] == list(range(len(entries)))
    assert [e.side_seq for e in entries] == [i + 1 for i in range(len(entries))]
    assert {e.actor_email for e in entries} >= {"counsel@plaintiffs.example"}
    assert "counsel@defendants.example" not in {e.actor_email for e in entries}


class _Undo(Exception):
    """Raised to roll a transaction back once its result is read."""


def _placed(rt, append):
    """Where ``append`` puts its entries (log, index, side number, what), rolled back."""
    found = None
    try:
        with rt.db.session() as session:
            made = append(session)
            found = [(e.log_id, e.log_index, e.side_seq, e.tag, e.bates) for e in made]
            raise _Undo
    except _Undo:
        return found


def test_entries_appended_at_once_go_where_one_at_a_time_would(activity, rt):
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
    one_by_one = _placed(rt, lambda session: [rt.audit(session, event) for event in events])
    at_once = _placed(rt, lambda session: rt.audit_many(session, events))
    assert len(one_by_one) == len(events)
    assert at_once == one_by_one
    with rt.db.session() as session:
        rt.audit_many(session, events)
    report = _verify(rt)
    assert report.ok, report.problems


def test_edited_entry_is_named(activity, rt):
    name = _plaintiffs_log(rt, activity)
    victim = _log_entries(rt, name)[2]
    with rt.db.session() as session:
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == victim.seq)
            .values(actor_email="someone@else.example")
        )
    report = _verify(rt)
    assert not report.ok
    assert f"{name}: entry 2: contents do not match its hash" in report.problems


def test_deleted_entry_is_named(activity, rt):
    name = _plaintiffs_log(rt, activity)
    victim = _log_entries(rt, name)[3]
    with rt.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == victim.seq))
    report = _verify(rt)
    assert any(p.startswith(f"{name}: entry 3 is missing") for p in report.problems)


def test_swapped_entries_are_found(activity, rt):
    name = _plaintiffs_log(rt, activity)
    a, b = _log_entries(rt, name)[1:3]
    with rt.db.session() as session:
        first = session.get(AuditEntry, a.seq)
        second = session.get(AuditEntry, b.seq)
        for field in ("tag", "actor_email", "details", "hash", "bates", "document_id"):
            left, right = getattr(first, field), getattr(second, field)
            setattr(first, field, right)
            setattr(second, field, left)
    report = _verify(rt)
    assert f"{name}: entry 1: contents do not match its hash" in report.problems


def test_a_cut_log_is_found_against_its_signed_checkpoint(activity, rt):
    name = _plaintiffs_log(rt, activity)
    entries = _log_entries(rt, name)
    with rt.db.session() as session:
        rt.audit_log.checkpoint(session, name, rt.now(), covering=len(entries))
    # someone with the database but not the key cuts the last three entries and rebuilds
    # the head so that it matches what is left
    kept = Frontier()
    for entry in entries[:-3]:
        kept.append(bytes.fromhex(entry.hash))
    with rt.db.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq.in_([e.seq for e in entries[-3:]])))
        session.execute(
            update(LogHead)
            .where(LogHead.name == name)
            .values(
                size=kept.size,
                frontier=json.dumps([h.hex() for h in kept.hashes]),
                root=kept.root().hex(),
            )
        )
    report = _verify(rt)
    assert any(
        p.startswith(f"{name}: a checkpoint signed {len(entries)} entries") for p in report.problems
    )


def test_a_forged_checkpoint_is_found(activity, rt):
    name = _plaintiffs_log(rt, activity)
    with rt.db.session() as session:
        rt.audit_log.checkpoint(session, name, rt.now())
        row = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))
        lines = row.note.split("\n")
        lines[1] = str(int(lines[1]) + 1)
        row.note = "\n".join(lines)
    report = _verify(rt)
    assert any("does not hold" in p for p in report.problems)


def test_nothing_is_served_when_the_audit_cannot_be_written(client, demo, rt):
    token = token_for(client, "counsel@plaintiffs.example")
    name = _plaintiffs_log(rt, demo)
    with rt.db.session() as session:
        session.execute(update(LogHead).where(LogHead.name == name).values(frontier="[]"))
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


def test_auditor_gets_every_logs_checkpoint_and_counsel_only_its_own(client, activity, rt, clock):
    verifier = rt.audit_log.signer.verifier
    auditor = _entries(client, "auditor@audit.example", activity).get_json()
    origins = {Checkpoint.open(note, verifier).origin for note in auditor["checkpoints"]}
    prefix = rt.audit_log.signer.name
    assert f"{prefix}/matter/{activity}/court" in origins
    assert f"{prefix}/matter/{activity}/checkpoints" in origins
    assert sum(1 for o in origins if f"/matter/{activity}/party/" in o) >= 2
    name = _plaintiffs_log(rt, activity)
    clock.advance(seconds=rt.settings["AUDIT_CHECKPOINT_SECONDS"])  # the last one is stale
    counsel = _entries(client, "counsel@plaintiffs.example", activity).get_json()
    (only,) = [Checkpoint.open(note, verifier) for note in counsel["checkpoints"]]
    assert only.origin == f"{prefix}/{name}"
    # its size counts that side's entries and nothing else (the read's own included)
    assert only.size == len(_log_entries(rt, name))
    # read again at once: the same checkpoint, not one more for every reading
    again = _entries(client, "counsel@plaintiffs.example", activity).get_json()
    assert again["checkpoints"] == counsel["checkpoints"]


def test_an_entry_filed_under_a_log_of_checkpoints_is_found(activity, rt):
    """Someone with the database adds a download to the matter's log of checkpoints, whose
    own entries are checkpoints: the views would show it, and verify must not pass it."""
    with rt.db.session() as session:
        ledger = session.scalar(
            select(LogHead).where(LogHead.name == f"matter/{activity}/checkpoints")
        )
        real = session.scalar(
            select(AuditEntry).where(AuditEntry.tag == "document:download").limit(1)
        )
        session.add(
            AuditEntry(
                seq=10_000,
                log_id=ledger.id,
                log_index=999,
                at=real.at,
                tag="document:download",
                outcome="allowed",
                actor_email="counsel@plaintiffs.example",
                matter_id=activity,
                side_party_id=real.side_party_id,
                bates=EX18,
                hash="0" * 64,
            )
        )
    report = _verify(rt)
    assert any("filed under a log of checkpoints" in p for p in report.problems), report.problems


def test_checkpoints_deleted_from_the_database_are_found_by_the_witness(settings, clock, tmp_path):
    """Every checkpoint deleted and the logs rewritten, heads and all: the database agrees
    with itself, but the witness folder kept what was signed."""
    from gateway.audit.merkle import Frontier
    from gateway.audit.service import verify_live
    from gateway.runtime import Runtime

    folder = tmp_path / "witness"
    rt = Runtime({**settings, "AUDIT_WITNESS_DIR": str(folder)}, clock=clock)
    if settings["DATABASE_URL"].startswith("sqlite"):
        rt.db.create_all()
    try:
        actor = Actor(user_id=None, email="someone@example", address="test")
        with rt.db.session() as session:
            for n in range(3):
                rt.audit(
                    session, AuditEvent(Tag.DOCUMENT_VIEW, Outcome.ALLOWED, actor, bates=f"D-{n}")
                )
        assert any(folder.rglob("*.note"))
        assert verify_live(rt, []).ok
        with rt.db.session() as session:
            session.execute(delete(AuditCheckpoint))
            head = session.scalar(select(LogHead).where(LogHead.name == "global"))
            entries = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.log_id == head.id)
                .order_by(AuditEntry.log_index)
            ).all()
            entries[0].bates = "REWRITTEN"
            frontier = Frontier()
            for entry in entries:
                entry.hash = encoding.leaf(encoding.body(entry, "global")).hex()
                frontier.append(bytes.fromhex(entry.hash))
            head.root = frontier.root().hex()
            head.frontier = json.dumps([h.hex() for h in frontier.hashes])
            head.checkpointed_size = 0
            for ledger in session.scalars(select(LogHead).where(LogHead.name.like("%checkpoints"))):
                ledger.size, ledger.frontier, ledger.checkpointed_size = 0, "[]", 0
                ledger.root = Frontier().root().hex()
        report = verify_live(rt, [])
        assert not report.ok
        assert any(p.startswith("global: ") for p in report.problems), report.problems
    finally:
        rt.close()
