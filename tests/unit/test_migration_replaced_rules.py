"""Migration 0011: an order stored before versions existed no longer opens a `replaced`
original to the receiving side; the producing side's and the court's rows stay."""

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
    ("outside_counsel", "*", "*", "*", "*", "*", "AEO", "replaced", "*", "*", "allow"),
    ("expert", "signed", "*", "*", "*", "cleared", "AEO", "replaced", "*", "*", "allow"),
    ("outside_counsel", "*", "*", "*", "producer", "*", "*", "*", "*", "*", "allow"),
    ("court", "*", "*", "*", "*", "*", "*", "replaced", "*", "*", "allow"),
    ("outside_counsel", "*", "*", "*", "*", "*", "AEO", "*", "*", "document:list", "allow"),
]


def test_upgrade_removes_receiving_rows_that_open_a_replaced_original(tmp_path):
    url = _fresh_url(tmp_path)
    command.upgrade(alembic_config(url), "0010")
    db = Database(url)
    old = MetaData()
    old.reflect(db.engine, only=["matters", "matter_policies", "casbin_rules"])
    with db.engine.begin() as conn:
        conn.execute(
            insert(old.tables["matters"]).values(
                id=1,
                uid="m" * 32,
                caption="A v. B",
                case_number="1",
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
            insert(old.tables["matter_policies"]).values(
                matter_id=1,
                revision=3,
                version="v",
                variant=1,
                tiers_text="",
                reason="stored before versions",
                updated_at=NOW,
            )
        )
        conn.execute(
            insert(old.tables["casbin_rules"]),
            [
                {"matter_id": 1, "ptype": "p", **{f"v{i}": v for i, v in enumerate(row)}}
                for row in ROWS
            ],
        )
    upgrade(url)
    with db.engine.connect() as conn:
        kept = conn.execute(
            select(old.tables["casbin_rules"].c.v0, old.tables["casbin_rules"].c.v4)
        ).all()
        revision = conn.execute(select(old.tables["matter_policies"].c.revision)).scalar()
    db.dispose()
    assert sorted(kept) == [
        ("court", "*"),
        ("outside_counsel", "*"),
        ("outside_counsel", "producer"),
    ]
    assert revision == 4
