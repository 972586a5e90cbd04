"""Upgrading numbers the entries already written within their sides, as the chain does."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from gateway.db import Database
from gateway.migrate import alembic_config
from tests.unit.test_migrations import _fresh_url

# (seq, matter, side): two sides of matter 1 interleaved, a side of matter 2, no side
ROWS = [(1, 1, 10), (2, 1, 20), (3, None, None), (4, 1, 10), (5, 2, 10), (6, 1, 20), (7, 1, 10)]


def test_upgrade_numbers_existing_entries_within_their_sides(tmp_path):
    url = _fresh_url(tmp_path)
    command.upgrade(alembic_config(url), "0001")
    db = Database(url)
    with db.engine.begin() as conn:
        for seq, matter, side in ROWS:
            conn.execute(
                text(
                    "INSERT INTO audit_entries (seq, at, tag, outcome, reason, rule, actor_email,"
                    " side_party_id, matter_id, bates, address, details, prev_hash, hash)"
                    " VALUES (:seq, '2020-06-26 17:00:00', 'document:view', 'allowed', '', '',"
                    " 'a@example', :side, :matter, '', '', '{}', '', '')"
                ),
                {"seq": seq, "matter": matter, "side": side},
            )
    db.dispose()
    command.upgrade(alembic_config(url), "0016")  # 0017 re-logs only a verified chain
    db = Database(url)
    with db.engine.connect() as conn:
        numbered = conn.execute(text("SELECT seq, side_seq FROM audit_entries ORDER BY seq")).all()
    db.dispose()
    assert [tuple(r) for r in numbered] == [
        (1, 1),
        (2, 1),
        (3, None),
        (4, 2),
        (5, 1),
        (6, 2),
        (7, 3),
    ]
