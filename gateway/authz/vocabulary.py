"""The finite attribute space of the protective order: the same strings as in ``policies/``.

Designations are not here: they are the matter's tiers, data in ``policies/tiers.csv``
(see :class:`gateway.authz.policy.Tier`); :class:`DefaultTier` only names the three that every
default matter starts with.
"""

from __future__ import annotations

from enum import StrEnum

# In a rule, "*" matches any value of its column.
WILDCARD = "*"
# Matter-level actions carry "-" for relation, designation and state: they concern no document.
NOT_APPLICABLE = "-"


class Role(StrEnum):
    """A user's role in one matter (from the database; a user may hold several)."""

    OUTSIDE_COUNSEL = "outside_counsel"
    PARTY_EMPLOYEE = "party_employee"
    HOUSE_COUNSEL = "house_counsel"
    EXPERT = "expert"
    COURT = "court"
    VENDOR = "vendor"
    WITNESS = "witness"
    AUDITOR = "auditor"


class Ack(StrEnum):
    """Whether the user signed Exhibit A for this matter."""

    SIGNED = "signed"
    UNSIGNED = "unsigned"


class Disclosure(StrEnum):
    """Whether the §7.4 disclosure procedure cleared (no timely objection, or the court allowed)."""

    CLEARED = "cleared"
    NOT_CLEARED = "not_cleared"


class Relation(StrEnum):
    """The user's relation to one document, computed in SQL per document."""

    PRODUCER = "producer"
    NAMED = "named"
    OTHER = "other"


class State(StrEnum):
    PRODUCED = "produced"
    SEQUESTERED = "sequestered"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"


class Action(StrEnum):
    DOCUMENT_LIST = "document:list"
    DOCUMENT_VIEW = "document:view"
    DOCUMENT_DOWNLOAD = "document:download"
    AUDIT_READ_ALL = "audit:read_all"
    AUDIT_READ_SIDE = "audit:read_side"
    PRODUCTION_UPLOAD = "production:upload"
    ACKNOWLEDGMENT_SIGN = "acknowledgment:sign"


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


class DefaultTier(StrEnum):
    """The default matter's tiers; a matter's ``tiers.csv`` may add more."""

    PUBLIC = "PUBLIC"
    CONFIDENTIAL = "CONFIDENTIAL"
    AEO = "AEO"


DOCUMENT_ACTIONS: frozenset[Action] = frozenset(
    {Action.DOCUMENT_LIST, Action.DOCUMENT_VIEW, Action.DOCUMENT_DOWNLOAD}
)
MATTER_ACTIONS: frozenset[Action] = frozenset(set(Action) - DOCUMENT_ACTIONS)
