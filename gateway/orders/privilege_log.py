"""The privilege log (FRCP 26(b)(5)(A)) of material withheld, clawed back or redacted.

"The party must ... describe the nature of the documents, communications, or tangible
things not produced or disclosed - and do so in a manner that, without revealing
information itself privileged or protected, will enable other parties to assess the claim."

One row per claim on a document that is still withheld, in whole or in part: a claim
pending (sequestered), granted (withdrawn) or granted in part (the pages the order names
withheld, a redacted version served). A claim the court denied withholds nothing: the
document is produced again, so it leaves the log (the court's order is in the deadlines
list). The description is never the document's title or text, which may be the very thing
protected: it is the claimant's own (``log_descriptions``), or else built from what the log
already discloses (kind and page count). A reader sees a row only about a document that
reader may list, and the claim's basis only where that reader may list every document of
the claim (as the claw-back itself shows it). The rows' shapes: ``privilege_log_rows``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, Role
from gateway.documents.models import Document, DocumentPerson
from gateway.documents.visibility import LIST, described_clause, visible_clause
from gateway.errors import BadRequest, GatewayError
from gateway.matters.models import Party
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, resolve_access
from gateway.orders.clawback import WITHHELD
from gateway.orders.models import Clawback, ClawbackItem, LogDescription
from gateway.orders.privilege_log_files import FILES
from gateway.orders.privilege_log_rows import (
    MAX_PER_PAGE,
    LogPage,
    LogRow,
    PrivilegeLog,
    neutral_description,
    page_bates,
    page_ranges,
)
from gateway.orders.refusals import refused
from gateway.runtime import Runtime

FORMATS = ("json", "csv", "pdf")  # the API's
PAGE_FORMATS = ("html", "csv", "pdf")  # the web page's
DENIED = "denied"
STATUS = {"": "pending", "granted": "granted", "granted_in_part": "granted in part"}


def privilege_log(
    rt: Runtime,
    user: User,
    matter_id: int,
    *,
    fmt: str,
    address: str,
    formats: tuple[str, ...] = FORMATS,
    page: LogPage | None = None,
) -> PrivilegeLog:
    """The log as this reader may see it, in ``fmt`` (one of ``formats``), one ``page`` of
    it or (None) the whole; its generation (format, rows served, total) is audited, and so
    is a refusal."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        asked = {"format": fmt[:20]}
        require(
            access,
            Action.PRIVILEGE_LOG_READ,
            tag=Tag.PRIVILEGE_LOG_GENERATED,
            details=asked,
        )
        if fmt not in formats:
            error = BadRequest(f"format: one of {', '.join(formats)}")
            raise refused(access, Tag.PRIVILEGE_LOG_GENERATED, error, details=asked)
        if page is not None and page.per_page > MAX_PER_PAGE:
            error = BadRequest(f"per_page: at most {MAX_PER_PAGE}")
            raise refused(access, Tag.PRIVILEGE_LOG_GENERATED, error, details=asked)
        every = _rows(session, access)
        start = (page.page - 1) * page.per_page if page else 0
        rows = tuple(every[start : start + page.per_page] if page else every)
        matter = access.matter
        log = PrivilegeLog(
            caption=matter.caption,
            case_number=matter.case_number,
            court=matter.court,
            generated_at=rt.now(),
            generated_for=user.email,
            rows=rows,
            total=len(every),
            page=page,
        )
        if fmt in FILES:  # made now: a log that cannot be made is refused, not audited as made
            render, _media_type = FILES[fmt]
            try:
                log = replace(log, data=render(log))
            except GatewayError as error:
                details = asked | {"rows": len(rows), "total": len(every)}
                raise refused(access, Tag.PRIVILEGE_LOG_GENERATED, error, details=details) from None
        rt.audit(
            session,
            access.event(
                Tag.PRIVILEGE_LOG_GENERATED,
                Outcome.ALLOWED,
                details={"format": fmt, "rows": len(rows), "total": len(every)},
            ),
        )
        return log


def _rows(session: Session, access: MatterAccess) -> list[LogRow]:
    # whether the reader may know the original's description: it may list the original (a
    # slip at least) or view its privilege-redacted replacement. A reader who may list a
    # document only through its public-redacted version learns the claim, not the date,
    # people and custodian of the original (as the document's own JSON withholds them)
    known = visible_clause(access, LIST, ()) | described_clause(access)
    found = session.execute(
        select(ClawbackItem, Clawback, Document, LogDescription.description, known)
        .join(Clawback, Clawback.id == ClawbackItem.clawback_id)
        .join(Document, Document.id == ClawbackItem.document_id)
        .outerjoin(LogDescription, LogDescription.clawback_item_id == ClawbackItem.id)
        .where(
            Clawback.matter_id == access.matter.id,
            ClawbackItem.outcome != DENIED,
            visible_clause(access, LIST),
        )
        .order_by(Document.bates_prefix, Document.bates_begin_no, Clawback.noticed_at)
    ).all()
    if not found:
        return []
    people = _people(session, access)
    whole = _whole_claims(session, access)
    parties = dict(
        session.execute(
            select(Party.id, Party.name).where(Party.matter_id == access.matter.id)
        ).all()
    )
    return [
        _row(
            item,
            claim,
            doc,
            given,
            people.get(doc.id, {}) if described else None,
            claim.id in whole,
            parties,
        )
        for item, claim, doc, given, described in found
    ]


def _claimed(access: MatterAccess) -> Any:
    """The ids of the matter's documents named in a claim (a subquery)."""
    return (
        select(ClawbackItem.document_id)
        .join(Clawback, Clawback.id == ClawbackItem.clawback_id)
        .where(Clawback.matter_id == access.matter.id)
    )


def _row(
    item: ClawbackItem,
    claim: Clawback,
    doc: Document,
    given: str | None,
    people: dict[str, list[str]] | None,
    whole: bool,
    parties: dict[int, str],
) -> LogRow:
    """``people``: the document's author, recipients and custodian, or None when the
    reader may not know the original's description (then date and custodian go too)."""
    in_part = item.outcome == "granted_in_part"
    pages = tuple(item.pages or ()) if in_part else ()
    described = people is not None
    people = people or {}
    return LogRow(
        clawback=claim.id,
        bates_begin=doc.bates_begin,
        bates_end=doc.bates_end,
        doc_date=doc.doc_date if described else "",
        author=tuple(people.get("author", ())),
        recipients=tuple(people.get("recipient", ())),
        custodian=doc.custodian if described else "",
        description=given
        or neutral_description(doc, has_recipients=bool(people.get("recipient")), known=described),
        described_by="claimant" if given else "gateway",
        privilege=claim.privilege,
        basis=claim.basis if whole else WITHHELD,
        claimant=parties.get(claim.claimant_party_id, ""),
        status=STATUS.get(item.outcome, item.outcome),
        order_docket=item.order_docket,
        order_date=item.order_date,
        noticed_at=claim.noticed_at,
        withheld="in part" if in_part else "in full",
        pages_withheld=tuple(page_bates(doc, p) for p in pages),
        withheld_ranges=page_ranges(doc, pages),
    )


def _people(session: Session, access: MatterAccess) -> dict[int, dict[str, list[str]]]:
    """Author, recipients and custodian of every claimed document, by document."""
    found: dict[int, dict[str, list[str]]] = {}
    rows = session.execute(
        select(DocumentPerson.document_id, DocumentPerson.kind, DocumentPerson.value)
        .where(DocumentPerson.document_id.in_(_claimed(access)))
        .order_by(DocumentPerson.id)
    ).all()
    for document_id, kind, value in rows:
        found.setdefault(document_id, {}).setdefault(kind, []).append(value)
    return found


def _whole_claims(session: Session, access: MatterAccess) -> set[int]:
    """The claims whose basis the reader may read: the claimant's side and the court
    always; anyone else only where it may list every document the claim names (the basis
    may describe any of them)."""
    claims = select(Clawback.id).where(Clawback.matter_id == access.matter.id)
    if Role.COURT in access.roles:
        return set(session.scalars(claims))
    hidden = (
        select(ClawbackItem.clawback_id)
        .join(Document, Document.id == ClawbackItem.document_id)
        .where(ClawbackItem.clawback_id.in_(claims), ~visible_clause(access, LIST))
    )
    own = Clawback.claimant_party_id == access.side_party_id
    return set(session.scalars(claims.where(own | Clawback.id.not_in(hidden))))
