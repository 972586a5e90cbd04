"""Storing a validated production: encrypt every file, then write every row at once.

The load files are parsed and checked in full first (gateway.ingest). Blobs cannot take
part in the database transaction, so they are written before it and deleted again if
anything fails: a refused volume leaves no production, no row and no blob.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.audit.recorder import Actor
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import CHUNK, StoredFile, store_file
from gateway.documents.models import (
    Document,
    DocumentFile,
    DocumentPerson,
    DocumentVersion,
    Production,
)
from gateway.errors import Conflict, GatewayError, Invalid, NotFound
from gateway.ingest.errors import LoadFileError
from gateway.ingest.plan import (
    PlannedDocument,
    ProductionPlan,
    designations_from_tiers,
    parse_bates,
)
from gateway.ingest.source import VolumeSource
from gateway.matters.models import Matter, Party
from gateway.matters.service import matter_key
from gateway.runtime import Runtime

Progress = Callable[[int], None]


def designation_spellings(rt: Runtime) -> dict[str, str]:
    """Every accepted spelling of a tier in a load file (its code or legend) -> its code."""
    return designations_from_tiers(rt.policy.tiers)


def family_id(mkey: bytes, family: str) -> str:
    """Opaque and stable: a family id must never reveal a Bates number."""
    return hmac.new(mkey, f"family:{family}".encode(), hashlib.sha256).hexdigest()[:32]


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


@dataclass(frozen=True)
class FileToStore:
    doc_index: int
    role: str
    page_no: int | None
    path: str


def files_of(plan: ProductionPlan) -> list[FileToStore]:
    files: list[FileToStore] = []
    for index, doc in enumerate(plan.documents):
        if doc.native_path:
            files.append(FileToStore(index, "native", None, doc.native_path))
        for number, page in enumerate(doc.pages, start=1):
            files.append(FileToStore(index, "image", number, page.path))
        if doc.text_path:
            files.append(FileToStore(index, "text", None, doc.text_path))
    return files


def bates_collisions(session: Session, matter_id: int, plan: ProductionPlan) -> list[str]:
    problems = []
    for doc in plan.documents:
        prefix, low, _ = parse_bates(doc.bates_begin)
        _, high, _ = parse_bates(doc.bates_end)
        clash = session.scalar(
            select(Document.bates_begin).where(
                Document.matter_id == matter_id,
                Document.bates_prefix == prefix,
                Document.bates_begin_no <= high,
                Document.bates_end_no >= low,
            )
        )
        if clash:
            problems.append(
                f"line {doc.line}: BEGBATES: {doc.bates_begin}-{doc.bates_end} overlaps "
                f"{clash}, already produced in this matter"
            )
    return problems


def count_rows(session: Session) -> dict[str, int]:
    """Row counts of every table an ingest writes (tests compare before and after)."""
    from sqlalchemy import func

    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Production, Document, DocumentPerson, DocumentVersion, DocumentFile)
    }


def ingest(
    rt: Runtime,
    actor: Actor,
    *,
    matter_id: int,
    party_id: int,
    plan: ProductionPlan,
    source: VolumeSource,
    progress: Progress | None = None,
) -> Production:
    try:
        return _ingest(rt, actor, matter_id, party_id, plan, source, progress)
    except GatewayError as error:
        with rt.transaction() as session:
            rt.audit(
                session,
                tag=Tag.PRODUCTION_INGEST_FAILED,
                actor=actor,
                outcome=Outcome.DENIED,
                matter_id=matter_id if _matter_exists(session, matter_id) else None,
                side_party_id=None,
                reason=error.message[:300],
                details={"volume": plan.volume},
            )
        raise


def _matter_exists(session: Session, matter_id: int) -> bool:
    return session.get(Matter, matter_id) is not None


def _ingest(
    rt: Runtime,
    actor: Actor,
    matter_id: int,
    party_id: int,
    plan: ProductionPlan,
    source: VolumeSource,
    progress: Progress | None,
) -> Production:
    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        party = session.get(Party, party_id)
        if party is None or party.matter_id != matter_id:
            raise Invalid(f"party: no party {party_id} in matter {matter.case_number}")
        _check_free(session, matter_id, plan)
    mkey = matter_key(rt, matter)
    stored: dict[int, list[tuple[FileToStore, StoredFile]]] = {}
    written: list[str] = []
    try:
        for item in files_of(plan):
            try:
                result = store_file(rt, matter, mkey, _chunks(source.open(item.path)))
            except OSError as exc:
                raise LoadFileError(
                    f"cannot read: {exc.strerror or exc}", file=source.describe(item.path)
                ) from exc
            written.append(result.blob_key)
            stored.setdefault(item.doc_index, []).append((item, result))
            if progress:
                progress(1)
        return _commit(rt, actor, matter, party, plan, mkey, stored)
    except BaseException:
        for key in written:
            rt.blobs.delete(key)
        raise


def _check_free(session: Session, matter_id: int, plan: ProductionPlan) -> None:
    if session.scalar(
        select(Production.id).where(
            Production.matter_id == matter_id, Production.volume == plan.volume
        )
    ):
        raise Conflict(f"volume {plan.volume} was already produced in this matter")
    problems = bates_collisions(session, matter_id, plan)
    if problems:
        raise Conflict("; ".join(problems[:20]))


def _commit(
    rt: Runtime,
    actor: Actor,
    matter: Matter,
    party: Party,
    plan: ProductionPlan,
    mkey: bytes,
    stored: dict[int, list[tuple[FileToStore, StoredFile]]],
) -> Production:
    now = rt.now()
    with rt.transaction() as session:
        _check_free(session, matter.id, plan)  # again, inside the writing transaction
        production = Production(
            matter_id=matter.id,
            producing_party_id=party.id,
            volume=plan.volume,
            produced_at=now,
            document_count=len(plan.documents),
            page_count=sum(_pages(d) for d in plan.documents),
        )
        session.add(production)
        session.flush()
        for index, planned in enumerate(plan.documents):
            add_document(
                session, matter, party, production, planned, mkey, stored.get(index, []), now
            )
        rt.audit(
            session,
            tag=Tag.PRODUCTION_INGESTED,
            actor=actor,
            outcome=Outcome.ALLOWED,
            matter_id=matter.id,
            details={
                "volume": plan.volume,
                "party": party.name,
                "documents": len(plan.documents),
                "pages": production.page_count,
                "files": sum(len(v) for v in stored.values()),
            },
        )
        return production


def _pages(planned: PlannedDocument) -> int:
    return (
        planned.page_count
        or parse_bates(planned.bates_end).number - parse_bates(planned.bates_begin).number + 1
    )


def add_document(
    session: Session,
    matter: Matter,
    party: Party,
    production: Production,
    planned: PlannedDocument,
    mkey: bytes,
    files: list[tuple[FileToStore, StoredFile]],
    now,  # noqa: ANN001
) -> Document:
    prefix, begin_no, _ = parse_bates(planned.bates_begin)
    _, end_no, _ = parse_bates(planned.bates_end)
    doc = Document(
        matter_id=matter.id,
        production_id=production.id,
        producing_party_id=party.id,
        bates_begin=planned.bates_begin,
        bates_end=planned.bates_end,
        bates_prefix=prefix,
        bates_begin_no=begin_no,
        bates_end_no=end_no,
        # a native-only document has no page images; its Bates range still counts its pages
        page_count=planned.page_count or end_no - begin_no + 1,
        family_id=family_id(mkey, planned.family),
        custodian=planned.custodian,
        title=planned.title,
        file_name=planned.file_name,
        doc_date=planned.date,
        designation=planned.designation,
        state="produced",
        extra=dict(planned.extra),
        created_at=now,
    )
    session.add(doc)
    session.flush()
    for kind, values in (("author", planned.authors), ("recipient", planned.recipients)):
        for value in values:
            if "@" in value:
                session.add(DocumentPerson(document_id=doc.id, kind=kind, value=_email_of(value)))
    if "@" in planned.custodian:
        session.add(
            DocumentPerson(document_id=doc.id, kind="custodian", value=_email_of(planned.custodian))
        )
    version = DocumentVersion(document_id=doc.id, kind="original", created_at=now)
    session.add(version)
    session.flush()
    doc.current_version_id = version.id
    for item, result in files:
        name = item.path.replace("\\", "/").rsplit("/", 1)[-1]
        session.add(
            DocumentFile(
                version_id=version.id,
                role=item.role,
                page_no=item.page_no,
                file_name=name,
                media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                blob_key=result.blob_key,
                wrapped_data_key=result.wrapped_data_key,
                plaintext_size=result.plaintext_size,
                ciphertext_size=result.ciphertext_size,
                sha256=result.sha256,
            )
        )
    return doc


def _email_of(value: str) -> str:
    """'Jane Roe <jane@x.example>' -> 'jane@x.example'."""
    value = value.strip()
    if "<" in value and value.endswith(">"):
        value = value[value.rfind("<") + 1 : -1]
    return value.strip().lower()
