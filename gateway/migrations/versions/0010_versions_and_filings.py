"""document versions with their own designation and state; filings with the court;
obligations counted in business days

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 11:30:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("designation", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("page_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("public_record_at", gateway.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key(
            batch_op.f("fk_document_versions_created_by_user_id_users"),
            "users",
            ["created_by_user_id"],
            ["id"],
        )
        batch_op.create_index(
            "ix_document_versions_document_kind", ["document_id", "kind"], unique=False
        )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alternates", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("clawback_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prior_versions", sa.JSON(), nullable=True))
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("business_days", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(length=30), nullable=False),
        sa.Column("docket", sa.String(length=50), nullable=False),
        sa.Column("filed_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("filed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("recorded_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_filings_matter_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_filings_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_versions.id"],
            name=op.f("fk_filings_version_id_document_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_filings_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_user_id"], ["users.id"], name=op.f("fk_filings_filed_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligations.id"],
            name=op.f("fk_filings_obligation_id_obligations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_filings")),
    )
    op.create_index(op.f("ix_filings_matter_id"), "filings", ["matter_id"])
    op.create_index(op.f("ix_filings_document_id"), "filings", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_filings_document_id"), table_name="filings")
    op.drop_index(op.f("ix_filings_matter_id"), table_name="filings")
    op.drop_table("filings")
    with op.batch_alter_table("obligations", schema=None) as batch_op:
        batch_op.drop_column("business_days")
    with op.batch_alter_table("clawback_items", schema=None) as batch_op:
        batch_op.drop_column("prior_versions")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("alternates")
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_document_versions_document_kind")
        batch_op.drop_constraint(
            batch_op.f("fk_document_versions_created_by_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("note")
        batch_op.drop_column("public_record_at")
        batch_op.drop_column("created_by_user_id")
        batch_op.drop_column("page_count")
        batch_op.drop_column("state")
        batch_op.drop_column("designation")
