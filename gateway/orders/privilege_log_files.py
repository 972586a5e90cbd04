"""The privilege log as files: CSV (RFC 4180, UTF-8 with a byte-order mark, safe to open in
a spreadsheet) and PDF (a landscape table with the case caption, the date generated and
page numbers)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, legal
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus.doctemplate import LayoutError

from gateway.errors import Invalid
from gateway.orders.privilege_log_rows import COLUMNS, PrivilegeLog

BOM = "\ufeff"
# a spreadsheet reads a cell beginning with one of these as a formula (or strips it)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading formula character is quoted by '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(log: PrivilegeLog) -> bytes:
    buffer = io.StringIO()
    # RFC 4180: CRLF line ends, fields with commas, quotes or line breaks quoted
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([title for _key, title in COLUMNS])
    for row in log.rows:
        cells = row.cells()
        writer.writerow([safe_cell(cells[key]) for key, _title in COLUMNS])
    return (BOM + buffer.getvalue()).encode("utf-8")


# the PDF's columns: all of them but the Bates end (shown with the begin) and the order's
# text (shown with the status), so the table fits a landscape legal page
_PDF_WIDTHS = {
    "bates": 1.35,
    "date": 0.75,
    "author": 1.2,
    "recipients": 1.2,
    "custodian": 1.0,
    "description": 1.0,
    "privilege": 1.0,
    "basis": 1.75,
    "claimant": 0.95,
    "status": 1.0,
    "pages_withheld": 1.3,
}
_PDF_TITLES = {
    "bates": "Bates range",
    "date": "Date",
    "author": "Author",
    "recipients": "Recipients",
    "custodian": "Custodian",
    "description": "Description",
    "privilege": "Privilege asserted",
    "basis": "Basis",
    "claimant": "Asserted by",
    "status": "Status",
    "pages_withheld": "Withheld",
}


def _pdf_cells(cells: dict[str, str]) -> dict[str, str]:
    status = cells["status"] + (f" ({cells['order']})" if cells["order"] else "")
    withheld = cells["withheld"] + (
        f": {cells['pages_withheld']}" if cells["pages_withheld"] else ""
    )
    return {
        "bates": cells["bates_begin"]
        + (f" - {cells['bates_end']}" if cells["bates_end"] != cells["bates_begin"] else ""),
        "date": cells["date"],
        "author": cells["author"],
        "recipients": cells["recipients"],
        "custodian": cells["custodian"],
        "description": cells["description"],
        "privilege": cells["privilege"],
        "basis": cells["basis"],
        "claimant": cells["claimant"],
        "status": status,
        "pages_withheld": withheld,
    }


# a table row never splits across pages: a cell longer than this (a claim's basis of a few
# thousand characters) would make its row taller than a page, so the PDF shows the start
# of it and says where the whole is
CELL_LIMIT = 600
CUT_NOTE = "[cut at {limit} of {length} characters: the full text is in the CSV and JSON log]"


class LogNotLaidOut(Invalid):
    """The PDF cannot be laid out: refused, and no generation of it is recorded."""


def cut(text: str, limit: int | None = CELL_LIMIT) -> str:
    """``text``, or its first ``limit`` characters and a note of where the whole is."""
    if limit is None or len(text) <= limit:
        return text
    return text[:limit].rstrip() + " ... " + CUT_NOTE.format(limit=limit, length=len(text))


def to_pdf(log: PrivilegeLog, *, cell_limit: int | None = CELL_LIMIT) -> bytes:
    """Laid out twice: the first pass counts the pages, so that each says "Page n of N".
    ``LogNotLaidOut`` if reportlab cannot lay it out (a cell too tall for a page)."""
    try:
        pages = _layout(log, total=None, cell_limit=cell_limit)[1]
        return _layout(log, total=pages, cell_limit=cell_limit)[0]
    except LayoutError as exc:
        raise LogNotLaidOut(
            "the privilege log cannot be laid out as a PDF (an entry is too long for a "
            f"page: {str(exc)[:120]}); the CSV and JSON log carry every entry in full"
        ) from None


_SIZE = landscape(legal)
_MARGIN = 0.4 * inch


def _layout(log: PrivilegeLog, *, total: int | None, cell_limit: int | None) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=_SIZE,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=0.5 * inch,
        bottomMargin=0.6 * inch,
        title=f"Privilege log, {log.case_number}",
        invariant=1,
    )
    footer = f"{log.case_number} - privilege log generated {log.generated_at.date().isoformat()}"
    seen = [0]

    def number(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        page = canvas.getPageNumber()
        seen[0] = max(seen[0], page)
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(_MARGIN, 0.35 * inch, footer)
        of = f" of {total}" if total else ""
        canvas.drawRightString(_SIZE[0] - _MARGIN, 0.35 * inch, f"Page {page}{of}")
        canvas.restoreState()

    doc.build(_story(log, cell_limit), onFirstPage=number, onLaterPages=number)
    return buffer.getvalue(), seen[0]


def _story(log: PrivilegeLog, cell_limit: int | None) -> list[Any]:
    styles = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=7, leading=8.5)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    keys = list(_PDF_WIDTHS)
    data: list[Sequence[Paragraph]] = [[Paragraph(_escape(_PDF_TITLES[k]), head) for k in keys]]
    for row in log.rows:
        shown = _pdf_cells(row.cells())
        data.append([Paragraph(_escape(cut(shown[k], cell_limit)), cell) for k in keys])
    table = LongTable(data, colWidths=[_PDF_WIDTHS[k] * inch for k in keys], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [
        Paragraph(_escape(log.caption), styles["Title"]),
        Paragraph(_escape(f"{log.court}, No. {log.case_number}"), styles["Normal"]),
        Paragraph(
            _escape(
                "Privilege log (FRCP 26(b)(5)(A)) of material withheld, clawed back or "
                f"redacted. Generated {log.generated_at.isoformat(timespec='seconds')} "
                f"for {log.generated_for}; {len(log.rows)} entries."
            ),
            styles["Normal"],
        ),
        Spacer(1, 0.15 * inch),
        table if log.rows else Paragraph("No material is withheld.", styles["Normal"]),
    ]


# format -> (render, media type)
FILES: dict[str, tuple[Callable[[PrivilegeLog], bytes], str]] = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "pdf": (to_pdf, "application/pdf"),
}


def _escape(text: str) -> str:
    """Paragraph text is reportlab's mark-up: the log's text is shown as it is."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
