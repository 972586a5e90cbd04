"""Natives without pages (issue 9, item 7): listed, and downloaded as a branded slip sheet
unless the policy allows the native itself (``document:download_native``).

The natives are real files (an e-mail message, a CSV spreadsheet) ingested through the same
path as any production volume.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from PIL import Image

from gateway.documents.ingest import designation_spellings, ingest
from gateway.ingest.plan import build_plan
from gateway.ingest.source import MemorySource
from gateway.ingest.writer import write_dat
from gateway.pdf.imprint import MARK_KEY
from tests import factories
from tests.factories import PLAINTIFFS
from tests.helpers import BASE, token_seq, web_client

EML = "NAT-00000001"
CSV = "NAT-00000002"
VOLUME = "NAT-VOL001"
DEFENSE = "counsel@defendants.example"
PLAINTIFFS_COUNSEL = "counsel@plaintiffs.example"
MESSAGE = (
    b"From: Organizer <organizer@alotrolado.example>\r\n"
    b"To: Team <team@alotrolado.example>\r\n"
    b"Subject: Schedule at the port of entry\r\n"
    b"Date: Mon, 03 Dec 2018 09:00:00 -0800\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"The schedule for Tuesday is attached in the spreadsheet.\r\n"
)
SHEET = b"date,location,count\r\n2018-12-04,San Ysidro,12\r\n2018-12-05,Otay Mesa,7\r\n"


def _produce_natives(rt, matter_id: int) -> None:
    fields = ["BEGBATES", "ENDBATES", "CUSTODIAN", "CONFIDENTIALITY", "TITLE", "FILENAME"]
    fields += ["NATIVELINK", "TEXTLINK"]
    rows, files = [], {}
    for bates, name, data in ((EML, "schedule.eml", MESSAGE), (CSV, "schedule.csv", SHEET)):
        files[f"NATIVES/{bates}{name[name.rfind('.') :]}"] = data
        files[f"TEXT/{bates}.txt"] = b"extracted text of " + bates.encode()
        native = f"NATIVES/{bates}{name[name.rfind('.') :]}"
        rows.append(
            [bates, bates, "Organizer", "CONFIDENTIAL", f"Native {name}", name, native]
            + [f"TEXT/{bates}.txt"]
        )
    files[f"DATA/{VOLUME}.dat"] = write_dat(fields, rows)
    source = MemorySource(files, name=VOLUME)
    plan = build_plan(
        source,
        dat_path=f"DATA/{VOLUME}.dat",
        opt_path=None,
        designations=designation_spellings(rt, matter_id),
        volume=VOLUME,
    )
    ingest(
        rt,
        factories.OPERATOR,
        matter_id=matter_id,
        party_id=factories.party_id(rt, matter_id, PLAINTIFFS),
        plan=plan,
        source=source,
    )


@pytest.fixture
def natives(rt, demo) -> int:
    _produce_natives(rt, demo)
    return demo


def _withhold_natives_from_receiving_counsel(rt, matter_id: int) -> None:
    from gateway.demo import reference_rules_text
    from gateway.matters import order_policy
    from gateway.matters.order_store import tiers_text

    rules = (
        reference_rules_text()
        + "\n# natives stay with the producing party; the other side gets slip sheets\n"
        + "p, outside_counsel, *, *, *, other, *, *, *, *, document:download_native, deny\n"
    )
    order_policy.set_variant(
        rt,
        factories.OPERATOR,
        matter_id,
        rules_text=rules,
        tiers_text_=tiers_text(order_policy.describe(rt, matter_id).policy),
        reason="natives withheld from the receiving side",
    )


def _content(client, matter_id: int, bates: str):
    return client.get(f"{BASE}/matters/{matter_id}/documents/{bates}/content")


def _text(pdf_bytes: bytes) -> str:
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        assert len(pdf) == 1
        page = pdf[0]
        text = page.get_textpage().get_text_range()
        page.close()
        return " ".join(text.split())
    finally:
        pdf.close()


def test_by_default_whoever_may_download_gets_the_native(app, natives):
    client = web_client(app, DEFENSE)
    assert _content(client, natives, EML).data == MESSAGE
    assert _content(client, natives, CSV).data == SHEET
    page = client.get(f"{BASE}/matters/{natives}/documents/{CSV}")
    assert b"spreadsheet (.csv)" in page.data and b"hands over the native" in page.data


def test_a_matter_can_withhold_natives_and_serve_the_slip_sheet(app, rt, natives):
    _withhold_natives_from_receiving_counsel(rt, natives)
    client = web_client(app, DEFENSE)
    for bates, name, kind in (
        (EML, "schedule.eml", "e-mail"),
        (CSV, "schedule.csv", "spreadsheet"),
    ):
        response = _content(client, natives, bates)
        assert response.status_code == 200
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
        assert MESSAGE not in response.data and SHEET not in response.data
        text = _text(response.data)
        assert bates in text and "CONFIDENTIAL" in text
        assert name in text and kind in text
        assert "produced in native form" in text.lower()
    page = client.get(f"{BASE}/matters/{natives}/documents/{EML}")
    assert b"serves its slip sheet" in page.data
    # the producing party keeps its own natives
    producer = web_client(app, PLAINTIFFS_COUNSEL)
    assert _content(producer, natives, EML).data == MESSAGE


def test_a_withheld_native_stays_out_of_the_volume_download(app, rt, natives):
    _withhold_natives_from_receiving_counsel(rt, natives)
    client = web_client(app, DEFENSE)
    response = client.get(f"{BASE}/matters/{natives}/productions/{VOLUME}/download")
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert not any(n.endswith((".eml", ".csv")) for n in names), names
    assert any(n.endswith(f"{EML}.txt") for n in names), names
    producer = web_client(app, PLAINTIFFS_COUNSEL)
    full = producer.get(f"{BASE}/matters/{natives}/productions/{VOLUME}/download")
    assert any(n.endswith(".eml") for n in zipfile.ZipFile(io.BytesIO(full.data)).namelist())


def test_a_witness_is_shown_the_slip_sheet_and_never_the_native(app, rt, natives):
    start = rt.now() - timedelta(hours=1)
    email = factories.person(
        rt,
        natives,
        "witness@example.org",
        "witness",
        active_from=start,
        active_until=start + timedelta(hours=4),
        signed=True,
    )
    client = web_client(app, email)
    refused = _content(client, natives, EML)
    assert refused.status_code == 403 and MESSAGE not in refused.data
    image = client.get(f"{BASE}/matters/{natives}/documents/{EML}/pages/1.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert MARK_KEY in Image.open(io.BytesIO(image.data)).text
    assert client.get(f"{BASE}/matters/{natives}/documents/{EML}/pages/2.png").status_code == 404
    page = client.get(f"{BASE}/matters/{natives}/documents/{EML}")
    assert b"Produced in native form: e-mail (.eml)" in page.data
    assert b"hands over" not in page.data and b"serves its slip sheet" not in page.data


def test_a_withheld_native_stays_out_of_an_export_too(app, rt, natives):
    """The review platforms' export serves what a download would: no native the order
    withholds from the user, and nothing of its bytes; the producing party's has it."""
    from tests.helpers import auth, token_for

    _withhold_natives_from_receiving_counsel(rt, natives)
    client = app.test_client()
    for who, expect_native in ((DEFENSE, False), (PLAINTIFFS_COUNSEL, True)):
        response = client.post(
            f"{BASE}/api/v1/matters/{natives}/exports",
            headers=auth(token_for(client, who)),
            json={"volume": VOLUME},
        )
        assert response.status_code == 200, response.get_json()
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        names = archive.namelist()
        has_native = any(n.endswith((".eml", ".csv")) for n in names)
        assert has_native is expect_native, (who, names)
        if not expect_native:
            assert all(
                MESSAGE not in archive.read(n) and SHEET not in archive.read(n) for n in names
            )
            assert any(n.endswith(f"{EML}.txt") for n in names), names


def test_a_slip_sheet_carries_the_recipients_mark_and_is_recorded_as_served(app, rt, natives):
    import hashlib
    import json

    from sqlalchemy import select

    from gateway.audit.models import AuditEntry
    from gateway.pdf.marks import tokens_in

    _withhold_natives_from_receiving_counsel(rt, natives)
    client = web_client(app, DEFENSE)
    response = _content(client, natives, EML)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _text(response.data)
    (token,) = tokens_in(text)
    assert "Dana Defense-Counsel" in text and DEFENSE in text
    with rt.db.session() as session:
        download = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tag == "document:download", AuditEntry.bates == EML)
            .order_by(AuditEntry.seq.desc())
        ).first()
        served = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tag == "document:served", AuditEntry.bates == EML)
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert token_seq(rt, natives, token) == download.seq
    details = json.loads(served.details)
    assert details["download"] == download.seq and details["watermarked"] is True
    assert details["sha256"] == hashlib.sha256(response.data).hexdigest()
