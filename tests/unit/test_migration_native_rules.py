"""Migration 0016: a stored order's rules naming document:download get twins naming
document:download_native, so nobody loses a native they could download; nothing else
changes, and document:render is not added to stored orders."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import MetaData, insert, select

import gateway.models  # noqa: F401
from gateway.db import Database
from gateway.migrate import alembic_config, upgrade
from tests.unit.test_migrations import _fresh_url

NOW = datetime(2020, 6, 26, tzinfo=UTC)
ROWS = [
    # role, ack, standing, affiliation, relation, clearance, designation, state, presented,
    # action, effect
    ("vendor", "signed", "*", "*", "*", "*", "AEO", "produced", "*", "document:download", "allow"),
    ("witness", "*", "*", "*", "*", "*", "*", "*", "*", "document:download", "deny"),
    (
        "witness",
        "signed",
        "*",
        "*",
        "*",
        "*",
        "CONFIDENTIAL",
        "produced",
        "*",
        "document:view",
        "allow",
    ),
    ("outside_counsel", "*", "*", "*", "*", "*", "AEO", "produced", "*", "*", "allow"),
]


def _matter(conn, tables, matter_id: int, revision: int) -> None:
    conn.execute(
        insert(tables["matters"]).values(
            id=matter_id,
            uid=str(matter_id) * 32,
            caption="A v. B",
            case_number=str(matter_id),
            court="C",
            court_timezone="UTC",
            order_title="O",
            order_date=date(2020, 1, 1),
            order_docket="1",
            forum_state="CA",
            wrapped_key=b"k",
            created_at=NOW,
        )
    )
    conn.execute(
        insert(tables["matter_policies"]).values(
            matter_id=matter_id,
            revision=revision,
            version="v",
            variant=1,
            tiers_text="",
            reason="stored before natives",
            updated_at=NOW,
        )
    )


def test_upgrade_gives_download_rules_a_native_twin(tmp_path):
    url = _fresh_url(tmp_path)
    command.upgrade(alembic_config(url), "0012")
    db = Database(url)
    old = MetaData()
    old.reflect(db.engine, only=["matters", "matter_policies", "casbin_rules"])
    with db.engine.begin() as conn:
        _matter(conn, old.tables, 1, 3)
        _matter(conn, old.tables, 2, 5)  # only a "*" rule: nothing to add
        conn.execute(
            insert(old.tables["casbin_rules"]),
            [
                {"matter_id": 1, "ptype": "p", **{f"v{i}": v for i, v in enumerate(row)}}
                for row in ROWS
            ]
            + [{"matter_id": 2, "ptype": "p", **{f"v{i}": v for i, v in enumerate(ROWS[3])}}],
        )
    upgrade(url)
    rules = old.tables["casbin_rules"]
    with db.engine.connect() as conn:
        found = conn.execute(
            select(rules.c.matter_id, rules.c.v0, rules.c.v9, rules.c.v10).order_by(rules.c.id)
        ).all()
        revisions = dict(
            conn.execute(
                select(
                    old.tables["matter_policies"].c.matter_id,
                    old.tables["matter_policies"].c.revision,
                )
            ).all()
        )
    db.dispose()
    added = sorted(r for r in found if r[2] == "document:download_native")
    assert added == [
        (1, "vendor", "document:download_native", "allow"),
        (1, "witness", "document:download_native", "deny"),
    ]
    assert not any(r[2] == "document:render" for r in found)
    assert len(found) == len(ROWS) + 1 + 2
    assert revisions == {1: 4, 2: 5}
