"""Filing a version of a document with the court (BRIEF §3 steps 5 and 6, §7 "Sealing").

Lodged under seal: the court holds it from then on (as when presented under seal); nothing
else changes. Filed on the public docket in full: that version is a public record, outside
the order, `PUBLIC` for everyone in the matter and never designated again (the original
filed in full makes the document itself `PUBLIC`). Filed with redactions: the
public-redacted version becomes `PUBLIC` while the document and its other versions keep
their designation. Material another party designated goes on the public docket only by its
designating party or the court: a receiving party files it under seal.

A filing is checked against the deadline of the order that required it (an obligation the
court's ruling on this document set for the filer's party): on time when filed before the
last day ended at midnight in the court's time zone (FRCP 6(a)(4)), late otherwise.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, Disposition, Role, State, VersionKind
from gateway.designations import PUBLIC
from gateway.documents.content import bindings, rebind
from gateway.documents.models import Document, DocumentVersion
from gateway.documents.rebranding import rebrand_after_change
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.versions import designation_of, is_original
from gateway.documents.visibility import LIST, VIEW, version_clause, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid, NotFound
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, court_today, resolve_access
from gateway.orders.models import ClawbackItem, Filing, Obligation, PageDesignation
from gateway.orders.refusals import refused
from gateway.runtime import Runtime

PUBLIC_DISPOSITIONS = (Disposition.PUBLIC_FULL, Disposition.PUBLIC_REDACTED)


def file_with_court(
    rt: Runtime,
    user: User,
    matter_id: int,
    *,
    document: Any,
    version: Any,
    disposition: Any,
    docket: Any,
    filed_at: Any,
    address: str,
    deadline: Any = None,
) -> dict[str, Any]:
    """``deadline``: the id of the obligation the filing answers, when an order set more
    than one for the filer's party; by default the earliest of them."""
    bates = str(document or "")[:100]
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.FILING_RECORD, tag=Tag.FILING_RECORDED, bates=bates)
        doc = find_document(session, access, bates, visible_clause(access, LIST), lock=True)
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, Tag.FILING_RECORDED, VIEW)
        try:
            how = _disposition(disposition)
            filed = _version(session, access, doc, how, version)
            if filed is None:
                # the same words whether the version is missing or hidden from the filer
                raise NotFound(f"{doc.bates_begin}: no such version that you may file")
            result = _file(rt, session, access, doc, filed, how, docket, filed_at, deadline)
        except GatewayError as error:
            raise refused(
                access, Tag.FILING_RECORDED, error, document_id=doc.id, bates=doc.bates_begin
            ) from None
        changed = [doc.id]
    # a filing in public makes a version PUBLIC: its pages carry that from now on
    rebrand_after_change(rt, matter_id, changed)
    return result


def _disposition(value: Any) -> Disposition:
    try:
        return Disposition(str(value))
    except ValueError:
        names = ", ".join(str(d) for d in Disposition)
        raise Invalid(f"disposition: one of {names}, not {str(value)[:40]!r}") from None


def _version(
    session: Session, access: MatterAccess, doc: Document, how: Disposition, kind: Any
) -> DocumentVersion | None:
    """The version filed: as named, else the public-redacted one for a filing with
    redactions and the original otherwise; None if the filer may not view it."""
    if kind in (None, ""):
        default = VersionKind.PUBLIC_REDACTED if how == Disposition.PUBLIC_REDACTED else None
        kind = default or VersionKind.ORIGINAL
    try:
        kind = VersionKind(str(kind))
    except ValueError:
        names = ", ".join(str(k) for k in VersionKind)
        raise Invalid(f"version: one of {names}, not {str(kind)[:40]!r}") from None
    if how == Disposition.PUBLIC_REDACTED and kind != VersionKind.PUBLIC_REDACTED:
        raise Invalid("version: a filing with redactions files the public_redacted version")
    version = aliased(DocumentVersion)
    return session.scalar(
        select(version)
        .join(Document, Document.id == version.document_id)
        .where(
            version.document_id == doc.id,
            version.kind == str(kind),
            version_clause(access, VIEW, version),
        )
    )


def _file(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    doc: Document,
    version: DocumentVersion,
    how: Disposition,
    docket: Any,
    filed_at: Any,
    deadline: Any,
) -> dict[str, Any]:
    if not isinstance(docket, str) or not docket.strip():
        raise Invalid("docket: the docket number the court gave the filing")
    when = _instant(rt, filed_at)
    court = Role.COURT in access.roles
    if how in PUBLIC_DISPOSITIONS:
        _check_public(access, doc, version, court)
    obligation = _deadline(session, access, doc, court, deadline)
    if obligation is not None and court_today(access.matter, when) < obligation.trigger:
        raise Invalid(
            f"filed_at: {when.isoformat()} is before the order ({obligation.trigger}) that "
            "required the filing"
        )
    before = bindings(session, doc)
    designation_before = designation_of(doc, version)
    if how in PUBLIC_DISPOSITIONS:
        _make_public(session, doc, version, when)
    elif is_original(version) and doc.presented_at is None:
        # the original lodged under seal: the court holds it from now on (a redacted
        # version lodged gives the court that version only, as its own state allows)
        doc.presented_at = when
    rebind(rt, session, access.matter, doc, before)
    on_time = None if obligation is None else when < obligation.ends_at
    filing = Filing(
        matter_id=access.matter.id,
        document_id=doc.id,
        version_id=version.id,
        disposition=str(how),
        docket=docket.strip()[:50],
        filed_at=when,
        party_id=None if court else access.side_party_id,
        filed_by_user_id=access.user.id,
        obligation_id=obligation.id if obligation else None,
        on_time=on_time,
        recorded_at=rt.now(),
    )
    session.add(filing)
    session.flush()
    result = {
        "id": filing.id,
        "document": doc.bates_begin,
        "version": version.kind,
        "disposition": filing.disposition,
        "docket": filing.docket,
        "filed_at": when.isoformat(),
        "designation": {"before": designation_before, "after": designation_of(doc, version)},
        "deadline": _deadline_json(obligation, on_time),
    }
    rt.audit(
        session,
        access.event(
            Tag.FILING_RECORDED,
            Outcome.ALLOWED,
            document_id=doc.id,
            bates=doc.bates_begin,
            reason=str(how),
            details={k: v for k, v in result.items() if k not in {"document", "id"}},
        ),
    )
    return result


def _instant(rt: Runtime, value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid(
            f"filed_at: an ISO 8601 instant with its offset, not {str(value)[:40]!r}"
        ) from None
    if when.tzinfo is None:
        raise Invalid("filed_at: give the offset (e.g. -07:00): a time without one is ambiguous")
    if when > rt.now():
        raise Invalid(f"filed_at: {when.isoformat()} is in the future")
    return when


def _check_public(
    access: MatterAccess, doc: Document, version: DocumentVersion, court: bool
) -> None:
    if doc.state in (str(State.SEQUESTERED), str(State.WITHDRAWN)) and is_original(version):
        raise Conflict(f"{doc.bates_begin} is {doc.state}: it goes to the court under seal")
    if doc.state == str(State.REPLACED) and is_original(version):
        raise Conflict(
            f"{doc.bates_begin}: the court withheld part of the original; file a redacted version"
        )
    if not court and access.side_party_id != doc.designating_party_id:
        raise Forbidden(
            f"{doc.bates_begin}: another party designated it; file it under seal (only its "
            "designating party or the court puts it on the public docket)"
        )
    if version.public_record_at is not None:
        raise Conflict(f"{doc.bates_begin}: that version is on the public docket already")


def _make_public(session: Session, doc: Document, version: DocumentVersion, when: datetime) -> None:
    version.public_record_at = when
    if is_original(version):
        doc.designation = PUBLIC
        session.execute(delete(PageDesignation).where(PageDesignation.document_id == doc.id))
    else:
        version.designation = PUBLIC


def _deadline(
    session: Session, access: MatterAccess, doc: Document, court: bool, named: Any
) -> Obligation | None:
    """The deadline an order ruling on this document set for the filer's party: the one
    named, else the earliest."""
    if named is not None and (not isinstance(named, int) or isinstance(named, bool)):
        raise Invalid("deadline: the id of one of your party's deadlines (GET deadlines)")
    if court or access.side_party_id is None:
        if named is not None:
            raise Invalid("deadline: the court's own filings answer no party's deadline")
        return None
    dockets = select(ClawbackItem.order_docket).where(
        ClawbackItem.document_id == doc.id, ClawbackItem.order_docket != ""
    )
    query = select(Obligation).where(
        Obligation.matter_id == access.matter.id,
        Obligation.party_id == access.side_party_id,
        Obligation.order_docket.in_(dockets),
    )
    if named is not None:
        found = session.scalar(query.where(Obligation.id == named))
        if found is None:
            raise Invalid(
                f"deadline: {named} is not a deadline an order ruling on {doc.bates_begin} "
                "set for your party"
            )
        return found
    return session.scalar(query.order_by(Obligation.ends_at, Obligation.id).limit(1))


def _deadline_json(obligation: Obligation | None, on_time: bool | None) -> dict[str, Any] | None:
    if obligation is None:
        return None
    return {
        "what": obligation.what,
        "order": obligation.order_docket,
        "due": obligation.due.isoformat(),
        "ends_at": obligation.ends_at.isoformat(),
        "on_time": on_time,
    }
