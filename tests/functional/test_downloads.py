"""Downloads: streamed, decrypted on the fly, audited before the first byte."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from sqlalchemy import select

from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.documents.ingest import designation_spellings, ingest
from gateway.documents.models import DocumentFile
from gateway.errors import IntegrityFailure
from gateway.ingest.plan import build_plan
from gateway.ingest.source import DirectorySource
from gateway.ingest.writer import write_dat
from tests.helpers import BASE, auth, token_for

VOLUME = "AOL-DEF-VOL001"


def _zip_names(data: bytes) -> list[str]:
    """The documents' files in a ZIP (a volume's DATA/ load files are tested on their own)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return [name for name in archive.namelist() if "/DATA/" not in name]


def test_volume_zip_holds_only_what_the_user_may_download(client, demo):
    staff = token_for(client, "staff@alotrolado.example")
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/{VOLUME}/download", headers=auth(staff)
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = _zip_names(response.data)
    assert len(names) == 12
    assert all(f"AOL-DEF-{n:08d}" in " ".join(names) for n in range(556923, 556935))
    for hidden in ("AOL-DEF-00556914", "AOL-DEF-00556919", "AOL-DEF-00528691", "AOL-DEF-00516605"):
        assert hidden not in " ".join(names), f"{hidden} leaked into the volume ZIP"
    counsel = token_for(client, "counsel@plaintiffs.example")
    full = client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/{VOLUME}/download", headers=auth(counsel)
    )
    assert len(_zip_names(full.data)) == 19


def test_volume_download_audits_every_document(client, demo, rt):
    staff = token_for(client, "staff@alotrolado.example")
    client.get(f"{BASE}/api/v1/matters/{demo}/productions/{VOLUME}/download", headers=auth(staff))
    with rt.db.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(
                AuditEntry.actor_email == "staff@alotrolado.example",
                AuditEntry.tag == "document:download",
            )
        ).all()
    assert sorted(r.bates for r in rows) == [f"AOL-DEF-{n:08d}" for n in range(556923, 556935)]


def test_unknown_volume_and_other_sides_nothing_are_404(client, demo):
    staff = token_for(client, "staff@alotrolado.example")
    assert (
        client.get(
            f"{BASE}/api/v1/matters/{demo}/productions/NOPE/download", headers=auth(staff)
        ).status_code
        == 404
    )


def _ingest_big(rt, demo, tmp_path, size):
    folder = tmp_path / "BIG"
    (folder / "NATIVES").mkdir(parents=True)
    with open(folder / "NATIVES" / "big.bin", "wb") as handle:
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            handle.write(block)
    (folder / "BIG.dat").write_bytes(
        write_dat(
            ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVELINK"],
            [["BIG-00000001", "BIG-00000001", "CONFIDENTIAL", "NATIVES/big.bin"]],
        )
    )
    from tests.functional.test_ingest import _defendants

    plan = build_plan(
        DirectorySource(folder),
        dat_path="BIG.dat",
        opt_path=None,
        designations=designation_spellings(rt),
        volume="BIG",
    )
    ingest(
        rt,
        Actor.command_line(),
        matter_id=demo,
        party_id=_defendants(rt, demo),
        plan=plan,
        source=DirectorySource(folder),
    )


def test_tampered_ciphertext_aborts_the_stream(client, demo, rt, tmp_path):
    _ingest_big(rt, demo, tmp_path, 3 * 1024 * 1024)
    counsel = token_for(client, "counsel@plaintiffs.example")
    with rt.db.session() as session:
        blob_key = session.scalar(
            select(DocumentFile.blob_key).where(DocumentFile.file_name == "big.bin")
        )
    path = rt.settings["INSTANCE_PATH"] / "blobs" / f"{blob_key}.blob"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # inside the second of three segments
    path.write_bytes(bytes(data))
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/BIG-00000001/content",
        headers=auth(counsel),
        buffered=False,
    )
    assert response.status_code == 200
    received = 0
    with pytest.raises(IntegrityFailure):
        for chunk in response.response:
            received += len(chunk)
    assert 0 < received < int(response.headers["Content-Length"])


def test_download_memory_does_not_grow_with_file_size(client, demo, rt, tmp_path):
    size = 48 * 1024 * 1024
    _ingest_big(rt, demo, tmp_path, size)
    counsel = token_for(client, "counsel@plaintiffs.example")
    tracemalloc.start()
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/BIG-00000001/content",
        headers=auth(counsel),
        buffered=False,
    )
    received = 0
    for chunk in response.response:
        received += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    assert received == size
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while streaming {size}"


def test_productions_list_counts_only_visible_documents(client, demo):
    from tests.helpers import api_get

    staff = token_for(client, "staff@alotrolado.example")
    items = api_get(client, staff, f"/matters/{demo}/productions").get_json()["items"]
    assert {i["volume"]: i["documents"] for i in items} == {
        "AOL-DEF-VOL001": 12,
        "AOL-PLTF-VOL001": 2,
    }
    counsel = token_for(client, "counsel@plaintiffs.example")
    items = api_get(client, counsel, f"/matters/{demo}/productions").get_json()["items"]
    assert {i["volume"]: i["documents"] for i in items} == {
        "AOL-DEF-VOL001": 19,
        "AOL-PLTF-VOL001": 2,
    }
    assert {i["producing_party"] for i in items} == {
        "Chad F. Wolf, et al. (Defendants)",
        "Al Otro Lado, Inc., et al. (Plaintiffs)",
    }


def test_web_volume_download(client, demo):
    import re

    from gateway.demo import DEMO_PASSWORD

    page = client.get(f"{BASE}/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    client.post(
        f"{BASE}/login",
        headers={"Referer": f"{BASE}/"},
        data={"email": "staff@alotrolado.example", "password": DEMO_PASSWORD, "csrf_token": token},
    )
    listing = client.get(f"{BASE}/matters/{demo}/documents")
    assert b"AOL-DEF-VOL001" in listing.data and b"Download ZIP" in listing.data
    response = client.get(f"{BASE}/matters/{demo}/productions/AOL-DEF-VOL001/download")
    assert response.status_code == 200 and len(_zip_names(response.data)) == 12
