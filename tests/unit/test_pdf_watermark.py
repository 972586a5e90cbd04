"""The mark sits where a reader of the page as displayed expects it, whatever the page's
rotation or origin, and leaves the page's own content as it was."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pikepdf
import pypdfium2 as pdfium
import pytest

from gateway.pdf.marks import Mark, make_token, tokens_in
from gateway.pdf.watermark import save, stamp
from tests.helpers import page_texts, pdf_bytes

MARK = Mark("José Núñez", "jn@example.com", datetime(2020, 6, 26, 17, tzinfo=UTC), "")
TOKEN = make_token(b"k" * 32, 7, 42)


def _stamped(pdf: pikepdf.Pdf) -> bytes:
    stamp(pdf, Mark(MARK.name, MARK.email, MARK.at, TOKEN))
    out = io.BytesIO()
    save(pdf, out)
    return out.getvalue()


def _ink(data: bytes, index: int) -> dict[str, bool]:
    """Whether the displayed page has ink in its bottom and top strips, at their centre
    and at their corners (a blank page: only the mark draws)."""
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[index]
        image = page.render(scale=1).to_pil().convert("L")
        page.close()
    finally:
        doc.close()
    w, h = image.size

    def dark(box: tuple[int, int, int, int]) -> bool:
        return image.crop(box).getextrema()[0] < 200

    return {
        "bottom_centre": dark((w // 3, h - 14, 2 * w // 3, h)),
        "bottom_corners": dark((0, h - 60, w // 8, h)) or dark((w - w // 8, h - 60, w, h)),
        "top": dark((0, 0, w, 14)),
    }


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_the_foot_line_is_at_the_foot_of_the_page_as_displayed(rotate):
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    pdf.pages[0].obj.Rotate = rotate
    pdf.pages[0].obj.MediaBox = pikepdf.Array([100, -200, 712, 592])  # origin not at 0, 0
    ink = _ink(_stamped(pdf), 0)
    assert ink == {"bottom_centre": True, "bottom_corners": False, "top": False}


def test_page_content_is_kept_byte_for_byte_and_the_token_is_on_every_page():
    source = pdf_bytes(3, "own text")
    with pikepdf.open(io.BytesIO(source)) as was:
        before = [page.obj.Contents.read_raw_bytes() for page in was.pages]
    data = _stamped(pikepdf.open(io.BytesIO(source)))
    with pikepdf.open(io.BytesIO(data)) as got:
        for page, original in zip(got.pages, before, strict=True):
            contents = page.obj.Contents
            assert contents[0].read_bytes() == b"q\n" and contents[1].read_raw_bytes() == original
    for n, text in enumerate(page_texts(data), start=1):
        assert f"own text, page {n}" in text
        assert tokens_in(text) == [TOKEN]
        assert "Served to Jose Nunez <jn@example.com> on 2020-06-26 17:00 UTC" in text


def test_inherited_resources_and_a_name_already_taken_are_respected():
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(2, "inherited")))
    page = pdf.pages[0]
    # the page's resources moved up to its /Pages node, and a font of its own named as
    # the mark's would be
    pdf.Root.Pages.Resources = page.obj.Resources
    del page.obj["/Resources"]
    own_font = pdf.pages[1].obj.Resources.Font
    first = next(iter(own_font.keys()))
    own_font["/PogwMarkF"] = own_font[first]
    assert own_font[first].Name == pikepdf.Name(first)  # how reportlab's font says its name
    data = _stamped(pdf)
    texts = page_texts(data)
    assert "inherited, page 1" in texts[0] and "inherited, page 2" in texts[1]
    with pikepdf.open(io.BytesIO(data)) as got:
        fonts = got.pages[1].obj.Resources.Font
        # the page's own font keeps its name; the mark's takes the next free one
        assert fonts["/PogwMarkF"].get("/Name") == pikepdf.Name(first)
        assert "/Name" not in fonts["/PogwMarkF2"]
        assert "/PogwMarkF" in got.pages[0].obj.Resources.Font
    assert all(tokens_in(t) == [TOKEN] for t in texts)
