"""The streaming multipart parser behind POST documents/<bates>/versions: large files are
accepted, malformed bodies refused (400), audited, with no row and no blob left."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.documents.ingest import count_rows
from gateway.documents.models import Document
from tests.helpers import BASE, auth, pdf_bytes, token_for

EX18 = "AOL-DEF-00528691"  # 17 pages, AEO
DEFENDANTS = "counsel@defendants.example"
ORDER = {"date": "2020-06-26", "docket": "463"}


def _post(client, who, path, body):
    return client.post(f"{BASE}/api/v1{path}", headers=auth(token_for(client, who)), json=body)


@pytest.fixture
def in_part(client, demo) -> int:
    noticed = _post(
        client,
        DEFENDANTS,
        f"/matters/{demo}/clawbacks",
        {"documents": [EX18], "privilege": "law enforcement", "basis": "code"},
    )
    cb = noticed.get_json()["id"]
    ruled = _post(
        client,
        "court@casd.example",
        f"/matters/{demo}/clawbacks/{cb}/rulings",
        {"document": EX18, "outcome": "granted_in_part", "pages": [13], "order": ORDER},
    )
    assert ruled.status_code == 201
    return demo


def _state(rt) -> tuple[Any, ...]:
    with rt.db.session() as session:
        return (
            count_rows(session),
            tuple(session.execute(select(Document.designation, Document.state)).all()),
            sorted(rt.blobs.store.iter_keys()),
        )


def _version_audits(rt) -> int:
    with rt.db.session() as s:
        return s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tag == "version:supply")
        )


def sized_pdf(pages: int, size: int) -> bytes:
    """A genuine PDF (reportlab, uncompressed) of ``pages`` pages and about ``size`` bytes:
    each page carries lines of text until the file is big enough."""
    import random

    from reportlab.pdfgen import canvas

    rng = random.Random(1)
    per_page = max(size // pages // 60, 1)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True, pageCompression=0)
    for _ in range(pages):
        for line in range(per_page):
            pdf.drawString(20, 20 + line % 700, "".join(rng.choice("abcdefgh ") for _ in range(50)))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _send(client, matter, pdf: bytes):
    return client.post(
        f"{BASE}/api/v1/matters/{matter}/documents/{EX18}/versions",
        headers=auth(token_for(client, DEFENDANTS)),
        data={
            "kind": "privilege_redacted",
            "designation": "AEO",
            "file": (io.BytesIO(pdf), "v.pdf"),
        },
        content_type="multipart/form-data",
    )


def test_a_version_larger_than_a_form_field_is_accepted(client, rt, in_part):
    """The file part is not held to the form fields' size limit (64 KiB)."""
    pdf = sized_pdf(17, 150_000)
    assert len(pdf) > 100_000
    response = _send(client, in_part, pdf)
    assert response.status_code == 201, response.get_json()


def _raw(client, matter, body: bytes, boundary: str = "XyZ"):
    return client.post(
        f"{BASE}/api/v1/matters/{matter}/documents/{EX18}/versions",
        headers={
            **auth(token_for(client, DEFENDANTS)),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        data=body,
    )


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return b"--XyZ\r\nContent-Disposition: " + disp.encode() + b"\r\n\r\n" + value + b"\r\n"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_part("kind", b"privilege_redacted") + b"--XyZ--\r\n", id="no-file-part"),
        pytest.param(
            _part("file", pdf_bytes(17), "a.pdf")
            + _part("file", pdf_bytes(17), "b.pdf")
            + b"--XyZ--\r\n",
            id="two-file-parts",
        ),
        pytest.param(_part("file", pdf_bytes(17), "a.pdf"), id="no-closing-boundary"),
        pytest.param(_part("file", pdf_bytes(17)[:100], "a.pdf")[:-2], id="truncated"),
        pytest.param(
            b"--XyZ\r\nContent-Type: text/plain\r\n\r\nabc\r\n--XyZ--\r\n", id="no-disposition"
        ),
        pytest.param(
            b'--XyZ\r\nContent-Disposition: form-data; name="\xff\xfe"\r\n\r\nabc\r\n--XyZ--\r\n',
            id="bad-utf8-header",
        ),
        pytest.param(
            b"".join(_part(f"f{i}", b"v") for i in range(25))
            + _part("file", pdf_bytes(17), "a.pdf")
            + b"--XyZ--\r\n",
            id="many-parts",
        ),
        pytest.param(
            _part("kind", b"k" * 70_000) + _part("file", pdf_bytes(17), "a.pdf") + b"--XyZ--\r\n",
            id="huge-field",
        ),
        pytest.param(
            _part("file", pdf_bytes(17), "a.pdf") + _part("kind", b"k" * 70_000) + b"--XyZ--\r\n",
            id="huge-field-after-file",
        ),
        pytest.param(b"", id="empty-body"),
        pytest.param(b"garbage with no boundary at all", id="garbage"),
    ],
)
def test_malformed_multipart(client, rt, in_part, body):
    before, audits = _state(rt), _version_audits(rt)
    response = _raw(client, in_part, body)
    assert response.status_code in (400, 413, 422), response.status_code
    assert response.get_json()["error"]["code"] in ("bad_request", "too_large", "invalid")
    assert _state(rt) == before
    assert _version_audits(rt) == audits + 1, "refusal not audited"


def test_a_boundary_outside_rfc_2046_is_a_bad_request(app, rt, demo):
    """A boundary given in RFC 2231 form with characters RFC 2046 does not allow."""
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/versions",
        headers={
            **auth(token_for(client, DEFENDANTS)),
            "Content-Type": "multipart/form-data; boundary*=UTF-8''%E2%98%83",
        },
        data=b"--\xe2\x98\x83--\r\n",
    )
    assert response.status_code == 400


@pytest.mark.parametrize("length", [70, 72, 200])
def test_a_long_boundary_is_read(client, rt, in_part, length):
    """RFC 2046 says 70 characters at most; Werkzeug's test client sends up to 72. Up to
    200 bchars are read; the version is made."""
    boundary = ("b" * length)[:length]
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n'
            f"privilege_redacted\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="designation"\r\n\r\nAEO\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + pdf_bytes(17)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = _raw(client, in_part, body, boundary)
    assert response.status_code == 201, response.get_json()


def test_a_boundary_over_200_characters_is_refused(client, rt, in_part):
    boundary = "b" * 201
    body = f"--{boundary}\r\n\r\n--{boundary}--\r\n".encode()
    before = _state(rt)
    response = _raw(client, in_part, body, boundary)
    assert response.status_code == 400
    assert "boundary" in response.get_json()["error"]["message"]
    assert _state(rt) == before
