"""people in the matter: affiliations, clearance per designating party, role windows;
documents: designating party, presented to the court

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:10:00
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party_affiliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("since", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", gateway.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_party_affiliations_matter_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_affiliations_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_party_affiliations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_affiliations")),
        sa.UniqueConstraint(
            "matter_id", "user_id", "party_id", name=op.f("uq_party_affiliations_matter_id")
        ),
    )
    with op.batch_alter_table("party_affiliations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_party_affiliations_matter_id"), ["matter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_party_affiliations_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "clearances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"], ["matters.id"], name=op.f("fk_clearances_matter_id_matters")
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_clearances_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_clearances_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearances")),
        sa.UniqueConstraint(
            "matter_id", "user_id", "party_id", name=op.f("uq_clearances_matter_id")
        ),
    )
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearances_matter_id"), ["matter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearances_user_id"), ["user_id"], unique=False)

    # A membership "cleared" before clearance was per designating party was cleared for
    # every party's material: carry that over as one clearance per other party of the matter.
    op.execute(
        """
        INSERT INTO clearances (matter_id, user_id, party_id, recorded_at)
        SELECT DISTINCT m.matter_id, m.user_id, p.id, m.created_at
        FROM memberships m JOIN parties p ON p.matter_id = m.matter_id
        WHERE m.disclosure = 'cleared' AND (m.party_id IS NULL OR p.id <> m.party_id)
        """
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("active_from", gateway.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("active_until", gateway.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("disclosure")

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("designating_party_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("presented_at", gateway.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE documents SET designating_party_id = producing_party_id")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.alter_column("designating_party_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_documents_designating_party_id_parties"),
            "parties",
            ["designating_party_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_documents_designating_party_id_parties"), type_="foreignkey"
        )
        batch_op.drop_column("presented_at")
        batch_op.drop_column("designating_party_id")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "disclosure", sa.String(length=20), nullable=False, server_default="not_cleared"
            )
        )
        batch_op.drop_column("active_until")
        batch_op.drop_column("active_from")
    op.execute(
        """
        UPDATE memberships SET disclosure = 'cleared'
        WHERE role IN ('expert', 'house_counsel') AND EXISTS (
            SELECT 1 FROM clearances c
            WHERE c.matter_id = memberships.matter_id AND c.user_id = memberships.user_id
        )
        """
    )
    with op.batch_alter_table("clearances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearances_user_id"))
        batch_op.drop_index(batch_op.f("ix_clearances_matter_id"))
    op.drop_table("clearances")
    with op.batch_alter_table("party_affiliations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_affiliations_user_id"))
        batch_op.drop_index(batch_op.f("ix_party_affiliations_matter_id"))
    op.drop_table("party_affiliations")
