"""A found file, or one page lifted out of it, leads back to the download it came from;
what cannot be told is said plainly (issue 9, item 3)."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from click.testing import CliRunner
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from gateway.audit.checkpoint import Verifier
from gateway.audit.models import AuditEntry
from gateway.audit.offline import check_proof
from gateway.cli import main
from gateway.pdf.marks import TOKEN
from tests.functional.test_watermark import COUNSEL, COURT, EX18, content, entries
from tests.helpers import BASE, auth, log_index, pdf_bytes, token_for

AUDITOR = "auditor@audit.example"
DEFENDANTS = "counsel@defendants.example"


def trace(client, email, demo, data, *, multipart=False):
    headers = auth(token_for(client, email))
    url = f"{BASE}/api/v1/matters/{demo}/trace"
    if multipart:
        return client.post(
            url,
            headers=headers,
            data={"file": (io.BytesIO(data), "found.pdf")},
            content_type="multipart/form-data",
        )
    return client.post(url, headers=headers, data=data, content_type="application/pdf")


def answer(client, demo, data, **kwargs):
    response = trace(client, AUDITOR, demo, data, **kwargs)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def page_of(data, index):
    """Page ``index`` copied into a new PDF of its own, as someone leaking one page would."""
    with pikepdf.open(io.BytesIO(data)) as source:
        single = pikepdf.new()
        single.pages.append(source.pages[index])
        out = io.BytesIO()
        single.save(out)
        return out.getvalue()


def resaved(data):
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, linearize=True)
        return out.getvalue()


@pytest.fixture
def served(client, demo, rt):
    data = content(client, COUNSEL, demo).data
    ((seq, _o, _w, _d),) = entries(rt, "document:download")
    return data, seq


def test_the_whole_file_is_traced_exactly_by_its_sha256(client, demo, rt, served):
    data, seq = served
    found = answer(client, demo, data)
    assert found["verdict"] == "exact"
    entry = found["entry"]
    assert (entry["seq"], entry["bates"], entry["actor_email"]) == (seq, EX18, COUNSEL)
    assert entry["tag"] == "document:download"
    assert found["served"]["details"]["download"] == log_index(rt, seq)
    assert found["channels"][0] == "sha256"
    assert set(found["channels"][1:]) == {"xmp", "id", "text", "marked_content"}
    # the download entry's inclusion in its log, as the offline verifier checks it
    assert found["inclusion"]["verified"] and found["inclusion"]["index"] == log_index(rt, seq)
    verifier = Verifier.parse(found["inclusion"]["verifier_key"])
    assert check_proof(found["inclusion"], verifier) == ""
    # an auditor sees logs, not documents: no page text comes back, nor the title
    said = json.dumps(found)
    assert "GENERATED STAND-IN DOCUMENT" not in said and "field information" not in said.lower()


def test_one_extracted_page_is_traced_by_its_marks(client, demo, served):
    data, seq = served
    page = page_of(data, 4)
    for found in (answer(client, demo, page), answer(client, demo, page, multipart=True)):
        assert found["verdict"] == "marked" and found["entry"]["seq"] == seq
        assert set(found["channels"]) == {"text", "marked_content"}  # /ID and XMP stay behind
        assert found["inclusion"]["verified"]
    again = answer(client, demo, resaved(data))
    assert again["verdict"] == "marked" and again["entry"]["seq"] == seq
    assert set(again["channels"]) == {"xmp", "id", "text", "marked_content"}


def test_a_file_never_served_cannot_be_told(client, demo, served):
    found = answer(client, demo, pdf_bytes(2, "never served"))
    assert found["verdict"] == "cannot_tell" and found["entry"] is None
    assert "cannot tell" in found["explanation"]
    junk = answer(client, demo, b"not a pdf at all")
    assert junk["verdict"] == "cannot_tell" and "not a PDF" in junk["explanation"]


def _with_text(line):
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    pdf.drawString(72, 720, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_token_whose_entry_was_changed_is_not_genuine(client, demo, served, rt):
    data, seq = served
    with pikepdf.open(io.BytesIO(data)) as pdf:
        token = str(pdf.open_metadata()["xmpMM:InstanceID"])
    sealed, mac = TOKEN.fullmatch(token).groups()
    # another number sealed in its place (someone else's entry), the MAC left as it was
    other = ("0" if sealed[0] != "0" else "1") + sealed[1:]
    found = answer(client, demo, _with_text(f"leaked - POGW-{other}-{mac}"))
    assert found["verdict"] == "not_genuine" and found["entry"] is None
    assert found["not_genuine"] == [f"POGW-{other}-{mac}"]


def test_pages_of_two_downloads_together_cannot_be_told_apart(client, demo, served, rt):
    data, seq = served
    theirs = content(client, COURT, demo).data
    merged = pikepdf.new()
    with pikepdf.open(io.BytesIO(data)) as a, pikepdf.open(io.BytesIO(theirs)) as b:
        merged.pages.append(a.pages[0])
        merged.pages.append(b.pages[1])
        out = io.BytesIO()
        merged.save(out)
    found = answer(client, demo, out.getvalue())
    assert found["verdict"] == "conflicting" and found["entry"] is None
    assert {o["actor_email"] for o in found["others"]} == {COUNSEL, COURT}


def _count(rt, **where):
    with rt.db.session() as session:
        stmt = select(func.count()).select_from(AuditEntry)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return session.scalar(stmt)


def test_the_auditor_may_trace_counsel_may_not_and_both_are_audited(client, demo, served, rt):
    data, _seq = served
    # receiving and producing counsel, the employee with Exhibit A, the expert without it,
    # the court: none of them may learn whose copy a file is
    others = (COUNSEL, DEFENDANTS, "staff@alotrolado.example", "expert@plaintiffs.example", COURT)
    for email in others:
        refused = trace(client, email, demo, data)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "forbidden"
        assert "auditor" in refused.get_json()["error"]["message"]
        assert "entry" not in refused.get_json()
        assert _count(rt, tag="audit:trace", outcome="denied", actor_email=email) == 1
    assert _count(rt, tag="audit:trace", outcome="allowed") == 0
    answer(client, demo, data)
    with rt.db.session() as session:
        (done,) = session.scalars(
            select(AuditEntry).where(
                AuditEntry.tag == "audit:trace", AuditEntry.outcome == "allowed"
            )
        ).all()
        assert done.actor_email == AUDITOR and json.loads(done.details)["verdict"] == "exact"


def test_a_trace_body_over_the_limit_is_refused_and_audited(client, demo, served, monkeypatch, rt):
    import gateway.audit.trace as tracing

    monkeypatch.setattr(tracing, "MAX_TRACE_BYTES", 1000)
    for multipart in (False, True):
        response = trace(client, AUDITOR, demo, served[0], multipart=multipart)
        assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert _count(rt, tag="audit:trace", outcome="denied", actor_email=AUDITOR) == 2
    assert _count(rt, tag="audit:trace", outcome="allowed") == 0


def test_pogw_trace_names_the_download(rt, demo, served, tmp_path):
    data, seq = served
    found = tmp_path / "found.pdf"
    found.write_bytes(page_of(data, 4))
    env = {
        "GATEWAY_INSTANCE_PATH": str(rt.settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(rt.settings["KEYS_PATH"]),
        "GATEWAY_DATABASE_URL": str(rt.settings["DATABASE_URL"]),
    }
    result = CliRunner().invoke(main, ["trace", str(found)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "marked" and report["entry"]["seq"] == seq
    assert report["entry"]["actor_email"] == COUNSEL
    found.write_bytes(pdf_bytes(1))
    result = CliRunner().invoke(main, ["trace", str(found)], env=env, catch_exceptions=False)
    assert result.exit_code == 1 and json.loads(result.output)["verdict"] == "cannot_tell"


def _bomb() -> bytes:
    """A one-page PDF with a stream of 300 MiB of zeros, compressed to about 300 KB."""
    import zlib

    squeeze = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    raw = b"".join(squeeze.compress(zeros) for _ in range(300)) + squeeze.flush()
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pdf.make_stream(b"")
    stream.write(raw, filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(B=stream))
    out = io.BytesIO()
    pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def test_a_decompression_bomb_is_not_inflated_and_cannot_be_told(client, demo, served):
    bomb = _bomb()
    assert len(bomb) < 2 << 20
    found = answer(client, demo, bomb)
    assert found["verdict"] == "cannot_tell"
    assert "decompression bomb" in found["explanation"]


def _variant(data, *, keep_page_ops=None, keep_xmp=True, keep_id=True, page=None):
    """The served file with channels taken out: ``keep_page_ops`` filters the operators of
    the mark's own content stream on every page (None: the stream is left as it is; a
    filter rejecting everything removes the page's marks); ``page`` keeps only that page."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if page is not None:
            single = pikepdf.new()
            single.pages.append(pdf.pages[page])
            pdf = single
        for each in pdf.pages:
            mark = each.obj.Contents[-1]
            if keep_page_ops is not None:
                kept = [i for i in pikepdf.parse_content_stream(mark) if keep_page_ops(i)]
                mark.write(pikepdf.unparse_content_stream(kept))
        if not keep_xmp and "/Metadata" in pdf.Root:
            del pdf.Root["/Metadata"]
        if not keep_id:
            del pdf.trailer["/ID"]
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


def _op(instruction):
    return str(instruction.operator)


def test_each_channel_on_its_own_leads_to_the_download(client, demo, served):
    data, seq = served
    nothing = {"q", "Q"}  # the page's marks drawn, written and tagged: none of them
    only = {
        "xmp": dict(keep_page_ops=lambda i: _op(i) in nothing, keep_id=False),
        "id": dict(keep_page_ops=lambda i: _op(i) in nothing, keep_xmp=False),
        # the invisible text and the visible forms, without the tag around them
        "text": dict(keep_page_ops=lambda i: _op(i) not in {"BDC", "EMC"}, page=4),
        # the tag alone: nothing drawn, no text
        "marked_content": dict(keep_page_ops=lambda i: _op(i) in nothing | {"BDC", "EMC"}, page=4),
    }
    for channel, how in only.items():
        found = answer(client, demo, _variant(data, **how))
        assert found["verdict"] == "marked", (channel, found)
        assert found["channels"] == [channel] and found["entry"]["seq"] == seq
    bare = answer(
        client,
        demo,
        _variant(data, keep_page_ops=lambda i: _op(i) in nothing, keep_xmp=False, keep_id=False),
    )
    assert bare["verdict"] == "cannot_tell"


def test_an_unmarked_copy_is_never_traced_exactly_to_one_person(client, demo, rt, tmp_path):
    """A file served as produced (a spreadsheet native) is the same bytes for everyone who
    downloaded it: its SHA-256 names no one, and trace says it cannot tell."""
    from tests import factories
    from tests.factories import PLAINTIFFS
    from tests.volumes import Doc, build_volume

    folder = build_volume(tmp_path, [Doc(1, 2, "CONFIDENTIAL", native=True)], prefix="NAT-")
    factories.produce(rt, demo, PLAINTIFFS, folder)
    url = f"{BASE}/api/v1/matters/{demo}/documents/NAT-00000001/content"
    first = client.get(url, headers=auth(token_for(client, "counsel@defendants.example"))).data
    leaked = client.get(url, headers=auth(token_for(client, "counsel@plaintiffs.example"))).data
    assert first == leaked and not leaked.startswith(b"%PDF")
    found = answer(client, demo, leaked)
    assert found["verdict"] == "cannot_tell" and found["entry"] is None


def test_a_page_views_image_is_traced_to_that_page_view(app, client, demo, rt):
    """A page saved from the browser as the PNG it was shown as names the page view that
    served it (the token in its text chunk)."""
    from tests.helpers import web_client

    viewer = web_client(app, "counsel@defendants.example")
    png = viewer.get(f"{BASE}/matters/{demo}/documents/{EX18}/pages/3.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    found = answer(client, demo, png.data)
    assert found["verdict"] == "marked", found
    assert found["entry"]["tag"] == "document:page_view"
    assert found["entry"]["actor_email"] == "counsel@defendants.example"
    assert found["channels"] == ["image"]


def test_a_produced_page_image_is_traced_to_its_download(client, demo, rt, tmp_path):
    import zipfile

    from tests.functional.test_ingest import DOCS, _cli_ingest
    from tests.volumes import build_volume

    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    zipped = content(client, COUNSEL, demo, "TST-00000001")
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        page = archive.read("TST-00000001/TST-00000002.tif")
    (download,) = entries(rt, "document:download", "TST-00000001")
    found = answer(client, demo, page)
    assert found["verdict"] == "marked", found
    assert found["entry"]["seq"] == download[0] and found["entry"]["actor_email"] == COUNSEL
