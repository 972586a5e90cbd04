"""``pogw audit export``: a matter's logs as a bundle anyone can verify offline.

The export is itself audited, in the matter's court log, before the checkpoints are
signed, so the bundle holds its own record. Every log of the matter is then checkpointed
(its log of checkpoints last), and each log is written up to the size just signed, so
entries appended meanwhile by other requests are left for the next export instead of
showing up unsigned. The layout is described in ``gateway.audit.offline``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.log import file_slug, is_ledger, ledger_name
from gateway.audit.merkle import MemoryTree
from gateway.audit.models import AuditCheckpoint, AuditEntry, LogHead
from gateway.audit.offline import FORMAT, KEY_FILE, MANIFEST
from gateway.audit.tags import Outcome, Tag
from gateway.errors import BadRequest
from gateway.matters.models import Matter
from gateway.runtime import Runtime


@dataclass(frozen=True)
class Exported:
    folder: Path
    logs: dict[str, int]  # entries written per log
    checkpoints: int


def export_bundle(rt: Runtime, matter_id: int, out: Path, actor: Actor) -> Exported:
    if out.exists() and any(out.iterdir()):
        raise BadRequest(f"{out}: the folder is not empty; the bundle goes into a new one")
    with rt.transaction() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise BadRequest(f"no matter has id {matter_id}")
        caption, case_number = matter.caption, matter.case_number
        rt.audit(
            session,
            AuditEvent(
                Tag.AUDIT_EXPORT,
                Outcome.ALLOWED,
                actor,
                matter_id=matter_id,
                details={"bundle": True},
            ),
        )
        session.flush()
        names = {ledger_name(matter_id)} | set(
            session.scalars(select(LogHead.name).where(LogHead.matter_id == matter_id))
        )
        notes = rt.audit_log.checkpoint_all(session, sorted(names), rt.now(), fresh=True)
    verifier = rt.audit_log.signer.verifier
    sizes = {name: Checkpoint.open(note, verifier).size for name, note in notes.items()}
    out.mkdir(parents=True, exist_ok=True)
    (out / KEY_FILE).write_text(verifier.text() + "\n", encoding="utf-8")
    written: dict[str, int] = {}
    checkpoints = 0
    with rt.db.read_session() as session:
        for name in sorted(names):
            head = session.scalar(select(LogHead).where(LogHead.name == name))
            assert head is not None
            tree = _write_log(session, out, head, sizes[name])
            written[name] = tree.size
            checkpoints += _write_checkpoints(session, out, head, sizes[name], tree)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "matter": {"id": matter_id, "case_number": case_number, "caption": caption},
        "origin_prefix": verifier.name,
        "exported_at": rt.now().isoformat(),
        "ledger": ledger_name(matter_id),
        "logs": [
            {
                "name": name,
                "entries": f"logs/{file_slug(name)}.jsonl",
                "size": written[name],
                "checkpoints": f"checkpoints/{file_slug(name)}/",
            }
            for name in sorted(names)
        ],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return Exported(out, written, checkpoints)


def _write_log(session: Session, out: Path, head: LogHead, size: int) -> MemoryTree:
    """The log's first ``size`` entries, one canonical line each; the tree they make."""
    folder = out / "logs"
    folder.mkdir(exist_ok=True)
    tree = MemoryTree()
    with (folder / f"{file_slug(head.name)}.jsonl").open("w", encoding="utf-8") as handle:
        if is_ledger(head.name):
            rows = session.scalars(
                select(AuditCheckpoint)
                .where(AuditCheckpoint.ledger_id == head.id, AuditCheckpoint.ledger_index < size)
                .order_by(AuditCheckpoint.ledger_index)
                .execution_options(yield_per=1000)
            )
            for row in rows:
                leaf = encoding.note_leaf(row.note)
                item = {"i": row.ledger_index, "note": row.note}
                handle.write(encoding.export_line(item, leaf) + "\n")
                tree.append(leaf)
            return tree
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.log_id == head.id, AuditEntry.log_index < size)
            .order_by(AuditEntry.log_index)
            .execution_options(yield_per=1000)
        )
        for entry in entries:
            leaf = bytes.fromhex(entry.hash)
            handle.write(encoding.export_line(encoding.body(entry, head.name), leaf) + "\n")
            tree.append(leaf)
    return tree


def _write_checkpoints(
    session: Session, out: Path, head: LogHead, size: int, tree: MemoryTree
) -> int:
    """Every checkpoint of the log up to ``size``, and the consistency proofs between
    each one and the next (from the tree as written, so a bad row shows in the proof)."""
    folder = out / "checkpoints" / file_slug(head.name)
    folder.mkdir(parents=True, exist_ok=True)
    rows = session.execute(
        select(AuditCheckpoint.size, AuditCheckpoint.note)
        .where(AuditCheckpoint.log_id == head.id, AuditCheckpoint.size <= size)
        .order_by(AuditCheckpoint.size)
    ).all()
    proofs = []
    for (old_size, old_note), (new_size, new_note) in zip(rows, rows[1:], strict=False):
        if new_size > tree.size:
            break
        proofs.append(
            {
                "kind": "consistency",
                "log": head.name,
                "old_size": old_size,
                "new_size": new_size,
                "path": [h.hex() for h in tree.consistency(old_size, new_size)],
                "old_checkpoint": old_note,
                "checkpoint": new_note,
            }
        )
    for cp_size, note in rows:
        (folder / f"{cp_size}.note").write_text(note, encoding="utf-8")
    (out / "proofs").mkdir(exist_ok=True)
    (out / "proofs" / f"{file_slug(head.name)}.json").write_text(
        json.dumps(proofs, indent=1) + "\n", encoding="utf-8"
    )
    return len(rows)
