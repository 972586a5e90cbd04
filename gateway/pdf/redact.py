"""True redaction: a new PDF from which the covered content is gone, not hidden.

Each page with a mark is rendered to an image (pypdfium2), solid boxes are burned into the
pixels with a label (Pillow), and the page is replaced by that image alone, at the page's
displayed size: it keeps no text, no fonts, no vector content, so nothing under a box can
be recovered. Pages without marks are copied unchanged. Nothing of the source beyond its
pages is carried over (metadata, XMP, outline, forms, JavaScript, attachments, structure
tree), annotations and page actions are dropped from every page, and the file gets a
fresh document ID. A copied page keeps only the resources its content (and the forms it
draws) uses, so nothing a page shares with a rasterized one travels with it undrawn. Then
the output is checked by extracting the text of every page, and by reading every stream of
the file but its images: a covered string still found, or any text on a rasterized page,
refuses the whole result.

A pattern mark is first matched in a child process with a time limit, so that a pattern
whose matching time explodes on the page's text is refused instead of holding a worker.

Boxes are in PDF points in the page's user space, before /Rotate, measured from the
bottom-left corner of the MediaBox. No database here: the caller resolves Bates numbers
to page indices and stores the result.
"""

from __future__ import annotations

import ctypes
import io
import json
import re
import re._constants as sre_constants  # the parser's tree, to refuse runaway patterns
import re._parser as sre_parse
import subprocess
import sys
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import ImageDraw, ImageFont

from gateway.pdf.opening import DEFAULT_LIMITS, Limits, PdfRefused, active_content, open_pdf
from gateway.pdf.pdfium_lock import PDFIUM

DEFAULT_LABEL = "REDACTED - PRIVILEGE"
DEFAULT_DPI = 300
MIN_DPI, MAX_DPI = 72, 600
MAX_PATTERN = 500
MAX_LABEL = 80
PAD = 1.5  # points around a text match, so that no edge of a glyph survives
EDGE = 0.5  # points a box may stray past the MediaBox (rounding in the caller's tool)
PATTERN_SECONDS = 5.0  # the longest a pattern mark's matching may take, in a child process
MIN_SCANNED = 4  # covered strings this long or longer are looked for in the file's streams

# what an image-only page keeps of the source page's dictionary
_PAGE_KEYS = ("/Type", "/Parent", "/Resources", "/MediaBox", "/CropBox", "/Contents")
_PASSED_KEYS = (*_PAGE_KEYS, "/Rotate", "/BleedBox", "/TrimBox", "/ArtBox", "/Group", "/UserUnit")

Box = tuple[float, float, float, float]


class RedactionRefused(ValueError):
    """A redaction the gateway will not make; ``field`` names what was wrong
    (``marks[2].box``, ``dpi``, ``file``) and ``reason`` says why."""

    def __init__(self, field: str, reason: str, *, audited: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self._audited = audited

    @property
    def audited(self) -> str:
        """The message for the audit trail, which never quotes a mark's text or pattern
        (the neutral auditor reads it); the caller gets ``str(self)``."""
        return self._audited if self._audited is not None else str(self)


@dataclass(frozen=True)
class BoxMark:
    page: int  # 0-based index in the document
    box: Box


@dataclass(frozen=True)
class TextMark:
    """An exact string (``pattern`` False) or a Python regular expression, on ``pages``
    (0-based indices) or on every page when None."""

    text: str
    pattern: bool = False
    pages: tuple[int, ...] | None = None


Mark = BoxMark | TextMark


@dataclass(frozen=True)
class Resolved:
    """A mark as burned in: boxes (MediaBox-relative points) per 0-based page index, and
    for a text mark the strings it covered."""

    boxes: dict[int, list[Box]]
    covered: tuple[str, ...] = ()


@dataclass(frozen=True)
class Redacted:
    pdf: bytes
    resolved: list[Resolved]
    rasterized: list[int]  # 0-based page indices, ascending
    dpi: int
    page_count: int
    scrubbed: list[str] = field(default_factory=list)  # what the source carried and lost


def check_settings(label: str, dpi: int) -> None:
    if not label or len(label) > MAX_LABEL or not all(" " <= ch <= "~" for ch in label):
        raise RedactionRefused(
            "label", f"1 to {MAX_LABEL} printable ASCII characters (it is burned into the page)"
        )
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise RedactionRefused("dpi", f"a whole number from {MIN_DPI} to {MAX_DPI}")


def check_text_mark(n: int, mark: TextMark) -> re.Pattern[str] | None:
    """The compiled pattern of a pattern mark; RedactionRefused if it is unusable."""
    what = "pattern" if mark.pattern else "text"
    if not mark.text.strip():
        raise RedactionRefused(f"marks[{n}].{what}", "empty; say what to redact")
    if not mark.pattern:
        return None
    if len(mark.text) > MAX_PATTERN:
        raise RedactionRefused(
            f"marks[{n}].pattern", f"{len(mark.text)} characters; at most {MAX_PATTERN}"
        )
    try:
        compiled = re.compile(mark.text)
        risky = _risky(sre_parse.parse(mark.text))
    except re.error as exc:
        raise RedactionRefused(f"marks[{n}].pattern", f"not a regular expression: {exc}") from None
    if risky:
        raise RedactionRefused(
            f"marks[{n}].pattern",
            f"{risky}: its matching time can grow exponentially with the page's text; write "
            "it without that (or use several marks)",
        )
    return compiled


_REPEATS = frozenset(
    getattr(sre_constants, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(sre_constants, name)
)


def _risky(tree: Any, repeated: bool = False) -> str:
    """Why the parsed pattern may backtrack without bound ("" if it may not): a
    repetition inside a repetition, an alternative inside one, or a backreference."""
    for op, av in tree:
        if op == sre_constants.GROUPREF or op == sre_constants.GROUPREF_EXISTS:
            return "a backreference"
        if op in _REPEATS:
            if repeated and av[0] != av[1]:
                return "a repetition of varying length inside a repetition"
            found = _risky(av[2], repeated or av[1] > 1)
            if found:
                return found
            continue
        if op == sre_constants.BRANCH and repeated:
            return "alternatives inside a repetition"
        for child in _subpatterns(av):
            found = _risky(child, repeated)
            if found:
                return found
    return ""


def _subpatterns(av: Any) -> list[Any]:
    if isinstance(av, sre_parse.SubPattern):
        return [av]
    if isinstance(av, tuple | list):
        return [sub for item in av for sub in _subpatterns(item)]
    return []


def redact_pdf(
    source: BinaryIO,
    marks: Sequence[Mark],
    *,
    label: str = DEFAULT_LABEL,
    dpi: int = DEFAULT_DPI,
    limits: Limits = DEFAULT_LIMITS,
    page_names: Sequence[str] | None = None,
    metadata: Mapping[str, str] | None = None,
    pattern_seconds: float = PATTERN_SECONDS,
) -> Redacted:
    """The redacted copy of the seekable ``source``. RedactionRefused (with the mark's
    index and field) for a mark that is off the page, of zero area or matches nothing, a
    pattern whose matching takes longer than ``pattern_seconds``, or a mark whose covered
    text is also in one of the document's ``metadata`` fields (by name: they are served
    with every version); for a source PDF the gateway will not change; or if the output
    fails its check."""
    check_settings(label, dpi)
    if not marks:
        raise RedactionRefused("marks", "none given; a redaction needs at least one mark")
    fields = {k: v for k, v in (metadata or {}).items() if v}
    try:
        pdf = open_pdf(source, limits)
    except PdfRefused as exc:
        raise RedactionRefused("file", exc.reason) from None
    with pdf:
        scrubbed = active_content(pdf)
        count = len(pdf.pages)
        names = list(page_names) if page_names is not None else [str(i + 1) for i in range(count)]
        if len(names) != count:
            raise RedactionRefused(
                "file", f"the PDF has {count} page(s), but the document has {len(names)}"
            )
        _time_patterns(source, marks, count, list(fields.values()), pattern_seconds)
        source.seek(0)
        with PDFIUM:
            out, resolved, burn = _redacted(source, pdf, marks, names, label, dpi, limits, fields)
    with PDFIUM:
        _verify(out, marks, resolved, sorted(burn), names)
    _scan_streams(out, marks, resolved, names)
    return Redacted(out, resolved, sorted(burn), dpi, count, scrubbed)


def _redacted(
    source: BinaryIO,
    pdf: pikepdf.Pdf,
    marks: Sequence[Mark],
    names: list[str],
    label: str,
    dpi: int,
    limits: Limits,
    metadata: Mapping[str, str],
) -> tuple[bytes, list[Resolved], dict[int, list[Box]]]:
    """The redacted PDF, the marks resolved and the boxes burned per page (PDFIUM held)."""
    try:
        doc = pdfium.PdfDocument(source)
    except pdfium.PdfiumError as exc:
        raise RedactionRefused("file", f"the PDF cannot be rendered ({exc})") from None
    try:
        resolved = [_resolve(doc, pdf, n, mark, names) for n, mark in enumerate(marks)]
        _check_metadata(marks, resolved, metadata)
        burn: dict[int, list[Box]] = {}
        for r in resolved:
            for index, boxes in r.boxes.items():
                burn.setdefault(index, []).extend(boxes)
        for index in burn:
            _pixels_within(doc[index], dpi, limits, names[index])
        out = _write(pdf, doc, burn, label, dpi)
    except (pdfium.PdfiumError, pikepdf.PdfError) as exc:
        raise RedactionRefused("file", f"the PDF cannot be redacted ({exc})") from None
    finally:
        doc.close()
    return out, resolved, burn


# --- a pattern's matching time, measured in a child process ---------------------------------

# reads {"pattern", "texts"} on stdin, runs every match, exits 0; killed if it takes too long
_MATCHER = (
    "import json, re, sys\n"
    "given = json.load(sys.stdin)\n"
    "regex = re.compile(given['pattern'])\n"
    "for text in given['texts']:\n"
    "    for _ in regex.finditer(text):\n"
    "        pass\n"
)


def _time_patterns(
    source: BinaryIO,
    marks: Sequence[Mark],
    count: int,
    extra: list[str],
    seconds: float,
) -> None:
    """Run each pattern mark over the texts it will be matched against (its pages, and the
    document's metadata) in a child process, and refuse it if that does not finish in
    ``seconds``: the structural check misses patterns such as ``.*.*.*!`` whose time grows
    as a high power of the text's length."""
    patterns = [(n, m) for n, m in enumerate(marks) if isinstance(m, TextMark) and m.pattern]
    if not patterns:
        return
    for n, mark in patterns:
        check_text_mark(n, mark)
        for index in mark.pages or ():
            if not 0 <= index < count:
                raise RedactionRefused(
                    f"marks[{n}].pages", f"page {index + 1} is outside the document"
                )
    wanted = sorted({i for _, m in patterns for i in (m.pages or range(count))})
    source.seek(0)
    with PDFIUM:
        try:
            doc = pdfium.PdfDocument(source)
        except pdfium.PdfiumError as exc:
            raise RedactionRefused("file", f"the PDF cannot be rendered ({exc})") from None
        try:
            texts = {i: _page_text(doc[i]) for i in wanted}
        finally:
            doc.close()
    for n, mark in patterns:
        scope = mark.pages if mark.pages is not None else range(count)
        given = json.dumps({"pattern": mark.text, "texts": [texts[i] for i in scope] + extra})
        field = f"marks[{n}].pattern"
        try:
            ran = subprocess.run(  # noqa: S603 - a fixed program; the pattern is on stdin
                [sys.executable, "-I", "-S", "-c", _MATCHER],
                input=given.encode(),
                capture_output=True,
                timeout=seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise RedactionRefused(
                field,
                f"its matching did not finish within {seconds:g} s on the text it covers: "
                "its time grows too fast with the text's length (repetitions side by side, "
                "such as .*.*); write it more tightly, or use several marks",
            ) from None
        except OSError as exc:
            raise RedactionRefused(field, f"its matching could not be checked ({exc})") from None
        if ran.returncode != 0:
            raise RedactionRefused(
                field, f"its matching could not be checked (the check exited {ran.returncode})"
            )


# --- resolving marks to boxes --------------------------------------------------------------


def _origin(page: pikepdf.Page) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.mediabox)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _resolve(
    doc: pdfium.PdfDocument, pdf: pikepdf.Pdf, n: int, mark: Mark, names: list[str]
) -> Resolved:
    if isinstance(mark, BoxMark):
        return Resolved({mark.page: [_check_box(pdf, n, mark, names)]})
    regex = check_text_mark(n, mark)
    what = "pattern" if mark.pattern else "text"
    scope = mark.pages if mark.pages is not None else tuple(range(len(pdf.pages)))
    for index in scope:
        if not 0 <= index < len(pdf.pages):
            raise RedactionRefused(f"marks[{n}].pages", f"page {index + 1} is outside the document")
    found: dict[int, list[Box]] = {}
    covered: list[str] = []
    for index in scope:
        x0, y0, _, _ = _origin(pdf.pages[index])
        content = _page_text(doc[index])
        for start, end in _matches(content, mark.text, regex):
            boxes = _char_boxes(doc[index], start, end)
            if boxes:
                found.setdefault(index, []).extend(
                    (a - x0, b - y0, c - x0, d - y0) for a, b, c, d in boxes
                )
                covered.append(content[start:end])
    if not found:
        where = "the document" if mark.pages is None else ", ".join(names[i] for i in scope)
        why = f"matches nothing on {where}: a redaction that redacts nothing is a mistake"
        raise RedactionRefused(
            f"marks[{n}].{what}",
            f"{mark.text[:60]!r} {why}",
            audited=f"marks[{n}].{what} ({len(mark.text)} characters) {why}",
        )
    return Resolved(found, tuple(dict.fromkeys(covered)))


def _check_metadata(
    marks: Sequence[Mark], resolved: list[Resolved], metadata: Mapping[str, str]
) -> None:
    """Refuse a mark whose covered text (or any match of its pattern) is also in one of
    the document's metadata fields: they are served with every version, the redacted one
    too. The reason names the field, never the text."""
    for n, (mark, r) in enumerate(zip(marks, resolved, strict=True)):
        if not isinstance(mark, TextMark):
            continue
        what = "pattern" if mark.pattern else "text"
        for name, value in metadata.items():
            if mark.pattern:
                found = any(m.end() > m.start() for m in re.finditer(mark.text, value))
            else:
                found = mark.text in value or any(s in value for s in r.covered)
            if found:
                raise RedactionRefused(
                    f"marks[{n}].{what}",
                    f"what it covers is also in the document's {name}, which is served with "
                    f"every version: the producing party must correct the {name} first; "
                    "nothing stored",
                )


def _check_box(pdf: pikepdf.Pdf, n: int, mark: BoxMark, names: list[str]) -> Box:
    if not 0 <= mark.page < len(pdf.pages):
        raise RedactionRefused(f"marks[{n}].page", "outside the document")
    x0, y0, x1, y1 = mark.box
    if not (x1 > x0 and y1 > y0):
        raise RedactionRefused(
            f"marks[{n}].box", "of zero area: give [x0, y0, x1, y1] with x0 < x1 and y0 < y1"
        )
    mx0, my0, mx1, my1 = _origin(pdf.pages[mark.page])
    width, height = mx1 - mx0, my1 - my0
    if x0 < -EDGE or y0 < -EDGE or x1 > width + EDGE or y1 > height + EDGE:
        raise RedactionRefused(
            f"marks[{n}].box",
            f"off the page: {names[mark.page]} is {width:g} x {height:g} points (origin at the "
            "bottom-left corner of its MediaBox)",
        )
    return (max(x0, 0.0), max(y0, 0.0), min(x1, width), min(y1, height))


def _page_text(page: pdfium.PdfPage) -> str:
    """The page's text, one character per PDFium character index (so that a match's
    offsets are character indices)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range()
        if len(text) == count:
            return text
        # a character outside the BMP takes two UTF-16 units: read one index at a time
        return "".join(
            chr(pdfium_c.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(count)
        )
    finally:
        textpage.close()


def _matches(content: str, text: str, regex: re.Pattern[str] | None) -> list[tuple[int, int]]:
    if regex is None:
        found, at = [], content.find(text)
        while at >= 0:
            found.append((at, at + len(text)))
            at = content.find(text, at + len(text))
        return found
    return [m.span() for m in regex.finditer(content) if m.end() > m.start()]


def _char_boxes(page: pdfium.PdfPage, start: int, end: int) -> list[Box]:
    """Boxes (user space) covering the characters ``start``..``end``, one per run of
    characters on a line, padded."""
    textpage = page.get_textpage()
    try:
        runs: list[list[float]] = []
        for i in range(start, end):
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            if right <= left or top <= bottom:
                continue  # a generated space or line break: nothing drawn
            last = runs[-1] if runs else None
            if last and bottom < last[3] and top > last[1] and left <= last[2] + 2 * PAD + 12:
                last[0], last[1] = min(last[0], left), min(last[1], bottom)
                last[2], last[3] = max(last[2], right), max(last[3], top)
            else:
                runs.append([left, bottom, right, top])
    finally:
        textpage.close()
    return [(a - PAD, b - PAD, c + PAD, d + PAD) for a, b, c, d in runs]


# --- writing -------------------------------------------------------------------------------


def _pixels_within(page: pdfium.PdfPage, dpi: int, limits: Limits, name: str) -> None:
    width, height = page.get_size()
    pixels = int(width * dpi / 72 + 1) * int(height * dpi / 72 + 1)
    if pixels > limits.max_pixels:
        raise RedactionRefused(
            "dpi", f"{name} at {dpi} dpi would be {pixels:,} pixels; at most {limits.max_pixels:,}"
        )


def _write(
    pdf: pikepdf.Pdf, doc: pdfium.PdfDocument, burn: dict[int, list[Box]], label: str, dpi: int
) -> bytes:
    out = pikepdf.new()
    for index, page in enumerate(pdf.pages):
        if index in burn:
            _image_page(out, doc[index], _origin(page), burn[index], label, dpi)
        else:
            out.pages.append(page)
            _prune(out.pages[-1].obj, _PASSED_KEYS)
    _drop_unused(out, [i for i in range(len(pdf.pages)) if i not in burn])
    buffer = io.BytesIO()
    # a new file has no /ID: qpdf makes a fresh one; nothing else of the source's trailer
    out.save(buffer, compress_streams=True)
    out.close()
    return buffer.getvalue()


# the resources other than fonts and forms, by the operator that names one
_NAMED = {
    "gs": "/ExtGState",
    "sh": "/Shading",
    "cs": "/ColorSpace",
    "CS": "/ColorSpace",
    "scn": "/Pattern",
    "SCN": "/Pattern",
    "BDC": "/Properties",
    "DP": "/Properties",
}
_OTHERS = frozenset(_NAMED.values())


def _drop_unused(out: pikepdf.Pdf, copied: list[int]) -> None:
    """A copied page keeps only the resources its content (and the forms it draws) uses:
    a resource dictionary shared with a rasterized page, or inherited from the page tree,
    would otherwise carry that page's forms along undrawn. qpdf removes the fonts and forms
    not used (copying a shared dictionary before it removes from it); the other kinds of
    resource are removed here, on each copied page and each form it draws."""
    out.remove_unreferenced_resources()
    done: set[tuple[int, int]] = set()
    for index in copied:
        _keep_used(out.pages[index].obj, done, index)


def _keep_used(holder: pikepdf.Object, done: set[tuple[int, int]], index: int) -> None:
    """Replace the /Resources of ``holder`` (a page, or a form with its own) by one holding
    only the graphics states, shadings, colour spaces, patterns and properties its content
    names, and the same for every form it keeps."""
    resources = holder.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        return
    used = _names(holder, resources, set(), index)
    kept = pikepdf.Dictionary()
    for key, value in resources.items():
        if key in _OTHERS and isinstance(value, pikepdf.Dictionary):
            wanted = {k: value[k] for k in value.keys() if k in used[key]}
            if wanted:
                kept[key] = pikepdf.Dictionary(wanted)
        else:
            kept[key] = value
    holder.Resources = kept
    forms = kept.get("/XObject")
    for form in forms.values() if isinstance(forms, pikepdf.Dictionary) else ():
        if (
            isinstance(form, pikepdf.Stream)
            and form.get("/Subtype") == pikepdf.Name.Form
            and "/Resources" in form
            and form.objgen not in done
        ):
            done.add(form.objgen)
            _keep_used(form, done, index)


def _names(
    holder: pikepdf.Object, resources: pikepdf.Dictionary, seen: set[tuple[int, int]], index: int
) -> dict[str, set[str]]:
    """The resource names, by kind, that the content of ``holder`` uses, with those of the
    forms it draws that have no resources of their own (they use the holder's)."""
    used: dict[str, set[str]] = {kind: set() for kind in _OTHERS}
    try:
        instructions = pikepdf.parse_content_stream(holder)
    except pikepdf.PdfError:
        raise RedactionRefused(
            "file",
            f"page {index + 1}'s content cannot be read, so what it does not use cannot be "
            "removed; mark that page with a box so that it is rasterized",
        ) from None
    drawn: list[str] = []
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            space = instruction.iimage.obj.get("/ColorSpace")
            if isinstance(space, pikepdf.Name):
                used["/ColorSpace"].add(str(space))
            continue
        operator = str(instruction.operator)
        names = [str(o) for o in instruction.operands if isinstance(o, pikepdf.Name)]
        if operator == "Do" and names:
            drawn.append(names[-1])
        elif operator in _NAMED and names:
            used[_NAMED[operator]].add(names[-1])
    forms = resources.get("/XObject")
    for name in drawn:
        form = forms.get(name) if isinstance(forms, pikepdf.Dictionary) else None
        if (
            isinstance(form, pikepdf.Stream)
            and form.get("/Subtype") == pikepdf.Name.Form
            and "/Resources" not in form
            and form.objgen not in seen
        ):
            seen.add(form.objgen)
            for kind, more in _names(form, resources, seen, index).items():
                used[kind] |= more
    return used


def _prune(page: pikepdf.Dictionary, keep: Sequence[str]) -> None:
    for key in list(page.keys()):
        if key not in keep:
            del page[key]


def _image_page(
    out: pikepdf.Pdf,
    page: pdfium.PdfPage,
    origin: tuple[float, float, float, float],
    boxes: list[Box],
    label: str,
    dpi: int,
) -> None:
    width, height = page.get_size()  # displayed: CropBox, after /Rotate
    bitmap = page.render(scale=dpi / 72, draw_annots=False, may_draw_forms=False)
    image = bitmap.to_pil().convert("RGB")
    size = image.size
    draw = ImageDraw.Draw(image)
    for box in boxes:
        rect = _device_rect(page, size, origin, box)
        draw.rectangle(rect, fill=(0, 0, 0))
        _label(draw, rect, label)
    stream = pikepdf.Stream(out, zlib.compress(image.tobytes(), 6))
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height = size
    stream.ColorSpace, stream.BitsPerComponent = pikepdf.Name.DeviceRGB, 8
    stream.Filter = pikepdf.Name.FlateDecode
    content = pikepdf.Stream(out, f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Im0 Do Q".encode())
    page_dict = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, round(width, 4), round(height, 4)]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream)),
        Contents=content,
    )
    out.pages.append(pikepdf.Page(page_dict))
    image.close()
    bitmap.close()


def _device_rect(
    page: pdfium.PdfPage,
    size: tuple[int, int],
    origin: tuple[float, float, float, float],
    box: Box,
) -> tuple[int, int, int, int]:
    """The box in the rendered bitmap's pixels, rounded outward; PDFium's own mapping, so
    /Rotate and a CropBox or MediaBox away from the origin are handled as it renders."""
    x0, y0, x1, y1 = box
    points = [(origin[0] + x, origin[1] + y) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [], []
    for px, py in points:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        ok = pdfium_c.FPDF_PageToDevice(
            page, 0, 0, size[0], size[1], 0, px, py, ctypes.byref(dx), ctypes.byref(dy)
        )
        if not ok:
            raise RedactionRefused("marks", "a box could not be mapped onto the rendered page")
        xs.append(dx.value)
        ys.append(dy.value)
    return (
        max(min(xs) - 1, 0),
        max(min(ys) - 1, 0),
        min(max(xs) + 1, size[0] - 1),
        min(max(ys) + 1, size[1] - 1),
    )


def _label(draw: ImageDraw.ImageDraw, rect: tuple[int, int, int, int], label: str) -> None:
    """The label in white, as large as fits the box (none if the box is too small to read)."""
    width, height = rect[2] - rect[0], rect[3] - rect[1]
    size = min(int(height * 0.7), 96)
    while size >= 6:
        font: Any = ImageFont.load_default(size=size)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        if right - left <= width - 4 and bottom - top <= height - 2:
            x = rect[0] + (width - (right - left)) // 2 - left
            y = rect[1] + (height - (bottom - top)) // 2 - top
            draw.text((x, y), label, fill=(255, 255, 255), font=font)
            return
        size = int(size * 0.8)


# --- verifying -----------------------------------------------------------------------------


def _verify(
    out: bytes,
    marks: Sequence[Mark],
    resolved: list[Resolved],
    rasterized: list[int],
    names: list[str],
) -> None:
    """Every page of the output read back: a rasterized page has no text at all, and no
    string a text mark covered (nor any match of its pattern) is found on its pages."""
    doc = pdfium.PdfDocument(out)
    try:
        if len(doc) != len(names):
            raise RedactionRefused("file", f"the output has {len(doc)} pages, not {len(names)}")
        burnt = set(rasterized)
        for index in range(len(doc)):
            text = _page_text(doc[index])
            if index in burnt and text.strip():
                raise RedactionRefused(
                    "file", f"{names[index]} still carries text after rasterizing: nothing stored"
                )
            for n, (mark, r) in enumerate(zip(marks, resolved, strict=True)):
                if _still_there(mark, r, index, text):
                    raise RedactionRefused(
                        f"marks[{n}]",
                        f"still found on {names[index]} after redacting: nothing stored",
                    )
    finally:
        doc.close()


def _still_there(mark: Mark, r: Resolved, index: int, text: str) -> bool:
    if isinstance(mark, BoxMark):
        return False  # its page is rasterized: checked to carry no text at all
    if mark.pages is not None and index not in mark.pages:
        return False
    if mark.pattern:
        return any(m.end() > m.start() for m in re.finditer(mark.text, text))
    return any(s in text for s in r.covered) or mark.text in text


def _scan_streams(
    out: bytes, marks: Sequence[Mark], resolved: list[Resolved], names: list[str]
) -> None:
    """Every stream of the output but its images, decoded and searched for each string a
    text mark covered (latin-1, UTF-16BE and hexadecimal; strings of MIN_SCANNED or more
    characters): text that is in the file but not drawn (a form in a page's resources, a
    pattern, hidden optional content) is invisible to text extraction. A string found in a
    stream that a page within the mark's pages reaches, or that no page reaches, refuses
    the result."""
    wanted = [
        (n, mark, _encodings(r.covered + (() if mark.pattern else (mark.text,))))
        for n, (mark, r) in enumerate(zip(marks, resolved, strict=True))
        if isinstance(mark, TextMark)
    ]
    wanted = [w for w in wanted if w[2]]
    if not wanted:
        return
    with pikepdf.open(io.BytesIO(out)) as pdf:
        reached: dict[tuple[int, int], set[int]] = {}
        for index, page in enumerate(pdf.pages):
            _reach(page.obj, index, reached)
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Stream) or obj.get("/Subtype") == pikepdf.Name.Image:
                continue
            try:
                data = obj.read_bytes()
            except pikepdf.PdfError:
                data = obj.read_raw_bytes()
            lowered = data.lower()
            pages = reached.get(obj.objgen, set())
            for n, mark, needles in wanted:
                if not any(needle in (lowered if hexed else data) for needle, hexed in needles):
                    continue
                scope = set(mark.pages) if mark.pages is not None else set(range(len(names)))
                if pages and not pages & scope:
                    continue  # drawn only on pages the mark does not cover
                where = ", ".join(names[i] for i in sorted(pages & scope)) or "no page"
                raise RedactionRefused(
                    f"marks[{n}]",
                    f"what it covers is still in the file, in content that is not drawn as "
                    f"text (reached from {where}); mark that page with a box so that it is "
                    "rasterized too: nothing stored",
                )


def _encodings(strings: Sequence[str]) -> list[tuple[bytes, bool]]:
    """Each string as the bytes a stream may hold it in, and whether they are hexadecimal
    (compared without case)."""
    found: list[tuple[bytes, bool]] = []
    for s in dict.fromkeys(strings):
        if len(s.strip()) < MIN_SCANNED:
            continue
        for codec in ("latin-1", "utf-16-be"):
            try:
                raw = s.encode(codec)
            except UnicodeEncodeError:
                continue
            found += [(raw, False), (raw.hex().encode(), True)]
    return found


def _reach(page: pikepdf.Dictionary, index: int, reached: dict[tuple[int, int], set[int]]) -> None:
    """Record ``index`` for every indirect object reachable from ``page`` (not through a
    /Parent: the page tree leads to every page). Iterative: nesting has no depth limit."""
    seen: set[tuple[int, int]] = set()
    todo: list[Any] = [page]
    while todo:
        obj = todo.pop()
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            reached.setdefault(obj.objgen, set()).add(index)
        if isinstance(obj, pikepdf.Array):
            todo.extend(obj)
        else:
            todo.extend(value for key, value in obj.items() if key != "/Parent")


def page_text(pdf: bytes | BinaryIO, index: int) -> str:
    """The text pypdfium2 extracts from one page (for checks and tests)."""
    with PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            return _page_text(doc[index])
        finally:
            doc.close()
