"""Ingesting a production: the happy path through the CLI, and bad input that changes nothing."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from gateway.audit.events import Actor
from gateway.cli import main
from gateway.documents.ingest import count_rows, designation_spellings, ingest
from gateway.errors import Conflict, Invalid
from gateway.ingest.plan import build_plan
from gateway.ingest.source import DirectorySource
from gateway.pdf.marks import tokens_in
from tests import factories
from tests.helpers import BASE, all_bates, api_get, auth, token_for
from tests.volumes import Doc, build_volume, page_bytes

DOCS = [
    Doc(
        1,
        3,
        "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY",
        family=(1, 5),
        author="Jane Roe <jane@corp.example>",
    ),
    Doc(4, 4, "CONFIDENTIAL", family=(1, 5)),
    Doc(5, 5, "", family=(1, 5)),
    Doc(6, 7, "CONFIDENTIAL", native=True),
]


def _state(rt):
    with rt.db.session() as session:
        rows = count_rows(session)
    return rows, sorted(rt.blobs.store.iter_keys())


def _plan(rt, folder, **kwargs):
    return build_plan(
        DirectorySource(folder),
        dat_path="DATA/VOL001.dat",
        opt_path="DATA/VOL001.opt",
        designations=designation_spellings(rt),
        volume=folder.name,
        **kwargs,
    )


def _ingest_as_defendants(rt, demo, folder, source=None):
    return ingest(
        rt,
        Actor.command_line(),
        matter_id=demo,
        party_id=_defendants(rt, demo),
        plan=_plan(rt, folder),
        source=source or DirectorySource(folder),
    )


def _defendants(rt, matter_id):
    from sqlalchemy import select

    from gateway.matters.models import Party

    with rt.db.session() as session:
        return session.scalar(
            select(Party.id).where(Party.matter_id == matter_id, Party.kind == "defendant")
        )


def _cli(rt, *args):
    env = {"GATEWAY_DATABASE_URL": rt.settings["DATABASE_URL"]}
    return CliRunner().invoke(
        main,
        [
            "--instance",
            str(rt.settings["INSTANCE_PATH"]),
            "--keys",
            str(rt.settings["KEYS_PATH"]),
            *args,
        ],
        env=env,
        catch_exceptions=False,
    )


def _cli_ingest(rt, folder):
    return _cli(
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
    )


def test_cli_ingest_serves_the_volume(rt, demo, tmp_path, client):
    folder = build_volume(tmp_path, DOCS)
    result = _cli_ingest(rt, folder)
    assert result.exit_code == 0, result.output
    assert "ingested VOL001: 4 documents" in result.output
    counsel = token_for(client, "counsel@plaintiffs.example")
    assert all_bates(client, counsel, demo, production="VOL001") == [
        f"TST-0000000{n}" for n in (1, 4, 5, 6)
    ]
    item = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000001").get_json()
    assert item["designation"] == "AEO" and item["page_count"] == 3
    assert item["family"]["members"] == ["TST-00000001", "TST-00000004", "TST-00000005"]
    blank = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000005").get_json()
    assert blank["designation"] == "PUBLIC"
    # several page images are served as a streamed ZIP of the pages
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/TST-00000001/content", headers=auth(counsel)
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == [f"TST-00000001/TST-0000000{n}.tif" for n in (1, 2, 3)]
        served = Image.open(io.BytesIO(archive.read("TST-00000001/TST-00000002.tif")))
        produced = Image.open(io.BytesIO(page_bytes("TST-", 2)))
        # the page as produced, with the recipient's mark at its foot and in its metadata
        assert served.size == produced.size and served.format == "TIFF"
        assert tokens_in(served.tag_v2[270]), "no mark in the page image's description"
    # a native is served as itself
    native = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/TST-00000006/content", headers=auth(counsel)
    )
    assert native.data.startswith(b"PK native spreadsheet")
    assert native.headers["Content-Length"] == str(len(native.data))
    meta = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000006").get_json()
    natives = [f for f in meta["files"] if f["role"] == "native"]
    assert natives[0]["sha256"] == hashlib.sha256(native.data).hexdigest()


def test_author_named_in_a_document_is_matched_by_email(rt, demo, tmp_path, client):
    from gateway.accounts import service as accounts
    from gateway.demo import DEMO_PASSWORD

    folder = build_volume(tmp_path, DOCS)
    _ingest_as_defendants(rt, demo, folder)
    accounts.create_user(
        rt,
        Actor.command_line(),
        email="jane@corp.example",
        full_name="Jane Roe",
        password=DEMO_PASSWORD,
    )
    # a deposition witness, during her deposition (¶7.2(f))
    factories.enrol(
        rt,
        demo,
        "jane@corp.example",
        "witness",
        active_from=rt.now() - timedelta(hours=1),
        active_until=rt.now() + timedelta(hours=3),
    )
    token = token_for(client, "jane@corp.example")
    assert _sign(client, token, demo, "Jane Roe").status_code == 201
    seen = all_bates(client, token, demo, production="VOL001")
    # the AEO document she wrote, the CONFIDENTIAL and PUBLIC ones: not other AEO material
    assert seen == ["TST-00000001", "TST-00000004", "TST-00000005", "TST-00000006"]
    assert "AOL-DEF-00528691" not in all_bates(client, token, demo)


def _sign(client, token, matter_id, name):
    return client.post(
        f"{BASE}/api/v1/matters/{matter_id}/acknowledgment",
        headers=auth(token),
        json={
            "full_name": name,
            "address": "1 A St",
            "agent_name": "Agent",
            "agent_address": "2 B St",
            "signed_city": "San Diego, CA",
            "signed_on": "2020-06-26",
            "signature": name,
            "agree": True,
        },
    )


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda f: (f / "IMAGES" / "TST-00000002.tif").unlink(), "TST-00000002.tif"),
        (lambda f: (f / "NATIVES" / "TST-00000006.xlsx").unlink(), "TST-00000006.xlsx"),
        (
            lambda f: (f / "DATA" / "VOL001.dat").write_bytes(b"BEGBATES,ENDBATES\r\nA1,A2\r\n"),
            "encoding",
        ),
        (
            lambda f: (f / "DATA" / "VOL001.opt").write_bytes(
                (f / "DATA" / "VOL001.opt")
                .read_bytes()
                .replace(b"IMAGES\\TST-00000004", b"..\\..\\etc\\passwd")
            ),
            "..",
        ),
    ],
    ids=["missing-image", "missing-native", "not-a-dat", "path-escape"],
)
def test_bad_volume_is_refused_and_changes_nothing(rt, demo, tmp_path, breakage, expected):
    folder = build_volume(tmp_path, DOCS)
    breakage(folder)
    before = _state(rt)
    result = _cli_ingest(rt, folder)
    assert result.exit_code == 2
    assert expected in result.output
    assert "VOL001" in result.output  # names the file
    assert _state(rt) == before


def test_overlap_with_an_earlier_production_changes_nothing(rt, demo, tmp_path):
    first = build_volume(tmp_path / "a", DOCS)
    _ingest_as_defendants(rt, demo, first)
    second = build_volume(tmp_path / "b", [Doc(7, 9)], volume="VOL002")
    before = _state(rt)
    with pytest.raises(Conflict, match="TST-00000007-TST-00000009 overlaps TST-00000006"):
        ingest(
            rt,
            Actor.command_line(),
            matter_id=demo,
            party_id=_defendants(rt, demo),
            plan=build_plan(
                DirectorySource(second),
                dat_path="DATA/VOL002.dat",
                opt_path="DATA/VOL002.opt",
                designations=designation_spellings(rt),
                volume="VOL002",
            ),
            source=DirectorySource(second),
        )
    assert _state(rt) == before


class FailingSource(DirectorySource):
    """Reads fail after a few files, as a flaky disk or a file removed mid-ingest would."""

    def __init__(self, root: Path, fail_after: int) -> None:
        super().__init__(root)
        self.left = fail_after

    def open(self, relpath: str):  # noqa: ANN201
        self.left -= 1
        if self.left < 0:
            raise OSError(5, "Input/output error")
        return super().open(relpath)


def test_read_failure_midway_leaves_no_orphan_blob(rt, demo, tmp_path):
    folder = build_volume(tmp_path, DOCS)
    before = _state(rt)
    with pytest.raises(Invalid, match="cannot read: Input/output error"):
        _ingest_as_defendants(rt, demo, folder, source=FailingSource(folder, fail_after=4))
    assert _state(rt) == before


def test_failed_ingest_is_audited(rt, demo, tmp_path):
    from sqlalchemy import select

    from gateway.audit.models import AuditEntry

    folder = build_volume(tmp_path, DOCS)
    with pytest.raises(Invalid):
        _ingest_as_defendants(rt, demo, folder, source=FailingSource(folder, fail_after=1))
    with rt.db.session() as session:
        last = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert last.tag == "production:ingest_failed" and "cannot read" in last.reason


def test_no_plaintext_reaches_the_blob_store(rt, demo, tmp_path):
    folder = build_volume(tmp_path, DOCS)
    _ingest_as_defendants(rt, demo, folder)
    blobs = Path(rt.settings["INSTANCE_PATH"]) / "blobs"
    contents = b"".join(p.read_bytes() for p in blobs.rglob("*") if p.is_file())
    assert contents, "no blobs were written"
    for marker in (
        b"image of page",
        b"PK native spreadsheet",
        b"extracted text",
        b"GENERATED STAND-IN",
        b"%PDF",
    ):
        assert marker not in contents


def test_cli_reads_a_cp1252_volume_when_told_the_code_pages(rt, demo, tmp_path):
    folder = build_volume(tmp_path, [Doc(40, 40, native=True)], encoding="cp1252", volume="CP")
    (folder / "IMAGES" / "TST-00000040.tif").rename(folder / "IMAGES" / "Müller.tif")
    opt = (
        (folder / "DATA" / "CP.opt")
        .read_bytes()
        .replace(b"TST-00000040.tif", "Müller.tif".encode("cp1252"))
    )
    (folder / "DATA" / "CP.opt").write_bytes(opt)
    dat = (folder / "DATA" / "CP.dat").read_bytes().replace(b"Custodian A", "José".encode("cp1252"))
    (folder / "DATA" / "CP.dat").write_bytes(dat)
    args = [
        "ingest",
        str(folder),
        "--matter",
        "3:17-cv-2366-BAS-KSC",
        "--party",
        "Chad F. Wolf, et al. (Defendants)",
        "--dat",
        "DATA/CP.dat",
        "--opt",
        "DATA/CP.opt",
    ]
    refused = _cli(rt, *args)
    assert refused.exit_code == 2 and "give the encoding explicitly" in refused.output
    done = _cli(rt, *args, "--encoding", "cp1252", "--opt-encoding", "cp1252")
    assert done.exit_code == 0, done.output
