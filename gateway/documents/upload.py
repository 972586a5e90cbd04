"""One document uploaded through the API by a party producing it (or a non-party).

The uploader's party is the producer. The body is streamed straight into encryption, so
the plaintext never touches disk; a refused or broken upload leaves no row and no blob,
and every refusal is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.policy import PolicySource
from gateway.authz.vocabulary import Action
from gateway.bates import parse_bates
from gateway.designations import PUBLIC, designations_from_tiers, lookup, unknown_designation
from gateway.documents.content import Binding, Place, StoredFile, open_stored, store_file
from gateway.documents.ingest import (
    DocumentUids,
    FileToStore,
    add_document,
    bates_collisions,
    check_volume_name,
    lock_matter,
    page_count,
)
from gateway.documents.models import Document, Production
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid
from gateway.ingest.plan import PlannedDocument, ProductionPlan
from gateway.matters.models import Party
from gateway.matters.permissions import require
from gateway.matters.series import check_series, check_span, claim_series
from gateway.matters.service import MatterAccess, matter_key, resolve_access
from gateway.pagecount import PageCountError, count_pages
from gateway.runtime import Refused, Runtime


@dataclass(frozen=True)
class UploadMeta:
    volume: str
    bates_begin: str
    bates_end: str
    designation: str
    file_name: str
    title: str = ""
    custodian: str = ""


def _planned(policy: PolicySource, meta: UploadMeta) -> PlannedDocument:
    check_volume_name(meta.volume)
    try:
        begin, end = parse_bates(meta.bates_begin), parse_bates(meta.bates_end or meta.bates_begin)
    except ValueError as exc:
        raise Invalid(f"bates_begin/bates_end: {exc}") from exc
    problems = []
    if begin.series != end.series or begin.number > end.number:
        problems.append("bates_end: must follow bates_begin in the same series")
    designation, problem = _designation(policy, meta.designation)
    if problem:
        problems.append(f"designation: {problem}")
    name = meta.file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        problems.append("file_name: required (the name the document had when produced)")
    for field, value, limit in (
        ("file_name", name, 500),
        ("title", meta.title, 1000),
        ("custodian", meta.custodian, 300),
    ):
        if len(value.strip()) > limit:
            problems.append(f"{field}: at most {limit} characters")
        if any(ord(c) < 0x20 for c in value):
            problems.append(f"{field}: contains a control character")
    if problems:
        raise Invalid("; ".join(problems))
    return PlannedDocument(
        bates_begin=begin.format(),
        bates_end=end.format(),
        page_count=0,
        family=begin.format(),
        custodian=meta.custodian.strip(),
        designation=designation,
        title=meta.title.strip(),
        file_name=name,
        authors=(),
        recipients=(),
        date="",
        native_path=name,
        text_path=None,
        pages=(),
        line=0,
        extra={},
    )


def _designation(policy: PolicySource, given: str) -> tuple[str, str]:
    """(tier code, "") or ("", why not), from the matter's own tiers. A missing designation
    never means PUBLIC: the producer says PUBLIC when the material is not designated."""
    spellings = designations_from_tiers(policy.tiers)
    if not given.strip():
        return "", f"required: a tier of the matter's order, {PUBLIC} if not designated"
    code = lookup(spellings, given)
    if code is None:
        return "", unknown_designation(given, spellings)
    return code, ""


def _refusal(access: MatterAccess, error: GatewayError, meta: UploadMeta) -> Refused:
    return Refused(
        error,
        access.event(
            Tag.DOCUMENT_UPLOADED,
            Outcome.DENIED,
            reason=error.message[:300],
            bates=meta.bates_begin[:100],
            details={"volume": meta.volume[:100]},
        ),
    )


def _check(session: Session, access: MatterAccess, planned: PlannedDocument, volume: str) -> None:
    assert access.side_party_id is not None  # checked before: only a party produces
    prefix = parse_bates(planned.bates_begin).prefix
    check_series(session, access.matter.id, access.side_party_id, [prefix])
    too_long = check_span(access.matter, planned.bates_begin, planned.bates_end)
    if too_long:
        raise Invalid(f"bates_end: {too_long}")
    if bates_collisions(session, access.matter.id, ProductionPlan(volume, (planned,))):
        # the clashing document may be one this producer may not see: do not name it
        raise Conflict(
            f"Bates range {planned.bates_begin}-{planned.bates_end} overlaps a range already "
            "produced in this matter"
        )
    existing = session.scalar(
        select(Production).where(
            Production.matter_id == access.matter.id, Production.volume == volume
        )
    )
    if existing is not None and existing.producing_party_id != access.side_party_id:
        raise Conflict("that volume name is taken in this matter: choose another")


def upload_document(
    rt: Runtime,
    user: User,
    matter_id: int,
    meta: UploadMeta,
    body: Iterable[bytes],
    *,
    address: str,
) -> Document:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require(
            access,
            Action.PRODUCTION_UPLOAD,
            tag=Tag.DOCUMENT_UPLOADED,
            refusal=Forbidden("your role in this matter may not produce documents"),
            bates=meta.bates_begin[:100],
            details={"volume": meta.volume[:100]},
        )
        if access.side_party_id is None:
            raise _refusal(
                access, Forbidden("only a party or a non-party produces documents"), meta
            )
        try:
            planned = _planned(access.policy, meta)
            _check(session, access, planned, meta.volume)
        except GatewayError as error:
            raise _refusal(access, error, meta) from None
    uids = DocumentUids.new()
    mkey = matter_key(rt, access.matter)
    place = Place(uids.document, uids.version, "native", None)
    try:
        binding = Binding.new(planned.designation, access.side_party_id)
        stored = store_file(rt, access.matter, mkey, place, body, binding)
    except GatewayError as error:  # e.g. the body was larger than allowed
        _audit_refusal(rt, access, error, meta)
        raise
    try:
        if stored.plaintext_size == 0:
            empty = Invalid("the body is empty: a produced document has content")
            _audit_refusal(rt, access, empty, meta)
            raise empty
        mismatch = _page_mismatch(rt, access, mkey, place, stored, planned, binding)
        if mismatch:
            _audit_refusal(rt, access, mismatch, meta)
            raise mismatch
        try:
            return _commit(rt, access, planned, meta, mkey, uids, stored)
        except SQLAlchemyError as exc:
            refused = Invalid(f"the database refused the document: {_cause(exc)}")
            _audit_refusal(rt, access, refused, meta)
            raise refused from exc
    except BaseException:
        rt.blobs.delete(stored.blob_key)
        raise


def _page_mismatch(
    rt: Runtime,
    access: MatterAccess,
    mkey: bytes,
    place: Place,
    stored: StoredFile,
    planned: PlannedDocument,
    binding: Binding,
) -> Invalid | None:
    """A range of more than one Bates number must be the file's real page count: a file
    without countable pages (not a PDF or TIFF) takes one number, its slip sheet."""
    span = page_count(planned)
    if span == 1:
        return None
    with open_stored(rt, access.matter, mkey, place, stored, binding) as handle:
        try:
            pages = count_pages(handle)
        except PageCountError as exc:
            return Invalid(f"the body is {exc}, so its pages cannot be counted")
    if pages is None:
        return Invalid(
            f"bates_end: the file has no pages to count (not a PDF or TIFF), so it takes one "
            f"Bates number, not {span}"
        )
    if pages != span:
        return Invalid(
            f"bates_end: the file has {pages} page(s) but {planned.bates_begin}-"
            f"{planned.bates_end} spans {span}"
        )
    return None


def _cause(exc: SQLAlchemyError) -> str:
    return type(getattr(exc, "orig", None) or exc).__name__


def _audit_refusal(
    rt: Runtime, access: MatterAccess, error: GatewayError, meta: UploadMeta
) -> None:
    with rt.transaction() as session:
        rt.audit(session, _refusal(access, error, meta).event)


def _commit(
    rt: Runtime,
    access: MatterAccess,
    planned: PlannedDocument,
    meta: UploadMeta,
    mkey: bytes,
    uids: DocumentUids,
    stored: StoredFile,
) -> Document:
    now = rt.now()
    with rt.transaction() as session:
        lock_matter(session, access.matter.id)
        try:
            _check(session, access, planned, meta.volume)
        except GatewayError as error:
            raise _refusal(access, error, meta) from None
        assert access.side_party_id is not None
        prefix = parse_bates(planned.bates_begin).prefix
        claimed = claim_series(rt, session, access.matter.id, access.side_party_id, [prefix])
        production = session.scalar(
            select(Production).where(
                Production.matter_id == access.matter.id, Production.volume == meta.volume
            )
        )
        pages = page_count(planned)
        if production is None:
            production = Production(
                matter_id=access.matter.id,
                producing_party_id=access.side_party_id,
                volume=meta.volume,
                produced_at=now,
                document_count=0,
                page_count=0,
            )
            session.add(production)
            session.flush()
        production.document_count += 1
        production.page_count += pages
        party = session.get_one(Party, access.side_party_id)
        item = FileToStore(0, "native", None, planned.file_name)
        doc = add_document(
            session, access.matter, party, production, planned, mkey, uids, [(item, stored)], now
        )
        details: dict[str, Any] = {
            "volume": meta.volume,
            "size": stored.plaintext_size,
            "sha256": stored.sha256,
            **({"claimed_prefixes": claimed} if claimed else {}),
        }
        rt.audit(
            session,
            access.event(
                Tag.DOCUMENT_UPLOADED,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                details=details,
            ),
        )
        return doc
