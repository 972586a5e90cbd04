"""Which download a found file came from, or a plain statement that it cannot be told.

First by the file's SHA-256: a copy sent whole is recorded by its ``document:served``
entry (exact). Else by the forensic mark's tokens, read from each channel of the file
(``gateway.pdf.found``): a token is believed only if its MAC checks under the key of the
matter its entry belongs to, so a made-up or altered token is reported as not genuine and
names nobody. Tokens of two different downloads in one file cannot be told apart and are
reported as such. The entry found is shown with its inclusion in the audit trail: its hash
recomputes from its fields, and the chain verifies up to the signed head.

The answer names audit entries, never a document's content: it is what an auditor, who
reads logs and not documents, may be told.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit import proofs
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.log import split_ref
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action
from gateway.documents.marking import mark_token_key
from gateway.errors import BadRequest, Forbidden, TooLarge
from gateway.matters.models import Matter
from gateway.matters.service import resolve_access
from gateway.pdf.found import FoundTokens, find_tokens
from gateway.pdf.marks import TOKEN, check_token
from gateway.runtime import Refused, Runtime

MAX_TRACE_BYTES = 64 << 20  # a found file, read into memory to be examined
# the entries a token may name: a download, or a page shown as a marked image
DOWNLOAD_TAGS = (Tag.DOCUMENT_DOWNLOAD, Tag.DOCUMENT_PAGE_VIEW)


class Verdict(StrEnum):
    EXACT = "exact"  # the file is, byte for byte, a copy the gateway sent
    MARKED = "marked"  # genuine tokens name one download
    CANNOT_TELL = "cannot_tell"  # no genuine token, nothing recorded matches
    NOT_GENUINE = "not_genuine"  # tokens found, none genuine: possibly forged
    CONFLICTING = "conflicting"  # genuine tokens of different downloads


@dataclass
class TraceReport:
    verdict: Verdict
    explanation: str
    sha256: str
    size: int
    entry: dict[str, Any] | None = None
    served: dict[str, Any] | None = None
    channels: list[str] = field(default_factory=list)  # the channels that name the entry
    inclusion: dict[str, Any] | None = None
    not_genuine: list[str] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)  # for a conflict
    download: AuditEntry | None = field(default=None, repr=False)  # the entry, for its proof

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "explanation": self.explanation,
            "sha256": self.sha256,
            "size": self.size,
            "entry": self.entry,
            "served": self.served,
            "channels": self.channels,
            "inclusion": self.inclusion,
            "not_genuine": self.not_genuine,
            "others": self.others,
        }


def trace_file(
    rt: Runtime, session: Session, data: bytes, *, matter_id: int | None = None
) -> TraceReport:
    """Trace ``data`` among the entries of ``matter_id`` (every matter when None: the
    operator)."""
    digest = hashlib.sha256(data).hexdigest()
    report = TraceReport(Verdict.CANNOT_TELL, "", digest, len(data))
    served = _served_by_sha(session, digest, matter_id)
    found = find_tokens(data)
    genuine, forged = _check_tokens(rt, session, found, matter_id)
    report.not_genuine = forged
    if served is not None:
        download = _in_log(session, served.log_id, json.loads(served.details).get("download"))
        report.verdict = Verdict.EXACT
        report.served = _served_view(served)
        others = set(genuine.values())
        report.channels = ["sha256", *_agreeing(found, genuine, download)]
        report.explanation = "the file is byte for byte the copy recorded as served"
        if download is not None and others - {download.seq}:
            report.explanation += "; it also carries tokens of other downloads"
        return _with_entry(rt, session, report, download)
    seqs = sorted(set(genuine.values()))
    if len(seqs) > 1:
        report.verdict = Verdict.CONFLICTING
        report.explanation = (
            "the file carries genuine marks of more than one download (pages of different "
            "copies put together?): it cannot be told which one it came from"
        )
        report.others = [_entry_view(session.get(AuditEntry, s)) for s in seqs]
        return report
    if len(seqs) == 1:
        download = session.get(AuditEntry, seqs[0])
        report.verdict = Verdict.MARKED
        report.channels = _agreeing(found, genuine, download)
        report.explanation = (
            f"the forensic mark names one download ({len(report.channels)} of "
            f"{len(found.channels)} channels agree); the file is not byte for byte the copy "
            "sent (a page extracted, or saved again)"
        )
        return _with_entry(rt, session, report, download)
    if forged:
        report.verdict = Verdict.NOT_GENUINE
        report.explanation = (
            "the file carries token-shaped marks, but none is genuine here (its check "
            "fails, or it names no download of this matter): possibly forged or altered; "
            "it names no one"
        )
        return report
    report.explanation = (
        "cannot tell: the file matches no copy recorded as served and carries no mark"
        + (f" ({found.unread})" if found.unread else "")
    )
    return report


def _served_by_sha(session: Session, digest: str, matter_id: int | None) -> AuditEntry | None:
    stmt = select(AuditEntry).where(
        AuditEntry.tag == str(Tag.DOCUMENT_SERVED),
        AuditEntry.outcome == str(Outcome.ALLOWED),
        # canonical JSON: the key and its value are written exactly so
        AuditEntry.details.contains(f'"sha256":"{digest}"'),
        # only a marked copy is its recipient's alone: an unmarked file is the same bytes
        # for everyone who downloaded it, and would name whoever came first
        AuditEntry.details.contains('"watermarked":true'),
    )
    if matter_id is not None:
        stmt = stmt.where(AuditEntry.matter_id == matter_id)
    return session.scalars(stmt.order_by(AuditEntry.seq).limit(1)).first()


def _check_tokens(
    rt: Runtime, session: Session, found: FoundTokens, matter_id: int | None
) -> tuple[dict[str, int], list[str]]:
    """Genuine tokens with the download each names, and the tokens that are not."""
    genuine: dict[str, int] = {}
    forged: list[str] = []
    keys: dict[int, bytes] = {}
    for token in found.tokens():
        seq = _genuine(rt, session, token, matter_id, keys)
        if seq is None:
            forged.append(token)
        else:
            genuine[token] = seq
    return genuine, forged


def _genuine(
    rt: Runtime, session: Session, token: str, matter_id: int | None, keys: dict[int, bytes]
) -> int | None:
    if TOKEN.fullmatch(token) is None:
        return None
    # the token does not say its matter (nor its entry plainly): each matter it may be of
    # is tried with its own key; only the auditor's matter when one is given
    if not keys:
        ids = [matter_id] if matter_id is not None else list(session.scalars(select(Matter.id)))
        for mid in ids:
            matter = session.get(Matter, mid)
            if matter is not None:
                keys[mid] = mark_token_key(rt, matter)
    for mid, key in keys.items():
        ref = check_token(key, mid, token)
        if ref is None:
            continue
        entry = _in_log(session, *split_ref(ref))
        if entry is None or entry.matter_id != mid or entry.tag not in DOWNLOAD_TAGS:
            return None
        return entry.seq
    return None


def _in_log(session: Session, log_id: int, index: Any) -> AuditEntry | None:
    """The entry at ``index`` of the log ``log_id`` (what a token, or a served entry's
    ``download``, names)."""
    if not isinstance(index, int):
        return None
    return session.scalar(
        select(AuditEntry).where(AuditEntry.log_id == log_id, AuditEntry.log_index == index)
    )


def _agreeing(
    found: FoundTokens, genuine: dict[str, int], download: AuditEntry | None
) -> list[str]:
    if download is None:
        return []
    return [
        channel
        for channel, tokens in found.channels.items()
        if any(genuine.get(t) == download.seq for t in tokens)
    ]


def _with_entry(
    rt: Runtime, session: Session, report: TraceReport, download: AuditEntry | None
) -> TraceReport:
    if download is None:
        report.verdict = Verdict.CANNOT_TELL
        report.explanation = "the served copy's download entry is missing from the trail"
        return report
    report.entry = _entry_view(download)
    report.download = download
    return report


def _prove(rt: Runtime, session: Session, report: TraceReport) -> None:
    """The download entry's inclusion in its log, against a checkpoint signed now (after
    the trace's own entry: the log of checkpoints is the last lock a writer takes)."""
    if report.download is None:
        return
    report.inclusion = proofs.inclusion(rt, session, report.download)
    if not report.inclusion["verified"]:
        report.explanation += "; BUT the entry is not in its log as signed: see inclusion"


def _entry_view(entry: AuditEntry | None) -> dict[str, Any]:
    if entry is None:
        return {}
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "tag": entry.tag,
        "outcome": entry.outcome,
        "actor_email": entry.actor_email,
        "bates": entry.bates,
        "matter_id": entry.matter_id,
        "hash": entry.hash,
    }


def _served_view(entry: AuditEntry) -> dict[str, Any]:
    return {**_entry_view(entry), "details": json.loads(entry.details)}


# --- the auditor's request ---------------------------------------------------------------


def read_found(chunks: Iterable[bytes], limit: int | None = None) -> bytes:
    """The found file, at most ``limit`` bytes (held in memory, never written to disk)."""
    limit = MAX_TRACE_BYTES if limit is None else limit
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise TooLarge(f"file: a file to trace may be at most {limit} bytes")
    return bytes(data)


def trace_for_auditor(
    rt: Runtime,
    user: User,
    matter_id: int,
    chunks: Iterable[bytes],
    *,
    address: str,
) -> dict[str, Any]:
    """The auditor's trace of a found file in one matter; refused, with the reason and
    an audit entry, for anyone else. The trace itself is audited."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        if not access.may(Action.AUDIT_TRACE):
            raise Refused(
                Forbidden("only the matter's neutral auditor may trace a file to a download"),
                access.event(Tag.AUDIT_TRACE, Outcome.DENIED, reason="audit:trace: no rule allows"),
            )
    try:
        data = read_found(chunks)
    except (TooLarge, BadRequest) as bad:
        with rt.db.session() as session:
            rt.audit(
                session, access.event(Tag.AUDIT_TRACE, Outcome.DENIED, reason=bad.message[:300])
            )
        raise
    with rt.db.session() as session:
        report = trace_file(rt, session, data, matter_id=matter_id)
        _audit_trace(rt, session, access.actor, matter_id, access.side_party_id, report)
        _prove(rt, session, report)
    return report.as_json()


def trace_for_operator(rt: Runtime, data: bytes) -> TraceReport:
    """``pogw trace``: every matter's entries, the keys on this machine; audited."""
    with rt.db.session() as session:
        report = trace_file(rt, session, data)
        matter_id = report.entry["matter_id"] if report.entry else None
        _audit_trace(rt, session, Actor.command_line(), matter_id, None, report)
        _prove(rt, session, report)
    return report


def _audit_trace(
    rt: Runtime,
    session: Session,
    actor: Actor,
    matter_id: int | None,
    side_party_id: int | None,
    report: TraceReport,
) -> None:
    rt.audit(
        session,
        AuditEvent(
            tag=Tag.AUDIT_TRACE,
            outcome=Outcome.ALLOWED,
            actor=actor,
            matter_id=matter_id,
            side_party_id=side_party_id,
            details={
                "verdict": str(report.verdict),
                "sha256": report.sha256,
                "size": report.size,
                "entry": report.entry["seq"] if report.entry else None,
                "channels": report.channels,
                "not_genuine": len(report.not_genuine),
            },
        ),
    )
