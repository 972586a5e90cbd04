"""branding: which legend a file's pages carry, its edition and when it was superseded;
whether a volume was branded at ingest

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00
"""

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
    op.add_column(
        "document_files",
        sa.Column("superseded_at", gateway.db.UTCDateTime(timezone=True), nullable=True),
    )
    # files stored before: page images and PDFs carry the legend of the designation they
    # were produced under, as far as the gateway knows (the version's, else the document's)
    op.execute(
        """
        UPDATE document_files SET branded_as = (
            SELECT COALESCE(v.designation, d.designation)
            FROM document_versions v JOIN documents d ON d.id = v.document_id
            WHERE v.id = document_files.version_id
        )
        WHERE role = 'image' OR (role = 'native' AND media_type = 'application/pdf')
        """
    )
    op.create_index(
        "ix_document_files_version_current", "document_files", ["version_id", "superseded_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_document_files_version_current", "document_files")
    op.drop_column("document_files", "superseded_at")
    op.drop_column("document_files", "edition")
    op.drop_column("document_files", "branded_as")
    op.drop_column("productions", "branded_at_ingest")
