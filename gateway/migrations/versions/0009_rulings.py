"""rulings on claw-backs, and the obligations with deadlines a court's order sets

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:50:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clawback_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pages", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("ruled_at", gateway.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("order_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("order_docket", sa.String(length=50), nullable=False, server_default="")
        )
    op.create_table(
        "obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=500), nullable=False),
        sa.Column("order_docket", sa.String(length=50), nullable=False),
        sa.Column("trigger", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("ends_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("created_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_obligations_matter_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_obligations_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligations")),
    )
    op.create_index(op.f("ix_obligations_matter_id"), "obligations", ["matter_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_obligations_matter_id"), table_name="obligations")
    op.drop_table("obligations")
    with op.batch_alter_table("clawback_items", schema=None) as batch_op:
        batch_op.drop_column("order_docket")
        batch_op.drop_column("order_date")
        batch_op.drop_column("ruled_at")
        batch_op.drop_column("pages")
