"""The reference case, played through the gateway as the order of June 26, 2020 tells it
(BRIEF §3; Al Otro Lado v. Wolf, S.D. Cal., Dkt. 461-463).

From `pogw demo --start` (Ex. 19 still CONFIDENTIAL, nothing clawed back), the clock moving
on: Defendants re-designate Ex. 19 after Plaintiffs' employee downloaded it; claw back Ex.
1-19; Plaintiffs' counsel presents them to the court; the court rules (Ex. 1-17 denied, Ex.
18 and 19 granted only for the code on one page each) and orders the filings within 14
days; Defendants supply the privilege-redacted and public-redacted versions, lodge Ex. 1-13,
18 and 19 under seal, file their public redacted versions and Ex. 14-17 in full. After every
step, each of six people is checked for exactly what they can list, count, search, view and
download, and what stays hidden.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from gateway.demo import load_demo
from gateway.pdf.marks import tokens_in
from tests.factories import DEFENDANTS
from tests.helpers import (
    BASE,
    api_get,
    assert_marked_copy,
    auth,
    pdf_bytes,
    stored_file,
    token_for,
)

EX = {1: "AOL-DEF-00556914", 18: "AOL-DEF-00528691", 19: "AOL-DEF-00516605"}
EX.update({n: f"AOL-DEF-{556917 + n:08d}" for n in range(2, 18)})
ALL = set(range(1, 20))
AEO = {1, 2, 3, 4, 5, 18}  # Ex. 19 joins them when re-designated
SEALED_AND_REDACTED = set(range(1, 14)) | {18, 19}
IN_FULL = {14, 15, 16, 17}
ORDER = {"date": "2020-06-26", "docket": "463"}

PEOPLE = {
    "counsel": "counsel@plaintiffs.example",  # receiving counsel
    "employee": "staff@alotrolado.example",  # Plaintiffs' employee, Exhibit A signed
    "expert": "expert@plaintiffs.example",  # no Exhibit A
    "court": "court@casd.example",
    "defendants": "counsel@defendants.example",
    "auditor": "auditor@audit.example",
}

# what a person holds of one exhibit: (state, may view and download, version served), or
# None when it is not listed at all (404, exactly like a document that does not exist)
Seen = tuple[str, bool, str | None] | None


def _open(state: str, served: str = "original") -> Seen:
    return (state, True, served)


def _slip(state: str) -> Seen:
    return (state, False, None)


@pytest.fixture
def case(rt) -> int:
    return load_demo(rt, say=lambda _line: None, start=True)


class Gateway:
    """The API as the six people use it."""

    def __init__(self, client: Any, matter: int) -> None:
        self.client, self.matter = client, matter
        self.sign_in()

    def sign_in(self) -> None:
        """Fresh tokens (after the clock moved past their lifetime)."""
        self.tokens = {who: token_for(self.client, email) for who, email in PEOPLE.items()}

    def get(self, who: str, path: str, **params: Any) -> Any:
        return api_get(self.client, self.tokens[who], f"/matters/{self.matter}{path}", **params)

    def post(self, who: str, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            f"{BASE}/api/v1/matters/{self.matter}{path}", headers=auth(self.tokens[who]), json=body
        )

    def listing(self, who: str, **params: Any) -> dict[str, Any]:
        response = self.get(who, "/documents", per_page=500, **params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def seen(self, who: str) -> dict[int, Seen]:
        if who == "auditor":
            # the auditor's role gives no access to documents at all: said so, for each one
            for path in ["/documents"] + [f"/documents/{b}/content" for b in EX.values()]:
                refused = self.get(who, path)
                assert refused.status_code == 403, (path, refused.status_code)
            return dict.fromkeys(ALL)
        items = {i["bates_begin"]: i for i in self.listing(who)["items"]}
        result: dict[int, Seen] = {}
        for n, bates in EX.items():
            item = items.get(bates)
            if item is None:
                result[n] = None
                # not listed: not viewable either, and the refusal is a 404
                assert self.get(who, f"/documents/{bates}").status_code == 404
                continue
            assert item["can_view"] == item["can_download"], item
            served = item.get("served_version", {}).get("kind")
            if not item["can_view"]:
                # a slip: the Bates range holds its place, nothing more is shown
                assert "title" not in item and "custodian" not in item and "file_name" not in item
            result[n] = (item["state"], item["can_view"], served)
        return result

    def content(self, who: str, n: int) -> Any:
        return self.get(who, f"/documents/{EX[n]}/content")


def _expect(people: dict[str, dict[int, Seen]], gw: Gateway) -> None:
    for who, expected in people.items():
        seen = gw.seen(who)
        wrong = {n: (seen[n], expected.get(n)) for n in ALL if seen[n] != expected.get(n)}
        assert not wrong, f"{who}: exhibit -> (seen, expected): {wrong}"
        if who == "auditor":
            continue
        # the count is of what the person may list, no more
        listed = gw.listing(who)
        assert listed["total"] == len(listed["items"])
        # opening: exactly the exhibits shown as viewable open, the others never do
        for n in ALL:
            status = gw.content(who, n).status_code
            if expected.get(n) is None:
                assert status == 404, (who, n, status)
            elif expected[n][1]:
                assert status == 200, (who, n, status)
            else:
                assert status in (403, 404), (who, n, status)


def _only(ns: set[int], seen: Seen) -> dict[int, Seen]:
    return {n: seen for n in ns}


def test_the_order_of_june_26_2020_step_by_step(client, case, rt, clock):
    gw = Gateway(client, case)
    confidential = ALL - AEO - {19}

    # --- before anything: the production as served ------------------------------------
    start = {
        "counsel": _only(ALL, _open("produced")),
        "employee": _only(confidential | {19}, _open("produced")),
        "expert": {},
        "court": _only(ALL, _open("produced")),
        "defendants": _only(ALL, _open("produced")),
        "auditor": {},
    }
    _expect(start, gw)
    # downloads before the notices: the employee takes Ex. 19 while CONFIDENTIAL; counsel
    # takes Ex. 1 and Ex. 18 (the checks above were downloads too: remember all of them)
    assert gw.content("employee", 19).status_code == 200
    original18 = stored_file(rt, case, EX[18])
    assert_marked_copy(gw.content("defendants", 18).data, original18, email=PEOPLE["defendants"])
    assert b"FIR-2018-000123" in _page_text(original18, 12)  # AOL-DEF-00528703

    # --- 1. Defendants re-designate Ex. 19 CONFIDENTIAL -> AEO -------------------------
    clock.advance(hours=1)
    changed = gw.post(
        "defendants",
        f"/documents/{EX[19]}/designation",
        {"designation": "AEO", "reason": "inadvertent failure to designate (¶5.3)"},
    )
    assert changed.status_code == 200, changed.get_json()
    after_redesignation = {**start, "employee": _only(confidential, _open("produced"))}
    _expect(after_redesignation, gw)
    missing = gw.get("employee", "/documents/AOL-DEF-99999999")
    hidden = gw.get("employee", f"/documents/{EX[19]}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    # the employee is told, by name, what they hold and must now treat as AEO
    notices = client.get(f"{BASE}/api/v1/notices", headers=auth(gw.tokens["employee"]))
    (notice,) = [n for n in notices.get_json()["items"] if EX[19] in n["body"]]
    assert "AEO" in notice["body"] and "downloaded" in notice["body"]

    # --- 2. Defendants claw back Ex. 1-19 ----------------------------------------------
    clock.advance(hours=1)
    noticed = gw.post(
        "defendants",
        "/clawbacks",
        {
            "documents": [EX[n] for n in sorted(ALL)],
            "privilege": "law enforcement privilege",
            "basis": "FRCP 26(b)(5)(B): database identification codes and investigative detail",
        },
    )
    assert noticed.status_code == 201, noticed.get_json()
    clawback = noticed.get_json()["id"]
    sequestered = {
        "counsel": _only(ALL, _slip("sequestered")),
        "employee": _only(confidential, _slip("sequestered")),
        "expert": {},
        "court": _only(ALL, _slip("sequestered")),  # not yet presented to it
        "defendants": _only(ALL, _open("sequestered")),  # preserved by the producing party
        "auditor": {},
    }
    _expect(sequestered, gw)
    # a title is not searchable where it may not be viewed
    briefing = "Briefing presentation"
    assert gw.listing("counsel", q=briefing)["total"] == 0
    assert [i["bates_begin"] for i in gw.listing("defendants", q=briefing)["items"]] == [EX[19]]
    # a volume ZIP leaves the sequestered documents out
    assert gw.get("counsel", "/productions/AOL-DEF-VOL001/download").status_code == 404

    # Plaintiffs' certification: exactly the copies their people downloaded before the
    # notice, shown to Plaintiffs only
    tasks = gw.get("counsel", "/certifications").get_json()["items"]
    (task,) = tasks
    copies = {(c["bates_begin"], c["downloaded_by"]) for c in task["copies"]}
    assert copies == (
        {(EX[n], PEOPLE["counsel"]) for n in ALL}
        | {(EX[n], PEOPLE["employee"]) for n in confidential | {19}}
    )
    assert gw.get("defendants", "/certifications").get_json()["items"] == []
    probe = gw.post(
        "defendants",
        f"/certifications/{task['id']}",
        {"copies": [], "statement": "probe", "signed_by": "Dana Defense-Counsel"},
    )
    assert probe.status_code == 404 and EX[1] not in probe.get_data(as_text=True)
    certified = gw.post(
        "counsel",
        f"/certifications/{task['id']}",
        {
            "copies": [
                {"bates_begin": b, "action": "sequestered"} for b in sorted({b for b, _ in copies})
            ],
            "statement": "Every copy is sequestered pending the court's ruling.",
            "signed_by": "Pat Plaintiff-Counsel",
        },
    )
    assert certified.status_code == 200, certified.get_json()

    # --- 3. Plaintiffs' counsel presents them to the court under seal -------------------
    clock.advance(hours=1)
    presented = gw.post("counsel", f"/clawbacks/{clawback}/presentations", {})
    assert presented.status_code == 201, presented.get_json()
    _expect({**sequestered, "court": _only(ALL, _open("sequestered"))}, gw)

    # --- 4. The court rules, and orders the filings within 14 days ----------------------
    clock.advance(hours=1)
    rulings = f"/clawbacks/{clawback}/rulings"
    for n in range(1, 18):
        body: dict[str, Any] = {"document": EX[n], "outcome": "denied", "order": ORDER}
        if n == 1:
            body["deadlines"] = [
                {
                    "party": DEFENDANTS,
                    "what": "lodge Ex. 1-13, 18, 19 under seal and file them publicly redacted",
                    "days": 14,
                },
                {"party": DEFENDANTS, "what": "file Ex. 14-17 publicly in full", "days": 14},
            ]
        ruled = gw.post("court", rulings, body)
        assert ruled.status_code == 201, ruled.get_json()
    for n in (18, 19):  # only the code on AOL-DEF-00528703 / AOL-DEF-00516617 (page 13)
        ruled = gw.post(
            "court",
            rulings,
            {"document": EX[n], "outcome": "granted_in_part", "pages": [13], "order": ORDER},
        )
        assert ruled.status_code == 201, ruled.get_json()
    due = gw.get("defendants", "/deadlines").get_json()["items"]
    assert {(d["due"], d["ends_at"]) for d in due} == {("2020-07-10", "2020-07-11T07:00:00+00:00")}
    in_full_id = next(d["id"] for d in due if "in full" in d["what"])
    assert gw.get("counsel", "/deadlines").get_json()["items"] == []
    # the court's order, as each side may know it: Plaintiffs see it, with its outcomes
    orders = gw.get("counsel", "/deadlines").get_json()["orders"]
    assert orders == [
        {"docket": "463", "date": "2020-06-26", "outcomes": {"denied": 17, "granted_in_part": 2}}
    ]
    denied = set(range(1, 18))
    ruled_state = {
        "counsel": {**_only(denied, _open("produced")), **_only({18, 19}, _slip("sequestered"))},
        "employee": _only(confidential, _open("produced")),
        "expert": {},
        "court": {**_only(denied, _open("produced")), **_only({18, 19}, _open("sequestered"))},
        "defendants": {
            **_only(denied, _open("produced")),
            **_only({18, 19}, _open("sequestered")),
        },
        "auditor": {},
    }
    _expect(ruled_state, gw)

    # --- 5. Defendants supply the redacted versions ------------------------------------
    clock.advance(days=3)
    gw.sign_in()
    redacted = {
        n: pdf_bytes(17 if n == 18 else 19, f"Ex. {n} redacted for privilege") for n in (18, 19)
    }
    for n in (18, 19):
        supplied = _supply(gw, n, "privilege_redacted", "AEO", redacted[n])
        assert supplied.status_code == 201, supplied.get_json()
    public: dict[int, bytes] = {}
    for n in sorted(SEALED_AND_REDACTED):
        pages = {1: 5, 18: 17, 19: 19}.get(n, 1)
        public[n] = pdf_bytes(pages, f"Ex. {n} redacted for the public docket")
        tier = "AEO" if n in AEO | {19} else "CONFIDENTIAL"
        supplied = _supply(gw, n, "public_redacted", tier, public[n])
        assert supplied.status_code == 201, supplied.get_json()
    replaced = {
        **ruled_state,
        "counsel": {
            **_only(denied, _open("produced")),
            **_only({18, 19}, _open("replaced", "privilege_redacted")),
        },
        "court": {**_only(denied, _open("produced")), **_only({18, 19}, _open("replaced"))},
        "defendants": {**_only(denied, _open("produced")), **_only({18, 19}, _open("replaced"))},
    }
    _expect(replaced, gw)
    # the receiving side gets the redacted version, the producing party and the court the
    # original
    # (each copy with its recipient's forensic mark, the pages otherwise as stored)
    assert_marked_copy(gw.content("counsel", 18).data, redacted[18], email=PEOPLE["counsel"])
    assert_marked_copy(gw.content("court", 18).data, original18, email=PEOPLE["court"])
    assert_marked_copy(gw.content("defendants", 18).data, original18)
    history = gw.get("counsel", f"/documents/{EX[18]}/versions").get_json()["items"]
    assert [(v["kind"], v["can_view"]) for v in history] == [
        ("original", False),  # replaced: its place is known, its content withheld
        ("privilege_redacted", True),
        ("public_redacted", True),
    ]
    full = gw.get("defendants", f"/documents/{EX[18]}/versions").get_json()["items"]
    assert [v["kind"] for v in full] == ["original", "privilege_redacted", "public_redacted"]

    # --- 6. The filings, by July 10, 2020 (midnight Pacific) ----------------------------
    clock.advance(days=20)  # July 19: the filings are recorded after the fact
    gw.sign_in()
    on_time = "2020-07-10T23:59:00-07:00"
    late = "2020-07-11T00:05:00-07:00"
    filed: dict[tuple[int, str], Any] = {}
    for n in sorted(SEALED_AND_REDACTED):
        for how in ("lodged_under_seal", "public_redacted"):
            when = late if (n, how) == (19, "public_redacted") else on_time
            filed[n, how] = _file(gw, n, how, when)
    for n in sorted(IN_FULL):
        filed[n, "public_full"] = _file(gw, n, "public_full", on_time, deadline=in_full_id)
    for (n, how), result in filed.items():
        assert result["deadline"]["due"] == "2020-07-10"
        assert result["deadline"]["on_time"] is ((n, how) != (19, "public_redacted")), (n, how)
    assert filed[19, "public_redacted"]["designation"] == {"before": "AEO", "after": "PUBLIC"}
    # the dashboard: each filing against the deadline that ordered it, one of them late
    dashboard = gw.get("defendants", "/deadlines").get_json()["items"]
    recorded = [f for d in dashboard for f in d["filings"]]
    assert len(recorded) == len(filed)
    (in_full,) = [d for d in dashboard if d["id"] == in_full_id]
    assert {f["document"] for f in in_full["filings"]} == {EX[n] for n in IN_FULL}
    assert [f["document"] for f in recorded if not f["on_time"]] == [EX[19]]
    assert all(d["overdue"] for d in dashboard)  # July 10 has ended
    assert filed[14, "public_full"]["designation"] == {"before": "CONFIDENTIAL", "after": "PUBLIC"}

    redacted_public = _only(SEALED_AND_REDACTED, _open("produced", "public_redacted"))
    filed_state = {
        "counsel": {
            **_only(denied, _open("produced")),
            **_only({18, 19}, _open("replaced", "privilege_redacted")),
        },
        # the employee: the originals that stay CONFIDENTIAL, the public versions of the
        # AEO ones, Ex. 14-17 as public records
        "employee": {
            **redacted_public,
            **_only(confidential, _open("produced")),
            **_only({18, 19}, _open("replaced", "public_redacted")),
        },
        # the expert without Exhibit A: only what is public
        "expert": {
            **redacted_public,
            **_only(IN_FULL, _open("produced")),
            **_only({18, 19}, _open("replaced", "public_redacted")),
        },
        "court": {**_only(denied, _open("produced")), **_only({18, 19}, _open("replaced"))},
        "defendants": {**_only(denied, _open("produced")), **_only({18, 19}, _open("replaced"))},
        "auditor": {},
    }
    _expect(filed_state, gw)
    # what each is served: the expert the public version of Ex. 1, the employee Ex. 19's
    listed = {i["bates_begin"]: i for i in gw.listing("expert")["items"]}
    assert listed[EX[14]]["designation"] == "PUBLIC"
    assert listed[EX[1]]["designation"] == "AEO"  # the document keeps its designation
    # the public versions were supplied as AEO or CONFIDENTIAL and are PUBLIC since their
    # filing: each is served re-branded, every page as supplied under a band saying so
    for who, n, pages in (("expert", 1, 5), ("employee", 19, 19)):
        served = _page_texts(gw.content(who, n).data)
        supplied = _page_texts(public[n])
        assert len(served) == len(supplied) == pages
        for page, was in zip(served, supplied, strict=True):
            assert page.count("PUBLIC (no longer designated)\r\nDesignation changed on") == 1
            assert was.strip() in page
            # and the recipient's forensic mark, one token on every page
            assert f"<{PEOPLE[who]}>" in page and len(tokens_in(page)) == 1
    # Ex. 14-17 are public records now: never designated again
    again = gw.post(
        "defendants",
        f"/documents/{EX[14]}/designation",
        {"designation": "CONFIDENTIAL", "reason": "second thoughts"},
    )
    assert again.status_code == 409


def _page_texts(pdf: bytes) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    texts = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    document.close()
    return texts


def _supply(gw: Gateway, n: int, kind: str, designation: str, pdf: bytes) -> Any:
    import io

    return gw.client.post(
        f"{BASE}/api/v1/matters/{gw.matter}/documents/{EX[n]}/versions",
        headers=auth(gw.tokens["defendants"]),
        data={"kind": kind, "designation": designation, "file": (io.BytesIO(pdf), "v.pdf")},
        content_type="multipart/form-data",
    )


def _file(gw: Gateway, n: int, how: str, when: str, **more: Any) -> dict[str, Any]:
    response = gw.post(
        "defendants",
        "/filings",
        {"document": EX[n], "disposition": how, "docket": f"470-{n}", "filed_at": when, **more},
    )
    assert response.status_code == 201, (n, how, response.get_json())
    return response.get_json()


def _page_text(pdf: bytes, index: int) -> bytes:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return doc.pages[index].Contents.read_bytes()  # a stored file: one stream a page


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
