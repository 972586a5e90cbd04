"""Branding once per version (BRIEF §7): at ingest where the volume arrived unbranded, and
as a new edition of the pages when a designation changes; never a second legend at serve
time."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import func, select

from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.documents.ingest import count_rows, designation_spellings, ingest
from gateway.documents.models import Document, DocumentFile, DocumentVersion, Production
from gateway.documents.rebranding import rebrand
from gateway.ingest.errors import LoadFileError
from gateway.ingest.plan import build_plan
from gateway.ingest.source import DirectorySource
from tests.helpers import BASE, assert_marked_copy, auth, stored_file, token_for
from tests.volumes import Doc, build_volume, real_native_pdf, real_page_tiff

AEO_LEGEND = "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY"
EX19 = "AOL-DEF-00516605"  # 19 pages, AEO in the demo (re-designated from CONFIDENTIAL)
PLAINTIFFS = "counsel@plaintiffs.example"
DEFENDANTS = "counsel@defendants.example"
DOCS = [
    Doc(1, 2, "CONFIDENTIAL"),  # two page images
    Doc(3, 5, "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY", native=True),  # a PDF native
    Doc(6, 6, ""),  # PUBLIC: no legend, the Bates number only
]


def _defendants(rt, matter_id):
    from gateway.matters.models import Party

    with rt.db.session() as session:
        return session.scalar(
            select(Party.id).where(Party.matter_id == matter_id, Party.kind == "defendant")
        )


def _ingest(rt, demo, folder, *, unbranded=True):
    plan = build_plan(
        DirectorySource(folder),
        dat_path="DATA/VOL001.dat",
        opt_path="DATA/VOL001.opt",
        designations=designation_spellings(rt),
        volume=folder.name,
    )
    return ingest(
        rt,
        Actor.command_line(),
        matter_id=demo,
        party_id=_defendants(rt, demo),
        plan=plan,
        source=DirectorySource(folder),
        unbranded=unbranded,
    )


def _content(client, token, matter, bates):
    response = client.get(
        f"{BASE}/api/v1/matters/{matter}/documents/{bates}/content", headers=auth(token)
    )
    assert response.status_code == 200, response.get_json()
    return response.data


def _page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def _above(pdf: bytes, text: str, height: float) -> list[bool]:
    """Whether ``text`` is found on each page above ``height`` (in the band on top)."""
    document = pdfium.PdfDocument(pdf)
    found = []
    for i in range(len(document)):
        page = document[i].get_textpage()
        match = page.search(text).get_next()
        found.append(match is not None and page.get_charbox(match[0])[1] > height)
    document.close()
    return found


def _dark(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    region = image.convert("L").crop(box)
    return sum(1 for value in region.get_flattened_data() if value < 128)


def test_an_unbranded_volume_is_branded_at_ingest(rt, demo, client, tmp_path):
    folder = build_volume(tmp_path, DOCS, real=True)
    production = _ingest(rt, demo, folder)
    with rt.db.session() as session:
        assert session.get_one(Production, production.id).branded_at_ingest is True
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tag == "production:ingest")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert '"branded_at_ingest":true' in entry.details.replace(" ", "")
    counsel = token_for(client, PLAINTIFFS)
    # the PDF native: each page carries its own Bates number and the AEO legend
    texts = _page_texts(_content(client, counsel, demo, "TST-00000003"))
    assert len(texts) == 3
    for number, text in zip((3, 4, 5), texts, strict=True):
        assert f"TST-{number:08d}" in text and AEO_LEGEND in text
        assert "Document TST-00000003" in text  # the page's own content is still there
    assert "TST-00000004" not in texts[0]
    # the page images: the Bates number and legend are burned into the pixels, bottom
    # right and bottom left; the source had nothing there
    archive = zipfile.ZipFile(io.BytesIO(_content(client, counsel, demo, "TST-00000001")))
    for number in (1, 2):
        served = Image.open(io.BytesIO(archive.read(f"TST-00000001/TST-{number:08d}.tif")))
        source = Image.open(io.BytesIO(real_page_tiff("TST-", number)))
        assert served.size == source.size and served.format == "TIFF"
        w, h = served.size
        # above the forensic mark's line at the very foot of the served copy
        right, left = (w - 300, h - 60, w, h - 15), (0, h - 60, 300, h - 15)
        assert _dark(source, right) == 0 and _dark(source, left) == 0
        assert _dark(served, right) > 50 and _dark(served, left) > 50
    # PUBLIC: the Bates number only, no legend
    public = Image.open(
        io.BytesIO(_content(client, counsel, demo, "TST-00000006"))
    )  # one page image: served as itself
    w, h = public.size
    # above the forensic mark's line at the very foot: the Bates number, and no legend
    assert _dark(public, (w - 300, h - 60, w, h - 15)) > 50
    assert _dark(public, (0, h - 60, 300, h - 15)) == 0


def test_a_branded_volume_is_stored_as_received(rt, demo, client, tmp_path):
    folder = build_volume(tmp_path, DOCS, real=True)
    _ingest(rt, demo, folder, unbranded=False)
    counsel = token_for(client, PLAINTIFFS)
    served = _content(client, counsel, demo, "TST-00000003")
    received = (folder / "NATIVES" / "TST-00000003.pdf").read_bytes()
    assert stored_file(rt, demo, "TST-00000003") == received
    assert_marked_copy(served, received, email=PLAINTIFFS)  # served with the mark alone


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda f: (f / "NATIVES/TST-00000003.pdf").write_bytes(real_native_pdf(2, "x")), "pages"),
        (lambda f: (f / "IMAGES/TST-00000002.tif").write_bytes(b"II*\x00 not an image"), "image"),
    ],
    ids=["pdf-of-too-few-pages", "unreadable-image"],
)
def test_a_file_that_cannot_be_branded_refuses_the_volume_and_changes_nothing(
    rt, demo, tmp_path, damage, said
):
    folder = build_volume(tmp_path, DOCS, real=True)
    damage(folder)
    with rt.db.session() as session:
        before = count_rows(session)
    blobs = sorted(rt.blobs.store.iter_keys())
    with pytest.raises(LoadFileError) as refused:
        _ingest(rt, demo, folder)
    assert "cannot be branded" in str(refused.value) and said in str(refused.value)
    assert "VOL001/" in refused.value.file
    with rt.db.session() as session:
        assert count_rows(session) == before
    assert sorted(rt.blobs.store.iter_keys()) == blobs


def _designate(client, token, matter, bates, designation):
    response = client.post(
        f"{BASE}/api/v1/matters/{matter}/documents/{bates}/designation",
        headers=auth(token),
        json={"designation": designation, "reason": "the order's clause 5.3"},
    )
    assert response.status_code == 200, response.get_json()


def _files(rt, bates):
    with rt.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == bates))
        return [
            (f.edition, f.branded_as, f.superseded_at is not None, f.sha256)
            for f in session.scalars(
                select(DocumentFile)
                .join(DocumentVersion, DocumentVersion.id == DocumentFile.version_id)
                .where(DocumentVersion.document_id == doc.id)
                .order_by(DocumentFile.id)
            )
        ]


def test_a_redesignation_brands_a_new_edition_and_back_restores_the_original(rt, demo, client):
    counsel, defense = token_for(client, PLAINTIFFS), token_for(client, DEFENDANTS)
    produced = stored_file(rt, demo, EX19)
    assert_marked_copy(_content(client, counsel, demo, EX19), produced, email=PLAINTIFFS)
    ((_e, branded, _s, sha),) = _files(rt, EX19)
    assert branded == "AEO" and hashlib.sha256(produced).hexdigest() == sha
    blobs = len(list(rt.blobs.store.iter_keys()))

    _designate(client, defense, demo, EX19, "CONFIDENTIAL")
    files = _files(rt, EX19)
    assert [(e, b, s) for e, b, s, _h in files] == [(0, "AEO", True), (1, "CONFIDENTIAL", False)]
    assert len(list(rt.blobs.store.iter_keys())) == blobs + 1  # the new edition's file
    edition = stored_file(rt, demo, EX19)
    assert hashlib.sha256(edition).hexdigest() == files[1][3]
    served = _content(client, counsel, demo, EX19)
    assert_marked_copy(served, edition, email=PLAINTIFFS)
    with pikepdf.open(io.BytesIO(produced)) as was:
        height = float(was.pages[0].mediabox[3])
    assert _above(served, "Designation changed on 2020-06-26", height) == [True] * 19
    for text, was_text in zip(_page_texts(served), _page_texts(produced), strict=True):
        # the band names the legend in force and what it replaces; the page's own content
        # (with the legend as produced) is all still there
        assert text.count("\r\nCONFIDENTIAL\r\nDesignation changed on 2020-06-26; ") == 1
        assert f"supersedes the legend below ({AEO_LEGEND})." in text
        assert was_text.strip() in text
    with pikepdf.open(io.BytesIO(served)) as grown:
        assert float(grown.pages[0].mediabox[3]) == height + 30
    with rt.db.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.tag == "version:rebrand")).one()
        # a neutral entry: no side's trail shows it
        assert entry.side_party_id is None and entry.bates == EX19
    # a second call finds nothing left to do
    with rt.db.session() as session:
        doc_id = session.scalar(select(Document.id).where(Document.bates_begin == EX19))
    assert rebrand(rt, demo, [doc_id]) == 0

    _designate(client, defense, demo, EX19, "AEO")
    files = _files(rt, EX19)
    assert [(e, b, s) for e, b, s, _h in files] == [(0, "AEO", False), (1, "CONFIDENTIAL", True)]
    assert len(list(rt.blobs.store.iter_keys())) == blobs + 1  # nothing new: as produced
    assert stored_file(rt, demo, EX19) == produced
    assert_marked_copy(_content(client, counsel, demo, EX19), produced, email=PLAINTIFFS)


def test_a_public_filing_in_full_is_branded_when_recorded(rt, demo, client):
    """A public filing in full makes the document PUBLIC: its pages are re-branded when
    the filing is recorded, not when someone first downloads it (which would tell the
    designating party when that was, by the file's new SHA-256)."""
    court = token_for(client, "court@casd.example")
    counsel = token_for(client, PLAINTIFFS)
    ex14 = "AOL-DEF-00556931"  # a public social-media post, CONFIDENTIAL
    filed = client.post(
        f"{BASE}/api/v1/matters/{demo}/filings",
        headers=auth(court),
        json={
            "document": ex14,
            "disposition": "public_full",
            "docket": "470-14",
            "filed_at": (rt.now() - timedelta(hours=1)).isoformat(),
        },
    )
    assert filed.status_code == 201, filed.get_json()
    texts = _page_texts(_content(client, counsel, demo, ex14))
    assert "PUBLIC (no longer designated)\r\nDesignation changed on 2020-06-26" in texts[0]
    assert [(e, b, s) for e, b, s, _h in _files(rt, ex14)] == [
        (0, "CONFIDENTIAL", True),
        (1, "PUBLIC", False),
    ]
    with rt.db.session() as session:
        rebrands = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tag == "version:rebrand")
        )
    assert rebrands == 1


def test_pages_that_cannot_carry_the_new_legend_are_not_served(rt, demo, client, tmp_path):
    """Fail closed: a PDF the gateway cannot re-brand (encrypted with an owner password:
    readable, not changeable) keeps its re-designation, and is refused, with the reason and
    an audit entry, rather than served under the legend it no longer has."""
    folder = build_volume(tmp_path, DOCS, real=True)
    pdf = pikepdf.open(io.BytesIO(real_native_pdf(3, "Document TST-00000003")))
    locked = io.BytesIO()
    pdf.save(locked, encryption=pikepdf.Encryption(owner="owner-secret", user=""))
    (folder / "NATIVES" / "TST-00000003.pdf").write_bytes(locked.getvalue())
    _ingest(rt, demo, folder, unbranded=False)
    defense, counsel = token_for(client, DEFENDANTS), token_for(client, PLAINTIFFS)
    # it cannot carry the forensic mark either: refused as such, never served bare
    before = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/TST-00000003/content", headers=auth(counsel)
    )
    assert before.status_code == 409 and b"%PDF" not in before.data
    assert "forensic mark" in before.get_json()["error"]["message"]
    assert stored_file(rt, demo, "TST-00000003") == locked.getvalue()
    blobs = sorted(rt.blobs.store.iter_keys())
    _designate(client, defense, demo, "TST-00000003", "OCEO")
    assert sorted(rt.blobs.store.iter_keys()) == blobs  # nothing half-made
    for token in (defense,):
        response = client.get(
            f"{BASE}/api/v1/matters/{demo}/documents/TST-00000003/content", headers=auth(token)
        )
        assert response.status_code == 409
        assert "cannot carry the" in response.get_json()["error"]["message"]
    with rt.db.session() as session:
        refused = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tag == "document:download", AuditEntry.bates == "TST-00000003")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert refused.outcome == "denied" and refused.reason == "legend not re-branded"
    assert sorted(rt.blobs.store.iter_keys()) == blobs


def _cli(rt, *args):
    from click.testing import CliRunner

    from gateway.cli import main

    env = {"GATEWAY_DATABASE_URL": rt.settings["DATABASE_URL"]}
    common = [
        "--instance",
        str(rt.settings["INSTANCE_PATH"]),
        "--keys",
        str(rt.settings["KEYS_PATH"]),
    ]
    return CliRunner().invoke(main, [*common, *args], env=env, catch_exceptions=False)


def test_the_cli_brands_an_unbranded_volume_and_every_stale_version(rt, demo, client, tmp_path):
    folder = build_volume(tmp_path, DOCS, real=True)
    result = _cli(
        rt,
        "ingest",
        str(folder),
        "--matter",
        "3:17-cv-2366-BAS-KSC",
        "--party",
        "Chad F. Wolf, et al. (Defendants)",
        "--dat",
        "DATA/VOL001.dat",
        "--opt",
        "DATA/VOL001.opt",
        "--unbranded",
    )
    assert result.exit_code == 0, result.output
    assert "(Bates numbers and legends burned in)" in result.output
    counsel = token_for(client, PLAINTIFFS)
    assert "TST-00000004" in _page_texts(_content(client, counsel, demo, "TST-00000003"))[1]


def test_after_an_upgrade_the_operator_brands_pages_redesignated_before_it(
    rt, client, tmp_path, monkeypatch
):
    """Files stored before migration 0014 carry the legend they were produced under: for a
    document re-designated before the upgrade that is the first change's "from", found in
    the trail, so the version is stale and `pogw storage rebrand` bands it."""
    if rt.settings["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the upgrade is replayed on the SQLite file of this test")
    from alembic import command

    from gateway.demo import load_demo
    from gateway.migrate import alembic_config

    demo = load_demo(rt, say=lambda _line: None, start=True)  # Ex. 19 CONFIDENTIAL
    # the gateway before 0014: a re-designation changed the document, its keys' binding and
    # the trail, never the pages (its workflow had no re-branding step)
    import gateway.orders.redesignate as redesignate_module

    monkeypatch.setattr(redesignate_module, "rebrand_after_change", lambda *_args: 0)
    _designate(client, token_for(client, DEFENDANTS), demo, EX19, "AEO")
    monkeypatch.undo()
    config = alembic_config(rt.settings["DATABASE_URL"])
    command.stamp(config, "head")
    command.downgrade(config, "0013")
    command.upgrade(config, "head")
    assert [(e, b, s) for e, b, s, _h in _files(rt, EX19)] == [(0, "CONFIDENTIAL", False)]
    first = _cli(rt, "storage", "rebrand")
    assert first.exit_code == 0 and "1 versions re-branded" in first.output, first.output
    again = _cli(rt, "storage", "rebrand")
    assert again.exit_code == 0 and "0 versions re-branded" in again.output
    assert [(e, b, s) for e, b, s, _h in _files(rt, EX19)] == [
        (0, "CONFIDENTIAL", True),
        (1, "AEO", False),
    ]
    counsel = token_for(client, PLAINTIFFS)
    text = _page_texts(_content(client, counsel, demo, EX19))[0]
    assert f"{AEO_LEGEND}\r\nDesignation changed on " in text


def test_the_operators_sweep_names_what_still_cannot_be_branded(rt, demo, client, tmp_path):
    folder = build_volume(tmp_path, DOCS, real=True)
    pdf = pikepdf.open(io.BytesIO(real_native_pdf(3, "Document TST-00000003")))
    locked = io.BytesIO()
    pdf.save(locked, encryption=pikepdf.Encryption(owner="owner-secret", user=""))
    (folder / "NATIVES" / "TST-00000003.pdf").write_bytes(locked.getvalue())
    _ingest(rt, demo, folder, unbranded=False)
    _designate(client, token_for(client, DEFENDANTS), demo, "TST-00000003", "OCEO")
    swept = _cli(rt, "storage", "rebrand")
    assert swept.exit_code == 1
    assert "0 versions re-branded" in swept.output
    assert "1 document(s) could not carry their legend" in swept.output
    assert "TST-00000003" in swept.output


def test_a_redaction_designated_above_its_sources_legend_is_branded_with_its_own(rt, demo, client):
    """The redacted pages keep the legend burned into the source (CONFIDENTIAL); a
    redacted version designated AEO gets a band with the AEO legend as soon as it is made."""
    ex6 = "AOL-DEF-00556923"  # one page, CONFIDENTIAL
    defense = token_for(client, DEFENDANTS)
    made = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{ex6}/redactions",
        headers=auth(defense),
        json={
            "kind": "public_redacted",
            "designation": "AEO",
            "reason": "a name the order protects",
            "marks": [{"page": ex6, "box": [72, 600, 300, 700]}],
        },
    )
    assert made.status_code == 201, made.get_json()
    files = _files(rt, ex6)
    # the original's file, the redaction as made (its source's legend), the branded edition
    assert [(e, b, s) for e, b, s, _h in files] == [
        (0, "CONFIDENTIAL", False),
        (0, "CONFIDENTIAL", True),
        (1, "AEO", False),
    ]
