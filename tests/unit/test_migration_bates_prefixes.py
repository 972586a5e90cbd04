"""Upgrading a database produced in before prefixes were registered registers them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import MetaData, insert, select

import gateway.models  # noqa: F401
from gateway.db import Database
from gateway.matters.models import BatesPrefix, Matter, Party
from gateway.migrate import alembic_config, upgrade
from tests.unit.test_migrations import _fresh_url

NOW = datetime(2020, 6, 26, tzinfo=UTC)


def _document(matter_id, production_id, party_id, bates, number):
    prefix = bates.rstrip("0123456789")
    return {
        "uid": f"d{number:031d}",
        "matter_id": matter_id,
        "production_id": production_id,
        "producing_party_id": party_id,
        "bates_begin": bates,
        "bates_end": bates,
        "bates_prefix": prefix,
        "bates_begin_no": number,
        "bates_end_no": number,
        "page_count": 1,
        "family_id": f"f{number}",
        "designation": "AEO",
        "custodian": "",
        "title": "",
        "file_name": "",
        "doc_date": "",
        "state": "produced",
        "extra": {},
        "created_at": NOW,
    }


def test_upgrade_registers_each_series_produced_in_by_one_party(tmp_path):
    url = _fresh_url(tmp_path)
    command.upgrade(alembic_config(url), "0001")
    db = Database(url)
    matter = {
        "uid": "m" * 32,
        "caption": "A v. B",
        "case_number": "1",
        "court": "C",
        "court_timezone": "UTC",
        "order_title": "O",
        "order_date": date(2020, 1, 1),
        "order_docket": "1",
        "forum_state": "CA",
        "wrapped_key": b"k",
        "created_at": NOW,
    }
    # the tables as revision 0001 made them, without the column the upgrade adds
    old = MetaData()
    old.reflect(db.engine, only=["matters", "documents", "productions"])
    with db.engine.begin() as conn:
        conn.execute(insert(old.tables["matters"]).values(matter))
        conn.execute(
            insert(Party.__table__),
            [
                {"id": 1, "matter_id": 1, "name": "Defendants", "kind": "defendant"},
                {"id": 2, "matter_id": 1, "name": "Plaintiffs", "kind": "plaintiff"},
            ],
        )
        conn.execute(
            insert(old.tables["productions"]).values(
                id=1,
                matter_id=1,
                producing_party_id=1,
                volume="V",
                produced_at=NOW,
                document_count=3,
                page_count=3,
            )
        )
        conn.execute(
            insert(old.tables["documents"]),
            [
                _document(1, 1, 1, "DEF-0001", 1),
                _document(1, 1, 1, "def-0002", 2),  # the same series, another spelling
                _document(1, 1, 1, "MIX-0001", 3),
                _document(1, 1, 2, "MIX-0002", 4),  # a series two parties produced in
            ],
        )
    upgrade(url)
    with db.session() as session:
        rows = session.execute(select(BatesPrefix.prefix_key, BatesPrefix.party_id)).all()
        pages = session.scalar(select(Matter.max_document_pages))
    db.dispose()
    assert sorted(rows) == [("def-", 1)]
    assert pages == 20000
