"""audit entries: side_seq, each entry's ordinal within its side

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("side_seq", sa.Integer(), nullable=True))
    # number the entries already written, as the chain does for new ones: the n-th entry of
    # a side in a matter, in the chain's order, is n
    op.execute(
        "UPDATE audit_entries SET side_seq = ("
        " SELECT count(*) FROM audit_entries AS earlier"
        " WHERE earlier.matter_id = audit_entries.matter_id"
        " AND earlier.side_party_id = audit_entries.side_party_id"
        " AND earlier.seq <= audit_entries.seq)"
        " WHERE matter_id IS NOT NULL AND side_party_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("side_seq")
