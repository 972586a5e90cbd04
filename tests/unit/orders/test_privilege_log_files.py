"""The privilege log's files from rows in memory: CSV per RFC 4180, UTF-8 with a BOM, no
cell a spreadsheet would run as a formula; PDF landscape with page numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pypdfium2 as pdfium
import pytest

from gateway.documents.models import Document
from gateway.orders.privilege_log_files import safe_cell, to_csv, to_pdf
from gateway.orders.privilege_log_rows import COLUMNS, LogRow, PrivilegeLog, page_bates, page_ranges

NOW = datetime(2020, 7, 1, 12, 0, tzinfo=UTC)


def _row(n: int = 1, **changes: str) -> LogRow:
    fields = dict(
        clawback=1,
        bates_begin=f"AOL-DEF-{n:08d}",
        bates_end=f"AOL-DEF-{n:08d}",
        doc_date="2018-12-01",
        author=("officer.a@cbp.example",),
        recipients=("supervisor.b@cbp.example", "analyst.c@cbp.example"),
        custodian="CBP Office of Field Operations",
        description="Communication, 1 page",
        described_by="gateway",
        privilege="law enforcement privilege",
        basis="database identification codes",
        claimant="Chad F. Wolf, et al. (Defendants)",
        status="granted in part",
        order_docket="463",
        order_date=date(2020, 6, 26),
        noticed_at=NOW,
        withheld="in part",
        pages_withheld=(f"AOL-DEF-{n:08d}",),
        withheld_ranges=(f"AOL-DEF-{n:08d}",),
    )
    return LogRow(**{**fields, **changes})


def _log(*rows: LogRow) -> PrivilegeLog:
    return PrivilegeLog(
        caption="Al Otro Lado, Inc., et al. v. Chad F. Wolf, et al.",
        case_number="3:17-cv-2366-BAS-KSC",
        court="United States District Court for the Southern District of California",
        generated_at=NOW,
        generated_for="counsel@plaintiffs.example",
        rows=rows,
        total=len(rows),
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_start_is_quoted(start):
    assert safe_cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize("text", ["", "law enforcement", "AOL-DEF-1", " =x", "'=x"])
def test_other_cells_are_left_as_they_are(text):
    assert safe_cell(text) == text


def test_the_csv_is_rfc_4180_with_a_bom_and_reads_back():
    tricky = 'codes, "quoted",\nand a second line'
    data = to_csv(_log(_row(basis=tricky, privilege="=HYPERLINK(1)", custodian="\tX")))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") >= 2
    (header, row) = list(csv.reader(io.StringIO(text, newline="")))
    assert header == [title for _key, title in COLUMNS]
    cells = dict(zip(header, row, strict=True))
    assert cells["Basis"] == tricky
    assert cells["Privilege asserted"] == "'=HYPERLINK(1)"
    assert cells["Custodian"] == "'\tX"
    assert cells["Recipients"] == "supervisor.b@cbp.example; analyst.c@cbp.example"
    assert cells["Order"] == "Dkt. 463, 2020-06-26"


def test_an_empty_log_has_its_header_and_says_so_in_the_pdf():
    assert to_csv(_log()).decode("utf-8-sig").splitlines() == [",".join(t for _k, t in COLUMNS)]
    pdf = pdfium.PdfDocument(to_pdf(_log()))
    assert "No material is withheld." in pdf[0].get_textpage().get_text_range()


def test_the_pdf_is_landscape_numbered_and_escapes_markup():
    rows = [_row(n, basis="<b>bold</b> & co") for n in range(1, 80)]
    pdf = pdfium.PdfDocument(to_pdf(_log(*rows)))
    assert len(pdf) > 1
    for index in range(len(pdf)):
        width, height = pdf[index].get_size()
        assert width > height
        text = pdf[index].get_textpage().get_text_range()
        assert f"Page {index + 1} of {len(pdf)}" in text
        assert "3:17-cv-2366-BAS-KSC" in text and "2020-07-01" in text
    assert "<b>bold</b> & co" in pdf[0].get_textpage().get_text_range()


def test_pages_withheld_read_as_ranges_of_bates_numbers():
    doc = Document(bates_begin="AOL-DEF-00528691", bates_prefix="AOL-DEF-", bates_begin_no=528691)
    assert page_bates(doc, 13) == "AOL-DEF-00528703"
    assert page_ranges(doc, (13,)) == ("AOL-DEF-00528703",)
    assert page_ranges(doc, (1, 2, 3, 13, 15, 16)) == (
        "AOL-DEF-00528691 - AOL-DEF-00528693",
        "AOL-DEF-00528703",
        "AOL-DEF-00528705 - AOL-DEF-00528706",
    )
    assert page_ranges(doc, ()) == ()
