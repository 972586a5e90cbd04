"""Attacks on document versions: what a version lets a user see that the order bars."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.factories import DEFENDANTS as DEF_PARTY
from tests.factories import PLAINTIFFS, person, set_document_state
from tests.helpers import BASE, api_get, auth, pdf_bytes, token_for

EX1 = "AOL-DEF-00556914"  # 5 pages, AEO
EX6 = "AOL-DEF-00556923"  # 1 page, CONFIDENTIAL
EX18 = "AOL-DEF-00528691"  # 17 pages, AEO
EX19 = "AOL-DEF-00516605"  # 19 pages, AEO (CONFIDENTIAL at demo --start)
ORDER = {"date": "2020-06-26", "docket": "463"}
DEFENDANTS = "counsel@defendants.example"
COUNSEL = "counsel@plaintiffs.example"
EMPLOYEE = "staff@alotrolado.example"  # Plaintiffs' employee, Exhibit A signed
EXPERT = "expert@plaintiffs.example"  # no Exhibit A
COURT = "court@casd.example"


def post(client, who, matter, path, body):
    return client.post(
        f"{BASE}/api/v1/matters/{matter}{path}", headers=auth(token_for(client, who)), json=body
    )


def get(client, who, matter, path, **params):
    response = api_get(client, token_for(client, who), f"/matters/{matter}{path}", **params)
    response.get_data()  # consume a streamed body: no request context outlives the test
    return response


def supply(client, who, matter, bates, kind, designation, pages):
    return client.post(
        f"{BASE}/api/v1/matters/{matter}/documents/{bates}/versions",
        headers=auth(token_for(client, who)),
        data={
            "kind": kind,
            "designation": designation,
            "file": (io.BytesIO(pdf_bytes(pages, f"{bates} {kind}")), "v.pdf"),
        },
        content_type="multipart/form-data",
    )


def claw_and_rule(client, matter, bates, outcome, pages=None):
    noticed = post(
        client,
        DEFENDANTS,
        matter,
        "/clawbacks",
        {"documents": [bates], "privilege": "law enforcement", "basis": "a code"},
    )
    assert noticed.status_code == 201, noticed.get_json()
    cb = noticed.get_json()["id"]
    body: dict[str, Any] = {"document": bates, "outcome": outcome, "order": ORDER}
    if pages:
        body["pages"] = pages
    ruled = post(client, COURT, matter, f"/clawbacks/{cb}/rulings", body)
    assert ruled.status_code == 201, ruled.get_json()
    return cb


@pytest.fixture
def start(rt):
    from gateway.demo import load_demo

    return load_demo(rt, say=lambda _l: None, start=True)


def test_redesignation_does_not_reach_the_privilege_redacted_version(client, rt, start):
    """Ex. 19 (CONFIDENTIAL at the start) is clawed back and granted in part; Defendants
    supply the privilege-redacted version as CONFIDENTIAL (what the document was). Then
    they re-designate Ex. 19 AEO (the seed's ¶5.3 correction). Plaintiffs' employee must
    lose it at once (issue 8, item 1) -- but keeps being served the privilege-redacted copy,
    which is the whole document minus one code."""
    claw_and_rule(client, start, EX19, "granted_in_part", [13])
    made = supply(client, DEFENDANTS, start, EX19, "privilege_redacted", "CONFIDENTIAL", 19)
    assert made.status_code == 201, made.get_json()
    assert get(client, EMPLOYEE, start, f"/documents/{EX19}/content").status_code == 200

    changed = post(
        client,
        DEFENDANTS,
        start,
        f"/documents/{EX19}/designation",
        {"designation": "AEO", "reason": "inadvertent failure to designate (¶5.3)"},
    )
    assert changed.status_code == 200, changed.get_json()
    meta = get(client, EMPLOYEE, start, f"/documents/{EX19}")
    content = get(client, EMPLOYEE, start, f"/documents/{EX19}/content")
    assert meta.status_code == 404, "employee still sees AEO Ex. 19 after re-designation"
    assert content.status_code == 404


def test_page_redesignation_does_not_reach_the_privilege_redacted_version(client, rt, start):
    claw_and_rule(client, start, EX19, "granted_in_part", [13])
    assert (
        supply(
            client, DEFENDANTS, start, EX19, "privilege_redacted", "CONFIDENTIAL", 19
        ).status_code
        == 201
    )
    changed = post(
        client,
        DEFENDANTS,
        start,
        f"/documents/{EX19}/designation",
        {"designation": "AEO", "pages": [4], "reason": "page 4 is AEO"},
    )
    assert changed.status_code == 200, changed.get_json()
    content = get(client, EMPLOYEE, start, f"/documents/{EX19}/content")
    assert content.status_code == 404, "employee still downloads page 4 (AEO) in the redacted copy"


def test_producer_who_is_not_the_designating_party_makes_its_designation_public(client, rt, demo):
    """Defendants produced Ex. 6 but Plaintiffs designated it (their material in
    Defendants' records: BRIEF §2, "the designating party (not always the producing
    party)"). Only the designating party or the court may put it on the public docket
    (filings._check_public) -- yet Defendants, as producer, supply a public-redacted
    version designated PUBLIC, and at once the expert without Exhibit A reads it."""
    set_document_state(rt, demo, EX6, designating_party=PLAINTIFFS)
    # the public docket is refused to Defendants, as it should be
    filed = post(
        client,
        DEFENDANTS,
        demo,
        "/filings",
        {
            "document": EX6,
            "disposition": "public_full",
            "docket": "1",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    assert filed.status_code == 403, filed.get_json()
    assert get(client, EXPERT, demo, f"/documents/{EX6}").status_code == 404
    made = supply(client, DEFENDANTS, demo, EX6, "public_redacted", "PUBLIC", 1)
    seen = get(client, EXPERT, demo, f"/documents/{EX6}")
    # a version is designated as the document is, or stricter: never a way to lower it
    assert made.status_code == 422 and "or stricter" in made.get_json()["error"]["message"]
    assert seen.status_code == 404


def test_served_version_stricter_than_the_documents_label(client, rt, start):
    """Ex. 19 (CONFIDENTIAL at the start) replaced by a privilege-redacted version that
    Defendants designate AEO: receiving counsel is served AEO content, but the listing's
    designation/legend and the volume ZIP's DAT CONFIDENTIALITY field say CONFIDENTIAL --
    a review platform loading the volume shows it to the client's employees."""
    import zipfile

    claw_and_rule(client, start, EX19, "granted_in_part", [13])
    assert (
        supply(client, DEFENDANTS, start, EX19, "privilege_redacted", "AEO", 19).status_code == 201
    )
    meta = get(client, COUNSEL, start, f"/documents/{EX19}").get_json()
    volume = get(client, COUNSEL, start, "/productions/AOL-DEF-VOL001/download")
    assert volume.status_code == 200
    with zipfile.ZipFile(io.BytesIO(volume.data)) as z:
        dat = next(n for n in z.namelist() if n.endswith(".dat"))
        text = z.read(dat).decode("utf-8-sig")
    row = next(line for line in text.splitlines() if EX19 in line)
    assert meta["served_version"]["designation"] == "AEO"
    # the document keeps its own designation; the DAT labels the file actually served
    assert meta["designation"] == "CONFIDENTIAL"
    assert "AEO" in row, "DAT labels the AEO version CONFIDENTIAL"


def test_public_version_exposes_the_aeo_originals_metadata(client, rt, demo):
    """After Defendants file Ex. 18's public-redacted version on the docket, the expert
    without Exhibit A (PUBLIC only) is served that version -- and is also shown, and can
    search on, the AEO original's title, custodian and native file name."""
    made = supply(client, DEFENDANTS, demo, EX18, "public_redacted", "AEO", 17)
    assert made.status_code == 201, made.get_json()
    filed = post(
        client,
        DEFENDANTS,
        demo,
        "/filings",
        {
            "document": EX18,
            "disposition": "public_redacted",
            "docket": "470-18",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    assert filed.status_code == 201, filed.get_json()
    item = get(client, EXPERT, demo, f"/documents/{EX18}").get_json()
    print(
        {
            k: item.get(k)
            for k in ("designation", "served_version", "title", "custodian", "file_name")
        }
    )
    hits = get(client, EXPERT, demo, "/documents", custodian="Border Patrol Intelligence")
    assert "title" not in item and "custodian" not in item and "file_name" not in item
    assert hits.get_json()["total"] == 0


def test_a_version_existing_before_the_clawback_stays_sequestered_after_replacement(
    client, rt, demo
):
    """A public-redacted version supplied before the claw-back is sequestered with the
    document; the court grants in part; Defendants supply the privilege-redacted version
    and the document is `replaced` -- but the public-redacted version stays `sequestered`
    for ever (only a denial restores the versions), so it can never be served, even once
    filed on the public docket."""
    assert supply(client, DEFENDANTS, demo, EX18, "public_redacted", "AEO", 17).status_code == 201
    claw_and_rule(client, demo, EX18, "granted_in_part", [13])
    assert (
        supply(client, DEFENDANTS, demo, EX18, "privilege_redacted", "AEO", 17).status_code == 201
    )
    post(
        client,
        DEFENDANTS,
        demo,
        "/filings",
        {
            "document": EX18,
            "disposition": "public_redacted",
            "docket": "470-18",
            "filed_at": "2020-06-26T09:00:00-07:00",
        },
    )
    history = get(client, DEFENDANTS, demo, f"/documents/{EX18}/versions").get_json()["items"]
    get(client, EXPERT, demo, f"/documents/{EX18}")
    assert {v["kind"]: v["state"] for v in history}["public_redacted"] != "sequestered"


def test_counsel_staff_de_designates_through_a_public_version(client, rt, demo):
    """Only outside counsel may change a designation (default.csv: designation:change is
    outside_counsel's alone). Defendants' paralegal (counsel_staff, Exhibit A signed) may
    not -- but may supply versions, with any designation: the unredacted AEO report
    uploaded as a `public_redacted` version designated PUBLIC is at once served to the
    expert without Exhibit A. Nothing was filed; no court was involved."""
    person(rt, demo, "paralegal@defendants.example", "counsel_staff", party=DEF_PARTY, signed=True)
    refused = post(
        client,
        "paralegal@defendants.example",
        demo,
        f"/documents/{EX18}/designation",
        {"designation": "PUBLIC", "reason": "n/a"},
    )
    assert refused.status_code == 403, refused.get_json()
    original = get(client, DEFENDANTS, demo, f"/documents/{EX18}/content").data
    client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/versions",
        headers=auth(token_for(client, "paralegal@defendants.example")),
        data={
            "kind": "public_redacted",
            "designation": "PUBLIC",
            "file": (io.BytesIO(original), "v.pdf"),
        },
        content_type="multipart/form-data",
    )
    got = get(client, EXPERT, demo, f"/documents/{EX18}/content")
    assert not (got.status_code == 200 and got.data == original)


def test_a_version_supplied_after_withdrawal_is_served(client, rt, demo):
    """The court grants the claw-back of Ex. 18 in full: withdrawn, a slip for everyone.
    A public-redacted version supplied afterwards is born `produced`, so receiving counsel
    opens a version of a document the court ordered withdrawn (the same holds while a
    claim is pending: a version supplied after the notice is not sequestered)."""
    claw_and_rule(client, demo, EX18, "granted")
    assert get(client, COUNSEL, demo, f"/documents/{EX18}/content").status_code == 403
    supply(client, DEFENDANTS, demo, EX18, "public_redacted", "AEO", 17)
    get(client, COUNSEL, demo, f"/documents/{EX18}").get_json()
    got = get(client, COUNSEL, demo, f"/documents/{EX18}/content")
    assert got.status_code != 200, "receiving counsel opens a withdrawn document's version"
