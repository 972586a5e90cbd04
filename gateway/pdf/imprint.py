"""The forensic mark burned into a page image: part of its pixels, not a layer on top.

The mark's line runs diagonally across the page, light enough to read the page through,
and the token is printed small at the bottom, on a white strip, so that a photograph or a
screenshot of the page still names the audit entry. The token is also kept in the PNG's
text chunk (``MARK_KEY``), where a saved image carries it whole.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

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
