"""matters' stored orders: whoever may download a document keeps its native

`document:download_native` is new: a native without pages (a spreadsheet, an e-mail file)
is handed over only where a rule allows it, and is otherwise served as a slip sheet. A rule
whose action is `*` already covers it; a stored rule naming `document:download` gets a twin
naming `document:download_native` with the same effect, so that no one who downloaded
natives before loses them, and a denied download stays denied for the native too. Matters
whose rules changed get a new policy revision.

`document:render` (view-only pages) is not added to stored orders: the default gives it to
deposition witnesses, but a matter's own order gives it only when the operator says so.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DOWNLOAD = "document:download"
NATIVE = "document:download_native"
COLUMNS = [f"v{i}" for i in range(11)]


def _tables() -> tuple[sa.TableClause, sa.TableClause]:
    rules = sa.table(
        "casbin_rules",
        sa.column("id", sa.Integer),
        sa.column("matter_id", sa.Integer),
        sa.column("ptype", sa.String),
        *(sa.column(name, sa.String) for name in COLUMNS),
    )
    policies = sa.table(
        "matter_policies",
        sa.column("matter_id", sa.Integer),
        sa.column("revision", sa.Integer),
    )
    return rules, policies


def _bump(policies: sa.TableClause, matters: set[int]) -> None:
    if matters:
        op.get_bind().execute(
            sa.update(policies)
            .where(policies.c.matter_id.in_(sorted(matters)))
            .values(revision=policies.c.revision + 1)
        )


def upgrade() -> None:
    rules, policies = _tables()
    bind = op.get_bind()
    columns = [rules.c[name] for name in COLUMNS]
    found = bind.execute(
        sa.select(rules.c.matter_id, rules.c.ptype, *columns).where(rules.c.ptype == "p")
    ).all()
    present = {(row[0], *row[2:]) for row in found}
    twins = []
    for matter_id, ptype, *values in found:
        if values[9] != DOWNLOAD:
            continue
        twin = [*values[:9], NATIVE, values[10]]
        if (matter_id, *twin) not in present:
            present.add((matter_id, *twin))
            twins.append(
                {"matter_id": matter_id, "ptype": ptype, **dict(zip(COLUMNS, twin, strict=True))}
            )
    if twins:
        bind.execute(sa.insert(rules), twins)
    _bump(policies, {t["matter_id"] for t in twins})


def downgrade() -> None:
    # the earlier code refuses a stored rule naming an action it does not know, so every
    # rule naming the new actions goes, the operator's own included
    rules, policies = _tables()
    bind = op.get_bind()
    new = rules.c.v9.in_((NATIVE, "document:render"))
    matters = set(bind.execute(sa.select(rules.c.matter_id).where(new)).scalars())
    bind.execute(sa.delete(rules).where(new))
    _bump(policies, matters)
