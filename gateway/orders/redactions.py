"""Redacting a document: a new version made by the gateway from the producing party's marks,
and the redaction log that stays with it.

The court's ruling that grants a claw-back only in part (FRCP 26(b)(5)(B); BRIEF §3, steps 2
and 3) is carried out by a privilege-redacted version; a filing on the public docket with
the confidential information redacted (step 5) by a public-redacted one. Who may make one,
which designation it may carry and when a kind is allowed are the rules of a supplied
version (``gateway.orders.versions``), reused here. The redaction itself
(``gateway.pdf.redact``) runs before the transaction, the file is staged encrypted, and
the version, its file, its log row and the audit entry are written in one transaction; any
failure removes the staged file. The log is shown to the producing or designating party
and the court only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, VersionKind
from gateway.documents.content import (
    Binding,
    Place,
    new_uid,
    open_plaintext,
    readables,
    store_file,
)
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.rebranding import rebrand_after_change
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.visibility import LIST, visible_clause
from gateway.errors import Forbidden, GatewayError, Invalid
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, matter_key, resolve_access
from gateway.orders.models import Redaction
from gateway.orders.redaction_request import RedactionRequest, page_names, read_request
from gateway.orders.versions import (
    Staged,
    audit_refusal,
    check_kind,
    check_supplier,
    commit_version,
    refusal,
    version_fields,
)
from gateway.pdf.opening import Limits
from gateway.pdf.redact import Redacted, RedactionRefused, redact_pdf
from gateway.runtime import Runtime

TAG = Tag.VERSION_REDACTED
CHUNK = 1 << 20


def redact(
    rt: Runtime,
    user: User,
    matter_id: int,
    bates: str,
    body: dict[str, Any],
    *,
    address: str,
) -> dict[str, Any]:
    """The new redacted version's JSON (as ``versions_of`` shows it)."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.VERSION_SUPPLY, tag=TAG, bates=bates[:100])
        doc = find_document(session, access, bates, visible_clause(access, LIST))
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, TAG, LIST)
        try:
            check_supplier(access, doc)
            request = read_request(body, doc)
            kind, _ = version_fields(access, request.fields, doc)
            check_kind(session, doc, kind)
            source, pdf_file = _source(session, doc, request.source)
        except GatewayError as error:
            raise refusal(access, TAG, error, doc) from None
        readable = readables(rt, access.matter, doc, source, [pdf_file])[0]
        names = page_names(doc)
        pending = Binding("", "pending", doc.producing_party_id, doc.designating_party_id, False)
        uid = new_uid()
        place = Place(doc.uid, uid, "native", None)
        document_id, source_id = doc.id, source.id
        # the redacted pages keep the legend burned into the source's
        source_brand = pdf_file.branded_as
        # served with every version: a redaction must not leave what it covers in them
        metadata = {"title": doc.title, "file_name": doc.file_name, "custodian": doc.custodian}
    try:
        with open_plaintext(rt, readable) as handle:
            made = redact_pdf(
                handle,
                request.marks,
                label=request.label,
                dpi=request.dpi,
                page_names=names,
                limits=Limits(max_pages=rt.settings["PDF_MAX_PAGES"]),
                metadata=metadata,
                pattern_seconds=float(rt.settings["REDACTION_PATTERN_SECONDS"]),
            )
    except RedactionRefused as exc:
        # the caller is told which text matched nothing; the audit trail, which the
        # neutral auditor reads, says only how long it was
        audit_refusal(rt, refusal(access, TAG, Invalid(exc.audited), doc))
        raise Invalid(str(exc)) from None
    mkey = matter_key(rt, access.matter)
    stored = store_file(rt, access.matter, mkey, place, _chunks(made.pdf), pending)
    staged = Staged(document_id, bates, uid, place, stored, pending)
    try:
        try:
            result = commit_version(
                rt,
                access,
                mkey,
                staged,
                user,
                request.fields,
                tag=TAG,
                note=_note(source.kind, made, names),
                record=_recorder(rt, user, request, made, names, source_id),
                branded_as=source_brand,
            )
        except SQLAlchemyError as exc:
            failed = Invalid(f"the database refused the version: {type(exc).__name__}")
            audit_refusal(rt, refusal(access, TAG, failed, doc))
            raise failed from exc
    except BaseException:
        # no orphan blob: whatever stopped the version, its file goes too
        rt.blobs.delete(stored.blob_key)
        raise
    # a redaction designated above the source's legend carries its own from now on
    rebrand_after_change(rt, matter_id, [document_id])
    return result


def _source(
    session: Session, doc: Document, kind: VersionKind
) -> tuple[DocumentVersion, DocumentFile]:
    """The version redacted (the original unless the request names another) and its PDF."""
    version = session.scalar(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == doc.id, DocumentVersion.kind == str(kind))
        .order_by(DocumentVersion.id)
        .limit(1)
    )
    if version is None:
        raise Invalid(f"from: {doc.bates_begin} has no {kind} version")
    # the file as produced (edition 0), not a later edition with a re-designation's band:
    # the redacted version is branded for its own designation once it is made
    produced = session.scalars(
        select(DocumentFile)
        .where(DocumentFile.version_id == version.id, DocumentFile.edition == 0)
        .order_by(DocumentFile.id)
    )
    for f in produced:
        if f.role == "native" and f.media_type == "application/pdf":
            return version, f
    raise Invalid(f"from: the {kind} version of {doc.bates_begin} is not stored as one PDF")


def _chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


def _note(source_kind: str, made: Redacted, names: list[str]) -> str:
    pages = ", ".join(names[i] for i in made.rasterized)
    return (
        f"redacted by the gateway from the {source_kind} version; page(s) {pages} rasterized at "
        f"{made.dpi} dpi: they carry no text layer; the other pages as they were"
    )


def _recorder(
    rt: Runtime,
    user: User,
    request: RedactionRequest,
    made: Redacted,
    names: list[str],
    source_id: int,
) -> Any:
    def record(session: Session, doc: Document, version: DocumentVersion) -> dict[str, Any]:
        rasterized = [names[i] for i in made.rasterized]
        session.add(
            Redaction(
                version_id=version.id,
                document_id=doc.id,
                source_version_id=source_id,
                made_by_user_id=user.id,
                made_at=rt.now(),
                marks=request.given,
                resolved=_resolved(made, names),
                reason=request.reason,
                label=request.label,
                dpi=made.dpi,
                rasterized=rasterized,
            )
        )
        return {
            "rasterized": rasterized,
            "marks": len(request.marks),
            "dpi": made.dpi,
            "scrubbed": made.scrubbed,  # what the source carried and the version does not
        }

    return record


def _resolved(made: Redacted, names: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "mark": n,
            "boxes": [
                {"page": names[index], "box": [round(v, 2) for v in box]}
                for index, boxes in sorted(r.boxes.items())
                for box in boxes
            ],
        }
        for n, r in enumerate(made.resolved)
    ]


# --- the redaction log ---------------------------------------------------------------------


def redactions_of(
    rt: Runtime, user: User, matter_id: int, bates: str, *, address: str
) -> list[dict[str, Any]]:
    """The document's redaction log, for its producing or designating party and the court;
    a document the caller may not list is refused as if it did not exist."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        doc = find_document(session, access, bates, visible_clause(access, LIST))
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, Tag.REDACTIONS_READ, LIST)
        refused = Forbidden(
            f"{doc.bates_begin}: the redaction log is shown to the producing or designating "
            "party and the court"
        )
        require(
            access,
            Action.REDACTION_READ,
            tag=Tag.REDACTIONS_READ,
            refusal=refused,
            bates=doc.bates_begin,
            document_id=doc.id,
        )
        if not _own_or_neutral(access, doc):
            raise refusal(access, Tag.REDACTIONS_READ, refused, doc)
        rows = list(
            session.execute(
                select(Redaction, DocumentVersion.kind, User.email)
                .join(DocumentVersion, DocumentVersion.id == Redaction.version_id)
                .join(User, User.id == Redaction.made_by_user_id)
                .where(Redaction.document_id == doc.id)
                .order_by(Redaction.id)
            )
        )
        kinds = _kinds(session, [r.source_version_id for r, _, _ in rows])
        rt.audit(
            session,
            access.event(
                Tag.REDACTIONS_READ,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                details={"redactions": len(rows)},
            ),
        )
        return [
            {
                "version": kind,
                "from": kinds.get(r.source_version_id, ""),
                "made_by": email,
                "made_at": r.made_at.isoformat(),
                "reason": r.reason,
                "label": r.label,
                "dpi": r.dpi,
                "marks": r.marks,
                "resolved": r.resolved,
                "rasterized": r.rasterized,
            }
            for r, kind, email in rows
        ]


def _own_or_neutral(access: MatterAccess, doc: Document) -> bool:
    """The producing or designating party's people, or a neutral (the court: the policy
    decided which neutral roles hold the action)."""
    side = access.side_party_id
    return side is None or side in (doc.producing_party_id, doc.designating_party_id)


def _kinds(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(DocumentVersion.id, DocumentVersion.kind).where(DocumentVersion.id.in_(ids))
        ).all()
    )
