"""Stamping a served PDF with its forensic mark, without touching the page's own content.

Visible: the mark's line in gray at the foot of each page (centred, below where a Bates
number and a legend sit) and once more, light, across the page's diagonal. Both are one
Form XObject each, made once per document and placed on every page by a small content
stream appended to the page; the page's existing content streams are wrapped in ``q``/``Q``
(two tiny streams, one of them shared) and never decoded or re-encoded.

Hidden, redundantly, so that a page lifted out of the file or printed to PDF still leads
back: invisible text (render mode 3) carrying the token on every page, a marked-content
tag ``/POGW << /Token (...) >>`` around the appended content, the token as the first word
of the document ``/ID`` (qpdf keeps the first word and makes the second), and the token as
the XMP ``xmpMM:InstanceID``.

Placement follows each page's visible box (its CropBox, in whatever origin the MediaBox
has) and its ``/Rotate``, so the foot line is at the foot of the page as displayed.
"""

from __future__ import annotations

import math
from typing import BinaryIO

import pikepdf
from reportlab.pdfbase.pdfmetrics import stringWidth

from gateway.pdf.marks import Mark

FONT = "Helvetica"  # one of the standard 14: no font file travels with the mark
MARK_TAG = "/POGW"  # the marked-content tag of the appended content
FOOT_MAX = 7.0  # pt: the foot line's largest size
FOOT_BASELINE = 5.0  # pt above the page's lower edge: below a Bates number or a legend
FOOT_SHARE = 0.6  # of the page's width at most, centred (clear of both lower corners)
DIAGONAL_MAX = 24.0
DIAGONAL_SHARE = 0.7  # of the diagonal's length
DIAGONAL_ALPHA = 0.18


def stamp(pdf: pikepdf.Pdf, mark: Mark) -> None:
    """Add ``mark`` to every page of ``pdf`` and to its /ID and XMP, in place."""
    line = mark.line()
    width = stringWidth(line, FONT, 1.0)
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name("/" + FONT),
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    foot = _form(pdf, font, line, width, gray=0.35, alpha=None)
    diagonal = _form(pdf, font, line, width, gray=0.45, alpha=DIAGONAL_ALPHA)
    opening = pdf.make_stream(b"q\n")
    for page in pdf.pages:
        names = _add_resources(page, font, foot, diagonal)
        page.contents_add(opening, prepend=True)
        page.contents_add(pdf.make_stream(_page_content(page, width, mark.token, names)))
    token = pikepdf.String(mark.token.encode("ascii"))
    pdf.trailer.ID = pikepdf.Array([token, token])
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["xmpMM:InstanceID"] = mark.token


def save(pdf: pikepdf.Pdf, stream: BinaryIO) -> None:
    """Write the stamped ``pdf`` to ``stream`` as it goes: stream data is copied as it is
    (nothing decoded or recompressed), and the /ID's second word comes from the content,
    not the wall clock."""
    pdf.save(
        stream,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.preserve,
        deterministic_id=True,
    )


def _form(
    pdf: pikepdf.Pdf,
    font: pikepdf.Object,
    line: str,
    width: float,
    *,
    gray: float,
    alpha: float | None,
) -> pikepdf.Object:
    """The line at size 1 from the origin, as a Form XObject (placed scaled by each page)."""
    resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F=font))
    state = b""
    if alpha is not None:
        resources.ExtGState = pikepdf.Dictionary(A=pikepdf.Dictionary(ca=alpha, CA=alpha))
        state = b"/A gs "
    text = pikepdf.unparse_content_stream(
        [pikepdf.ContentStreamInstruction([pikepdf.String(line)], pikepdf.Operator("Tj"))]
    )
    content = state + b"%.2f g BT /F 1 Tf 0 0 Td " % gray + text + b" ET\n"
    return pdf.make_stream(
        content,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=pikepdf.Array([0, -0.25, width, 1]),
        Resources=resources,
    )


def _add_resources(
    page: pikepdf.Page, font: pikepdf.Object, foot: pikepdf.Object, diagonal: pikepdf.Object
) -> tuple[str, str, str]:
    """The names the page's own resources give the mark's font and forms."""
    return (
        _add(page, pikepdf.Name.Font, "/PogwMarkF", font),
        _add(page, pikepdf.Name.XObject, "/PogwMarkFoot", foot),
        _add(page, pikepdf.Name.XObject, "/PogwMarkDiag", diagonal),
    )


def _add(page: pikepdf.Page, kind: pikepdf.Name, name: str, obj: pikepdf.Object) -> str:
    """``name`` in the page's ``kind`` resources, numbered if the page uses it already."""
    resources = page.obj.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        resources = _inherited(page.obj, "/Resources")
        page.obj.Resources = (
            pikepdf.Dictionary(dict(resources.items()))
            if isinstance(resources, pikepdf.Dictionary)
            else pikepdf.Dictionary()
        )
        resources = page.obj.Resources
    group = resources.get(kind)
    if not isinstance(group, pikepdf.Dictionary):
        resources[kind] = pikepdf.Dictionary()
        group = resources[kind]
    candidate, n = name, 1
    while candidate in group and group[candidate].objgen != obj.objgen:
        n += 1
        candidate = f"{name}{n}"
    group[candidate] = obj
    return candidate


def _inherited(page: pikepdf.Object, key: str) -> pikepdf.Object | None:
    """A page attribute, found on the page or the nearest /Pages node above it."""
    node: pikepdf.Object | None = page
    depth = 0
    while isinstance(node, pikepdf.Dictionary) and depth < 64:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        depth += 1
    return None


def display_matrix(page: pikepdf.Page) -> tuple[tuple[float, ...], float, float]:
    """The matrix from the page as displayed (origin bottom left, after /Rotate) to its
    user space, and the displayed width and height."""
    x0, y0, x1, y1 = _visible_box(page)
    rotate = _inherited(page.obj, "/Rotate")
    turn = int(rotate) % 360 if isinstance(rotate, int | pikepdf.Object) else 0
    w, h = x1 - x0, y1 - y0
    if turn == 90:
        return (0, 1, -1, 0, x1, y0), h, w
    if turn == 180:
        return (-1, 0, 0, -1, x1, y1), w, h
    if turn == 270:
        return (0, -1, 1, 0, x0, y1), h, w
    return (1, 0, 0, 1, x0, y0), w, h


def _visible_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    media = _box(_inherited(page.obj, "/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
    crop = _box(_inherited(page.obj, "/CropBox")) or media
    box = (
        max(media[0], crop[0]),
        max(media[1], crop[1]),
        min(media[2], crop[2]),
        min(media[3], crop[3]),
    )
    return box if box[2] > box[0] and box[3] > box[1] else media


def _box(value: pikepdf.Object | None) -> tuple[float, float, float, float] | None:
    if not isinstance(value, pikepdf.Array) or len(value) != 4:
        return None
    a, b, c, d = (float(v) for v in value)
    return min(a, c), min(b, d), max(a, c), max(b, d)


def _page_content(page: pikepdf.Page, width: float, token: str, names: tuple[str, ...]) -> bytes:
    font, foot, diagonal = names
    base, w, h = display_matrix(page)
    size = min(FOOT_MAX, FOOT_SHARE * w / width)
    foot_x = (w - size * width) / 2
    length = math.hypot(w, h)
    big = min(DIAGONAL_MAX, DIAGONAL_SHARE * length / width)
    cos, sin = w / length, h / length
    ops = [
        "Q",  # closes the q put before the page's own content: its state ends there
        f"{MARK_TAG} <</Token ({token})>> BDC",
        f"q {_nums(base)} cm",
        f"q {_nums((size, 0, 0, size, foot_x, FOOT_BASELINE))} cm {foot} Do Q",
        f"q {_nums((cos, sin, -sin, cos, w / 2, h / 2))} cm",
        f"{_nums((big, 0, 0, big, -big * width / 2, -big / 3))} cm {diagonal} Do Q",
        f"BT 3 Tr {font} 4 Tf {_nums((foot_x, FOOT_BASELINE + size + 1))} Td ({token}) Tj ET",
        "Q",
        "EMC",
    ]
    return ("\n".join(ops) + "\n").encode("ascii")


def _nums(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") or "0" for v in values)
