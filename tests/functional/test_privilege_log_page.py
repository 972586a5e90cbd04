"""The privilege log page: the same rows as the API for each reader, its CSV and PDF
downloads, and the claimant's description form."""

from __future__ import annotations

import csv
import io

from tests import factories
from tests.helpers import BASE, web_client, web_post

EX1 = "AOL-DEF-00556914"  # AEO
EX6 = "AOL-DEF-00556923"  # CONFIDENTIAL
EX18 = "AOL-DEF-00528691"  # AEO; page 13 is AOL-DEF-00528703
COUNSEL = "counsel@plaintiffs.example"
STAFF = "staff@alotrolado.example"
DEFENSE = "counsel@defendants.example"
AUDITOR = "auditor@audit.example"


def _claims(rt, demo) -> int:
    clawback = factories.claw_back(rt, demo, [EX1, EX6, EX18])
    factories.rule(rt, demo, clawback, EX18, "granted_in_part", pages=[13])
    return clawback


def test_each_reader_sees_the_rows_it_may_list_and_downloads_them(app, rt, demo):
    _claims(rt, demo)
    page = web_client(app, COUNSEL).get(f"{BASE}/matters/{demo}/privilege-log")
    assert page.status_code == 200
    for bates in (EX1, EX6, EX18):
        assert f'id="row-{bates}"'.encode() in page.data
    assert b"AOL-DEF-00528703" in page.data and b"granted in part" in page.data
    assert b"Border Patrol field information report" not in page.data
    assert b'id="download-csv"' in page.data and b'id="download-pdf"' in page.data
    # the employee: the CONFIDENTIAL exhibit only
    staff = web_client(app, STAFF)
    mine = staff.get(f"{BASE}/matters/{demo}/privilege-log")
    assert f'id="row-{EX6}"'.encode() in mine.data
    assert EX1.encode() not in mine.data and EX18.encode() not in mine.data
    download = staff.get(f"{BASE}/matters/{demo}/privilege-log", query_string={"format": "csv"})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert [r["Bates begin"] for r in rows] == [EX6]
    pdf = staff.get(f"{BASE}/matters/{demo}/privilege-log", query_string={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # the receiving side is offered no description form
    assert b'name="description"' not in page.data and b'name="description"' not in mine.data


def test_the_auditor_is_refused_the_page(app, rt, demo):
    _claims(rt, demo)
    refused = web_client(app, AUDITOR).get(f"{BASE}/matters/{demo}/privilege-log")
    assert refused.status_code == 403
    assert EX1.encode() not in refused.data and EX6.encode() not in refused.data


def test_the_claimant_describes_from_the_page(app, rt, demo):
    clawback = _claims(rt, demo)
    defense = web_client(app, DEFENSE)
    page = defense.get(f"{BASE}/matters/{demo}/privilege-log")
    assert page.data.count(b'name="description"') == 3
    done = web_post(
        defense,
        f"/matters/{demo}/privilege-log/descriptions",
        {"clawback": str(clawback), "document": EX18, "description": "Field report"},
    )
    assert done.status_code == 302
    shown = web_client(app, COUNSEL).get(f"{BASE}/matters/{demo}/privilege-log")
    assert b"Field report" in shown.data
    # refused with the service's reason, on the page
    empty = web_post(
        defense,
        f"/matters/{demo}/privilege-log/descriptions",
        {"clawback": str(clawback), "document": EX18, "description": " "},
    )
    assert empty.status_code == 422 and b'id="error"' in empty.data
    receiving = web_post(
        web_client(app, COUNSEL),
        f"/matters/{demo}/privilege-log/descriptions",
        {"clawback": str(clawback), "document": EX18, "description": "Not ours to say"},
    )
    assert receiving.status_code == 403
