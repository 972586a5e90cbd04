"""Finding, showing and serving documents to one user under the protective order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.tags import Outcome, Tag
from gateway.authz.vocabulary import Action, State
from gateway.documents.models import Document, DocumentVersion, Production
from gateway.documents.natives import kind_of, pageless_native
from gateway.documents.versions import (
    designation_of,
    files_of,
    public_record,
    served_version,
    visible_versions,
)
from gateway.documents.visibility import (
    DOWNLOAD,
    LIST,
    NATIVE,
    PAGES,
    VIEW,
    described_clause,
    facts_of,
    visible_clause,
)
from gateway.errors import BadRequest, NotFound
from gateway.ingest.plan import parse_bates
from gateway.matters.models import Party
from gateway.matters.service import (
    SIGN_FOR_MORE,
    MatterAccess,
    require_acknowledged,
    resolve_access,
)
from gateway.runtime import Refused, Runtime

MAX_PER_PAGE = 500
NOT_FOUND_MESSAGE = "no such document in this matter"


@dataclass(frozen=True)
class DocumentQuery:
    q: str = ""
    bates: str = ""
    bates_from: str = ""
    bates_to: str = ""
    family: str = ""
    custodian: str = ""
    designation: str = ""
    production: str = ""
    page: int = 1
    per_page: int = 50

    def validate(self) -> None:
        if self.page < 1:
            raise BadRequest("page: must be 1 or more")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise BadRequest(f"per_page: must be between 1 and {MAX_PER_PAGE}")


@dataclass
class DocumentPage:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    filters: dict[str, str] = field(default_factory=dict)
    # the user has not signed Exhibit A, and signing it would show more
    acknowledgment_required: bool = False


def _bates_number(text: str, name: str) -> tuple[str, int]:
    try:
        prefix, number, _width = parse_bates(text.strip())
    except ValueError as exc:
        raise BadRequest(f"{name}: not a Bates number: {text!r}") from exc
    return prefix, number


def _apply_filters(stmt: Select[Any], query: DocumentQuery, view: Any) -> Select[Any]:
    if query.bates:
        prefix, number = _bates_number(query.bates, "bates")
        stmt = stmt.where(
            Document.bates_prefix == prefix,
            Document.bates_begin_no <= number,
            Document.bates_end_no >= number,
        )
    if query.bates_from or query.bates_to:
        if not (query.bates_from and query.bates_to):
            raise BadRequest("bates_from and bates_to: give both ends of the range")
        prefix, low = _bates_number(query.bates_from, "bates_from")
        prefix_to, high = _bates_number(query.bates_to, "bates_to")
        if prefix != prefix_to or low > high:
            raise BadRequest("bates_from, bates_to: not a range (same prefix, low to high)")
        stmt = stmt.where(
            Document.bates_prefix == prefix,
            Document.bates_end_no >= low,
            Document.bates_begin_no <= high,
        )
    if query.family:
        stmt = stmt.where(Document.family_id == query.family)
    if query.designation:
        stmt = stmt.where(Document.designation == query.designation.upper())
    if query.production:
        stmt = stmt.where(
            Document.production_id.in_(
                select(Production.id).where(Production.volume == query.production)
            )
        )
    if query.custodian:
        # descriptive metadata is searched only where the user may view it
        stmt = stmt.where(
            and_(view, Document.custodian.ilike(f"%{_like(query.custodian)}%", escape="\\"))
        )
    if query.q:
        pattern = f"%{_like(query.q)}%"
        stmt = stmt.where(
            or_(
                Document.bates_begin.ilike(pattern, escape="\\"),
                Document.bates_end.ilike(pattern, escape="\\"),
                and_(
                    view,
                    or_(
                        Document.title.ilike(pattern, escape="\\"),
                        Document.custodian.ilike(pattern, escape="\\"),
                        Document.file_name.ilike(pattern, escape="\\"),
                    ),
                ),
            )
        )
    return stmt


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_documents(
    rt: Runtime, user: User, matter_id: int, query: DocumentQuery, *, address: str
) -> DocumentPage:
    query.validate()
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, Tag.DOCUMENT_LIST)
        listable = visible_clause(access, LIST)
        base = _apply_filters(select(Document).where(listable), query, described_clause(access))
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.scalars(
            base.order_by(Document.bates_prefix, Document.bates_begin_no)
            .offset((query.page - 1) * query.per_page)
            .limit(query.per_page)
        ).all()
        items = _serialize_many(session, access, list(rows), _legends(access))
        filters = {
            k: str(v) for k, v in query.__dict__.items() if v and k not in {"page", "per_page"}
        }
        rt.audit(
            session,
            access.event(
                Tag.DOCUMENT_LIST,
                Outcome.ALLOWED,
                details={"filters": filters, "total": total, "page": query.page},
            ),
        )
        return DocumentPage(
            items,
            total,
            query.page,
            query.per_page,
            filters,
            acknowledgment_required=access.acknowledgment_required,
        )


def _legends(access: MatterAccess) -> dict[str, str]:
    return {tier.code: tier.legend for tier in access.policy.tiers}


def _ids_where(session: Session, ids: list[int], clause: Any) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Document.id).where(Document.id.in_(ids), clause)))


def _family_members(
    session: Session, access: MatterAccess, family_ids: set[str]
) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {fid: [] for fid in family_ids}
    if not family_ids:
        return members
    stmt = (
        select(Document.family_id, Document.bates_begin)
        .where(Document.family_id.in_(sorted(family_ids)), visible_clause(access, LIST))
        .order_by(Document.bates_prefix, Document.bates_begin_no)
    )
    for family_id, bates in session.execute(stmt):
        members[family_id].append(bates)
    return members


def _serialize_many(
    session: Session, access: MatterAccess, rows: list[Document], legends: dict[str, str]
) -> list[dict[str, Any]]:
    ids = [d.id for d in rows]
    viewable = _ids_where(session, ids, visible_clause(access, VIEW))
    described = _ids_where(session, ids, described_clause(access))
    downloadable = _ids_where(session, ids, visible_clause(access, DOWNLOAD))
    pageable = _ids_where(session, ids, visible_clause(access, PAGES))
    seeable = visible_versions(session, access, viewable, VIEW)
    families = _family_members(session, access, {d.family_id for d in rows})
    volumes = dict(
        session.execute(
            select(Production.id, Production.volume).where(
                Production.id.in_({d.production_id for d in rows})
            )
        ).all()
    )
    parties = dict(
        session.execute(
            select(Party.id, Party.name).where(
                Party.id.in_(
                    {d.producing_party_id for d in rows} | {d.designating_party_id for d in rows}
                )
            )
        ).all()
    )
    return [
        serialize(
            d,
            legend=legends.get(d.designation, d.designation),
            volume=volumes.get(d.production_id, ""),
            producing_party=parties.get(d.producing_party_id, ""),
            designating_party=parties.get(d.designating_party_id, ""),
            family_members=families.get(d.family_id, []),
            can_view=d.id in viewable,
            can_download=d.id in downloadable,
            can_view_pages=d.id in pageable,
            described=d.id in described,
            versions=[v.kind for v in seeable.get(d.id, [])],
            served=next(iter(seeable.get(d.id, [])), None),
        )
        for d in rows
    ]


def serialize(
    doc: Document,
    *,
    legend: str,
    volume: str,
    producing_party: str,
    designating_party: str,
    family_members: list[str],
    can_view: bool,
    can_download: bool,
    versions: list[str] | None = None,
    served: DocumentVersion | None = None,
    described: bool | None = None,
    can_view_pages: bool = False,
) -> dict[str, Any]:
    """``described``: whether the document's description (title, custodian, file name,
    date) is shown; by default wherever it may be viewed. A user who may see only a
    public-redacted version is not shown the description of the original."""
    if described is None:
        described = can_view
    item: dict[str, Any] = {
        "bates_begin": doc.bates_begin,
        "bates_end": doc.bates_end,
        "page_count": doc.page_count,
        "designation": doc.designation,
        "legend": legend,
        "state": doc.state,
        "production": volume,
        "producing_party": producing_party,
        "designating_party": designating_party,
        "family": {"id": doc.family_id, "members": family_members},
        "can_view": can_view,
        "can_download": can_download,
        # the pages, shown one at a time as watermarked images (never the file)
        "can_view_pages": can_view_pages,
        # the kinds of version the caller may see, most complete first
        "versions": list(versions or []),
    }
    if can_view and served is not None:
        # what the caller is shown and served: the most complete version it may see
        item["served_version"] = {
            "kind": served.kind,
            "designation": designation_of(doc, served),
        }
    if can_view and described:
        item.update(
            title=doc.title,
            custodian=doc.custodian,
            file_name=doc.file_name,
            date=doc.doc_date,
        )
    elif not can_view:
        # a slip sheet: the Bates number holds its place, nothing more is shown
        item["slip"] = f"Document {doc.state}: not available under the protective order"
    return item


def _actions(session: Session, access: MatterAccess, doc: Document, can_view: bool) -> list[str]:
    """What the caller's roles would let it do with this document by the order's
    workflows (a hint for clients and pages; each workflow's service still decides)."""
    side = access.side_party_id
    own = side is not None and side in (doc.producing_party_id, doc.designating_party_id)
    public = public_record(session, doc)
    possible = {
        Action.DESIGNATION_CHANGE: side == doc.designating_party_id
        and doc.state != str(State.SEQUESTERED)
        and not public,
        Action.CLAWBACK_NOTICE: own
        and doc.state in (str(State.PRODUCED), str(State.REPLACED))
        and not public,
        Action.VERSION_SUPPLY: own,
        Action.FILING_RECORD: can_view,
    }
    return [str(a) for a, fits in possible.items() if fits and access.may(a)]


def find_document(
    session: Session, access: MatterAccess, bates: str, clause: Any, *, lock: bool = False
) -> Document | None:
    """``lock``: for a workflow about to change the document, which holds its row until the
    transaction ends, so that two changes never both pass their checks on the same state."""
    query = select(Document).where(
        Document.matter_id == access.matter.id, Document.bates_begin == bates, clause
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def refuse_hidden(
    session: Session, rt: Runtime, access: MatterAccess, bates: str, tag: Tag, action: str
) -> Refused:
    """A document the user may not see is refused exactly like one that does not exist;
    only the audit trail says which it was, and by which rule.

    Both cases do the same work (one look-up, one relation query, one policy decision) so
    that the time taken does not tell them apart either.
    """
    doc = session.scalar(
        select(Document).where(
            Document.matter_id == access.matter.id, Document.bates_begin == bates
        )
    )
    facts = facts_of(session, access, doc.id if doc else -1)
    designations = access.policy.designations
    designation = doc.designation if doc else designations[-1]
    decision = access.authorizer.explain(
        access.roles,
        (
            access.ack,
            access.standing,
            access.affiliation,
            facts.relation,
            facts.clearance,
            # a value outside the policy (a row changed behind the product's back) is
            # explained as the strictest tier: it is refused either way
            designation if designation in designations else designations[-1],
            doc.state if doc else "produced",
            facts.presented,
            action,
        ),
    )
    if doc is None:
        event = access.event(tag, Outcome.DENIED, bates=bates[:100], reason="no such document")
    else:
        event = access.event(
            tag,
            Outcome.DENIED,
            document_id=doc.id,
            bates=bates[:100],
            reason=decision.reason,
            rule=",".join(decision.rule or ()),
        )
    return Refused(NotFound(not_found_message(access)), event)


def not_found_message(access: MatterAccess) -> str:
    """The same words for a hidden and a missing document; a user who has not signed
    Exhibit A is reminded that signing may show more (true of every Bates number alike)."""
    if access.acknowledgment_required:
        return f"{NOT_FOUND_MESSAGE}; {SIGN_FOR_MORE}"
    return NOT_FOUND_MESSAGE


def get_document(
    rt: Runtime, user: User, matter_id: int, bates: str, *, address: str
) -> dict[str, Any]:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, Tag.DOCUMENT_VIEW)
        doc = find_document(session, access, bates, visible_clause(access, LIST))
        if doc is None:
            raise refuse_hidden(session, rt, access, bates, Tag.DOCUMENT_VIEW, VIEW)
        item = _serialize_many(session, access, [doc], _legends(access))[0]
        item["actions"] = _actions(session, access, doc, item["can_view"])
        version = served_version(session, access, doc, VIEW) if item["can_view"] else None
        if version is not None:
            item["files"] = [
                {
                    "role": f.role,
                    "page": f.page_no,
                    "file_name": f.file_name,
                    "media_type": f.media_type,
                    "size": f.plaintext_size,
                    "sha256": f.sha256,
                }
                for f in files_of(session, version)
            ]
            item.update(_native(session, access, doc, version))
        rt.audit(
            session,
            access.event(
                Tag.DOCUMENT_VIEW,
                Outcome.ALLOWED,
                document_id=doc.id,
                bates=doc.bates_begin,
                reason="metadata" if item["can_view"] else "slip sheet only",
            ),
        )
        return item


def _native(
    session: Session, access: MatterAccess, doc: Document, version: DocumentVersion
) -> dict[str, Any]:
    """For a native without pages (a spreadsheet, an e-mail file): what it is, and whether
    a download of it hands it over or serves its slip sheet."""
    native = pageless_native(files_of(session, version))
    if native is None:
        return {}
    allowed = served_version(session, access, doc, NATIVE)
    given = allowed is not None and allowed.id == version.id
    return {"native": {"file_name": native.file_name, "kind": kind_of(native), "given": given}}


def list_productions(
    rt: Runtime, user: User, matter_id: int, *, address: str
) -> list[dict[str, Any]]:
    """Production volumes with at least one document this user may list, and how many.

    Counts are of visible documents only: a volume's full size would reveal how much is
    hidden from this user, and a volume with nothing visible is not named at all.
    """
    from gateway.matters.models import Party

    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, Tag.DOCUMENT_LIST)
        stmt = (
            select(Production.volume, Party.name, Production.produced_at, func.count(Document.id))
            .join(Document, Document.production_id == Production.id)
            .join(Party, Party.id == Production.producing_party_id)
            .where(Production.matter_id == matter_id, visible_clause(access, LIST))
            .group_by(Production.id, Production.volume, Party.name, Production.produced_at)
            .order_by(Production.produced_at, Production.volume)
        )
        items = [
            {
                "volume": volume,
                "producing_party": party,
                "produced_at": at.isoformat(),
                "documents": count,
            }
            for volume, party, at, count in session.execute(stmt)
        ]
        rt.audit(
            session,
            access.event(Tag.DOCUMENT_LIST, Outcome.ALLOWED, details={"productions": len(items)}),
        )
        return items
