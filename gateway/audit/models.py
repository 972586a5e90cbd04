from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UTCDateTime


class AuditEntry(Base):
    """One link of the hash chain. ``seq`` is dense from 1, so a deleted row shows."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_matter_seq", "matter_id", "seq"),
        Index("ix_audit_matter_side_seq", "matter_id", "side_party_id", "seq"),
        # who viewed or downloaded a document, before a workflow changes who may see it
        Index("ix_audit_document_seq", "document_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tag: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(10))  # allowed, denied, done, failed
    reason: Mapped[str] = mapped_column(String(300), default="")
    rule: Mapped[str] = mapped_column(String(300), default="")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_email: Mapped[str] = mapped_column(String(320), default="")
    # the side whose work product this entry is (the actor's party in the matter)
    side_party_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the entry's ordinal among its side's entries in its matter (1, 2, ...): what that side
    # is shown instead of ``seq``, whose gaps count every other side's entries. Not hashed:
    # the chain's order determines it, and ``verify`` checks it
    side_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    matter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    bates: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """The chain's head, signed with the audit key that lives outside the database.

    Rewriting the chain (or cutting its tail) would need a new signature over the head,
    and the signing key is not in the database.
    """

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
