from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Sequence,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UTCDateTime

# the numbers of entries across the instance (PostgreSQL; SQLite takes the next one under
# its single writer's lock)
SEQ_SEQUENCE = "audit_entry_seq"


class AuditEntry(Base):
    """One entry of one of the matter's logs (``gateway.audit.log``).

    ``seq`` is the entry's number across the instance (what a watermark's token names);
    ``log_id`` and ``log_index`` place it in its log, whose indexes are dense from 0, and
    ``hash`` is its RFC 9162 leaf hash over the entry's canonical encoding
    (``gateway.audit.encoding``).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_matter_seq", "matter_id", "seq"),
        Index("ix_audit_matter_side_seq", "matter_id", "side_party_id", "seq"),
        # who viewed or downloaded a document, before a workflow changes who may see it
        Index("ix_audit_document_seq", "document_id", "seq"),
        UniqueConstraint("log_id", "log_index", name="uq_audit_entries_log_index"),
    )

    seq: Mapped[int] = mapped_column(
        Integer, Sequence(SEQ_SEQUENCE), primary_key=True, autoincrement=False
    )
    log_id: Mapped[int] = mapped_column(ForeignKey("audit_logs.id"))
    log_index: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tag: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(10))  # allowed, denied, done, failed
    reason: Mapped[str] = mapped_column(String(300), default="")
    rule: Mapped[str] = mapped_column(String(300), default="")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_email: Mapped[str] = mapped_column(String(320), default="")
    # the side whose work product this entry is (the actor's party in the matter)
    side_party_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the entry's ordinal in its side's log (1, 2, ...): what that side is shown. It is
    # ``log_index + 1`` for a party's log, and ``verify`` checks it
    side_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    matter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bates: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    hash: Mapped[str] = mapped_column(String(64))  # the leaf hash, hex


class LogHead(Base):
    """The head of one append-only Merkle log: its size, its tree's frontier, its root.

    The row is the log's sequencer: an append locks it, so two writers never fork the log
    or leave a gap, and writers to other logs never wait on it.
    """

    __tablename__ = "audit_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    matter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    side_party_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    # the hashes of the complete subtrees the tree is made of, largest first, hex, JSON
    frontier: Mapped[str] = mapped_column(Text, default="[]")
    root: Mapped[str] = mapped_column(String(64))
    checkpointed_size: Mapped[int] = mapped_column(Integer, default=0)
    checkpointed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditNode(Base):
    """The hash of one complete subtree of a log (level 0: a leaf), kept for proofs.

    ``key`` is ``node_key(level, index)``: one integer, so that the nodes a proof needs are
    read with one ``IN`` on the primary key.
    """

    __tablename__ = "audit_nodes"

    log_id: Mapped[int] = mapped_column(ForeignKey("audit_logs.id"), primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


def node_key(level: int, index: int) -> int:
    return (level << 40) | index


class AuditCheckpoint(Base):
    """A signed checkpoint of a log, and its own place in the log of checkpoints.

    The log of checkpoints (one per matter, one for the instance's own logs) has the
    notes themselves as its entries: a checkpoint shown to anyone is in it, so two
    different roots for one size would both be on record.
    """

    __tablename__ = "audit_checkpoints"
    __table_args__ = (
        UniqueConstraint("log_id", "size", name="uq_audit_checkpoints_log_size"),
        UniqueConstraint("ledger_id", "ledger_index", name="uq_audit_checkpoints_ledger"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("audit_logs.id"))
    size: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the log of checkpoints it is an entry of (None for a checkpoint of that log itself)
    ledger_id: Mapped[int | None] = mapped_column(ForeignKey("audit_logs.id"), nullable=True)
    ledger_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
