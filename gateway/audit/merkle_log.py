"""``MerkleLog``: the audit logs as RFC 9162 Merkle trees in the relational store.

Appending locks the log's head row (``audit_logs``; on SQLite the single writer's lock),
numbers the entries from the log's size, hashes each one's canonical encoding into a leaf,
and adds the leaf to the frontier stored in the head: an append reads nothing of the log
but its head, whatever its size. The hashes of the complete subtrees it completes are kept
(``audit_nodes``), so a proof reads O(log n) of them.

Checkpoints are issued just before the transaction commits (after every log lock it takes,
so that the log of checkpoints is always the last lock taken), when a log has grown by
``every`` entries since its last one or its last one is ``seconds`` old, and on demand.
Each is appended to its matter's log of checkpoints; after the commit it is handed to the
witnesses. Nothing here deletes or rewrites an entry.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Table, event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint, NoteError, Signer
from gateway.audit.log import (
    Head,
    VerifyReport,
    is_ledger,
    ledger_name,
    log_name,
)
from gateway.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    complete_subtrees,
    consistency_path,
    hash_range,
    inclusion_path,
)
from gateway.audit.models import (
    SEQ_SEQUENCE,
    AuditCheckpoint,
    AuditEntry,
    AuditNode,
    LogHead,
    node_key,
)
from gateway.errors import BadRequest, IntegrityFailure

PENDING = "pogw.audit.pending"  # session.info: the logs appended to in this transaction
TO_WITNESS = "pogw.audit.to_witness"  # session.info: notes to hand on after the commit
NODE_BATCH = 500


@dataclass(frozen=True)
class _Pending:
    log: MerkleLog
    now: datetime
    heads: dict[str, LogHead]


class MerkleLog:
    def __init__(
        self,
        signer: Signer,
        *,
        every: int = 256,
        seconds: float = 60.0,
        witness: Callable[[str, int, str], None] | None = None,
    ) -> None:
        if every < 1:
            raise ValueError("AUDIT_CHECKPOINT_EVERY must be at least 1")
        self.signer = signer
        self.every = every
        self.period = timedelta(seconds=seconds)
        self.witness = witness

    def origin(self, name: str) -> str:
        return f"{self.signer.name}/{name}"

    # -- appending ---------------------------------------------------------------------

    def append(
        self, session: Session, entries: Sequence[AuditEntry], now: datetime
    ) -> list[AuditEntry]:
        entries = list(entries)
        if not entries:
            return entries
        by_log: dict[str, list[AuditEntry]] = defaultdict(list)
        for entry in entries:
            by_log[log_name(entry.matter_id, entry.side_party_id)].append(entry)
        with session.no_autoflush:
            seqs = iter(_allocate_seqs(session, len(entries)))
            for entry in entries:
                entry.seq = next(seqs)
            pending = self._pending(session, now)
            # one order of locks for every writer, so two of them never wait on each other
            heads = self._lock_all(
                session,
                {n: (es[0].matter_id, es[0].side_party_id) for n, es in by_log.items()},
            )
            nodes: list[dict[str, Any]] = []
            for name in sorted(by_log):
                nodes.extend(self._add(heads[name], by_log[name]))
                pending.heads[name] = heads[name]
        # the rows at once, without the unit of work: an append is the hot path
        session.execute(insert(ENTRIES), [_entry_row(entry) for entry in entries])
        for start in range(0, len(nodes), NODE_BATCH):
            session.execute(insert(AuditNode), nodes[start : start + NODE_BATCH])
        session.flush()
        return entries

    def _lock_all(
        self, session: Session, logs: dict[str, tuple[int | None, int | None]]
    ) -> dict[str, LogHead]:
        """The heads of ``logs`` (name -> matter and side), locked in the order of their
        names; a log with no head yet gets one first."""
        heads = _locked(session, logs)
        missing = sorted(set(logs) - set(heads))
        if missing:
            postgres = session.get_bind().dialect.name == "postgresql"
            dialect_insert = pg_insert if postgres else sqlite_insert
            session.execute(
                dialect_insert(LogHead)
                .values(
                    [
                        {
                            "name": name,
                            "matter_id": logs[name][0],
                            "side_party_id": logs[name][1],
                            "size": 0,
                            "frontier": "[]",
                            "root": EMPTY_ROOT.hex(),
                            "checkpointed_size": 0,
                        }
                        for name in missing
                    ]
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )
            heads = _locked(session, logs)
        return heads

    def _pending(self, session: Session, now: datetime) -> _Pending:
        pending = session.info.get(PENDING)
        if pending is None:
            pending = session.info[PENDING] = _Pending(self, now, {})
        return pending

    def _lock(
        self, session: Session, name: str, matter_id: int | None, side_party_id: int | None
    ) -> LogHead:
        return self._lock_all(session, {name: (matter_id, side_party_id)})[name]

    def _add(self, head: LogHead, entries: list[AuditEntry]) -> list[dict[str, Any]]:
        """Number and hash ``entries`` at the end of the log; the nodes they complete."""
        frontier = _frontier(head)
        party_log = head.side_party_id is not None and not is_ledger(head.name)
        nodes: list[dict[str, Any]] = []
        for entry in entries:
            entry.log_id = head.id
            entry.log_index = frontier.size
            entry.side_seq = frontier.size + 1 if party_log else None
            leaf = encoding.leaf(encoding.body(entry, head.name))
            entry.hash = leaf.hex()
            nodes.extend(_rows(head.id, frontier.append(leaf)))
        _set_head(head, frontier)
        return nodes

    # -- checkpoints -------------------------------------------------------------------

    def checkpoint(
        self, session: Session, name: str, now: datetime, *, covering: int | None = None
    ) -> str:
        """A signed checkpoint of the log. With ``covering`` (a size), one of at least that
        many entries, signed now if need be (a proof of an entry, an export). Without it,
        the newest one if it is younger than the checkpoint period, so that readers asking
        again and again do not each make one; else one of the log as it stands."""
        head = _locked(session, [name]).get(name)
        if head is None:
            raise BadRequest(f"no audit log is named {name!r}")
        if head.size == 0:
            return Checkpoint(self.origin(name), 0, EMPTY_ROOT).sign(self.signer)
        if covering is None:
            recent = head.checkpointed_at is not None and now - head.checkpointed_at < self.period
            reuse = head.checkpointed_size > 0 and recent
        else:
            reuse = head.checkpointed_size >= covering
        if not reuse and head.checkpointed_size < head.size:
            self._issue(session, head, now)
        note = session.scalar(
            select(AuditCheckpoint.note).where(
                AuditCheckpoint.log_id == head.id, AuditCheckpoint.size == head.checkpointed_size
            )
        )
        if note is None:
            raise IntegrityFailure(f"the audit log {name} lost its newest checkpoint")
        return note

    def checkpoint_all(
        self, session: Session, names: Sequence[str], now: datetime, *, fresh: bool = False
    ) -> dict[str, str]:
        """Checkpoints of ``names`` (each signed now when ``fresh``): every log's head is
        locked first, in the order of the names, and the ledgers last, so this takes its
        locks in the order every append does."""
        ordered = sorted(set(names), key=lambda n: (is_ledger(n), n))
        logs = [n for n in ordered if not is_ledger(n)]
        if logs:
            _locked(session, logs)
        notes = {}
        for name in ordered:
            size = self.head(session, name).size if fresh else None
            notes[name] = self.checkpoint(session, name, now, covering=size)
        return notes

    def _due(self, head: LogHead, now: datetime) -> bool:
        grown = head.size - head.checkpointed_size
        if grown <= 0:
            return False
        if grown >= self.every or head.checkpointed_at is None:
            return True
        return now - head.checkpointed_at >= self.period

    def _issue(self, session: Session, head: LogHead, now: datetime) -> None:
        root = bytes.fromhex(head.root)
        note = Checkpoint(self.origin(head.name), head.size, root).sign(self.signer)
        row = AuditCheckpoint(log_id=head.id, size=head.size, root=head.root, note=note, at=now)
        if not is_ledger(head.name):
            ledger = self._lock(session, ledger_name(head.matter_id), head.matter_id, None)
            frontier = _frontier(ledger)
            row.ledger_id, row.ledger_index = ledger.id, frontier.size
            nodes = list(_rows(ledger.id, frontier.append(encoding.note_leaf(note))))
            _store(session, ledger, frontier, nodes)
            session.info.setdefault(PENDING, _Pending(self, now, {})).heads[ledger.name] = ledger
        session.add(row)
        head.checkpointed_size = head.size
        head.checkpointed_at = now
        session.flush()
        if self.witness is not None:
            handed = (self.witness, head.name, head.size, note)
            session.info.setdefault(TO_WITNESS, []).append(handed)

    def issue_due(self, session: Session) -> None:
        """Before the commit: checkpoints of the logs this transaction appended to, then
        of their ledgers, where due."""
        pending: _Pending | None = session.info.get(PENDING)
        if pending is None:
            return
        logs = [h for n, h in pending.heads.items() if not is_ledger(n)]
        for head in sorted(logs, key=lambda h: h.name):
            if self._due(head, pending.now):
                self._issue(session, head, pending.now)
        # the ledgers last: issuing a log's checkpoint appended to its ledger
        ledgers = {n: h for n, h in pending.heads.items() if is_ledger(n)}
        for name in sorted(ledgers):
            if self._due(ledgers[name], pending.now):
                self._issue(session, ledgers[name], pending.now)
        session.info.pop(PENDING, None)

    # -- reading and proving -----------------------------------------------------------

    def head(self, session: Session, name: str) -> Head:
        row = session.scalar(select(LogHead).where(LogHead.name == name))
        if row is None:
            return Head(name, 0, EMPTY_ROOT)
        return Head(name, row.size, bytes.fromhex(row.root))

    def _prove(
        self,
        session: Session,
        log_id: int,
        path: Callable[[Callable[[int, int], bytes]], list[bytes]],
    ) -> list[bytes]:
        """Run the proof ``path`` twice: once to learn which ranges it needs, then over the
        complete subtrees of those ranges, read in one query (a proof costs one round trip
        whatever the log's size)."""
        ranges: list[tuple[int, int]] = []

        def wanted(start: int, size: int) -> bytes:
            ranges.append((start, size))
            return b""

        path(wanted)
        needed = sorted({node for r in ranges for node in complete_subtrees(*r)})
        known: dict[tuple[int, int], bytes] = {}
        for part in range(0, len(needed), NODE_BATCH):
            keys = {
                node_key(level, idx): (level, idx)
                for level, idx in needed[part : part + NODE_BATCH]
            }
            rows = session.execute(
                select(AuditNode.key, AuditNode.hash).where(
                    AuditNode.log_id == log_id, AuditNode.key.in_(keys)
                )
            )
            known.update((keys[key], bytes(h)) for key, h in rows)
        if len(known) != len(needed):
            raise IntegrityFailure(f"audit log {log_id}: stored subtrees are missing")
        return path(lambda start, size: hash_range(start, size, known))

    def _log_id(self, session: Session, name: str, size: int) -> int:
        row = session.scalar(select(LogHead).where(LogHead.name == name))
        if row is None or size > row.size:
            raise BadRequest(f"audit log {name!r} has no {size} entries")
        return row.id

    def inclusion_proof(self, session: Session, name: str, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise BadRequest(f"entry {index} is not among the first {size} of {name}")
        log_id = self._log_id(session, name, size)
        return self._prove(session, log_id, lambda read: inclusion_path(index, size, read))

    def consistency_proof(self, session: Session, name: str, old: int, new: int) -> list[bytes]:
        if not 0 <= old <= new:
            raise BadRequest(f"no consistency proof from {old} entries to {new}")
        log_id = self._log_id(session, name, new)
        return self._prove(session, log_id, lambda read: consistency_path(old, new, read))

    # -- verifying ---------------------------------------------------------------------

    def verify(
        self, session: Session, *, receipts: Sequence[Checkpoint] = (), limit: int = 50
    ) -> VerifyReport:
        """Every log recomputed from its entries against its head and every checkpoint
        signed of it; ``receipts`` are checkpoints kept elsewhere, checked the same way."""
        report = VerifyReport()
        heads = session.scalars(select(LogHead).order_by(LogHead.name)).all()
        kept: dict[str, list[Checkpoint]] = defaultdict(list)
        for receipt in receipts:
            kept[receipt.origin].append(receipt)
        for origin in sorted(set(kept) - {self.origin(h.name) for h in heads}):
            report.problems.append(f"a receipt names {origin}, which this gateway has no log of")
        for head in heads:
            if len(report.problems) >= limit:
                break
            report.logs += 1
            _verify_log(self, session, head, report, limit, kept.get(self.origin(head.name), []))
        unlogged = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.log_id.not_in(select(LogHead.id)))
        )
        if unlogged:
            report.problems.append(f"{unlogged} entries belong to no log")
        # a log of checkpoints holds checkpoints only: an entry filed under one would be
        # read by every view and checked by nothing
        for head in heads:
            if is_ledger(head.name):
                filed = session.scalar(
                    select(func.count()).select_from(AuditEntry).where(AuditEntry.log_id == head.id)
                )
                if filed:
                    report.problems.append(
                        f"{head.name}: {filed} entries are filed under a log of checkpoints"
                    )
        return report


def _locked(session: Session, names: Iterable[str]) -> dict[str, LogHead]:
    """The heads of the logs named, locked in the order of their names, as stored now."""
    stmt = (
        select(LogHead)
        .where(LogHead.name.in_(sorted(names)))
        .order_by(LogHead.name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {head.name: head for head in session.scalars(stmt)}


def _allocate_seqs(session: Session, count: int) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        numbers = select(sa.Sequence(SEQ_SEQUENCE).next_value()).select_from(
            func.generate_series(1, count)
        )
        return sorted(session.scalars(numbers))
    # SQLite: the transaction holds the only write lock, so the next numbers are free
    last = session.scalar(select(func.max(AuditEntry.seq))) or 0
    return list(range(last + 1, last + 1 + count))


def _frontier(head: LogHead) -> Frontier:
    """The head's frontier; a damaged head stops the append (nothing unrecorded is done)."""
    try:
        return Frontier(head.size, [bytes.fromhex(h) for h in json.loads(head.frontier)])
    except (ValueError, TypeError) as exc:
        raise IntegrityFailure(
            f"the audit log {head.name} has a damaged head: run `pogw audit verify`"
        ) from exc


def _rows(log_id: int, nodes: Sequence[Any]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield {"log_id": log_id, "key": node_key(node.level, node.index), "hash": node.hash}


ENTRIES = cast(Table, AuditEntry.__table__)
_ENTRY_COLUMNS = tuple(c.key for c in ENTRIES.columns)


def _entry_row(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _ENTRY_COLUMNS}


def _set_head(head: LogHead, frontier: Frontier) -> None:
    head.size = frontier.size
    head.frontier = json.dumps([h.hex() for h in frontier.hashes])
    head.root = frontier.root().hex()


def _store(
    session: Session, head: LogHead, frontier: Frontier, nodes: list[dict[str, Any]]
) -> None:
    for start in range(0, len(nodes), NODE_BATCH):
        session.execute(insert(AuditNode), nodes[start : start + NODE_BATCH])
    _set_head(head, frontier)


def _verify_log(
    log: MerkleLog,
    session: Session,
    head: LogHead,
    report: VerifyReport,
    limit: int,
    receipts: Sequence[Checkpoint] = (),
) -> None:
    checkpoints = session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.log_id == head.id)
        .order_by(AuditCheckpoint.size)
    ).all()
    if head.checkpointed_size and head.checkpointed_size not in {c.size for c in checkpoints}:
        report.problems.append(
            f"{head.name}: its head was signed at {head.checkpointed_size} entries, and that "
            "checkpoint is gone"
        )
    if not is_ledger(head.name):
        for cp in checkpoints:
            if cp.ledger_id is None or cp.ledger_index is None:
                report.problems.append(
                    f"{head.name}: the checkpoint of size {cp.size} is in no log of checkpoints"
                )
    verifier = log.signer.verifier
    signed: dict[int, bytes] = {}
    for cp in checkpoints:
        report.checkpoints += 1
        try:
            opened = Checkpoint.open(cp.note, verifier)
        except NoteError as exc:
            report.problems.append(f"{head.name}: checkpoint of size {cp.size}: {exc}")
            continue
        if opened.origin != log.origin(head.name) or opened.size != cp.size:
            report.problems.append(f"{head.name}: checkpoint of size {cp.size} is another log's")
            continue
        signed[cp.size] = opened.root
    for receipt in receipts:
        known = signed.get(receipt.size)
        if known is not None and known != receipt.root:
            report.problems.append(
                f"{head.name}: a receipt of size {receipt.size} and the stored checkpoint of "
                "that size have different roots: the log was forked or rewritten"
            )
        signed.setdefault(receipt.size, receipt.root)
    frontier = Frontier()
    leaves: Generator[tuple[int, bytes, str], None, None]
    if is_ledger(head.name):
        leaves = (
            (i or 0, encoding.note_leaf(note), "")
            for i, note in session.execute(
                select(AuditCheckpoint.ledger_index, AuditCheckpoint.note)
                .where(AuditCheckpoint.ledger_id == head.id)
                .order_by(AuditCheckpoint.ledger_index)
            )
        )
    else:
        leaves = _entry_leaves(session, head)
    try:
        for index, leaf, problem in leaves:
            if len(report.problems) >= limit:
                return
            if index != frontier.size:
                report.problems.append(
                    f"{head.name}: entry {frontier.size} is missing or out of order "
                    f"(found {index} next)"
                )
                return
            if problem:
                report.problems.append(f"{head.name}: entry {index}: {problem}")
            frontier.append(leaf)
            report.checked += 1
            root = signed.get(frontier.size)
            if root is not None and root != frontier.root():
                report.problems.append(
                    f"{head.name}: the first {frontier.size} entries do not give the root "
                    f"of the checkpoint signed at that size"
                )
    finally:
        leaves.close()  # a log abandoned at its first gap closes its cursor
    if frontier.size != head.size:
        report.problems.append(
            f"{head.name}: the head counts {head.size} entries, the log holds {frontier.size}"
        )
    elif frontier.root().hex() != head.root:
        report.problems.append(f"{head.name}: the entries do not give the head's root")
    for size in signed:
        if size > frontier.size:
            report.problems.append(
                f"{head.name}: a checkpoint signed {size} entries, the log holds "
                f"{frontier.size} (it was cut)"
            )


def _entry_leaves(session: Session, head: LogHead) -> Generator[tuple[int, bytes, str], None, None]:
    """Each entry's index, recomputed leaf, and what is wrong with it ("" if nothing)."""
    party_log = head.side_party_id is not None
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.log_id == head.id)
        .order_by(AuditEntry.log_index)
        .execution_options(yield_per=1000)
    )
    result = session.scalars(stmt)
    try:
        yield from _checked(result, head, party_log)
    finally:
        result.close()


def _checked(
    entries: Iterable[AuditEntry], head: LogHead, party_log: bool
) -> Iterator[tuple[int, bytes, str]]:
    for entry in entries:
        leaf = encoding.leaf(encoding.body(entry, head.name))
        problem = ""
        if (entry.matter_id, entry.side_party_id) != (head.matter_id, head.side_party_id):
            problem = "it belongs to another log (its matter or side was changed)"
        elif party_log and entry.side_seq != entry.log_index + 1:
            problem = f"numbered {entry.side_seq} within its side, expected {entry.log_index + 1}"
        elif entry.hash != leaf.hex():
            problem = "contents do not match its hash"
        yield entry.log_index, leaf, problem


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    pending: _Pending | None = session.info.get(PENDING)
    if pending is not None:
        pending.log.issue_due(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    notes = session.info.pop(TO_WITNESS, None)
    for witness, name, size, note in notes or ():
        witness(name, size, note)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(TO_WITNESS, None)
