"""A party's audit view shows nothing derived from other sides' entries (issue 5, leak 7).

The chain's dense ``seq`` counted and timed the other side's entries through its gaps, and
each entry's unkeyed hash could be matched offline against guessed fields. A party now
sees its own entries numbered within its side; only the neutral auditor sees the chain.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from gateway.audit import service as audit_service
from gateway.audit.log import log_name
from gateway.audit.models import AuditEntry
from gateway.matters.models import Party
from tests.functional.test_web import login
from tests.helpers import BASE, api_get, auth, token_for

EX18 = "AOL-DEF-00528691"
KEY = "AOL-PLTF-00000001"
SIDE_FIELDS = {"n", "at", "tag", "outcome", "reason", "rule", "user", "document", "address"}
SIDE_FIELDS |= {"details"}
CHAIN_FIELDS = {"seq", "hash", "side_party_id", "document_id", "log", "i"}


def _plaintiffs_review(client, demo, times: int = 3) -> None:
    counsel = token_for(client, "counsel@plaintiffs.example")
    for _ in range(times):
        assert api_get(client, counsel, f"/matters/{demo}/documents/{EX18}").status_code == 200
        assert (
            api_get(client, counsel, f"/matters/{demo}/documents/{EX18}/content").status_code == 200
        )


def _side(client, token, demo, **params):
    response = api_get(client, token, f"/matters/{demo}/audit", per_page=500, **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _csv(client, token, demo) -> tuple[list[str], list[dict[str, str]], str]:
    response = client.get(
        f"{BASE}/api/v1/matters/{demo}/audit", headers=auth(token), query_string={"format": "csv"}
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows, text


def _party_id(rt, demo, kind: str) -> int:
    with rt.db.session() as session:
        return session.scalar(select(Party.id).where(Party.matter_id == demo, Party.kind == kind))


def _side_count(rt, demo, kind: str) -> int:
    party = _party_id(rt, demo, kind)
    with rt.db.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.matter_id == demo, AuditEntry.side_party_id == party)
        )


@pytest.fixture
def interleaved(client, demo):
    """Defendants' counsel opens the key, Plaintiffs review Ex. 18, Defendants look again."""
    defendants = token_for(client, "counsel@defendants.example")
    assert api_get(client, defendants, f"/matters/{demo}/documents/{KEY}").status_code == 200
    _plaintiffs_review(client, demo)
    assert (
        api_get(client, defendants, f"/matters/{demo}/documents/{KEY}/content").status_code == 200
    )
    return defendants


def test_side_json_carries_no_chain_field_and_no_gap(client, demo, rt, interleaved):
    recorded = _side_count(rt, demo, "defendant")
    body = _side(client, interleaved, demo)
    assert body["scope"] == "side"
    # one checkpoint, of the side's own log: its size counts that side's entries only
    (checkpoint,) = body["checkpoints"]
    defendants_log = log_name(demo, _party_id(rt, demo, "defendant"))
    assert checkpoint.startswith(f"{rt.audit_log.signer.name}/{defendants_log}\n")
    for item in body["items"]:
        assert set(item) == SIDE_FIELDS, f"unexpected fields {set(item) - SIDE_FIELDS}"
        assert not CHAIN_FIELDS & set(item)
    numbers = [item["n"] for item in body["items"]]
    assert numbers == list(range(body["total"], 0, -1)), "newest first, 1..total, no gap"
    assert body["total"] == recorded
    # the other side did act between the two entries: the chain shows it, the view does not
    auditor = _side(client, token_for(client, "auditor@audit.example"), demo)
    defendants_seqs = sorted(
        e["seq"]
        for e in auditor["items"]
        if e["user"] == "counsel@defendants.example" and e["document"] == KEY
    )
    between = [
        e
        for e in auditor["items"]
        if defendants_seqs[0] < e["seq"] < defendants_seqs[-1]
        and e["user"] == "counsel@plaintiffs.example"
    ]
    # three views and three downloads, each download followed by its document:served entry
    assert len(between) == 9, "Plaintiffs' review sits between the two entries in the chain"
    own = [i for i in body["items"] if i["document"] == KEY]
    first = own[0]["n"]
    assert [i["n"] for i in own] == [first, first - 1, first - 2], "consecutive on the side"
    # nothing in the view matches an entry of the chain offline
    text = str(body)
    assert not any(e["hash"] in text for e in auditor["items"])
    assert "counsel@plaintiffs.example" not in text and EX18 not in text


def test_side_csv_carries_no_chain_column_and_no_gap(client, demo, rt, interleaved):
    recorded = _side_count(rt, demo, "defendant")
    header, rows, text = _csv(client, interleaved, demo)
    assert header == list(audit_service.SIDE_COLUMNS)
    assert not CHAIN_FIELDS & set(header) and "actor_user_id" not in header
    assert [int(r["n"]) for r in rows] == list(range(len(rows), 0, -1))
    assert len(rows) == recorded + 1, "every entry of the side, the export's own included"
    auditor = token_for(client, "auditor@audit.example")
    full_header, full_rows, _ = _csv(client, auditor, demo)
    assert {"seq", "hash", "side_party_id", "document_id"} <= set(full_header)
    assert not any(r["hash"] in text for r in full_rows), "an entry hash reached the side CSV"
    assert "counsel@plaintiffs.example" not in text and EX18 not in text
    # the CSV and the JSON number the same entries alike
    json_items = _side(client, interleaved, demo)["items"]
    by_n = {i["n"]: (i["tag"], i["document"]) for i in json_items}
    assert all(by_n[int(r["n"])] == (r["tag"], r["bates"]) for r in rows)


def test_the_other_sides_activity_leaves_a_partys_view_unchanged(client, demo, interleaved):
    first = _side(client, interleaved, demo)
    _plaintiffs_review(client, demo, times=5)
    second = _side(client, interleaved, demo)
    # the only new entry is Defendants' own reading of the trail, numbered next
    assert second["items"][1:] == first["items"]
    newest = second["items"][0]
    assert newest["tag"] == "audit:read" and newest["n"] == first["total"] + 1
    assert second["total"] == first["total"] + 1


def test_an_entry_keeps_its_number_under_filters(client, demo, interleaved):
    everything = {
        (i["tag"], i["document"], i["n"]) for i in _side(client, interleaved, demo)["items"]
    }
    filtered = _side(client, interleaved, demo, document=KEY)["items"]
    # the view, the download and the download's served entry
    assert [i["tag"] for i in filtered] == ["document:served", "document:download", "document:view"]
    assert {(i["tag"], i["document"], i["n"]) for i in filtered} <= everything


def test_numbering_holds_across_csv_batches(client, demo, interleaved, monkeypatch):
    for _ in range(4):
        assert api_get(client, interleaved, f"/matters/{demo}/documents/{KEY}").status_code == 200
    _plaintiffs_review(client, demo, times=2)
    monkeypatch.setattr(audit_service, "CSV_BATCH", 3)
    _, rows, _ = _csv(client, interleaved, demo)
    assert len(rows) > 6
    assert [int(r["n"]) for r in rows] == list(range(len(rows), 0, -1))


def test_web_page_numbers_within_the_side(client, demo, interleaved):
    expected = [i["n"] for i in _side(client, interleaved, demo)["items"]]
    login(client, "counsel@defendants.example")
    page = client.get(f"{BASE}/matters/{demo}/audit?per_page=500")
    assert page.status_code == 200
    shown = [int(n) for n in re.findall(rb'<td class="n">(\d+)</td>', page.data)]
    # one entry more than the JSON: that earlier reading of the trail
    assert shown[1:] == expected and shown[0] == expected[0] + 1
    assert b"counsel@plaintiffs.example" not in page.data


def test_the_auditor_keeps_the_chain(client, demo, rt, interleaved):
    body = _side(client, token_for(client, "auditor@audit.example"), demo)
    assert body["scope"] == "all" and len(body["checkpoints"]) >= 4  # court, 2 sides, ledger
    item = body["items"][0]
    assert {"seq", "hash", "side_party_id", "side_seq"} <= set(item) and "n" not in item
    # the auditor can match a party's numbering to the chain
    theirs = {i["n"]: i["tag"] for i in _side(client, interleaved, demo)["items"]}
    defendants = _party_id(rt, demo, "defendant")
    side = {e["side_seq"]: e["tag"] for e in body["items"] if e["side_party_id"] == defendants}
    assert theirs.items() <= side.items()
    assert len({e["side_party_id"] for e in body["items"]}) >= 2, "every side's entries"


def _second_entry_of_a_side(session, demo):
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.side_seq == 2, AuditEntry.matter_id == demo).limit(1)
    )
    return entry.seq, log_name(entry.matter_id, entry.side_party_id)


def test_verify_finds_an_edited_side_number(client, demo, rt, interleaved):
    from sqlalchemy import update

    with rt.db.session() as session:
        assert rt.audit_log.verify(session).ok
        target, name = _second_entry_of_a_side(session, demo)
        session.execute(update(AuditEntry).where(AuditEntry.seq == target).values(side_seq=7))
    with rt.db.session() as session:
        report = rt.audit_log.verify(session)
    assert report.problems == [f"{name}: entry 1: numbered 7 within its side, expected 2"]


def test_verify_reports_a_deleted_side_entry_once(client, demo, rt, interleaved):
    from sqlalchemy import delete

    with rt.db.session() as session:
        target, name = _second_entry_of_a_side(session, demo)
        session.execute(delete(AuditEntry).where(AuditEntry.seq == target))
    with rt.db.session() as session:
        problems = rt.audit_log.verify(session).problems
    assert [p for p in problems if p.startswith(f"{name}:")] == [
        f"{name}: entry 1 is missing or out of order (found 2 next)"
    ]
