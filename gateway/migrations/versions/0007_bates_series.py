"""Bates prefixes registered to parties; a matter's longest document and field names;
files' CRC-32

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bates_prefixes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=80), nullable=False),
        sa.Column("prefix_key", sa.String(length=80), nullable=False),
        sa.Column("created_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_bates_prefixes_matter_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_bates_prefixes_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bates_prefixes")),
        sa.UniqueConstraint("matter_id", "prefix_key", name=op.f("uq_bates_prefixes_matter_id")),
    )
    with op.batch_alter_table("bates_prefixes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bates_prefixes_matter_id"), ["matter_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bates_prefixes_party_id"), ["party_id"], unique=False)
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crc32", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_document_pages", sa.Integer(), server_default="20000", nullable=False)
        )
        batch_op.add_column(
            sa.Column("field_aliases", sa.JSON(), server_default="{}", nullable=False)
        )
    # A series already produced in by exactly one party is that party's; one produced in by
    # several stays unregistered for the operator to assign (pogw matters assign-prefix).
    op.execute(
        """
        INSERT INTO bates_prefixes (matter_id, party_id, prefix, prefix_key, created_at)
        SELECT matter_id, MIN(producing_party_id), MIN(bates_prefix), LOWER(bates_prefix),
               MIN(created_at)
        FROM documents
        GROUP BY matter_id, LOWER(bates_prefix)
        HAVING COUNT(DISTINCT producing_party_id) = 1
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.drop_column("crc32")
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_column("field_aliases")
        batch_op.drop_column("max_document_pages")
    with op.batch_alter_table("bates_prefixes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bates_prefixes_party_id"))
        batch_op.drop_index(batch_op.f("ix_bates_prefixes_matter_id"))
    op.drop_table("bates_prefixes")
