"""Load files shaped the way vendors write them are read, with the same checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.ingest import (
    DirectorySource,
    LoadFileErrors,
    MemorySource,
    OptRow,
    UnsafePath,
    volume_path,
)
from gateway.ingest.source import locate
from tests.helpers import pdf_bytes, tiff_bytes
from tests.unit.ingest.conftest import OPT_FILE, Volume, bates


def _multipage(volume: Volume, first: int, last: int, data: bytes, name: str) -> None:
    """A document whose pages are one file, listed once with the page count."""
    volume.rows.append(
        {"BEGBATES": bates(first), "ENDBATES": bates(last), "CONFIDENTIALITY": "AEO"}
    )
    path = f"IMAGES\\0001\\{name}"
    volume.opt.append(OptRow(bates(first), "VOL001", path, True, page_count=last - first + 1))
    volume.files[path.replace("\\", "/")] = data


def test_a_multi_page_pdf_listed_once_is_planned_page_by_page(volume):
    _multipage(volume, 600000, 600003, pdf_bytes(4), "report.pdf")
    doc = volume.plan().documents[-1]
    assert doc.page_count == 4
    assert [p.bates for p in doc.pages] == [bates(n) for n in range(600000, 600004)]
    assert {p.path for p in doc.pages} == {"IMAGES/0001/report.pdf"}


def test_a_multi_page_tiff_listed_on_every_line_is_planned(volume):
    volume.rows.append({"BEGBATES": bates(600000), "ENDBATES": bates(600002)})
    for number in range(600000, 600003):
        first = number == 600000
        volume.opt.append(
            OptRow(bates(number), "VOL001", "IMAGES\\m.tif", first, page_count=3 if first else None)
        )
    volume.files["IMAGES/m.tif"] = tiff_bytes(3)
    assert volume.plan().documents[-1].page_count == 3


@pytest.mark.parametrize(
    "data, reason",
    [
        (pdf_bytes(3), "image IMAGES/0001/report.pdf has 3 page(s) but the OPT gives it 4"),
        (b"%PDF-1.4 junk", "not a readable PDF, so its pages cannot be counted"),
        (b"\xff\xd8\xff a jpeg", "has no pages to count (not a PDF or TIFF) but stands for 4"),
    ],
)
def test_a_multi_page_image_must_have_the_pages_the_dat_gives(volume, problem, data, reason):
    _multipage(volume, 600000, 600003, data, "report.pdf")
    problem(volume.problems(), file=OPT_FILE, line=27, field="image path", reason=reason)


def test_a_page_count_not_matching_the_dat_range_is_refused(volume, problem):
    _multipage(volume, 600000, 600003, pdf_bytes(4), "report.pdf")
    volume.rows[-1]["ENDBATES"] = bates(600004)
    problems = volume.problems()
    problem(problems, file=OPT_FILE, line=27, field="page count", reason="page count 4 but")
    assert "spans 5 page(s)" in problems.message


def test_volume_rooted_paths_and_paths_starting_with_the_volume_name(volume):
    volume.opt[0] = OptRow(
        bates(556914), "VOL001", "\\VOL001\\IMAGES\\0001\\AOL-DEF-00556914.tif", True, page_count=5
    )
    volume.opt[1] = OptRow(
        bates(556915), "VOL001", "vol001\\IMAGES\\0001\\AOL-DEF-00556915.tif", False
    )
    pages = volume.plan().documents[0].pages
    assert [p.path for p in pages[:2]] == [
        "IMAGES/0001/AOL-DEF-00556914.tif",
        "IMAGES/0001/AOL-DEF-00556915.tif",
    ]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("\\OTHER\\IMAGES\\x.tif", "is absolute; it must be relative to the volume folder or"),
        ("\\VOL001\\..\\secret.txt", "contains '..'"),
        ("\\VOL001", "is absolute"),
        ("\\\\VOL001\\IMAGES\\x.tif", "is absolute"),
    ],
)
def test_rooted_paths_outside_the_volume_are_refused(raw, why):
    with pytest.raises(UnsafePath, match=why):
        volume_path(raw, "VOL001")


def test_a_path_naming_two_files_is_ambiguous():
    source = MemorySource({"IMAGES/a.tif": b"1", "VOL001/IMAGES/a.tif": b"2"}, name="VOL001")
    with pytest.raises(UnsafePath, match="names both VOL001/IMAGES/a.tif and IMAGES/a.tif"):
        locate(source, "VOL001\\IMAGES\\a.tif")
    assert locate(source, "\\VOL001\\IMAGES\\a.tif") == "IMAGES/a.tif"


def test_a_volume_named_path_cannot_follow_a_link_out(tmp_path: Path):
    root = tmp_path / "VOL001"
    root.mkdir()
    (tmp_path / "secret.txt").write_bytes(b"outside")
    os.symlink(tmp_path, root / "VOL001")
    with pytest.raises(UnsafePath, match="outside the volume folder"):
        locate(DirectorySource(root), "VOL001\\secret.txt")


def test_lf_load_files_plan_like_crlf_ones(volume):
    from gateway.ingest import write_dat

    crlf = write_dat(volume.fields, volume.rows)
    volume.dat_bytes = crlf.replace(b"\r\n", b"\n") + b"\n"
    assert len(volume.plan().documents) == 5
    volume.dat_bytes = crlf + b"\n"  # a stray final LF after CRLF records
    assert len(volume.plan().documents) == 5


def test_every_problem_still_names_its_line(volume):
    volume.opt[0] = OptRow(bates(556914), "VOL001", "\\OTHER\\x.tif", True, page_count=5)
    with pytest.raises(LoadFileErrors, match=r"VOL001/DATA/VOL001\.opt:1: image path: the path"):
        volume.plan()


def _dat_plan(fields, rows, files=None, choices=None):
    from gateway.designations import DEFAULT_DESIGNATIONS
    from gateway.ingest import build_plan, write_dat

    source = MemorySource({"v.dat": write_dat(fields, rows), **(files or {})}, name="VOL")
    return build_plan(
        source, dat_path="v.dat", opt_path=None, designations=DEFAULT_DESIGNATIONS, choices=choices
    )


@pytest.mark.parametrize(
    "begin, end", [("BegNo", "EndNo"), ("Bates Beg", "Bates End"), ("BEG_DOC", "end doc")]
)
def test_field_name_variants_are_read(begin, end):
    plan = _dat_plan(
        [begin, end, "Confidentiality", "Native"], [["A-1", "A-1", "", "n.xlsx"]], {"n.xlsx": b"PK"}
    )
    assert plan.documents[0].bates_begin == "A-1" and plan.documents[0].designation == "PUBLIC"


def test_attach_range_gives_the_family():
    fields = ["BEGBATES", "ENDBATES", "AttachRange", "CONFIDENTIALITY", "NATIVE"]
    rows = [
        ["A-1", "A-1", "A-1 - A-2", "", "a.pdf"],
        ["A-2", "A-2", "A-1-A-2", "", "b.pdf"],
        ["A-3", "A-3", "", "", "c.pdf"],
    ]
    files = {name: b"PK" for name in ("a.pdf", "b.pdf", "c.pdf")}
    plan = _dat_plan(fields, rows, files)
    assert [d.family for d in plan.documents] == ["A-1", "A-1", "A-3"]
    rows[1][2] = "A-1 A-2 A-3"
    with pytest.raises(
        LoadFileErrors, match=r"v\.dat:3: AttachRange: 'A-1 A-2 A-3' is not a Bates range"
    ):
        _dat_plan(fields, rows, files)


def test_parent_bates_must_name_a_parent_of_the_volume():
    fields = ["BEGBATES", "ENDBATES", "ParentBates", "CONFIDENTIALITY", "NATIVE"]
    files = {name: b"PK" for name in ("a.pdf", "b.pdf", "c.pdf")}
    rows = [["A-1", "A-1", "", "", "a.pdf"], ["A-2", "A-2", "A-9", "", "b.pdf"]]
    with pytest.raises(LoadFileErrors, match="parent A-9 is no document of this volume"):
        _dat_plan(fields, rows, files)
    rows = [
        ["A-1", "A-1", "", "", "a.pdf"],
        ["A-2", "A-2", "A-1", "", "b.pdf"],
        ["A-3", "A-3", "A-2", "", "c.pdf"],
    ]
    with pytest.raises(LoadFileErrors, match="parent A-2 is itself an attachment of A-1"):
        _dat_plan(fields, rows, files)


def test_two_ways_of_giving_the_family_are_refused():
    fields = [
        "BEGBATES",
        "ENDBATES",
        "BEGATTACH",
        "ENDATTACH",
        "PARENTBATES",
        "CONFIDENTIALITY",
        "NATIVE",
    ]
    with pytest.raises(LoadFileErrors, match="all give the family, in different ways"):
        _dat_plan(fields, [["A-1", "A-1", "", "", "", "", "a.pdf"]], {"a.pdf": b"PK"})


@pytest.mark.parametrize(
    "value, inline",
    [
        ("TEXT\\001\\A-1.txt", False),
        ("Dear Officer,\nplease see the attached report.", True),
        ("One line of OCR without an extension", True),
    ],
)
def test_extracted_text_is_a_path_or_the_text_itself(value, inline):
    fields = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVE", "Extracted Text"]
    files = {"a.pdf": b"PK", "TEXT/001/A-1.txt": b"text"}
    doc = _dat_plan(fields, [["A-1", "A-1", "", "a.pdf", value]], files).documents[0]
    assert (doc.text_body, doc.text_path) == (
        (value, None) if inline else (None, "TEXT/001/A-1.txt")
    )
    assert "Extracted Text" not in doc.extra


def test_a_path_shaped_extracted_text_naming_no_file_is_refused():
    fields = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVE", "EXTRACTED_TEXT"]
    with pytest.raises(LoadFileErrors, match="text file TEXT/missing.txt does not exist"):
        _dat_plan(fields, [["A-1", "A-1", "", "a.pdf", "TEXT\\missing.txt"]], {"a.pdf": b"PK"})


def test_text_given_twice_is_refused():
    fields = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVE", "TEXTLINK", "OCR Text"]
    rows = [["A-1", "A-1", "", "a.pdf", "t.txt", "the text"]]
    with pytest.raises(LoadFileErrors, match="TEXTLINK: and OCR Text both give the text"):
        _dat_plan(fields, rows, {"a.pdf": b"PK", "t.txt": b"x"})


def test_rooted_paths_may_name_the_volume_as_the_opt_does(volume):
    """The folder was renamed on copy (VOL001 -> a MemorySource named COPY): the OPT's
    volume name still roots its paths; any other root is refused."""
    from gateway.designations import DEFAULT_DESIGNATIONS
    from gateway.ingest import build_plan

    volume.opt[0] = OptRow(
        bates(556914), "VOL001", "\\VOL001\\IMAGES\\0001\\AOL-DEF-00556914.tif", True, page_count=5
    )
    source = volume.source(name="COPY")  # the same files in a folder of another name
    plan = build_plan(
        source,
        dat_path="DATA/VOL001.dat",
        opt_path="DATA/VOL001.opt",
        designations=DEFAULT_DESIGNATIONS,
    )
    assert plan.documents[0].pages[0].path == "IMAGES/0001/AOL-DEF-00556914.tif"
    volume.opt[0] = OptRow(
        bates(556914), "VOL001", "\\VOL009\\IMAGES\\0001\\AOL-DEF-00556914.tif", True, page_count=5
    )
    with pytest.raises(LoadFileErrors, match="is absolute"):
        volume.plan()
