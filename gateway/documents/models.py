from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UTCDateTime


class Production(Base):
    """One production volume served by one party (or a non-party) in a matter."""

    __tablename__ = "productions"
    __table_args__ = (UniqueConstraint("matter_id", "volume"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    producing_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    volume: Mapped[str] = mapped_column(String(100))
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document_count: Mapped[int] = mapped_column(Integer)
    page_count: Mapped[int] = mapped_column(Integer)
    # the load file said its images were unbranded: the gateway burned the Bates numbers
    # and legends into them at ingest (BRIEF §7)
    branded_at_ingest: Mapped[bool] = mapped_column(Boolean, default=False)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("matter_id", "bates_begin"),
        Index("ix_documents_matter_prefix_range", "matter_id", "bates_prefix", "bates_begin_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # random and permanent, known before the row exists: bound into its files' encryption
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matters.id"), index=True)
    production_id: Mapped[int] = mapped_column(ForeignKey("productions.id"), index=True)
    producing_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    # the party whose designation this is: the producing party unless another party
    # designated material a non-party produced; the rules and clearance refer to it
    designating_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    bates_begin: Mapped[str] = mapped_column(String(100))
    bates_end: Mapped[str] = mapped_column(String(100))
    bates_prefix: Mapped[str] = mapped_column(String(80))
    bates_begin_no: Mapped[int] = mapped_column(BigInteger)
    bates_end_no: Mapped[int] = mapped_column(BigInteger)
    page_count: Mapped[int] = mapped_column(Integer)
    # opaque family id: never a Bates number, so a hidden parent is never named
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    custodian: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(1000), default="")
    file_name: Mapped[str] = mapped_column(String(500), default="")
    doc_date: Mapped[str] = mapped_column(String(40), default="")
    designation: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(20), default="produced")
    # presented or lodged with the court under seal (FRCP 26(b)(5)(B)): only then does the
    # court open a sequestered document
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # the original version, as produced; its designation and state are the two columns
    # above (the document's), while every other version carries its own
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", use_alter=True), nullable=True
    )
    # how many versions besides the original (redacted ones): 0 lets the visibility
    # condition skip looking for them
    alternates: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DocumentPerson(Base):
    """Author, recipient or custodian: a user named here has the `named` relation."""

    __tablename__ = "document_people"
    __table_args__ = (Index("ix_document_people_value", "value", "document_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))  # lower-cased e-mail or name


class DocumentVersion(Base):
    """One form of a document: the original as produced, or a redacted one (BRIEF §7).

    The original's designation and state are the document's own columns (``designation``
    and ``state`` stay None here); any other version has its own, decided by the same
    rules, so a user is served the most complete version that user may see.
    """

    __tablename__ = "document_versions"
    __table_args__ = (Index("ix_document_versions_document_kind", "document_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # gateway.documents.versions.VersionKind
    designation: Mapped[str | None] = mapped_column(String(40), nullable=True)
    state: Mapped[str | None] = mapped_column(String(20), nullable=True)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # filed on the public docket in full: a public record, outside the order, which is
    # never designated again (BRIEF §7: kept apart from material never designated)
    public_record_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DocumentFile(Base):
    """One encrypted file of a version: the native, one page image, or extracted text."""

    __tablename__ = "document_files"
    __table_args__ = (Index("ix_document_files_version_current", "version_id", "superseded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # native, image, text
    page_no: Mapped[int | None] = mapped_column(Integer, nullable=True)
    file_name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    blob_key: Mapped[str] = mapped_column(String(200), unique=True)
    wrapped_data_key: Mapped[bytes] = mapped_column(LargeBinary)
    plaintext_size: Mapped[int] = mapped_column(BigInteger)
    ciphertext_size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # CRC-32 of the plaintext, for ZIP headers written before the data; None if stored
    # before it was recorded
    crc32: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # 1: the data key's wrapping binds the attributes that decide access (designation,
    # state, producing and designating party, presented); 0: a key wrapped before that,
    # bound to the file's place only, until `pogw storage rebind` upgrades it
    key_binding: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    # the tier whose legend the file's pages carry (a page image or PDF), None for a file
    # without pages to brand (text, a spreadsheet)
    branded_as: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # 0: as produced (or as branded at ingest); n > 0: the n-th branding made since, when
    # the designation changed. A superseded file is kept, never served again: what was
    # produced is preserved
    edition: Mapped[int] = mapped_column(Integer, default=0)
    # the designation whose legend these pages could not be made to carry (the last
    # attempt failed): not tried again at every request, only by `pogw storage rebrand`
    brand_failed: Mapped[str | None] = mapped_column(String(40), nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
