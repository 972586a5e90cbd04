"""document files: whether the data key's wrapping binds the attributes that decide access

Keys already stored were wrapped bound to the file's place only: they keep 0 and decrypt as
before until `pogw storage rebind` re-wraps them (which needs the keys, so it cannot run
here).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key_binding", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("document_files", schema=None) as batch_op:
        batch_op.drop_column("key_binding")
