"""log descriptions: the claimant's own description of a claimed document for the
privilege log (FRCP 26(b)(5)(A))

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_descriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clawback_item_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("described_by_user_id", sa.Integer(), nullable=False),
        sa.Column("described_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clawback_item_id"],
            ["clawback_items.id"],
            name=op.f("fk_log_descriptions_clawback_item_id_clawback_items"),
        ),
        sa.ForeignKeyConstraint(
            ["described_by_user_id"],
            ["users.id"],
            name=op.f("fk_log_descriptions_described_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_descriptions")),
        sa.UniqueConstraint("clawback_item_id", name=op.f("uq_log_descriptions_clawback_item_id")),
    )


def downgrade() -> None:
    op.drop_table("log_descriptions")
