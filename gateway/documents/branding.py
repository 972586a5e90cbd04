"""Branding of a document's files, once per version (BRIEF §7): what carries a legend,
which legend a tier has, and the branded bytes of one file.

The workflows that call this: ingest of a volume whose images arrived unbranded
(``brand_file``), and a change of designation (``gateway.documents.rebranding``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import BinaryIO

from gateway.bates import parse_bates
from gateway.designations import TierLike
from gateway.pdf.brand import BAND, PageBrand, band_image, band_pdf, brand_image, brand_pdf
from gateway.pdf.opening import PdfRefused

PDF = "application/pdf"
# a file read whole to be branded: a page image, or one document's PDF
MAX_BRANDED_BYTES = 1 << 30


def brandable(role: str, media_type: str) -> bool:
    """A page image, or a native that is a PDF: the files whose pages carry a legend."""
    return role == "image" or (role == "native" and media_type == PDF)


def legends(tiers: Iterable[TierLike]) -> dict[str, str]:
    """Tier code -> the legend its pages carry (blank for a tier without one: PUBLIC)."""
    return {t.code: t.legend for t in tiers}


def legend_for(legend_of: Mapping[str, str], code: str) -> str:
    """The legend of ``code``; a tier the order does not know is refused, never guessed."""
    if code not in legend_of:
        raise PdfRefused(f"designation {code} is not a tier of the matter's order: no legend")
    return legend_of[code]


def page_numbers(bates_begin: str, count: int) -> list[str]:
    begin = parse_bates(bates_begin)
    return [begin.format(begin.number + i) for i in range(count)]


def brand_file(
    handle: BinaryIO,
    *,
    role: str,
    media_type: str,
    bates_begin: str,
    page_count: int,
    page_no: int | None,
    legend: str,
) -> bytes:
    """The file's bytes with the Bates number and legend burned into each page: a PDF
    native page for page over the document's Bates range, a page image at its page's
    number. PdfRefused with the reason if it cannot be done."""
    if role == "native":
        out = io.BytesIO()
        numbers = page_numbers(bates_begin, page_count)
        brand_pdf(handle, [PageBrand(n, legend) for n in numbers], out)
        return out.getvalue()
    number = page_numbers(bates_begin, page_no or 1)[-1]
    return brand_image(read_bounded(handle), PageBrand(number, legend))


def band_file(handle: BinaryIO, *, role: str, lines: tuple[str, str]) -> bytes:
    """The file's bytes with a band above each page carrying ``lines`` (a re-designation)."""
    if role == "native":
        out = io.BytesIO()
        band_pdf(handle, lines, out)
        return out.getvalue()
    return band_image(read_bounded(handle), lines)


def band_text(new_legend: str, old_legend: str, on: str) -> tuple[str, str]:
    """What the band says, on two lines: the legend now in force; since when, and the
    legend (burned into the page below) that it replaces."""
    now = new_legend or "PUBLIC (no longer designated)"
    was = old_legend or "no designation"
    return now, f"Designation changed on {on}; this supersedes the legend below ({was})."


def read_bounded(handle: BinaryIO) -> bytes:
    """A whole file read for branding: PdfRefused, saying so, past ``MAX_BRANDED_BYTES``."""
    data = handle.read(MAX_BRANDED_BYTES + 1)
    if len(data) > MAX_BRANDED_BYTES:
        raise PdfRefused(f"a file over {MAX_BRANDED_BYTES:,} bytes cannot be branded")
    return data


__all__ = [
    "BAND",
    "MAX_BRANDED_BYTES",
    "band_file",
    "band_text",
    "brand_file",
    "brandable",
    "legend_for",
    "legends",
    "page_numbers",
    "read_bounded",
]
