"""The relational store: SQLite (WAL) by default, PostgreSQL from configuration alone."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from gateway.clock import as_utc

# ids are Integer columns: 32-bit signed on PostgreSQL, so no id is larger than this
MAX_ID = 2**31 - 1

# values per ``IN (...)`` when a workflow names many rows (a claw-back of a thousand
# documents): well inside every backend's limit on bound parameters
IN_BATCH = 500

T = TypeVar("T")


def batches(values: Sequence[T], size: int = IN_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes and hands them back aware on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def _sqlite_setup(engine: Engine, *, immediate: bool, synchronous: str) -> None:
    # pysqlite's own transaction handling defers BEGIN until the first write, so two
    # writers can both read the audit chain's head and then collide. Take the write lock
    # at BEGIN instead (the recipe from SQLAlchemy's SQLite dialect documentation).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # FULL: a commit is on disk before it is acknowledged, so no acknowledged audit
        # entry is lost even to a power cut (NORMAL in WAL mode may lose the last ones)
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _private_sqlite_file(url: str) -> None:
    """The database file is created (or tightened to) 0600 before SQLite opens it; SQLite
    gives its WAL and shared-memory files the main file's mode, so they follow."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if os.path.exists(name):
            os.chmod(name, 0o600)


def make_engine(url: str, *, immediate: bool = True, synchronous: str = "FULL") -> Engine:
    if url.startswith("sqlite"):
        if synchronous.upper() not in SYNCHRONOUS:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SYNCHRONOUS)}")
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "do_connect")
        def _before_connect(*_args: Any) -> None:
            _private_sqlite_file(url)

        _sqlite_setup(engine, immediate=immediate, synchronous=synchronous.upper())
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    def __init__(self, url: str, *, synchronous: str = "FULL") -> None:
        self.url = url
        self.engine = make_engine(url, synchronous=synchronous)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: reads that will not write take no write lock (WAL lets them run beside
        # a writer); PostgreSQL needs no such distinction
        self.read_engine = (
            make_engine(url, immediate=False, synchronous=synchronous)
            if self.is_sqlite
            else self.engine
        )
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on any exception."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A transaction for reading only; anything written in it is rolled back."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            # close() ends the transaction (nothing is committed) and detaches the objects
            # with their loaded values; rollback() would expire them
            session.close()

    def create_all(self) -> None:
        import gateway.models  # noqa: F401  (registers every table)

        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
