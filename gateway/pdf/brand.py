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
from PIL import Image, ImageDraw, ImageFont, ImageOps
from reportlab.pdfbase.pdfmetrics import stringWidth

from gateway.pdf.marks import ascii_text as _ascii
from gateway.pdf.opening import DEFAULT_LIMITS, Limits, PdfRefused, open_pdf

FONT = "Helvetica-Bold"
SIZE = 9.0  # points
MARGIN = 18.0  # from the visible edge, points
BAND = 30.0  # the re-designation band's height (two lines), points
PAD = 2.0
_FONT_NAME = "/PogwBrand"


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
            _, _, width, _ = _display(box, rotate)
            font = _append_font(page)
            ops = _corner_labels(width, _ascii(brand.legend), _ascii(brand.bates), font)
            _append(pdf, page, _in_display(box, rotate, ops))
        pdf.save(out, deterministic_id=True)


def band_pdf(
    source: BinaryIO, lines: Sequence[str], out: BinaryIO, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Write ``source`` to ``out`` with a band of ``BAND`` points added above each page (as
    a reader sees it), carrying ``lines`` (at most two); the page's content is not covered."""
    texts = [_ascii(line) for line in lines][:2]
    with open_pdf(source, limits) as pdf:
        for page in pdf.pages:
            _, rotate = _visible(page)
            _grow(page, rotate)
            grown, _ = _visible(page)
            _, _, width, height = _display(grown, rotate)
            font = _append_font(page)
            base = height - BAND
            ops = [
                f"1 1 1 rg 0 {base:.2f} {width:.2f} {BAND:.2f} re f ",
                f"0 0 0 RG 0.5 w 0 {base:.2f} m {width:.2f} {base:.2f} l S ",
            ]
            for index, text in enumerate(texts):
                size = _fitting(text, width - 2 * MARGIN, SIZE)
                y = base + BAND - (index + 1) * (SIZE + 3) - 1
                ops.append(_text(font, size, MARGIN, y, text))
            _append(pdf, page, _in_display(grown, rotate, "".join(ops)))
        pdf.save(out, deterministic_id=True)


MIN_SIZE = 5.0  # points: the smallest a label is shrunk to before it is stacked
GAP = 12.0  # points between the legend and the Bates number


def _fitting(text: str, room: float, size: float) -> float:
    """``size``, or the size at which ``text`` fits in ``room`` points (not below MIN_SIZE)."""
    width = stringWidth(text, FONT, size)
    if width <= room or width == 0:
        return size
    return max(MIN_SIZE, size * room / width)


def _corner_labels(width: float, legend: str, bates: str, font: str) -> str:
    """The legend bottom left and the Bates number bottom right, each on a white ground;
    shrunk to fit side by side, and stacked (legend above) if even that does not fit."""
    room = width - 2 * MARGIN
    together = f"{legend}{' ' if legend else ''}{bates}"
    size = _fitting(together, room - (GAP if legend else 0), SIZE)
    side_by_side = stringWidth(together, FONT, size) + (GAP if legend else 0) <= room or not legend
    if side_by_side:
        ops = _label(font, size, width - MARGIN - stringWidth(bates, FONT, size), MARGIN, bates)
        if legend:
            ops += _label(font, size, MARGIN, MARGIN, legend)
        return ops
    bates_size = _fitting(bates, room, SIZE)
    legend_size = _fitting(legend, room, SIZE)
    x = width - MARGIN - stringWidth(bates, FONT, bates_size)
    return _label(font, bates_size, x, MARGIN, bates) + _label(
        font, legend_size, MARGIN, MARGIN + bates_size + 2 * PAD + 3, legend
    )


def _label(font: str, size: float, x: float, y: float, text: str) -> str:
    width = stringWidth(text, FONT, size)
    ground = (
        f"1 1 1 rg {x - PAD:.2f} {y - PAD - 2:.2f} {width + 2 * PAD:.2f} "
        f"{size + 2 * PAD + 1:.2f} re f "
    )
    return ground + _text(font, size, x, y, text)


def _text(font: str, size: float, x: float, y: float, text: str) -> str:
    return f"0 0 0 rg BT /{font} {size:.2f} Tf {x:.2f} {y:.2f} Td {_pdf_string(text)} Tj ET "


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


def _append_font(page: pikepdf.Page) -> str:
    """Helvetica-Bold in the page's resources under a name the page does not use yet."""
    resources = page.obj.get("/Resources")
    if resources is None:
        resources = page.obj.Resources = pikepdf.Dictionary()
    fonts = resources.get("/Font")
    if fonts is None:
        fonts = resources.Font = pikepdf.Dictionary()
    name, n = _FONT_NAME, 0
    while name in fonts:
        n += 1
        name = f"{_FONT_NAME}{n}"
    fonts[name] = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name("/" + FONT),
        Encoding=pikepdf.Name.WinAnsiEncoding,
    )
    return name.lstrip("/")


def _append(pdf: pikepdf.Pdf, page: pikepdf.Page, ops: str) -> None:
    """Our marks after the page's own content (neither decoded into new bytes nor
    rewritten), in a graphics state of their own: as many ``q`` before it as its content
    pops beyond what it pushes, as many ``Q`` after it as it leaves pushed."""
    depth = lowest = 0
    for instruction in pikepdf.parse_content_stream(page, "q Q"):
        depth += 1 if str(instruction.operator) == "q" else -1
        lowest = min(lowest, depth)
    pushes = 1 - lowest
    page.contents_add(pikepdf.Stream(pdf, b"q " * pushes + b"\n"), prepend=True)
    pops = pushes + depth
    page.contents_add(pikepdf.Stream(pdf, b"\n" + b"Q " * pops + b"\n" + ops.encode("latin-1")))


def _pdf_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"


# --- page images ------------------------------------------------------------------------------


def brand_image(data: bytes, brand: PageBrand) -> bytes:
    """A page image (TIFF, PNG, JPEG) with the Bates number and legend burned in, in its
    own format; PdfRefused if it cannot be read."""
    page = _open_image(data)
    image = page.image
    draw = ImageDraw.Draw(image)
    margin_x, margin_y = round(MARGIN / 72 * page.dpi[0]), round(MARGIN / 72 * page.dpi[1])
    room = image.width - 2 * margin_x
    legend, bates = _ascii(brand.legend), _ascii(brand.bates)
    font = _fitted_font(draw, f"{legend}    {bates}" if legend else bates, room, page.dpi[1])
    ink, ground = _inks(image)
    pad = max(2, round(PAD / 72 * page.dpi[1]))
    bottom = float(image.height - margin_y)
    bates_box = _ink_box(draw, bates, font)
    placed = [(bates, image.width - margin_x - bates_box[0], bottom - bates_box[1], font)]
    if legend:
        legend_font = font
        legend_box = _ink_box(draw, legend, font)
        if legend_box[0] + bates_box[0] + 4 * pad > room:  # stacked: the legend above
            legend_font = _fitted_font(draw, legend, room, page.dpi[1])
            legend_box = _ink_box(draw, legend, legend_font)
            bottom -= bates_box[1] + 3 * pad
        placed.append((legend, margin_x, bottom - legend_box[1], legend_font))
    for text, x, y, font in placed:
        left, top, right, low = draw.textbbox((x, y), text, font=font)
        draw.rectangle((left - pad, top - pad, right + pad, low + pad), fill=ground)
        draw.text((x, y), text, font=font, fill=ink)
    return _save_image(page, image)


def band_image(data: bytes, lines: Sequence[str]) -> bytes:
    """A page image grown by a band on top carrying ``lines`` (at most two); nothing of the
    page is covered."""
    page = _open_image(data)
    image = page.image
    band = round(BAND / 72 * page.dpi[1])
    ink, ground = _inks(image)
    grown = Image.new(image.mode, (image.width, image.height + band), ground)
    grown.paste(image, (0, band))
    draw = ImageDraw.Draw(grown)
    margin = round(MARGIN / 72 * page.dpi[0])
    line_height = band // 2
    for index, text in enumerate(_ascii(line) for line in list(lines)[:2]):
        font = _fitted_font(draw, text, grown.width - 2 * margin, page.dpi[1])
        left, top, _r, bottom = draw.textbbox((0, 0), text, font=font)
        y = index * line_height + (line_height - (bottom - top)) // 2 - top
        draw.text((margin - left, y), text, font=font, fill=ink)
    rule = max(1, round(page.dpi[1] / 144))
    draw.line((0, band - 1, grown.width, band - 1), fill=ink, width=rule)
    return _save_image(page, grown)


@dataclass
class _Page:
    image: Image.Image
    format: str
    dpi: tuple[float, float]  # horizontal and vertical: a fax page is 204 x 98
    extra: dict[str, object]  # kept on saving: the ICC profile


def _open_image(data: bytes) -> _Page:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow warns, rather than fails, on bad tags
            with Image.open(io.BytesIO(data)) as opened:
                fmt = opened.format or "PNG"
                if getattr(opened, "n_frames", 1) != 1:
                    raise PdfRefused("a page image of more than one frame cannot be branded")
                x_dpi, y_dpi = (float(v) or 300.0 for v in (opened.info.get("dpi") or (300, 300)))
                extra = (
                    {"icc_profile": opened.info["icc_profile"]}
                    if opened.info.get("icc_profile")
                    else {}
                )
                # the page as a reader sees it: a JPEG's EXIF orientation applied
                image = ImageOps.exif_transpose(opened) or opened.copy()
                image.load()
    except PdfRefused:
        raise
    except (OSError, ValueError, SyntaxError, Warning, Image.DecompressionBombError) as exc:
        raise PdfRefused(f"not a readable page image ({type(exc).__name__})") from None
    return _Page(_drawable(image), fmt, (x_dpi, y_dpi), extra)


def _drawable(image: Image.Image) -> Image.Image:
    """The image in a mode that can be drawn on and saved as it came: transparency laid
    on white (never on black), palettes and CMYK or 16-bit data made RGB or grayscale."""
    if image.mode in ("1", "L", "RGB"):
        return image
    if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba)
        return flat.convert("L" if image.mode in ("LA",) else "RGB")
    if image.mode.startswith("I") or image.mode == "F":
        return image.convert("L") if image.mode == "F" else _sixteen_to_eight(image)
    return image.convert("RGB")


def _sixteen_to_eight(image: Image.Image) -> Image.Image:
    return image.point(lambda value: value / 256).convert("L")


def _ink_box(draw: ImageDraw.ImageDraw, text: str, font: _Font) -> tuple[float, float]:
    left, _top, right, bottom = draw.textbbox((0, 0), text, font=font)
    return right - left, bottom


def _inks(image: Image.Image) -> tuple[int | tuple[int, int, int], int | tuple[int, int, int]]:
    if image.mode == "RGB":
        return (0, 0, 0), (255, 255, 255)
    if image.mode == "1":
        return 0, 1
    return 0, 255


_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _fitted_font(draw: ImageDraw.ImageDraw, text: str, room: int, dpi: float) -> _Font:
    """The label font at ``SIZE`` points, or smaller (not below ``MIN_SIZE``) to fit."""
    size = max(8, round(SIZE / 72 * dpi))
    font = ImageFont.load_default(size=size)
    width = draw.textlength(text, font=font)
    if width > room > 0:
        smallest = max(6, round(MIN_SIZE / 72 * dpi))
        font = ImageFont.load_default(size=max(smallest, int(size * room / width)))
    return font


def _save_image(page: _Page, image: Image.Image) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"dpi": page.dpi, **page.extra}
    if page.format == "TIFF":
        options["compression"] = "group4" if image.mode == "1" else "tiff_lzw"
    elif page.format == "JPEG":
        options["quality"] = 90  # a JPEG is re-encoded (lossy); every other format is not
    image.save(out, format=page.format, **options)
    return out.getvalue()
