"""A download whose stored file fails its integrity check: recorded, reported, cut.

Such a download did not happen as its audit entry (written before the first byte) says:
a follow-up entry records it as aborted, with the reason, and the operator is told by a
log line that names no document, since which documents a party opens is that party's
work product. Before the first byte the user gets an error; after it the stream is cut,
never ended as if it were whole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from gateway.audit.events import AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import Served, StoredContentFailed
from gateway.errors import Conflict
from gateway.matters.service import MatterAccess
from gateway.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Serving:
    """What is being served, as the abort entry and the user's error will name it."""

    tag: Tag
    what: str  # "document AOL-DEF-…" or "production volume …", told to the user only
    details: dict[str, Any] = field(default_factory=dict)
    order: tuple[int, ...] | None = None  # a volume's document ids, in the order written


def start(
    rt: Runtime, access: MatterAccess, build: Callable[[], Served], serving: Serving
) -> Served:
    """Build the stream (keys unwrapped, first file checked); cut it if a file fails."""
    try:
        served = build()
    except StoredContentFailed as failure:
        raise unservable(rt, access, failure, serving) from None
    return replace(served, chunks=_cut_on_failure(rt, access, served.chunks, serving))


def unservable(
    rt: Runtime,
    access: MatterAccess | AuditEvent,
    failure: StoredContentFailed,
    serving: Serving,
) -> Conflict:
    """A stored file failed its check before anything was sent (opened to be served, or
    to be re-branded first): recorded as aborted, the operator told; the error to raise.

    409: the request is sound and the user may have the document, but its stored copy is
    in a state that cannot be served, and asking again will not help until the operator
    restores it. Not 404, which would claim that it does not exist.

    ``access``: or an audit event of the user in the matter, made while its session was
    open (the abort's entry keeps its actor, matter and side)."""
    _record_abort(rt, access, failure, serving, sent=None)
    return Conflict(
        f"{serving.what} cannot be served now ({failure.what}); the gateway's "
        "operator has been told"
    )


def _cut_on_failure(
    rt: Runtime, access: MatterAccess, chunks: Iterator[bytes], serving: Serving
) -> Iterator[bytes]:
    sent = 0
    try:
        for chunk in chunks:
            yield chunk
            sent += len(chunk)  # counted once the server has taken it
    except StoredContentFailed as failure:
        _record_abort(rt, access, failure, serving, sent=sent)
        # raised on, so that the server drops the connection: a response ended cleanly
        # would pass a truncated file or ZIP off as complete
        raise


def _record_abort(
    rt: Runtime,
    access: MatterAccess | AuditEvent,
    failure: StoredContentFailed,
    serving: Serving,
    *,
    sent: int | None,
) -> None:
    who = access if isinstance(access, AuditEvent) else access.event(serving.tag, Outcome.ABORTED)
    stage = "before the first byte" if sent is None else "mid-stream"
    details: dict[str, Any] = {**serving.details, "stage": stage, "bytes_sent": sent or 0}
    if serving.order is not None:
        # a volume is written in order: every document before this one went out whole
        details["documents_sent"] = 0 if sent is None else serving.order.index(failure.document_id)
    with rt.db.session() as session:
        event = AuditEvent(
            tag=serving.tag,
            outcome=Outcome.ABORTED,
            actor=who.actor,
            matter_id=who.matter_id,
            side_party_id=who.side_party_id,
            document_id=failure.document_id,
            bates=failure.bates,
            reason=f"{failure.what}: {failure.message}",
            details=details,
        )
        entry = rt.audit(session, event)
    log.error(
        "download aborted %s: %s (%s); matter %s, audit entry %s names it",
        stage,
        failure.what,
        failure.message,
        event.matter_id,
        entry.seq,
    )
