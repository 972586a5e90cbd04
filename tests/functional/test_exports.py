"""Exports in the review platforms' layout: what a user may download, in the version served,
read back by a fresh gateway's own ingest; and what stays out of them."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Tag
from gateway.clock import FixedClock
from gateway.config import load_settings
from gateway.documents.ingest import count_rows, ingest, plan_volume
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.ingest import DirectorySource, parse_dat, parse_opt, write_dat
from gateway.keyring import init_keys
from gateway.matters import service as matters
from gateway.runtime import Runtime
from tests import factories
from tests.conftest import START
from tests.functional.test_ingest import DOCS, _cli_ingest
from tests.helpers import BASE, assert_marked_copy, auth, pdf_bytes, stored_file, token_for
from tests.volumes import build_volume

DEF = "AOL-DEF-VOL001"
# Defendants' AEO exhibits in the demo: Ex. 1-5, 18, 19
AEO = (
    ["AOL-DEF-00556914"]
    + [f"AOL-DEF-{n:08d}" for n in range(556919, 556923)]
    + [
        "AOL-DEF-00528691",
        "AOL-DEF-00516605",
    ]
)


def post_export(client: Any, token: str, matter: int, body: dict[str, Any]) -> Any:
    response = client.post(
        f"{BASE}/api/v1/matters/{matter}/exports", headers=auth(token), json=body
    )
    data = response.data
    response.close()
    return response, data


def exported(client: Any, email: str, matter: int, body: dict[str, Any]) -> bytes:
    response, data = post_export(client, token_for(client, email), matter, body)
    assert response.status_code == 200, data
    assert response.mimetype == "application/zip"
    if "Content-Length" in response.headers:
        assert response.headers["Content-Length"] == str(len(data))
    return data


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {info.filename: archive.read(info) for info in archive.infolist()}


def dat_rows(files: dict[str, bytes], volume: str) -> list[dict[str, str]]:
    raw = files[f"{volume}/DATA/{volume}.dat"]
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return [row.values for row in parse_dat(raw, file="dat").rows]


# --- a fresh gateway, with its own database and store, that loads what was exported ------


@pytest.fixture
def fresh(tmp_path: Path) -> Any:
    keys = tmp_path / "fresh-keys"
    init_keys(keys)
    settings = load_settings(
        {
            "INSTANCE_PATH": str(tmp_path / "fresh-instance"),
            "KEYS_PATH": str(keys),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 8192,
            "ARGON2_PARALLELISM": 1,
        },
        environ={},
    )
    runtime = Runtime(settings, clock=FixedClock(START))
    runtime.db.create_all()
    operator = Actor.command_line()
    matter = matters.create_matter(
        runtime,
        operator,
        caption="Receiving side's copy",
        case_number="REVIEW-1",
        court="United States District Court for the Southern District of California",
        court_timezone="America/Los_Angeles",
        order_title="Stipulated Protective Order",
        order_date=date(2019, 9, 3),
        order_docket="276",
        forum_state="California",
    )
    party = matters.add_party(runtime, operator, matter.id, name="Producer", kind="defendant")
    yield runtime, matter.id, party.id
    runtime.close()


def load_into(fresh: Any, data: bytes, volume: str, tmp_path: Path) -> dict[str, Document]:
    """Unpack the export and ingest it into the fresh gateway, through its own ingest."""
    runtime, matter_id, party_id = fresh
    target = tmp_path / f"unpacked-{volume}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(target)
    folder = target / volume
    opt = folder / "DATA" / f"{volume}.opt"
    source = DirectorySource(folder)
    plan = plan_volume(
        runtime,
        Actor.command_line(),
        matter_id=matter_id,
        source=source,
        dat_path=f"DATA/{volume}.dat",
        opt_path=f"DATA/{volume}.opt" if opt.exists() else None,
        volume=volume,
    )
    ingest(
        runtime,
        Actor.command_line(),
        matter_id=matter_id,
        party_id=party_id,
        plan=plan,
        source=source,
    )
    with runtime.db.session() as session:
        docs = session.scalars(select(Document).where(Document.matter_id == matter_id))
        return {d.bates_begin: d for d in docs}


def originals(rt: Runtime, matter: int, volume: str) -> dict[str, Document]:
    from gateway.documents.models import Production

    with rt.db.session() as session:
        docs = session.scalars(
            select(Document)
            .join(Production, Production.id == Document.production_id)
            .where(Document.matter_id == matter, Production.volume == volume)
        )
        return {d.bates_begin: d for d in docs}


def families(docs: dict[str, Document]) -> set[frozenset[str]]:
    by: dict[str, set[str]] = {}
    for bates, doc in docs.items():
        by.setdefault(doc.family_id, set()).add(bates)
    return {frozenset(m) for m in by.values()}


def same_documents(got: dict[str, Document], want: dict[str, Document]) -> None:
    assert sorted(got) == sorted(want)
    for bates, doc in want.items():
        copy = got[bates]
        assert (copy.bates_end, copy.page_count, copy.designation) == (
            doc.bates_end,
            doc.page_count,
            doc.designation,
        ), bates
        assert (copy.custodian, copy.title, copy.file_name) == (
            doc.custodian,
            doc.title,
            doc.file_name,
        )
    assert families(got) == families(want)


# --- the round trip ------------------------------------------------------------------------


def test_the_demo_volume_exports_and_loads_into_a_fresh_gateway(rt, demo, client, fresh, tmp_path):
    data = exported(client, "counsel@plaintiffs.example", demo, {"volume": DEF})
    files = members(data)
    names = sorted(files)
    assert f"{DEF}/DATA/{DEF}.dat" in names
    assert all(n.startswith(f"{DEF}/NATIVES/") for n in names if "/DATA/" not in n)
    rows = dat_rows(files, DEF)
    assert list(rows[0]) == [
        "BEGBATES",
        "ENDBATES",
        "BEGATTACH",
        "ENDATTACH",
        "CUSTODIAN",
        "CONFIDENTIALITY",
        "DOCDATE",
        "TITLE",
        "FILENAME",
        "AUTHOR",
        "RECIPIENTS",
        "PAGECOUNT",
        "NATIVEPATH",
        "TEXTPATH",
    ]
    by_bates = {r["BEGBATES"]: r for r in rows}
    parent = by_bates["AOL-DEF-00556914"]
    assert (parent["BEGATTACH"], parent["ENDATTACH"]) == ("AOL-DEF-00556914", "AOL-DEF-00556934")
    assert parent["CONFIDENTIALITY"] == "AEO" and parent["PAGECOUNT"] == "5"
    assert parent["AUTHOR"] == "officer.a@cbp.example"
    assert parent["NATIVEPATH"] == "NATIVES\\AOL-DEF-00556914.pdf"
    got = load_into(fresh, data, DEF, tmp_path)
    same_documents(got, originals(rt, demo, DEF))


def test_a_volume_with_images_natives_text_and_families_round_trips(
    rt, demo, client, fresh, tmp_path
):
    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    data = exported(client, "counsel@plaintiffs.example", demo, {"volume": "VOL001"})
    files = members(data)
    opt = parse_opt(files["VOL001/DATA/VOL001.opt"], file="opt")
    assert [(r.image_key, r.path, r.document_break) for r in opt][:3] == [
        ("TST-00000001", "IMAGES\\TST-00000001.tif", True),
        ("TST-00000002", "IMAGES\\TST-00000002.tif", False),
        ("TST-00000003", "IMAGES\\TST-00000003.tif", False),
    ]
    assert files["VOL001/TEXT/TST-00000006.txt"] == b"extracted text of TST-00000006\n"
    assert files["VOL001/NATIVES/TST-00000006.xlsx"].startswith(b"PK native")
    got = load_into(fresh, data, "VOL001", tmp_path)
    same_documents(got, originals(rt, demo, "VOL001"))
    assert families(got) >= {frozenset({"TST-00000001", "TST-00000004", "TST-00000005"})}


# --- both sides: what a user may not download leaves no trace ------------------------------


def test_the_employee_with_exhibit_a_gets_no_trace_of_aeo(rt, demo, client, fresh, tmp_path):
    data = exported(client, "staff@alotrolado.example", demo, {"volume": DEF})
    for bates in AEO:
        assert bates.encode() not in data, f"{bates} leaked into the employee's export"
    rows = dat_rows(members(data), DEF)
    assert [r["BEGBATES"] for r in rows] == [f"AOL-DEF-{n:08d}" for n in range(556923, 556935)]
    # the family is the range of the members this user may see, never the AEO parent
    assert {(r["BEGATTACH"], r["ENDATTACH"]) for r in rows} == {
        ("AOL-DEF-00556923", "AOL-DEF-00556934")
    }
    assert {r["CONFIDENTIALITY"] for r in rows} == {"CONFIDENTIAL"}
    got = load_into(fresh, data, DEF, tmp_path)
    assert len(families(got)) == 1 and not set(AEO) & set(got)


def test_each_document_exported_is_audited_and_the_export_too(rt, demo, client):
    data = exported(client, "staff@alotrolado.example", demo, {"volume": DEF})
    assert data
    with rt.db.session() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    downloads = [e for e in entries if e.tag == Tag.DOCUMENT_DOWNLOAD]
    assert sorted(e.bates for e in downloads) == [f"AOL-DEF-{n:08d}" for n in range(556923, 556935)]
    assert all(json.loads(e.details)["volume"] == DEF for e in downloads)
    export = [e for e in entries if e.tag == Tag.PRODUCTION_EXPORT]
    assert len(export) == 1 and json.loads(export[0].details)["documents"] == 12


def test_a_selection_names_only_its_members_families(rt, demo, client):
    body = {"documents": ["AOL-DEF-00556923", "AOL-DEF-00556925"], "name": "SEL001"}
    rows = dat_rows(members(exported(client, "counsel@plaintiffs.example", demo, body)), "SEL001")
    assert [(r["BEGBATES"], r["BEGATTACH"], r["ENDATTACH"]) for r in rows] == [
        ("AOL-DEF-00556923", "AOL-DEF-00556923", "AOL-DEF-00556925"),
        ("AOL-DEF-00556925", "AOL-DEF-00556923", "AOL-DEF-00556925"),
    ]


def test_a_selection_with_a_hidden_document_is_refused_as_if_it_did_not_exist(rt, demo, client):
    staff = token_for(client, "staff@alotrolado.example")
    hidden, _ = post_export(client, staff, demo, {"documents": ["AOL-DEF-00556923", AEO[0]]})
    missing, _ = post_export(
        client, staff, demo, {"documents": ["AOL-DEF-00556923", "AOL-DEF-09999999"]}
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json["error"]["code"] == missing.json["error"]["code"] == "not_found"
    assert hidden.json["error"]["message"].replace(AEO[0], "X") == missing.json["error"][
        "message"
    ].replace("AOL-DEF-09999999", "X")
    with rt.db.session() as session:
        tags = [e.tag for e in session.scalars(select(AuditEntry))]
    assert Tag.DOCUMENT_DOWNLOAD not in tags  # nothing was served
    assert tags.count(Tag.PRODUCTION_EXPORT) == 2  # both refusals audited


def test_the_expert_without_exhibit_a_and_the_auditor_get_nothing(rt, demo, client):
    for email in ("expert@plaintiffs.example", "auditor@audit.example"):
        response, data = post_export(client, token_for(client, email), demo, {"volume": DEF})
        assert response.status_code in (403, 404), email
        assert response.mimetype == "application/json" and b"AOL-DEF-005" not in data
    # answered as the served volume answers it
    expert = token_for(client, "expert@plaintiffs.example")
    exported, _ = post_export(client, expert, demo, {"volume": DEF})
    served = client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/{DEF}/download", headers=auth(expert)
    )
    assert (exported.status_code, exported.json) == (served.status_code, served.json)


def test_defendants_counsel_exports_the_key_plaintiffs_designated_oceo(rt, demo, client):
    rows = dat_rows(
        members(
            exported(client, "counsel@defendants.example", demo, {"volume": "AOL-PLTF-VOL001"})
        ),
        "AOL-PLTF-VOL001",
    )
    assert {r["BEGBATES"]: r["CONFIDENTIALITY"] for r in rows} == {
        "AOL-PLTF-00000001": "OCEO",
        "AOL-PLTF-00000004": "PUBLIC",
    }


# the service refuses these, audited with the reason; the view refuses a body it cannot read
REFUSED_BY_THE_SERVICE = [
    {},
    {"volume": DEF, "documents": ["AOL-DEF-00556923"]},
    {"documents": ["AOL-DEF-00556923", "AOL-DEF-00556923"]},
    {"volume": DEF, "name": "../x"},
    {"overlay_since": "yesterday"},
    {"overlay_since": "2020-06-26T10:00:00"},
    {"overlay_since": "2030-01-01T00:00:00Z"},
]
REFUSED_BY_THE_VIEW = [
    {"documents": "AOL-DEF-00556923"},
    {"volume": 3},
    {"volume": DEF, "colour": "red"},
    {"overlay_since": "2020-06-26T10:00:00Z", "volume": DEF},
]


@pytest.mark.parametrize("body", REFUSED_BY_THE_SERVICE + REFUSED_BY_THE_VIEW)
def test_bad_requests_say_why_and_serve_nothing(rt, demo, client, body):
    counsel = token_for(client, "counsel@plaintiffs.example")
    with rt.db.session() as session:
        before = count_rows(session)
    response, _ = post_export(client, counsel, demo, body)
    assert response.status_code in (400, 422) and response.json["error"]["message"]
    with rt.db.session() as session:
        assert count_rows(session) == before
        served = session.scalar(
            select(AuditEntry).where(AuditEntry.tag == str(Tag.DOCUMENT_DOWNLOAD))
        )
        refused = session.scalars(
            select(AuditEntry).where(AuditEntry.tag == str(Tag.PRODUCTION_EXPORT))
        ).all()
    assert served is None
    if body in REFUSED_BY_THE_SERVICE:
        assert [(e.outcome, e.reason) for e in refused] == [
            ("denied", response.json["error"]["message"][:300])
        ]
    else:
        assert refused == []


# --- overlays: what changed for this user since a time -------------------------------------

EX6, EX7, EX8, EX18 = "AOL-DEF-00556923", "AOL-DEF-00556924", "AOL-DEF-00556925", AEO[5]


class _Redacted:
    fields = {"kind": "privilege_redacted", "designation": "AEO"}

    def chunks(self):
        yield pdf_bytes(17, "privilege-redacted report")


def _rulings_since(rt, demo, clock) -> str:
    """Ex. 6 and 7 re-designated AEO, Ex. 8 clawed back (sequestered), Ex. 18 replaced by a
    privilege-redacted version; the employee had downloaded Ex. 6 before. Returns the time
    the overlay starts from."""
    from gateway.accounts import service as accounts
    from gateway.orders import versions
    from gateway.orders.redesignate import redesignate

    factories.download(rt, demo, "staff@alotrolado.example", EX6)
    since = rt.now()
    clock.advance(hours=1)
    defendants = accounts.get_user(rt, "counsel@defendants.example")
    for bates in (EX6, EX7):
        redesignate(
            rt,
            defendants,
            demo,
            bates,
            designation="AEO",
            pages=None,
            reason="inadvertent failure to designate",
            address="test",
        )
    factories.claw_back(rt, demo, [EX8])
    notice = factories.claw_back(rt, demo, [EX18])
    factories.rule(rt, demo, notice, EX18, "granted_in_part", pages=[13])
    versions.supply_version(rt, defendants, demo, EX18, _Redacted(), address="test")
    clock.advance(minutes=5)
    return since.isoformat()


def overlay_of(client, email, demo, since, name="OVL001"):
    files = members(exported(client, email, demo, {"overlay_since": since, "name": name}))
    removed = files[f"{name}/DATA/{name}_REMOVE.txt"].decode("utf-8").split("\r\n")[:-1]
    return files, {r["BEGBATES"]: r for r in dat_rows(files, name)}, removed


def test_an_overlay_carries_new_designations_replacements_and_removals(rt, demo, client, clock):
    since = _rulings_since(rt, demo, clock)
    files, rows, removed = overlay_of(client, "counsel@plaintiffs.example", demo, since)
    assert {b: r["CONFIDENTIALITY"] for b, r in rows.items()} == {
        EX6: "AEO",
        EX7: "AEO",
        EX18: "AEO",
    }
    assert removed == [EX8]
    # the replacement is the privilege-redacted version now served to counsel
    replacement = files[f"OVL001/{rows[EX18]['NATIVEPATH'].replace(chr(92), '/')}"]
    with rt.db.session() as session:
        redacted = session.scalars(
            select(DocumentFile.sha256)
            .join(DocumentVersion, DocumentVersion.id == DocumentFile.version_id)
            .where(DocumentVersion.kind == "privilege_redacted")
        ).all()
    stored = stored_file(rt, demo, EX18, kind="privilege_redacted")
    assert redacted == [hashlib.sha256(stored).hexdigest()]
    # as every download serves it: with counsel's forensic mark
    assert_marked_copy(replacement, stored, email="counsel@plaintiffs.example")
    assert rows[EX18]["PAGECOUNT"] == "17" and rows[EX18]["ENDBATES"] == "AOL-DEF-00528707"


def test_the_employees_overlay_names_only_what_the_employee_had(rt, demo, client, clock):
    since = _rulings_since(rt, demo, clock)
    files, rows, removed = overlay_of(client, "staff@alotrolado.example", demo, since)
    assert rows == {}
    # Ex. 6 was downloaded before it became AEO; Ex. 8 is sequestered, a slip the employee sees
    assert removed == [EX6, EX8]
    blob = b"".join(files.values()) + "".join(files).encode()
    for bates in (EX7, EX18):
        assert bates.encode() not in blob, f"{bates} leaked into the employee's overlay"


def test_an_overlay_is_audited_per_document_and_as_an_export(rt, demo, client, clock):
    since = _rulings_since(rt, demo, clock)
    overlay_of(client, "counsel@plaintiffs.example", demo, since)
    with rt.db.session() as session:
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.at > START).order_by(AuditEntry.seq)
            )
        )
    served = [e.bates for e in entries if e.tag == Tag.DOCUMENT_DOWNLOAD]
    assert sorted(served) == sorted([EX6, EX7, EX18])
    export = [json.loads(e.details) for e in entries if e.tag == Tag.PRODUCTION_EXPORT]
    assert export == [{"export": "OVL001", "overlay_since": since, "documents": 3, "removed": 1}]


# --- an overlay applied to the fresh gateway ------------------------------------------------


def apply_to(fresh: Any, data: bytes, volume: str, tmp_path: Path) -> dict[str, int]:
    from gateway.documents.overlays import load_overlay

    runtime, matter_id, _party = fresh
    target = tmp_path / f"overlay-{volume}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(target)
    source = DirectorySource(target / volume)
    return load_overlay(
        runtime, Actor.command_line(), matter_id=matter_id, source=source, volume=volume
    )


def fresh_state(fresh: Any) -> tuple[Any, ...]:
    runtime, matter_id, _party = fresh
    with runtime.db.session() as session:
        docs = session.scalars(select(Document).where(Document.matter_id == matter_id))
        return (
            count_rows(session),
            sorted((d.bates_begin, d.designation, d.state) for d in docs),
            sorted(runtime.blobs.store.iter_keys()),
        )


def test_an_overlay_applied_to_the_fresh_gateway_matches_what_is_served(
    rt, demo, client, clock, fresh, tmp_path
):
    load_into(
        fresh, exported(client, "counsel@plaintiffs.example", demo, {"volume": DEF}), DEF, tmp_path
    )
    since = _rulings_since(rt, demo, clock)
    data = exported(
        client, "counsel@plaintiffs.example", demo, {"overlay_since": since, "name": "OVL001"}
    )
    assert apply_to(fresh, data, "OVL001", tmp_path) == {
        "designated": 1 + 1,  # Ex. 6 and 7; Ex. 18 was AEO already
        "replaced": 3,
        "withdrawn": 1,
    }
    runtime, matter_id, _party = fresh
    with runtime.db.session() as session:
        docs = {
            d.bates_begin: d
            for d in session.scalars(select(Document).where(Document.matter_id == matter_id))
        }
        ex18 = session.scalars(
            select(DocumentFile.sha256).where(
                DocumentFile.version_id == docs[EX18].current_version_id
            )
        ).all()
        overlay_entries = session.scalars(
            select(AuditEntry).where(AuditEntry.tag == str(Tag.OVERLAY_APPLIED))
        ).all()
    assert (docs[EX6].designation, docs[EX7].designation) == ("AEO", "AEO")
    assert docs[EX8].state == "withdrawn" and docs[EX6].state == "produced"
    with rt.db.session() as session:
        redacted = session.scalars(
            select(DocumentFile.sha256)
            .join(DocumentVersion, DocumentVersion.id == DocumentFile.version_id)
            .where(DocumentVersion.kind == "privilege_redacted")
        ).all()
    # the fresh gateway holds what counsel received: the redacted version with the mark
    assert len(ex18) == len(redacted) == 1
    assert_marked_copy(
        stored_file(runtime, matter_id, EX18, kind=None),
        stored_file(rt, demo, EX18, kind="privilege_redacted"),
    )
    assert sorted(e.bates for e in overlay_entries if e.bates) == sorted([EX6, EX7, EX8, EX18])
    # the replaced files' blobs are gone: one blob per file row
    rows, _docs, blobs = fresh_state(fresh)
    assert len(blobs) == rows["document_files"]


def test_a_bad_overlay_names_its_problem_and_changes_nothing(rt, demo, client, fresh, tmp_path):
    from gateway.errors import Invalid

    load_into(
        fresh, exported(client, "counsel@plaintiffs.example", demo, {"volume": DEF}), DEF, tmp_path
    )
    before = fresh_state(fresh)
    dat = write_dat(
        ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVEPATH"],
        [
            [EX6, EX6, "AEO", "NATIVES\\X.pdf"],
            [EX7, EX7, "Highly Confidential", ""],
        ],
    )
    cases = {
        "OVL-A": (
            {"DATA/OVL-A.dat": dat},
            ["OVL-A.dat:2: NATIVEPATH", "OVL-A.dat:3: CONFIDENTIALITY"],
        ),
        "OVL-B": (
            {
                "DATA/OVL-B.dat": write_dat(
                    ["BEGBATES", "ENDBATES", "CONFIDENTIALITY"], [[EX6, EX6, "AEO"]]
                ),
                "DATA/OVL-B_REMOVE.txt": b"AOL-DEF-09999999\r\n",
            },
            ["OVL-B_REMOVE.txt:1", "no document AOL-DEF-09999999"],
        ),
        "OVL-C": (
            {
                "DATA/OVL-C.dat": write_dat(
                    ["BEGBATES", "ENDBATES", "CONFIDENTIALITY"], [[EX6, EX6, "AEO"]]
                ),
                "DATA/OVL-C.opt": b"AOL-DEF-00556924,OVL-C,IMAGES\\X.tif,Y,,,1\r\n",
                "IMAGES/X.tif": b"II*\x00",
                "DATA/OVL-C_REMOVE.txt": f"{EX7}\r\n{EX7}\r\n".encode(),
            },
            [
                "OVL-C.opt:1: page AOL-DEF-00556924 is in no document",
                "OVL-C_REMOVE.txt:2: AOL-DEF-00556924 is listed twice",
            ],
        ),
    }
    for volume, (files, said) in cases.items():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in files.items():
                archive.writestr(f"{volume}/{name}", content)
        with pytest.raises(Invalid) as refused:
            apply_to(fresh, buffer.getvalue(), volume, tmp_path)
        for words in said:
            assert words in refused.value.message, refused.value.message
        assert fresh_state(fresh) == before
    runtime, _matter, _party = fresh
    with runtime.db.session() as session:
        refusals = session.scalars(
            select(AuditEntry.reason).where(AuditEntry.tag == str(Tag.PRODUCTION_INGEST_FAILED))
        ).all()
    assert len(refusals) == 3 and "OVL-B_REMOVE.txt:1" in refusals[1]


def test_an_overlay_replaces_page_images_named_in_its_opt(rt, demo, client, fresh, tmp_path):
    from gateway.ingest import OptRow, write_opt

    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    load_into(
        fresh,
        exported(client, "counsel@plaintiffs.example", demo, {"volume": "VOL001"}),
        "VOL001",
        tmp_path,
    )
    pages = {f"IMAGES/TST-0000000{n}.tif": f"redacted page {n}".encode() for n in (1, 2, 3)}
    files = {
        "DATA/OVL-I.dat": write_dat(
            ["BEGBATES", "ENDBATES", "CONFIDENTIALITY"], [["TST-00000001", "TST-00000003", "AEO"]]
        ),
        "DATA/OVL-I.opt": write_opt(
            OptRow(f"TST-0000000{n}", "OVL-I", f"IMAGES\\TST-0000000{n}.tif", n == 1)
            for n in (1, 2, 3)
        ),
        **pages,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"OVL-I/{name}", content)
    assert apply_to(fresh, buffer.getvalue(), "OVL-I", tmp_path) == {
        "designated": 0,  # AEO already
        "replaced": 1,
        "withdrawn": 0,
    }
    runtime, matter_id, _party = fresh
    with runtime.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == "TST-00000001"))
        assert doc is not None
        kept = session.execute(
            select(DocumentFile.role, DocumentFile.page_no, DocumentFile.sha256)
            .where(DocumentFile.version_id == doc.current_version_id)
            .order_by(DocumentFile.page_no)
        ).all()
    # the overlay's files are the document's whole set now: its old extracted text is gone
    # too, so an unredacted text never outlives a redaction
    assert [tuple(row) for row in kept] == [
        ("image", n, hashlib.sha256(pages[f"IMAGES/TST-0000000{n}.tif"]).hexdigest())
        for n in (1, 2, 3)
    ]
    rows, _docs, blobs = fresh_state(fresh)
    assert len(blobs) == rows["document_files"]  # the replaced files' blobs are gone


def test_an_overlay_with_part_of_a_documents_pages_is_refused_and_changes_nothing(
    rt, demo, client, fresh, tmp_path
):
    """An overlay's images replace all of a document's files: one image at page 3 of a
    3-page document, or pages 1 and 3 of it, would leave it with those pages alone."""
    from gateway.errors import Invalid
    from gateway.ingest import OptRow, write_opt

    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    load_into(
        fresh,
        exported(client, "counsel@plaintiffs.example", demo, {"volume": "VOL001"}),
        "VOL001",
        tmp_path,
    )
    before = fresh_state(fresh)
    dat = write_dat(
        ["BEGBATES", "ENDBATES", "CONFIDENTIALITY"], [["TST-00000001", "TST-00000003", "AEO"]]
    )
    cases = {
        "OVL-P3": (
            [3],
            "OVL-P3.opt:1: TST-00000003 is the only page image given for TST-00000001 to "
            "TST-00000003 (3 pages), at its page 3: a single image must be page 1",
        ),
        "OVL-P13": (
            [1, 3],
            "OVL-P13.dat:2: ENDBATES: the OPT has 2 of the 3 pages of TST-00000001 to "
            "TST-00000003 (3 pages): it must give every page (missing TST-00000002)",
        ),
        "OVL-P122": (
            [1, 2, 2],
            "OVL-P122.opt:3: image key: image key TST-00000002 appears twice",
        ),
    }
    for volume, (pages, said) in cases.items():
        files = {
            f"DATA/{volume}.dat": dat,
            f"DATA/{volume}.opt": write_opt(
                OptRow(f"TST-0000000{n}", volume, f"IMAGES\\P{i}.tif", i == 0)
                for i, n in enumerate(pages)
            ),
            **{f"IMAGES/P{i}.tif": f"page {n}".encode() for i, n in enumerate(pages)},
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, content in files.items():
                archive.writestr(f"{volume}/{name}", content)
        with pytest.raises(Invalid) as refused:
            apply_to(fresh, buffer.getvalue(), volume, tmp_path)
        assert said in refused.value.message, refused.value.message
        assert fresh_state(fresh) == before  # rows, designations and blobs as they were
    runtime, _matter, _party = fresh
    with runtime.db.session() as session:
        refusals = session.scalars(
            select(AuditEntry.reason).where(AuditEntry.tag == str(Tag.PRODUCTION_INGEST_FAILED))
        ).all()
    assert len(refusals) == 3 and "only page image" in refusals[0]


def test_a_stale_document_is_re_branded_before_it_is_exported(rt, demo, client):
    """A public filing in full leaves Ex. 14's pages with the old legend: the export
    re-brands them first, and carries the edition with the legend now in force."""
    from datetime import timedelta

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
    files = members(exported(client, "counsel@plaintiffs.example", demo, {"volume": DEF}))
    row = {r["BEGBATES"]: r for r in dat_rows(files, DEF)}[ex14]
    assert row["CONFIDENTIALITY"] == "PUBLIC"
    native = files[f"{DEF}/{row['NATIVEPATH'].replace(chr(92), '/')}"]
    with rt.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == ex14))
        assert doc is not None
        editions = session.execute(
            select(DocumentFile.sha256, DocumentFile.superseded_at.is_(None)).where(
                DocumentFile.version_id == doc.current_version_id
            )
        ).all()
    current = [sha for sha, live in editions if live]
    edition = stored_file(rt, demo, ex14)
    assert len(editions) == 2 and current == [hashlib.sha256(edition).hexdigest()]
    assert_marked_copy(native, edition, email="counsel@plaintiffs.example")
