"""Proofs over the API: an entry's inclusion, a log's consistency, for who may read them."""

from __future__ import annotations

from sqlalchemy import select

from gateway.audit.checkpoint import Checkpoint, Verifier
from gateway.audit.log import log_name
from gateway.audit.models import AuditEntry
from gateway.audit.offline import check_proof
from gateway.matters.models import Party
from tests import factories
from tests.helpers import api_get, token_for

EX18 = "AOL-DEF-00528691"
CONF = "AOL-DEF-00556923"
COUNSEL = "counsel@plaintiffs.example"
AUDITOR = "auditor@audit.example"


def _party(rt, matter_id, kind):
    with rt.db.session() as session:
        return session.scalar(
            select(Party.id).where(Party.matter_id == matter_id, Party.kind == kind)
        )


def _proof(client, email, matter_id, number):
    token = token_for(client, email)
    return api_get(client, token, f"/matters/{matter_id}/audit/entries/{number}/proof")


def _denials(rt, email):
    with rt.db.session() as session:
        return session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == "audit:proof",
                AuditEntry.outcome == "denied",
                AuditEntry.actor_email == email,
            )
        ).all()


def test_the_auditor_proves_any_entry_and_the_proof_checks_offline(client, demo, rt):
    factories.download(rt, demo, COUNSEL, CONF)
    with rt.db.session() as session:
        download = session.scalar(
            select(AuditEntry).where(
                AuditEntry.tag == "document:download", AuditEntry.bates == CONF
            )
        )
    response = _proof(client, AUDITOR, demo, download.seq)
    assert response.status_code == 200, response.get_json()
    proof = response.get_json()
    assert proof["log"] == log_name(demo, _party(rt, demo, "plaintiff"))
    assert proof["index"] == download.log_index and proof["entry"]["bates"] == CONF
    assert "seq" not in proof["entry"], "nothing that counts every side's entries"
    verifier = Verifier.parse(proof["verifier_key"])
    assert check_proof(proof, verifier) == ""
    # the same proof for an edited entry does not hold
    bent = {**proof, "entry": {**proof["entry"], "actor_email": "someone@else.example"}}
    assert check_proof(bent, verifier) != ""


def test_counsel_proves_its_own_sides_entries_by_their_number_only(client, demo, rt):
    factories.download(rt, demo, COUNSEL, CONF)
    factories.download(rt, demo, "counsel@defendants.example", "AOL-PLTF-00000001")
    own = log_name(demo, _party(rt, demo, "plaintiff"))
    for n in (1, 2, 3):
        response = _proof(client, COUNSEL, demo, n)
        assert response.status_code == 200
        proof = response.get_json()
        assert (proof["log"], proof["index"]) == (own, n - 1), "its own side's log, always"
        assert check_proof(proof, Verifier.parse(proof["verifier_key"])) == ""
    # a number past the side's entries is no entry, whatever the other side's log holds
    missing = _proof(client, COUNSEL, demo, 10_000)
    assert missing.status_code == 404
    assert "no such entry" in _denials(rt, COUNSEL)
    assert _proof(client, COUNSEL, demo, 2**40).status_code == 404


def test_no_proof_of_an_entry_naming_a_document_the_reader_may_not_see(client, demo, rt):
    factories.keep_aeo_from_counsel(rt, demo)
    staff = token_for(client, "staff@alotrolado.example")
    assert api_get(client, staff, f"/matters/{demo}/documents/{EX18}").status_code == 404
    own = log_name(demo, _party(rt, demo, "plaintiff"))
    with rt.db.session() as session:
        probe = session.scalar(
            select(AuditEntry).where(
                AuditEntry.bates == EX18,
                AuditEntry.actor_email == "staff@alotrolado.example",
                AuditEntry.outcome == "denied",
            )
        )
    assert log_name(probe.matter_id, probe.side_party_id) == own
    refused = _proof(client, COUNSEL, demo, probe.side_seq)
    assert refused.status_code == 404, "the proof would show the real reason and rule"
    assert "names a hidden document" in _denials(rt, COUNSEL)
    # the neutral auditor sees it
    assert _proof(client, AUDITOR, demo, probe.seq).status_code == 200


def test_others_get_no_proof(client, demo, rt):
    for email in ("staff@alotrolado.example", "court@casd.example"):
        response = _proof(client, email, demo, 1)
        assert response.status_code in (403, 404)
        assert response.get_json()["error"]
    with rt.db.session() as session:
        refusals = session.scalars(
            select(AuditEntry.actor_email).where(
                AuditEntry.tag == "audit:proof", AuditEntry.outcome == "denied"
            )
        ).all()
    assert {"staff@alotrolado.example", "court@casd.example"} <= set(refusals)


def test_a_kept_checkpoint_is_proved_a_prefix_of_the_log_now(client, demo, rt, clock):
    token = token_for(client, COUNSEL)
    kept = api_get(client, token, f"/matters/{demo}/audit").get_json()["checkpoints"][0]
    verifier = rt.audit_log.signer.verifier
    old = Checkpoint.open(kept, verifier)
    factories.download(rt, demo, COUNSEL, CONF)
    clock.advance(seconds=rt.settings["AUDIT_CHECKPOINT_SECONDS"])
    response = api_get(client, token, f"/matters/{demo}/audit/consistency", old_size=old.size)
    assert response.status_code == 200, response.get_json()
    proof = response.get_json()
    assert proof["new_size"] > old.size and "old_checkpoint" not in proof
    assert "old_checkpoint" in check_proof(proof, verifier), "the reader adds the one it kept"
    assert check_proof({**proof, "old_checkpoint": kept}, verifier) == ""
    # any size up to the signed one is answered alike, signed at or not: asking tells the
    # reader nothing of when others checkpointed its log
    for size in range(1, proof["new_size"] + 1):
        probe = api_get(client, token, f"/matters/{demo}/audit/consistency", old_size=size)
        assert probe.status_code == 200
    past = api_get(
        client, token, f"/matters/{demo}/audit/consistency", old_size=proof["new_size"] + 5
    )
    assert past.status_code == 400
    with rt.db.session() as session:
        refused = session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == "audit:proof", AuditEntry.outcome == "denied"
            )
        ).all()
    assert any("old_size" in reason for reason in refused), "a bad request is audited too"
    # another side's log is not counsel's to ask about
    other = log_name(demo, _party(rt, demo, "defendant"))
    refused = api_get(client, token, f"/matters/{demo}/audit/consistency", log=other, old_size=1)
    assert refused.status_code == 404
    bad = api_get(client, token, f"/matters/{demo}/audit/consistency", old_size=-1)
    assert bad.status_code == 400


def test_the_audit_page_links_each_entrys_proof_and_shows_the_checkpoints(app, demo, rt):
    import json
    import re

    from tests.helpers import web_client

    factories.download(rt, demo, COUNSEL, CONF)
    for email, scope_log in (
        (AUDITOR, None),
        (COUNSEL, log_name(demo, _party(rt, demo, "plaintiff"))),
    ):
        client = web_client(app, email)
        page = client.get(f"/matters/{demo}/audit")
        assert page.status_code == 200
        links = re.findall(rb'href="(/matters/\d+/audit/entries/\d+/proof\.json)"', page.data)
        assert links and b"Signed checkpoints" in page.data
        proof = client.get(links[0].decode())
        assert proof.status_code == 200 and "attachment" in proof.headers["Content-Disposition"]
        body = json.loads(proof.data)
        assert check_proof(body, rt.audit_log.signer.verifier) == ""
        if scope_log is not None:
            assert body["log"] == scope_log, "counsel's links prove its own side's entries"
