"""Opening a PDF the gateway is to change, within bounds, and refusing it with a reason.

Refused: an encrypted PDF (its content cannot be checked), one qpdf can read only by
repairing it (corrupt or truncated: what it would make of it is a guess), more pages
than the limit, and a decompression bomb (a stream that inflates past the limit, or an
image whose pixels would). ``active_content`` names what a served or redacted copy must
not carry along (JavaScript, attachments, forms, ...).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf

MIB = 1 << 20


class PdfRefused(ValueError):
    """A PDF the gateway will not change, with the reason (said to the user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    max_pages: int = 5_000
    max_stream_bytes: int = 256 * MIB  # one stream, decoded
    max_total_bytes: int = 2048 * MIB  # all streams, decoded
    max_pixels: int = 150_000_000  # one image: width x height


DEFAULT_LIMITS = Limits()


def open_pdf(handle: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> pikepdf.Pdf:
    """The PDF read from the seekable ``handle`` (which must stay open while it is used);
    PdfRefused if it is encrypted, damaged, too long or a decompression bomb."""
    try:
        pdf = pikepdf.open(handle)
    except pikepdf.PasswordError:
        raise PdfRefused("the PDF is encrypted: remove the password and send it again") from None
    except pikepdf.PdfError as exc:
        raise PdfRefused(f"not a readable PDF ({_short(exc)})") from None
    try:
        if pdf.is_encrypted:
            raise PdfRefused("the PDF is encrypted: remove the password and send it again")
        warned = pdf.get_warnings()  # read once: qpdf hands each warning out once
        if warned:
            raise PdfRefused(
                "the PDF is damaged or truncated (it can be read only by repairing it): "
                + _short(warned[0])
            )
        pages = len(pdf.pages)
        if pages == 0:
            raise PdfRefused("the PDF has no pages")
        if pages > limits.max_pages:
            raise PdfRefused(f"the PDF has {pages} pages; at most {limits.max_pages}")
        check_streams(pdf, limits)
    except PdfRefused:
        pdf.close()
        raise
    except pikepdf.PdfError as exc:
        pdf.close()
        raise PdfRefused(f"not a readable PDF ({_short(exc)})") from None
    return pdf


def check_streams(pdf: pikepdf.Pdf, limits: Limits = DEFAULT_LIMITS) -> None:
    """PdfRefused if any stream would inflate past the limits. Flate streams are inflated
    piecewise up to the limit (never whole); an image's declared size is checked too."""
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image:
            pixels = int(obj.get("/Width", 0)) * int(obj.get("/Height", 0))
            if pixels > limits.max_pixels:
                raise PdfRefused(
                    f"an image of {pixels:,} pixels (object {obj.objgen[0]}); at most "
                    f"{limits.max_pixels:,}"
                )
        size = _inflated_size(obj, limits.max_stream_bytes)
        if size > limits.max_stream_bytes:
            raise PdfRefused(
                f"a stream (object {obj.objgen[0]}) inflates past {limits.max_stream_bytes:,} "
                "bytes: refused as a decompression bomb"
            )
        total += size
        if total > limits.max_total_bytes:
            raise PdfRefused(
                f"the PDF's streams inflate past {limits.max_total_bytes:,} bytes: refused as "
                "a decompression bomb"
            )


def _filters(stream: pikepdf.Stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(v) for v in value]
    return [str(value)]


def _inflated_size(stream: pikepdf.Stream, cap: int) -> int:
    """The stream's decoded size if its outer filter is Flate (counted up to ``cap`` + 1),
    else its raw size (the other filters expand by bounded factors, images are checked on
    their pixels)."""
    raw = stream.read_raw_bytes()
    filters = _filters(stream)
    if not filters or filters[0] not in ("/FlateDecode", "/Fl"):
        return len(raw)
    inflater = zlib.decompressobj()
    size, data = 0, raw
    try:
        while data and size <= cap:
            out = inflater.decompress(data, 1 * MIB)
            size += len(out)
            data = inflater.unconsumed_tail
    except zlib.error:
        raise PdfRefused(f"a stream (object {stream.objgen[0]}) is not valid Flate data") from None
    return size


def active_content(pdf: pikepdf.Pdf) -> list[str]:
    """What the PDF carries beyond its pages' content, by name: each is scrubbed from a
    redacted copy and refused in a supplied one where that is the rule."""
    root = pdf.Root
    found = []
    names = root.get("/Names", pikepdf.Dictionary())
    if "/JavaScript" in names or "/OpenAction" in root or "/AA" in root:
        found.append("JavaScript or actions")
    if "/EmbeddedFiles" in names or any(_has_files(page) for page in pdf.pages):
        found.append("embedded files")
    if "/AcroForm" in root:
        found.append("form fields")
    if any("/Annots" in page.obj for page in pdf.pages):
        found.append("annotations")
    if "/Outlines" in root:
        found.append("an outline")
    if "/Metadata" in root:
        found.append("XMP metadata")
    if len(pdf.docinfo) > 0:
        found.append("document information")
    return found


def _has_files(page: pikepdf.Page) -> bool:
    return any(
        a.get("/Subtype") == pikepdf.Name.FileAttachment for a in page.obj.get("/Annots", [])
    )


def _short(value: object) -> str:
    """qpdf's message without the name of the Python object it read from."""
    text = re.sub(r"^(stream|file)? ?<[^>]*>:? ?", "", " ".join(str(value).split()))
    text = re.sub(r"<_io\.[A-Za-z]+ object at 0x[0-9a-f]+>:? ?", "", text)
    return text[:200]
