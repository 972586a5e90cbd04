"""Which version of a document a user is served, and which versions a user may know of.

A document holds its original and, after the order's workflows, redacted versions (BRIEF
§7), each with its own designation and state. A user is served the most complete version
that user may see (the original before a privilege-redacted one, that before a public
redacted one); a document is listed if any of its versions may be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from gateway.authz.vocabulary import VersionKind
from gateway.db import batches
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.visibility import Actions, completeness, version_clause
from gateway.matters.service import MatterAccess


def served_version(
    session: Session, access: MatterAccess, doc: Document, action: Actions
) -> DocumentVersion | None:
    """The most complete version of ``doc`` the user may ``action``, or None."""
    version = aliased(DocumentVersion)
    return session.scalar(
        select(version)
        .join(Document, Document.id == version.document_id)
        .where(version.document_id == doc.id, version_clause(access, action, version))
        .order_by(completeness(version), version.id)
        .limit(1)
    )


def served_versions(
    session: Session, access: MatterAccess, doc_ids: Iterable[int], action: Actions
) -> dict[int, DocumentVersion]:
    """``served_version`` for many documents in one query."""
    found = visible_versions(session, access, doc_ids, action)
    return {doc_id: versions[0] for doc_id, versions in found.items() if versions}


def visible_versions(
    session: Session, access: MatterAccess, doc_ids: Iterable[int], action: Actions
) -> dict[int, list[DocumentVersion]]:
    """Every version of each document the user may ``action``, most complete first."""
    ids = sorted(set(doc_ids))
    result: dict[int, list[DocumentVersion]] = {i: [] for i in ids}
    if not ids:
        return result
    version = aliased(DocumentVersion)
    for v in session.scalars(
        select(version)
        .join(Document, Document.id == version.document_id)
        .where(version.document_id.in_(ids), version_clause(access, action, version))
        .order_by(version.document_id, completeness(version), version.id)
    ):
        result[v.document_id].append(v)
    return result


def files_of(session: Session, version: DocumentVersion) -> list[DocumentFile]:
    return list(
        session.scalars(
            select(DocumentFile)
            .where(DocumentFile.version_id == version.id, DocumentFile.superseded_at.is_(None))
            .order_by(DocumentFile.role, DocumentFile.page_no, DocumentFile.id)
        )
    )


def designation_of(doc: Document, version: DocumentVersion) -> str:
    return version.designation or doc.designation


def state_of(doc: Document, version: DocumentVersion) -> str:
    return version.state or doc.state


def is_original(version: DocumentVersion) -> bool:
    return version.kind == str(VersionKind.ORIGINAL)


def alternates(session: Session, doc: Document) -> list[DocumentVersion]:
    """The document's versions other than the original."""
    return alternates_many(session, [doc])[doc.id]


def alternates_many(session: Session, docs: Sequence[Document]) -> dict[int, list[DocumentVersion]]:
    """``alternates`` of each of ``docs``, by document id."""
    found: dict[int, list[DocumentVersion]] = {d.id: [] for d in docs}
    for batch in batches([d.id for d in docs if d.alternates]):
        for v in session.scalars(
            select(DocumentVersion)
            .where(
                DocumentVersion.document_id.in_(batch),
                DocumentVersion.kind != str(VersionKind.ORIGINAL),
            )
            .order_by(DocumentVersion.id)
        ):
            found[v.document_id].append(v)
    return found


def public_record(session: Session, doc: Document) -> bool:
    """Whether the original was filed on the public docket in full (a public record)."""
    return doc.id in public_records(session, [doc])


def public_records(session: Session, docs: Sequence[Document]) -> set[int]:
    """The ids of those of ``docs`` that are public records."""
    originals = {d.current_version_id: d.id for d in docs if d.current_version_id is not None}
    found: set[int] = set()
    for batch in batches(list(originals)):
        found.update(
            originals[v]
            for v in session.scalars(
                select(DocumentVersion.id).where(
                    DocumentVersion.id.in_(batch), DocumentVersion.public_record_at.is_not(None)
                )
            )
        )
    return found
