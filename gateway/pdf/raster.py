"""One page as a bounded image: a page of a PDF (pypdfium2) or a page image (Pillow).

What is shown to a view-only user is never the file, only pixels made here: at most
``DPI`` and at most ``MAX_PIXELS``, whatever the page's size. A PDF is checked before
pdfium reads it (encrypted, damaged, a page image that would decode to more pixels than
``Limits.max_pixels``) on the page shown only, so that showing page 3 of a long document
does not read all of it.
"""

from __future__ import annotations

import math
from typing import BinaryIO

import pikepdf
import pypdfium2 as pdfium
from PIL import Image

from gateway.pdf.opening import DEFAULT_LIMITS, Limits
from gateway.pdf.pdfium_lock import PDFIUM as _PDFIUM

DPI = 110
MAX_PIXELS = 3_000_000  # a letter page at 110 dpi is about 1.1 million


class Unrenderable(ValueError):
    """A stored page the gateway will not render, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PageMissing(Unrenderable):
    """The file has no such page (fewer pages than the document's record says)."""


def render_pdf_page(
    handle: BinaryIO, page_no: int, *, dpi: int = DPI, limits: Limits = DEFAULT_LIMITS
) -> Image.Image:
    """Page ``page_no`` (1-based) of the PDF read from the seekable ``handle``, as RGB."""
    _check_pdf_page(handle, page_no, limits)
    handle.seek(0)
    with _PDFIUM:
        document = pdfium.PdfDocument(handle)
        try:
            page = document[page_no - 1]
            width, height = page.get_size()
            ppi = _ppi(width / 72, height / 72, dpi)
            bitmap = page.render(scale=ppi / 72, may_draw_forms=False)
            image = bitmap.to_pil().convert("RGB")
            page.close()
        finally:
            document.close()
    return image


def render_image_page(
    handle: BinaryIO, frame: int = 0, *, dpi: int = DPI, limits: Limits = DEFAULT_LIMITS
) -> Image.Image:
    """Frame ``frame`` (0-based; a multi-page TIFF holds several) of a page image, as RGB
    scaled to ``dpi`` (its own resolution, 300 dpi if it states none) within the cap."""
    try:
        image = Image.open(handle)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Unrenderable("the page image cannot be read") from None
    _check_pixels(image, limits)
    try:
        image.seek(frame)
    except EOFError:
        raise PageMissing("the page image file has fewer pages than the document") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Unrenderable("the page image cannot be read") from None
    _check_pixels(image, limits)  # each frame of a TIFF has its own size
    inches = (image.size[0] / _dpi_of(image), image.size[1] / _dpi_of(image))
    ppi = _ppi(*inches, dpi)
    target = (max(1, round(inches[0] * ppi)), max(1, round(inches[1] * ppi)))
    try:
        image.draft("RGB", target)  # JPEG: decode at a reduced size straight away
        return image.convert("RGB").resize(target, Image.Resampling.LANCZOS)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Unrenderable("the page image cannot be decoded") from None


def _check_pixels(image: Image.Image, limits: Limits) -> None:
    """Before anything is decoded: the header's size is all that has been read."""
    pixels = image.size[0] * image.size[1]
    if pixels > limits.max_pixels:
        raise Unrenderable(f"a page image of {pixels:,} pixels; at most {limits.max_pixels:,}")


def _dpi_of(image: Image.Image) -> float:
    found = image.info.get("dpi")
    try:
        value = float(found[0]) if found else 0.0
    except (TypeError, ValueError, IndexError):
        value = 0.0
    return value if 36 <= value <= 2400 else 300.0


def _ppi(width_in: float, height_in: float, dpi: int) -> float:
    """Pixels per inch for a page of these inches: ``dpi``, less if it would pass the cap."""
    area = max(width_in * height_in, 1e-6)
    return min(float(dpi), math.sqrt(MAX_PIXELS / area))


def _check_pdf_page(handle: BinaryIO, page_no: int, limits: Limits) -> None:
    try:
        pdf = pikepdf.open(handle)
    except pikepdf.PasswordError:
        raise Unrenderable("the stored PDF is encrypted") from None
    except pikepdf.PdfError:
        raise Unrenderable("the stored PDF cannot be read") from None
    with pdf:
        if pdf.is_encrypted:
            raise Unrenderable("the stored PDF is encrypted")
        if not 1 <= page_no <= len(pdf.pages):
            raise PageMissing(f"the stored PDF has {len(pdf.pages)} pages")
        page = pdf.pages[page_no - 1]
        for name, image in _images(page):
            pixels = int(image.get("/Width", 0)) * int(image.get("/Height", 0))
            if pixels > limits.max_pixels:
                raise Unrenderable(
                    f"an image of {pixels:,} pixels on the page ({name}); at most "
                    f"{limits.max_pixels:,}"
                )


def _images(page: pikepdf.Page) -> list[tuple[str, pikepdf.Object]]:
    try:
        return [(str(name), image) for name, image in page.get_images().items()]
    except (pikepdf.PdfError, KeyError, TypeError):
        raise Unrenderable("the page's images cannot be read") from None
