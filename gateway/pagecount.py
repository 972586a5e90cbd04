"""How many pages a produced file really has, when its format has pages (PDF, TIFF).

A Bates range is checked against this count, so that a one-page file cannot claim a
range of millions of numbers. Files of other kinds (spreadsheets, e-mail, media) have no
page count here: the caller decides what range they may take.
"""

from __future__ import annotations

import io
import warnings
from typing import BinaryIO

import pikepdf
from PIL import Image, UnidentifiedImageError

PDF_MAGIC = b"%PDF-"
TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF
# A multi-page TIFF is walked frame by frame: refuse one claiming an absurd count.
MAX_TIFF_FRAMES = 100_000


class PageCountError(ValueError):
    """The file says it is a PDF or TIFF but cannot be read as one."""


def count_pages(handle: BinaryIO) -> int | None:
    """The pages of a PDF or TIFF read from the seekable ``handle``; None for other kinds."""
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(PDF_MAGIC):
        return _pdf_pages(handle)
    if head[:4] in TIFF_MAGICS:
        return _tiff_pages(handle)
    return None


def _pdf_pages(handle: BinaryIO) -> int:
    try:
        with pikepdf.open(handle) as pdf:
            return len(pdf.pages)
    except pikepdf.PasswordError:
        raise PageCountError("an encrypted PDF whose pages cannot be read") from None
    except pikepdf.PdfError:
        raise PageCountError("not a readable PDF") from None


def _tiff_pages(handle: BinaryIO) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow warns, rather than fails, on bad tags
            with Image.open(handle, formats=["TIFF"]) as image:
                frames = getattr(image, "n_frames", 1)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning):
        raise PageCountError("not a readable TIFF") from None
    if not 1 <= frames <= MAX_TIFF_FRAMES:
        raise PageCountError(f"a TIFF of {frames} pages; at most {MAX_TIFF_FRAMES}")
    return int(frames)


def count_pages_of(data: bytes) -> int | None:
    """:func:`count_pages` of bytes in memory."""
    return count_pages(io.BytesIO(data))
