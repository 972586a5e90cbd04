"""Storing a validated production: encrypt every file, then write every row at once.

The load files are parsed and checked in full first (gateway.ingest). Blobs cannot take
part in the database transaction, so they are written before it and deleted again if
anything fails: a refused volume leaves no production, no row and no blob.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import mimetypes
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.bates import parse_bates
from gateway.designations import designations_from_tiers
from gateway.documents.branding import (
    PDF,
    brand_file,
    brandable,
    legend_for,
    legends,
    read_bounded,
)
from gateway.documents.content import CHUNK, Binding, Place, StoredFile, new_uid, store_file
from gateway.documents.models import (
    Document,
    DocumentFile,
    DocumentPerson,
    DocumentVersion,
    Production,
)
from gateway.errors import Conflict, GatewayError, Invalid, NotFound
from gateway.ingest.errors import LoadFileError, LoadFileErrors
from gateway.ingest.fields import FieldChoices
from gateway.ingest.plan import PlannedDocument, ProductionPlan, build_plan
from gateway.ingest.source import VolumeSource
from gateway.matters.models import Matter, Party
from gateway.matters.series import check_series, check_span, claim_series, find_party
from gateway.matters.service import matter_key
from gateway.pdf.opening import PdfRefused
from gateway.runtime import Runtime

Progress = Callable[[int], None]
AUDITED_PROBLEMS = 10
VOLUME_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_volume_name(name: str) -> str:
    """A volume name becomes a folder in every ZIP the receiving side unpacks: letters,
    digits, '.', '_', '-' only, so it can never climb out of the extraction folder."""
    if not VOLUME_NAME.fullmatch(name) or ".." in name:
        raise Invalid(
            f"volume: {name!r} is not a volume name (letters, digits, '.', '_', '-'; "
            "at most 100; no '..')"
        )
    return name


@dataclass(frozen=True)
class DocumentUids:
    """A new document's and its first version's ids, chosen before any file is stored."""

    document: str
    version: str

    @classmethod
    def new(cls) -> DocumentUids:
        return cls(new_uid(), new_uid())


def designation_spellings(rt: Runtime, matter_id: int | None = None) -> dict[str, str]:
    """Every accepted spelling of a tier in a load file (code, legend, aliases) -> its code,
    from the matter's own order (the default rules' tiers when no matter is named)."""
    if matter_id is None:
        return designations_from_tiers(rt.policy.tiers)
    with rt.db.session() as session:
        return designations_from_tiers(rt.policies.for_matter(session, matter_id).policy.tiers)


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
    data: bytes | None = None  # content given in the load file itself (extracted text)
    media_type: str | None = None  # known from the content (a PDF whatever its name)


def files_of(plan: ProductionPlan) -> list[FileToStore]:
    files: list[FileToStore] = []
    for index, doc in enumerate(plan.documents):
        if doc.native_path:
            files.append(FileToStore(index, "native", None, doc.native_path))
        seen: set[str] = set()
        for number, page in enumerate(doc.pages, start=1):
            # a multi-page image named on several OPT lines is one file, stored once
            if page.path not in seen:
                seen.add(page.path)
                files.append(FileToStore(index, "image", number, page.path))
        if doc.text_path:
            files.append(FileToStore(index, "text", None, doc.text_path))
        elif doc.text_body is not None:
            body = doc.text_body.encode("utf-8")
            files.append(FileToStore(index, "text", None, f"{doc.bates_begin}.txt", body))
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
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Production, Document, DocumentPerson, DocumentVersion, DocumentFile)
    }


def audit_failure(
    rt: Runtime, actor: Actor, matter_id: int, volume: str, error: GatewayError
) -> None:
    """A refused production is recorded, with the reason, in a transaction of its own."""
    with rt.transaction() as session:
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.PRODUCTION_INGEST_FAILED,
                outcome=Outcome.DENIED,
                actor=actor,
                matter_id=matter_id if _matter_exists(session, matter_id) else None,
                reason=error.message[:300],
                details={"volume": volume[:100], **_problems(error)},
            ),
        )


def _problems(error: GatewayError) -> dict[str, object]:
    """The first problems of a refused volume, each with its file, line and field, so the
    audit says why even when the message is longer than the reason column."""
    if not isinstance(error, LoadFileErrors):
        return {}
    shown = [problem.message[:300] for problem in error.errors[:AUDITED_PROBLEMS]]
    return {"problems": shown, "total": error.total}


@dataclass(frozen=True)
class Producer:
    matter_id: int
    party_id: int


def resolve_producer(
    rt: Runtime, actor: Actor, *, case_number: str, party_name: str, volume: str
) -> Producer:
    """The matter and producing party an operator named; a refusal lists the choices and
    is audited."""
    matter_id = 0
    try:
        with rt.db.session() as session:
            matter = session.scalar(select(Matter).where(Matter.case_number == case_number))
            if matter is None:
                cases = session.scalars(select(Matter.case_number).order_by(Matter.case_number))
                known = "; ".join(cases) or "none yet"
                raise NotFound(f"matter: no matter {case_number!r}; the matters: {known}")
            matter_id = matter.id
            return Producer(matter_id, find_party(session, matter_id, party_name).id)
    except GatewayError as error:
        audit_failure(rt, actor, matter_id, volume, error)
        raise


def plan_volume(
    rt: Runtime,
    actor: Actor,
    *,
    matter_id: int,
    source: VolumeSource,
    dat_path: str,
    opt_path: str | None,
    volume: str,
    encoding: str | None = None,
    opt_encoding: str | None = None,
    fields: tuple[str, ...] = (),
    ignored_fields: tuple[str, ...] = (),
    designation_field: str | None = None,
    designation: str | None = None,
) -> ProductionPlan:
    """Parse and check a volume's load files in full; a refusal is audited.

    ``fields`` (``ROLE=NAME``), ``ignored_fields``, ``designation_field`` and
    ``designation`` are the operator's choices (see :class:`FieldChoices`).
    """
    try:
        check_volume_name(volume)
        max_pages, aliases = _matter_settings(rt, matter_id)
        choices = FieldChoices.parse(
            fields,
            ignored=ignored_fields,
            designation_field=designation_field,
            designation=designation,
            aliases=aliases,
        )
        return build_plan(
            source,
            dat_path=dat_path,
            opt_path=opt_path,
            designations=designation_spellings(rt, matter_id),
            encoding=encoding,
            opt_encoding=opt_encoding,
            volume=volume,
            choices=choices,
            max_document_pages=max_pages,
        )
    except GatewayError as error:
        audit_failure(rt, actor, matter_id, volume, error)
        raise


def _matter_settings(rt: Runtime, matter_id: int) -> tuple[int, dict[str, list[str]]]:
    """The matter's longest document and its extra field names."""
    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        return matter.max_document_pages, dict(matter.field_aliases or {})


def prefixes_of(plan: ProductionPlan) -> set[str]:
    return {parse_bates(doc.bates_begin).prefix for doc in plan.documents}


def ingest(
    rt: Runtime,
    actor: Actor,
    *,
    matter_id: int,
    party_id: int,
    plan: ProductionPlan,
    source: VolumeSource,
    progress: Progress | None = None,
    unbranded: bool = False,
) -> Production:
    """``unbranded``: the volume's page images (and PDF natives) arrived without Bates
    numbers and legends: they are burned in as each file is stored (BRIEF §7)."""
    try:
        check_volume_name(plan.volume)
        try:
            return _ingest(rt, actor, matter_id, party_id, plan, source, progress, unbranded)
        except SQLAlchemyError as exc:
            # validation should have caught it; if the database still refuses, say so plainly
            raise Invalid(
                f"the database refused volume {plan.volume}: "
                f"{type(getattr(exc, 'orig', None) or exc).__name__}"
            ) from exc
    except GatewayError as error:
        audit_failure(rt, actor, matter_id, plan.volume, error)
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
    unbranded: bool,
) -> Production:
    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        party = session.get(Party, party_id)
        if party is None or party.matter_id != matter_id:
            raise Invalid(f"party: no party {party_id} in matter {matter.case_number}")
        _check_free(session, matter, party.id, plan)
        legend_of = legends(rt.policies.for_matter(session, matter_id).policy.tiers)
    mkey = matter_key(rt, matter)
    uids = [DocumentUids.new() for _ in plan.documents]
    stored: dict[int, list[tuple[FileToStore, StoredFile]]] = {}
    written: list[str] = []
    try:
        for item in files_of(plan):
            ids = uids[item.doc_index]
            place = Place(ids.document, ids.version, item.role, item.page_no)
            try:
                item = _sniffed(source, item)
                if item.data is not None:
                    chunks: Iterator[bytes] = iter([item.data])
                elif unbranded and brandable(item.role, item.media_type or ""):
                    chunks = iter(
                        [_branded(source, item, plan.documents[item.doc_index], legend_of)]
                    )
                else:
                    chunks = _chunks(source.open(item.path))
                binding = Binding.new(plan.documents[item.doc_index].designation, party.id)
                result = store_file(rt, matter, mkey, place, chunks, binding)
            except OSError as exc:
                raise LoadFileError(
                    f"cannot read: {exc.strerror or exc}", file=source.describe(item.path)
                ) from exc
            written.append(result.blob_key)
            stored.setdefault(item.doc_index, []).append((item, result))
            if progress:
                progress(1)
        return _commit(rt, actor, matter, party, plan, mkey, uids, stored, unbranded)
    except BaseException:
        for key in written:
            rt.blobs.delete(key)
        raise


def lock_matter(session: Session, matter_id: int) -> None:
    """Serialize producers within a matter, so two overlapping Bates ranges cannot both pass
    the overlap check (SQLite's BEGIN IMMEDIATE already serializes every writer)."""
    session.execute(select(Matter.id).where(Matter.id == matter_id).with_for_update())


def _check_free(session: Session, matter: Matter, party_id: int, plan: ProductionPlan) -> None:
    matter_id = matter.id
    check_series(session, matter_id, party_id, prefixes_of(plan))
    too_long = [
        f"line {doc.line}: {why}"
        for doc in plan.documents
        if (why := check_span(matter, doc.bates_begin, doc.bates_end))
    ]
    if too_long:
        raise Invalid("; ".join(too_long[:20]))
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
    uids: list[DocumentUids],
    stored: dict[int, list[tuple[FileToStore, StoredFile]]],
    unbranded: bool = False,
) -> Production:
    now = rt.now()
    with rt.transaction() as session:
        lock_matter(session, matter.id)
        _check_free(session, matter, party.id, plan)  # again, now that no one else can produce
        claimed = claim_series(rt, session, matter.id, party.id, prefixes_of(plan))
        production = Production(
            matter_id=matter.id,
            producing_party_id=party.id,
            volume=plan.volume,
            produced_at=now,
            document_count=len(plan.documents),
            page_count=sum(page_count(d) for d in plan.documents),
            branded_at_ingest=unbranded,
        )
        session.add(production)
        session.flush()
        for index, planned in enumerate(plan.documents):
            add_document(
                session,
                matter,
                party,
                production,
                planned,
                mkey,
                uids[index],
                stored.get(index, []),
                now,
            )
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.PRODUCTION_INGESTED,
                outcome=Outcome.ALLOWED,
                actor=actor,
                matter_id=matter.id,
                details={
                    "volume": plan.volume,
                    "party": party.name,
                    "documents": len(plan.documents),
                    "pages": production.page_count,
                    "files": sum(len(v) for v in stored.values()),
                    **({"branded_at_ingest": True} if unbranded else {}),
                    **plan.sources,
                    **({"claimed_prefixes": claimed} if claimed else {}),
                },
            ),
        )
        return production


def page_count(planned: PlannedDocument) -> int:
    """Imaged pages, or for a native-only document the pages its Bates range counts."""
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
    uids: DocumentUids,
    files: list[tuple[FileToStore, StoredFile]],
    now: datetime,
) -> Document:
    prefix, begin_no, _ = parse_bates(planned.bates_begin)
    _, end_no, _ = parse_bates(planned.bates_end)
    doc = Document(
        uid=uids.document,
        matter_id=matter.id,
        production_id=production.id,
        producing_party_id=party.id,
        designating_party_id=party.id,
        bates_begin=planned.bates_begin,
        bates_end=planned.bates_end,
        bates_prefix=prefix,
        bates_begin_no=begin_no,
        bates_end_no=end_no,
        page_count=page_count(planned),
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
    version = DocumentVersion(uid=uids.version, document_id=doc.id, kind="original", created_at=now)
    session.add(version)
    session.flush()
    doc.current_version_id = version.id
    for item, result in files:
        name = item.path.replace("\\", "/").rsplit("/", 1)[-1]
        media_type = item.media_type or media_type_of(name)
        branded = planned.designation if brandable(item.role, media_type) else None
        session.add(
            file_row(version.id, item.role, item.page_no, name, media_type, result, branded)
        )
    return doc


def file_row(
    version_id: int,
    role: str,
    page_no: int | None,
    name: str,
    media_type: str,
    stored: StoredFile,
    branded_as: str | None,
) -> DocumentFile:
    """The row of a file just stored for a version."""
    return DocumentFile(
        version_id=version_id,
        role=role,
        page_no=page_no,
        file_name=name,
        media_type=media_type,
        branded_as=branded_as,
        blob_key=stored.blob_key,
        wrapped_data_key=stored.wrapped_data_key,
        plaintext_size=stored.plaintext_size,
        ciphertext_size=stored.ciphertext_size,
        sha256=stored.sha256,
        crc32=stored.crc32,
    )


def _sniffed(source: VolumeSource, item: FileToStore) -> FileToStore:
    """The item with its media type: a native that is a PDF by its first bytes is one,
    whatever its name says (it carries a legend, and a change of designation re-brands
    it); any other file is typed by its name."""
    media_type = media_type_of(item.path)
    if item.role == "native" and item.data is None and media_type != PDF:
        with source.open(item.path) as handle:
            if handle.read(5) == b"%PDF-":
                media_type = PDF
    return dataclasses.replace(item, media_type=media_type)


def media_type_of(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _branded(
    source: VolumeSource, item: FileToStore, planned: PlannedDocument, legend_of: dict[str, str]
) -> bytes:
    """The file as stored for an unbranded volume: its pages' Bates numbers and legend
    burned in. A LoadFileError naming the file if that cannot be done."""
    where = source.describe(item.path)
    try:
        with source.open(item.path) as handle:
            seekable = handle if handle.seekable() else io.BytesIO(read_bounded(handle))
            return brand_file(
                seekable,
                role=item.role,
                media_type=item.media_type or media_type_of(item.path),
                bates_begin=planned.bates_begin,
                page_count=page_count(planned),
                page_no=item.page_no,
                legend=legend_for(legend_of, planned.designation),
            )
    except PdfRefused as exc:
        raise LoadFileError(f"cannot be branded: {exc.reason}", file=where) from None


def _email_of(value: str) -> str:
    """'Jane Roe <jane@x.example>' -> 'jane@x.example'."""
    value = value.strip()
    if "<" in value and value.endswith(">"):
        value = value[value.rfind("<") + 1 : -1]
    return value.strip().lower()
