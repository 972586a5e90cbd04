"""audit: one Merkle log per matter and side, instead of one hash chain

The old chain is verified first (every link and hash, and its signed head): a chain that
does not verify stops the upgrade, naming the entry, and nothing changes. Its entries are
then placed, in their order, in the logs they belong to (a party's side of a matter, the
matter's court and neutrals, or the instance's own log), each hashed as a leaf of its log's
tree, and one entry in the instance's log records the old chain's size, last hash and
signed head, so that a receipt taken from the old chain can still be checked against it.
Checkpoints are signed at the next append to each log, or by `pogw audit checkpoint`.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 18:30:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

import gateway.db
from gateway.audit import encoding
from gateway.audit.log import log_name
from gateway.audit.merkle import Frontier
from gateway.audit.models import node_key

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
CARRIED_OVER = "audit:carried_over"
OLD_HASHED = (
    "seq",
    "at",
    "tag",
    "outcome",
    "reason",
    "rule",
    "actor_user_id",
    "actor_email",
    "side_party_id",
    "matter_id",
    "document_id",
    "bates",
    "address",
    "details",
)
COLUMNS = (*OLD_HASHED, "side_seq", "prev_hash", "hash")
INTEGERS = {"seq", "actor_user_id", "side_party_id", "matter_id", "document_id", "side_seq"}


class ChainDoesNotVerify(RuntimeError):
    pass


def _old_hash(row: Any, prev_hash: str) -> str:
    """The old chain's hash of an entry, as the chain computed it."""
    payload = {}
    for name in OLD_HASHED:
        value = getattr(row, name)
        payload[name] = value.isoformat() if isinstance(value, datetime) else value
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + text.encode("utf-8")).hexdigest()


def _type(name: str) -> Any:
    if name == "at":
        return gateway.db.UTCDateTime(timezone=True)
    return sa.Integer if name in INTEGERS else sa.String


def _entries_table() -> sa.TableClause:
    return sa.table(
        "audit_entries",
        *(sa.column(name, _type(name)) for name in COLUMNS),
        sa.column("log_id", sa.Integer),
        sa.column("log_index", sa.Integer),
        sa.column("user_agent", sa.String),
    )


def upgrade() -> None:
    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=True),
        sa.Column("side_party_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("frontier", sa.Text(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("checkpointed_size", sa.Integer(), nullable=False),
        sa.Column("checkpointed_at", gateway.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
        sa.UniqueConstraint("name", name=op.f("uq_audit_logs_name")),
    )
    op.create_table(
        "audit_nodes",
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["log_id"], ["audit_logs.id"], name=op.f("fk_audit_nodes_log_id_audit_logs")
        ),
        sa.PrimaryKeyConstraint("log_id", "key", name=op.f("pk_audit_nodes")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=True),
        sa.Column("ledger_index", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["log_id"], ["audit_logs.id"], name=op.f("fk_audit_checkpoints_log_id_audit_logs")
        ),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["audit_logs.id"],
            name=op.f("fk_audit_checkpoints_ledger_id_audit_logs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("log_id", "size", name="uq_audit_checkpoints_log_size"),
        sa.UniqueConstraint("ledger_id", "ledger_index", name="uq_audit_checkpoints_ledger"),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("log_index", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("user_agent", sa.String(length=200), nullable=False, server_default="")
        )

    last_seq = _relog(op.get_bind())

    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("log_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("log_index", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("prev_hash")
        batch_op.create_unique_constraint("uq_audit_entries_log_index", ["log_id", "log_index"])
        batch_op.create_foreign_key(
            op.f("fk_audit_entries_log_id_audit_logs"), "audit_logs", ["log_id"], ["id"]
        )
    op.drop_table("audit_anchor")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("audit_entry_seq", start=last_seq + 1)))


class _Log:
    def __init__(self, log_id: int, name: str, matter_id: Any, side_party_id: Any) -> None:
        self.id, self.name = log_id, name
        self.matter_id, self.side_party_id = matter_id, side_party_id
        self.frontier = Frontier()

    def add(self, item: SimpleNamespace, nodes: list[dict[str, Any]]) -> str:
        """Place ``item`` at the end of the log; its leaf hash, hex."""
        item.log_index = self.frontier.size
        leaf = encoding.leaf(encoding.body(item, self.name))  # type: ignore[arg-type]
        nodes.extend(
            {"log_id": self.id, "key": node_key(n.level, n.index), "hash": n.hash}
            for n in self.frontier.append(leaf)
        )
        return leaf.hex()

    def head_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "matter_id": self.matter_id,
            "side_party_id": self.side_party_id,
            "size": self.frontier.size,
            "frontier": json.dumps([h.hex() for h in self.frontier.hashes]),
            "root": self.frontier.root().hex(),
            "checkpointed_size": 0,
        }


def _relog(conn: sa.Connection) -> int:
    """Verify the old chain, then place its entries in their logs; the last ``seq``."""
    entries = _entries_table()
    rows = conn.execute(sa.select(entries).order_by(entries.c.seq)).all()
    anchor = conn.execute(
        sa.text("SELECT count, head_hash, signature, updated_at FROM audit_anchor WHERE id = 1")
    ).first()
    _verify_old_chain(rows, anchor)
    logs: dict[str, _Log] = {}
    updates: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []

    def log_for(matter_id: Any, side_party_id: Any) -> _Log:
        name = log_name(matter_id, side_party_id)
        if name not in logs:
            logs[name] = _Log(len(logs) + 1, name, matter_id, side_party_id)
        return logs[name]

    for row in rows:
        log = log_for(row.matter_id, row.side_party_id)
        item = SimpleNamespace(**{n: getattr(row, n) for n in OLD_HASHED}, user_agent="")
        leaf = log.add(item, nodes)
        party = row.matter_id is not None and row.side_party_id is not None
        updates.append(
            {
                "k": row.seq,
                "new_log": log.id,
                "new_index": item.log_index,
                "new_hash": leaf,
                "new_side_seq": item.log_index + 1 if party else None,
            }
        )
    last_seq = rows[-1].seq if rows else 0
    carried = None
    if rows and anchor is not None:
        last_seq += 1
        carried = SimpleNamespace(
            seq=last_seq,
            at=rows[-1].at,
            tag=CARRIED_OVER,
            outcome="allowed",
            reason="the hash chain, verified, re-logged as Merkle logs",
            rule="",
            actor_user_id=None,
            actor_email="operator@upgrade",
            side_party_id=None,
            matter_id=None,
            document_id=None,
            bates="",
            address="local",
            user_agent="",
            details=encoding.canonical_json(
                {
                    "chain_entries": anchor.count,
                    "chain_head_hash": anchor.head_hash,
                    "chain_head_signature": bytes(anchor.signature).hex(),
                }
            ),
        )
        carried.hash = log_for(None, None).add(carried, nodes)
    heads = sa.table(
        "audit_logs",
        *(sa.column(n) for n in ("id", "name", "matter_id", "side_party_id", "size")),
        *(sa.column(n) for n in ("frontier", "root", "checkpointed_size")),
    )
    if logs:
        conn.execute(sa.insert(heads), [log.head_row() for log in logs.values()])
    node_table = sa.table("audit_nodes", sa.column("log_id"), sa.column("key"), sa.column("hash"))
    for start in range(0, len(nodes), 1000):
        conn.execute(sa.insert(node_table), nodes[start : start + 1000])
    if updates:
        conn.execute(
            sa.update(entries)
            .where(entries.c.seq == sa.bindparam("k"))
            .values(
                log_id=sa.bindparam("new_log"),
                log_index=sa.bindparam("new_index"),
                hash=sa.bindparam("new_hash"),
                side_seq=sa.bindparam("new_side_seq"),
            ),
            updates,
        )
    if carried is not None:
        conn.execute(
            sa.insert(entries).values(
                **{n: getattr(carried, n) for n in OLD_HASHED},
                side_seq=None,
                prev_hash="",
                hash=carried.hash,
                log_id=logs["global"].id,
                log_index=carried.log_index,
                user_agent="",
            )
        )
    return last_seq


def _verify_old_chain(rows: Sequence[Any], anchor: Any) -> None:
    head = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected:
            raise ChainDoesNotVerify(f"audit entry {expected} is missing (found {row.seq} next)")
        if row.prev_hash != head or _old_hash(row, row.prev_hash) != row.hash:
            raise ChainDoesNotVerify(
                f"audit entry {row.seq} does not verify: the trail was changed; "
                "run `pogw audit verify` on the old version and resolve it before upgrading"
            )
        head = row.hash
    if rows and anchor is None:
        raise ChainDoesNotVerify("the audit chain has entries but no signed head")
    if anchor is not None and (anchor.count != len(rows) or anchor.head_hash != head):
        raise ChainDoesNotVerify(
            f"the signed head counts {anchor.count} entries, the chain holds {len(rows)}"
        )


def downgrade() -> None:
    """The old tables come back and the entries are linked again as the chain linked them;
    the chain's head cannot be signed here (no key is at hand), so it carries no signature
    and the old `pogw audit verify` says so until the operator re-signs it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("audit_entry_seq")))
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", gateway.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_audit_entries_log_id_audit_logs"), type_="foreignkey")
        batch_op.drop_constraint("uq_audit_entries_log_index", type_="unique")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("log_index")
        batch_op.drop_column("log_id")
        batch_op.add_column(
            sa.Column("prev_hash", sa.String(length=64), nullable=False, server_default="")
        )
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_nodes")
    op.drop_table("audit_logs")
    _relink(op.get_bind())


def _relink(conn: sa.Connection) -> None:
    entries = sa.table("audit_entries", *(sa.column(n, _type(n)) for n in COLUMNS))
    rows = conn.execute(sa.select(entries).order_by(entries.c.seq)).all()
    head, links = GENESIS, []
    for row in rows:
        new = _old_hash(row, head)
        links.append({"k": row.seq, "new_prev": head, "new_hash": new})
        head = new
    if links:
        conn.execute(
            sa.update(entries)
            .where(entries.c.seq == sa.bindparam("k"))
            .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            links,
        )
        anchor = sa.table(
            "audit_anchor",
            sa.column("id"),
            sa.column("count"),
            sa.column("head_hash"),
            sa.column("signature", sa.LargeBinary),
            sa.column("updated_at", gateway.db.UTCDateTime(timezone=True)),
        )
        conn.execute(
            sa.insert(anchor).values(
                id=1, count=len(rows), head_hash=head, signature=b"", updated_at=rows[-1].at
            )
        )
