"""Imports every model so that metadata and Alembic see all tables."""

from gateway.accounts.models import ApiToken, LoginFailure, User, WebSession
from gateway.audit.models import AuditAnchor, AuditEntry
from gateway.documents.models import (
    Document,
    DocumentFile,
    DocumentPerson,
    DocumentVersion,
    Production,
)
from gateway.matters.models import (
    Acknowledgment,
    BatesPrefix,
    CasbinRule,
    Clearance,
    Matter,
    MatterPolicy,
    Membership,
    Party,
    PartyAffiliation,
)
from gateway.orders.models import (
    Certification,
    CertificationCopy,
    Clawback,
    ClawbackItem,
    LogDescription,
    Notice,
    Obligation,
    OutboxMessage,
    PageDesignation,
    Presentation,
    Redaction,
)

__all__ = [
    "Acknowledgment",
    "ApiToken",
    "AuditAnchor",
    "AuditEntry",
    "BatesPrefix",
    "CasbinRule",
    "Certification",
    "CertificationCopy",
    "Clawback",
    "ClawbackItem",
    "Clearance",
    "Document",
    "DocumentFile",
    "DocumentPerson",
    "DocumentVersion",
    "LogDescription",
    "LoginFailure",
    "Matter",
    "MatterPolicy",
    "Membership",
    "Notice",
    "Obligation",
    "OutboxMessage",
    "PageDesignation",
    "Party",
    "PartyAffiliation",
    "Presentation",
    "Production",
    "Redaction",
    "User",
    "WebSession",
]
