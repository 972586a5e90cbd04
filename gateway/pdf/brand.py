"""Branding: the Bates number (bottom right) and the designation's legend (bottom left)
burned into each page, once per version (BRIEF §7), never at serve time.

Two operations, on PDFs and on page images alike:

- ``brand``: for a volume whose load file says its images are unbranded, the Bates number
  and legend drawn on each page, each on a white ground so it reads over any content;
- ``band``: for a re-designated document, a band added *above* each page (the page grows;
  nothing of it is covered) carrying the new legend and what it replaces, since a legend
  the producer burned into its images cannot be taken out of them.

PDF pages keep their content stream untouched: a small stream is appended (and the
standard Helvetica-Bold font added to the page's resources), positioned through the
page's /Rotate and visible box, so the mark sits where a reader sees bottom right.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

import pikepdf
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfbase.pdfmetrics import stringWidth

from gateway.pdf.marks import ascii_text as _ascii
from gateway.pdf.opening import DEFAULT_LIMITS, Limits, PdfRefused, open_pdf

FONT = "Helvetica-Bold"
SIZE = 9.0  # points
MARGIN = 18.0  # from the visible edge, points
BAND = 22.0  # the re-designation band's height, points
PAD = 2.0
_FONT_NAME = pikepdf.Name("/PogwBrand")


@dataclass(frozen=True)
class PageBrand:
    """What one page carries: its Bates number and the legend (may be blank: PUBLIC)."""

    bates: str
    legend: str


# --- PDF ------------------------------------------------------------------------------------


def brand_pdf(
    source: BinaryIO, pages: Sequence[PageBrand], out: BinaryIO, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Write ``source`` to ``out`` with each page's Bates number and legend burned in.
    PdfRefused if the PDF cannot be read, or has another number of pages than ``pages``."""
    with open_pdf(source, limits) as pdf:
        _check_count(pdf, len(pages))
        for page, brand in zip(pdf.pages, pages, strict=True):
            box, rotate = _visible(page)
            ops = []
            if brand.legend:
                ops.append(_label(box, rotate, _ascii(brand.legend), right=False))
            ops.append(_label(box, rotate, _ascii(brand.bates), right=True))
            _append(pdf, page, "".join(ops))
        pdf.save(out, deterministic_id=True)


def band_pdf(source: BinaryIO, text: str, out: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> None:
    """Write ``source`` to ``out`` with a band of ``BAND`` points added above each page (as
    a reader sees it), carrying ``text``; the page's own content is not covered."""
    with open_pdf(source, limits) as pdf:
        line = _ascii(text)
        for page in pdf.pages:
            _, rotate = _visible(page)
            _grow(page, rotate)
            grown, _ = _visible(page)
            x0, y0, x1, y1 = _display(grown, rotate)
            width, height = x1 - x0, y1 - y0
            fill = f"1 1 1 rg 0 {height - BAND:.2f} {width:.2f} {BAND:.2f} re f "
            rule = f"0 0 0 RG 0.5 w 0 {height - BAND:.2f} m {width:.2f} {height - BAND:.2f} l S "
            text_op = (
                f"0 0 0 rg BT {_FONT_NAME} {SIZE} Tf {MARGIN:.2f} "
                f"{height - BAND + (BAND - SIZE) / 2 + 1:.2f} Td {_pdf_string(line)} Tj ET "
            )
            _append(pdf, page, _in_display(grown, rotate, fill + rule + text_op))
        pdf.save(out, deterministic_id=True)


def _check_count(pdf: pikepdf.Pdf, expected: int) -> None:
    if len(pdf.pages) != expected:
        raise PdfRefused(
            f"the PDF has {len(pdf.pages)} pages but its Bates range numbers {expected}"
        )


def _visible(page: pikepdf.Page) -> tuple[tuple[float, float, float, float], int]:
    """The visible box (CropBox, else MediaBox) normalised, and /Rotate in 0, 90, 180, 270."""
    raw = page.obj.get("/CropBox") or page.obj.get("/MediaBox")
    if raw is None:
        raw = page.mediabox
    a, b, c, d = (float(v) for v in raw)
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    if rotate not in (0, 90, 180, 270):
        raise PdfRefused(f"a page rotated by {rotate} degrees (not a multiple of 90)")
    return (min(a, c), min(b, d), max(a, c), max(b, d)), rotate


def _display(box: tuple[float, float, float, float], rotate: int) -> tuple[float, ...]:
    """The box as a reader sees it: (0, 0, width, height) after the rotation."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (0.0, 0.0, h, w) if rotate in (90, 270) else (0.0, 0.0, w, h)


def _matrix(box: tuple[float, float, float, float], rotate: int) -> str:
    """The cm matrix from display coordinates (origin bottom left as seen) to user space."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    a, b, c, d, e, f = {
        0: (1, 0, 0, 1, x0, y0),
        90: (0, 1, -1, 0, x0 + w, y0),
        180: (-1, 0, 0, -1, x0 + w, y0 + h),
        270: (0, -1, 1, 0, x0, y0 + h),
    }[rotate]
    return f"{a} {b} {c} {d} {e:.2f} {f:.2f} cm "


def _in_display(box: tuple[float, float, float, float], rotate: int, ops: str) -> str:
    return f"q {_matrix(box, rotate)}{ops}Q\n"


def _label(box: tuple[float, float, float, float], rotate: int, text: str, *, right: bool) -> str:
    _, _, width, _ = _display(box, rotate)
    text_width = stringWidth(text, FONT, SIZE)
    x = width - MARGIN - text_width if right else MARGIN
    y = MARGIN
    ground = (
        f"1 1 1 rg {x - PAD:.2f} {y - PAD - 2:.2f} {text_width + 2 * PAD:.2f} "
        f"{SIZE + 2 * PAD + 1:.2f} re f "
    )
    ink = f"0 0 0 rg BT {_FONT_NAME} {SIZE} Tf {x:.2f} {y:.2f} Td {_pdf_string(text)} Tj ET "
    return _in_display(box, rotate, ground + ink)


def _grow(page: pikepdf.Page, rotate: int) -> None:
    """Extend the page's MediaBox and CropBox by ``BAND`` on the side a reader sees on top."""
    for key in ("/MediaBox", "/CropBox"):
        if key not in page.obj:
            continue
        a, b, c, d = (Decimal(str(float(v))) for v in page.obj[key])
        x0, y0, x1, y1 = min(a, c), min(b, d), max(a, c), max(b, d)
        band = Decimal(str(BAND))
        if rotate == 0:
            y1 += band
        elif rotate == 90:
            x0 -= band
        elif rotate == 180:
            y0 -= band
        else:
            x1 += band
        page.obj[key] = pikepdf.Array([x0, y0, x1, y1])


def _append(pdf: pikepdf.Pdf, page: pikepdf.Page, ops: str) -> None:
    resources = page.obj.get("/Resources")
    if resources is None:
        resources = page.obj.Resources = pikepdf.Dictionary()
    fonts = resources.get("/Font")
    if fonts is None:
        fonts = resources.Font = pikepdf.Dictionary()
    fonts[_FONT_NAME] = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name("/" + FONT),
        Encoding=pikepdf.Name.WinAnsiEncoding,
    )
    # the page's own content (not decoded, not rewritten) wrapped in q/Q, so that a
    # graphics state it leaves set cannot move ours
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"\nQ\n" + ops.encode("latin-1")))


def _pdf_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"


# --- page images ------------------------------------------------------------------------------


def brand_image(data: bytes, brand: PageBrand) -> bytes:
    """A page image (TIFF, PNG, JPEG) with the Bates number and legend burned in, in its
    own format; PdfRefused if it cannot be read."""
    image, fmt, dpi = _open_image(data)
    draw = ImageDraw.Draw(image)
    font, margin = _image_font(dpi), round(MARGIN / 72 * dpi)
    ink, ground = _inks(image)
    for text, right in ((_ascii(brand.legend), False), (_ascii(brand.bates), True)):
        if not text:
            continue
        left, top, r, bottom = draw.textbbox((0, 0), text, font=font)
        w, h = r - left, bottom - top
        x = image.width - margin - w if right else margin
        y = image.height - margin - h
        pad = max(2, round(PAD / 72 * dpi))
        draw.rectangle((x - pad, y - pad, x + w + pad, y + h + pad), fill=ground)
        draw.text((x - left, y - top), text, font=font, fill=ink)
    return _save_image(image, fmt, dpi)


def band_image(data: bytes, text: str) -> bytes:
    """A page image grown by a band on top carrying ``text``; nothing of it covered."""
    image, fmt, dpi = _open_image(data)
    band = round(BAND / 72 * dpi)
    ink, ground = _inks(image)
    grown = Image.new(image.mode, (image.width, image.height + band), ground)
    grown.paste(image, (0, band))
    draw = ImageDraw.Draw(grown)
    font, margin = _image_font(dpi), round(MARGIN / 72 * dpi)
    left, top, _r, bottom = draw.textbbox((0, 0), _ascii(text), font=font)
    draw.text(
        (margin - left, (band - (bottom - top)) // 2 - top), _ascii(text), font=font, fill=ink
    )
    draw.line((0, band - 1, grown.width, band - 1), fill=ink, width=max(1, round(dpi / 144)))
    return _save_image(grown, fmt, dpi)


def _open_image(data: bytes) -> tuple[Image.Image, str, float]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow warns, rather than fails, on bad tags
            with Image.open(io.BytesIO(data)) as opened:
                fmt = opened.format or "PNG"
                if getattr(opened, "n_frames", 1) != 1:
                    raise PdfRefused("a page image of more than one frame cannot be branded")
                dpi = float((opened.info.get("dpi") or (300, 300))[0]) or 300.0
                image = opened.copy()
    except PdfRefused:
        raise
    except (OSError, ValueError, SyntaxError, Warning, Image.DecompressionBombError) as exc:
        raise PdfRefused(f"not a readable page image ({type(exc).__name__})") from None
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    return image, fmt, dpi


def _inks(image: Image.Image) -> tuple[int | tuple[int, int, int], int | tuple[int, int, int]]:
    if image.mode == "RGB":
        return (0, 0, 0), (255, 255, 255)
    if image.mode == "1":
        return 0, 1
    return 0, 255


def _image_font(dpi: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, round(SIZE / 72 * dpi)))


def _save_image(image: Image.Image, fmt: str, dpi: float) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"dpi": (dpi, dpi)}
    if fmt == "TIFF":
        options["compression"] = "group4" if image.mode == "1" else "tiff_lzw"
    elif fmt == "JPEG":
        options["quality"] = 90
    image.save(out, format=fmt, **options)
    return out.getvalue()
