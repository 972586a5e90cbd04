"""Every PDF download carries its recipient's forensic mark, visible and hidden, and a
second audit entry records exactly what was sent (issue 9, item 3)."""

from __future__ import annotations

import hashlib
import io
import json

import pikepdf
import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.pdf.marks import TOKEN, tokens_in
from gateway.pdf.watermark import MARK_TAG
from tests.helpers import (
    BASE,
    auth,
    log_index,
    page_texts,
    seq_token_in,
    token_for,
    token_seq,
)

EX18 = "AOL-DEF-00528691"  # 17 pages, AEO
COUNSEL = "counsel@plaintiffs.example"
COURT = "court@casd.example"


def content(client, email, demo, bates=EX18):
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{bates}/content",
        headers=auth(token_for(client, email)),
    )
    assert response.status_code == 200, response.data[:300]
    return response


def entries(rt, tag, bates=EX18):
    with rt.db.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.tag == tag, AuditEntry.bates == bates)
        ).all()
        return [(r.seq, r.outcome, r.actor_email, json.loads(r.details)) for r in rows]


def test_a_download_carries_the_visible_line_and_each_hidden_channel(client, demo, rt):
    response = content(client, COUNSEL, demo)
    data = response.data
    assert "Content-Length" not in response.headers  # known only once written
    ((seq, _outcome, _who, _details),) = entries(rt, "document:download")
    texts = page_texts(data)
    assert len(texts) == 17
    token = tokens_in(texts[0])[0]
    assert token_seq(rt, demo, token) == seq
    for number, text in enumerate(texts, start=528691):
        assert f"AOL-DEF-{number:08d}" in text, "the page's own text still extracts"
        assert f"Served to Pat Plaintiff-Counsel <{COUNSEL}> on 2020-06-26 17:00 UTC" in text
        assert token in text
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert bytes(pdf.trailer.ID[0]) == token.encode()
        with pdf.open_metadata() as meta:
            assert meta["xmpMM:InstanceID"] == token
        for page in pdf.pages:
            tags = [
                ops[0]
                for ops, op in pikepdf.parse_content_stream(page)
                if str(op) == "BDC" and ops[0] == pikepdf.Name(MARK_TAG)
            ]
            assert len(tags) == 1
            assert b"3 Tr" in page.obj.Contents[-1].read_bytes()  # the invisible text


def test_the_served_entry_holds_the_sha256_of_exactly_the_bytes_received(client, demo, rt):
    data = content(client, COUNSEL, demo).data
    ((seq, _o, _w, _d),) = entries(rt, "document:download")
    ((_s, outcome, who, details),) = entries(rt, "document:served")
    assert (outcome, who) == ("allowed", COUNSEL)
    assert details == {
        "download": log_index(rt, seq),  # the download, by its index in the same log
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "watermarked": True,
    }


def test_two_recipients_get_different_tokens_and_different_bytes(client, demo, rt):
    mine = content(client, COUNSEL, demo).data
    theirs = content(client, COURT, demo).data
    assert mine != theirs
    (a,) = {t for t in tokens_in(page_texts(mine)[4]) if TOKEN.fullmatch(t)}
    (b,) = set(tokens_in(page_texts(theirs)[4]))
    assert a != b and "Chambers Clerk" in page_texts(theirs)[4]
    assert "Chambers Clerk" not in page_texts(mine)[4]


def test_each_pdf_of_a_volume_carries_its_own_downloads_mark(client, demo, rt):
    import zipfile

    staff = token_for(client, "staff@alotrolado.example")
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/AOL-DEF-VOL001/download", headers=auth(staff)
    )
    assert response.status_code == 200 and "Content-Length" not in response.headers
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        members = {
            name.split("/")[1]: archive.read(name)
            for name in archive.namelist()
            if name.endswith(".pdf")
        }
    assert len(members) == 12
    for bates, data in members.items():
        ((seq, _o, who, details),) = entries(rt, "document:download", bates)
        assert who == "staff@alotrolado.example" and details["files"][0]["watermarked"]
        text = page_texts(data)[0]
        assert tokens_in(text) == [tokens_in(text)[0]] and seq_token_in(rt, demo, seq, text)
        assert "Sam Staff <staff@alotrolado.example>" in text
        ((_s, outcome, _w, served),) = entries(rt, "document:served", bates)
        assert outcome == "allowed" and served["download"] == log_index(rt, seq)
        assert served["sha256"] == hashlib.sha256(data).hexdigest()
        assert served["volume"] == "AOL-DEF-VOL001" and served["watermarked"] is True
    # what the employee may not download is neither in the ZIP nor recorded as served
    assert "AOL-DEF-00528691" not in members and entries(rt, "document:served") == []


def test_a_stream_cut_short_is_recorded_as_failed_and_its_worker_ends(client, demo, rt):
    import threading

    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/content",
        headers=auth(token_for(client, COUNSEL)),
        buffered=False,
    )
    first = next(iter(response.response))
    assert first.startswith(b"%PDF-")
    response.close()  # the client goes away
    ((seq, _o, _w, _d),) = entries(rt, "document:download")
    ((_s, outcome, who, details),) = entries(rt, "document:served")
    assert (outcome, who) == ("failed", COUNSEL)
    assert details["download"] == log_index(rt, seq) and 0 < details["bytes_sent"]
    assert "sha256" not in details
    assert not [t for t in threading.enumerate() if t.name == "pogw-mark"]


def test_a_pdf_that_cannot_be_marked_is_refused_not_served_bare(client, demo, rt):
    defendants = token_for(client, "counsel@defendants.example")
    made = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/AOL-DEF-VOL777/documents",
        headers={**auth(defendants), "Content-Type": "application/octet-stream"},
        query_string={"bates_begin": "AOL-DEF-00777001", "designation": "CONFIDENTIAL"}
        | {"file_name": "broken.pdf"},
        data=b"%PDF-1.4 not really a PDF " * 40,
    )
    assert made.status_code == 201, made.get_json()
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-DEF-00777001/content",
        headers=auth(token_for(client, COUNSEL)),
    )
    assert response.status_code == 409 and b"%PDF" not in response.data
    assert "forensic mark" in response.get_json()["error"]["message"]
    (allowed, aborted) = entries(rt, "document:download", "AOL-DEF-00777001")
    assert (allowed[1], aborted[1]) == ("allowed", "aborted")
    assert aborted[3] == {"stage": "before the first byte", "bytes_sent": 0}
    assert entries(rt, "document:served", "AOL-DEF-00777001") == []


def test_page_images_carry_the_mark_too_and_the_entries_say_so(client, demo, rt, tmp_path):
    """A document of page images (TIFF, as most productions are) is served as a ZIP of
    them, each in its own format with the mark's line at its foot and the token in its
    description; a spreadsheet native and extracted text are served as produced, and the
    entry says which is which."""
    import zipfile

    from PIL import Image

    from tests.functional.test_ingest import DOCS, _cli_ingest
    from tests.volumes import build_volume, page_bytes

    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    response = content(client, COUNSEL, demo, "TST-00000001")
    assert response.mimetype == "application/zip"
    assert "Content-Length" not in response.headers  # known only once written
    ((seq, _o, _w, details),) = entries(rt, "document:download", "TST-00000001")
    assert len(details["files"]) == 3 and all(f["watermarked"] for f in details["files"])
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        for number in (1, 2, 3):
            data = archive.read(f"TST-00000001/TST-{number:08d}.tif")
            assert data != page_bytes("TST-", number)
            image = Image.open(io.BytesIO(data))
            assert image.format == "TIFF"
            assert image.size == Image.open(io.BytesIO(page_bytes("TST-", number))).size
            assert token_seq(rt, demo, image.tag_v2[270]) == seq
    ((_s, outcome, _w, served),) = entries(rt, "document:served", "TST-00000001")
    assert outcome == "allowed" and served["watermarked"] is True
    assert served["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert served["download"] == log_index(rt, seq)
    # a spreadsheet native is served as it was produced, and the entry says why
    native = content(client, COUNSEL, demo, "TST-00000006")
    assert native.status_code == 200
    ((_seq, _o, _w, native_entry),) = entries(rt, "document:download", "TST-00000006")
    unmarked = [f for f in native_entry["files"] if not f["watermarked"]]
    assert unmarked and all("only PDFs and page images" in f["unmarked"] for f in unmarked)


def test_the_web_page_download_is_marked_too(client, demo, rt):
    from tests.helpers import web_login

    web_login(client, COURT)
    response = client.get(f"{BASE}/matters/{demo}/documents/{EX18}/content")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    ((seq, _o, who, _d),) = entries(rt, "document:download")
    assert who == COURT
    text = page_texts(response.data)[16]
    assert seq_token_in(rt, demo, seq, text) and f"Chambers Clerk <{COURT}>" in text


def _scanned_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` pages, each with an image that does not compress (a scan's)."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    for number in range(pages):
        scan = Image.effect_noise((400, 400), 60 + number).convert("L")
        pdf.drawImage(ImageReader(scan), 72, 300, width=400, height=400)
        pdf.drawString(72, 200, f"scanned page {number + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_pdf_failing_its_integrity_check_anywhere_is_refused_before_the_first_byte(
    client, demo, rt
):
    """The PDF is read whole (every stream checked) before the mark is stamped, so a bad
    segment in the middle of the file stops the download before any byte is sent."""
    from gateway.crypto.segments import DEFAULT_SEGMENT_SIZE, HEADER_SIZE, TAG_SIZE
    from tests.helpers import stored_file

    data = _scanned_pdf(20)
    assert len(data) > 2 * DEFAULT_SEGMENT_SIZE
    defendants = token_for(client, "counsel@defendants.example")
    made = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/AOL-DEF-VOL778/documents",
        headers={**auth(defendants), "Content-Type": "application/octet-stream"},
        query_string={"bates_begin": "AOL-DEF-00778001", "bates_end": "AOL-DEF-00778020"}
        | {"designation": "CONFIDENTIAL", "file_name": "scan.pdf"},
        data=data,
    )
    assert made.status_code == 201, made.get_json()
    assert stored_file(rt, demo, "AOL-DEF-00778001") == data
    with rt.db.session() as session:
        from gateway.documents.models import DocumentFile

        blob_key = session.scalars(
            select(DocumentFile.blob_key).where(DocumentFile.file_name == "scan.pdf")
        ).one()
    path = rt.settings["INSTANCE_PATH"] / "blobs" / f"{blob_key}.blob"
    blob = bytearray(path.read_bytes())
    blob[HEADER_SIZE + DEFAULT_SEGMENT_SIZE + TAG_SIZE + 10] ^= 1  # the second segment
    path.write_bytes(bytes(blob))
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-DEF-00778001/content",
        headers=auth(token_for(client, COUNSEL)),
    )
    assert response.status_code == 409 and b"%PDF" not in response.data
    assert "integrity check" in response.get_json()["error"]["message"]
    (allowed, aborted) = entries(rt, "document:download", "AOL-DEF-00778001")
    assert (allowed[1], aborted[1]) == ("allowed", "aborted")
    assert aborted[3] == {"stage": "before the first byte", "bytes_sent": 0}
    assert entries(rt, "document:served", "AOL-DEF-00778001") == []


def test_each_pdf_of_an_export_carries_its_own_downloads_mark(client, demo, rt):
    from tests.functional.test_exports import exported, members

    data = exported(client, "staff@alotrolado.example", demo, {"volume": "AOL-DEF-VOL001"})
    pdfs = {n: d for n, d in members(data).items() if n.endswith(".pdf")}
    assert len(pdfs) == 12
    for name, pdf in pdfs.items():
        bates = next(p for p in name.split("/") if p.startswith("AOL-DEF-0")).split(".")[0]
        ((seq, _o, who, _d),) = entries(rt, "document:download", bates)
        text = page_texts(pdf)[0]
        assert seq_token_in(rt, demo, seq, text) and "Sam Staff <staff@alotrolado.example>" in text
        ((_s, outcome, _w, served),) = entries(rt, "document:served", bates)
        assert outcome == "allowed" and served["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert entries(rt, "document:download", EX18) == []  # AEO: not the employee's


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/exports", {"volume": "VOL001"}),
        ("GET", "/productions/VOL001/download", None),
    ],
    ids=["export", "volume"],
)
def test_the_page_images_of_an_export_and_a_volume_carry_their_downloads_mark(
    client, demo, rt, tmp_path, method, path, body
):
    import zipfile

    from PIL import Image

    from tests.functional.test_ingest import DOCS, _cli_ingest
    from tests.volumes import build_volume

    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    token = token_for(client, COUNSEL)
    response = client.open(
        f"{BASE}/api/v1/matters/{demo}{path}", method=method, headers=auth(token), json=body
    )
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        images = [n for n in archive.namelist() if n.endswith(".tif")]
        assert len(images) == 7
        for name in images:
            image = Image.open(io.BytesIO(archive.read(name)))
            assert token_seq(rt, demo, image.tag_v2[270]) is not None, name
