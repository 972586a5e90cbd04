"""A volume whose designations or families the gateway cannot read is refused whole."""

from __future__ import annotations

import json

from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.demo import USERS
from tests.functional.test_ingest import DOCS, _cli, _state
from tests.functional.test_upload import _upload
from tests.helpers import api_get, token_for
from tests.volumes import Doc, build_volume

MATTER = "3:17-cv-2366-BAS-KSC"
DEFENDANTS = "Chad F. Wolf, et al. (Defendants)"


def _ingest(rt, folder, *options):
    return _cli(
        rt,
        "ingest",
        str(folder),
        "--matter",
        MATTER,
        "--party",
        DEFENDANTS,
        "--dat",
        "DATA/VOL001.dat",
        "--opt",
        "DATA/VOL001.opt",
        *options,
    )


def _last(rt, tag):
    with rt.db.session() as session:
        entry = session.scalar(
            select(AuditEntry).where(AuditEntry.tag == tag).order_by(AuditEntry.seq.desc())
        )
        return entry.reason, json.loads(entry.details)


def _assert_invisible_to_everyone(client, demo, bates):
    for user in USERS:
        if not user.role:
            continue
        token = token_for(client, user.email)
        for number in bates:
            got = api_get(client, token, f"/matters/{demo}/documents/{number}")
            assert got.status_code in (403, 404), (user.email, number)  # 403: no Exhibit A
        listed = api_get(client, token, f"/matters/{demo}/documents", q="TST-", per_page=500)
        if listed.status_code == 200:
            assert listed.get_json()["items"] == [], user.email


def test_an_unknown_designation_field_refuses_the_volume(rt, demo, tmp_path, client):
    folder = build_volume(tmp_path, DOCS, rename={"CONFIDENTIALITY": "Confidentiality Level"})
    before = _state(rt)
    result = _ingest(rt, folder)
    assert result.exit_code == 2
    assert "VOL001/DATA/VOL001.dat:1: Confidentiality Level: its name says" in result.output
    assert '--designation-field "Confidentiality Level"' in result.output
    assert _state(rt) == before
    _assert_invisible_to_everyone(client, demo, ["TST-00000001", "TST-00000004"])
    _reason, details = _last(rt, "production:ingest_failed")
    assert any("Confidentiality Level" in problem for problem in details["problems"])


def test_the_operator_names_the_designation_field_and_the_order_applies(rt, demo, tmp_path, client):
    folder = build_volume(tmp_path, DOCS, rename={"CONFIDENTIALITY": "Confidentiality Level"})
    result = _ingest(rt, folder, "--designation-field", "Confidentiality Level")
    assert result.exit_code == 0, result.output
    _reason, details = _last(rt, "production:ingest")
    assert details["designation_field"] == "Confidentiality Level"
    employee = token_for(client, "staff@alotrolado.example")
    # the AEO e-mail stays hidden from the other party's employee; CONFIDENTIAL is shown
    assert api_get(client, employee, f"/matters/{demo}/documents/TST-00000001").status_code == 404
    seen = api_get(client, employee, f"/matters/{demo}/documents/TST-00000004").get_json()
    assert seen["designation"] == "CONFIDENTIAL"


def test_an_unknown_family_field_refuses_the_volume(rt, demo, tmp_path, client):
    folder = build_volume(
        tmp_path, DOCS, rename={"BEGATTACH": "Attach Start", "ENDATTACH": "Attach End"}
    )
    before = _state(rt)
    result = _ingest(rt, folder)
    assert result.exit_code == 2
    assert '--field BEGATTACH="Attach Start"' in result.output
    assert _state(rt) == before
    _assert_invisible_to_everyone(client, demo, ["TST-00000001", "TST-00000006"])
    mapped = _ingest(
        rt, folder, "--field", "BEGATTACH=Attach Start", "--field", "ENDATTACH=Attach End"
    )
    assert mapped.exit_code == 0, mapped.output
    counsel = token_for(client, "counsel@plaintiffs.example")
    item = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000004").get_json()
    assert item["family"]["members"] == ["TST-00000001", "TST-00000004", "TST-00000005"]


def test_a_volume_without_designations_needs_the_operators_tier(rt, demo, tmp_path, client):
    docs = [Doc(1, 2, ""), Doc(3, 3, "")]
    folder = build_volume(tmp_path, docs, rename={"CONFIDENTIALITY": "NOTES"})
    before = _state(rt)
    refused = _ingest(rt, folder)
    assert refused.exit_code == 2 and "no designation field in the header" in refused.output
    assert _state(rt) == before
    _assert_invisible_to_everyone(client, demo, ["TST-00000001", "TST-00000003"])
    unknown = _ingest(rt, folder, "--designation", "TOP SECRET")
    assert unknown.exit_code == 2 and "unknown designation 'TOP SECRET'" in unknown.output
    assert _state(rt) == before
    done = _ingest(rt, folder, "--designation", "Attorneys' Eyes Only")
    assert done.exit_code == 0, done.output
    _reason, details = _last(rt, "production:ingest")
    assert details["volume_designation"] == "AEO"
    counsel = token_for(client, "counsel@plaintiffs.example")
    item = api_get(client, counsel, f"/matters/{demo}/documents/TST-00000003").get_json()
    assert item["designation"] == "AEO"
    employee = token_for(client, "staff@alotrolado.example")
    assert api_get(client, employee, f"/matters/{demo}/documents/TST-00000003").status_code == 404


def test_an_upload_without_a_designation_is_refused_and_changes_nothing(client, demo, rt):
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    missing = _upload(client, counsel, demo, designation="")
    assert missing.status_code == 422
    assert "designation: required" in missing.get_json()["error"]["message"]
    unknown = _upload(client, counsel, demo, designation="Highly Confidential")
    message = unknown.get_json()["error"]["message"]
    assert unknown.status_code == 422 and "HIGHLY CONFIDENTIAL - AEO" in message
    assert _state(rt) == before
    reason, _details = _last(rt, "production:upload")
    assert "unknown designation 'Highly Confidential'" in reason
    defendants = token_for(client, "counsel@defendants.example")
    assert (
        api_get(client, defendants, f"/matters/{demo}/documents/AOL-PLTF-00000010").status_code
        == 404
    )
    alias = _upload(client, counsel, demo, designation="Highly Confidential - Attorneys Eyes Only")
    assert alias.status_code == 201 and alias.get_json()["designation"] == "AEO"
