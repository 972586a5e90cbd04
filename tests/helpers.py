"""Small helpers for functional tests (not fixtures)."""

from __future__ import annotations

from typing import Any

from gateway.demo import DEMO_PASSWORD

BASE = "https://localhost"


def token_for(client: Any, email: str, password: str = DEMO_PASSWORD) -> str:
    response = client.post(f"{BASE}/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_get(client: Any, token: str, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}/api/v1{path}", headers=auth(token), query_string=params)


def all_bates(client: Any, token: str, matter_id: int, **params: Any) -> list[str]:
    response = api_get(client, token, f"/matters/{matter_id}/documents", per_page=500, **params)
    assert response.status_code == 200, response.get_json()
    return [item["bates_begin"] for item in response.get_json()["items"]]


SAME_ORIGIN = {"Referer": f"{BASE}/"}


def csrf_token(client: Any, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    import re

    page = client.get(url)
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert found, page.data[:300]
    return found.group(1).decode()


def web_login(client: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    response = client.post(
        f"{BASE}/login",
        headers=SAME_ORIGIN,
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(client, f"{BASE}/login"),
        },
    )
    assert response.status_code == 302, response.data[:500]


def pdf_bytes(pages: int, text: str = "uploaded exhibit") -> bytes:
    """A real PDF of ``pages`` pages, so page counts are checked against real files."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True)
    for number in range(1, pages + 1):
        pdf.drawString(72, 720, f"{text}, page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def tiff_bytes(pages: int) -> bytes:
    """A real multi-page TIFF of ``pages`` pages."""
    import io

    from PIL import Image

    frames = [Image.new("1", (40, 40), color=number % 2) for number in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def web_client(app: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    """A browser of its own, signed in as ``email``."""
    client = app.test_client()
    web_login(client, email, password)
    return client


def web_post(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    """A form post from a signed-in page of this site, with the session's CSRF token."""
    token = csrf_token(client, f"{BASE}/notices")
    return client.post(
        f"{BASE}{path}", headers=SAME_ORIGIN, data={**(data or {}), "csrf_token": token}
    )
