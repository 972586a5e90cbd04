"""indexes: audit entries by document (who held a document before a workflow changed who
may see it), and the outbox by delivery (what is still to be delivered)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:00:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_document_seq", "audit_entries", ["document_id", "seq"])
    op.create_index(op.f("ix_outbox_delivered_at"), "outbox", ["delivered_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_delivered_at"), table_name="outbox")
    op.drop_index("ix_audit_document_seq", table_name="audit_entries")
