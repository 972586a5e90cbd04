"""Server-rendered pages: the same rules as the API, seen through a browser's requests."""

from __future__ import annotations

import re

from gateway.demo import DEMO_PASSWORD
from tests.helpers import BASE, without_csrf

SAME_ORIGIN = {"Referer": f"{BASE}/"}


def _csrf(client, path):
    page = client.get(f"{BASE}{path}")
    return re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()


def login(client, email):
    response = client.post(
        f"{BASE}/login",
        headers=SAME_ORIGIN,
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": _csrf(client, "/login")},
    )
    assert response.status_code == 302, response.data[:500]


def test_pages_require_sign_in(client, demo):
    for path in (
        "/matters",
        f"/matters/{demo}/documents",
        f"/matters/{demo}/audit",
        f"/matters/{demo}/documents/AOL-DEF-00556923",
    ):
        response = client.get(f"{BASE}{path}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_page(client, demo):
    response = client.post(
        f"{BASE}/login",
        headers=SAME_ORIGIN,
        data={
            "email": "counsel@plaintiffs.example",
            "password": "wrong-password",
            "csrf_token": _csrf(client, "/login"),
        },
    )
    assert response.status_code == 401
    assert b"wrong e-mail or password" in response.data


def test_employee_browser_shows_confidential_and_hides_aeo(client, demo):
    login(client, "staff@alotrolado.example")
    page = client.get(f"{BASE}/matters/{demo}/documents?per_page=500")
    assert page.status_code == 200
    assert b"AOL-DEF-00556923" in page.data
    for hidden in (b"AOL-DEF-00556914", b"AOL-DEF-00528691", b"AOL-DEF-00516605", b"SENTRI"):
        assert hidden not in page.data, f"{hidden!r} leaked into the page"
    assert b'<span id="total">14</span>' in page.data
    hidden = client.get(f"{BASE}/matters/{demo}/documents/AOL-DEF-00528691")
    missing = client.get(f"{BASE}/matters/{demo}/documents/AOL-DEF-99999999")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden.data) == without_csrf(missing.data)


def test_document_page_and_download(client, demo):
    login(client, "counsel@plaintiffs.example")
    page = client.get(f"{BASE}/matters/{demo}/documents/AOL-DEF-00528691")
    assert page.status_code == 200
    assert b"HIGHLY CONFIDENTIAL - ATTORNEYS&#39; EYES ONLY" in page.data
    assert b"Border Patrol field information report" in page.data
    content = client.get(f"{BASE}/matters/{demo}/documents/AOL-DEF-00528691/content")
    assert content.status_code == 200 and content.data.startswith(b"%PDF")
    assert content.headers["Cache-Control"] == "no-store"


def test_unsigned_expert_is_told_to_sign_exhibit_a_and_can_sign(client, demo):
    login(client, "expert@plaintiffs.example")
    response = client.get(f"{BASE}/matters/{demo}/documents")
    # what needs no Exhibit A is shown; the rest waits for the signature
    assert response.status_code == 200 and b'id="sign-for-more"' in response.data
    assert b"AOL-PLTF-00000004" in response.data
    assert b"AOL-DEF-00556923" not in response.data
    form = client.get(f"{BASE}/matters/{demo}/acknowledgment")
    assert b"penalty of perjury" in form.data and b"Case No. 3:17-cv-2366-BAS-KSC" in form.data
    token = re.search(rb'name="csrf_token" value="([^"]+)"', form.data).group(1).decode()
    fields = {
        "full_name": "Erin Expert",
        "address": "9 Lab Way",
        "agent_name": "Agent",
        "agent_address": "1 Main St",
        "signed_city": "San Diego, CA",
        "signed_on": "2020-06-26",
        "signature": "Erin Expert",
        "csrf_token": token,
    }
    refused = client.post(f"{BASE}/matters/{demo}/acknowledgment", headers=SAME_ORIGIN, data=fields)
    assert refused.status_code == 422 and b"agree" in refused.data
    signed = client.post(
        f"{BASE}/matters/{demo}/acknowledgment",
        headers=SAME_ORIGIN,
        data={**fields, "agree": "yes"},
    )
    assert signed.status_code == 302
    page = client.get(f"{BASE}/matters/{demo}/documents?per_page=500")
    assert page.status_code == 200
    assert b"AOL-DEF-00556923" in page.data and b"AOL-DEF-00528691" not in page.data


def test_audit_page_for_auditor_and_refusal_for_employee(client, demo):
    login(client, "auditor@audit.example")
    page = client.get(f"{BASE}/matters/{demo}/audit")
    assert page.status_code == 200 and b"Every side" in page.data
    csv_export = client.get(f"{BASE}/matters/{demo}/audit?format=csv")
    assert csv_export.mimetype == "text/csv" and b"seq,at,tag" in csv_export.data
    documents = client.get(f"{BASE}/matters/{demo}/documents")
    assert documents.status_code == 403
    client.post(
        f"{BASE}/logout", headers=SAME_ORIGIN, data={"csrf_token": _csrf(client, "/matters")}
    )
    login(client, "staff@alotrolado.example")
    assert client.get(f"{BASE}/matters/{demo}/audit").status_code == 403


def test_login_redirect_stays_on_this_site(client, demo):
    response = client.post(
        f"{BASE}/login?next=https://evil.example/",
        headers=SAME_ORIGIN,
        data={
            "email": "court@casd.example",
            "password": DEMO_PASSWORD,
            "csrf_token": _csrf(client, "/login"),
        },
    )
    assert response.headers["Location"] == "/matters"


def test_cross_site_form_post_is_refused(client, demo):
    login(client, "court@casd.example")
    token = _csrf(client, "/matters")
    response = client.post(
        f"{BASE}/logout", headers={"Referer": "https://evil.example/"}, data={"csrf_token": token}
    )
    assert response.status_code == 400
    assert client.get(f"{BASE}/matters").status_code == 200  # still signed in


def test_stylesheet_is_served_by_the_app(client):
    page = client.get(f"{BASE}/login")
    href = re.search(rb'<link rel="stylesheet" href="([^"]+)"', page.data).group(1).decode()
    with client.get(f"{BASE}{href}") as css:
        assert css.status_code == 200 and css.mimetype == "text/css"
        assert b"font" in css.data
