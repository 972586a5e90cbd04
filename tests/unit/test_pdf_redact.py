"""gateway.pdf.redact on real PDFs: what is covered is gone from every page's text, what is
not covered stays visible (rendered and compared), rotation and boxes away from the origin
land where the page shows them, the file is scrubbed, and bad marks or files are refused
with the mark's index and field."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
import pytest
from reportlab.pdfgen import canvas

from gateway.pdf.opening import active_content
from gateway.pdf.redact import BoxMark, RedactionRefused, TextMark, page_text, redact_pdf

SECRET = "SECRET-CODE-42"
KEEP = "Keep this visible"


def _pdf(pages: list[list[tuple[float, float, str]]]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(612, 792), invariant=1)
    for lines in pages:
        pdf.setFont("Helvetica", 12)
        for x, y, text in lines:
            pdf.drawString(x, y, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _three_pages() -> bytes:
    return _pdf(
        [
            [(72, 700, "First page text")],
            [(72, 700, SECRET), (72, 650, KEEP)],
            [(72, 700, "Third page text")],
        ]
    )


def _render(pdf: bytes, index: int, scale: float = 1.0):
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[index].render(scale=scale, draw_annots=False).to_pil().convert("L")
    finally:
        doc.close()


def _dark(image, box: tuple[int, int, int, int]) -> float:
    """The share of pixels in ``box`` (left, top, right, bottom) that are near black."""
    region = image.crop(box)
    pixels = region.tobytes()
    return sum(1 for p in pixels if p < 64) / len(pixels)


def _alike(one, other, box: tuple[int, int, int, int]) -> bool:
    """The two renderings agree in ``box`` up to resampling (the image page was drawn at
    300 dpi, the source page is vector): a mean difference under a tenth of full scale."""
    a, b = one.crop(box).tobytes(), other.crop(box).tobytes()
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a) < 25


def _texts(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page_text(pdf, i) for i in range(len(doc))]
    finally:
        doc.close()


def test_a_text_mark_is_gone_from_every_page_and_the_rest_stays_visible():
    source = _three_pages()
    made = redact_pdf(io.BytesIO(source), [TextMark(SECRET)])
    texts = _texts(made.pdf)
    assert all(SECRET not in t for t in texts)
    assert texts[1] == ""  # the rasterized page has no text layer at all
    assert "First page text" in texts[0] and "Third page text" in texts[2]
    assert made.rasterized == [1] and made.resolved[0].covered == (SECRET,)
    # rendered: the uncovered line is still there as it was, and the box is solid black
    before, after = _render(source, 1), _render(made.pdf, 1)
    keep = (70, 792 - 664, 200, 792 - 646)  # around "Keep this visible", top-left pixels
    assert 0.02 < _dark(after, keep)
    assert _alike(after, before, keep)
    (x0, y0, x1, y1) = made.resolved[0].boxes[1][0]
    assert x0 < 72 < x1 and y0 < 700 < y1
    # the strip along the top of the box, above the label: nothing but black
    strip = (int(x0) + 2, int(792 - y1) + 1, int(x1) - 2, int(792 - y1) + 2)
    assert _dark(after, strip) == 1.0
    assert _dark(before, strip) < 1.0 or _dark(before, (72, 792 - 712, 160, 792 - 698)) > 0


def test_a_pattern_limited_to_pages_redacts_only_those_pages():
    source = _pdf([[(72, 700, "code ABC-123")], [(72, 700, "code ABC-456")]])
    made = redact_pdf(io.BytesIO(source), [TextMark(r"ABC-\d+", pattern=True, pages=(1,))])
    texts = _texts(made.pdf)
    assert "ABC-123" in texts[0] and texts[1] == ""
    assert made.rasterized == [1]


def _rotated(lines: list[tuple[float, float, str]]) -> bytes:
    """One page drawn in user space with its MediaBox at (50, 60), a CropBox inside it, and
    /Rotate 90: reportlab's (x, y) becomes (x + 50, y + 60) in user space."""
    source = pikepdf.open(io.BytesIO(_pdf([lines])))
    page = source.pages[0]
    page.contents_add(pikepdf.Stream(source, b"1 0 0 1 50 60 cm"), prepend=True)
    page.obj.MediaBox = pikepdf.Array([50, 60, 662, 852])
    page.obj.CropBox = pikepdf.Array([70, 80, 642, 832])
    page.obj.Rotate = 90
    out = io.BytesIO()
    source.save(out)
    return out.getvalue()


def _ink(image) -> tuple[int, int, int, int]:
    found = image.point(lambda p: 255 if p < 128 else 0).getbbox()
    assert found is not None
    return found


def test_boxes_land_where_the_page_shows_them_with_rotate_and_offset_boxes():
    secret, keep = (200, 500, SECRET), (200, 300, KEEP)
    both = _rotated([secret, keep])
    # box in points from the MediaBox's bottom-left corner, before /Rotate
    made = redact_pdf(io.BytesIO(both), [BoxMark(0, (190, 490, 330, 515))], label="R")
    assert page_text(made.pdf, 0) == ""
    source, after = _render(both, 0), _render(made.pdf, 0)
    assert after.size == source.size  # the same page, as displayed
    secret_at = _ink(_render(_rotated([secret]), 0))
    keep_at = _ink(_render(_rotated([keep]), 0))
    assert _dark(source, secret_at) < 0.5 and _dark(after, secret_at) > 0.8
    assert _dark(after, keep_at) > 0.02 and _alike(after, source, keep_at)


def test_the_output_is_scrubbed_of_everything_beyond_the_pages():
    pdf = pikepdf.open(io.BytesIO(_three_pages()))
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
    pdf.Root.AA = pikepdf.Dictionary()
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(2)")
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["a", pdf.make_indirect(js)]))
    )
    pdf.attachments["hidden.txt"] = pikepdf.AttachedFileSpec(pdf, b"attached privileged memo")
    with pdf.open_metadata() as meta:
        meta["dc:title"] = "privileged title"
    pdf.docinfo["/Title"] = "privileged title"
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("privileged heading", 0))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array())
    note = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Text,
        Rect=[10, 10, 20, 20],
        Contents="privileged note",
    )
    pdf.pages[2].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(note)]))
    pdf.pages[2].obj.AA = pikepdf.Dictionary(O=js)
    source = io.BytesIO()
    pdf.save(source)
    assert len(active_content(pdf)) == 7

    made = redact_pdf(source, [BoxMark(1, (60, 690, 200, 715))])
    assert set(made.scrubbed) >= {"JavaScript or actions", "embedded files", "an outline"}
    with pikepdf.open(io.BytesIO(made.pdf)) as out:
        assert active_content(out) == []
        assert not any("/AA" in p.obj for p in out.pages)
        assert not any(
            isinstance(o, pikepdf.Stream) and o.get("/Type") == pikepdf.Name.EmbeddedFile
            for o in out.objects
        )
        assert bytes(out.trailer.ID[0]) != bytes(pdf.trailer.ID[0])
    for word in (b"privileged", b"app.alert", b"attached"):
        assert word not in made.pdf
    assert "Third page text" in page_text(made.pdf, 2)


@pytest.mark.parametrize(
    ("marks", "field", "why"),
    [
        ([BoxMark(3, (10, 10, 20, 20))], "marks[0].page", "outside the document"),
        ([BoxMark(0, (10, 10, 700, 20))], "marks[0].box", "off the page"),
        ([BoxMark(0, (-30, 10, 20, 20))], "marks[0].box", "off the page"),
        ([BoxMark(0, (10, 10, 10, 20))], "marks[0].box", "zero area"),
        ([BoxMark(0, (10, 10, 20, 20)), TextMark("NOWHERE")], "marks[1].text", "matches nothing"),
        ([TextMark(SECRET, pages=(0,))], "marks[0].text", "matches nothing"),
        ([TextMark("x" * 501, pattern=True)], "marks[0].pattern", "at most 500"),
        ([TextMark("(", pattern=True)], "marks[0].pattern", "not a regular expression"),
        ([TextMark("(a+)+$", pattern=True)], "marks[0].pattern", "exponentially"),
        ([TextMark("(FIR|PPT)*", pattern=True)], "marks[0].pattern", "alternatives inside"),
        ([TextMark(r"(\w+) \1", pattern=True)], "marks[0].pattern", "a backreference"),
        ([TextMark("q*", pattern=True, pages=(0,))], "marks[0].pattern", "matches nothing"),
        ([TextMark("  ")], "marks[0].text", "empty"),
        ([], "marks", "none given"),
    ],
)
def test_bad_marks_are_refused_naming_the_mark(marks, field, why):
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(_three_pages()), marks)
    assert refused.value.field == field and why in refused.value.reason


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"dpi": 10}, "dpi"), ({"dpi": 601}, "dpi"), ({"label": "REDACTED – PRIV"}, "label")],
)
def test_bad_settings_are_refused(settings, field):
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(_three_pages()), [TextMark(SECRET)], **settings)
    assert refused.value.field == field


def _encrypted() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(_three_pages())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    return out.getvalue()


def _ten_thousand_pages() -> bytes:
    """10,000 pages, cheaply: one page repeated."""
    with pikepdf.open(io.BytesIO(_pdf([[(72, 700, "repeated page")]]))) as pdf:
        for _ in range(9_999):
            pdf.pages.append(pdf.pages[0])
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (_encrypted, "encrypted"),
        (lambda: _three_pages()[:-400], "damaged or truncated"),
        (lambda: b"%PDF-1.7 not really", "not a readable PDF"),
        (_ten_thousand_pages, "10000 pages; at most 5000"),
    ],
)
def test_files_the_gateway_will_not_change_are_refused(make, why):
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(make()), [BoxMark(0, (10, 10, 20, 20))])
    assert refused.value.field == "file" and why in refused.value.reason


def test_pages_must_match_the_documents_bates_numbers():
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(_three_pages()), [TextMark(SECRET)], page_names=["A1", "A2"])
    assert "3 page(s), but the document has 2" in refused.value.reason
