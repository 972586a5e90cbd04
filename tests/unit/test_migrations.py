"""Alembic's migrations build exactly the schema the models describe."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import gateway.models  # noqa: F401
from gateway.db import Base, Database
from gateway.migrate import upgrade


def _fresh_url(tmp_path) -> str:
    pg = os.environ.get("GATEWAY_TEST_DATABASE_URL")
    if not pg:
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    db = Database(pg)
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    db.dispose()
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3Dmigration_check"


def test_upgrade_matches_models(tmp_path):
    url = _fresh_url(tmp_path)
    upgrade(url)
    db = Database(url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_downgrade_removes_everything(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from gateway.migrate import alembic_config

    url = _fresh_url(tmp_path)
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    db = Database(url)
    names = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    db.dispose()
    assert names == set()
