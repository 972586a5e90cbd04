"""Volumes as vendors send them: other field names, LF records, rooted paths, multi-page
images listed once, extracted text inside the DAT; and the operator's mistakes explained."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.ingest.opt import OptRow
from gateway.ingest.writer import write_dat, write_opt
from tests.functional.test_ingest import _cli, _state
from tests.helpers import BASE, api_get, assert_marked_copy, auth, pdf_bytes, token_for

MATTER = "3:17-cv-2366-BAS-KSC"
DEFENDANTS = "Chad F. Wolf, et al. (Defendants)"
REPORT = pdf_bytes(4, "field information report")
TEXT = "Field information report\nInformation Gaps: none\n"


def _vendor_volume(root: Path, fields: list[str], rows: list[list[str]]) -> Path:
    """A Relativity-style export: LF records, paths from the volume's root, one PDF per
    document listed once in the OPT with its page count."""
    folder = root / "PROD001"
    (folder / "IMAGES" / "001").mkdir(parents=True)
    (folder / "DATA").mkdir()
    (folder / "IMAGES" / "001" / "TST-00000001.pdf").write_bytes(REPORT)
    (folder / "IMAGES" / "001" / "TST-00000005.pdf").write_bytes(pdf_bytes(1, "attachment"))
    dat = write_dat(fields, rows, encoding="utf-8").replace(b"\r\n", b"\n")
    (folder / "DATA" / "PROD001.dat").write_bytes(dat)
    opt = [
        OptRow(
            "TST-00000001",
            "PROD001",
            "\\PROD001\\IMAGES\\001\\TST-00000001.pdf",
            True,
            page_count=4,
        ),
        OptRow(
            "TST-00000005", "PROD001", "PROD001\\IMAGES\\001\\TST-00000005.pdf", True, page_count=1
        ),
    ]
    (folder / "DATA" / "PROD001.opt").write_bytes(write_opt(opt))
    return folder


FIELDS = [
    "Bates Beg",
    "Bates End",
    "Beg Attachment",
    "End Attachment",
    "Custodian",
    "Confidentiality",
    "EXTRACTED TEXT",
]
ROWS = [
    [
        "TST-00000001",
        "TST-00000004",
        "TST-00000001",
        "TST-00000005",
        "CBP",
        "Highly Confidential - AEO",
        TEXT,
    ],
    [
        "TST-00000005",
        "TST-00000005",
        "TST-00000001",
        "TST-00000005",
        "CBP",
        "Confidential - Subject to Protective Order",
        "",
    ],
]


def _ingest(rt, folder, *options, matter=MATTER, party=DEFENDANTS):
    return _cli(
        rt,
        "ingest",
        str(folder),
        "--matter",
        matter,
        "--party",
        party,
        "--dat",
        "DATA/PROD001.dat",
        "--opt",
        "DATA/PROD001.opt",
        *options,
    )


def test_a_vendor_shaped_volume_is_ingested_and_served(rt, demo, tmp_path, client):
    folder = _vendor_volume(tmp_path, FIELDS, ROWS)
    result = _ingest(rt, folder)
    assert result.exit_code == 0, result.output
    counsel = token_for(client, "counsel@plaintiffs.example")
    report = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000001").get_json()
    assert (report["designation"], report["page_count"]) == ("AEO", 4)
    assert report["family"]["members"] == ["TST-00000001", "TST-00000005"]
    assert sorted(f["role"] for f in report["files"]) == ["image", "text"]  # the PDF stored once
    attachment = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000005").get_json()
    assert attachment["designation"] == "CONFIDENTIAL"
    content = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/TST-00000001/content", headers=auth(counsel)
    )
    assert_marked_copy(content.data, REPORT)  # the one PDF holds every page
    text = next(f for f in report["files"] if f["role"] == "text")
    assert text["sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    blobs = Path(rt.settings["INSTANCE_PATH"]) / "blobs"
    stored = b"".join(p.read_bytes() for p in blobs.rglob("*") if p.is_file())
    assert b"Information Gaps" not in stored  # the DAT's text is encrypted like any file
    employee = token_for(client, "staff@alotrolado.example")
    assert api_get(client, employee, f"/matters/{demo}/documents/TST-00000001").status_code == 404


def test_the_operator_maps_a_field_the_table_does_not_know(rt, demo, tmp_path):
    fields = ["Doc Start", *FIELDS[1:]]
    folder = _vendor_volume(tmp_path, fields, ROWS)
    before = _state(rt)
    refused = _ingest(rt, folder)
    assert refused.exit_code == 2 and "BEGBATES: required field is missing" in refused.output
    assert _state(rt) == before
    done = _ingest(rt, folder, "--field", "begbates=Doc Start")
    assert done.exit_code == 0, done.output
    with rt.db.session() as session:
        entry = session.scalar(
            select(AuditEntry)
            .where(AuditEntry.tag == "production:ingest")
            .order_by(AuditEntry.seq.desc())
        )
    assert json.loads(entry.details)["fields"] == {"BEGBATES": "Doc Start"}


def test_a_multi_page_image_with_the_wrong_page_count_is_refused(rt, demo, tmp_path):
    folder = _vendor_volume(tmp_path, FIELDS, ROWS)
    (folder / "IMAGES" / "001" / "TST-00000001.pdf").write_bytes(pdf_bytes(3))
    before = _state(rt)
    result = _ingest(rt, folder)
    assert result.exit_code == 2
    assert "image IMAGES/001/TST-00000001.pdf has 3 page(s) but the OPT gives it 4" in result.output
    assert _state(rt) == before


def test_unknown_matter_and_party_list_the_choices(rt, demo, tmp_path):
    folder = _vendor_volume(tmp_path, FIELDS, ROWS)
    before = _state(rt)
    matter = _ingest(rt, folder, matter="3:17-cv-9999")
    assert matter.exit_code == 2
    assert f"no matter '3:17-cv-9999'; the matters: {MATTER}" in matter.output
    party = _ingest(rt, folder, party="Defendants")
    assert party.exit_code == 2
    parties = "'Al Otro Lado, Inc., et al. (Plaintiffs)'; 'Chad F. Wolf, et al. (Defendants)'"
    assert f"no party 'Defendants' in this matter; its parties: {parties}" in party.output
    assert _state(rt) == before
    with rt.db.session() as session:
        reasons = list(
            session.scalars(
                select(AuditEntry.reason).where(AuditEntry.tag == "production:ingest_failed")
            )
        )
    assert any("no matter" in r for r in reasons) and any("no party" in r for r in reasons)


def test_parent_bates_gives_the_family(rt, demo, tmp_path, client):
    fields = ["BEGNO", "ENDNO", "ParentBates", "Confidentiality"]
    rows = [
        ["TST-00000001", "TST-00000004", "", "CONFIDENTIAL"],
        ["TST-00000005", "TST-00000005", "TST-00000001", "CONFIDENTIAL"],
    ]
    folder = _vendor_volume(tmp_path, fields, rows)
    assert _ingest(rt, folder).exit_code == 0
    counsel = token_for(client, "counsel@plaintiffs.example")
    item = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000005").get_json()
    assert item["family"]["members"] == ["TST-00000001", "TST-00000005"]


def test_the_matter_remembers_its_producers_field_names(rt, demo, tmp_path):
    fields = ["Doc Start", *FIELDS[1:]]
    folder = _vendor_volume(tmp_path, fields, ROWS)
    added = _cli(
        rt, "matters", "add-field-name", MATTER, "--role", "begbates", "--name", "Doc Start"
    )
    assert added.exit_code == 0 and "now gives BEGBATES" in added.output
    clash = _cli(
        rt, "matters", "add-field-name", MATTER, "--role", "ENDBATES", "--name", "doc_start"
    )
    assert clash.exit_code == 2 and "already names BEGBATES" in clash.output
    table = _cli(rt, "matters", "add-field-name", MATTER, "--role", "ENDBATES", "--name", "BEGDOC")
    assert table.exit_code == 2 and "already names BEGBATES" in table.output
    listed = _cli(rt, "matters", "field-names", MATTER)
    assert listed.output.split() == ["BEGBATES", "DOCSTART"]
    done = _ingest(rt, folder)
    assert done.exit_code == 0, done.output
    with rt.db.session() as session:
        ingested = session.scalar(
            select(AuditEntry)
            .where(AuditEntry.tag == "production:ingest")
            .order_by(AuditEntry.seq.desc())
        )
        settings = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.tag == "matter:setting")
                .order_by(AuditEntry.seq)
            )
        )
    assert json.loads(ingested.details)["matter_field_names"] == {"BEGBATES": ["DOCSTART"]}
    assert [(e.outcome, json.loads(e.details)["field_name"]) for e in settings] == [
        ("allowed", "add"),
        ("denied", "add"),
        ("denied", "add"),
    ]
    removed = _cli(rt, "matters", "remove-field-name", MATTER, "--name", "DOC START")
    assert removed.exit_code == 0
    again = _vendor_volume(
        tmp_path / "again", fields, [[r[0].replace("TST-", "TST-1"), *r[1:]] for r in ROWS]
    )
    assert _ingest(rt, again).exit_code == 2
