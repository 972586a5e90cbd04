"""matters' stored orders: `replaced` opens an original to its producing side and the court only

A rule set stored before document versions existed let the receiving side view and
download a document in state `replaced` (it then stood for "served redacted"). `replaced`
now marks the original a ruling withheld in part, so those rows would serve the withheld
original: they are removed, and each matter whose rules changed gets a new policy revision
(every worker reloads it at its next request).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OPENING = ("*", "document:view", "document:download")
OWN = ("producer", "designator")


def upgrade() -> None:
    rules = sa.table(
        "casbin_rules",
        sa.column("id", sa.Integer),
        sa.column("matter_id", sa.Integer),
        sa.column("ptype", sa.String),
        *(sa.column(f"v{i}", sa.String) for i in range(11)),
    )
    policies = sa.table(
        "matter_policies",
        sa.column("matter_id", sa.Integer),
        sa.column("revision", sa.Integer),
    )
    bind = op.get_bind()
    leaking = sa.and_(
        rules.c.ptype == "p",
        rules.c.v0 != "court",
        rules.c.v4.not_in(OWN),
        rules.c.v7 == "replaced",
        rules.c.v9.in_(OPENING),
        rules.c.v10 == "allow",
    )
    matters = sorted(set(bind.execute(sa.select(rules.c.matter_id).where(leaking)).scalars()))
    if not matters:
        return
    bind.execute(sa.delete(rules).where(leaking))
    bind.execute(
        sa.update(policies)
        .where(policies.c.matter_id.in_(matters))
        .values(revision=policies.c.revision + 1)
    )


def downgrade() -> None:
    # the removed rows served a withheld original: they are not put back
    pass
