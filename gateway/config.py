"""Configuration: defaults, then ``GATEWAY_*`` environment, then the caller's mapping.

Nothing here runs at import time. Secrets are never defaulted: keys come from files in the
keys folder (created by ``pogw init``) or from the environment, and the gateway refuses to
start without them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway.errors import ConfigurationError

DEFAULTS: dict[str, Any] = {
    "INSTANCE_PATH": "instance",
    "KEYS_PATH": "keys",
    "DATABASE_URL": None,  # None: SQLite in the instance folder
    # SQLite's durability: FULL syncs every commit to disk before it is acknowledged
    "SQLITE_SYNCHRONOUS": "FULL",
    "BLOB_BACKEND": "file",
    "S3_BUCKET": None,
    "S3_ENDPOINT_URL": None,
    "S3_REGION": None,
    "S3_PREFIX": "",
    "REDIS_URL": None,
    "REDIS_PREFIX": "pogw:",
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_ABSOLUTE_HOURS": 12,
    "TOKEN_HOURS": 24,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_FAILURE_WINDOW_MINUTES": 15,
    "LOGIN_DELAY_BASE_SECONDS": 1,
    "LOGIN_DELAY_MAX_SECONDS": 16,
    "LOGIN_MAX_CONCURRENT_CHECKS": 2,
    "LOGIN_DEVICE_DAYS": 90,
    "UNAUTHENTICATED_INTERVAL_SECONDS": 60,
    "UNAUTHENTICATED_LIMIT": 30,
    "MAX_JSON_BYTES": 64 * 1024,
    "MAX_UPLOAD_BYTES": 512 * 1024 * 1024,
    # a PDF the gateway changes (a redaction) with more pages is refused
    "PDF_MAX_PAGES": 5_000,
    # a redaction's pattern mark whose matching takes longer (seconds) is refused
    "REDACTION_PATTERN_SECONDS": 5,
    "SECURE_COOKIES": True,
    "TRUSTED_PROXIES": 0,
    # notices by e-mail: SMTP when a host is set, else .eml files in OUTBOX_PATH
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_FROM": "gateway@localhost",
    "OUTBOX_PATH": None,  # None: <instance>/outbox
    # demonstrations only: read the current instant from this file at every use
    "CLOCK_FILE": None,
    "DECLARED_HOLIDAYS": None,  # an operator's file of declared days (docs/deadlines.md)
    # the audit logs' signed checkpoints (docs/audit.md): the signing key's name, which
    # begins every log's origin line; a checkpoint after this many entries of a log, or
    # when the log's last one is this many seconds old
    "AUDIT_ORIGIN": "protective-order-gateway",
    "AUDIT_CHECKPOINT_EVERY": 256,
    "AUDIT_CHECKPOINT_SECONDS": 60,
    # witnesses: a folder every checkpoint is written to, and an HTTP endpoint each is
    # POSTed to, after the commit that made it (None: no such witness)
    "AUDIT_WITNESS_DIR": None,
    "AUDIT_WITNESS_URL": None,
    # the auditor's anomalies (docs/auditing.md): N in a window of minutes, working hours
    # in the matter's court time zone
    "AUDIT_BULK_DOWNLOADS": 100,
    "AUDIT_BULK_WINDOW_MINUTES": 10,
    "AUDIT_DENIAL_BURST": 10,
    "AUDIT_DENIAL_WINDOW_MINUTES": 5,
    "AUDIT_WORK_START_HOUR": 7,
    "AUDIT_WORK_END_HOUR": 20,
    "AUDIT_WORK_DAYS": "mon-fri",
}

_INT_KEYS = {
    "SMTP_PORT",
    "SESSION_IDLE_MINUTES",
    "SESSION_ABSOLUTE_HOURS",
    "TOKEN_HOURS",
    "LOGIN_MAX_FAILURES",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_FAILURE_WINDOW_MINUTES",
    "LOGIN_DELAY_BASE_SECONDS",
    "LOGIN_DELAY_MAX_SECONDS",
    "LOGIN_MAX_CONCURRENT_CHECKS",
    "LOGIN_DEVICE_DAYS",
    "UNAUTHENTICATED_INTERVAL_SECONDS",
    "UNAUTHENTICATED_LIMIT",
    "MAX_JSON_BYTES",
    "MAX_UPLOAD_BYTES",
    "PDF_MAX_PAGES",
    "REDACTION_PATTERN_SECONDS",
    "TRUSTED_PROXIES",
    "AUDIT_CHECKPOINT_EVERY",
    "AUDIT_CHECKPOINT_SECONDS",
    "AUDIT_BULK_DOWNLOADS",
    "AUDIT_BULK_WINDOW_MINUTES",
    "AUDIT_DENIAL_BURST",
    "AUDIT_DENIAL_WINDOW_MINUTES",
    "AUDIT_WORK_START_HOUR",
    "AUDIT_WORK_END_HOUR",
}
_BOOL_KEYS = {"SECURE_COOKIES"}


def _coerce(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _INT_KEYS:
        try:
            return int(value)
        except ValueError as exc:
            raise ConfigurationError(
                f"GATEWAY_{key} must be a whole number, not {value!r}"
            ) from exc
    if key in _BOOL_KEYS:
        lowered = value.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no"}:
            raise ConfigurationError(f"GATEWAY_{key} must be true or false, not {value!r}")
        return lowered in {"1", "true", "yes"}
    return value


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge defaults, ``GATEWAY_<KEY>`` variables and explicit overrides."""
    env = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    for key in DEFAULTS:
        if f"GATEWAY_{key}" in env:
            settings[key] = _coerce(key, env[f"GATEWAY_{key}"])
    for key, value in (overrides or {}).items():
        settings[key] = _coerce(key, value)
    # key material may also come from the environment instead of files
    for name in ("MASTER_KEY", "AUDIT_SIGNING_KEY", "SESSION_KEY"):
        if f"GATEWAY_{name}" in env and name not in settings:
            settings[name] = env[f"GATEWAY_{name}"]
    settings["INSTANCE_PATH"] = Path(settings["INSTANCE_PATH"]).resolve()
    settings["KEYS_PATH"] = Path(settings["KEYS_PATH"]).resolve()
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{settings['INSTANCE_PATH'] / 'gateway.sqlite3'}"
    return settings
