"""The privilege log's PDF with very long cells (``privilege_log_files``): a table row never
splits across pages, so a cell over ``CELL_LIMIT`` characters is cut, with a note that the
whole is in the CSV and JSON log; a log reportlab still cannot lay out is a clear error."""

from __future__ import annotations

from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest

from gateway.orders.privilege_log_files import CELL_LIMIT, LogNotLaidOut, cut, to_csv, to_pdf
from gateway.orders.privilege_log_rows import LogRow, PrivilegeLog

WHEN = datetime(2020, 1, 1, tzinfo=UTC)


def _log(basis: str, *, every_cell: str = "") -> PrivilegeLog:
    long = every_cell or None
    row = LogRow(
        clawback=1,
        bates_begin="AOL-DEF-00000001",
        bates_end="AOL-DEF-00000002",
        doc_date=long or "2018-12-03",
        author=(long or "Organizer",),
        recipients=(long or "Team",),
        custodian=long or "Organizer",
        description=long or "Document, 2 pages",
        described_by="gateway",
        privilege=long or "law enforcement privilege",
        basis=basis,
        claimant=long or "Defendants",
        status=long or "pending",
        order_docket="",
        order_date=None,
        noticed_at=WHEN,
        withheld=long or "in full",
        pages_withheld=(),
        withheld_ranges=(),
    )
    return PrivilegeLog("X v. Y", "1:19-cv-1", "S.D. Cal.", WHEN, "a@b.example", (row,), 1)


def _text(data: bytes) -> str:
    pdf = pdfium.PdfDocument(data)
    try:
        return " ".join(
            " ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))
        )
    finally:
        pdf.close()


def test_a_cell_over_the_limit_is_cut_with_a_note():
    assert cut("x" * CELL_LIMIT) == "x" * CELL_LIMIT
    cut_text = cut("word " * 1000)
    assert cut_text.startswith("word word") and len(cut_text) < CELL_LIMIT + 120
    assert cut_text.endswith(
        f"[cut at {CELL_LIMIT} of 5000 characters: the full text is in the CSV and JSON log]"
    )


def test_a_20000_character_basis_makes_a_pdf_and_the_csv_keeps_it_whole():
    basis = "".join(f"w{i:05d} " for i in range(2_858))[:20_000]
    text = _text(to_pdf(_log(basis)))
    assert "w00000" in text and "w00080" in text
    assert "w02000" not in text  # past the cut
    assert "the full text is in the CSV and JSON log" in text
    assert basis.strip() in to_csv(_log(basis)).decode("utf-8-sig")


def test_a_row_with_every_cell_at_the_limit_is_laid_out():
    """The narrowest column (the date) at the limit is the tallest cell a row can have."""
    data = to_pdf(_log("b" * 5000, every_cell="z " * 2000))
    assert "the full text is in the CSV and JSON log" in _text(data)


def test_a_log_reportlab_cannot_lay_out_is_a_clear_error():
    with pytest.raises(LogNotLaidOut) as refused:
        to_pdf(_log("word " * 4000), cell_limit=None)
    assert refused.value.status == 422
    assert refused.value.message.startswith("the privilege log cannot be laid out as a PDF")
    assert "the CSV and JSON log carry every entry in full" in refused.value.message
