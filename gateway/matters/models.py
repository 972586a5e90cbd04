from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
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
    # the court's PACER id (e.g. casd): its calendar and time zone count the order's periods
    court_id: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # the order's periods, per matter (model order defaults)
    clawback_certification_days: Mapped[int] = mapped_column(Integer, default=14)
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
    # a role held only for a while (a deposition witness, ¶7.2(f)): active from..until
    active_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    active_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def active_at(self, now: datetime) -> bool:
        if self.active_from is not None and now < self.active_from:
            return False
        return self.active_until is None or now < self.active_until


class PartyAffiliation(Base):
    """The person is an officer, director or employee of a party of the matter.

    A fact about the person, recorded when they are added, whatever role they hold: the
    order's bar on a party's people (¶7.3) is decided on it, never on a role name.
    """

    __tablename__ = "party_affiliations"
    __table_args__ = (UniqueConstraint("matter_id", "user_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def current_at(self, now: datetime) -> bool:
        return self.since <= now and (self.until is None or now < self.until)


class Clearance(Base):
    """The §7.4 procedure cleared the person to see one designating party's material
    (no timely objection, or the court allowed it): never another party's."""

    __tablename__ = "clearances"
    __table_args__ = (UniqueConstraint("matter_id", "user_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # the designating party that cleared the person
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


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


class MatterPolicy(Base):
    """A matter's own order (its variant of the default rules), and its revision.

    The rules themselves are rows of ``casbin_rules`` written and read through pycasbin's
    SQLAlchemy adapter; the tiers are kept here as their CSV text. A matter with no row
    follows the shipped default. Every change bumps ``revision``, which every worker checks
    on every request.
    """

    __tablename__ = "matter_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), unique=True)
    revision: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the policy's canonical form (gateway.authz.policy.PolicySource.version)
    version: Mapped[str] = mapped_column(String(64))
    # True while the matter carries its own rules; False once reset to the default
    variant: Mapped[bool] = mapped_column(Boolean)
    tiers_text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CasbinRule(Base):
    """One rule of a matter's variant, in the shape pycasbin's SQLAlchemy adapter expects
    (``ptype``, ``v0``...), with as many value columns as a rule of the model has."""

    __tablename__ = "casbin_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    ptype: Mapped[str] = mapped_column(String(8))
    v0: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v1: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v2: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v3: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v4: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v5: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v6: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v7: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v8: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v9: Mapped[str | None] = mapped_column(String(100), nullable=True)
    v10: Mapped[str | None] = mapped_column(String(100), nullable=True)

    VALUES = ("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10")

    def values(self) -> list[str]:
        found = [getattr(self, name) for name in self.VALUES]
        return [v for v in found if v is not None]

    def __str__(self) -> str:
        # the line format pycasbin's adapter hands to casbin.persist.load_policy_line
        return ", ".join([self.ptype, *self.values()])


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
