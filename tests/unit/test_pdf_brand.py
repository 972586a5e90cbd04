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
    band_pdf(io.BytesIO(source), ("AEO", "Designation changed"), out)
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
    banded = Image.open(io.BytesIO(band_image(source.getvalue(), ("AEO", "changed"))))
    assert banded.size == (850, 1100 + round(BAND / 72 * 100))


def test_a_multi_frame_image_is_refused_with_a_reason():
    frames = [Image.new("1", (50, 50)) for _ in range(2)]
    data = io.BytesIO()
    frames[0].save(data, format="TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(PdfRefused, match="more than one frame"):
        brand_image(data.getvalue(), PageBrand("X-0001", "AEO"))


OCEO = "HIGHLY CONFIDENTIAL - OUTSIDE COUNSEL'S EYES ONLY"
AEO = "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY"


def _chars_within(pdf: bytes, text: str) -> bool:
    """Whether every character of ``text`` on page 1 lies inside the page's width."""
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    width = page.get_size()[0]
    textpage = page.get_textpage()
    found = textpage.search(text).get_next()
    assert found is not None, f"{text!r} not on the page"
    start, count = found
    boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
    document.close()
    return all(0 <= left and right <= width for left, _b, right, _t in boxes)


@pytest.mark.parametrize("size", [(612, 792), (595, 842), (306, 396)], ids=["letter", "a4", "half"])
def test_the_bands_two_lines_fit_the_page(size):
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=size)
    source = io.BytesIO()
    pdf.save(source)
    second = f"Designation changed on 2020-06-26; this supersedes the legend below ({AEO})."
    out = io.BytesIO()
    band_pdf(io.BytesIO(source.getvalue()), (OCEO, second), out)
    assert _chars_within(out.getvalue(), OCEO)
    assert _chars_within(out.getvalue(), "supersedes the legend below")


def test_on_a_narrow_page_the_legend_and_bates_number_do_not_cover_each_other():
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(306, 396))
    source = io.BytesIO()
    pdf.save(source)
    out = io.BytesIO()
    brand_pdf(io.BytesIO(source.getvalue()), [PageBrand("AOL-DEF-00516605", OCEO)], out)
    document = pdfium.PdfDocument(out.getvalue())
    textpage = document[0].get_textpage()

    def box(text):
        start, count = textpage.search(text).get_next()
        boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    legend, bates = box(OCEO), box("AOL-DEF-00516605")
    overlap_x = legend[0] < bates[2] and bates[0] < legend[2]
    overlap_y = legend[1] < bates[3] and bates[1] < legend[3]
    assert not (overlap_x and overlap_y), (legend, bates)
    assert legend[2] <= 306 and bates[2] <= 306


def test_a_page_whose_content_pops_more_than_it_pushes_still_gets_its_marks_in_place():
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0]
    # content that pops a state it never pushed, then scales everything after it by 3
    page.obj.Contents = pdf.make_stream(b"0 0 0 rg 10 10 5 5 re f Q 3 0 0 3 0 0 cm")
    source = io.BytesIO()
    pdf.save(source)
    out = io.BytesIO()
    brand_pdf(io.BytesIO(source.getvalue()), [PageBrand("AOL-DEF-00000001", "AEO")], out)
    image = _render(out.getvalue())
    w, h = image.size
    assert _dark(image, (w - 130, h - 40, w, h)) > 30, "the Bates number moved"


def test_a_font_name_the_page_uses_already_is_left_alone():
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(1, "own font words")))
    page = pdf.pages[0]
    own = next(iter(page.obj.Resources.Font.values()))
    page.obj.Resources.Font["/PogwBrand"] = own
    source = io.BytesIO()
    pdf.save(source)
    out = io.BytesIO()
    brand_pdf(io.BytesIO(source.getvalue()), [PageBrand("B-1", "AEO")], out)
    with pikepdf.open(io.BytesIO(out.getvalue())) as branded:
        fonts = branded.pages[0].obj.Resources.Font
        assert fonts["/PogwBrand"].get("/BaseFont") == own.get("/BaseFont")
        assert str(fonts["/PogwBrand1"].BaseFont) == "/Helvetica-Bold"
    text = pdfium.PdfDocument(out.getvalue())[0].get_textpage().get_text_range()
    assert "own font words" in text and "B-1" in text


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_a_transparent_page_image_is_laid_on_white(mode):
    page = Image.new("RGBA", (850, 1100), (0, 0, 0, 0))  # transparent black
    page.paste((0, 0, 0, 255), (100, 100, 300, 300))  # one opaque black square
    page = page.convert(mode) if mode != "P" else page.convert("P")
    if mode == "P":
        page.info["transparency"] = 0
    source = io.BytesIO()
    page.save(source, format="PNG", dpi=(100, 100))
    branded = Image.open(io.BytesIO(brand_image(source.getvalue(), PageBrand("X-1", "AEO"))))
    gray = branded.convert("L")
    assert gray.getpixel((600, 600)) == 255  # the transparent ground reads as paper
    assert gray.getpixel((200, 200)) == 0


def test_a_fax_page_keeps_its_two_resolutions():
    page = Image.new("1", (1728, 1078), 1)  # a fax page: 204 x 98 dpi
    source = io.BytesIO()
    page.save(source, format="TIFF", compression="group4", dpi=(204, 98))
    branded = Image.open(io.BytesIO(brand_image(source.getvalue(), PageBrand("X-1", "AEO"))))
    assert branded.size == page.size
    assert tuple(round(v) for v in branded.info["dpi"]) == (204, 98)
    banded = Image.open(io.BytesIO(band_image(source.getvalue(), ("AEO", "changed"))))
    assert banded.size == (1728, 1078 + round(BAND / 72 * 98))


def test_a_jpeg_page_is_branded_as_a_reader_sees_it():
    page = Image.new("RGB", (600, 800), "white")  # stored sideways, shown upright
    page.paste((0, 0, 0), (0, 0, 50, 50))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    source = io.BytesIO()
    page.save(source, format="JPEG", dpi=(100, 100), exif=exif, icc_profile=b"")
    branded = Image.open(io.BytesIO(brand_image(source.getvalue(), PageBrand("X-1", "AEO"))))
    assert branded.size == (800, 600)  # upright: the orientation applied, not dropped
    assert branded.getexif().get(0x0112) in (None, 1)
