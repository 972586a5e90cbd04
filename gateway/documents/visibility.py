"""Turn a user's derived grants into one SQL condition over documents.

Casbin decides the protective order's rules once per policy version (gateway.authz);
here those permitted (relation, designation, state) sets become a WHERE clause, so a
list of ten thousand documents costs one query, not ten thousand decisions. Each
document's relation to the user is computed in SQL as well.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, and_, case, exists, false, literal, or_, select

from gateway.authz.vocabulary import Action
from gateway.documents.models import Document, DocumentPerson
from gateway.matters.service import MatterAccess

LIST = str(Action.DOCUMENT_LIST)
VIEW = str(Action.DOCUMENT_VIEW)
DOWNLOAD = str(Action.DOCUMENT_DOWNLOAD)


def relation_expr(access: MatterAccess) -> ColumnElement[str]:
    """'producer' if the user's party produced it, 'named' if the user is its author,
    recipient or custodian (matched on e-mail address only: a name can belong to two
    people), otherwise 'other'."""
    named = exists(
        select(DocumentPerson.id).where(
            DocumentPerson.document_id == Document.id,
            DocumentPerson.value == access.user.email.lower(),
        )
    )
    whens = []
    if access.side_party_id is not None:
        whens.append((Document.producing_party_id == access.side_party_id, literal("producer")))
    whens.append((named, literal("named")))
    return case(*whens, else_=literal("other"))


def visible_clause(access: MatterAccess, action: str) -> ColumnElement[bool]:
    relation = relation_expr(access)
    branches = []
    for rel, by_action in sorted(access.grants.by_relation().items()):
        pairs = by_action.get(action) or set()
        if not pairs:
            continue
        states_by_designation: dict[str, set[str]] = defaultdict(set)
        for designation, state in pairs:
            states_by_designation[designation].add(state)
        per_designation = [
            and_(Document.designation == designation, Document.state.in_(sorted(states)))
            for designation, states in sorted(states_by_designation.items())
        ]
        branches.append(and_(relation == rel, or_(*per_designation)))
    if not branches:
        return false()
    return and_(Document.matter_id == access.matter.id, or_(*branches))
