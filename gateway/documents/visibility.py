"""Turn a user's derived grants into one SQL condition over documents.

Casbin decides the protective order's rules once per policy version (gateway.authz); here
those permitted (relation, clearance, designation, state, presented) sets become a WHERE
clause, so a list of ten thousand documents costs one query, not ten thousand decisions.
Each attribute of a document as this user stands to it is computed in SQL as well, by the
expressions below, which are the only definition of those attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from gateway.authz.vocabulary import Action, Clearance, Presented, Relation, State, VersionKind
from gateway.documents.models import Document, DocumentPerson, DocumentVersion
from gateway.matters.service import MatterAccess

LIST = str(Action.DOCUMENT_LIST)
VIEW = str(Action.DOCUMENT_VIEW)
DOWNLOAD = str(Action.DOCUMENT_DOWNLOAD)
RENDER = str(Action.DOCUMENT_RENDER)
NATIVE = str(Action.DOCUMENT_DOWNLOAD_NATIVE)
# the pages are shown to whoever may render them or download the document
PAGES = (RENDER, DOWNLOAD)

# one action, or several of which any suffices
Actions = str | tuple[str, ...]


def allowed_for(access: MatterAccess, action: Actions) -> frozenset[tuple[str, ...]]:
    """The (relation, clearance, designation, state, presented) for which the user may
    ``action`` (any one of them, if several)."""
    if isinstance(action, str):
        return access.grants.for_action(action)
    found: frozenset[tuple[str, ...]] = frozenset()
    for one in action:
        found |= access.grants.for_action(one)
    return found


def relation_expr(access: MatterAccess) -> ColumnElement[str]:
    """'producer' if the user's party produced it, 'designator' if the user's party
    designated it, 'named' if the user is its author, recipient or custodian (matched on
    e-mail address only: a name can belong to two people), otherwise 'other'."""
    named = exists(
        select(DocumentPerson.id).where(
            DocumentPerson.document_id == Document.id,
            DocumentPerson.value == access.user.email.lower(),
        )
    )
    whens = []
    if access.side_party_id is not None:
        side = access.side_party_id
        whens.append((Document.producing_party_id == side, literal(str(Relation.PRODUCER))))
        whens.append((Document.designating_party_id == side, literal(str(Relation.DESIGNATOR))))
    whens.append((named, literal(str(Relation.NAMED))))
    return case(*whens, else_=literal(str(Relation.OTHER)))


def cleared_expr(access: MatterAccess) -> ColumnElement[bool]:
    """Whether the §7.4 procedure cleared the user for the document's designating party."""
    if not access.cleared_by:
        return false()
    return Document.designating_party_id.in_(sorted(access.cleared_by))


def presented_expr() -> ColumnElement[bool]:
    return Document.presented_at.is_not(None)


@dataclass(frozen=True)
class _Column:
    """One attribute of the grants: its values, and the SQL condition for a set of them.

    ``closed``: the SQL expression can only ever take the values of ``domain`` (it is
    computed), so a column allowed for all of them may drop out of the condition. A stored
    column (designation, state) is never closed: a value outside the policy's vocabulary,
    say a row edited behind the product's back, must match nothing.
    """

    domain: tuple[str, ...]
    condition: Callable[[Sequence[str]], ColumnElement[bool]]
    closed: bool = True


def _flag(expr: ColumnElement[bool], yes: str) -> Callable[[Sequence[str]], ColumnElement[bool]]:
    return lambda values: expr if values == [yes] else ~expr


def _columns(
    access: MatterAccess,
    designations: tuple[str, ...],
    designation: Any,
    state: Any,
) -> list[_Column]:
    """``designation``, ``state``: the columns of the version judged (the document's own for
    its original); relation, clearance and presented are the document's, whatever version."""
    relation = relation_expr(access)
    return [
        _Column(tuple(str(v) for v in Relation), lambda values: relation.in_(values)),
        _Column(
            (str(Clearance.CLEARED), str(Clearance.NOT_CLEARED)),
            _flag(cleared_expr(access), str(Clearance.CLEARED)),
        ),
        _Column(designations, lambda values: designation.in_(values), closed=False),
        _Column(tuple(str(v) for v in State), lambda values: state.in_(values), closed=False),
        _Column(
            (str(Presented.PRESENTED), str(Presented.NOT_PRESENTED)),
            _flag(presented_expr(), str(Presented.PRESENTED)),
        ),
    ]


def _condition(
    allowed: frozenset[tuple[str, ...]], columns: Sequence[_Column]
) -> ColumnElement[bool]:
    """The smallest-but-exact OR of ANDs for a set of allowed attribute tuples.

    Values of the first column that allow the same rest are grouped into one IN; a column
    whose every value allows the same rest drops out of the condition altogether.
    """
    if not allowed:
        return false()
    if not columns:
        return true()
    first, rest = columns[0], columns[1:]
    tails: dict[str, frozenset[tuple[str, ...]]] = {}
    for value in first.domain:
        tails[value] = frozenset(t[1:] for t in allowed if t[0] == value)
    groups: dict[frozenset[tuple[str, ...]], list[str]] = {}
    for value, tail in tails.items():
        if tail:
            groups.setdefault(tail, []).append(value)
    whole = len(groups) == 1 and len(next(iter(groups.values()))) == len(first.domain)
    if whole and first.closed:
        return _condition(next(iter(groups)), rest)
    return or_(
        *(and_(first.condition(values), _condition(tail, rest)) for tail, values in groups.items())
    )


def visible_clause(
    access: MatterAccess, action: Actions, kinds: Sequence[str] | None = None
) -> ColumnElement[bool]:
    """Documents of which the user may ``action`` at least one version: the original, on
    the document's own designation and state, or another version (of ``kinds``, if given)
    on its own."""
    allowed = allowed_for(access, action)
    if not allowed:
        return false()
    version = aliased(DocumentVersion)
    original, alternate = _version_conditions(access, allowed, version)
    return and_(
        Document.matter_id == access.matter.id,
        or_(original, _other_version(version, alternate, kinds)),
    )


# the versions that carry the document's description (title, custodian, file name, date):
# the original and its privilege-redacted replacement; a public-redacted version alone
# shows its content, never the description of the original it was made from
DESCRIBED_BY = (str(VersionKind.PRIVILEGE_REDACTED),)


def described_clause(access: MatterAccess) -> ColumnElement[bool]:
    """Documents whose description the user may view."""
    return visible_clause(access, VIEW, DESCRIBED_BY)


def _version_conditions(
    access: MatterAccess, allowed: frozenset[tuple[str, ...]], version: type[DocumentVersion]
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The condition on the original (the document's own columns), and on another version
    (the columns of ``version``)."""
    designations = tuple(sorted({g[2] for g in allowed}))
    original = _condition(
        allowed, _columns(access, designations, Document.designation, Document.state)
    )
    alternate = _condition(
        allowed, _columns(access, designations, version.designation, version.state)
    )
    return original, alternate


def _other_version(
    version: type[DocumentVersion],
    alternate: ColumnElement[bool],
    kinds: Sequence[str] | None = None,
) -> Any:
    kind = version.kind != str(VersionKind.ORIGINAL) if kinds is None else version.kind.in_(kinds)
    return and_(
        Document.alternates > 0,
        exists(select(version.id).where(version.document_id == Document.id, kind, alternate)),
    )


# most complete first: a user is served the first version that user may see
COMPLETENESS = {kind: rank for rank, kind in enumerate(str(k) for k in VersionKind)}


def version_clause(
    access: MatterAccess, action: Actions, version: type[DocumentVersion]
) -> ColumnElement[bool]:
    """Versions (rows of ``version``, of documents joined as ``Document``) the user may
    ``action``: the original by the document's designation and state, the others by their
    own."""
    allowed = allowed_for(access, action)
    if not allowed:
        return false()
    original, alternate = _version_conditions(access, allowed, version)
    return and_(
        Document.matter_id == access.matter.id,
        or_(
            and_(version.kind == str(VersionKind.ORIGINAL), original),
            and_(version.kind != str(VersionKind.ORIGINAL), alternate),
        ),
    )


def completeness(version: type[DocumentVersion]) -> ColumnElement[int]:
    return case(
        *((version.kind == kind, literal(rank)) for kind, rank in COMPLETENESS.items()),
        else_=literal(len(COMPLETENESS)),
    )


@dataclass(frozen=True)
class DocumentFacts:
    """One document's attributes as this user stands to it (for explaining a refusal)."""

    relation: str
    clearance: str
    presented: str


def facts_of(session: Session, access: MatterAccess, document_id: int) -> DocumentFacts:
    """The same expressions as the SQL filter, evaluated for one document (or for none:
    a missing document costs the same query, so the two cannot be told apart by time)."""
    row = session.execute(
        select(relation_expr(access), cleared_expr(access), presented_expr()).where(
            Document.id == document_id
        )
    ).first()
    if row is None:
        return DocumentFacts(str(Relation.OTHER), str(Clearance.NOT_CLEARED), "not_presented")
    relation, cleared, presented = row
    return DocumentFacts(
        relation=str(relation),
        clearance=str(Clearance.CLEARED if cleared else Clearance.NOT_CLEARED),
        presented=str(Presented.PRESENTED if presented else Presented.NOT_PRESENTED),
    )
