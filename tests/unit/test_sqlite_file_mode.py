"""The embedded database holds every wrapped key and the audit trail: the file, its WAL
and its shared-memory file are readable by their owner only (issue 7, item 6)."""

from __future__ import annotations

import os
import stat

from sqlalchemy import text

from gateway.db import Database


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_and_its_wal_are_created_0600(tmp_path):
    old = os.umask(0o022)  # the usual umask, which would give 0644
    try:
        path = tmp_path / "gateway.sqlite3"
        db = Database(f"sqlite:///{path}")
        with db.session() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        with db.read_session() as session:
            assert session.execute(text("SELECT x FROM t")).scalar() == 1
            files = [path, tmp_path / "gateway.sqlite3-wal", tmp_path / "gateway.sqlite3-shm"]
            assert all(f.exists() for f in files)
            assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
        db.dispose()
    finally:
        os.umask(old)


def test_an_existing_database_readable_by_others_is_tightened(tmp_path):
    path = tmp_path / "gateway.sqlite3"
    path.touch()
    path.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    with db.session() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "gateway.sqlite3-wal") == 0o600
    db.dispose()
