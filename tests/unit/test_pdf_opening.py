"""Opening a PDF within bounds: what is refused, and why."""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest

from gateway.pdf.opening import Limits, PdfRefused, active_content, open_pdf
from tests.helpers import pdf_bytes


def _saved(pdf: pikepdf.Pdf, **options) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)
    return out.getvalue()


def test_a_good_pdf_opens_with_its_pages():
    with open_pdf(io.BytesIO(pdf_bytes(5, "hello"))) as pdf:
        assert len(pdf.pages) == 5


@pytest.mark.parametrize(
    ("cut", "said"),
    [(0.5, "not a readable PDF"), (-30, "damaged or truncated"), (16, "not a readable PDF")],
)
def test_a_truncated_pdf_is_refused(cut, said):
    data = pdf_bytes(5, "hello")
    end = int(len(data) * cut) if isinstance(cut, float) else cut
    with pytest.raises(PdfRefused) as refused:
        open_pdf(io.BytesIO(data[:end]))
    assert said in refused.value.reason
    assert "0x" not in refused.value.reason  # no Python object's address


def test_an_encrypted_pdf_is_refused_even_without_a_user_password():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    data = _saved(pdf, encryption=pikepdf.Encryption(owner="owner", user=""))
    with pytest.raises(PdfRefused, match="encrypted"):
        open_pdf(io.BytesIO(data))


def test_a_decompression_bomb_is_refused_without_inflating_it_whole():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    bomb = pikepdf.Stream(pdf, zlib.compress(b"\0" * (64 << 20), 9))
    bomb.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].obj.Contents = pdf.make_indirect(bomb)
    data = _saved(pdf)
    assert len(data) < 200_000
    with pytest.raises(PdfRefused, match="decompression bomb"):
        open_pdf(io.BytesIO(data), Limits(max_stream_bytes=16 << 20))
    with pytest.raises(PdfRefused, match="decompression bomb"):
        open_pdf(io.BytesIO(data), Limits(max_total_bytes=16 << 20))
    with open_pdf(io.BytesIO(data)) as opened:  # within the default bound
        assert len(opened.pages) == 1


def test_an_image_of_too_many_pixels_is_refused():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    image = pikepdf.Stream(pdf, b"\0" * 16)
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = 100_000, 100_000
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image))
    )
    with pytest.raises(PdfRefused, match="pixels"):
        open_pdf(io.BytesIO(_saved(pdf)))


def test_too_many_pages_is_refused():
    with pytest.raises(PdfRefused, match="12 pages; at most 10"):
        open_pdf(io.BytesIO(pdf_bytes(12, "x")), Limits(max_pages=10))


def test_active_content_is_named():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("1"))
    pdf.attachments["a.txt"] = pikepdf.AttachedFileSpec(pdf, b"secret")
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array())
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("Chapter", 0))
    with pdf.open_metadata() as meta:
        meta["dc:title"] = "Secret title"
    found = active_content(pikepdf.open(io.BytesIO(_saved(pdf))))
    for name in ("JavaScript", "embedded files", "form fields", "an outline", "XMP metadata"):
        assert any(name in item for item in found), (name, found)
    with open_pdf(io.BytesIO(pdf_bytes(2, "plain"))) as plain:
        assert not [item for item in active_content(plain) if item != "document information"]
