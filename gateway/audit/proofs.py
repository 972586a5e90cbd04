"""Proofs handed to readers: an entry's inclusion in its log, a log's consistency.

Each proof is a JSON object that ``gateway.audit.offline.check_proof`` verifies with the
public verifier key alone. A proof is given against a checkpoint signed at that moment,
which is in the log of checkpoints like any other; so the call must come after the
transaction's own appends (the log of checkpoints is always the last lock a writer takes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.merkle import verify_inclusion
from gateway.audit.models import AuditEntry, LogHead
from gateway.errors import BadRequest, IntegrityFailure
from gateway.runtime import Runtime

INCLUSION = "inclusion"
CONSISTENCY = "consistency"


def log_of(session: Session, entry: AuditEntry) -> LogHead:
    head = session.get(LogHead, entry.log_id)
    if head is None:
        raise IntegrityFailure(f"audit entry {entry.seq} belongs to no log")
    return head


def inclusion(rt: Runtime, session: Session, entry: AuditEntry) -> dict[str, Any]:
    """The entry, its leaf, and its audit path to a checkpoint of its log signed now."""
    head = log_of(session, entry)
    note = rt.audit_log.checkpoint(session, head.name, rt.now(), covering=entry.log_index + 1)
    checkpoint = Checkpoint.open(note, rt.audit_log.signer.verifier)
    path = rt.audit_log.inclusion_proof(session, head.name, entry.log_index, checkpoint.size)
    body = encoding.body(entry, head.name)
    leaf = encoding.leaf(body)
    return {
        "kind": INCLUSION,
        "log": head.name,
        "index": entry.log_index,
        "tree_size": checkpoint.size,
        "entry": body,
        "leaf": leaf.hex(),
        "path": [h.hex() for h in path],
        "checkpoint": note,
        "verifier_key": rt.audit_log.signer.verifier.text(),
        # what the gateway itself finds; the reader checks it with `pogw audit verify --proof`
        "verified": entry.hash == leaf.hex()
        and verify_inclusion(entry.log_index, checkpoint.size, leaf, path, checkpoint.root),
    }


def consistency(rt: Runtime, session: Session, name: str, old_size: int) -> dict[str, Any]:
    """That the log of ``old_size`` entries (the checkpoint the reader kept) is a prefix of
    the log as signed now.

    Answered for any size up to the newest checkpoint's, whether or not a checkpoint was
    ever signed at it: looking the size up would tell the reader when others (the auditor,
    an export) had checkpointed its log. The reader adds the checkpoint it kept, as
    ``old_checkpoint``, to check the proof offline.
    """
    note = rt.audit_log.checkpoint(session, name, rt.now())
    verifier = rt.audit_log.signer.verifier
    new = Checkpoint.open(note, verifier)
    if not 1 <= old_size <= new.size:
        raise BadRequest(f"old_size: a size from 1 to {new.size}, the log's signed size now")
    path = rt.audit_log.consistency_proof(session, name, old_size, new.size)
    return {
        "kind": CONSISTENCY,
        "log": name,
        "old_size": old_size,
        "new_size": new.size,
        "path": [h.hex() for h in path],
        "checkpoint": note,
        "verifier_key": verifier.text(),
    }
