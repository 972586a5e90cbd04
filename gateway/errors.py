"""One error hierarchy for the whole gateway: an HTTP status, a machine code, a message.

Domain code raises these; the API turns them into ``{"error": {"code", "message"}}`` and
the web into an HTML page. Codes are the shared vocabulary of BRIEF §7.
"""

from __future__ import annotations


class GatewayError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadRequest(GatewayError):
    status = 400
    code = "bad_request"


class Unauthenticated(GatewayError):
    status = 401
    code = "unauthenticated"


class Forbidden(GatewayError):
    status = 403
    code = "forbidden"


class AcknowledgmentRequired(Forbidden):
    code = "acknowledgment_required"


class NotFound(GatewayError):
    status = 404
    code = "not_found"


class Conflict(GatewayError):
    status = 409
    code = "conflict"


class TooLarge(GatewayError):
    status = 413
    code = "too_large"


class Invalid(GatewayError):
    status = 422
    code = "invalid"


class Throttled(GatewayError):
    status = 429
    code = "throttled"


class IntegrityFailure(GatewayError):
    """Stored data failed an integrity check (a GCM tag, the audit chain)."""

    status = 500
    code = "integrity"


class ConfigurationError(GatewayError):
    """The gateway cannot start as configured (a missing key, a bad setting)."""

    code = "configuration"
