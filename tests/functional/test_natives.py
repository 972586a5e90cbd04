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
IMAGED = "NAT-00000003"  # a PDF native: it has pages, so it is never withheld
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


def _produce_natives(rt, matter_id: int, *, imaged: bool = False) -> None:
    """The e-mail and the spreadsheet; ``imaged``: a one-page PDF native in the volume too."""
    from tests.helpers import pdf_bytes

    fields = ["BEGBATES", "ENDBATES", "CUSTODIAN", "CONFIDENTIALITY", "TITLE", "FILENAME"]
    fields += ["NATIVELINK", "TEXTLINK"]
    rows, files = [], {}
    produced = [(EML, "schedule.eml", MESSAGE), (CSV, "schedule.csv", SHEET)]
    if imaged:
        produced.append((IMAGED, "cover.pdf", pdf_bytes(1, "cover letter")))
    for bates, name, data in produced:
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


def _withheld_text(data: bytes) -> bool:
    return any(b"extracted text of " + bates.encode() in data for bates in (EML, CSV))


def _latest(rt, tag: str, **where):
    import json

    from sqlalchemy import select

    from gateway.audit.models import AuditEntry

    with rt.db.session() as session:
        query = select(AuditEntry).where(AuditEntry.tag == tag)
        for name, value in where.items():
            query = query.where(getattr(AuditEntry, name) == value)
        entry = session.scalars(query.order_by(AuditEntry.seq.desc())).first()
    assert entry is not None, (tag, where)
    return entry, json.loads(entry.details)


def _counts(rt) -> tuple[int, int]:
    """Audit entries and stored blobs: a refusal adds one entry and no blob."""
    from sqlalchemy import func, select

    from gateway.audit.models import AuditEntry

    with rt.db.session() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    return entries, len(list(rt.blobs.store.iter_keys()))


def test_a_withheld_native_and_its_text_stay_out_of_the_volume_download(app, rt, natives):
    """The extracted text is the native's content: where the order withholds the native,
    the text goes with it, and a volume holding nothing else is refused, audited."""
    _withhold_natives_from_receiving_counsel(rt, natives)
    client = web_client(app, DEFENSE)
    before = _counts(rt)
    response = client.get(f"{BASE}/matters/{natives}/productions/{VOLUME}/download")
    assert response.status_code == 404, response.data[:300]
    assert b"withholds the natives of 2" in response.data
    assert MESSAGE not in response.data and SHEET not in response.data
    assert not _withheld_text(response.data)
    entry, details = _latest(rt, "production:download")
    assert entry.outcome == "denied" and details["native_withheld"] == [EML, CSV]
    entries, blobs = _counts(rt)
    assert (entries, blobs) == (before[0] + 1, before[1])
    # the producing party keeps its own natives and their text
    producer = web_client(app, PLAINTIFFS_COUNSEL)
    full = producer.get(f"{BASE}/matters/{natives}/productions/{VOLUME}/download")
    assert full.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(full.data))
    names = archive.namelist()
    assert any(n.endswith(".eml") for n in names) and any(n.endswith(".csv") for n in names)
    texts = [n for n in names if n.endswith(".txt")]
    assert len(texts) == 2 and archive.read(texts[0]).startswith(b"extracted text of")
    _entry, details = _latest(rt, "document:download", bates=EML)
    assert "native_withheld" not in details


def test_a_withheld_natives_text_stays_out_beside_another_document(app, rt, demo):
    """With a document the user may have in the same volume, the volume is served without
    the withheld native's text, and its download entry says what was left out."""
    _produce_natives(rt, demo, imaged=True)
    _withhold_natives_from_receiving_counsel(rt, demo)
    client = web_client(app, DEFENSE)
    response = client.get(f"{BASE}/matters/{demo}/productions/{VOLUME}/download")
    assert response.status_code == 200, response.data[:300]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert not any(n.endswith((".eml", ".csv")) for n in names), names
    assert not any(EML in n or CSV in n for n in names if not n.endswith((".dat", ".opt")))
    assert all(not _withheld_text(archive.read(n)) for n in names)
    assert any(n.endswith(f"{IMAGED}.txt") for n in names), names
    dat = next(n for n in names if n.endswith(".dat"))
    assert EML.encode() not in archive.read(dat)
    _entry, details = _latest(rt, "production:download")
    assert details["native_withheld"] == [EML, CSV] and details["documents"] == 1


def test_a_withheld_native_and_its_text_stay_out_of_an_export(app, rt, demo):
    """The review platforms' export serves what a download would: no native the order
    withholds from the user, nor its text; the producing party's has both."""
    from tests.functional.test_exports import members, post_export
    from tests.helpers import token_for

    natives = demo
    _produce_natives(rt, natives, imaged=True)
    _withhold_natives_from_receiving_counsel(rt, natives)
    client = app.test_client()
    token = token_for(client, DEFENSE)
    for body in ({"volume": VOLUME}, {"documents": [EML, CSV, IMAGED]}):
        response, data = post_export(client, token, natives, body)
        assert response.status_code == 200, data[:300]
        files = members(data)
        assert not any(n.endswith((".eml", ".csv")) for n in files), sorted(files)
        assert all(
            MESSAGE not in v and SHEET not in v and not _withheld_text(v) for v in files.values()
        )
        texts = [n.split("/", 1)[1] for n in files if "/TEXT/" in n]
        assert texts == [f"TEXT/{IMAGED}.txt"], sorted(files)
        _entry, details = _latest(rt, "production:export")
        assert details["native_withheld"] == [EML, CSV] and details["documents"] == 1
    # only the withheld natives: refused, audited, nothing served
    before = _counts(rt)
    response, data = post_export(client, token, natives, {"documents": [EML, CSV]})
    assert response.status_code == 404 and b"withholds the natives of 2" in data
    assert not _withheld_text(data)
    entry, details = _latest(rt, "production:export")
    assert entry.outcome == "denied" and details["native_withheld"] == [EML, CSV]
    assert _counts(rt) == (before[0] + 1, before[1])
    # the producing party gets natives and text
    response, data = post_export(
        client, token_for(client, PLAINTIFFS_COUNSEL), natives, {"volume": VOLUME}
    )
    assert response.status_code == 200
    files = members(data)
    assert any(v == SHEET for v in files.values()) and any(v == MESSAGE for v in files.values())
    texts = [n for n in files if "/TEXT/" in n]
    assert len(texts) == 3, sorted(files)
    _entry, details = _latest(rt, "production:export")
    assert "native_withheld" not in details


def test_an_overlay_leaves_out_a_withheld_natives_text(app, rt, clock, demo):
    """An overlay carries a changed document as an export does: its withheld native's text
    stays out, and the document (nothing else of it to serve) is listed for removal."""
    from tests.functional.test_exports import members, post_export
    from tests.helpers import token_for

    natives = demo
    clock.advance(minutes=1)
    since = rt.now().isoformat()
    clock.advance(minutes=1)
    _produce_natives(rt, natives, imaged=True)
    _withhold_natives_from_receiving_counsel(rt, natives)
    client = app.test_client()
    for who, withheld in ((DEFENSE, True), (PLAINTIFFS_COUNSEL, False)):
        response, data = post_export(
            client, token_for(client, who), natives, {"overlay_since": since, "name": "OV1"}
        )
        assert response.status_code == 200, data[:300]
        files = members(data)
        texts = sorted(n.rsplit("/", 1)[-1] for n in files if "/TEXT/" in n)
        removal = files["OV1/DATA/OV1_REMOVE.txt"].decode()
        assert not any(n for n in files if "/TEXT/" in n and "NAT-" not in n), sorted(files)
        if withheld:
            assert texts == [f"{IMAGED}.txt"], sorted(files)
            assert all(not _withheld_text(v) for v in files.values())
            assert removal.split() == [EML, CSV]
            _entry, details = _latest(rt, "production:export")
            assert details["native_withheld"] == [EML, CSV]
        else:
            assert texts == sorted([f"{EML}.txt", f"{CSV}.txt", f"{IMAGED}.txt"]), sorted(files)
            assert removal == ""


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
    assert details["download"] == download.log_index and details["watermarked"] is True
    assert details["sha256"] == hashlib.sha256(response.data).hexdigest()
