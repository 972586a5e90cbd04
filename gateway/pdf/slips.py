"""The slip sheet of a document produced in native form: one branded page in its place.

A spreadsheet, an e-mail file or a recording has no pages to stamp, so where its native is
not handed over the gateway serves this page instead: the Bates number (bottom right, as on
every produced page), the legend of the designation the user is served under, the native's
file name and type, and what became of the native.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

NATIVE_NOTICE = (
    "Produced in native form; the native file is available only where the protective "
    "order allows its download."
)
_BODY, _BOLD = "Helvetica", "Helvetica-Bold"


@dataclass(frozen=True)
class Slip:
    bates: str
    legend: str  # the designation's legend ("" for material not designated)
    file_name: str
    file_type: str  # "spreadsheet (.xlsx)"
    caption: str = ""  # the case, as the matter names it


def slip_sheet(slip: Slip) -> bytes:
    """The slip sheet as a one-page PDF (the same bytes for the same slip)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    pdf.setTitle(f"Slip sheet {_latin(slip.bates)}")
    width, height = letter
    y = height - 96
    if slip.caption:
        y = _lines(pdf, _latin(slip.caption), _BODY, 10, 72, y, width - 144)
        y -= 18
    pdf.setFont(_BOLD, 22)
    pdf.drawCentredString(width / 2, y - 40, "SLIP SHEET")
    y -= 90
    y = _field(pdf, "Bates number", slip.bates, y, width)
    y = _field(pdf, "File name", slip.file_name, y, width)
    y = _field(pdf, "File type", slip.file_type, y, width)
    y -= 12
    _lines(pdf, NATIVE_NOTICE, _BODY, 12, 72, y, width - 144)
    if slip.legend:
        pdf.setFont(_BOLD, 10)
        pdf.drawString(72, 40, _latin(slip.legend))
    pdf.setFont(_BOLD, 10)
    pdf.drawRightString(width - 72, 40, _latin(slip.bates))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _field(pdf: canvas.Canvas, label: str, value: str, y: float, width: float) -> float:
    pdf.setFont(_BOLD, 12)
    pdf.drawString(72, y, f"{label}:")
    return _lines(pdf, _latin(value), _BODY, 12, 180, y, width - 252) - 8


def _lines(
    pdf: canvas.Canvas, text: str, font: str, size: int, x: float, y: float, room: float
) -> float:
    """``text`` wrapped to ``room`` points from (x, y) down, at most 6 lines; the next y."""
    pdf.setFont(font, size)
    lines = simpleSplit(text, font, size, room) or [""]
    for line in lines[:6]:
        pdf.drawString(x, y, line)
        y -= size + 4
    return y


def _latin(text: str) -> str:
    """What the standard PDF fonts can draw: other characters as '?'."""
    return "".join(c if c.isprintable() and ord(c) < 256 else "?" for c in text)
