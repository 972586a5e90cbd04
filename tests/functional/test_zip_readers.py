"""The ZIPs the gateway serves open in every reader a receiving party may use: Java's
ZipInputStream, Info-ZIP unzip, 7-Zip, libarchive (bsdtar) and Python; and a volume ZIP
carries a DAT and OPT that load it again."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.audit.log import entry_ref
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Tag
from gateway.documents.zipstream import Member, MemberMismatch, known_zip
from gateway.ingest import DEFAULT_DESIGNATIONS, DirectorySource, build_plan, parse_dat
from tests.functional.test_ingest import DOCS, _cli_ingest
from tests.helpers import BASE, auth, token_for
from tests.volumes import build_volume

JAVA_CHECK = Path(__file__).with_name("ZipCheck.java")


def _expected(data: bytes) -> list[tuple[str, int, int]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return [
            (info.filename, info.file_size, zlib.crc32(archive.read(info)))
            for info in archive.infolist()
        ]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/ensure-zip-readers installs it)")
    return path


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _get_zip(client, token, path, *, sized=True):
    """``sized``: every member's size is known up front, so the archive's is; a volume
    holding PDFs, each served with its forensic mark, is sent without a length."""
    response = client.get(f"{BASE}/api/v1{path}", headers=auth(token))
    data = response.data
    response.close()  # a streamed response ends before the next request begins
    assert response.status_code == 200 and response.mimetype == "application/zip"
    if sized:
        assert response.headers["Content-Length"] == str(len(data))
    else:
        assert "Content-Length" not in response.headers
    return data


def _served(client, demo):
    """The demo volume ZIP as counsel gets it, and a document of several page images."""
    counsel = token_for(client, "counsel@plaintiffs.example")
    return {
        "volume": _get_zip(
            client, counsel, f"/matters/{demo}/productions/AOL-DEF-VOL001/download", sized=False
        ),
        "document": _get_zip(
            client, counsel, f"/matters/{demo}/documents/TST-00000001/content", sized=False
        ),
    }


@pytest.fixture
def served(rt, demo, client, tmp_path):
    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    archives = _served(client, demo)
    paths = {}
    for name, data in archives.items():
        paths[name] = tmp_path / f"{name}.zip"
        paths[name].write_bytes(data)
    return archives, paths


def test_local_headers_carry_sizes_and_crcs(served):
    """A member of known size is STORED with its size and CRC-32 in its local header; a
    marked PDF or page image, whose size is known only once written, is DEFLATED with a
    data descriptor (Java's ZipInputStream refuses a STORED member that defers its
    sizes)."""
    archives, _paths = served
    marked = 0
    for data in archives.values():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                offset = info.header_offset
                crc, compressed, size = (
                    int.from_bytes(data[offset + n : offset + n + 4], "little")
                    for n in (14, 18, 22)
                )
                if not info.filename.endswith((".pdf", ".tif")):
                    assert info.compress_type == zipfile.ZIP_STORED
                    assert not info.flag_bits & 0x08, f"{info.filename} defers its sizes"
                    assert (crc, size) == (info.CRC, info.file_size)
                    continue
                marked += 1
                assert info.compress_type == zipfile.ZIP_DEFLATED and info.flag_bits & 0x08
                assert (crc, compressed, size) == (0, 0, 0)
                start = offset + 30 + len(info.filename.encode()) + info.compress_size
                descriptor = data[start : start + 16]
                assert descriptor[:4] == b"PK\x07\x08"
                assert [int.from_bytes(descriptor[n : n + 4], "little") for n in (4, 8, 12)] == [
                    info.CRC,
                    info.compress_size,
                    info.file_size,
                ]
    assert marked == 19 + 3  # every document of the demo volume is a PDF; three page images


def test_java_zip_input_stream_reads_them(served, tmp_path):
    _tool("java")
    archives, paths = served
    for name, data in archives.items():
        out = _run("java", str(JAVA_CHECK), str(paths[name]))
        got = [tuple(line.split("\t")) for line in out.splitlines()]
        assert got == [(n, str(s), str(c)) for n, s, c in _expected(data)], name


def test_unzip_7zip_and_bsdtar_read_them(served, tmp_path):
    archives, paths = served
    for name, data in archives.items():
        expected = _expected(data)
        assert "No errors detected" in _run(_tool("unzip"), "-t", str(paths[name]))
        assert "Everything is Ok" in _run(_tool("7z"), "t", str(paths[name]))
        listed = _run(_tool("bsdtar"), "-tf", str(paths[name])).splitlines()
        assert listed == [n for n, _s, _c in expected]
        target = tmp_path / f"x-{name}"
        target.mkdir()
        _run("bsdtar", "-xf", str(paths[name]), "-C", str(target))
        for member, size, crc in expected:
            extracted = (target / member).read_bytes()
            assert (len(extracted), zlib.crc32(extracted)) == (size, crc)


def _reload(data, tmp_path, volume):
    target = tmp_path / f"reloaded-{volume}"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(target)
        files = [n for n in archive.namelist() if "/DATA/" not in n]
    folder = target / volume
    dat = parse_dat((folder / "DATA" / f"{volume}.dat").read_bytes(), file="dat")
    # the DAT lists exactly the documents whose files the ZIP holds
    assert sorted(row.values["BEGBATES"] for row in dat.rows) == sorted(
        {n.split("/")[1] for n in files}
    )
    opt = folder / "DATA" / f"{volume}.opt"
    plan = build_plan(
        DirectorySource(folder),
        dat_path=f"DATA/{volume}.dat",
        opt_path=f"DATA/{volume}.opt" if opt.exists() else None,
        designations=DEFAULT_DESIGNATIONS,
    )
    assert len(plan.documents) == len(dat.rows)
    return {d.bates_begin: d for d in plan.documents}


def test_a_volume_zip_loads_again_from_its_data_folder(served, client, demo, tmp_path):
    archives, _paths = served
    natives = _reload(archives["volume"], tmp_path, "AOL-DEF-VOL001")
    assert natives["AOL-DEF-00528691"].designation == "AEO"
    assert {d.designation for d in natives.values()} == {"AEO", "CONFIDENTIAL"}
    counsel = token_for(client, "counsel@plaintiffs.example")
    imaged = _reload(
        _get_zip(client, counsel, f"/matters/{demo}/productions/VOL001/download", sized=False),
        tmp_path,
        "VOL001",
    )
    assert imaged["TST-00000001"].page_count == 3 and imaged["TST-00000001"].designation == "AEO"
    assert imaged["TST-00000005"].designation == "PUBLIC"
    assert imaged["TST-00000006"].native_path == "TST-00000006/TST-00000006.xlsx"
    # what the user may not download is not in the load files either
    staff = token_for(client, "staff@alotrolado.example")
    employee = _get_zip(
        client, staff, f"/matters/{demo}/productions/AOL-DEF-VOL001/download", sized=False
    )
    with zipfile.ZipFile(io.BytesIO(employee)) as archive:
        dat = archive.read("AOL-DEF-VOL001/DATA/AOL-DEF-VOL001.dat").decode("utf-8-sig")
    assert "AOL-DEF-00528691" not in dat and "AOL-DEF-00556914" not in dat


def test_a_member_not_matching_its_recorded_size_or_crc_cuts_the_stream():
    at = datetime(2020, 6, 26, tzinfo=UTC)
    for chunks in ([b"abcd"], [b"abcdef"], [b"abcdX"]):
        archive = known_zip(
            [Member("a.bin", at, lambda c=chunks: c, size=5, crc32=zlib.crc32(b"abcde"))]
        )
        assert archive is not None
        with pytest.raises(MemberMismatch):
            b"".join(archive.stream())
    assert known_zip([Member("a.bin", at, lambda: [b"x"])]) is None  # sizes unknown


# --- exports (gateway.exports): the same readers, and a member transformed per download ----


def _export_with_a_transformed_member(rt, demo):
    """The demo volume exported, each PDF's bytes changed on the way out (as a forensic
    watermark will): those members' sizes are unknown until written, so they are DEFLATED."""
    from gateway.accounts import service as accounts
    from gateway.documents.zipstream import Member
    from gateway.exports.service import ExportRequest, export

    def mark(exported, member):
        if not member.name.endswith(".pdf"):
            return member
        source = member.chunks
        # the mark names this document's download entry, as a forensic watermark will
        tail = f"%download {exported.audit_ref} {exported.entry.doc.bates_begin}\n".encode()
        return Member(member.name, member.modified, lambda: [*source(), tail])

    served = export(
        rt,
        accounts.get_user(rt, "counsel@plaintiffs.example"),
        demo,
        ExportRequest(volume="AOL-DEF-VOL001"),
        address="test",
        transform=mark,
    )
    assert served.size is None  # not known before the transformed members are written
    return b"".join(served.chunks)


@pytest.fixture
def exports(rt, demo, client, tmp_path):
    assert _cli_ingest(rt, build_volume(tmp_path / "in", DOCS)).exit_code == 0
    counsel = token_for(client, "counsel@plaintiffs.example")
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/exports", headers=auth(counsel), json={"volume": "VOL001"}
    )
    archives = {"export": response.data, "marked": _export_with_a_transformed_member(rt, demo)}
    response.close()
    paths = {}
    for name, data in archives.items():
        paths[name] = tmp_path / f"{name}.zip"
        paths[name].write_bytes(data)
    return archives, paths


def test_exports_read_with_java_and_unzip(exports, rt):
    archives, paths = exports
    with zipfile.ZipFile(io.BytesIO(archives["marked"])) as archive:
        methods = {
            info.filename.rsplit(".", 1)[-1]: info.compress_type for info in archive.infolist()
        }
        pdf = archive.read("AOL-DEF-VOL001/NATIVES/AOL-DEF-00556914.pdf")
    assert methods == {"pdf": zipfile.ZIP_DEFLATED, "dat": zipfile.ZIP_STORED}
    with rt.db.session() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.tag == str(Tag.DOCUMENT_DOWNLOAD),
                AuditEntry.bates == "AOL-DEF-00556914",
            )
        )
    assert entry is not None
    assert pdf.endswith(f"%download {entry_ref(entry)} AOL-DEF-00556914\n".encode())
    for name, data in archives.items():
        expected = _expected(data)
        assert "No errors detected" in _run(_tool("unzip"), "-t", str(paths[name]))
        out = _run(_tool("java"), str(JAVA_CHECK), str(paths[name]))
        got = [tuple(line.split("\t")) for line in out.splitlines()]
        assert got == [(n, str(s), str(c)) for n, s, c in expected], name


def test_exports_read_with_7zip_and_bsdtar(exports):
    archives, paths = exports
    for name in archives:
        assert "Everything is Ok" in _run(_tool("7z"), "t", str(paths[name]))
        assert _run(_tool("bsdtar"), "-tf", str(paths[name])).splitlines()
