"""Sign-in, sessions and tokens. Every outcome that matters is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts import devices, guard, refusals
from gateway.accounts.models import ApiToken, User, WebSession
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.errors import (
    Conflict,
    GatewayError,
    Invalid,
    NotFound,
    Throttled,
    Unauthenticated,
)
from gateway.runtime import Runtime

MIN_PASSWORD_LENGTH = 12
# a fixed hash to verify against when the account does not exist, so that timing does not
# tell which e-mail addresses have accounts
_DUMMY_PASSWORD = "not-a-real-password-" + "x" * 20


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise Invalid(f"not an e-mail address: {email!r}")
    return email


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def actor_for(user: User, address: str) -> Actor:
    return Actor.from_request(user.id, user.email, address)


def create_user(
    rt: Runtime,
    actor: Actor,
    *,
    email: str,
    full_name: str,
    password: str,
    is_operator: bool = False,
) -> User:
    email = normalize_email(email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"password: at least {MIN_PASSWORD_LENGTH} characters are required")
    if not full_name.strip():
        raise Invalid("full_name: required")
    with rt.transaction() as session:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(f"a user with e-mail {email} exists already")
        user = User(
            email=email,
            full_name=full_name.strip(),
            password_hash=rt.passwords.hash(password),
            is_operator=is_operator,
            disabled=False,
            created_at=rt.now(),
        )
        session.add(user)
        session.flush()
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.USER_CREATED,
                outcome=Outcome.ALLOWED,
                actor=actor,
                details={"user": email, "operator": is_operator},
            ),
        )
        return user


def set_disabled(rt: Runtime, actor: Actor, *, email: str, disabled: bool) -> None:
    with rt.transaction() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            raise NotFound(f"no user {email}")
        user.disabled = disabled
        if disabled:
            _end_all_sessions(session, user.id, rt.now())
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.USER_CHANGED,
                outcome=Outcome.ALLOWED,
                actor=actor,
                details={"user": user.email, "disabled": disabled},
            ),
        )


def _end_all_sessions(session: Session, user_id: int, now: datetime) -> None:
    for row in session.scalars(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    ):
        row.revoked_at = now
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now


@dataclass(frozen=True)
class SignIn:
    user: User
    device_cookie: str  # to set on the client: it marks this device as trusted


def authenticate(
    rt: Runtime, *, email: str, password: str, address: str, device_cookie: str | None = None
) -> SignIn:
    """Check a password, throttled (guard.judge) by recent failures; a device that signed
    in to this account before (``device_cookie``) is not throttled by failures elsewhere.

    The slow password hash runs outside any write transaction, so a flood of sign-ins
    cannot hold the embedded database's write lock.
    """
    email = email.strip().lower()[:320]
    now = rt.now()
    with rt.db.read_session() as session:
        user = session.scalar(select(User).where(User.email == email))
    device = _trusted_device(rt, user, device_cookie, now)
    # a trusted device's attempts count against the device, not the address it uses
    where = f"device:{device}" if device else address
    reservation = rt.failures.reserve(email, where, now)
    window = now - timedelta(minutes=rt.settings["LOGIN_FAILURE_WINDOW_MINUTES"])
    counts = rt.failures.counts(email, where, window)  # this attempt included
    verdict = guard.judge(rt.settings, counts, trusted=bool(device))
    if verdict.refused:
        rt.failures.release(email, where, reservation)  # refused unchecked: not a guess
        raise _throttled(rt, address, verdict.refused)
    with rt.check_slots.held(sha256_hex(email)) as free:
        if not free:
            rt.failures.release(email, where, reservation)
            raise _throttled(rt, address, "checks in flight")
        rt.clock.sleep(verdict.delay_seconds)
        reason = _check_password(rt, user, password)
    if not reason:
        rt.failures.release(email, where, reservation)
        assert user is not None
        cookie = devices.issue(rt.keyring.session_key, user.id, now=rt.now(), device_id=device)
        return SignIn(user, cookie)
    details: dict[str, object] = {"delay_seconds": verdict.delay_seconds}
    if device:
        details["trusted_device"] = True
    with rt.transaction() as session:
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.LOGIN_FAILED,
                outcome=Outcome.DENIED,
                actor=(
                    Actor.from_request(None, email, address)
                    if user is None
                    else actor_for(user, address)
                ),
                reason=reason,
                details=details,
            ),
        )
    raise Unauthenticated("wrong e-mail or password")


def _trusted_device(rt: Runtime, user: User | None, cookie: str | None, now: datetime) -> str:
    if user is None:
        return ""
    return devices.device_for(
        rt.keyring.session_key,
        cookie,
        user_id=user.id,
        max_age_days=rt.settings["LOGIN_DEVICE_DAYS"],
        now=now,
    )


def _throttled(rt: Runtime, address: str, why: str) -> Throttled:
    """A sign-in refused unchecked, counted with the unauthenticated refusals."""
    refusals.count(rt, address, f"sign-in throttled: {why}")
    return Throttled("too many failed sign-ins; try again later")


def _refuse_token(rt: Runtime, address: str, reason: str, *, hint: str) -> GatewayError:
    """Count a refused token (refusals.py); 401, or 429 once the address is past the
    limit. Intervals that have closed are written to the audit now."""
    if refusals.count(rt, address, reason):
        return Throttled("too many unauthenticated requests from this address; slow down")
    return Unauthenticated(hint)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    """Hashed once per parameter set: verifying against it costs what a real check costs."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(_DUMMY_PASSWORD)


def _check_password(rt: Runtime, user: User | None, password: str) -> str:
    if user is None:
        hasher = rt.passwords
        _verify(rt, _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism), password)
        return "unknown account"
    if not _verify(rt, user.password_hash, password):
        return "wrong password"
    if user.disabled:
        return "account disabled"
    return ""


def _verify(rt: Runtime, stored: str, password: str) -> bool:
    try:
        return rt.passwords.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_token(rt: Runtime, user: User, *, address: str) -> IssuedToken:
    token = secrets.token_urlsafe(32)  # 256 random bits
    now = rt.now()
    expires = now + timedelta(hours=rt.settings["TOKEN_HOURS"])
    with rt.transaction() as session:
        session.add(
            ApiToken(
                user_id=user.id, token_hash=sha256_hex(token), created_at=now, expires_at=expires
            )
        )
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.TOKEN_ISSUED,
                outcome=Outcome.ALLOWED,
                actor=actor_for(user, address),
                details={"expires_at": expires.isoformat()},
            ),
        )
    return IssuedToken(token=token, expires_at=expires)


def user_for_token(rt: Runtime, token: str | None, *, address: str) -> User:
    """The token's user; a missing, unknown, expired or revoked token is refused and
    counted per address (refusals.py), never written to the audit one by one; the count
    names the account whose stale token it was."""
    if not token:
        raise _refuse_token(
            rt,
            address,
            "no token",
            hint="send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)",
        )
    with rt.db.read_session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(token)))
        user = session.get(User, row.user_id) if row else None
    if row is None or user is None:
        reason = "unknown token"
    elif row.revoked_at is not None:
        reason = f"revoked token of {user.email}"
    elif row.expires_at <= rt.now():
        reason = f"expired token of {user.email}"
    elif user.disabled:
        reason = f"token of disabled account {user.email}"
    else:
        return user
    raise _refuse_token(rt, address, reason, hint="the token is unknown, expired or revoked")


def revoke_token(rt: Runtime, user: User, token: str, *, address: str) -> None:
    with rt.transaction() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(token)))
        if row is None or row.user_id != user.id:
            raise NotFound("no such token")
        row.revoked_at = rt.now()
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.TOKEN_REVOKED, outcome=Outcome.ALLOWED, actor=actor_for(user, address)
            ),
        )


def start_session(rt: Runtime, user: User, *, address: str) -> str:
    """Sign in on the web: a new random session id for the cookie (only its hash is
    stored) and the sign-in's audit entry, in one transaction."""
    session_id = secrets.token_urlsafe(32)
    now = rt.now()
    with rt.transaction() as session:
        session.add(
            WebSession(
                user_id=user.id,
                session_hash=sha256_hex(session_id),
                created_at=now,
                last_seen_at=now,
                address=address,
            )
        )
        rt.audit(
            session,
            AuditEvent(
                tag=Tag.LOGIN,
                outcome=Outcome.ALLOWED,
                actor=actor_for(user, address),
                details={"via": "web"},
            ),
        )
    return session_id


def user_for_session(rt: Runtime, session_id: str) -> User | None:
    """The session's user, if it is live; touches it (idle timeout counts from here)."""
    now = rt.now()
    idle = timedelta(minutes=rt.settings["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=rt.settings["SESSION_ABSOLUTE_HOURS"])
    with rt.db.session() as session:
        row = session.scalar(
            select(WebSession).where(WebSession.session_hash == sha256_hex(session_id))
        )
        if row is None or row.revoked_at is not None:
            return None
        if now - row.last_seen_at > idle or now - row.created_at > absolute:
            row.revoked_at = now
            return None
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        row.last_seen_at = now
        return user


def end_session(rt: Runtime, session_id: str, *, address: str) -> None:
    with rt.transaction() as session:
        row = session.scalar(
            select(WebSession).where(WebSession.session_hash == sha256_hex(session_id))
        )
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = rt.now()
        user = session.get(User, row.user_id)
        if user is not None:
            rt.audit(
                session,
                AuditEvent(tag=Tag.LOGOUT, outcome=Outcome.ALLOWED, actor=actor_for(user, address)),
            )


def get_user(rt: Runtime, email: str) -> User:
    with rt.db.session() as session:
        user = session.scalar(select(User).where(User.email == normalize_email(email)))
        if user is None:
            raise NotFound(f"no user {email}")
        return user
