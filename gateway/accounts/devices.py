"""Device cookies: a browser or client that signed in to an account before carries a
signed token naming that account and a random device id.

Failures from elsewhere never throttle such a device: its attempts are counted per
device, not per address, and are not slowed by failures for the account from other
addresses. A stolen cookie is worth no more than an address: its own failures are
limited like any pair of account and address.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

COOKIE_NAME = "pogw_device"
_SALT = "pogw-device-cookie"


def _serializer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def issue(secret: bytes, user_id: int, *, now: datetime, device_id: str = "") -> str:
    """A cookie value for this account, signed now; keeps ``device_id`` when renewed."""
    payload = {"u": user_id, "d": device_id or secrets.token_hex(16), "t": int(now.timestamp())}
    return _serializer(secret).dumps(payload)


def device_for(
    secret: bytes, value: str | None, *, user_id: int, max_age_days: int, now: datetime
) -> str:
    """The device id when ``value`` is a live cookie for ``user_id``, else ""."""
    if not value:
        return ""
    try:
        payload = _serializer(secret).loads(value)
    except BadSignature:
        return ""
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        return ""
    signed_at = payload.get("t")
    if not isinstance(signed_at, int):
        return ""
    age = now.timestamp() - signed_at
    if age < 0 or age > max_age_days * 86400:
        return ""
    device = payload.get("d")
    return device if isinstance(device, str) and len(device) == 32 else ""
