"""Scaled out, failed sign-ins are counted in Redis, shared by every worker."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from sqlalchemy import func, select

from gateway import create_app
from gateway.accounts.models import LoginFailure
from gateway.clock import FixedClock
from gateway.demo import DEMO_PASSWORD
from gateway.runtime import Runtime
from tests.conftest import START
from tests.helpers import BASE

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
COUNSEL = "counsel@plaintiffs.example"


@pytest.fixture
def workers(rt, demo):
    """Two runtimes (as two workers would have) on the same database and Redis."""
    prefix = f"pogw-test-{uuid.uuid4().hex}:"
    settings = {**rt.settings, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}
    clock = FixedClock(START)
    pair = [Runtime(settings, clock=clock, keyring=rt.keyring) for _ in range(2)]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (scripts/test needs it running)")
    yield pair, clock, client, prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()
    for runtime in pair:
        runtime.close()


def _sign_in(app, password):
    return app.test_client().post(
        f"{BASE}/api/v1/auth/token", json={"email": COUNSEL, "password": password}
    )


def test_failures_on_one_worker_throttle_the_other(workers, rt):
    (first, second), clock, client, prefix = workers
    app_a = create_app(first.settings, runtime=first)
    app_b = create_app(second.settings, runtime=second)
    for n in range(5):
        assert _sign_in(app_a if n % 2 else app_b, "wrong-password!").status_code == 401
    refused = _sign_in(app_b, DEMO_PASSWORD)
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "throttled"
    keys = [k.decode() for k in client.scan_iter(f"{prefix}fail:*")]
    # per account, per (account, address), per address
    assert len(keys) == 3 and not any(COUNSEL in k for k in keys)  # no e-mail in the clear
    with rt.db.session() as session:
        assert session.scalar(select(func.count(LoginFailure.id))) == 0
    clock.advance(minutes=16)
    assert _sign_in(app_a, DEMO_PASSWORD).status_code == 200
