"""claw-backs: notices, their documents, presentations to the court, certifications;
matters: the court's PACER id and the certification period

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:20:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    name = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{name}"))


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, gateway.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("court_id", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column(
                "clawback_certification_days", sa.Integer(), nullable=False, server_default="14"
            )
        )
    op.create_table(
        "clawbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("claimant_party_id", sa.Integer(), nullable=False),
        sa.Column("noticed_by_user_id", sa.Integer(), nullable=False),
        sa.Column("privilege", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        _at("noticed_at"),
        _fk("clawbacks", "claimant_party_id", "parties.id"),
        _fk("clawbacks", "matter_id", "matters.id"),
        _fk("clawbacks", "noticed_by_user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clawbacks")),
    )
    op.create_index(op.f("ix_clawbacks_matter_id"), "clawbacks", ["matter_id"])
    op.create_table(
        "clawback_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clawback_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("prior_state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        _fk("clawback_items", "clawback_id", "clawbacks.id"),
        _fk("clawback_items", "document_id", "documents.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clawback_items")),
        sa.UniqueConstraint(
            "clawback_id", "document_id", name=op.f("uq_clawback_items_clawback_id")
        ),
    )
    op.create_index(op.f("ix_clawback_items_clawback_id"), "clawback_items", ["clawback_id"])
    op.create_index(op.f("ix_clawback_items_document_id"), "clawback_items", ["document_id"])
    op.create_table(
        "presentations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clawback_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("presented_by_user_id", sa.Integer(), nullable=False),
        _at("presented_at"),
        _fk("presentations", "clawback_id", "clawbacks.id"),
        _fk("presentations", "document_id", "documents.id"),
        _fk("presentations", "party_id", "parties.id"),
        _fk("presentations", "presented_by_user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presentations")),
        sa.UniqueConstraint(
            "clawback_id", "document_id", name=op.f("uq_presentations_clawback_id")
        ),
    )
    op.create_index(op.f("ix_presentations_clawback_id"), "presentations", ["clawback_id"])
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("clawback_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        _at("created_at"),
        _at("due_at", nullable=True),
        _at("certified_at", nullable=True),
        sa.Column("certified_by_user_id", sa.Integer(), nullable=True),
        sa.Column("signed_by", sa.String(length=200), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        _fk("certifications", "certified_by_user_id", "users.id"),
        _fk("certifications", "clawback_id", "clawbacks.id"),
        _fk("certifications", "matter_id", "matters.id"),
        _fk("certifications", "party_id", "parties.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("clawback_id", "party_id", name=op.f("uq_certifications_clawback_id")),
    )
    op.create_index(op.f("ix_certifications_clawback_id"), "certifications", ["clawback_id"])
    op.create_index(op.f("ix_certifications_matter_id"), "certifications", ["matter_id"])
    op.create_table(
        "certification_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _at("downloaded_at"),
        sa.Column("action", sa.String(length=20), nullable=False),
        _fk("certification_copies", "certification_id", "certifications.id"),
        _fk("certification_copies", "document_id", "documents.id"),
        _fk("certification_copies", "user_id", "users.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_copies")),
    )
    op.create_index(
        op.f("ix_certification_copies_certification_id"),
        "certification_copies",
        ["certification_id"],
    )


def downgrade() -> None:
    for table, indexes in (
        ("certification_copies", ["certification_id"]),
        ("certifications", ["clawback_id", "matter_id"]),
        ("presentations", ["clawback_id"]),
        ("clawback_items", ["clawback_id", "document_id"]),
        ("clawbacks", ["matter_id"]),
    ):
        for column in indexes:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_column("clawback_certification_days")
        batch_op.drop_column("court_id")
