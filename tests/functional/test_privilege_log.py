"""The privilege log (FRCP 26(b)(5)(A)) on the reference case, through the API.

Defendants claw back Ex. 1-19; while the claim is pending every exhibit is logged as
pending. The court denies it for Ex. 1-17 (produced again: out of the log) and grants it for
the code on page 13 of Ex. 18 and Ex. 19 (logged with that page's Bates number). Each reader
sees only rows about what it may list; the expert without Exhibit A and the auditor get no
log; nothing of the protected content, nor any title, appears in JSON, CSV or PDF.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.audit.tags import Tag
from gateway.demo import PAGE_TEXT, defendants_documents
from tests.factories import DEFENDANTS, OPERATOR, PLAINTIFFS, add_non_party, person
from tests.helpers import BASE, auth, token_for

EX = {1: "AOL-DEF-00556914", 18: "AOL-DEF-00528691", 19: "AOL-DEF-00516605"}
EX.update({n: f"AOL-DEF-{556917 + n:08d}" for n in range(2, 18)})
ALL = set(range(1, 20))
AEO = {1, 2, 3, 4, 5, 18, 19}
CONFIDENTIAL = ALL - AEO
PAGE_13 = {18: "AOL-DEF-00528703", 19: "AOL-DEF-00516617"}
ORDER = {"date": "2020-06-26", "docket": "463"}
PRIVILEGE = "law enforcement privilege"
BASIS = "FRCP 26(b)(5)(B): database identification codes and investigative detail"
NON_PARTY = "counsel@vendor.example"
WITHHELD = "withheld: it concerns documents you may not list"

READERS = {
    "counsel": "counsel@plaintiffs.example",
    "employee": "staff@alotrolado.example",  # Exhibit A signed
    "expert": "expert@plaintiffs.example",  # no Exhibit A
    "court": "court@casd.example",
    "defendants": "counsel@defendants.example",
    "auditor": "auditor@audit.example",
    "non_party": NON_PARTY,
}
# never in any form of the log: the protected text of the stand-ins, and the titles (a
# title may itself be what a claim protects)
SECRETS = [line.strip() for lines in PAGE_TEXT.values() for line in lines] + [
    "FIR-2018-000123",
    "PPT-2018-000456",
    *(d.title for d in defendants_documents()),
]


class Log:
    def __init__(self, client: Any, matter: int, readers: dict[str, str] = READERS) -> None:
        self.client, self.matter = client, matter
        self.tokens = {who: token_for(client, email) for who, email in readers.items()}

    def get(self, who: str, fmt: str = "json") -> Any:
        return self.client.get(
            f"{BASE}/api/v1/matters/{self.matter}/privilege-log",
            headers=auth(self.tokens[who]),
            query_string={"format": fmt},
        )

    def rows(self, who: str) -> dict[str, dict[str, Any]]:
        response = self.get(who)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["total"] == len(body["items"]) <= body["per_page"]
        return {r["bates_begin"]: r for r in body["items"]}

    def post(self, who: str, path: str, body: dict[str, Any]) -> Any:
        response = self.client.post(
            f"{BASE}/api/v1/matters/{self.matter}{path}", headers=auth(self.tokens[who]), json=body
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()


@pytest.fixture
def log(client, demo, rt) -> Log:
    add_non_party(rt, demo)
    person(rt, demo, NON_PARTY, "outside_counsel", party="Border Data Vendor LLC")
    return Log(client, demo)


def _claw_back(log: Log) -> int:
    noticed = log.post(
        "defendants",
        "/clawbacks",
        {"documents": [EX[n] for n in sorted(ALL)], "privilege": PRIVILEGE, "basis": BASIS},
    )
    return int(noticed["id"])


def _rule(log: Log, clawback: int) -> None:
    log.post("counsel", f"/clawbacks/{clawback}/presentations", {})
    for n in range(1, 18):
        body = {"document": EX[n], "outcome": "denied", "order": ORDER}
        log.post("court", f"/clawbacks/{clawback}/rulings", body)
    for n in (18, 19):
        body = {"document": EX[n], "outcome": "granted_in_part", "pages": [13], "order": ORDER}
        log.post("court", f"/clawbacks/{clawback}/rulings", body)


def _refusals(rt) -> list[tuple[str, str]]:
    with rt.db.session() as session:
        return list(
            session.execute(
                select(AuditEntry.actor_email, AuditEntry.reason).where(
                    AuditEntry.tag == str(Tag.PRIVILEGE_LOG_GENERATED),
                    AuditEntry.outcome == "denied",
                )
            ).all()
        )


def _generated(rt) -> list[tuple[str, dict[str, Any]]]:
    with rt.db.session() as session:
        rows = session.execute(
            select(AuditEntry.actor_email, AuditEntry.details)
            .where(
                AuditEntry.tag == str(Tag.PRIVILEGE_LOG_GENERATED),
                AuditEntry.outcome == "allowed",
            )
            .order_by(AuditEntry.seq)
        ).all()
    return [(email, json.loads(details)) for email, details in rows]


def test_nothing_withheld_before_a_claim(log):
    for who in ("counsel", "defendants", "court", "employee", "non_party"):
        assert log.rows(who) == {}


def test_a_pending_claim_is_logged_for_each_reader_as_far_as_they_may_list(log, rt):
    _claw_back(log)
    everything = {EX[n] for n in ALL}
    for who in ("counsel", "defendants", "court"):
        rows = log.rows(who)
        assert set(rows) == everything, who
        assert {r["status"] for r in rows.values()} == {"pending"}
        assert {r["withheld"] for r in rows.values()} == {"in full"}
        assert {r["privilege"] for r in rows.values()} == {PRIVILEGE}
        assert {r["basis"] for r in rows.values()} == {BASIS}
        assert all(r["order"] is None and r["pages_withheld"] == [] for r in rows.values())
    ex1 = log.rows("counsel")[EX[1]]
    assert ex1["author"] == ["officer.a@cbp.example"]
    assert ex1["recipients"] == ["supervisor.b@cbp.example"]
    assert ex1["custodian"] == "CBP Office of Field Operations"
    assert ex1["description"] == "Communication, 5 pages"
    assert ex1["claimant"] == "Chad F. Wolf, et al. (Defendants)"
    # Plaintiffs' employee: the CONFIDENTIAL exhibits only, and not the basis, which may
    # describe the AEO ones the employee may not even list
    employee = log.rows("employee")
    assert set(employee) == {EX[n] for n in CONFIDENTIAL}
    assert {r["basis"] for r in employee.values()} == {
        "withheld: it concerns documents you may not list"
    }
    body = log.get("employee").get_data(as_text=True)
    assert not [EX[n] for n in AEO if EX[n] in body]
    assert BASIS not in body
    # a non-party's counsel is served the log, but may list none of Defendants' material
    assert log.rows("non_party") == {}
    assert "AOL-DEF-" not in log.get("non_party").get_data(as_text=True)


def test_the_expert_without_exhibit_a_and_the_auditor_get_no_log(log, rt):
    _claw_back(log)
    for who in ("expert", "auditor"):
        for fmt in ("json", "csv", "pdf"):
            refused = log.get(who, fmt)
            assert refused.status_code == 403, (who, fmt)
            assert "AOL-DEF-" not in refused.get_data(as_text=True)
    reasons = _refusals(rt)
    assert {email for email, _ in reasons} == {READERS["expert"], READERS["auditor"]}
    assert all("privilege_log:read" in reason for _, reason in reasons)


def test_after_the_rulings_only_the_pages_withheld_remain(log, rt):
    _rule(log, _claw_back(log))
    for who in ("counsel", "defendants", "court"):
        rows = log.rows(who)
        # the claim denied for Ex. 1-17: produced again, nothing withheld, out of the log
        assert set(rows) == {EX[18], EX[19]}, who
        for n in (18, 19):
            row = rows[EX[n]]
            assert row["status"] == "granted in part"
            assert row["withheld"] == "in part"
            assert row["pages_withheld"] == [PAGE_13[n]]
            assert row["order"] == {"docket": "463", "date": "2020-06-26"}
            assert row["privilege"] == PRIVILEGE
    assert log.rows("counsel")[EX[18]]["bates_end"] == "AOL-DEF-00528707"
    assert log.rows("counsel")[EX[19]]["description"] == "Document, 19 pages"
    # the employee may list neither AEO exhibit, so sees no row at all
    assert log.rows("employee") == {}
    assert log.rows("non_party") == {}


def test_no_format_reveals_protected_content_or_titles(log, rt):
    _rule(log, _claw_back(log))
    for who in ("counsel", "defendants", "court"):
        json_text = "\n".join(_strings(log.get(who).get_json()))
        csv_text = _csv_text(log.get(who, "csv"))
        pdf_text = _pdf_text(log.get(who, "pdf"))
        for name, text in (("json", json_text), ("csv", csv_text), ("pdf", pdf_text)):
            # a table cell wraps its text: compare with every white space taken out
            leaked = [s for s in SECRETS if _squashed(s) in _squashed(text)]
            assert not leaked, (who, name, leaked)


def test_the_csv_parses_and_carries_the_rows(log, rt):
    _rule(log, _claw_back(log))
    response = log.get("counsel", "csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    assert b"\r\n" in response.data  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    assert [r["Bates begin"] for r in rows] == [EX[19], EX[18]]  # Bates order
    by_bates = {r["Bates begin"]: r for r in rows}
    assert by_bates[EX[18]]["Pages withheld"] == PAGE_13[18]
    assert by_bates[EX[18]]["Status"] == "granted in part"
    assert by_bates[EX[18]]["Order"] == "Dkt. 463, 2020-06-26"
    assert by_bates[EX[19]]["Privilege asserted"] == PRIVILEGE
    assert by_bates[EX[19]]["Basis"] == BASIS


def test_the_pdf_carries_caption_date_rows_and_page_numbers(log, rt, clock):
    _rule(log, _claw_back(log))
    response = log.get("counsel", "pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response)
    assert "Al Otro Lado, Inc., et al. v. Chad F. Wolf, et al." in text
    assert "3:17-cv-2366-BAS-KSC" in text
    assert rt.now().date().isoformat() in text
    assert "Page 1 of 1" in text
    for n in (18, 19):
        assert EX[n] in text and PAGE_13[n] in text
    assert not [EX[n] for n in range(1, 18) if EX[n] in text]
    pdf = pdfium.PdfDocument(response.data)
    width, height = pdf[0].get_size()
    assert width > height  # landscape


def test_a_long_log_is_paginated(log, rt):
    _claw_back(log)
    pdf = pdfium.PdfDocument(log.get("defendants", "pdf").data)
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert len(texts) >= 2, "19 rows with their basis fill more than one page"
    assert all(f"Page {i + 1} of {len(texts)}" in t for i, t in enumerate(texts))


def test_each_generation_is_audited_with_format_and_rows(log, rt):
    _rule(log, _claw_back(log))
    for fmt in ("json", "csv", "pdf"):
        assert log.get("counsel", fmt).status_code == 200
    assert log.get("employee").status_code == 200
    assert _generated(rt) == [
        (READERS["counsel"], {"format": "json", "rows": 2, "total": 2}),
        (READERS["counsel"], {"format": "csv", "rows": 2, "total": 2}),
        (READERS["counsel"], {"format": "pdf", "rows": 2, "total": 2}),
        (READERS["employee"], {"format": "json", "rows": 0, "total": 0}),
    ]


def test_the_json_log_comes_in_pages_the_files_whole(log, rt):
    _claw_back(log)
    first = log.client.get(
        f"{BASE}/api/v1/matters/{log.matter}/privilege-log",
        headers=auth(log.tokens["counsel"]),
        query_string={"per_page": 5},
    ).get_json()
    assert (first["total"], first["page"], first["per_page"]) == (19, 1, 5)
    last = log.client.get(
        f"{BASE}/api/v1/matters/{log.matter}/privilege-log",
        headers=auth(log.tokens["counsel"]),
        query_string={"per_page": 5, "page": 4},
    ).get_json()
    assert len(first["items"]) == 5 and len(last["items"]) == 4
    whole = list(csv.DictReader(io.StringIO(_csv_text(log.get("counsel", "csv")))))
    assert len(whole) == 19
    too_many = log.client.get(
        f"{BASE}/api/v1/matters/{log.matter}/privilege-log",
        headers=auth(log.tokens["counsel"]),
        query_string={"per_page": 501},
    )
    assert too_many.status_code == 400
    assert (READERS["counsel"], "per_page: at most 500") in _refusals(rt)


def test_an_unknown_format_is_refused_and_audited(log, rt):
    refused = log.get("counsel", "xlsx")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "bad_request"
    assert [(e, r) for e, r in _refusals(rt)] == [
        (READERS["counsel"], "format: one of json, csv, pdf")
    ]


def test_a_cell_that_looks_like_a_formula_is_quoted(log, rt):
    log.post(
        "defendants",
        "/clawbacks",
        {"documents": [EX[14]], "privilege": '=HYPERLINK("x")', "basis": "-1+1 @ once"},
    )
    rows = list(csv.reader(io.StringIO(log.get("counsel", "csv").data.decode("utf-8-sig"))))
    header, (row,) = rows[0], rows[1:]
    cells = dict(zip(header, row, strict=True))
    assert cells["Privilege asserted"] == '\'=HYPERLINK("x")'
    assert cells["Basis"] == "'-1+1 @ once"


def test_a_claim_granted_in_full_is_logged_as_withheld(log, rt):
    clawback = log.post(
        "defendants",
        "/clawbacks",
        {"documents": [EX[14]], "privilege": "deliberative process", "basis": "pre-decisional"},
    )["id"]
    log.post("counsel", f"/clawbacks/{clawback}/presentations", {})
    log.post(
        "court",
        f"/clawbacks/{clawback}/rulings",
        {
            "document": EX[14],
            "outcome": "granted",
            "order": {"date": "2020-06-26", "docket": "470"},
        },
    )
    for who in ("counsel", "employee", "court", "defendants"):
        (row,) = log.rows(who).values()
        assert (row["bates_begin"], row["status"], row["withheld"]) == (
            EX[14],
            "granted",
            "in full",
        )
        assert row["order"] == {"docket": "470", "date": "2020-06-26"}
        # the employee may list every document of this claim: its basis is shown
        assert row["basis"] == "pre-decisional"


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value, unescaped (a quote in a title is \\" in the body)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    return [s for item in value for s in _strings(item)] if isinstance(value, list) else []


def _squashed(text: str) -> str:
    return "".join(text.split())


def _csv_text(response: Any) -> str:
    assert response.status_code == 200
    return response.data.decode("utf-8-sig")


def _pdf_text(response: Any) -> str:
    assert response.status_code == 200
    pdf = pdfium.PdfDocument(response.data)
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def _describe(log: Log, who: str, clawback: int, bates: str, text: Any) -> Any:
    return log.client.post(
        f"{BASE}/api/v1/matters/{log.matter}/privilege-log/descriptions",
        headers=auth(log.tokens[who]),
        json={"clawback": clawback, "document": bates, "description": text},
    )


def test_the_claimant_describes_a_document_in_its_own_words(log, rt):
    clawback = _claw_back(log)
    _rule(log, clawback)
    words = "Field report of a Border Patrol unit; the withheld line is a database code"
    described = _describe(log, "defendants", clawback, EX[18], f"  {words}  ")
    assert described.status_code == 200, described.get_json()
    assert described.get_json() == {
        "clawback": clawback,
        "document": EX[18],
        "description": words,
        "amended": False,
    }
    for who in ("counsel", "court", "defendants"):
        rows = log.rows(who)
        assert (rows[EX[18]]["description"], rows[EX[18]]["described_by"]) == (words, "claimant")
        # the other row keeps the neutral description
        assert rows[EX[19]]["described_by"] == "gateway"
    assert _squashed(words) in _squashed(_pdf_text(log.get("counsel", "pdf")))
    again = _describe(log, "defendants", clawback, EX[18], "Field report (amended)")
    assert again.get_json()["amended"] is True
    assert log.rows("counsel")[EX[18]]["description"] == "Field report (amended)"


@pytest.mark.parametrize(
    ("who", "document", "text", "status"),
    [
        # the receiving party does not describe the other side's claim
        ("counsel", 18, "a report", 403),
        # a role that notices no claim
        ("employee", 18, "a report", 403),
        ("expert", 18, "a report", 403),
        ("auditor", 18, "a report", 403),
        # a claim denied withholds nothing: not in the log
        ("defendants", 1, "an e-mail", 409),
        ("defendants", 18, "   ", 422),
        ("defendants", 18, "x" * 501, 422),
        ("defendants", 18, 7, 422),
        # not in that claw-back, or no such document: alike
        ("defendants", "AOL-DEF-99999999", "a report", 404),
        ("non_party", 18, "a report", 404),
    ],
)
def test_a_description_refused_changes_nothing(log, rt, who, document, text, status):
    clawback = _claw_back(log)
    _rule(log, clawback)
    bates = EX[document] if isinstance(document, int) else document
    before = log.rows("defendants")
    refused = _describe(log, who, clawback, bates, text)
    assert refused.status_code == status, refused.get_json()
    assert log.rows("defendants") == before
    with rt.db.session() as session:
        denied = session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == str(Tag.PRIVILEGE_LOG_DESCRIBED), AuditEntry.outcome == "denied"
            )
        ).all()
    assert len(denied) == 1 and denied[0]


def _supply(log: Log, n: int, kind: str, designation: str) -> None:
    from tests.helpers import pdf_bytes

    pages = {1: 5, 18: 17, 19: 19}.get(n, 1)
    response = log.client.post(
        f"{BASE}/api/v1/matters/{log.matter}/documents/{EX[n]}/versions",
        headers=auth(log.tokens["defendants"]),
        data={
            "kind": kind,
            "designation": designation,
            "file": (io.BytesIO(pdf_bytes(pages, f"Ex. {n} {kind}")), "v.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()


def test_a_redacted_version_served_and_filed_keeps_the_row(log, rt, clock):
    """Ex. 18 replaced by its privilege-redacted version, then its public-redacted version
    filed on the docket: the log still lists the page withheld; the employee, who may now
    list Ex. 18 through its public version only, sees the claim but not the date, people
    or custodian of the AEO original."""
    _rule(log, _claw_back(log))
    _supply(log, 18, "privilege_redacted", "AEO")
    _supply(log, 18, "public_redacted", "AEO")
    filed = log.post(
        "defendants",
        "/filings",
        {
            "document": EX[18],
            "disposition": "public_redacted",
            "docket": "470-18",
            "filed_at": clock.now().isoformat(),
        },
    )
    assert filed["designation"]["after"] == "PUBLIC"
    for who in ("counsel", "court", "defendants"):
        row = log.rows(who)[EX[18]]
        assert row["pages_withheld"] == [PAGE_13[18]]
        assert row["custodian"] == "U.S. Border Patrol Intelligence"
    (row,) = log.rows("employee").values()
    assert (row["bates_begin"], row["pages_withheld"]) == (EX[18], [PAGE_13[18]])
    assert (row["custodian"], row["date"], row["author"], row["recipients"]) == ("", "", [], [])
    assert row["description"] == "Document, 17 pages"
    assert "Border Patrol" not in log.get("employee", "csv").data.decode("utf-8-sig")


def test_unusual_readers(log, rt, demo):
    """Defendants' own employee (its party produced them: every row, with the basis); an
    expert who signed Exhibit A (still no party: no log); the operator, who is in no matter
    (the matter does not exist for it)."""
    person(
        rt,
        demo,
        "analyst@cbp.example",
        "party_employee",
        party=DEFENDANTS,
        signed=True,
        affiliated_with=DEFENDANTS,
    )
    person(rt, demo, "expert2@plaintiffs.example", "expert", party=PLAINTIFFS, signed=True)
    _claw_back(log)
    readers = {
        "cbp": "analyst@cbp.example",
        "expert2": "expert2@plaintiffs.example",
        "operator": "admin@gateway.example",
    }
    own = Log(log.client, log.matter, readers)
    rows = own.rows("cbp")
    assert set(rows) == {EX[n] for n in ALL}
    assert {r["basis"] for r in rows.values()} == {BASIS}
    for who in ("expert2", "operator"):
        refused = own.get(who)
        assert refused.status_code in (403, 404), who
        assert "AOL-DEF-" not in refused.get_data(as_text=True)
    assert own.get("expert2").status_code == 403
    assert own.get("operator").status_code == 404


def _set_rules(rt, matter: int, rules: str) -> Any:
    from gateway.matters import order_policy
    from gateway.matters.order_store import tiers_text

    return order_policy.set_variant(
        rt,
        OPERATOR,
        matter,
        rules_text=rules,
        tiers_text_=tiers_text(order_policy.describe(rt, matter).policy),
        reason="the matter's order on the privilege log",
    )


def test_a_matter_may_serve_the_log_on_experts_but_never_on_the_auditor(log, rt, demo):
    from gateway.demo import reference_rules_text
    from gateway.errors import Invalid

    _claw_back(log)
    auditor = "p, auditor, *, *, *, -, -, -, -, -, privilege_log:read, allow"
    with pytest.raises(Invalid, match="auditor may never be granted privilege_log:read"):
        _set_rules(rt, demo, reference_rules_text() + "\n" + auditor + "\n")
    assert log.get("auditor").status_code == 403
    # an order serving it on experts with Exhibit A: the expert without it is still refused
    expert = "p, expert, signed, *, *, -, -, -, -, -, privilege_log:read, allow"
    _set_rules(rt, demo, reference_rules_text() + "\n" + expert + "\n")
    assert log.get("expert").status_code == 403
    person(rt, demo, "expert3@plaintiffs.example", "expert", party=PLAINTIFFS, signed=True)
    signed = Log(log.client, log.matter, {"expert3": "expert3@plaintiffs.example"})
    # rows only about what the expert may list: the CONFIDENTIAL exhibits (AEO needs §7.4)
    assert set(signed.rows("expert3")) == {EX[n] for n in CONFIDENTIAL}


def test_a_5000_character_basis_is_cut_in_the_pdf_and_whole_in_the_csv_and_json(log, rt):
    """A row is never split across pages: a basis of a few thousand characters made the
    PDF fail for every reader, after its generation was audited. The PDF shows the start
    and says where the whole is."""
    basis = " ".join(f"ground{i:04d}" for i in range(500))[:5000]
    assert len(basis) == 5000
    log.post(
        "defendants", "/clawbacks", {"documents": [EX[14]], "privilege": PRIVILEGE, "basis": basis}
    )
    for who in ("counsel", "defendants", "court"):
        response = log.get(who, "pdf")
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == "application/pdf"
        text = " ".join(_pdf_text(response).split())
        assert "ground0000 ground0001" in text and EX[14] in text
        assert "ground0400" not in text
        assert "[cut at 600 of 5000 characters: the full text is in the CSV and JSON log]" in text
        assert basis in _csv_text(log.get(who, "csv"))
        assert log.rows(who)[EX[14]]["basis"] == basis
    generated = [(email, d["format"]) for email, d in _generated(rt)]
    assert generated.count((READERS["court"], "pdf")) == 1
    assert _refusals(rt) == []
