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
    COUNSEL_STAFF = "counsel_staff"
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


class Standing(StrEnum):
    """For whom the user acts in the matter: a party, a non-party (which may produce under
    the order but is not a Receiving Party), or nobody (the court, the auditor, neutrals)."""

    PARTY = "party"
    NON_PARTY = "non_party"
    NEUTRAL = "neutral"


class Affiliation(StrEnum):
    """Whether the person is now an officer, director or employee of a party of the matter.

    A fact about the person, not about a role: a bar on a party's people holds whatever
    role the person is enrolled under.
    """

    AFFILIATED = "affiliated"
    UNAFFILIATED = "unaffiliated"


class Relation(StrEnum):
    """The user's relation to one document, computed in SQL per document."""

    PRODUCER = "producer"  # the user's party produced it
    DESIGNATOR = "designator"  # the user's party designated it (material another produced)
    NAMED = "named"  # the user wrote, received or kept it
    OTHER = "other"


class Clearance(StrEnum):
    """Whether the §7.4 procedure cleared the user for the document's designating party
    (no timely objection, or the court allowed); computed in SQL per document."""

    CLEARED = "cleared"
    NOT_CLEARED = "not_cleared"


class Presented(StrEnum):
    """Whether the document was presented or lodged with the court under seal
    (FRCP 26(b)(5)(B)); computed in SQL per document."""

    PRESENTED = "presented"
    NOT_PRESENTED = "not_presented"


class State(StrEnum):
    PRODUCED = "produced"
    SEQUESTERED = "sequestered"
    WITHDRAWN = "withdrawn"
    REPLACED = "replaced"


class VersionKind(StrEnum):
    """The forms a document takes (BRIEF §7), most complete first: a user is served the
    first of them that user may see."""

    ORIGINAL = "original"
    PRIVILEGE_REDACTED = "privilege_redacted"
    PUBLIC_REDACTED = "public_redacted"


class Disposition(StrEnum):
    """How a version of a document was filed with the court."""

    LODGED_UNDER_SEAL = "lodged_under_seal"
    PUBLIC_FULL = "public_full"
    PUBLIC_REDACTED = "public_redacted"


class Action(StrEnum):
    DOCUMENT_LIST = "document:list"
    DOCUMENT_VIEW = "document:view"
    DOCUMENT_DOWNLOAD = "document:download"
    # the pages shown as images rendered and watermarked by the gateway, never the file
    DOCUMENT_RENDER = "document:render"
    # a native that is not a PDF or an image (a spreadsheet, an e-mail file, media) handed
    # over as itself; without it a download of such a document is its slip sheet
    DOCUMENT_DOWNLOAD_NATIVE = "document:download_native"
    AUDIT_READ_ALL = "audit:read_all"
    AUDIT_READ_SIDE = "audit:read_side"
    AUDIT_TRACE = "audit:trace"
    PRODUCTION_UPLOAD = "production:upload"
    DESIGNATION_CHANGE = "designation:change"
    CLAWBACK_NOTICE = "clawback:notice"
    CLAWBACK_PRESENT = "clawback:present"
    CLAWBACK_RULE = "clawback:rule"
    CERTIFICATION_SIGN = "certification:sign"
    VERSION_SUPPLY = "version:supply"
    REDACTION_READ = "redaction:read"
    FILING_RECORD = "filing:record"
    PRIVILEGE_LOG_READ = "privilege_log:read"
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
    {
        Action.DOCUMENT_LIST,
        Action.DOCUMENT_VIEW,
        Action.DOCUMENT_DOWNLOAD,
        Action.DOCUMENT_RENDER,
        Action.DOCUMENT_DOWNLOAD_NATIVE,
    }
)
MATTER_ACTIONS: frozenset[Action] = frozenset(set(Action) - DOCUMENT_ACTIONS)

# Roles that act for a party (or a non-party) and so must name one; roles that act for
# nobody and must not. Vendors and witnesses may do either.
PARTY_ROLES: frozenset[Role] = frozenset(
    {Role.OUTSIDE_COUNSEL, Role.COUNSEL_STAFF, Role.PARTY_EMPLOYEE, Role.HOUSE_COUNSEL, Role.EXPERT}
)
NEUTRAL_ROLES: frozenset[Role] = frozenset({Role.COURT, Role.AUDITOR})
# Roles that are by definition officers or employees of the party they act for.
EMPLOYEE_ROLES: frozenset[Role] = frozenset({Role.PARTY_EMPLOYEE, Role.HOUSE_COUNSEL})
# Roles the §7.4 procedure clears for a designating party's material.
DISCLOSURE_ROLES: frozenset[Role] = frozenset({Role.EXPERT, Role.HOUSE_COUNSEL})
# Roles whose access is bounded by a recorded window (the deposition, ¶7.2(f)).
WINDOWED_ROLES: frozenset[Role] = frozenset({Role.WITNESS})
