"""Sign-in, tokens, sessions, throttling, CSRF and the headers every response carries."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from gateway.accounts import service as accounts
from gateway.accounts.models import LoginFailure
from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.demo import DEMO_PASSWORD
from tests.helpers import BASE, api_get, auth, token_for

COUNSEL = "counsel@plaintiffs.example"
# browsers send this for same-origin form posts (Referrer-Policy: same-origin)
SAME_ORIGIN = {"Referer": f"{BASE}/login"}


def test_token_round_trip_and_revocation(client, demo):
    token = token_for(client, COUNSEL)
    assert len(token) >= 43  # 256 bits, url-safe base64
    assert api_get(client, token, "/me").get_json()["email"] == COUNSEL
    assert client.delete(f"{BASE}/api/v1/auth/token", headers=auth(token)).status_code == 204
    response = api_get(client, token, "/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_tokens_are_stored_only_as_hashes(client, demo, rt):
    token = token_for(client, COUNSEL)
    from gateway.accounts.models import ApiToken

    with rt.db.session() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    assert accounts.sha256_hex(token) in stored


def test_expired_token_is_refused(client, demo, clock):
    token = token_for(client, COUNSEL)
    clock.advance(hours=25)
    response = api_get(client, token, f"/matters/{demo}/documents")
    assert response.status_code == 401
    assert "expired" in response.get_json()["error"]["message"]


def test_wrong_password_and_unknown_user_look_alike_and_are_audited(client, demo, rt):
    wrong = client.post(
        f"{BASE}/api/v1/auth/token", json={"email": COUNSEL, "password": "nope-nope-nope"}
    )
    unknown = client.post(
        f"{BASE}/api/v1/auth/token", json={"email": "who@x.example", "password": "nope-nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    with rt.db.session() as session:
        reasons = session.scalars(
            select(AuditEntry.reason).where(AuditEntry.tag == "auth:login_failed")
        ).all()
    assert sorted(reasons) == ["unknown account", "wrong password"]


def test_missing_or_malformed_credentials(client, demo):
    assert client.post(f"{BASE}/api/v1/auth/token", data="x").status_code == 400
    assert client.post(f"{BASE}/api/v1/auth/token", json={"email": COUNSEL}).status_code == 400
    assert client.get(f"{BASE}/api/v1/matters").status_code == 401
    assert (
        client.get(f"{BASE}/api/v1/matters", headers={"Authorization": "Basic abc"}).status_code
        == 401
    )


def test_login_throttling_counts_failures_per_account(client, demo, rt, clock):
    for _ in range(5):
        client.post(
            f"{BASE}/api/v1/auth/token", json={"email": COUNSEL, "password": "wrong-password!"}
        )
    # even the right password is refused while throttled
    throttled = client.post(
        f"{BASE}/api/v1/auth/token", json={"email": COUNSEL, "password": DEMO_PASSWORD}
    )
    assert throttled.status_code == 429
    assert throttled.get_json()["error"]["code"] == "throttled"
    # other accounts are unaffected
    assert token_for(client, "court@casd.example")
    clock.advance(minutes=16)
    assert token_for(client, COUNSEL)
    with rt.db.session() as session:
        assert session.scalar(select(func.count(LoginFailure.id))) == 5


def test_disabled_account_loses_tokens_at_once(client, demo, rt):
    token = token_for(client, COUNSEL)
    accounts.set_disabled(rt, Actor.command_line(), email=COUNSEL, disabled=True)
    assert api_get(client, token, "/me").status_code == 401
    response = client.post(
        f"{BASE}/api/v1/auth/token", json={"email": COUNSEL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 401


def _csrf(client, path="/login"):
    page = client.get(f"{BASE}{path}")
    match = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert match, "form without a CSRF token"
    return match.group(1).decode()


def _web_login(client, email=COUNSEL, password=DEMO_PASSWORD):
    return client.post(
        f"{BASE}/login",
        data={"email": email, "password": password, "csrf_token": _csrf(client)},
        headers=SAME_ORIGIN,
    )


def test_web_login_sets_a_hardened_cookie_and_logout_ends_the_session(client, demo):
    response = _web_login(client)
    assert response.status_code == 302
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("pogw_session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    stolen = client.get_cookie("pogw_session").value
    assert client.get(f"{BASE}/matters/{demo}/documents").status_code == 200
    page = client.get(f"{BASE}/matters")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    assert (
        client.post(f"{BASE}/logout", data={"csrf_token": token}, headers=SAME_ORIGIN).status_code
        == 302
    )
    # replaying the old cookie after logout gets nowhere: the server-side session is gone
    client.set_cookie("pogw_session", stolen, domain="localhost")
    replay = client.get(f"{BASE}/matters/{demo}/documents")
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]


def test_session_id_rotates_at_login(client, demo):
    client.get(f"{BASE}/login")
    _web_login(client, "court@casd.example")
    first = client.get_cookie("pogw_session").value
    client.post(
        f"{BASE}/logout", data={"csrf_token": _csrf(client, "/matters")}, headers=SAME_ORIGIN
    )
    _web_login(client, "court@casd.example")
    assert client.get_cookie("pogw_session").value != first


def test_idle_and_absolute_session_timeouts(client, demo, clock):
    _web_login(client)
    clock.advance(minutes=31)
    assert client.get(f"{BASE}/matters").status_code == 302
    _web_login(client)
    for _ in range(25):  # active every 29 minutes, but past the 12-hour absolute limit
        clock.advance(minutes=29)
        client.get(f"{BASE}/matters")
    assert client.get(f"{BASE}/matters").status_code == 302


def test_forms_without_csrf_are_refused(client, demo):
    response = client.post(f"{BASE}/login", data={"email": COUNSEL, "password": DEMO_PASSWORD})
    assert response.status_code == 400
    assert client.get(f"{BASE}/matters").status_code == 302  # not signed in


def test_security_headers_and_no_store(client, demo):
    token = token_for(client, COUNSEL)
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-DEF-00556923/content", headers=auth(token)
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    page = client.get(f"{BASE}/login")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert b"http://" not in page.data and b"https://" not in page.data  # no CDN


def test_api_errors_have_one_shape(client, demo):
    token = token_for(client, COUNSEL)
    for response, status in (
        (client.get(f"{BASE}/api/v1/nowhere", headers=auth(token)), 404),
        (client.put(f"{BASE}/api/v1/matters", headers=auth(token)), 405),
        (api_get(client, token, f"/matters/{demo}/audit", format="xml"), 400),
    ):
        assert response.status_code == status
        body = response.get_json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
