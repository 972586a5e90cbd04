"""Reading the forensic mark's tokens back out of a found PDF, channel by channel.

A found file is untrusted: it is opened within bounds (its streams checked for
decompression bombs before any is decoded, its pages counted), and a file qpdf reads only
by repairing it is still read (a leaked copy is often damaged on its way). Each channel is
read on its own, so that the trace can say which of them agree: the XMP packet, the
document /ID, the text of every page (pypdfium2, which reads invisible text too) and the
marked content of each page's content streams.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import pikepdf
import pypdfium2 as pdfium

from gateway.pdf.marks import tokens_in
from gateway.pdf.opening import DEFAULT_LIMITS, Limits, PdfRefused, check_streams
from gateway.pdf.pdfium_lock import PDFIUM
from gateway.pdf.watermark import MARK_TAG

CHANNELS = ("xmp", "id", "text", "marked_content", "image")
# a page image's first bytes: PNG (a page view), TIFF and JPEG (a produced page image)
IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*", b"\xff\xd8\xff")


@dataclass
class FoundTokens:
    """Token-shaped strings per channel (not yet checked); ``unread`` says why a file
    could not be read at all."""

    channels: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CHANNELS})
    pages: int = 0
    unread: str = ""

    def add(self, channel: str, text: str) -> None:
        for token in tokens_in(text):
            if token not in self.channels[channel]:
                self.channels[channel].append(token)

    def tokens(self) -> list[str]:
        """Every token found, in the order first found, each once."""
        return list(dict.fromkeys(t for c in CHANNELS for t in self.channels[c]))


def find_tokens(data: bytes, limits: Limits = DEFAULT_LIMITS) -> FoundTokens:
    found = FoundTokens()
    if data.startswith(IMAGE_MAGICS):
        _image(data, found, limits)
        return found
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        found.unread = "the file is an encrypted PDF: it cannot be read without its password"
        return found
    except pikepdf.PdfError:
        found.unread = "the file is not a PDF that can be read"
        return found
    with pdf:
        try:
            found.pages = len(pdf.pages)
            if found.pages > limits.max_pages:
                raise PdfRefused(f"the PDF has {found.pages} pages; at most {limits.max_pages}")
            check_streams(pdf, limits)
            _structure(pdf, found)
        except PdfRefused as refused:
            found.unread = refused.reason
            return found
        except pikepdf.PdfError:
            found.unread = "the file's PDF structure cannot be read"
            return found
    _text(data, found)
    return found


def _structure(pdf: pikepdf.Pdf, found: FoundTokens) -> None:
    metadata = pdf.Root.get("/Metadata")
    if isinstance(metadata, pikepdf.Stream):
        found.add("xmp", metadata.read_bytes().decode("utf-8", "replace"))
    ids = pdf.trailer.get("/ID")
    if isinstance(ids, pikepdf.Array):
        for word in ids:
            if isinstance(word, pikepdf.String):
                found.add("id", bytes(word).decode("latin-1"))
    for page in pdf.pages:
        for instruction in pikepdf.parse_content_stream(page, "BDC"):
            operands = instruction.operands
            if not isinstance(instruction, pikepdf.ContentStreamInstruction) or len(operands) < 2:
                continue
            tag, properties = operands[0], operands[1]
            if tag == pikepdf.Name(MARK_TAG) and isinstance(properties, pikepdf.Dictionary):
                token = properties.get("/Token")
                if isinstance(token, pikepdf.String):
                    found.add("marked_content", str(token))


def _image(data: bytes, found: FoundTokens, limits: Limits) -> None:
    """The token a marked page image carries in its own metadata (a page view's PNG text
    chunk, a TIFF's ImageDescription, a JPEG's comment), read without decoding the pixels
    (the pixel count is checked first)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > limits.max_pixels:
                    found.unread = f"an image of {image.width * image.height:,} pixels"
                    return
                found.pages = getattr(image, "n_frames", 1)
                texts = [str(v) for v in image.info.values() if isinstance(v, str | bytes)]
                description = getattr(image, "tag_v2", {}).get(270)
                if description is not None:
                    texts.append(str(description))
    except (OSError, ValueError, SyntaxError, Warning, Image.DecompressionBombError):
        found.unread = "the file is not an image that can be read"
        return
    for text in texts:
        found.add("image", text)


def _text(data: bytes, found: FoundTokens) -> None:
    with PDFIUM:
        _text_locked(data, found)


def _text_locked(data: bytes, found: FoundTokens) -> None:
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return
    try:
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            try:
                found.add("text", textpage.get_text_bounded())
            finally:
                textpage.close()
                page.close()
    finally:
        doc.close()
