from __future__ import annotations

from enum import StrEnum


class Tag(StrEnum):
    """What an audit entry records. The string is stored; never rename one."""

    LOGIN = "auth:login"
    LOGIN_FAILED = "auth:login_failed"
    LOGOUT = "auth:logout"
    TOKEN_ISSUED = "auth:token_issued"  # noqa: S105 - a tag, not a secret
    TOKEN_REVOKED = "auth:token_revoked"  # noqa: S105
    TOKEN_REFUSED = "auth:token_refused"  # noqa: S105
    # unauthenticated refusals, counted per address over an interval (one entry each)
    REFUSALS_COUNTED = "auth:refusals"
    MATTER_OPENED = "matter:open"
    DOCUMENT_LIST = "document:list"
    DOCUMENT_VIEW = "document:view"
    DOCUMENT_DOWNLOAD = "document:download"
    DOCUMENT_HEAD = "document:head"  # HEAD on the content: its size and type, no bytes
    # written when a download's stream ends: the SHA-256 and size of exactly what was sent
    # (a marked copy's are known only then), or that the stream was cut
    DOCUMENT_SERVED = "document:served"
    VOLUME_DOWNLOAD = "production:download"
    # a volume, a selection or an overlay in the review platforms' layout (gateway.exports)
    PRODUCTION_EXPORT = "production:export"
    # an overlay volume applied by the receiving side's operator (gateway.documents.overlays)
    OVERLAY_APPLIED = "production:overlay"
    # one page shown as a watermarked image: the entry whose seq its token names
    DOCUMENT_PAGE_VIEW = "document:page_view"
    # the image that page view served, written once it exists: its token and SHA-256
    DOCUMENT_PAGE_SERVED = "document:page_served"
    ACKNOWLEDGMENT_SIGNED = "acknowledgment:sign"
    PRODUCTION_INGESTED = "production:ingest"
    PRODUCTION_INGEST_FAILED = "production:ingest_failed"
    DOCUMENT_UPLOADED = "production:upload"
    DESIGNATION_CHANGED = "document:designation"
    CLAWBACK_NOTICED = "clawback:notice"
    CLAWBACK_PRESENTED = "clawback:present"
    CLAWBACK_RULED = "clawback:rule"
    CLAWBACK_READ = "clawback:read"
    CERTIFICATION_READ = "certification:read"
    CERTIFICATION_SIGNED = "certification:sign"
    VERSION_SUPPLIED = "version:supply"
    VERSIONS_READ = "version:list"
    VERSION_REBRANDED = "version:rebrand"
    VERSION_REDACTED = "version:redact"
    REDACTIONS_READ = "redaction:read"
    FILING_RECORDED = "filing:record"
    FILINGS_READ = "filing:list"
    # a privilege log generated for a reader (FRCP 26(b)(5)(A)): its format and row count
    PRIVILEGE_LOG_GENERATED = "privilege_log:generate"
    # the claimant describes a claimed document for the log, in words of its own
    PRIVILEGE_LOG_DESCRIBED = "privilege_log:describe"
    POLICY_CHANGED = "policy:change"
    AUDIT_READ = "audit:read"
    AUDIT_EXPORT = "audit:export"
    # which download a found file came from (gateway.audit.trace)
    AUDIT_TRACE = "audit:trace"
    # the old hash chain, verified and carried into the Merkle logs (migration 0017)
    AUDIT_CARRIED_OVER = "audit:carried_over"
    # a proof of an entry's inclusion, or of a log's consistency, handed to a reader
    AUDIT_PROOF = "audit:proof"
    USER_CREATED = "user:create"
    USER_CHANGED = "user:change"
    MEMBERSHIP_CHANGED = "membership:change"
    MATTER_CREATED = "matter:create"
    BATES_PREFIX_CHANGED = "matter:bates_prefix"
    MATTER_SETTING_CHANGED = "matter:setting"
    STORAGE_SWEPT = "storage:sweep"
    STORAGE_REBOUND = "storage:rebind"
    DEADLINE_COMPUTED = "calendar:deadline"
    # the operator reads every matter's dated obligations (pogw deadlines)
    OBLIGATIONS_READ = "obligation:read"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    ABORTED = "aborted"  # allowed, then cut short (a stored file failed its check)
    FAILED = "failed"  # a stream that ended before its last byte (the client went away)
