"""The canonical encoding of an audit entry: the bytes its Merkle leaf commits to.

An entry is encoded as canonical JSON (keys sorted, no spaces, UTF-8) of every field that
says what happened, plus the log it is in and its index there, so that a dropped or
reordered entry is named by the first index out of place. The entry's ``seq`` (its row's
number across the instance) is not in it: a party checks its own entries, and a number
counting every side's entries would tell it how much the others did. What points at an
entry from outside (a watermark's token, a served copy's record) names its log and index.
``v`` is the encoding's version: a change to the encoding is a new version, never an edit
of this one.

An exported log is one such object per line with its leaf hash added as ``leaf``, so the
offline verifier needs nothing but the line to recompute the leaf.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gateway.audit.merkle import leaf_hash
from gateway.audit.models import AuditEntry

VERSION = 1
# the fields an entry's leaf commits to, beside ``v``, ``log`` and ``i``
FIELDS = (
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
    "user_agent",
)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body(entry: AuditEntry, log_name: str) -> dict[str, Any]:
    """What the entry's leaf commits to, as a JSON object."""
    item: dict[str, Any] = {"v": VERSION, "log": log_name, "i": entry.log_index}
    for name in FIELDS:
        value = getattr(entry, name)
        item[name] = value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
    item["details"] = json.loads(entry.details)
    return item


def encode(item: dict[str, Any]) -> bytes:
    return canonical_json(item).encode("utf-8")


def leaf(item: dict[str, Any]) -> bytes:
    """RFC 9162's leaf hash of the encoded entry."""
    return leaf_hash(encode(item))


def export_line(item: dict[str, Any], leaf_bytes: bytes) -> str:
    """One line of an exported log: the entry with its leaf hash beside it."""
    return canonical_json({**item, "leaf": leaf_bytes.hex()})


def note_leaf(note: str) -> bytes:
    """The leaf of a checkpoint in the log of checkpoints: the signed note's bytes."""
    return leaf_hash(note.encode("utf-8"))
