"""Supplying a version of a document, and reading a document's version history.

A ruling that grants a claw-back in part leaves the document sequestered until the
producing party supplies a privilege-redacted version (BRIEF §3, steps 2 and 3): from then
on the receiving side is served that version (the document's state becomes ``replaced``),
while the original stays with the producing party and the court. A public-redacted version
is what a party files on the public docket when the court orders the confidential
information redacted (step 5); it carries its own designation until it is filed.

A version is a PDF with exactly the document's page count, streamed into encryption like
any upload: a refused or broken one leaves no row and no blob, and every refusal is
audited. Only the producing or designating party's counsel (and signed staff) supply one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, State, VersionKind
from gateway.documents.content import (
    Binding,
    Place,
    StoredFile,
    bindings,
    new_uid,
    open_stored,
    rebind,
    rewrap_stored,
    store_file,
)
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.versions import alternates, designation_of, state_of, visible_versions
from gateway.documents.visibility import LIST, VIEW, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid
from gateway.matters.permissions import require
from gateway.matters.service import MatterAccess, matter_key, resolve_access
from gateway.orders.models import ClawbackItem, Filing
from gateway.orders.refusals import refused
from gateway.pagecount import PageCountError, count_pages
from gateway.runtime import Refused, Runtime

SUPPLIED = (VersionKind.PRIVILEGE_REDACTED, VersionKind.PUBLIC_REDACTED)


class VersionUpload(Protocol):
    """A version's file as it arrives, and the form fields sent with it (complete once
    ``chunks`` is exhausted)."""

    fields: dict[str, str]

    def chunks(self) -> Iterable[bytes]: ...


@dataclass(frozen=True)
class Staged:
    """A version's file, stored and encrypted under a pending binding, before its row."""

    document_id: int
    bates: str
    version_uid: str
    place: Place
    stored: StoredFile
    pending: Binding


def supply_version(
    rt: Runtime, user: User, matter_id: int, bates: str, upload: VersionUpload, *, address: str
) -> dict[str, Any]:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(access, Action.VERSION_SUPPLY, tag=Tag.VERSION_SUPPLIED, bates=bates[:100])
        doc = find_document(session, access, bates, visible_clause(access, LIST))
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, Tag.VERSION_SUPPLIED, LIST)
        try:
            check_supplier(access, doc)
        except GatewayError as error:
            raise _refusal(access, error, doc) from None
        pending = Binding("", "pending", doc.producing_party_id, doc.designating_party_id, False)
        uid = new_uid()
        place = Place(doc.uid, uid, "native", None)
        document_id, page_count = doc.id, doc.page_count
    mkey = matter_key(rt, access.matter)
    try:
        stored = store_file(rt, access.matter, mkey, place, upload.chunks(), pending)
    except GatewayError as error:  # a malformed or too large body
        audit_refusal(rt, _refusal(access, error, doc))
        raise
    staged = Staged(document_id, bates, uid, place, stored, pending)
    try:
        try:
            _check_pages(rt, access, mkey, staged, page_count)
        except GatewayError as error:
            audit_refusal(rt, _refusal(access, error, doc))
            raise
        try:
            # a refusal inside is audited by the transaction that rolls it back
            return commit_version(
                rt,
                access,
                mkey,
                staged,
                user,
                upload.fields,
                tag=Tag.VERSION_SUPPLIED,
                note="supplied as a PDF by the producing party",
            )
        except SQLAlchemyError as exc:
            failed = Invalid(f"the database refused the version: {type(exc).__name__}")
            audit_refusal(rt, _refusal(access, failed, doc))
            raise failed from exc
    except BaseException:
        # no orphan blob: whatever stopped the version, its file goes too
        rt.blobs.delete(stored.blob_key)
        raise


def check_supplier(access: MatterAccess, doc: Document) -> None:
    if access.side_party_id not in (doc.producing_party_id, doc.designating_party_id):
        raise Forbidden(
            f"{doc.bates_begin}: only the producing or designating party supplies a version"
        )


def _check_pages(
    rt: Runtime, access: MatterAccess, mkey: bytes, staged: Staged, page_count: int
) -> None:
    if staged.stored.plaintext_size == 0:
        raise Invalid("file: empty; a version is a PDF of the document's pages")
    with open_stored(rt, access.matter, mkey, staged.place, staged.stored, staged.pending) as f:
        if f.read(5) != b"%PDF-":
            raise Invalid("file: a version is supplied as a PDF")
        f.seek(0)
        try:
            pages = count_pages(f)
        except PageCountError as exc:
            raise Invalid(f"file: {exc}, so its pages cannot be counted") from None
    if pages != page_count:
        raise Invalid(
            f"file: {pages} page(s), but {staged.bates} has {page_count}: a version keeps the "
            "document's Bates numbers, page for page"
        )


# what a workflow adds to a version's transaction: its own rows; returns audit details
Recorder = Callable[[Session, Document, DocumentVersion], dict[str, Any]]


def commit_version(
    rt: Runtime,
    access: MatterAccess,
    mkey: bytes,
    staged: Staged,
    user: User,
    fields: dict[str, str],
    *,
    tag: Tag,
    note: str,
    record: Recorder | None = None,
    branded_as: str | None = "",
) -> dict[str, Any]:
    """The version's row, its file's row and the audit entry in one transaction, the
    rules of ``version_fields`` and ``check_kind`` checked again under the document's
    lock; ``record`` adds a workflow's own rows in the same transaction. ``branded_as``:
    the tier whose legend the file's pages carry ("": the version's own designation, as a
    supplier's PDF is taken to; None: unknown)."""
    with rt.transaction() as session:
        doc = session.get_one(Document, staged.document_id, with_for_update=True)
        try:
            kind, designation = version_fields(access, fields, doc)
            check_kind(session, doc, kind)
        except GatewayError as error:
            raise refusal(access, tag, error, doc) from None
        now = rt.now()
        before = bindings(session, doc)
        claim = _open_claim(session, doc)
        version = DocumentVersion(
            uid=staged.version_uid,
            document_id=doc.id,
            kind=str(kind),
            designation=designation,
            state=_born_state(doc, kind),
            page_count=doc.page_count,
            created_by_user_id=user.id,
            note=note,
            created_at=now,
        )
        session.add(version)
        session.flush()
        final = Binding.of_version(doc, version)
        stored = staged.stored
        session.add(
            DocumentFile(
                version_id=version.id,
                role="native",
                page_no=None,
                file_name=f"{doc.bates_begin}.pdf",
                media_type="application/pdf",
                blob_key=stored.blob_key,
                wrapped_data_key=rewrap_stored(
                    access.matter, mkey, staged.place, stored, staged.pending, final
                ),
                plaintext_size=stored.plaintext_size,
                ciphertext_size=stored.ciphertext_size,
                sha256=stored.sha256,
                crc32=stored.crc32,
                key_binding=1,
                # a later change of designation re-brands the version
                branded_as=designation if branded_as == "" else branded_as,
                note="",
            )
        )
        doc.alternates += 1
        prior = doc.state
        if kind == VersionKind.PRIVILEGE_REDACTED:
            # served to the receiving side from now on; the original stays with the
            # producing party and the court; the document's other versions come back
            # from the claim as they were before it
            doc.state = str(State.REPLACED)
            assert claim is not None  # check_kind: a claim granted in part
            _restore_others(session, doc, claim, version)
            rebind(rt, session, access.matter, doc, before | {version.id: final})
        elif claim is not None and version.state == str(State.SEQUESTERED):
            # made while a claim is pending: it goes with the document, and a ruling that
            # restores the document restores it too
            claim.prior_versions = {**(claim.prior_versions or {}), str(version.id): "produced"}
        details = record(session, doc, version) if record is not None else {}
        rt.audit(
            session,
            access.event(
                tag,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                reason=str(kind),
                details={
                    "designation": designation,
                    "sha256": stored.sha256,
                    "size": stored.plaintext_size,
                    "state": {"before": prior, "after": doc.state},
                    **details,
                },
            ),
        )
        return version_json(doc, version, [])


def _born_state(doc: Document, kind: VersionKind) -> str:
    """A version is born in the document's state while a claim holds it (sequestered) or
    after the court granted it (withdrawn), except the privilege-redacted version that
    answers a ruling granted in part."""
    held = (str(State.SEQUESTERED), str(State.WITHDRAWN))
    if doc.state in held and kind != VersionKind.PRIVILEGE_REDACTED:
        return doc.state
    return str(State.PRODUCED)


def _open_claim(session: Session, doc: Document) -> ClawbackItem | None:
    """The claw-back item holding the document: pending, or granted in part and waiting for
    the privilege-redacted version."""
    if doc.state != str(State.SEQUESTERED):
        return None
    return session.scalar(
        select(ClawbackItem)
        .where(
            ClawbackItem.document_id == doc.id,
            ClawbackItem.outcome.in_(("", "granted_in_part")),
        )
        .order_by(ClawbackItem.id.desc())
        .limit(1)
    )


def _restore_others(
    session: Session, doc: Document, claim: ClawbackItem, made: DocumentVersion
) -> None:
    prior = claim.prior_versions or {}
    for other in alternates(session, doc):
        if other.id != made.id and str(other.id) in prior:
            other.state = prior[str(other.id)] or str(State.PRODUCED)


def version_fields(
    access: MatterAccess, fields: dict[str, str], doc: Document
) -> tuple[VersionKind, str]:
    kinds = ", ".join(str(k) for k in SUPPLIED)
    try:
        kind = VersionKind(fields.get("kind", "").strip())
    except ValueError:
        raise Invalid(f"kind: one of {kinds}, not {fields.get('kind', '')[:40]!r}") from None
    if kind not in SUPPLIED:
        raise Invalid(f"kind: one of {kinds}; the original is the document as produced")
    designation = fields.get("designation", "").strip()
    if designation not in access.policy.designations:
        raise Invalid(
            f"designation: one of {', '.join(access.policy.designations)}, not {designation[:40]!r}"
        )
    ranks = {t.code: t.rank for t in access.policy.tiers}
    if ranks[designation] < ranks.get(doc.designation, max(ranks.values())):
        # lowering a designation is the designating party's re-designation, or a filing
        # on the public docket; never a side effect of supplying a file
        raise Invalid(
            f"designation: a version is designated {doc.designation} or stricter, as the "
            f"document is, not {designation}"
        )
    return kind, designation


def check_kind(session: Session, doc: Document, kind: VersionKind) -> None:
    existing = session.scalar(
        select(DocumentVersion.id).where(
            DocumentVersion.document_id == doc.id, DocumentVersion.kind == str(kind)
        )
    )
    if existing is not None:
        raise Conflict(f"{doc.bates_begin} has a {kind} version already")
    if kind == VersionKind.PRIVILEGE_REDACTED:
        ruled = session.scalar(
            select(ClawbackItem.id).where(
                ClawbackItem.document_id == doc.id,
                ClawbackItem.outcome == "granted_in_part",
            )
        )
        if ruled is None or doc.state != str(State.SEQUESTERED):
            raise Conflict(
                f"{doc.bates_begin}: a privilege-redacted version answers a claw-back the court "
                "granted in part, and this document has none pending"
            )


def refusal(access: MatterAccess, tag: Tag, error: GatewayError, doc: Document) -> Refused:
    return refused(access, tag, error, document_id=doc.id, bates=doc.bates_begin)


def _refusal(access: MatterAccess, error: GatewayError, doc: Document) -> Refused:
    return refusal(access, Tag.VERSION_SUPPLIED, error, doc)


def audit_refusal(rt: Runtime, entry: Refused) -> None:
    """Record a refusal met outside a transaction (staging, checking the file)."""
    with rt.transaction() as session:
        rt.audit(session, entry.event)


# --- the version history -------------------------------------------------------------


def versions_of(
    rt: Runtime, user: User, matter_id: int, bates: str, *, address: str
) -> list[dict[str, Any]]:
    """The versions of a document the caller may know of, most complete first, each with
    its designation, state, filings and whether the caller may open it; a version the
    caller may not list is not named."""
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        doc = find_document(session, access, bates, visible_clause(access, LIST))
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, Tag.VERSIONS_READ, LIST)
        versions = visible_versions(session, access, [doc.id], LIST)[doc.id]
        opened = {v.id for v in visible_versions(session, access, [doc.id], VIEW)[doc.id]}
        filings = _filings(session, [v.id for v in versions])
        rt.audit(
            session,
            access.event(
                Tag.VERSIONS_READ,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                details={"versions": [v.kind for v in versions]},
            ),
        )
        return [
            {**version_json(doc, v, filings.get(v.id, [])), "can_view": v.id in opened}
            for v in versions
        ]


def _filings(session: Session, version_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not version_ids:
        return found
    for f in session.scalars(
        select(Filing).where(Filing.version_id.in_(version_ids)).order_by(Filing.filed_at)
    ):
        found.setdefault(f.version_id, []).append(
            {"disposition": f.disposition, "docket": f.docket, "filed_at": f.filed_at.isoformat()}
        )
    return found


def version_json(
    doc: Document, version: DocumentVersion, filings: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "document": doc.bates_begin,
        "kind": version.kind,
        "designation": designation_of(doc, version),
        "state": state_of(doc, version),
        "page_count": version.page_count or doc.page_count,
        "created_at": version.created_at.isoformat(),
        "public_record": version.public_record_at is not None,
        "note": version.note,
        "filings": filings,
    }
