"""The forensic mark burned into a page image: part of its pixels, not a layer on top.

The mark's line runs diagonally across the page, light enough to read the page through,
and the token is printed small at the bottom, on a white strip, so that a photograph or a
screenshot of the page still names the audit entry. The token is also kept in the PNG's
text chunk (``MARK_KEY``), where a saved image carries it whole.
"""

from __future__ import annotations

import io
import math
import warnings

from PIL import Image, ImageDraw, ImageFont, ImageSequence, PngImagePlugin, TiffImagePlugin

from gateway.pdf.marks import Mark

MARK_KEY = "pogw-mark"
_DIAGONAL = (128, 128, 128, 70)  # grey, mostly transparent
_FOOTER = (60, 60, 60, 255)


def imprint(page: Image.Image, mark: Mark) -> bytes:
    """``page`` with ``mark`` burned in, as PNG bytes."""
    width, height = page.size
    marked = page.convert("RGBA")
    marked.alpha_composite(_diagonal(mark.line(), width, height))
    _footer(marked, mark.token)
    info = PngImagePlugin.PngInfo()
    info.add_text(MARK_KEY, mark.token)
    out = io.BytesIO()
    marked.convert("RGB").save(out, format="PNG", pnginfo=info, optimize=False)
    return out.getvalue()


def _diagonal(line: str, width: int, height: int) -> Image.Image:
    """The line, as large as fits along the page's diagonal, on a transparent layer."""
    diagonal = math.hypot(width, height)
    size = max(8, int(diagonal / max(len(line), 1) * 1.4))
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = (math.ceil(v) for v in font.getbbox(line))
    text = Image.new("RGBA", (right - left + 4, bottom - top + 4), (0, 0, 0, 0))
    ImageDraw.Draw(text).text((2 - left, 2 - top), line, font=font, fill=_DIAGONAL)
    angle = math.degrees(math.atan2(height, width))
    text = text.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    if text.width > width or text.height > height:
        text.thumbnail((width, height))
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    layer.alpha_composite(text, ((width - text.width) // 2, (height - text.height) // 2))
    return layer


def _footer(image: Image.Image, token: str) -> None:
    width, height = image.size
    size = max(8, min(14, width // 70))
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = (math.ceil(v) for v in font.getbbox(token))
    strip = bottom - top + 6
    draw = ImageDraw.Draw(image)
    x = max(2, (width - (right - left)) // 2)
    draw.rectangle((x - 3, height - strip - 2, x + right - left + 3, height - 1), fill="white")
    draw.text((x - left, height - strip + 1 - top), token, font=font, fill=_FOOTER)


class UnmarkableImage(ValueError):
    """A page image that cannot be read to be marked (it is then not served)."""


# a page image is read whole to be marked, as a page image is read to be branded
MAX_IMAGE_BYTES = 1 << 30


def mark_page_image(data: bytes, mark: Mark) -> bytes:
    """A produced page image (TIFF, every frame of a multi-page one; PNG; JPEG) as served:
    in its own format and resolution, with the mark's line at the foot of each frame in its
    pixels (a grayscale or colour page also gets the light diagonal), and the token in the
    image's own metadata (TIFF ImageDescription, PNG text ``MARK_KEY``, JPEG comment)."""
    if len(data) > MAX_IMAGE_BYTES:
        raise UnmarkableImage(f"a page image over {MAX_IMAGE_BYTES:,} bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with Image.open(io.BytesIO(data)) as opened:
                fmt = opened.format or "PNG"
                dpi = opened.info.get("dpi")
                frames = [
                    _marked_frame(frame.copy(), mark) for frame in ImageSequence.Iterator(opened)
                ]
    except (OSError, ValueError, SyntaxError, Warning, Image.DecompressionBombError) as exc:
        raise UnmarkableImage(f"not a readable page image ({type(exc).__name__})") from None
    out = io.BytesIO()
    options: dict[str, object] = {"dpi": dpi} if dpi else {}
    if fmt == "TIFF":
        described = TiffImagePlugin.ImageFileDirectory_v2()
        described[270] = mark.token
        options |= {"tiffinfo": described, "save_all": True, "append_images": frames[1:]}
        options["compression"] = "group4" if frames[0].mode == "1" else "tiff_lzw"
    elif fmt == "JPEG":
        options |= {"quality": 90, "comment": mark.token.encode("ascii")}
    else:
        fmt = "PNG"
        info = PngImagePlugin.PngInfo()
        info.add_text(MARK_KEY, mark.token)
        options["pnginfo"] = info
    frames[0].save(out, format=fmt, **options)
    return out.getvalue()


def _marked_frame(frame: Image.Image, mark: Mark) -> Image.Image:
    if frame.mode not in ("1", "L", "RGB"):
        frame = frame.convert("RGB")
    width, height = frame.size
    line = mark.line()
    if frame.mode != "1":  # a bilevel page has no light grey: the foot line only
        layer = frame.convert("RGBA")
        layer.alpha_composite(_diagonal(line, width, height))
        frame = layer.convert(frame.mode)
    draw = ImageDraw.Draw(frame)
    size = max(8, min(40, width // 90))
    font = ImageFont.load_default(size=size)
    while size > 8 and font.getlength(line) > width * 0.9:
        size -= 1
        font = ImageFont.load_default(size=size)
    left, top, right, bottom = (math.ceil(v) for v in font.getbbox(line))
    x = max(2, (width - (right - left)) // 2)
    y = height - (bottom - top) - max(2, height // 400)
    draw.text(
        (x - left, y - top), line, font=font, fill=0 if frame.mode in ("1", "L") else (0, 0, 0)
    )
    return frame
