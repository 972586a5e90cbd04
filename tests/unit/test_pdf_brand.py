"""Branding a page where a reader sees its bottom corners, whatever the page's rotation or
box; a band that grows the page above what a reader sees as its top."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from gateway.pdf.brand import BAND, PageBrand, band_image, band_pdf, brand_image, brand_pdf
from gateway.pdf.opening import PdfRefused
from tests.helpers import pdf_bytes


def _shaped(rotate: int, box: tuple[float, float, float, float] | None = None) -> bytes:
    """A blank letter page (so that any ink is the mark's), rotated and boxed as given."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    page.obj.Rotate = rotate
    if box is not None:
        page.obj.MediaBox = pikepdf.Array(list(box))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _render(pdf: bytes) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    image = document[0].render(scale=1).to_pil().convert("L")
    document.close()
    return image


def _dark(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for v in image.crop(box).get_flattened_data() if v < 128)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("box", [None, (100.0, -50.0, 712.0, 742.0)], ids=["origin", "offset"])
def test_the_bates_number_is_bottom_right_as_a_reader_sees_the_page(rotate, box):
    out = io.BytesIO()
    brand_pdf(io.BytesIO(_shaped(rotate, box)), [PageBrand("AOL-DEF-00000001", "AEO")], out)
    image = _render(out.getvalue())
    w, h = image.size
    corner = 130
    assert _dark(image, (w - corner, h - 40, w, h)) > 30, "no Bates number bottom right"
    assert _dark(image, (0, h - 40, 60, h)) > 10, "no legend bottom left"
    assert _dark(image, (w - corner, 0, w, 40)) == 0, "a mark at the top"
    text = pdfium.PdfDocument(out.getvalue())[0].get_textpage().get_text_range()
    assert "AOL-DEF-00000001" in text and "AEO" in text


def test_the_pages_own_content_is_kept_under_the_brand():
    out = io.BytesIO()
    brand_pdf(io.BytesIO(pdf_bytes(2, "own words")), [PageBrand("B-1", "AEO")] * 2, out)
    texts = [p.get_textpage().get_text_range() for p in pdfium.PdfDocument(out.getvalue())]
    assert all("own words" in t and "B-1" in t for t in texts)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_the_band_grows_the_page_on_top_as_a_reader_sees_it(rotate):
    source = _shaped(rotate)
    before = _render(source)
    out = io.BytesIO()
    band_pdf(io.BytesIO(source), "AEO - re-designated", out)
    after = _render(out.getvalue())
    assert after.size[0] == before.size[0]
    assert after.size[1] == before.size[1] + round(BAND)
    assert _dark(after, (0, 0, after.size[0], round(BAND))) > 30, "no band text on top"
    # the page below the band (and its rule, which may shade the first row) is the page
    # as it was, pixel for pixel
    below = after.crop((0, round(BAND) + 1, after.size[0], after.size[1]))
    assert below.tobytes() == before.crop((0, 1, *before.size)).tobytes()


def test_a_pdf_of_another_page_count_than_its_bates_range_is_refused():
    with pytest.raises(PdfRefused, match="2 pages but its Bates range numbers 3"):
        brand_pdf(
            io.BytesIO(pdf_bytes(2)), [PageBrand(f"B{i}", "AEO") for i in range(3)], io.BytesIO()
        )


@pytest.mark.parametrize("mode", ["1", "L", "RGB"])
def test_a_page_image_keeps_its_format_size_and_mode(mode):
    page = Image.new(mode, (850, 1100), "white" if mode == "RGB" else 255 if mode == "L" else 1)
    source = io.BytesIO()
    page.save(source, format="TIFF" if mode == "1" else "PNG", dpi=(100, 100))
    branded = Image.open(io.BytesIO(brand_image(source.getvalue(), PageBrand("X-0001", "AEO"))))
    assert (branded.size, branded.mode) == (page.size, page.mode)
    assert branded.format == ("TIFF" if mode == "1" else "PNG")
    banded = Image.open(io.BytesIO(band_image(source.getvalue(), "AEO - re-designated")))
    assert banded.size == (850, 1100 + round(BAND / 72 * 100))


def test_a_multi_frame_image_is_refused_with_a_reason():
    frames = [Image.new("1", (50, 50)) for _ in range(2)]
    data = io.BytesIO()
    frames[0].save(data, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(PdfRefused, match="more than one frame"):
        brand_image(data.getvalue(), PageBrand("X-0001", "AEO"))
