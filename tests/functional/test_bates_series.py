"""A party produces only in its own Bates series, in ranges its files really fill."""

from __future__ import annotations

import json

from sqlalchemy import select

from gateway.audit.models import AuditEntry
from tests.functional.test_ingest import _cli, _state
from tests.functional.test_upload import _upload
from tests.helpers import api_get, pdf_bytes, tiff_bytes, token_for
from tests.volumes import Doc, build_volume

MATTER = "3:17-cv-2366-BAS-KSC"
PLAINTIFFS = "Al Otro Lado, Inc., et al. (Plaintiffs)"
DEFENDANTS = "Chad F. Wolf, et al. (Defendants)"


def _ingest(rt, folder, party=DEFENDANTS, *options):
    return _cli(
        rt,
        "ingest",
        str(folder),
        "--matter",
        MATTER,
        "--party",
        party,
        "--dat",
        f"DATA/{folder.name}.dat",
        "--opt",
        f"DATA/{folder.name}.opt",
        *options,
    )


def _entries(rt, tag):
    with rt.db.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.tag == tag).order_by(AuditEntry.seq)
        )
        return [(e.outcome, e.reason, json.loads(e.details)) for e in rows]


def _upload_range(client, token, demo, begin, end, body=None, **params):
    return _upload(
        client, token, demo, bates_begin=begin, bates_end=end, body=body or pdf_bytes(1), **params
    )


def test_the_receiving_side_cannot_produce_into_the_producers_series(client, demo, rt, tmp_path):
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    squat = _upload_range(client, counsel, demo, "AOL-DEF-00600002", "AOL-DEF-00600002")
    assert squat.status_code == 403
    assert "registered to Chad F. Wolf, et al. (Defendants)" in squat.get_json()["error"]["message"]
    variant = _upload_range(
        client, counsel, demo, "aol-def-00556914", "aol-def-00556914", title="SENTRI revocation"
    )
    assert variant.status_code == 403  # prefixes compare without regard to case
    assert _state(rt) == before
    refusals = [e for e in _entries(rt, "production:upload") if e[0] == "denied"]
    assert len(refusals) == 2 and all("registered to" in reason for _o, reason, _d in refusals)
    # the producer's own next production is not blocked
    folder = build_volume(
        tmp_path, [Doc(600002, 600003)], prefix="AOL-DEF-", volume="AOL-DEF-VOL002"
    )
    done = _ingest(rt, folder)
    assert done.exit_code == 0, done.output
    defendants = token_for(client, "counsel@defendants.example")
    doc = api_get(client, defendants, f"/matters/{demo}/documents/AOL-DEF-00600002").get_json()
    assert doc["producing_party"] == DEFENDANTS


def test_ingest_into_another_partys_series_is_refused_and_changes_nothing(rt, demo, tmp_path):
    folder = build_volume(tmp_path, [Doc(700000, 700001)], prefix="AOL-DEF-", volume="PLTF-VOL9")
    before = _state(rt)
    result = _ingest(rt, folder, PLAINTIFFS)
    assert result.exit_code == 2
    assert "'AOL-DEF-' is registered to Chad F. Wolf, et al. (Defendants)" in result.output
    assert _state(rt) == before
    failed = _entries(rt, "production:ingest_failed")
    assert failed[-1][0] == "denied" and "registered to" in failed[-1][1]


def test_the_producers_own_case_variant_is_refused(client, demo, rt):
    defense = token_for(client, "counsel@defendants.example")
    before = _state(rt)
    got = _upload_range(client, defense, demo, "aol-def-00800000", "aol-def-00800000")
    assert got.status_code == 422
    assert "differs in case from the registered 'AOL-DEF-'" in got.get_json()["error"]["message"]
    assert _state(rt) == before


def test_the_first_production_claims_its_prefix(client, demo, rt, tmp_path):
    folder = build_volume(tmp_path, [Doc(1, 2)], prefix="TST-")
    assert _ingest(rt, folder).exit_code == 0
    ingested = _entries(rt, "production:ingest")[-1][2]
    assert ingested["claimed_prefixes"] == ["TST-"]
    listing = _cli(rt, "matters", "prefixes", MATTER)
    assert listing.exit_code == 0
    lines = {line.split()[0]: line.split(None, 1)[1] for line in listing.output.splitlines()}
    assert lines == {"AOL-DEF-": DEFENDANTS, "AOL-PLTF-": PLAINTIFFS, "TST-": DEFENDANTS}
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    assert _upload_range(client, counsel, demo, "tst-00000010", "tst-00000010").status_code == 403
    assert _state(rt) == before


def test_the_operator_assigns_and_releases_prefixes(client, demo, rt, tmp_path):
    assigned = _cli(
        rt, "matters", "assign-prefix", MATTER, "--prefix", "NEW-", "--party", PLAINTIFFS
    )
    assert assigned.exit_code == 0, assigned.output
    folder = build_volume(tmp_path, [Doc(1, 1)], prefix="NEW-", volume="NEWVOL")
    before = _state(rt)
    refused = _ingest(rt, folder, DEFENDANTS)
    assert refused.exit_code == 2 and "registered to Al Otro Lado" in refused.output
    assert _state(rt) == before
    taken = _cli(
        rt, "matters", "assign-prefix", MATTER, "--prefix", "aol-def-", "--party", PLAINTIFFS
    )
    assert taken.exit_code == 2 and "registered to Chad F. Wolf" in taken.output
    unknown = _cli(rt, "matters", "assign-prefix", MATTER, "--prefix", "X-", "--party", "Nobody")
    assert (
        unknown.exit_code == 2 and f"its parties: {PLAINTIFFS!r}; {DEFENDANTS!r}" in unknown.output
    )
    in_use = _cli(rt, "matters", "release-prefix", MATTER, "--prefix", "AOL-DEF-")
    assert in_use.exit_code == 2 and "stays with the party that produced them" in in_use.output
    released = _cli(rt, "matters", "release-prefix", MATTER, "--prefix", "new-")
    assert released.exit_code == 0, released.output
    assert _ingest(rt, folder, DEFENDANTS).exit_code == 0
    outcomes = [(o, d["action"]) for o, _r, d in _entries(rt, "matter:bates_prefix")]
    assert outcomes == [
        ("allowed", "assign"),
        ("denied", "assign"),
        ("denied", "assign"),
        ("denied", "release"),
        ("allowed", "release"),
    ]


def test_a_range_longer_than_the_matter_allows_is_refused(client, demo, rt, tmp_path):
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    huge = _upload_range(client, counsel, demo, "AOL-PLTF-00600002", "AOL-PLTF-99999999")
    message = huge.get_json()["error"]["message"]
    assert huge.status_code == 422 and "spans 99399998 pages" in message
    assert "at most 20000" in message
    zero = _cli(rt, "matters", "set-max-pages", MATTER, "0")
    assert zero.exit_code == 2 and "between 1 and" in zero.output
    assert _cli(rt, "matters", "set-max-pages", MATTER, "2").exit_code == 0
    three = _upload_range(
        client, counsel, demo, "AOL-PLTF-00000100", "AOL-PLTF-00000102", body=pdf_bytes(3)
    )
    assert three.status_code == 422 and "at most 2" in three.get_json()["error"]["message"]
    folder = build_volume(tmp_path, [Doc(1, 3)], prefix="TST-")
    refused = _ingest(rt, folder)
    assert (
        refused.exit_code == 2 and "spans 3 pages; this matter allows at most 2" in refused.output
    )
    assert _state(rt) == before
    refused, setting = _entries(rt, "matter:setting")[-2:]
    assert refused[0] == "denied" and refused[2]["value"] == 0
    assert setting[0] == "allowed" and setting[2]["value"] == 2 and setting[2]["was"] == 20000


def test_an_uploaded_range_must_match_the_files_pages(client, demo, rt):
    counsel = token_for(client, "counsel@plaintiffs.example")
    before = _state(rt)
    short = _upload_range(
        client, counsel, demo, "AOL-PLTF-00000100", "AOL-PLTF-00000104", body=pdf_bytes(3)
    )
    message = short.get_json()["error"]["message"]
    assert short.status_code == 422 and "has 3 page(s) but" in message and "spans 5" in message
    sheet = _upload_range(
        client,
        counsel,
        demo,
        "AOL-PLTF-00000100",
        "AOL-PLTF-00000101",
        body=b"PK\x03\x04 spreadsheet" * 50,
        file_name="sheet.xlsx",
    )
    assert (
        sheet.status_code == 422
        and "takes one Bates number, not 2" in sheet.get_json()["error"]["message"]
    )
    broken = _upload_range(
        client, counsel, demo, "AOL-PLTF-00000100", "AOL-PLTF-00000101", body=b"%PDF-1.4 junk" * 50
    )
    assert (
        broken.status_code == 422 and "not a readable PDF" in broken.get_json()["error"]["message"]
    )
    assert _state(rt) == before
    # a real count matches: a PDF of 3 pages, a TIFF of 2, and a native on one slip-sheet number
    for begin, end, body in (
        ("AOL-PLTF-00000100", "AOL-PLTF-00000102", pdf_bytes(3)),
        ("AOL-PLTF-00000103", "AOL-PLTF-00000104", tiff_bytes(2)),
        ("AOL-PLTF-00000105", "AOL-PLTF-00000105", b"PK\x03\x04 spreadsheet" * 50),
    ):
        done = _upload_range(client, counsel, demo, begin, end, body=body, file_name="f.bin")
        assert done.status_code == 201, done.get_json()


def test_document_json_and_page_name_the_producing_party(client, demo):
    from tests.functional.test_web import login

    counsel = token_for(client, "counsel@plaintiffs.example")
    item = api_get(client, counsel, f"/matters/{demo}/documents/AOL-DEF-00556914").get_json()
    assert item["producing_party"] == DEFENDANTS
    listed = api_get(client, counsel, f"/matters/{demo}/documents", per_page=500).get_json()
    by_prefix = {i["bates_begin"][:8]: i["producing_party"] for i in listed["items"]}
    assert by_prefix == {"AOL-DEF-": DEFENDANTS, "AOL-PLTF": PLAINTIFFS}
    login(client, "counsel@plaintiffs.example")
    page = client.get(f"https://localhost/matters/{demo}/documents/AOL-DEF-00556914")
    assert page.status_code == 200 and b"Produced by</dt><dd>Chad F. Wolf" in page.data
