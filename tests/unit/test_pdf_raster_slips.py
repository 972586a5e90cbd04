"""Rendering a page within bounds, burning in the mark, and the slip sheet of a native."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.pdfgen import canvas

from gateway.pdf import raster
from gateway.pdf.imprint import MARK_KEY, imprint
from gateway.pdf.marks import Mark
from gateway.pdf.opening import Limits
from gateway.pdf.slips import NATIVE_NOTICE, Slip, slip_sheet
from tests.helpers import pdf_bytes, tiff_bytes

MARK = Mark(
    "José Witness",
    "witness@example.org",
    datetime(2020, 6, 26, tzinfo=UTC),
    "POGW-7-0123456789abcdef",
)


def _pdf(width: float, height: float) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(width, height), invariant=1)
    pdf.drawString(36, 36, "a very large page")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_page_is_rendered_at_110_dpi():
    image = raster.render_pdf_page(io.BytesIO(pdf_bytes(3)), 3)  # A4: 595 x 842 points
    assert image.mode == "RGB"
    assert abs(image.width - 595.276 / 72 * 110) <= 1
    assert abs(image.height - 841.89 / 72 * 110) <= 1


def test_a_huge_page_is_capped_in_pixels():
    image = raster.render_pdf_page(io.BytesIO(_pdf(14400, 14400)), 1)  # 200 x 200 inches
    assert image.width * image.height <= raster.MAX_PIXELS * 1.01


def test_a_page_past_the_end_of_the_file_is_missing():
    with pytest.raises(raster.PageMissing):
        raster.render_pdf_page(io.BytesIO(pdf_bytes(2)), 3)


def test_a_damaged_pdf_is_not_rendered():
    with pytest.raises(raster.Unrenderable):
        raster.render_pdf_page(io.BytesIO(b"%PDF-1.7\n not really a pdf"), 1)


def test_an_image_past_the_pixel_limit_is_refused_before_decoding():
    with pytest.raises(raster.Unrenderable, match="pixels"):
        raster.render_image_page(io.BytesIO(tiff_bytes(1)), 0, limits=Limits(max_pixels=100))


def test_a_frame_of_a_multi_page_tiff_is_rendered_and_a_missing_one_refused():
    assert raster.render_image_page(io.BytesIO(tiff_bytes(3)), 2).mode == "RGB"
    with pytest.raises(raster.PageMissing):
        raster.render_image_page(io.BytesIO(tiff_bytes(3)), 3)


def test_the_mark_is_in_the_pixels_and_the_token_in_the_text_chunk():
    page = Image.new("RGB", (935, 1210), "white")
    png = imprint(page, MARK)
    marked = Image.open(io.BytesIO(png))
    assert marked.text[MARK_KEY] == MARK.token
    assert marked.size == page.size
    pixels = marked.convert("RGB")
    changed = 935 * 1210 - pixels.convert("L").histogram()[255]
    # light: the page stays readable, but the line covers a visible band of it
    assert 0.002 < changed / (935 * 1210) < 0.2
    # the token is printed at the bottom, in dark ink
    bottom = pixels.crop((0, 1180, 935, 1210))
    assert bottom.convert("L").getextrema()[0] < 100


def test_the_slip_sheet_carries_bates_legend_file_and_notice():
    data = slip_sheet(
        Slip(
            bates="AOL-PLTF-00000009",
            legend="HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY",
            file_name="Presupuesto año 2018 — 東京.xlsx",
            file_type="spreadsheet (.xlsx)",
            caption="Al Otro Lado v. Wolf, No. 3:17-cv-2366",
        )
    )
    assert data == slip_sheet(
        Slip(
            "AOL-PLTF-00000009",
            "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY",
            "Presupuesto año 2018 — 東京.xlsx",
            "spreadsheet (.xlsx)",
            "Al Otro Lado v. Wolf, No. 3:17-cv-2366",
        )
    )
    pdf = pdfium.PdfDocument(data)
    try:
        assert len(pdf) == 1
        page = pdf[0]
        text = " ".join(page.get_textpage().get_text_range().split())
        page.close()
    finally:
        pdf.close()
    assert text.count("AOL-PLTF-00000009") == 2  # in the body and bottom right
    assert "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY" in text
    assert "Presupuesto año 2018" in text and ".xlsx" in text
    assert " ".join(NATIVE_NOTICE.split()[:6]) in text
