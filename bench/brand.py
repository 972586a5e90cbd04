"""Branding: milliseconds per page of burning in the Bates number and legend (ingest of
an unbranded volume) and of the re-designation band, against a bare pikepdf copy of the
same pages (open and save) in the same run.

Builds a 500-page PDF in memory (reportlab; a line of text per page), then times, five
times each: the copy (baseline), ``brand_pdf`` and ``band_pdf``, and for page images
``brand_image`` on a 300-dpi Group 4 letter page. Ends with a ``RESULT`` line: brand ms per
page and its ratio to the copy.

Run: .venv/bin/python bench/brand.py [--pages N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import pikepdf
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from gateway.pdf.brand import PageBrand, band_pdf, brand_image, brand_pdf


def _pdf(pages: int) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=letter, invariant=True)
    for number in range(1, pages + 1):
        pdf.drawString(72, 700, f"stand-in page {number} of a produced document")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _tiff() -> bytes:
    page = Image.new("1", (2550, 3300), 1)
    ImageDraw.Draw(page).text((300, 300), "a page image", fill=0)
    out = io.BytesIO()
    page.save(out, format="TIFF", compression="group4", dpi=(300, 300))
    return out.getvalue()


def _median_ms(run, times: int = 5) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=500)
    pages = parser.parse_args().pages
    source = _pdf(pages)
    brands = [
        PageBrand(f"AOL-DEF-{n:08d}", "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY")
        for n in range(1, pages + 1)
    ]

    def copy() -> None:
        with pikepdf.open(io.BytesIO(source)) as pdf:
            pdf.save(io.BytesIO())

    copy_ms = _median_ms(copy)
    brand_ms = _median_ms(lambda: brand_pdf(io.BytesIO(source), brands, io.BytesIO()))
    band_ms = _median_ms(
        lambda: band_pdf(
            io.BytesIO(source), ("AEO", "Designation changed on 2020-06-26"), io.BytesIO()
        )
    )
    tiff = _tiff()
    image_ms = _median_ms(lambda: brand_image(tiff, brands[0]))
    print(f"pages: {pages}")
    print(f"bare pikepdf copy: {copy_ms / pages:.3f} ms per page ({copy_ms:.0f} ms)")
    print(f"brand (Bates + legend): {brand_ms / pages:.3f} ms per page ({brand_ms:.0f} ms)")
    print(f"band (re-designation): {band_ms / pages:.3f} ms per page ({band_ms:.0f} ms)")
    print(f"brand one 300-dpi Group 4 page image: {image_ms:.1f} ms")
    print(
        f"RESULT brand ms_per_page={brand_ms / pages:.3f} pages={pages} "
        f"ratio={brand_ms / copy_ms:.2f} band_ms_per_page={band_ms / pages:.3f}"
    )


if __name__ == "__main__":
    main()
