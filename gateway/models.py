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
from gateway.matters.models import Acknowledgment, BatesPrefix, Matter, Membership, Party

__all__ = [
    "Acknowledgment",
    "ApiToken",
    "AuditAnchor",
    "AuditEntry",
    "BatesPrefix",
    "Document",
    "DocumentFile",
    "DocumentPerson",
    "DocumentVersion",
    "LoginFailure",
    "Matter",
    "Membership",
    "Party",
    "Production",
    "User",
    "WebSession",
]
