"""Reading the audit trail: the neutral auditor sees every side, a party's counsel its own.

Which documents a party's lawyers opened is that party's work product, so entries are
filtered by the side they belong to before anything else is considered. A party's view
then shows nothing derived from other sides' entries: the chain's ``seq`` is dense over
every side (its gaps would count and time the other side's activity), an entry's hash can
be matched offline against guessed fields, internal ids count rows the reader cannot see,
and the signed head counts the whole trail. So a party's entries carry instead ``n``, their
ordinal within the side (``side_seq``, given when the entry is written): entry ``n`` is the
side's n-th entry in this matter, oldest first, counting every entry of that side and no
other, so an entry keeps its number in every view, whatever the filters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select

from gateway.accounts.models import User
from gateway.audit import proofs
from gateway.audit.checkpoint import Checkpoint, NoteError, split_notes
from gateway.audit.log import VerifyReport, ledger_name, log_name
from gateway.audit.models import AuditEntry, LogHead
from gateway.audit.tags import Outcome, Tag
from gateway.db import MAX_ID
from gateway.documents.models import Document
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import BadRequest, Forbidden, GatewayError, NotFound
from gateway.matters.service import MatterAccess, resolve_access
from gateway.runtime import Refused, Runtime

READ_ALL = "audit:read_all"
READ_SIDE = "audit:read_side"
MAX_PER_PAGE = 500
CSV_BATCH = 2000
# the neutral auditor's columns: everything, including the chain's own fields
COLUMNS = (
    "seq",
    "at",
    "tag",
    "outcome",
    "reason",
    "rule",
    "actor_email",
    "side_party_id",
    "side_seq",
    "document_id",
    "bates",
    "address",
    "details",
    "hash",
)
# a party's columns: its own entries, numbered within its side, no chain fields, no ids
SIDE_COLUMNS = (
    "n",
    "at",
    "tag",
    "outcome",
    "reason",
    "rule",
    "actor_email",
    "bates",
    "address",
    "details",
)


@dataclass(frozen=True)
class AuditQuery:
    user: str = ""
    document: str = ""
    since: str = ""
    until: str = ""
    page: int = 1
    per_page: int = 50


def _when(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{name}: not an ISO 8601 date or time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _scope(access: MatterAccess) -> Select[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.matter_id == access.matter.id)
    if access.may(READ_ALL):
        return stmt
    return stmt.where(AuditEntry.side_party_id == access.side_party_id)


def _filtered(access: MatterAccess, query: AuditQuery) -> Select[AuditEntry]:
    stmt = _scope(access)
    if query.user:
        stmt = stmt.where(AuditEntry.actor_email == query.user.strip().lower())
    if query.document:
        stmt = stmt.where(AuditEntry.bates == query.document.strip())
    if query.since:
        stmt = stmt.where(AuditEntry.at >= _when(query.since, "since"))
    if query.until:
        stmt = stmt.where(AuditEntry.at <= _when(query.until, "until"))
    return stmt


def _authorize(
    rt: Runtime,
    session: Any,
    user: User,
    matter_id: int,
    address: str,
    *,
    tag: Tag = Tag.AUDIT_READ,
) -> MatterAccess:
    access = resolve_access(rt, session, user, matter_id, address=address)
    allowed = access.may(READ_ALL) or (access.may(READ_SIDE) and access.side_party_id is not None)
    if not allowed:
        raise Refused(
            Forbidden(
                "only the neutral auditor, and a party's counsel for its own side, may "
                "read this matter's audit trail"
            ),
            access.event(tag, Outcome.DENIED, reason="no audit permission"),
        )
    return access


def authorize_auditor(
    rt: Runtime,
    session: Any,
    user: User,
    matter_id: int,
    address: str,
    *,
    tag: Tag = Tag.AUDIT_READ,
    what: str = "the auditor's tools",
) -> MatterAccess:
    """The neutral auditor only: figures over every side would tell a party's counsel
    what the other side reviewed, so its own-side reading stops here."""
    access = _authorize(rt, session, user, matter_id, address, tag=tag)
    if not access.may(READ_ALL):
        raise Refused(
            Forbidden(f"only the neutral auditor of this matter may use {what}"),
            access.event(
                tag, Outcome.DENIED, reason="not the neutral auditor", details={"wanted": what}
            ),
        )
    return access


def as_dict(entry: AuditEntry, *, hidden: bool = False) -> dict[str, Any]:
    """An entry as the neutral auditor sees it: every field, the chain's own included."""
    item = {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "tag": entry.tag,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "rule": entry.rule,
        "user": entry.actor_email,
        "side_party_id": entry.side_party_id,
        "side_seq": entry.side_seq,  # the number that side knows the entry by
        "document": entry.bates,
        "address": entry.address,
        "details": json.loads(entry.details),
        "hash": entry.hash,
    }
    if hidden:
        # the reader's own side asked for a document the reader may not see: show the
        # refusal exactly as if the document did not exist (the neutral auditor sees all)
        item.update(reason="no such document", rule="", details={})
    return item


def side_dict(entry: AuditEntry, *, hidden: bool = False) -> dict[str, Any]:
    """An entry as its own side sees it: numbered within the side, nothing of the chain.

    Built from a list of what may be shown, so a field added to the auditor's view never
    reaches a party's view by default.
    """
    item = as_dict(entry, hidden=hidden)
    return {"n": entry.side_seq, **{name: item[name] for name in _SIDE_FIELDS}}


_SIDE_FIELDS = ("at", "tag", "outcome", "reason", "rule", "user", "document", "address", "details")


def _item(access: MatterAccess, entry: AuditEntry, hidden: bool) -> dict[str, Any]:
    if access.may(READ_ALL):
        return as_dict(entry, hidden=hidden)
    return side_dict(entry, hidden=hidden)


def _hidden_documents(session: Any, access: MatterAccess, entries: list[AuditEntry]) -> set[int]:
    """Documents named in these entries that the reader may not list (side scope only)."""
    if access.may(READ_ALL):
        return set()
    ids = {e.document_id for e in entries if e.document_id is not None}
    if not ids:
        return set()
    listable = set(
        session.scalars(
            select(Document.id).where(Document.id.in_(ids), visible_clause(access, LIST))
        )
    )
    return ids - listable


def _cells(access: MatterAccess, entry: AuditEntry, hidden: bool) -> dict[str, Any]:
    """The reader's columns of one entry, in order (``COLUMNS`` or ``SIDE_COLUMNS``)."""
    item = as_dict(entry, hidden=hidden)
    cells = {
        "n": entry.side_seq,
        "seq": entry.seq,
        "at": item["at"],
        "tag": entry.tag,
        "outcome": entry.outcome,
        "reason": item["reason"],
        "rule": item["rule"],
        "actor_email": entry.actor_email,
        "side_party_id": entry.side_party_id,
        "side_seq": entry.side_seq,
        "document_id": None if hidden else entry.document_id,
        "bates": entry.bates,
        "address": entry.address,
        "details": item["details"],
        "hash": entry.hash,
    }
    columns = COLUMNS if access.may(READ_ALL) else SIDE_COLUMNS
    return {name: cells[name] for name in columns}


def _csv_row(access: MatterAccess, entry: AuditEntry, hidden: bool) -> list[Any]:
    cells = _cells(access, entry, hidden)
    cells["details"] = json.dumps(cells["details"], sort_keys=True)
    return [_spreadsheet_safe("" if value is None else value) for value in cells.values()]


def _jsonl_row(access: MatterAccess, entry: AuditEntry, hidden: bool) -> str:
    return json.dumps(_cells(access, entry, hidden), sort_keys=False) + "\n"


def _spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula is prefixed so that it stays text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def read_audit(
    rt: Runtime, user: User, matter_id: int, query: AuditQuery, *, address: str
) -> tuple[list[dict[str, Any]], int, str, list[str]]:
    """Newest first: (entries, total, scope 'all' or 'side', signed checkpoints).

    The checkpoints are signed as the read is recorded: the neutral auditor gets one per
    log of the matter (its log of checkpoints last), a party's counsel the one of its own
    side's log, whose size counts that side's entries only.
    """
    if query.page < 1 or not 1 <= query.per_page <= MAX_PER_PAGE:
        raise BadRequest(f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}")
    with rt.transaction() as session:
        access = _authorize(rt, session, user, matter_id, address)
        stmt = _filtered(access, query)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(
            stmt.order_by(AuditEntry.seq.desc())
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page)
        ).all()
        hidden = _hidden_documents(session, access, list(rows))
        items = [_item(access, e, e.document_id in hidden) for e in rows]
        scope = "all" if access.may(READ_ALL) else "side"
        rt.audit(
            session,
            access.event(Tag.AUDIT_READ, Outcome.ALLOWED, details={"scope": scope, "total": total}),
        )
        # after the read's own entry: the log of checkpoints is the last lock taken
        return items, total, scope, _checkpoints(rt, session, access)


def _checkpoints(rt: Runtime, session: Any, access: MatterAccess) -> list[str]:
    """Signed checkpoints the reader keeps, to check later that the logs only grew."""
    matter_id = access.matter.id
    if access.may(READ_ALL):
        names = {ledger_name(matter_id)} | set(
            session.scalars(select(LogHead.name).where(LogHead.matter_id == matter_id))
        )
    else:
        names = {log_name(matter_id, access.side_party_id)}
    return list(rt.audit_log.checkpoint_all(session, sorted(names), rt.now()).values())


EXPORT_FORMATS = ("csv", "jsonl")


def export_csv(
    rt: Runtime, user: User, matter_id: int, query: AuditQuery, *, address: str
) -> Iterator[str]:
    """Authorize and audit now; then stream rows in short transactions, newest first."""
    return export_rows(rt, user, matter_id, query, address=address, fmt="csv")


def export_rows(
    rt: Runtime, user: User, matter_id: int, query: AuditQuery, *, address: str, fmt: str
) -> Iterator[str]:
    """CSV (a header, then a row per entry) or JSON Lines (an object per entry, with the
    same columns as the CSV): authorized and audited now, then streamed in batches."""
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"format: one of {', '.join(EXPORT_FORMATS)}")
    with rt.transaction() as session:
        access = _authorize(rt, session, user, matter_id, address, tag=Tag.AUDIT_EXPORT)
        details = {k: v for k, v in query.__dict__.items() if v and k not in {"page", "per_page"}}
        if fmt != "csv":
            details["format"] = fmt
        rt.audit(
            session,
            access.event(Tag.AUDIT_EXPORT, Outcome.ALLOWED, details=details),
        )
    stmt = _filtered(access, query)

    def batches() -> Iterator[list[tuple[AuditEntry, bool]]]:
        below: int | None = None
        while True:
            with rt.db.session() as session:
                batch_stmt = stmt if below is None else stmt.where(AuditEntry.seq < below)
                batch = session.scalars(
                    batch_stmt.order_by(AuditEntry.seq.desc()).limit(CSV_BATCH)
                ).all()
                hidden = _hidden_documents(session, access, list(batch))
            yield [(e, e.document_id in hidden) for e in batch]
            if len(batch) < CSV_BATCH:
                return
            below = batch[-1].seq

    def csv_rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS if access.may(READ_ALL) else SIDE_COLUMNS)
        for batch in batches():
            for entry, hidden in batch:
                writer.writerow(_csv_row(access, entry, hidden))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    def jsonl_rows() -> Iterator[str]:
        for batch in batches():
            yield "".join(_jsonl_row(access, entry, hidden) for entry, hidden in batch)

    return csv_rows() if fmt == "csv" else jsonl_rows()


def checkpoint_logs(rt: Runtime, matter_id: int | None) -> list[str]:
    """The operator's receipts: fresh checkpoints of every log (or of one matter's)."""
    with rt.db.session() as session:
        stmt = select(LogHead.name)
        if matter_id is not None:
            stmt = stmt.where(LogHead.matter_id == matter_id)
        names = list(session.scalars(stmt))
        return list(rt.audit_log.checkpoint_all(session, names, rt.now(), fresh=True).values())


def verify_live(rt: Runtime, receipts: list[str]) -> VerifyReport:
    """Every log of the instance, and the checkpoints in ``receipts`` (texts of signed
    notes kept elsewhere): each must be signed by this gateway's key and be a checkpoint of
    the log as it stands now, or of an earlier state the log grew from."""
    kept = []
    verifier = rt.audit_log.signer.verifier
    witnessed = rt.settings.get("AUDIT_WITNESS_DIR")
    if witnessed:
        # what the witness folder kept counts as receipts: a checkpoint deleted from the
        # database, or a log rewritten under it, is still there
        receipts = [*receipts, *(p.read_text() for p in Path(witnessed).glob("*/*.note"))]
    for text in receipts:
        for note in split_notes(text):
            try:
                kept.append(Checkpoint.open(note, verifier))
            except NoteError as exc:
                raise ValueError(
                    f"a receipt is not a checkpoint signed by this gateway: {exc}"
                ) from exc
    with rt.db.read_session() as session:
        return rt.audit_log.verify(session, receipts=kept)


def entry_proof(
    rt: Runtime, user: User, matter_id: int, number: int, *, address: str
) -> dict[str, Any]:
    """The inclusion proof of one entry the reader may read: for the neutral auditor
    ``number`` is the entry's ``seq``, for a party's counsel its ``n`` in the side's log.

    An entry of the reader's side that names a document the reader may no longer see is
    refused as if it did not exist: its proof would have to show the entry whole.
    """
    with rt.transaction() as session:
        access = _authorize(rt, session, user, matter_id, address, tag=Tag.AUDIT_PROOF)
        entry = _readable_entry(session, access, number) if 1 <= number <= MAX_ID else None
        if entry is None or _hidden_documents(session, access, [entry]):
            raise Refused(
                NotFound(f"no audit entry {number} in this matter's trail for you"),
                access.event(
                    Tag.AUDIT_PROOF,
                    Outcome.DENIED,
                    reason="no such entry" if entry is None else "names a hidden document",
                    details={"number": number},
                ),
            )
        rt.audit(
            session,
            access.event(
                Tag.AUDIT_PROOF, Outcome.ALLOWED, details={"kind": "inclusion", "number": number}
            ),
        )
        return proofs.inclusion(rt, session, entry)


def _readable_entry(session: Any, access: MatterAccess, number: int) -> AuditEntry | None:
    if access.may(READ_ALL):
        entry = session.get(AuditEntry, number)
        return entry if entry is not None and entry.matter_id == access.matter.id else None
    name = log_name(access.matter.id, access.side_party_id)
    return session.scalar(
        select(AuditEntry)
        .join(LogHead, LogHead.id == AuditEntry.log_id)
        .where(LogHead.name == name, AuditEntry.log_index == number - 1)
    )


def log_consistency(
    rt: Runtime, user: User, matter_id: int, log: str, old_size: str, *, address: str
) -> dict[str, Any]:
    """That a log of the matter only grew since a checkpoint of ``old_size`` entries the
    reader kept: any of the matter's logs for the neutral auditor, its own side's for a
    party's counsel. Every refusal, a malformed size included, is audited."""
    with rt.transaction() as session:
        access = _authorize(rt, session, user, matter_id, address, tag=Tag.AUDIT_PROOF)
        own = log_name(matter_id, access.side_party_id)
        name = log or own

        def refuse(error: GatewayError, reason: str) -> Refused:
            return Refused(
                error,
                access.event(
                    Tag.AUDIT_PROOF,
                    Outcome.DENIED,
                    reason=reason[:300],
                    details={"kind": "consistency", "old_size": old_size[:20]},
                ),
            )

        if access.may(READ_ALL):
            allowed = name.startswith(f"matter/{matter_id}/")
        else:
            allowed = name == own
        if not allowed:
            raise refuse(
                NotFound(f"log: no audit log {name!r} of this matter for you"),
                "not a log the reader may read",
            )
        if not old_size.isdigit() or len(old_size) > 12:
            bad = BadRequest(f"old_size: the size of a checkpoint you kept, not {old_size[:20]!r}")
            raise refuse(bad, bad.message)
        rt.audit(
            session,
            access.event(
                Tag.AUDIT_PROOF,
                Outcome.ALLOWED,
                details={"kind": "consistency", "log": name, "old_size": int(old_size)},
            ),
        )
        try:
            return proofs.consistency(rt, session, name, int(old_size))
        except BadRequest as bad:
            raise refuse(bad, bad.message) from None
