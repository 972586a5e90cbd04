"""redactions: the log of how each redacted version was made (who, when, from which
version, which marks, why)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("source_version_id", sa.Integer(), nullable=False),
        sa.Column("made_by_user_id", sa.Integer(), nullable=False),
        sa.Column("made_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("resolved", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("rasterized", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["made_by_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["source_version_id"], ["document_versions.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["document_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id"),
    )
    op.create_index(op.f("ix_redactions_document_id"), "redactions", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_redactions_document_id"), table_name="redactions")
    op.drop_table("redactions")
