"""Authorization: the protective order's rules in Casbin, derived into permitted sets.

``policy`` loads and validates the rules (``policies/`` or a matter's variant) and builds
enforcers; ``derive`` turns them into ``Grants`` per (roles, acknowledgment, disclosure) once
per policy version, for SQL filtering, and explains single decisions for the audit trail.
"""

from __future__ import annotations

from gateway.authz.derive import Authorizer, Decision, Grants
from gateway.authz.policy import PolicySource, Tier, build_enforcer, load_default_policy

__all__ = [
    "Authorizer",
    "Decision",
    "Grants",
    "PolicySource",
    "Tier",
    "build_enforcer",
    "load_default_policy",
]
