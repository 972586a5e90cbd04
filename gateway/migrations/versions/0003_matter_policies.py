"""each matter's own order: its rules (through pycasbin's SQLAlchemy adapter) and revision

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:40:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "matter_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.Boolean(), nullable=False),
        sa.Column("tiers_text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("updated_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_matter_policies_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matter_policies")),
        sa.UniqueConstraint("matter_id", name=op.f("uq_matter_policies_matter_id")),
    )
    op.create_table(
        "casbin_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("ptype", sa.String(length=8), nullable=False),
        *(sa.Column(f"v{i}", sa.String(length=100), nullable=True) for i in range(11)),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_casbin_rules_matter_id_matters")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_casbin_rules")),
    )
    with op.batch_alter_table("casbin_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_casbin_rules_matter_id"), ["matter_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("casbin_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_casbin_rules_matter_id"))
    op.drop_table("casbin_rules")
    op.drop_table("matter_policies")
