from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UTCDateTime

#: A Bates range longer than this is refused unless the matter allows more: the longest
#: documents produced in practice run to a few thousand pages.
DEFAULT_MAX_DOCUMENT_PAGES = 20_000


class Matter(Base):
    __tablename__ = "matters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # random and permanent: binds the matter key and the storage prefix to this matter
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    caption: Mapped[str] = mapped_column(String(500))
    case_number: Mapped[str] = mapped_column(String(100), unique=True)
    court: Mapped[str] = mapped_column(String(200))
    court_timezone: Mapped[str] = mapped_column(String(64))
    order_title: Mapped[str] = mapped_column(String(300))
    order_date: Mapped[date] = mapped_column(Date)
    order_docket: Mapped[str] = mapped_column(String(50))
    forum_state: Mapped[str] = mapped_column(String(50))
    # the matter key, wrapped by the master key; it wraps every data key of the matter
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the most pages (Bates numbers) one document's range may span in this matter
    max_document_pages: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_MAX_DOCUMENT_PAGES, server_default=str(DEFAULT_MAX_DOCUMENT_PAGES)
    )
    # role -> more DAT field names this matter's producers use (pogw matters add-field-name)
    field_aliases: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")


class Party(Base):
    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("matter_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    # plaintiff, defendant or non_party: every one of them may produce and receive
    kind: Mapped[str] = mapped_column(String(20))


class Membership(Base):
    """A role held by a user in a matter, on behalf of a party (none for court/auditor)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("matter_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), nullable=True)
    role: Mapped[str] = mapped_column(String(40))
    # §7.4 disclosure status for experts and Designated House Counsel
    disclosure: Mapped[str] = mapped_column(String(20), default="not_cleared")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Acknowledgment(Base):
    """Exhibit A, signed by one user for one matter, kept verbatim with its hash."""

    __tablename__ = "acknowledgments"
    __table_args__ = (UniqueConstraint("matter_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    agent_name: Mapped[str] = mapped_column(String(200))
    agent_address: Mapped[str] = mapped_column(String(500))
    signed_city: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    signature: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signed_from: Mapped[str] = mapped_column(String(64))


class BatesPrefix(Base):
    """A Bates prefix registered to the party that produces in that series.

    ``prefix_key`` is the prefix in lower case (prefixes are ASCII), so ``aol-def-`` is the
    same series as ``AOL-DEF-``; ``prefix`` keeps the registered spelling, the only one
    accepted afterwards.
    """

    __tablename__ = "bates_prefixes"
    __table_args__ = (UniqueConstraint("matter_id", "prefix_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(80))
    prefix_key: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
