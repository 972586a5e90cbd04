"""One document uploaded through the API by a party producing it (or a non-party).

The uploader's party is the producer. The body is streamed straight into encryption, so
the plaintext never touches disk; a refused or broken upload leaves no row and no blob.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import StoredFile, store_file
from gateway.documents.ingest import FileToStore, add_document, bates_collisions
from gateway.documents.models import Document, Production
from gateway.errors import Conflict, Forbidden, Invalid
from gateway.ingest.plan import PlannedDocument, ProductionPlan, parse_bates
from gateway.matters.models import Party
from gateway.matters.service import MatterAccess, matter_key, resolve_access
from gateway.runtime import Refused, Runtime

UPLOAD = "production:upload"


@dataclass(frozen=True)
class UploadMeta:
    volume: str
    bates_begin: str
    bates_end: str
    designation: str
    file_name: str
    title: str = ""
    custodian: str = ""


def _planned(rt: Runtime, meta: UploadMeta) -> PlannedDocument:
    problems = []
    try:
        begin, end = parse_bates(meta.bates_begin), parse_bates(meta.bates_end or meta.bates_begin)
    except ValueError as exc:
        raise Invalid(f"bates_begin/bates_end: {exc}") from exc
    if begin.series != end.series or begin.number > end.number:
        problems.append("bates_end: must follow bates_begin in the same series")
    codes = {tier.code for tier in rt.policy.tiers}
    designation = meta.designation.strip().upper() or "PUBLIC"
    if designation not in codes:
        problems.append(f"designation: one of {', '.join(sorted(codes))}, not {meta.designation!r}")
    name = meta.file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        problems.append("file_name: required (the name the document had when produced)")
    if not meta.volume.strip() or "/" in meta.volume:
        problems.append("volume: required, without '/'")
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


def _authorize(rt: Runtime, session, user: User, matter_id: int, address: str) -> MatterAccess:  # noqa: ANN001
    access = resolve_access(rt, session, user, matter_id, address=address)
    if not access.may(UPLOAD) or access.side_party_id is None:
        raise Refused(
            Forbidden("your role in this matter may not produce documents"),
            dict(
                tag=Tag.DOCUMENT_UPLOADED,
                outcome=Outcome.DENIED,
                reason="no upload permission",
                **access.audit_kwargs(),
            ),
        )
    return access


def _check(session, access: MatterAccess, planned: PlannedDocument, volume: str) -> None:  # noqa: ANN001
    clash = bates_collisions(session, access.matter.id, ProductionPlan(volume, (planned,)))
    if clash:
        raise Conflict(clash[0].removeprefix("line 0: "))
    existing = session.scalar(
        select(Production).where(
            Production.matter_id == access.matter.id, Production.volume == volume
        )
    )
    if existing is not None and existing.producing_party_id != access.side_party_id:
        raise Conflict(f"volume {volume} belongs to another producing party")


def upload_document(
    rt: Runtime,
    user: User,
    matter_id: int,
    meta: UploadMeta,
    body: Iterable[bytes],
    *,
    address: str,
) -> Document:
    planned = _planned(rt, meta)
    with rt.transaction() as session:
        access = _authorize(rt, session, user, matter_id, address)
        _check(session, access, planned, meta.volume)
    mkey = matter_key(rt, access.matter)
    stored = store_file(rt, access.matter, mkey, body)
    try:
        return _commit(rt, access, planned, meta.volume, mkey, stored)
    except BaseException:
        rt.blobs.delete(stored.blob_key)
        raise


def _commit(
    rt: Runtime,
    access: MatterAccess,
    planned: PlannedDocument,
    volume: str,
    mkey: bytes,
    stored: StoredFile,
) -> Document:
    now = rt.now()
    with rt.transaction() as session:
        _check(session, access, planned, volume)
        production = session.scalar(
            select(Production).where(
                Production.matter_id == access.matter.id, Production.volume == volume
            )
        )
        pages = parse_bates(planned.bates_end).number - parse_bates(planned.bates_begin).number + 1
        if production is None:
            production = Production(
                matter_id=access.matter.id,
                producing_party_id=access.side_party_id,
                volume=volume,
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
            session, access.matter, party, production, planned, mkey, [(item, stored)], now
        )
        rt.audit(
            session,
            tag=Tag.DOCUMENT_UPLOADED,
            outcome=Outcome.ALLOWED,
            document_id=doc.id,
            bates=doc.bates_begin,
            details={"volume": volume, "size": stored.plaintext_size, "sha256": stored.sha256},
            **access.audit_kwargs(),
        )
        return doc
