"""branding: which legend a file's pages carry, its edition and when it was superseded;
whether a volume was branded at ingest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00
"""

import json

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN, not a batch rebuild: SQLite would drop a table others refer to
    op.add_column(
        "productions",
        sa.Column("branded_at_ingest", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("document_files", sa.Column("branded_as", sa.String(40), nullable=True))
    op.add_column(
        "document_files",
        sa.Column("edition", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("document_files", sa.Column("brand_failed", sa.String(40), nullable=True))
    op.add_column(
        "document_files",
        sa.Column("superseded_at", gateway.db.UTCDateTime(timezone=True), nullable=True),
    )
    _brand_stored_files()
    op.create_index(
        "ix_document_files_version_current", "document_files", ["version_id", "superseded_at"]
    )


def _brand_stored_files() -> None:
    """Files stored before: their pages carry the legend of the designation they were
    produced (or supplied) under. That is the version's designation now unless the trail
    records a change since: then it is the first change's "before" (a re-designation's
    ``from``, a filing's ``designation.before``), for the original and for a supplied
    version alike (a supplied version: the designation its supply entry records). A version
    whose pages carry another legend than its designation is re-branded at its next
    download, or by ``pogw storage rebrand``."""
    bind = op.get_bind()
    bind.execute(
        sa.text(
            """
            UPDATE document_files SET branded_as = (
                SELECT COALESCE(v.designation, d.designation)
                FROM document_versions v JOIN documents d ON d.id = v.document_id
                WHERE v.id = document_files.version_id
            )
            WHERE role = 'image' OR (role = 'native' AND media_type = 'application/pdf')
            """
        )
    )
    produced = _as_produced(bind)
    versions = bind.execute(sa.text("SELECT id, document_id, kind FROM document_versions")).all()
    for version_id, document_id, kind in versions:
        designation = produced.get((document_id, kind))
        if designation is None:
            continue
        bind.execute(
            sa.text(
                "UPDATE document_files SET branded_as = :designation WHERE version_id = :version "
                "AND (role = 'image' OR (role = 'native' AND media_type = 'application/pdf'))"
            ),
            {"designation": designation, "version": version_id},
        )


def _as_produced(bind: sa.engine.Connection) -> dict[tuple[int, str], str]:
    """(document id, version kind) -> the designation its pages were produced under, where
    the trail shows it differs from the designation now (the earliest entry wins)."""
    rows = bind.execute(
        sa.text(
            """
            SELECT document_id, tag, reason, details FROM audit_entries
            WHERE document_id IS NOT NULL AND outcome = 'allowed'
              AND tag IN ('document:designation', 'filing:record', 'version:supply')
            ORDER BY seq
            """
        )
    ).all()
    found: dict[tuple[int, str], str] = {}
    for document_id, tag, reason, details in rows:
        try:
            data = json.loads(details or "{}")
        except ValueError:
            continue
        if tag == "document:designation":
            key, before = (document_id, "original"), data.get("from")
        elif tag == "version:supply":
            key, before = (document_id, reason), data.get("designation")
        else:
            change = data.get("designation") or {}
            key, before = (document_id, data.get("version", "original")), change.get("before")
        if isinstance(before, str) and before and key not in found:
            found[key] = before
    return found


def downgrade() -> None:
    op.drop_index("ix_document_files_version_current", "document_files")
    op.drop_column("document_files", "superseded_at")
    op.drop_column("document_files", "brand_failed")
    op.drop_column("document_files", "edition")
    op.drop_column("document_files", "branded_as")
    op.drop_column("productions", "branded_at_ingest")
