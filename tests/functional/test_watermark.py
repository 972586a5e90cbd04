"""Every PDF download carries its recipient's forensic mark, visible and hidden, and a
second audit entry records exactly what was sent (issue 9, item 3)."""

from __future__ import annotations

import hashlib
import io
import json

import pikepdf
import pypdfium2 as pdfium
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.pdf.marks import TOKEN, tokens_in
from gateway.pdf.watermark import MARK_TAG
from tests.helpers import BASE, auth, token_for

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


def page_texts(data):
    doc = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in doc:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


def test_a_download_carries_the_visible_line_and_each_hidden_channel(client, demo, rt):
    response = content(client, COUNSEL, demo)
    data = response.data
    assert "Content-Length" not in response.headers  # known only once written
    ((seq, _outcome, _who, _details),) = entries(rt, "document:download")
    texts = page_texts(data)
    assert len(texts) == 17
    token = tokens_in(texts[0])[0]
    assert token.startswith(f"POGW-{seq}-")
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
        "download": seq,
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
