"""Rows edited outside the product cannot change who may see what (issue: defects found by
attacking the running gateway, item 6): the attributes that decide access are bound into
the wrapping of each document's data keys, so an edited row fails to decrypt, audited,
while the product's own workflows re-wrap the keys as they change them.
"""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select, update

from gateway.audit.models import AuditEntry
from gateway.cli import main
from gateway.crypto.keys import unwrap_key, wrap_key
from gateway.documents import content
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.matters.models import Matter
from gateway.matters.service import matter_key
from tests.helpers import BASE, api_get, auth, token_for

EX18 = "AOL-DEF-00528691"  # AEO


def _content(client, token, matter_id, bates=EX18):
    return api_get(client, token, f"/matters/{matter_id}/documents/{bates}/content")


def _edit(rt, **values):
    with rt.db.session() as session:
        session.execute(update(Document).where(Document.bates_begin == EX18).values(**values))


def _aborted(rt) -> list[str]:
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry.reason).where(
                    AuditEntry.bates == EX18, AuditEntry.outcome == "aborted"
                )
            )
        )


def test_a_designation_edited_in_the_database_fails_to_decrypt(client, demo, rt):
    staff = token_for(client, "staff@alotrolado.example")
    assert _content(client, staff, demo).status_code == 404  # AEO: hidden from an employee
    _edit(rt, designation="CONFIDENTIAL")  # the attack: one UPDATE behind the product's back
    response = _content(client, staff, demo)
    assert response.status_code == 409 and b"%PDF" not in response.data
    assert response.get_json()["error"]["code"] == "conflict"
    assert _aborted(rt), "the failed download is on record"
    # nor does the edit serve anyone else: the keys no longer open under the edited row
    counsel = token_for(client, "counsel@defendants.example")
    assert _content(client, counsel, demo).status_code == 409


def test_a_sequestration_undone_in_the_database_fails_to_decrypt(client, demo, rt):
    defendants = token_for(client, "counsel@defendants.example")
    notice = client.post(
        f"{BASE}/api/v1/matters/{demo}/clawbacks",
        headers=auth(defendants),
        json={"documents": [EX18], "privilege": "law enforcement", "basis": "a database code"},
    )
    assert notice.status_code == 201
    # the workflow re-wrapped the keys: the producer still opens its original
    assert _content(client, defendants, demo).status_code == 200
    _edit(rt, state="produced")
    counsel = token_for(client, "counsel@plaintiffs.example")
    response = _content(client, counsel, demo)
    assert response.status_code == 409 and b"%PDF" not in response.data


def _make_legacy(rt, bates):
    """Wrap a document's keys as they were before access attributes were bound."""
    with rt.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == bates))
        matter = session.get(Matter, doc.matter_id)
        mkey = matter_key(rt, matter)
        binding = content.Binding.of(doc)
        rows = session.execute(
            select(DocumentFile, DocumentVersion)
            .join(DocumentVersion, DocumentVersion.id == DocumentFile.version_id)
            .where(DocumentVersion.document_id == doc.id)
        ).all()
        for f, version in rows:
            place = content.place_of(doc, version, f)
            key = unwrap_key(
                mkey,
                f.wrapped_data_key,
                context=content._key_context(matter, place, f.blob_key, binding),
            )
            f.wrapped_data_key = wrap_key(
                mkey, key, context=content._key_context(matter, place, f.blob_key, None)
            )
            f.key_binding = 0
    return len(rows)


def test_keys_stored_before_binding_are_upgraded_by_storage_rebind(client, demo, rt):
    files = _make_legacy(rt, EX18)
    counsel = token_for(client, "counsel@plaintiffs.example")
    assert _content(client, counsel, demo).status_code == 200  # legacy keys still open
    settings = rt.settings
    result = CliRunner().invoke(
        main,
        [
            "--instance",
            settings["INSTANCE_PATH"],
            "--keys",
            settings["KEYS_PATH"],
            "storage",
            "rebind",
        ],
        env={"GATEWAY_DATABASE_URL": settings["DATABASE_URL"]},
    )
    assert result.exit_code == 0, result.output
    assert f"{files} data keys of 1 documents re-wrapped" in result.output
    with rt.db.session() as session:
        assert set(session.scalars(select(DocumentFile.key_binding))) == {1}
    assert _content(client, counsel, demo).status_code == 200
    _edit(rt, designation="CONFIDENTIAL")
    staff = token_for(client, "staff@alotrolado.example")
    assert _content(client, staff, demo).status_code == 409
