"""Builds small production volumes on disk for ingest tests (test data, not demo data)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.ingest.opt import OptRow
from gateway.ingest.writer import write_dat, write_opt

FIELDS = [
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "CUSTODIAN",
    "CONFIDENTIALITY",
    "TITLE",
    "FROM",
    "TO",
    "NATIVELINK",
    "TEXTLINK",
]


@dataclass
class Doc:
    begin: int
    end: int
    designation: str = "CONFIDENTIAL"
    family: tuple[int, int] | None = None
    native: bool = False
    author: str = ""


def page_bytes(prefix: str, number: int) -> bytes:
    """A small real page image (bilevel TIFF, 200 x 260 at 24 dpi) naming its page: the
    gateway reads page images to mark them, so a test page must be one."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("1", (200, 260), 1)
    ImageDraw.Draw(image).text((10, 10), f"{prefix}{number:08d}", fill=0)
    out = io.BytesIO()
    image.save(out, format="TIFF", compression="group4", dpi=(24, 24))
    return out.getvalue()


def real_page_tiff(prefix: str, number: int) -> bytes:
    """A real bilevel (Group 4) letter page at 100 dpi, with a line of text and no Bates
    number or legend: a page image as an unbranded volume sends it."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("1", (850, 1100), 1)
    ImageDraw.Draw(image).text((100, 100), f"page image {prefix}{number:08d}", fill=0)
    out = io.BytesIO()
    image.save(out, format="TIFF", compression="group4", dpi=(100, 100))
    return out.getvalue()


def real_native_pdf(pages: int, title: str) -> bytes:
    """A real PDF of ``pages`` letter pages without Bates numbers or legends."""
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=letter, invariant=True)
    for number in range(1, pages + 1):
        pdf.drawString(72, 700, f"{title}, page {number}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def build_volume(
    root: Path,
    docs: list[Doc],
    *,
    prefix: str = "TST-",
    volume: str = "VOL001",
    encoding: str = "utf-16",
    rename: dict[str, str] | None = None,
    real: bool = False,
) -> Path:
    """``rename`` gives some fields the names another vendor's export would use; ``real``:
    page images are real TIFFs and natives real PDFs (for what reads their pages)."""
    folder = root / volume
    (folder / "IMAGES").mkdir(parents=True)
    (folder / "NATIVES").mkdir()
    (folder / "TEXT").mkdir()
    (folder / "DATA").mkdir()
    rows, opt = [], []
    for doc in docs:
        begin = f"{prefix}{doc.begin:08d}"
        native = ""
        if doc.native and real:
            native = f"NATIVES/{begin}.pdf"
            pages = doc.end - doc.begin + 1
            (folder / native).write_bytes(real_native_pdf(pages, f"Document {begin}"))
        elif doc.native:
            native = f"NATIVES/{begin}.xlsx"
            (folder / native).write_bytes(b"PK native spreadsheet " + begin.encode() * 50)
        text = f"TEXT/{begin}.txt"
        (folder / text).write_text(f"extracted text of {begin}\n", encoding="utf-8")
        for number in range(doc.begin, doc.end + 1):
            image = f"IMAGES/{prefix}{number:08d}.tif"
            page = real_page_tiff(prefix, number) if real else page_bytes(prefix, number)
            (folder / image).write_bytes(page)
            opt.append(
                OptRow(
                    image_key=f"{prefix}{number:08d}",
                    volume=volume,
                    path=image.replace("/", "\\"),
                    document_break=number == doc.begin,
                    folder_break=False,
                    box_break=False,
                    page_count=doc.end - doc.begin + 1 if number == doc.begin else None,
                )
            )
        fam = doc.family
        rows.append(
            [
                begin,
                f"{prefix}{doc.end:08d}",
                f"{prefix}{fam[0]:08d}" if fam else "",
                f"{prefix}{fam[1]:08d}" if fam else "",
                "Custodian A",
                doc.designation,
                f"Document {begin}",
                doc.author,
                "",
                native,
                text,
            ]
        )
    fields = [(rename or {}).get(name, name) for name in FIELDS]
    (folder / "DATA" / f"{volume}.dat").write_bytes(write_dat(fields, rows, encoding=encoding))
    (folder / "DATA" / f"{volume}.opt").write_bytes(write_opt(opt))
    return folder
