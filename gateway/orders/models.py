"""What the order's workflows record: notices to people, the mail outbox, page designations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UTCDateTime


class Notice(Base):
    """A notice to one person in one matter (e.g. what they hold was re-designated)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A notice's e-mail, written with the notice and delivered after the commit (SMTP when
    configured, else a spool folder), so no mail server is needed to run or test."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    to_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # each delivery looks for what is still undelivered, however much went out before
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    delivered_by: Mapped[str] = mapped_column(String(20), default="")
    error: Mapped[str] = mapped_column(String(500), default="")


class PageDesignation(Base):
    """A designation an order or a re-designation gave named pages of a document; the
    document's own designation is the strictest of its pages (BRIEF §7)."""

    __tablename__ = "page_designations"
    __table_args__ = (UniqueConstraint("document_id", "page_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    page_no: Mapped[int] = mapped_column(Integer)  # 1-based within the document
    designation: Mapped[str] = mapped_column(String(40))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Clawback(Base):
    """A notice that produced material is privileged or protected (FRCP 26(b)(5)(B), the
    order's claw-back clause): the documents are sequestered from its notice on."""

    __tablename__ = "clawbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    claimant_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    noticed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    privilege: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(Text)
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClawbackItem(Base):
    """One document of a claw-back, its state before the notice, and the ruling on it."""

    __tablename__ = "clawback_items"
    __table_args__ = (UniqueConstraint("clawback_id", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clawback_id: Mapped[int] = mapped_column(ForeignKey("clawbacks.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    prior_state: Mapped[str] = mapped_column(String(20))
    # the states of the document's other versions before the notice: {version id: state}
    prior_versions: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    # "" while the claim is pending; denied, granted or granted_in_part once ruled
    outcome: Mapped[str] = mapped_column(String(20), default="")
    # the pages a ruling granted in part names (1-based within the document)
    pages: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    order_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    order_docket: Mapped[str] = mapped_column(String(50), default="")


class Presentation(Base):
    """Receiving counsel presented a sequestered document to the court under seal."""

    __tablename__ = "presentations"
    __table_args__ = (UniqueConstraint("clawback_id", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clawback_id: Mapped[int] = mapped_column(ForeignKey("clawbacks.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    presented_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    presented_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Certification(Base):
    """A receiving party's task: certify what it did with each copy its users downloaded
    before the notice (returned, sequestered or destroyed). Shown to that party only."""

    __tablename__ = "certifications"
    __table_args__ = (UniqueConstraint("clawback_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    clawback_id: Mapped[int] = mapped_column(ForeignKey("clawbacks.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    certified_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    signed_by: Mapped[str] = mapped_column(String(200), default="")
    statement: Mapped[str] = mapped_column(Text, default="")


class CertificationCopy(Base):
    """One copy a receiving party's user downloaded before the notice, and what became of it."""

    __tablename__ = "certification_copies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    downloaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "" until certified; returned, sequestered or destroyed
    action: Mapped[str] = mapped_column(String(20), default="")


class Obligation(Base):
    """A dated duty a court's order put on a party ("within 14 days of the date of this
    Order"), due as FRCP 6(a) counts it in the matter's court."""

    __tablename__ = "obligations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    what: Mapped[str] = mapped_column(String(500))
    order_docket: Mapped[str] = mapped_column(String(50))
    trigger: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    # the order counts business days, not every day
    business_days: Mapped[bool] = mapped_column(Boolean, default=False)
    due: Mapped[date] = mapped_column(Date)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the days the count skipped and why, as the engine explained them
    explanation: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Filing(Base):
    """A version of a document filed with the court: lodged under seal, or on the public
    docket in full or with redactions, with its docket number, and whether it met the
    deadline of the order that required it."""

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    disposition: Mapped[str] = mapped_column(String(30))
    docket: Mapped[str] = mapped_column(String(50))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the filer's party (None for the court's own filing)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), nullable=True)
    filed_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # the order's deadline this filing answers, if one was set
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("obligations.id"), nullable=True)
    on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Redaction(Base):
    """How a redacted version was made (the redaction log): by whom, when, from which
    version, the marks as given and as burned in, and why. It stays with the version and
    is shown only to the producing or designating party and the court."""

    __tablename__ = "redactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    source_version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    made_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # as the producing party gave them, and as resolved to boxes (page Bates -> points)
    marks: Mapped[list] = mapped_column(JSON)
    resolved: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(100))
    dpi: Mapped[int] = mapped_column(Integer)
    # the Bates numbers of the pages replaced by images (they carry no text layer)
    rasterized: Mapped[list] = mapped_column(JSON)


class LogDescription(Base):
    """The claimant's own description of one claimed document for the privilege log (FRCP
    26(b)(5)(A)): the nature of what is withheld, in words that reveal nothing protected.
    Without one the log shows a neutral description built from its kind and length."""

    __tablename__ = "log_descriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clawback_item_id: Mapped[int] = mapped_column(ForeignKey("clawback_items.id"), unique=True)
    description: Mapped[str] = mapped_column(String(500))
    described_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    described_at: Mapped[datetime] = mapped_column(UTCDateTime())
