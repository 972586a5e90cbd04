"""The JSON API under /api/v1: thin views over the domain services."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from gateway.api import auditor, exports, privilege_log, routes  # noqa: E402,F401  (registers the views)
