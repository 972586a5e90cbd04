"""Regressions for defects found in review: each was reproduced before it was fixed."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select, update

from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.documents.ingest import count_rows
from gateway.documents.models import Document, DocumentFile
from gateway.errors import Invalid
from gateway.matters import service as matters
from tests.helpers import BASE, api_get, auth, token_for


def _tags(rt, **where):
    with rt.db.session() as session:
        stmt = select(AuditEntry)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return [(e.tag, e.outcome, e.reason) for e in session.scalars(stmt)]


def _state(rt):
    with rt.db.session() as session:
        return count_rows(session), sorted(rt.blobs.store.iter_keys())


@pytest.mark.parametrize("volume", ["..", "..\\..\\Startup", "a..b", ".hidden", "x y"])
def test_volume_names_cannot_climb_out_of_a_zip(client, demo, rt, volume):
    counsel = token_for(client, "counsel@defendants.example")
    before = _state(rt)
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/{volume}/documents",
        headers={**auth(counsel), "Content-Type": "application/octet-stream"},
        query_string={"bates_begin": "AOL-DEF-09000001", "file_name": "evil.bat"},
        data=b"@echo off",
    )
    assert response.status_code in (404, 422)
    assert _state(rt) == before


def test_zip_member_names_stay_inside_the_archive(client, demo):
    counsel = token_for(client, "counsel@plaintiffs.example")
    data = client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/AOL-DEF-VOL001/download", headers=auth(counsel)
    ).data
    for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
        assert not name.startswith(("/", "\\")) and ".." not in name and "\\" not in name


def test_a_file_row_moved_to_another_document_fails_to_decrypt(client, demo, rt):
    """Swapping the AEO declarant key's file onto the PUBLIC index must not serve it."""
    with rt.db.session() as session:
        key_doc = session.scalar(
            select(Document).where(Document.bates_begin == "AOL-PLTF-00000001")
        )
        public = session.scalar(select(Document).where(Document.bates_begin == "AOL-PLTF-00000004"))
        key_file = session.scalar(
            select(DocumentFile).where(DocumentFile.version_id == key_doc.current_version_id)
        )
        session.execute(
            update(DocumentFile)
            .where(DocumentFile.version_id == public.current_version_id)
            .values(blob_key=key_file.blob_key + "-x")
        )
        session.execute(
            update(DocumentFile)
            .where(DocumentFile.id == key_file.id)
            .values(version_id=public.current_version_id)
        )
    staff = token_for(client, "court@casd.example")
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-PLTF-00000004/content", headers=auth(staff)
    )
    # a stored copy that cannot be served: 409, and the download recorded as aborted
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert b"Declarant" not in response.data
    with rt.db.session() as session:
        last = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert (last.outcome, last.bates) == ("aborted", "AOL-PLTF-00000004")


def test_operator_cannot_take_a_role_in_a_matter(rt, demo):
    with pytest.raises(Invalid, match="operator account"):
        matters.add_member(
            rt,
            Actor.command_line(),
            demo,
            matters.NewMember(email="admin@gateway.example", role="auditor", party_id=None),
        )


def test_refused_tokens_are_audited(client, demo, rt):
    assert client.get(f"{BASE}/api/v1/matters", headers=auth("not-a-token")).status_code == 401
    assert client.get(f"{BASE}/api/v1/matters").status_code == 401
    # counted per address per interval (issue 7): one entry once the interval is over
    assert _tags(rt, tag="auth:refusals") == []
    rt.close()
    with rt.db.session() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.tag == "auth:refusals"))
    assert '"127.0.0.1":{"no token":1,"unknown token":1}' in entry.details


def test_refused_uploads_are_audited(client, demo, rt):
    counsel = token_for(client, "counsel@plaintiffs.example")
    client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/VOL9/documents",
        headers={**auth(counsel), "Content-Type": "application/octet-stream"},
        query_string={
            "bates_begin": "AOL-PLTF-00000001",
            "file_name": "x.pdf",
            "designation": "CONFIDENTIAL",
        },
        data=b"x",
    )
    refused = [(o, r) for tag, o, r in _tags(rt, tag="production:upload")]
    assert refused and refused[0][0] == "denied" and "overlaps" in refused[0][1]


def test_web_sign_in_writes_its_audit_entry_with_the_session(client, demo, rt):
    import re

    page = client.get(f"{BASE}/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    client.post(
        f"{BASE}/login",
        headers={"Referer": f"{BASE}/"},
        data={"email": "court@casd.example", "password": "demo-password-123", "csrf_token": token},
    )
    assert ("auth:login", "allowed", "") in _tags(rt, actor_email="court@casd.example")


def test_unknown_accounts_reuse_one_dummy_hash(client, demo):
    from gateway.accounts.service import _dummy_hash

    _dummy_hash.cache_clear()
    for n in range(3):
        client.post(
            f"{BASE}/api/v1/auth/token",
            json={"email": f"nobody{n}@x.example", "password": "p" * 12},
        )
    assert _dummy_hash.cache_info().misses == 1 and _dummy_hash.cache_info().hits == 2


def test_hidden_and_missing_documents_take_the_same_path(client, demo, rt, monkeypatch):
    """Both refusals ask the policy once, so neither answers measurably sooner."""
    from gateway.authz.derive import Authorizer

    calls = []
    original = Authorizer.explain
    monkeypatch.setattr(
        Authorizer, "explain", lambda self, *a: calls.append(a) or original(self, *a)
    )
    staff = token_for(client, "staff@alotrolado.example")
    api_get(client, staff, f"/matters/{demo}/documents/AOL-DEF-00528691")
    api_get(client, staff, f"/matters/{demo}/documents/AOL-DEF-99999999")
    assert len(calls) == 2


def test_cli_load_file_errors_are_audited(rt, demo, tmp_path):
    from gateway.documents.ingest import plan_volume
    from gateway.ingest.source import DirectorySource

    (tmp_path / "VOL").mkdir()
    (tmp_path / "VOL" / "x.dat").write_bytes(b"not a load file")
    with pytest.raises(Invalid):
        plan_volume(
            rt,
            Actor.command_line(),
            matter_id=demo,
            source=DirectorySource(tmp_path / "VOL"),
            dat_path="x.dat",
            opt_path=None,
            volume="VOL",
        )
    assert any(tag == "production:ingest_failed" for tag, _o, _r in _tags(rt, matter_id=demo))


def test_audit_csv_cells_never_start_a_formula(client, demo):
    staff = token_for(client, "staff@alotrolado.example")
    api_get(client, staff, f"/matters/{demo}/documents/=HYPERLINK(1)")
    auditor = token_for(client, "auditor@audit.example")
    text = client.get(
        f"{BASE}/api/v1/matters/{demo}/audit?format=csv", headers=auth(auditor)
    ).get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text
    assert ",=HYPERLINK" not in text


def test_concurrent_wrong_passwords_get_at_most_the_limit_of_checks(rt, demo, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from gateway.accounts import service as accounts
    from gateway.errors import Throttled, Unauthenticated

    checks = []
    original = accounts._check_password
    monkeypatch.setattr(accounts, "_check_password", lambda *a: checks.append(1) or original(*a))

    def guess(n: int) -> str:
        try:
            accounts.authenticate(
                rt,
                email="counsel@plaintiffs.example",
                password=f"guess-{n}",
                address="198.51.100.7",
            )
        except Throttled:
            return "throttled"
        except Unauthenticated:
            return "wrong"
        return "signed in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(24)))
    assert len(checks) <= rt.settings["LOGIN_MAX_FAILURES"]
    assert outcomes.count("wrong") == len(checks) and "signed in" not in outcomes


def test_empty_upload_is_refused_and_audited(client, demo, rt):
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/VOL7/documents",
        headers={**auth(counsel), "Content-Type": "application/octet-stream"},
        query_string={
            "bates_begin": "AOL-PLTF-00000070",
            "file_name": "x.pdf",
            "designation": "CONFIDENTIAL",
        },
        data=b"",
    )
    assert response.status_code == 422 and "empty" in response.get_json()["error"]["message"]
    assert _state(rt) == before
    assert any(o == "denied" and "empty" in r for t, o, r in _tags(rt, tag="production:upload"))
