"""View-only pages (issue 9, item 4): shown as watermarked images, never the file.

Both sides for each person: the deposition witness (Exhibit A, inside the deposition) sees
CONFIDENTIAL pages as images with the mark burned in and never gets a PDF byte; the expert
without Exhibit A sees nothing of CONFIDENTIAL material; Defendants' counsel, who may
download, may also see the pages; the auditor sees none; a role a matter's own order gives
pages only (no download) sees them and cannot download.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from PIL import Image, ImageChops
from sqlalchemy import select

from gateway.audit.log import entry_ref
from gateway.audit.models import AuditEntry
from gateway.documents.content import open_plaintext, readables
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.matters.models import Matter
from gateway.matters.service import matter_key
from gateway.pdf.imprint import MARK_KEY
from gateway.pdf.marks import check_token, mark_key
from gateway.pdf.raster import render_image_page, render_pdf_page
from tests import factories
from tests.factories import PLAINTIFFS
from tests.helpers import BASE, tiff_bytes, token_seq, web_client, without_csrf
from tests.volumes import Doc, build_volume

CONF = "AOL-DEF-00556923"  # Gov't Ex. 6, CONFIDENTIAL, one page
EX19 = "AOL-DEF-00516605"  # Gov't Ex. 19, AEO, 19 pages
KEY = "AOL-PLTF-00000001"  # the declarant key, OCEO
MISSING = "AOL-DEF-09999999"
WITNESS = "witness@example.org"


@pytest.fixture
def witness(rt, demo) -> str:
    """A deposition witness with Exhibit A, inside the deposition's window."""
    start = rt.now() - timedelta(hours=1)
    factories.person(
        rt,
        demo,
        WITNESS,
        "witness",
        active_from=start,
        active_until=start + timedelta(hours=6),
        signed=True,
        name="Wendy Witness",
    )
    return WITNESS


def _page(client, matter_id: int, bates: str, page: int, png: bool = False):
    suffix = ".png" if png else ""
    return client.get(f"{BASE}/matters/{matter_id}/documents/{bates}/pages/{page}{suffix}")


def _entries(rt, tag: str, email: str) -> list[AuditEntry]:
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.tag == tag, AuditEntry.actor_email == email)
                .order_by(AuditEntry.seq)
            )
        )


def _plain_render(rt, matter_id: int, bates: str, page: int) -> Image.Image:
    """The same page rendered without a mark, from the stored file, for comparison."""
    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        doc = session.scalar(select(Document).where(Document.bates_begin == bates))
        version = session.get(DocumentVersion, doc.current_version_id)
        files = list(
            session.scalars(select(DocumentFile).where(DocumentFile.version_id == version.id))
        )
        stored = next(f for f in files if f.role in ("native", "image"))
        keys = readables(rt, matter, doc, version, [stored])
        with open_plaintext(rt, keys[0]) as handle:
            if stored.media_type == "application/pdf":
                return render_pdf_page(handle, page)
            return render_image_page(handle, 0)


def test_witness_sees_a_page_as_an_image_with_the_mark_burned_in(app, rt, demo, witness):
    client = web_client(app, witness)
    page = _page(client, demo, CONF, 1)
    assert page.status_code == 200
    assert b"page 1 of 1" in page.data and b".png" in page.data
    response = _page(client, demo, CONF, 1, png=True)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert not response.data.startswith(b"%PDF") and b"%PDF" not in response.data
    image = Image.open(io.BytesIO(response.data))
    token = image.text[MARK_KEY]
    # the token is genuine and names the audit entry of this page view
    with rt.db.session() as session:
        key = mark_key(matter_key(rt, session.get(Matter, demo)))
    ref = check_token(key, demo, token)
    (view,) = _entries(rt, "document:page_view", witness)
    assert ref == entry_ref(view) and view.outcome == "allowed" and view.bates == CONF
    assert '"page":1' in view.details
    (served,) = _entries(rt, "document:page_served", witness)
    assert hashlib.sha256(response.data).hexdigest() in served.details
    assert token in served.details
    # the mark is in the pixels: the image differs from a plain render of the same page
    plain = _plain_render(rt, demo, CONF, 1)
    assert plain.size == image.size
    assert ImageChops.difference(plain, image.convert("RGB")).getbbox() is not None
    # at most 110 dpi: a letter page is 935 x 1210 pixels
    assert image.size == (935, 1210)


def test_witness_never_gets_the_file_from_any_route(app, rt, demo, witness):
    client = web_client(app, witness)
    content = client.get(f"{BASE}/matters/{demo}/documents/{CONF}/content")
    assert content.status_code == 403 and b"%PDF" not in content.data
    volume = client.get(f"{BASE}/matters/{demo}/productions/AOL-DEF-VOL001/download")
    assert volume.status_code in (403, 404) and not volume.data.startswith(b"PK")
    assert b"%PDF" not in volume.data
    for path in ("", "/pages/1", "/pages/1.png"):
        assert b"%PDF" not in client.get(f"{BASE}/matters/{demo}/documents/{CONF}{path}").data
    denied = [e for e in _entries(rt, "document:download", witness) if e.outcome == "denied"]
    assert denied and denied[-1].bates == CONF
    # the document page offers the pages, not a download
    page = client.get(f"{BASE}/matters/{demo}/documents/{CONF}")
    assert b"Show the pages" in page.data and b"/content" not in page.data


def test_a_hidden_document_answers_like_a_missing_one(app, rt, demo, witness):
    client = web_client(app, witness)
    for bates in (EX19, KEY):  # AEO and OCEO: never shown to a witness
        for png in (False, True):
            hidden = _page(client, demo, bates, 1, png=png)
            missing = _page(client, demo, MISSING, 1, png=png)
            assert hidden.status_code == missing.status_code == 404
            # the same page, but for the sign-out form's CSRF token, which is signed with
            # the second it was made in
            assert without_csrf(hidden.data) == without_csrf(missing.data)
            assert bates.encode() not in hidden.data
    denied = [e for e in _entries(rt, "document:page_view", witness) if e.outcome == "denied"]
    assert {e.bates for e in denied} == {EX19, KEY, MISSING}
    assert _entries(rt, "document:page_served", witness) == []


@pytest.mark.parametrize("page", [0, 2, 99])
def test_a_page_outside_the_document_is_refused_with_its_reason(app, rt, demo, witness, page):
    client = web_client(app, witness)
    for png in (False, True):
        response = _page(client, demo, CONF, page, png=png)
        assert response.status_code == 404
        assert b"its pages are 1 to 1" in response.data
    denied = _entries(rt, "document:page_view", witness)
    assert [e.outcome for e in denied] == ["denied", "denied"]
    assert denied[0].reason == f"no page {page} of 1"
    assert _entries(rt, "document:page_served", witness) == []


def test_the_expert_without_exhibit_a_sees_no_confidential_page(app, rt, demo):
    client = web_client(app, "expert@plaintiffs.example")
    hidden = _page(client, demo, CONF, 1, png=True)
    missing = _page(client, demo, MISSING, 1, png=True)
    assert hidden.status_code == 404 and without_csrf(hidden.data) == without_csrf(missing.data)
    assert not hidden.data.startswith(b"\x89PNG")


def test_who_may_download_may_also_see_the_pages(app, rt, demo):
    email = "counsel@defendants.example"
    client = web_client(app, email)
    response = _page(client, demo, EX19, 19, png=True)
    assert response.status_code == 200 and response.mimetype == "image/png"
    token = Image.open(io.BytesIO(response.data)).text[MARK_KEY]
    (view,) = _entries(rt, "document:page_view", email)
    assert token_seq(rt, demo, token) == view.seq
    page = _page(client, demo, EX19, 18)
    assert b'rel="prev"' in page.data and b'rel="next"' in page.data


def test_the_auditor_sees_no_page(app, rt, demo):
    client = web_client(app, "auditor@audit.example")
    response = _page(client, demo, CONF, 1, png=True)
    assert response.status_code == 403 and not response.data.startswith(b"\x89PNG")
    (refused,) = _entries(rt, "document:page_view", "auditor@audit.example")
    assert refused.outcome == "denied"


def _give_experts_pages_only(rt, matter_id: int) -> None:
    from gateway.demo import reference_rules_text
    from gateway.matters import order_policy
    from gateway.matters.order_store import tiers_text

    rules = (
        reference_rules_text()
        + "\n# this order's experts are shown documents, never handed them\n"
        + "p, expert, *, *, *, *, *, *, *, *, document:download, deny\n"
    )
    order_policy.set_variant(
        rt,
        factories.OPERATOR,
        matter_id,
        rules_text=rules,
        tiers_text_=tiers_text(order_policy.describe(rt, matter_id).policy),
        reason="experts view only",
    )


def test_a_matter_can_give_any_role_pages_without_download(app, rt, demo):
    email = "expert@plaintiffs.example"
    factories.sign_exhibit_a(rt, demo, email, "Erin Expert")
    client = web_client(app, email)
    before = client.get(f"{BASE}/matters/{demo}/documents/{CONF}/content")
    assert before.status_code == 200 and before.data.startswith(b"%PDF")
    _give_experts_pages_only(rt, demo)
    after = client.get(f"{BASE}/matters/{demo}/documents/{CONF}/content")
    assert after.status_code == 403 and b"%PDF" not in after.data
    image = _page(client, demo, CONF, 1, png=True)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert MARK_KEY in Image.open(io.BytesIO(image.data)).text
    # still nothing of AEO the expert is not cleared for
    assert _page(client, demo, EX19, 1, png=True).status_code == 404


def test_page_images_stored_as_tiff_are_shown_the_same_way(app, rt, demo, witness, tmp_path):
    folder = build_volume(tmp_path, [Doc(1, 2, "CONFIDENTIAL")], prefix="TIF-")
    for number in (1, 2):
        (folder / "IMAGES" / f"TIF-{number:08d}.tif").write_bytes(tiff_bytes(1))
    factories.produce(rt, demo, PLAINTIFFS, folder)
    client = web_client(app, witness)
    response = _page(client, demo, "TIF-00000001", 2, png=True)
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert MARK_KEY in image.text
    # a 40-pixel image at 300 dpi (it states none) is shown at 110 dpi: 15 pixels
    assert image.size == (15, 15)


def test_no_variant_opens_a_replaced_original_to_the_receiving_side(rt, demo):
    from gateway.authz.policy import load_default_policy, parse_policy
    from gateway.matters.order_policy import check_variant
    from gateway.matters.order_store import tiers_text

    base = load_default_policy()
    text = (
        "\n".join(",".join(rule) for rule in base.rules)
        + "\np, expert, *, *, *, *, *, *, replaced, *, document:render, allow\n"
    )
    policy = parse_policy(
        model_text=base.model_text,
        rules_text=text,
        tiers_text=tiers_text(base),
        model_source="model",
        rules_source="rules",
        tiers_source="tiers",
    )
    assert any("replaced" in problem for problem in check_variant(policy))
    assert check_variant(base) == []


def test_a_page_whose_stored_file_fails_its_check_is_recorded_as_aborted(
    app, rt, demo, witness, caplog
):
    from gateway.crypto.segments import HEADER_SIZE

    with rt.db.session() as session:
        (blob_key,) = session.scalars(
            select(DocumentFile.blob_key)
            .join(Document, Document.current_version_id == DocumentFile.version_id)
            .where(Document.bates_begin == CONF)
        )
    path = rt.settings["INSTANCE_PATH"] / "blobs" / f"{blob_key}.blob"
    data = bytearray(path.read_bytes())
    data[HEADER_SIZE + 10] ^= 0x01
    path.write_bytes(bytes(data))
    client = web_client(app, witness)
    response = _page(client, demo, CONF, 1, png=True)
    assert response.status_code == 409 and not response.data.startswith(b"\x89PNG")
    allowed, aborted = _entries(rt, "document:page_view", witness)
    assert (allowed.outcome, aborted.outcome) == ("allowed", "aborted")
    assert f'"entry":{allowed.log_index}' in aborted.details
    assert _entries(rt, "document:page_served", witness) == []
    # the operator's log line names no document
    assert CONF not in caplog.text and "page view aborted" in caplog.text


def test_the_api_serves_the_same_marked_page(client, rt, demo, witness):
    from tests.helpers import auth, token_for

    token = token_for(client, witness)
    url = f"{BASE}/api/v1/matters/{demo}/documents/{{}}/pages/1.png"
    shown = client.get(url.format(CONF), headers=auth(token))
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.headers["Cache-Control"] == "no-store"
    assert MARK_KEY in Image.open(io.BytesIO(shown.data)).text
    hidden = client.get(url.format(EX19), headers=auth(token))
    missing = client.get(url.format(MISSING), headers=auth(token))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    refused = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{CONF}/content", headers=auth(token)
    )
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"


def test_a_sequestered_document_shows_its_slip_not_its_pages(app, rt, demo, witness):
    factories.set_document_state(rt, demo, CONF, state="sequestered")
    client = web_client(app, witness)
    response = _page(client, demo, CONF, 1, png=True)
    assert response.status_code == 403 and b"sequestered" in response.data
    assert not response.data.startswith(b"\x89PNG")
    (refused,) = _entries(rt, "document:page_view", witness)
    assert refused.outcome == "denied" and refused.reason == "state sequestered"


def test_stale_pages_are_rebranded_before_they_are_shown(app, client, rt, demo, witness):
    """A public filing in full makes Ex. 14 PUBLIC without re-branding it at once: the next
    page view, like the next download, brands the new edition first and shows that."""
    from tests.helpers import auth, token_for

    ex14 = "AOL-DEF-00556931"
    filed = client.post(
        f"{BASE}/api/v1/matters/{demo}/filings",
        headers=auth(token_for(client, "court@casd.example")),
        json={
            "document": ex14,
            "disposition": "public_full",
            "docket": "470-14",
            "filed_at": (rt.now() - timedelta(hours=1)).isoformat(),
        },
    )
    assert filed.status_code == 201, filed.get_json()
    viewer = web_client(app, witness)
    response = _page(viewer, demo, ex14, 1, png=True)
    assert response.status_code == 200
    with rt.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == ex14))
        files = list(
            session.scalars(
                select(DocumentFile)
                .where(DocumentFile.version_id == doc.current_version_id)
                .order_by(DocumentFile.id)
            )
        )
    assert [(f.branded_as, f.superseded_at is not None) for f in files] == [
        ("CONFIDENTIAL", True),
        ("PUBLIC", False),
    ]
    # the new edition carries a band above the page: the image is taller than a letter page
    assert Image.open(io.BytesIO(response.data)).height > 1210
