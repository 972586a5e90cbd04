"""Upgrading carries a verified hash chain into the Merkle logs, and refuses a broken one."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import inspect, text

from gateway.audit import encoding
from gateway.audit.checkpoint import Signer
from gateway.audit.merkle import Frontier
from gateway.audit.merkle_log import MerkleLog
from gateway.db import Database
from gateway.migrate import alembic_config
from tests.unit.test_migrations import _fresh_url

START = datetime(2020, 6, 26, 17, 0, tzinfo=UTC)
# (matter, side): two sides of matter 1 interleaved, the instance's own, matter 2's court
SIDES = [(1, 10), (1, 20), (None, None), (1, 10), (2, None), (1, 20), (1, 10)]


def _old_chain() -> tuple[list[dict], str]:
    """Rows as the old chain wrote them (hashes linked, seq dense), and its head."""
    rows, head = [], "0" * 64
    counts: dict[tuple, int] = {}
    for seq, (matter, side) in enumerate(SIDES, start=1):
        row = {
            "seq": seq,
            "at": START + timedelta(minutes=seq),
            "tag": "document:view",
            "outcome": "allowed",
            "reason": "",
            "rule": "",
            "actor_user_id": None,
            "actor_email": f"user{seq}@example",
            "side_party_id": side,
            "matter_id": matter,
            "document_id": None,
            "bates": f"B-{seq}",
            "address": "10.0.0.1",
            "details": encoding.canonical_json({"n": seq}),
        }
        payload = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
        text_ = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        row["prev_hash"] = head
        row["hash"] = head = hashlib.sha256(head.encode() + b"\n" + text_.encode()).hexdigest()
        if matter is not None and side is not None:
            counts[(matter, side)] = counts.get((matter, side), 0) + 1
            row["side_seq"] = counts[(matter, side)]
        else:
            row["side_seq"] = None
        rows.append(row)
    return rows, head


def _at_0016(tmp_path, rows, head, *, count=None):
    url = _fresh_url(tmp_path)
    command.upgrade(alembic_config(url), "0016")
    db = Database(url)
    signer = Ed25519PrivateKey.generate()
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(
                text(
                    "INSERT INTO audit_entries (seq, at, tag, outcome, reason, rule,"
                    " actor_user_id, actor_email, side_party_id, side_seq, matter_id,"
                    " document_id, bates, address, details, prev_hash, hash) VALUES (:seq,"
                    " :at, :tag, :outcome, :reason, :rule, :actor_user_id, :actor_email,"
                    " :side_party_id, :side_seq, :matter_id, :document_id, :bates, :address,"
                    " :details, :prev_hash, :hash)"
                ),
                {**row, "at": row["at"].strftime("%Y-%m-%d %H:%M:%S.%f")},
            )
        n = len(rows) if count is None else count
        conn.execute(
            text(
                "INSERT INTO audit_anchor (id, count, head_hash, signature, updated_at)"
                " VALUES (1, :n, :h, :s, :at)"
            ),
            {
                "n": n,
                "h": head,
                "s": signer.sign(f"pogw-audit-head\n{n}\n{head}".encode()),
                "at": "2020-06-26 18:00:00",
            },
        )
    db.dispose()
    return url


def test_a_verified_chain_is_placed_in_its_logs(tmp_path):
    rows, head = _old_chain()
    url = _at_0016(tmp_path, rows, head)
    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    with db.engine.connect() as conn:
        placed = conn.execute(
            text(
                "SELECT e.seq, l.name, e.log_index, e.side_seq, e.tag FROM audit_entries e"
                " JOIN audit_logs l ON l.id = e.log_id ORDER BY e.seq"
            )
        ).all()
    assert [tuple(r)[:4] for r in placed] == [
        (1, "matter/1/party/10", 0, 1),
        (2, "matter/1/party/20", 0, 1),
        (3, "global", 0, None),
        (4, "matter/1/party/10", 1, 2),
        (5, "matter/2/court", 0, None),
        (6, "matter/1/party/20", 1, 2),
        (7, "matter/1/party/10", 2, 3),
        (8, "global", 1, None),
    ]
    assert placed[-1].tag == "audit:carried_over"
    with db.sessions() as session:
        carried = session.execute(text("SELECT details FROM audit_entries WHERE seq = 8")).one()
        assert json.loads(carried.details)["chain_head_hash"] == head
        assert json.loads(carried.details)["chain_entries"] == len(rows)
        log = MerkleLog(Signer("pogw.test", Ed25519PrivateKey.generate()))
        report = log.verify(session)
        assert report.ok, report.problems
        assert (report.logs, report.checked) == (4, 8)
        # the stored subtrees give the same proofs as the entries do
        hashes = session.execute(
            text(
                "SELECT e.hash FROM audit_entries e JOIN audit_logs l ON l.id = e.log_id"
                " WHERE l.name = 'matter/1/party/10' ORDER BY e.log_index"
            )
        ).scalars()
        frontier = Frontier()
        for leaf in hashes:
            frontier.append(bytes.fromhex(leaf))
        assert log.head(session, "matter/1/party/10").root == frontier.root()
        assert len(log.inclusion_proof(session, "matter/1/party/10", 1, 3)) == 2
    assert not inspect(db.engine).has_table("audit_anchor")
    db.dispose()


@pytest.mark.parametrize("damage", ["edited", "head"])
def test_a_chain_that_does_not_verify_stops_the_upgrade(tmp_path, damage):
    rows, head = _old_chain()
    if damage == "edited":
        rows[3]["actor_email"] = "someone@else.example"
    url = _at_0016(tmp_path, rows, head, count=len(rows) - 1 if damage == "head" else None)
    with pytest.raises(RuntimeError, match="entry 4 does not verify|signed head counts 6"):
        command.upgrade(alembic_config(url), "head")
    db = Database(url)
    assert not inspect(db.engine).has_table("audit_logs"), "nothing of the upgrade is left"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entries")).scalar() == len(rows)
    db.dispose()
