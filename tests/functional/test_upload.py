"""Producing one document through the API: any party may produce; nothing half-done."""

from __future__ import annotations

from gateway.documents.ingest import count_rows
from tests.helpers import BASE, all_bates, assert_marked_copy, auth, pdf_bytes, token_for

PDF = pdf_bytes(3)


def _upload(client, token, matter_id, volume="AOL-PLTF-VOL002", body=PDF, **params):
    query = {
        "bates_begin": "AOL-PLTF-00000010",
        "bates_end": "AOL-PLTF-00000012",
        "designation": "AEO",
        "file_name": "decl-key-supplement.pdf",
        "title": "Supplement",
    }
    query.update(params)
    return client.post(
        f"{BASE}/api/v1/matters/{matter_id}/productions/{volume}/documents",
        headers={**auth(token), "Content-Type": "application/octet-stream"},
        query_string=query,
        data=body,
    )


def _state(rt):
    with rt.db.session() as session:
        return count_rows(session), sorted(rt.blobs.store.iter_keys())


def test_plaintiffs_produce_a_document_and_the_order_applies(client, demo):
    counsel = token_for(client, "counsel@plaintiffs.example")
    response = _upload(client, counsel, demo)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["designation"] == "AEO"
    defendants = token_for(client, "counsel@defendants.example")
    assert "AOL-PLTF-00000010" in all_bates(client, defendants, demo)
    got = client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-PLTF-00000010/content",
        headers=auth(defendants),
    )
    assert got.mimetype == "application/pdf"
    assert_marked_copy(got.data, PDF, email="counsel@defendants.example")
    # a second upload appends to the same volume
    assert (
        _upload(client, counsel, demo, bates_begin="AOL-PLTF-00000013", bates_end="").status_code
        == 201
    )
    assert all_bates(client, defendants, demo, production="AOL-PLTF-VOL002") == [
        "AOL-PLTF-00000010",
        "AOL-PLTF-00000013",
    ]


def test_roles_without_upload_permission_are_refused(client, demo, rt):
    before = _state(rt)
    for email in ("staff@alotrolado.example", "court@casd.example", "auditor@audit.example"):
        token = token_for(client, email)
        response = _upload(client, token, demo)
        assert response.status_code == 403, email
    assert _state(rt) == before


def test_bad_uploads_change_nothing(client, demo, rt, app):
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    overlap = _upload(
        client, counsel, demo, bates_begin="AOL-PLTF-00000002", bates_end="AOL-PLTF-00000002"
    )
    message = overlap.get_json()["error"]["message"]
    assert overlap.status_code == 409 and "overlaps a range already produced" in message
    assert "AOL-PLTF-00000001" not in message  # the clashing document is never named
    bad_tier = _upload(client, counsel, demo, designation="SECRET")
    assert bad_tier.status_code == 422 and "designation" in bad_tier.get_json()["error"]["message"]
    backwards = _upload(
        client, counsel, demo, bates_begin="AOL-PLTF-00000020", bates_end="AOL-PLTF-00000019"
    )
    assert backwards.status_code == 422
    other_party = _upload(client, counsel, demo, volume="AOL-DEF-VOL001")
    assert other_party.status_code == 409
    rt.settings["MAX_UPLOAD_BYTES"] = 1000
    too_big = _upload(client, counsel, demo)
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "too_large"
    assert _state(rt) == before
