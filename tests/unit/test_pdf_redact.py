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


# --- what an unmarked page carries along undrawn -------------------------------------------


def _streams(pdf: bytes) -> bytes:
    """Every stream of the file but its images, decoded and joined."""
    with pikepdf.open(io.BytesIO(pdf)) as out:
        return b"\n".join(
            o.read_bytes()
            for o in out.objects
            if isinstance(o, pikepdf.Stream) and o.get("/Subtype") != pikepdf.Name.Image
        )


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )


def _form(pdf: pikepdf.Pdf, font: pikepdf.Object, text: str) -> pikepdf.Object:
    form = pikepdf.Stream(pdf, f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET".encode())
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = [0, 0, 612, 792]
    form.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    return pdf.make_indirect(form)


def _two_forms(inherited: bool) -> bytes:
    """Two pages with one resource dictionary, shared (as many producers write it) or on
    the /Pages node (inherited): page 1 draws the form /Fm0 (harmless), page 2 draws /Fm1,
    which holds the secret."""
    pdf = pikepdf.new()
    font = _font(pdf)
    resources = pdf.make_indirect(
        pikepdf.Dictionary(
            Font=pikepdf.Dictionary(F1=font),
            XObject=pikepdf.Dictionary(
                Fm0=_form(pdf, font, "Harmless first page"), Fm1=_form(pdf, font, SECRET)
            ),
        )
    )
    for name in ("Fm0", "Fm1"):
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 612, 792],
            Resources=resources,
            Contents=pikepdf.Stream(pdf, f"/{name} Do".encode()),
        )
        pdf.pages.append(pikepdf.Page(page))
    if inherited:
        for page in pdf.pages:
            del page.obj["/Resources"]
        pdf.Root.Pages.Resources = resources
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize("inherited", [False, True], ids=["shared", "inherited"])
def test_an_unmarked_page_does_not_carry_a_rasterized_pages_form(inherited):
    source = _two_forms(inherited)
    assert SECRET in page_text(source, 1) and SECRET not in page_text(source, 0)
    assert SECRET.encode() in _streams(source)
    made = redact_pdf(io.BytesIO(source), [TextMark(SECRET)])
    assert made.rasterized == [1]
    assert "Harmless first page" in page_text(made.pdf, 0)
    # the secret's form is not in the file at all: page 1 keeps only the form it draws
    assert SECRET.encode() not in _streams(made.pdf)
    with pikepdf.open(io.BytesIO(made.pdf)) as out:
        assert list(out.pages[0].Resources.XObject.keys()) == ["/Fm0"]


def _shared_pattern(painted: bool) -> bytes:
    """Two pages sharing resources that hold a tiling pattern whose cell draws the secret.
    Page 1 shows harmless text, and (``painted``) fills a rectangle with the pattern: no
    text extraction sees the text of a pattern's cell. Page 2 shows the secret as text."""
    pdf = pikepdf.new()
    font = _font(pdf)
    cell = pikepdf.Stream(pdf, f"BT /F1 12 Tf 0 5 Td ({SECRET}) Tj ET".encode())
    cell.Type, cell.PatternType, cell.PaintType, cell.TilingType = (
        pikepdf.Name.Pattern,
        1,
        1,
        1,
    )
    cell.BBox, cell.XStep, cell.YStep = [0, 0, 200, 20], 200, 20
    cell.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    resources = pdf.make_indirect(
        pikepdf.Dictionary(
            Font=pikepdf.Dictionary(F1=font),
            Pattern=pikepdf.Dictionary(P1=pdf.make_indirect(cell)),
        )
    )
    fill = b"/Pattern cs /P1 scn 72 500 400 40 re f " if painted else b""
    for text in ("Harmless first page", SECRET):
        content = fill + f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 612, 792],
            Resources=resources,
            Contents=pikepdf.Stream(pdf, content),
        )
        pdf.pages.append(pikepdf.Page(page))
        fill = b""
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_an_unmarked_page_does_not_carry_a_pattern_it_does_not_paint_with():
    source = _shared_pattern(painted=False)
    made = redact_pdf(io.BytesIO(source), [TextMark(SECRET)])
    assert made.rasterized == [1] and "Harmless first page" in page_text(made.pdf, 0)
    assert SECRET.encode() not in _streams(made.pdf)
    with pikepdf.open(io.BytesIO(made.pdf)) as out:
        assert "/Pattern" not in out.pages[0].Resources


def test_covered_text_left_in_content_not_drawn_as_text_refuses_the_redaction():
    source = _shared_pattern(painted=True)
    assert SECRET not in page_text(source, 0) and SECRET in page_text(source, 1)
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(source), [TextMark(SECRET)])
    assert refused.value.field == "marks[0]"
    assert "still in the file" in refused.value.reason and "reached from 1" in refused.value.reason
    assert SECRET not in str(refused.value)
    # boxing the page that carries it rasterizes it too: then nothing of it is left
    made = redact_pdf(io.BytesIO(source), [TextMark(SECRET), BoxMark(0, (10, 10, 20, 20))])
    assert made.rasterized == [0, 1] and SECRET.encode() not in _streams(made.pdf)


def test_a_mark_limited_to_pages_leaves_the_same_text_on_the_other_pages():
    source = _pdf([[(72, 700, SECRET)], [(72, 700, SECRET), (72, 650, KEEP)]])
    made = redact_pdf(io.BytesIO(source), [TextMark(SECRET, pages=(1,))])
    assert made.rasterized == [1]
    assert SECRET in page_text(made.pdf, 0) and page_text(made.pdf, 1) == ""


# --- what the audit trail, the metadata and a slow pattern are told ------------------------


def test_a_mark_that_matches_nothing_is_quoted_to_the_caller_and_not_to_the_audit():
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(_three_pages()), [TextMark("Officer Jane Roe")])
    assert "'Officer Jane Roe' matches nothing" in str(refused.value)
    assert refused.value.audited.startswith("marks[0].text (16 characters) matches nothing on")
    assert "Jane" not in refused.value.audited


@pytest.mark.parametrize(
    ("metadata", "mark", "field"),
    [
        ({"title": f"Report {SECRET}", "custodian": "Ann"}, TextMark(SECRET), "title"),
        ({"title": "Report", "file_name": f"{SECRET}.pdf"}, TextMark(SECRET), "file_name"),
        ({"custodian": "SECRET-CODE-77"}, TextMark(r"SECRET-CODE-\d+", pattern=True), "custodian"),
    ],
)
def test_covered_text_in_the_documents_metadata_is_refused_naming_the_field(metadata, mark, field):
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(_three_pages()), [mark], metadata=metadata)
    assert refused.value.field == "marks[0]." + ("pattern" if mark.pattern else "text")
    assert f"also in the document's {field}" in refused.value.reason
    assert "SECRET" not in str(refused.value) and "SECRET" not in refused.value.audited


def test_metadata_without_the_covered_text_does_not_stop_the_redaction():
    made = redact_pdf(
        io.BytesIO(_three_pages()),
        [TextMark(SECRET)],
        metadata={"title": "Field report", "file_name": "report.pdf", "custodian": ""},
    )
    assert made.rasterized == [1]


def test_a_pattern_whose_matching_explodes_is_refused_by_its_time_limit():
    """``.*`` five times side by side passes the structural check, and on this page's one
    line of 200 characters takes far longer than the limit (its time grows as the fifth
    power of the line's length; 120 characters already take seconds): the child process
    running it is stopped at the limit and the mark refused."""
    source = _pdf([[(20, 700, "x" * 200)]])
    pattern = TextMark(".*.*.*.*.*!", pattern=True)
    with pytest.raises(RedactionRefused) as refused:
        redact_pdf(io.BytesIO(source), [pattern], pattern_seconds=1)
    assert refused.value.field == "marks[0].pattern"
    assert "did not finish within 1 s" in refused.value.reason
    assert pattern.text not in refused.value.audited


def test_a_quick_pattern_passes_its_time_limit():
    source = _pdf([[(72, 700, "code ABC-123")]])
    made = redact_pdf(io.BytesIO(source), [TextMark(r"ABC-\d+", pattern=True)], pattern_seconds=5)
    assert made.rasterized == [0]
