"""The audit log's interface, and which log an entry belongs to.

Every matter has one log per party's side, one for the court and the neutrals (and the
operator's own work in the matter), and a log of the checkpoints of those logs; the
instance has one log for what happens outside any matter (sign-ins) and a log of its
checkpoints. A party's log, its size, its checkpoints and its proofs therefore say nothing
about any other side's activity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.models import AuditEntry

GLOBAL = "global"
GLOBAL_LEDGER = "checkpoints"


def log_name(matter_id: int | None, side_party_id: int | None) -> str:
    if matter_id is None:
        return GLOBAL
    if side_party_id is None:
        return f"matter/{matter_id}/court"
    return f"matter/{matter_id}/party/{side_party_id}"


def ledger_name(matter_id: int | None) -> str:
    """The log that the checkpoints of a matter's logs (or the instance's) are appended to."""
    return GLOBAL_LEDGER if matter_id is None else f"matter/{matter_id}/checkpoints"


def is_ledger(name: str) -> bool:
    return name == GLOBAL_LEDGER or name.endswith("/checkpoints")


def file_slug(name: str) -> str:
    """A log's name as a file name (``matter/3/party/7`` -> ``matter-3-party-7``)."""
    return name.replace("/", "-")


@dataclass(frozen=True)
class Head:
    name: str
    size: int
    root: bytes


@dataclass
class VerifyReport:
    checked: int = 0
    logs: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    signer: str = ""  # the verifier key the checkpoints were checked with

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog(Protocol):
    """What the rest of the gateway may ask of the audit log. One contract suite
    (tests/functional/test_audit_log_contract.py) holds every implementation to it."""

    def append(
        self, session: Session, entries: Sequence[AuditEntry], now: datetime
    ) -> list[AuditEntry]:
        """Place ``entries`` in their logs, in order, inside the caller's transaction."""
        ...

    def head(self, session: Session, name: str) -> Head: ...

    def checkpoint(self, session: Session, name: str, now: datetime) -> str:
        """A signed checkpoint of the log as it stands (a new one if it grew)."""
        ...

    def inclusion_proof(
        self, session: Session, name: str, index: int, size: int
    ) -> list[bytes]: ...

    def consistency_proof(self, session: Session, name: str, old: int, new: int) -> list[bytes]: ...

    def verify(
        self, session: Session, *, receipts: Sequence[Checkpoint] = (), limit: int = 50
    ) -> VerifyReport:
        """Recompute every log; check its head, its checkpoints and ``receipts``."""
        ...


def entry_ref(entry: AuditEntry) -> int:
    """What a watermark's token names: the entry's log and its index there, in one number.

    Not the entry's ``seq``: that numbers every side's entries together, so two tokens, or
    a ``seq`` in a party's own entries, would tell that party how much the others did.
    """
    return (entry.log_id << 32) | entry.log_index


def split_ref(ref: int) -> tuple[int, int]:
    """(log id, index in the log) of an ``entry_ref``."""
    return ref >> 32, ref & 0xFFFFFFFF
