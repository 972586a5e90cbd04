"""Redactions made by the gateway (FRCP 26(b)(5)(B); BRIEF §3 steps 2, 3 and 5): the seed's
two, after the court granted the claw-backs of Ex. 18 and 19 only for the database code on
one page each; who is then served what; the redaction log and who may read it; and bad
input that changes nothing (rows and blobs counted) and is audited with its reason."""

from __future__ import annotations

import io
import json
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.documents.ingest import count_rows
from gateway.documents.models import Document
from gateway.orders.models import Redaction
from gateway.pdf.redact import page_text
from tests.helpers import (
    BASE,
    SAME_ORIGIN,
    api_get,
    assert_marked_copy,
    auth,
    csrf_token,
    own_text,
    pdf_bytes,
    stored_file,
    token_for,
    web_client,
)

EX1 = "AOL-DEF-00556914"  # 5 pages, AEO, claw-back denied
EX18, EX18_P13 = "AOL-DEF-00528691", "AOL-DEF-00528703"  # 17 pages, AEO
EX19, EX19_P13 = "AOL-DEF-00516605", "AOL-DEF-00516617"  # 19 pages, AEO (re-designated)
CODE18 = "Database identification code: FIR-2018-000123"
CODE19 = "PPT-2018-000456"
ORDER = {"date": "2020-06-26", "docket": "463"}
DEFENDANTS = "counsel@defendants.example"
PLAINTIFFS = "counsel@plaintiffs.example"
EMPLOYEE = "staff@alotrolado.example"  # Plaintiffs' employee, Exhibit A signed
EXPERT = "expert@plaintiffs.example"  # no Exhibit A
COURT = "court@casd.example"
AUDITOR = "auditor@audit.example"
WHY = "Order of June 26, 2020 (Dkt. 463): law-enforcement privilege upheld for the code only"


def _post(client, who, path, body):
    return client.post(f"{BASE}/api/v1{path}", headers=auth(token_for(client, who)), json=body)


@pytest.fixture
def in_part(client, demo) -> int:
    """Ex. 1, 18 and 19 clawed back; the court denies Ex. 1 and grants Ex. 18 and 19 only
    for page 13, as the order did."""
    noticed = _post(
        client,
        DEFENDANTS,
        f"/matters/{demo}/clawbacks",
        {"documents": [EX1, EX18, EX19], "privilege": "law enforcement", "basis": "codes"},
    )
    assert noticed.status_code == 201, noticed.get_json()
    rulings = f"/matters/{demo}/clawbacks/{noticed.get_json()['id']}/rulings"
    for bates, outcome in ((EX1, "denied"), (EX18, "granted_in_part"), (EX19, "granted_in_part")):
        body = {"document": bates, "outcome": outcome, "order": ORDER}
        if outcome == "granted_in_part":
            body["pages"] = [13]
        ruled = _post(client, COURT, rulings, body)
        assert ruled.status_code == 201, ruled.get_json()
    return demo


def _redact(client, matter, bates, marks, who=DEFENDANTS, **fields: Any):
    body = {"kind": "privilege_redacted", "designation": "AEO", "reason": WHY, "marks": marks}
    return _post(client, who, f"/matters/{matter}/documents/{bates}/redactions", body | fields)


def _content(client, who, matter, bates) -> bytes:
    got = api_get(client, token_for(client, who), f"/matters/{matter}/documents/{bates}/content")
    assert got.status_code == 200, (who, got.status_code)
    return got.data


def _pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page_text(pdf, i) for i in range(len(doc))]
    finally:
        doc.close()


def _render(pdf: bytes, index: int):
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].render(scale=1).to_pil().convert("L")
    finally:
        doc.close()


def _dark(image, box) -> float:
    pixels = image.crop(box).tobytes()
    return sum(1 for p in pixels if p < 64) / len(pixels)


def test_the_seeds_two_redactions_cover_the_codes_and_nothing_else(client, rt, in_part):
    original18 = _content(client, DEFENDANTS, in_part, EX18)
    made18 = _redact(client, in_part, EX18, [{"text": CODE18, "pages": [EX18_P13]}])
    assert made18.status_code == 201, made18.get_json()
    version = made18.get_json()
    assert (version["kind"], version["designation"], version["page_count"]) == (
        "privilege_redacted",
        "AEO",
        17,
    )
    assert f"page(s) {EX18_P13} rasterized at 300 dpi: they carry no text layer" in version["note"]
    made19 = _redact(client, in_part, EX19, [{"text": CODE19, "pages": [EX19_P13]}])
    assert made19.status_code == 201, made19.get_json()

    # Plaintiffs' counsel is served the redacted versions: the codes are in no page's text
    served18 = _content(client, PLAINTIFFS, in_part, EX18)
    served19 = _content(client, PLAINTIFFS, in_part, EX19)
    pages18, pages19 = _pages(served18), _pages(served19)
    assert len(pages18) == 17 and len(pages19) == 19
    assert not any("FIR-2018-000123" in t or "Database identification" in t for t in pages18)
    assert not any(CODE19 in t for t in pages19)
    # page 13: an image, no text layer (the served copy's only text is its forensic mark)
    assert own_text(pages18[12]) == "" and own_text(pages19[12]) == ""
    # every other page still reads as produced
    for n, text in enumerate(pages18):
        if n != 12:
            assert f"Page {n + 1} of 17" in text and "AOL-DEF-" in text
    assert "Page 14 of 19" in pages19[13]
    # "Information Gaps" (the claim was denied for it) is still visible on page 13: the
    # rendered line where it stood has ink, the code's line is a solid box
    redacted, before = _render(served18, 12), _render(original18, 12)
    gaps = (72, 196 - 10, 170, 196 + 2)  # its baseline: 196 points from the top
    assert _dark(redacted, gaps) > 0.05 and abs(_dark(redacted, gaps) - _dark(before, gaps)) < 0.05
    log = _log(client, DEFENDANTS, in_part, EX18)
    box = log.get_json()["items"][0]["resolved"][0]["boxes"][0]
    assert box["page"] == EX18_P13
    x0, y0, x1, y1 = box["box"]
    strip = (int(x0) + 2, int(792 - y1) + 1, int(x1) - 2, int(792 - y1) + 2)
    assert _dark(redacted, strip) == 1.0 and _dark(before, strip) < 1.0

    # the court and Defendants are served the original, code and all
    for who in (COURT, DEFENDANTS):
        stored = stored_file(rt, in_part, EX18)  # the original
        assert_marked_copy(_content(client, who, in_part, EX18), stored, email=who)
        assert "FIR-2018-000123" in _pages(_content(client, who, in_part, EX18))[12]
        assert CODE19 in _pages(_content(client, who, in_part, EX19))[12]
    # nor does redaction open Ex. 18 (AEO) to anyone the order keeps it from
    for who in (EMPLOYEE, EXPERT, AUDITOR):
        path = f"/matters/{in_part}/documents/{EX18}/content"
        refused = api_get(client, token_for(client, who), path)
        assert refused.status_code in (403, 404), (who, refused.status_code)
    # the redacted file carries nothing beyond its pages; the copy served carries the
    # recipient's forensic mark in its XMP, and nothing of the source's metadata
    stored18 = stored_file(rt, in_part, EX18, kind="privilege_redacted")
    with pikepdf.open(io.BytesIO(stored18)) as pdf:
        assert "/Metadata" not in pdf.Root and len(pdf.docinfo) == 0
    with pikepdf.open(io.BytesIO(served18)) as pdf:
        assert len(pdf.docinfo) == 0
        with pdf.open_metadata() as meta:
            assert set(meta) == {"{http://ns.adobe.com/xap/1.0/mm/}InstanceID"}
            assert meta["xmpMM:InstanceID"].startswith("POGW-")


def _log(client, who, matter, bates):
    return api_get(
        client, token_for(client, who), f"/matters/{matter}/documents/{bates}/redactions"
    )


def test_the_redaction_log_is_the_producing_sides_and_the_courts(client, rt, in_part):
    made = _redact(
        client, in_part, EX18, [{"text": CODE18}, {"page": EX18_P13, "box": [60, 40, 300, 52]}]
    )
    assert made.status_code == 201, made.get_json()
    for who in (DEFENDANTS, COURT):
        log = _log(client, who, in_part, EX18)
        assert log.status_code == 200, (who, log.get_json())
        (entry,) = log.get_json()["items"]
        assert entry["made_by"] == DEFENDANTS and entry["reason"] == WHY
        assert entry["version"] == "privilege_redacted" and entry["from"] == "original"
        assert entry["rasterized"] == [EX18_P13] and entry["dpi"] == 300
        assert entry["marks"][0] == {"text": CODE18}
        assert [b["page"] for r in entry["resolved"] for b in r["boxes"]] == [EX18_P13] * 2
    # Plaintiffs' counsel may list the document: told why it may not read the log
    refused = _log(client, PLAINTIFFS, in_part, EX18)
    assert refused.status_code == 403
    assert "producing or designating party and the court" in refused.get_json()["error"]["message"]
    assert WHY not in refused.get_data(as_text=True)
    # Defendants' counsel, on a document Plaintiffs produced: listed, but not theirs
    theirs = _log(client, DEFENDANTS, in_part, "AOL-PLTF-00000004")
    assert theirs.status_code == 403, theirs.get_json()
    # the employee may not list an AEO document: exactly as if it did not exist
    hidden, missing = (
        _log(client, EMPLOYEE, in_part, EX18),
        _log(client, EMPLOYEE, in_part, "AOL-DEF-09999999"),
    )
    assert hidden.status_code == 404 and hidden.get_json() == missing.get_json()
    # the expert without Exhibit A and the auditor read nothing of it either
    for who in (EXPERT, AUDITOR):
        other = _log(client, who, in_part, EX18)
        assert other.status_code in (403, 404) and WHY not in other.get_data(as_text=True)
    with rt.db.session() as session:
        reasons = list(
            session.scalars(select(AuditEntry.outcome).where(AuditEntry.tag == "redaction:read"))
        )
    assert reasons.count("allowed") == 2 and reasons.count("denied") >= 4


def _state(rt) -> tuple[Any, ...]:
    with rt.db.session() as session:
        return (
            count_rows(session),
            session.scalar(select(func.count()).select_from(Redaction)),
            sorted(rt.blobs.store.iter_keys()),
        )


def _denials(rt) -> list[str]:
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.reason).where(
                    AuditEntry.tag == "version:redact", AuditEntry.outcome == "denied"
                )
            )
        )


BOX = {"page": EX18_P13, "box": [60, 600, 320, 630]}


@pytest.mark.parametrize(
    ("who", "bates", "fields", "status", "why"),
    [
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"page": EX18_P13, "box": [0, 0, 700, 100]}]},
            422,
            "marks[0].box: off the page",
        ),
        (
            DEFENDANTS,
            EX18,
            {"marks": [BOX, {"page": EX18_P13, "box": [9, 9, 9, 50]}]},
            422,
            "marks[1].box: of zero area",
        ),
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"page": "AOL-DEF-00528800", "box": [1, 1, 9, 9]}]},
            422,
            "marks[0].page",
        ),
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"text": CODE19}]},
            422,
            "matches nothing on the document",
        ),
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"text": CODE18, "pages": [EX18]}]},
            422,
            "matches nothing on AOL-DEF-00528691",
        ),
        (DEFENDANTS, EX18, {"marks": [{"pattern": "x" * 501}]}, 422, "at most 500"),
        (DEFENDANTS, EX18, {"marks": [{"pattern": "(FIR"}]}, 422, "not a regular expression"),
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"text": CODE18, "box": [1, 1, 2, 2]}]},
            422,
            "marks[0]: one of",
        ),
        (DEFENDANTS, EX18, {"marks": []}, 422, "marks: a list"),
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"page": EX18_P13, "box": [10**400, 0, 1, 1]}]},
            422,
            "four numbers",
        ),
        (
            DEFENDANTS,
            EX18,
            {"marks": [{"text": CODE18, "pages": [13]}]},
            422,
            "marks[0].pages: a Bates",
        ),
        (DEFENDANTS, EX18, {"marks": [BOX], "colour": "red"}, 422, "colour: not a field"),
        (DEFENDANTS, EX18, {"marks": [BOX], "reason": " "}, 422, "reason"),
        (DEFENDANTS, EX18, {"marks": [BOX], "dpi": 30}, 422, "dpi"),
        (DEFENDANTS, EX18, {"marks": [BOX], "label": "REDACTED \u2013 PRIVILEGE"}, 422, "label"),
        (
            DEFENDANTS,
            EX18,
            {"marks": [BOX], "from": "public_redacted"},
            422,
            "has no public_redacted",
        ),
        (DEFENDANTS, EX18, {"marks": [BOX], "designation": "CONFIDENTIAL"}, 422, "or stricter"),
        (DEFENDANTS, EX18, {"marks": [BOX], "kind": "original"}, 422, "kind"),
        (DEFENDANTS, EX1, {"marks": [{"page": EX1, "box": [1, 1, 9, 9]}]}, 409, "granted in part"),
        (PLAINTIFFS, EX18, {"marks": [BOX]}, 403, "only the producing or designating party"),
        (COURT, EX18, {"marks": [BOX]}, 403, "version:supply"),
    ],
)
def test_bad_redactions_change_nothing_and_are_audited(
    client, rt, in_part, who, bates, fields, status, why
):
    before = _state(rt)
    marks = fields.pop("marks")
    response = _redact(client, in_part, bates, marks, who=who, **fields)
    assert response.status_code == status, response.get_json()
    if status == 422:
        assert why in response.get_json()["error"]["message"]
    assert _state(rt) == before
    assert any(why in reason for reason in _denials(rt)), _denials(rt)


def test_a_hidden_document_is_refused_as_missing(client, rt, in_part):
    """Plaintiffs' employee may not list Ex. 18 (AEO) at all, nor supply a version."""
    before = _state(rt)
    hidden = _redact(client, in_part, EX18, [BOX], who=EMPLOYEE)
    assert hidden.status_code in (403, 404)
    assert _state(rt) == before and _denials(rt)


def _supply(client, matter, bates, pdf: bytes) -> None:
    made = client.post(
        f"{BASE}/api/v1/matters/{matter}/documents/{bates}/versions",
        headers=auth(token_for(client, DEFENDANTS)),
        data={"kind": "public_redacted", "designation": "AEO", "file": (io.BytesIO(pdf), "v.pdf")},
        content_type="multipart/form-data",
    )
    assert made.status_code == 201, made.get_json()


def test_an_encrypted_source_is_refused_and_leaves_nothing(client, rt, in_part):
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_bytes(17))) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user=""))
    _supply(client, in_part, EX18, out.getvalue())
    before = _state(rt)
    refused = _redact(client, in_part, EX18, [BOX], **{"from": "public_redacted"})
    assert refused.status_code == 422
    assert "file: the PDF is encrypted" in refused.get_json()["error"]["message"]
    assert _state(rt) == before and any("encrypted" in r for r in _denials(rt))


def test_a_document_over_the_page_limit_is_refused(client, rt, in_part, monkeypatch):
    """The limit is a setting (10,000 pages against the default is tested on the PDF
    module itself): Ex. 18's 17 pages against a limit of 10."""
    monkeypatch.setitem(rt.settings, "PDF_MAX_PAGES", 10)
    before = _state(rt)
    refused = _redact(client, in_part, EX18, [{"text": CODE18}])
    assert refused.status_code == 422
    assert "file: the PDF has 17 pages; at most 10" in refused.get_json()["error"]["message"]
    assert _state(rt) == before and any("at most 10" in r for r in _denials(rt))


def test_javascript_and_attachments_in_the_source_are_scrubbed(client, rt, in_part):
    with pikepdf.open(io.BytesIO(pdf_bytes(17, "uploaded exhibit"))) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
        pdf.attachments["memo.txt"] = pikepdf.AttachedFileSpec(pdf, b"an attached memo")
        out = io.BytesIO()
        pdf.save(out)
    _supply(client, in_part, EX18, out.getvalue())
    made = _redact(
        client,
        in_part,
        EX18,
        [{"pattern": r"exhibit, page 1\b", "pages": [EX18]}],
        label="REDACTED - CONFIDENTIAL",
        dpi=150,
        **{"from": "public_redacted"},
    )
    assert made.status_code == 201, made.get_json()
    assert "rasterized at 150 dpi" in made.get_json()["note"]
    served = _content(client, PLAINTIFFS, in_part, EX18)
    with pikepdf.open(io.BytesIO(served)) as pdf:
        assert "/OpenAction" not in pdf.Root and "/Names" not in pdf.Root
        assert len(pdf.attachments) == 0
    assert b"app.alert" not in served and b"attached memo" not in served
    with rt.db.session() as session:
        details = session.scalars(
            select(AuditEntry.details).where(
                AuditEntry.tag == "version:redact", AuditEntry.outcome == "allowed"
            )
        ).one()
    assert {"JavaScript or actions", "embedded files"} <= set(json.loads(details)["scrubbed"])
    texts = _pages(served)
    assert own_text(texts[0]) == "" and "exhibit, page 10" in texts[9]


def test_the_versions_page_offers_the_redaction_form(app, rt, in_part):
    browser = web_client(app, DEFENDANTS)
    page = browser.get(f"{BASE}/matters/{in_part}/documents/{EX18}/versions")
    assert page.status_code == 200 and b'id="redact"' in page.data
    token = csrf_token(browser, f"{BASE}/matters/{in_part}/documents/{EX18}/versions")
    made = browser.post(
        f"{BASE}/matters/{in_part}/documents/{EX18}/redactions",
        headers=SAME_ORIGIN,
        data={
            "csrf_token": token,
            "kind": "privilege_redacted",
            "designation": "AEO",
            "reason": WHY,
            "label": "REDACTED - PRIVILEGE",
            "marks": f"text: {CODE18}\n{EX18_P13} 60 40 300 52\n",
        },
    )
    assert made.status_code == 302, made.data[:500]
    served = _content(browser.application.test_client(), PLAINTIFFS, in_part, EX18)
    assert not any("FIR-2018-000123" in t for t in _pages(served))
    # without the token nothing is made
    forged = web_client(app, DEFENDANTS).post(
        f"{BASE}/matters/{in_part}/documents/{EX19}/redactions",
        headers=SAME_ORIGIN,
        data={
            "kind": "privilege_redacted",
            "designation": "AEO",
            "reason": WHY,
            "marks": f"text: {CODE19}",
        },
    )
    assert forged.status_code in (400, 403)
    with rt.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Redaction)) == 1


def _audit_text(client, matter) -> str:
    """All the auditor reads of the matter's audit trail."""
    got = api_get(client, token_for(client, AUDITOR), f"/matters/{matter}/audit", per_page=500)
    assert got.status_code == 200, got.get_json()
    return got.get_data(as_text=True)


def test_a_refused_marks_text_reaches_its_maker_and_not_the_audit_trail(client, rt, in_part):
    """The code is on page 13, the mark names page 1: refused. Defendants' counsel is told
    which text matched nothing; the audit entry, which the neutral auditor reads, says
    only how long it was."""
    before = _state(rt)
    refused = _redact(client, in_part, EX18, [{"text": CODE18, "pages": [EX18]}])
    assert refused.status_code == 422
    message = refused.get_json()["error"]["message"]
    assert message.startswith(f"marks[0].text: {CODE18!r} matches nothing on {EX18}")
    assert _state(rt) == before
    assert any(
        r.startswith(f"marks[0].text ({len(CODE18)} characters) matches nothing on {EX18}")
        for r in _denials(rt)
    ), _denials(rt)
    assert "version:redact" in _audit_text(client, in_part)
    assert "FIR-2018-000123" not in _audit_text(client, in_part)
    assert not any("FIR-2018" in r for r in _denials(rt))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", f"Field report {CODE19}"),
        ("file_name", f"{CODE19}.pdf"),
        ("custodian", f"Records unit {CODE19}"),
    ],
)
def test_covered_text_in_the_documents_metadata_is_refused_and_stores_nothing(
    client, rt, in_part, field, value
):
    """The title, file name and custodian are served with every version (the document's
    JSON, an export's DAT): a redaction that leaves the code there redacts nothing."""
    with rt.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == EX19))
        setattr(doc, field, value)
        session.commit()
    before = _state(rt)
    refused = _redact(client, in_part, EX19, [{"text": CODE19, "pages": [EX19_P13]}])
    assert refused.status_code == 422, refused.get_json()
    message = refused.get_json()["error"]["message"]
    assert f"also in the document's {field}" in message and "correct the" in message
    assert CODE19 not in message
    assert _state(rt) == before
    assert any(f"document's {field}" in r for r in _denials(rt)), _denials(rt)
    assert CODE19 not in _audit_text(client, in_part)
    # no version was made: the redaction log is empty
    assert _log(client, DEFENDANTS, in_part, EX19).get_json()["items"] == []


def test_a_pattern_whose_matching_explodes_is_refused_in_time(client, rt, in_part, monkeypatch):
    """``.*`` five times side by side over page 13's text (dot matching line breaks, so
    the whole page is one subject) would run for far longer than any request may; the
    child process matching it is stopped at the limit (a setting, 1 s here) and the mark
    is refused, audited, nothing stored."""
    monkeypatch.setitem(rt.settings, "REDACTION_PATTERN_SECONDS", 1)
    before = _state(rt)
    pattern = "(?s).*.*.*.*.*~~~"
    refused = _redact(client, in_part, EX18, [{"pattern": pattern, "pages": [EX18_P13]}])
    assert refused.status_code == 422
    message = refused.get_json()["error"]["message"]
    assert message.startswith("marks[0].pattern: its matching did not finish within 1 s")
    assert _state(rt) == before
    assert any("did not finish within 1 s" in r for r in _denials(rt)), _denials(rt)
    assert pattern not in _audit_text(client, in_part)
