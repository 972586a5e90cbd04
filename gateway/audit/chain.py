"""Appending to and verifying the audit hash chain.

Each entry's hash covers its own fields and the previous hash; ``seq`` is dense. The head
(entry count and last hash) is signed with the Ed25519 key in ``keys/`` and stored in
``audit_anchor``. So an edited row breaks its hash, a deleted or reordered row breaks the
sequence or the links, and a deleted tail no longer matches the signed head.

An entry of a party's side also gets ``side_seq``, its ordinal among that side's entries in
the matter, counted from the side's own entries only: the side's view shows it instead of
``seq``. It is a function of the chain's order, so ``verify`` recomputes and checks it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit.models import AuditAnchor, AuditEntry
from gateway.errors import IntegrityFailure

GENESIS = "0" * 64
ANCHOR_ID = 1
_HASHED_FIELDS = (
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


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    payload: dict[str, Any] = {}
    for name in _HASHED_FIELDS:
        value = getattr(entry, name)
        payload[name] = value.isoformat() if isinstance(value, datetime) else value
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii") + b"\n" + canonical_json(payload).encode("utf-8"))
    return digest.hexdigest()


def head_message(count: int, head_hash: str) -> bytes:
    return f"pogw-audit-head\n{count}\n{head_hash}".encode("ascii")


def ensure_anchor(session: Session, signer: Ed25519PrivateKey, now: datetime) -> None:
    """Create the empty chain's signed head once (on a new database)."""
    if session.get(AuditAnchor, ANCHOR_ID) is None:
        session.add(
            AuditAnchor(
                id=ANCHOR_ID,
                count=0,
                head_hash=GENESIS,
                signature=signer.sign(head_message(0, GENESIS)),
                updated_at=now,
            )
        )


def append(session: Session, signer: Ed25519PrivateKey, entry: AuditEntry) -> AuditEntry:
    """Link ``entry`` to the chain inside the caller's transaction."""
    return append_many(session, signer, [entry])[0]


def append_many(
    session: Session, signer: Ed25519PrivateKey, entries: list[AuditEntry]
) -> list[AuditEntry]:
    """Link ``entries`` to the chain in their order, inside the caller's transaction.

    The chain is the one an ``append`` of each would make; the head is locked once and
    signed once, at the end (only the newest head is ever kept, so the heads in between
    need no signature).
    """
    if not entries:
        return entries
    anchor = session.execute(
        select(AuditAnchor).where(AuditAnchor.id == ANCHOR_ID).with_for_update()
    ).scalar_one_or_none()
    if anchor is None:
        # refusing here stops the action: nothing is served that is not recorded
        raise IntegrityFailure("the audit chain has no signed head: run `pogw init`")
    seq, head = anchor.count, anchor.head_hash
    sides: dict[tuple[int, int], int] = {}
    for entry in entries:
        seq += 1
        entry.seq = seq
        if entry.matter_id is not None and entry.side_party_id is not None:
            side = (entry.matter_id, entry.side_party_id)
            if side not in sides:
                sides[side] = _last_side_seq(session, *side)
            sides[side] += 1
            entry.side_seq = sides[side]
        entry.prev_hash = head
        entry.hash = head = entry_hash(entry, head)
    session.add_all(entries)
    anchor.count = seq
    anchor.head_hash = head
    anchor.signature = signer.sign(head_message(anchor.count, anchor.head_hash))
    anchor.updated_at = entries[-1].at
    session.flush()
    return entries


def _last_side_seq(session: Session, matter_id: int, side_party_id: int) -> int:
    """The side's newest ordinal (0 before its first entry); the head's lock is held."""
    last = session.scalar(
        select(AuditEntry.side_seq)
        .where(AuditEntry.matter_id == matter_id, AuditEntry.side_party_id == side_party_id)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    return last or 0


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(session: Session) -> Iterator[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
    yield from session.scalars(stmt)


def verify(session: Session, verify_key: Ed25519PublicKey, *, limit: int = 50) -> VerifyReport:
    report = VerifyReport()
    head = GENESIS
    expected = 1
    sides: dict[tuple[int, int], tuple[int, int | None]] = {}
    for entry in _entries(session):
        if len(report.problems) >= limit:
            break
        _check_side_seq(entry, sides, report)
        if entry.seq != expected:
            report.problems.append(
                f"entry {expected}: missing or out of order (found {entry.seq} next)"
            )
        if entry.prev_hash != head:
            report.problems.append(f"entry {entry.seq}: does not link to the entry before it")
        if entry_hash(entry, entry.prev_hash) != entry.hash:
            report.problems.append(f"entry {entry.seq}: contents do not match its hash")
        head = entry.hash
        expected = entry.seq + 1
        report.checked += 1
    anchor = session.get(AuditAnchor, ANCHOR_ID)
    if anchor is None:
        report.problems.append("the signed chain head is missing")
        return report
    try:
        verify_key.verify(anchor.signature, head_message(anchor.count, anchor.head_hash))
    except InvalidSignature:
        report.problems.append("the chain head's signature is not valid for the audit key")
    if anchor.count != report.checked:
        report.problems.append(
            f"the signed head counts {anchor.count} entries, the table holds {report.checked}"
        )
    elif anchor.head_hash != head:
        report.problems.append("the last entry's hash differs from the signed head")
    return report


def _check_side_seq(
    entry: AuditEntry, sides: dict[tuple[int, int], tuple[int, int | None]], report: VerifyReport
) -> None:
    """The entry's number within its side is its position among the side's entries.

    ``sides`` holds, per side, how many entries were seen and the number the last one bore;
    a number that merely continues the last one is not reported again, so that a deleted
    or edited entry is reported once, not as every entry after it.
    """
    if entry.matter_id is None or entry.side_party_id is None:
        if entry.side_seq is not None:
            report.problems.append(f"entry {entry.seq}: numbered within a side it has not")
        return
    key = (entry.matter_id, entry.side_party_id)
    seen, last = sides.get(key, (0, 0))
    if entry.side_seq != seen + 1 and (last is None or entry.side_seq != last + 1):
        report.problems.append(
            f"entry {entry.seq}: numbered {entry.side_seq} within its side, expected {seen + 1}"
        )
    sides[key] = (seen + 1, entry.side_seq)


@dataclass(frozen=True)
class Receipt:
    """A signed chain head taken away from the database (by the auditor, say).

    The head in ``audit_anchor`` lives beside the entries, so someone able to rewrite the
    database could cut the newest entries and put back an older signed head. A receipt
    kept elsewhere defeats that: the chain must still hold the receipt's entry, unchanged.
    """

    count: int
    head_hash: str
    signature: str  # hex

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "head_hash": self.head_hash, "signature": self.signature}


def current_receipt(session: Session) -> Receipt:
    anchor = session.get(AuditAnchor, ANCHOR_ID)
    if anchor is None:
        raise IntegrityFailure("the audit chain has no signed head")
    return Receipt(anchor.count, anchor.head_hash, anchor.signature.hex())


def check_receipt(session: Session, verify_key: Ed25519PublicKey, receipt: Receipt) -> list[str]:
    """Problems showing the chain no longer holds what the receipt saw (empty if none)."""
    try:
        verify_key.verify(
            bytes.fromhex(receipt.signature), head_message(receipt.count, receipt.head_hash)
        )
    except (InvalidSignature, ValueError):
        return [f"receipt for entry {receipt.count}: its signature is not the audit key's"]
    if receipt.count == 0:
        return []
    entry = session.get(AuditEntry, receipt.count)
    if entry is None:
        return [f"receipt for entry {receipt.count}: the entry is gone (the chain was cut)"]
    if entry.hash != receipt.head_hash:
        return [f"receipt for entry {receipt.count}: the entry differs from the one signed"]
    return []
