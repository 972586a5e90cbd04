"""Nobody can lock a user out by guessing wrong (issue 7, item 1): failures refuse only
the (account, address) pair that made them, or an address, never the account; failures
for the account from anywhere slow it down instead; a device that signed in before is
not throttled by failures from elsewhere. Run on both failure counters (database, Redis).
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select

from gateway import create_app
from gateway.accounts import devices, guard
from gateway.accounts import service as accounts
from gateway.accounts.throttle import Counts
from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.errors import Throttled, Unauthenticated
from gateway.runtime import Runtime
from tests.helpers import BASE

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
VICTIM = "victim@plaintiffs.example"
PASSWORD = "the-right-password-1"
HOME = "198.51.100.20"  # the real user's address
MINUTE = timedelta(minutes=1)
ATTACKERS = [f"203.0.113.{n}" for n in range(1, 9)]


@pytest.fixture(params=["database", "redis"])
def grt(request, rt, clock):
    """A runtime on the database counter or on the Redis one, with one user."""
    if request.param == "database":
        runtime = rt
    else:
        client = redis.Redis.from_url(REDIS_URL)
        try:
            client.ping()
        except redis.ConnectionError:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (scripts/test needs it running)")
        prefix = f"pogw-test-{uuid.uuid4().hex}:"
        settings = {**rt.settings, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}
        runtime = Runtime(settings, clock=clock, keyring=rt.keyring)
        request.addfinalizer(runtime.close)
        request.addfinalizer(lambda: [client.delete(k) for k in client.scan_iter(f"{prefix}*")])
    accounts.create_user(
        runtime, Actor.command_line(), email=VICTIM, full_name="Vic Tim", password=PASSWORD
    )
    return runtime


def _try(rt, address, password, cookie=None):
    try:
        return accounts.authenticate(
            rt, email=VICTIM, password=password, address=address, device_cookie=cookie
        )
    except Throttled:
        return "throttled"
    except Unauthenticated:
        return "wrong"


def test_the_real_user_gets_in_while_an_attacker_keeps_guessing(grt, clock):
    limit = grt.settings["LOGIN_MAX_FAILURES"]
    outcomes = [_try(grt, ATTACKERS[0], f"guess-{n}") for n in range(12)]
    # the attacker's own pair is refused past the limit ...
    assert outcomes == ["wrong"] * limit + ["throttled"] * (12 - limit)
    # ... while the account still opens from the user's own address, at once
    before = clock.now()
    signed_in = _try(grt, HOME, PASSWORD)
    assert signed_in.user.email == VICTIM
    assert clock.now() == before  # 5 failures from anywhere: no delay yet


def test_failures_from_many_addresses_slow_the_account_down_but_never_refuse_it(grt, clock):
    for address in ATTACKERS:  # 8 addresses x 5 guesses = 40 failures for the account
        for n in range(5):
            assert _try(grt, address, f"guess-{n}") == "wrong"
    with grt.db.session() as session:
        delays = session.scalars(
            select(AuditEntry.details).where(AuditEntry.tag == "auth:login_failed")
        ).all()
    # the operator sees the slow-down in the audit: each failure records its delay
    assert '"delay_seconds":0.0' in delays[0] and '"delay_seconds":16.0' in delays[-1]
    before = clock.now()
    signed_in = _try(grt, HOME, PASSWORD)  # no device cookie: slowed down, not refused
    assert signed_in.user.email == VICTIM
    waited = (clock.now() - before).total_seconds()
    assert waited == guard.account_delay(grt.settings, 40) == 16.0
    # a device that signed in before is not slowed at all
    before = clock.now()
    assert _try(grt, "192.0.2.77", PASSWORD, signed_in.device_cookie).user.email == VICTIM
    assert clock.now() == before


def test_an_address_past_its_limit_is_refused_except_for_a_trusted_device(grt, clock):
    first = _try(grt, HOME, PASSWORD)
    proxy = "10.0.0.1"  # everyone behind a proxy shares it
    for n in range(grt.settings["LOGIN_MAX_FAILURES_PER_ADDRESS"]):
        other = f"user{n}@defendants.example"
        with pytest.raises(Unauthenticated):
            accounts.authenticate(grt, email=other, password="guess-guess", address=proxy)
    assert _try(grt, proxy, PASSWORD) == "throttled"  # a new device behind the proxy waits
    assert _try(grt, proxy, PASSWORD, first.device_cookie).user.email == VICTIM


def test_a_trusted_device_is_limited_like_any_pair(grt):
    cookie = _try(grt, HOME, PASSWORD).device_cookie
    limit = grt.settings["LOGIN_MAX_FAILURES"]
    outcomes = [_try(grt, HOME, f"guess-{n}", cookie) for n in range(limit + 1)]
    assert outcomes == ["wrong"] * limit + ["throttled"]
    # a stolen cookie's failures do not refuse the user at another address
    assert _try(grt, "192.0.2.5", PASSWORD).user.email == VICTIM


def test_a_device_cookie_counts_only_for_its_own_account_and_only_when_signed(rt, grt, clock):
    accounts.create_user(
        grt, Actor.command_line(), email="other@x.example", full_name="O", password=PASSWORD
    )
    other = accounts.authenticate(grt, email="other@x.example", password=PASSWORD, address=HOME)
    victim = _try(grt, HOME, PASSWORD)
    forged = devices.issue(b"not-the-session-key-" * 2, victim.user.id, now=clock.now())
    old = devices.issue(
        grt.keyring.session_key, victim.user.id, now=clock.now(), device_id="a" * 32
    )
    clock.advance(days=grt.settings["LOGIN_DEVICE_DAYS"] + 1)
    for cookie in (other.device_cookie, forged, old, "garbage"):
        assert (
            devices.device_for(
                grt.keyring.session_key,
                cookie,
                user_id=victim.user.id,
                max_age_days=grt.settings["LOGIN_DEVICE_DAYS"],
                now=clock.now(),
            )
            == ""
        )


def test_checks_in_flight_for_one_account_are_capped(grt, clock):
    slots = grt.check_slots
    account = accounts.sha256_hex(VICTIM)
    # as if two slowed-down checks for this account were running in other threads
    assert slots.acquire(account) and slots.acquire(account)
    try:
        assert _try(grt, HOME, PASSWORD) == "throttled"
        assert _try(grt, "192.0.2.9", "guess-guess") == "throttled"
        # refused unchecked, so not counted as failures
        window = clock.now() - grt.settings["LOGIN_FAILURE_WINDOW_MINUTES"] * MINUTE
        assert grt.failures.counts(VICTIM, HOME, window) == Counts(0, 0, 0)
    finally:
        slots.release(account)
        slots.release(account)
    assert slots.in_flight(account) == 0
    assert _try(grt, HOME, PASSWORD).user.email == VICTIM


def test_the_delay_doubles_and_is_capped(settings):
    delays = [guard.account_delay(settings, n) for n in range(4, 12)]
    assert delays == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 16.0]
    verdict = guard.judge(settings, Counts(account=41, pair=1, address=1), trusted=True)
    assert verdict == guard.Verdict("", 0.0)


def test_throttled_sign_ins_are_counted_in_the_audit_per_interval(grt, clock):
    for n in range(30):
        _try(grt, ATTACKERS[0], f"guess-{n}")
    with grt.db.read_session() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    clock.advance(seconds=grt.settings["UNAUTHENTICATED_INTERVAL_SECONDS"])
    _try(grt, ATTACKERS[0], "guess-again")  # the next refusal closes the interval
    with grt.db.read_session() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.tag == "auth:refusals")).all()
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries + 1
    (summary,) = rows
    assert '"sign-in throttled: too many failures for this account from here":25' in (
        summary.details
    )
    assert ATTACKERS[0] in summary.details and summary.reason.startswith("25 ")


def test_a_browser_that_signed_in_keeps_its_device_cookie(rt, clock):
    accounts.create_user(
        rt, Actor.command_line(), email=VICTIM, full_name="Vic Tim", password=PASSWORD
    )
    app = create_app(rt.settings, runtime=rt)
    user_client = app.test_client()
    first = user_client.post(
        f"{BASE}/api/v1/auth/token", json={"email": VICTIM, "password": PASSWORD}
    )
    assert first.status_code == 200
    cookie = user_client.get_cookie(devices.COOKIE_NAME)
    assert cookie is not None and cookie.http_only and cookie.secure
    attacker = app.test_client()
    for n in range(40):
        attacker.post(
            f"{BASE}/api/v1/auth/token",
            json={"email": VICTIM, "password": f"guess-{n}"},
            environ_base={"REMOTE_ADDR": ATTACKERS[n % len(ATTACKERS)]},
        )
    before = clock.now()
    again = user_client.post(
        f"{BASE}/api/v1/auth/token", json={"email": VICTIM, "password": PASSWORD}
    )
    assert again.status_code == 200 and clock.now() == before
    # without the cookie, the same request is slowed down but still answered 200
    fresh = app.test_client().post(
        f"{BASE}/api/v1/auth/token", json={"email": VICTIM, "password": PASSWORD}
    )
    assert fresh.status_code == 200 and (clock.now() - before).total_seconds() == 16.0
