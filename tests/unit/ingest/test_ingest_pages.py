"""A native-only document's range is checked against the file's real page count."""

from __future__ import annotations

import pytest

from gateway.ingest import DEFAULT_DESIGNATIONS, LoadFileErrors, MemorySource, build_plan, write_dat
from gateway.pagecount import PageCountError, count_pages_of
from tests.helpers import pdf_bytes, tiff_bytes

FIELDS = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVE"]


def _plan(end: str, native: bytes, name: str = "n.pdf", max_pages: int | None = None):
    rows = [["A-0001", end, "CONFIDENTIAL", f"NATIVES/{name}"]]
    source = MemorySource({"v.dat": write_dat(FIELDS, rows), f"NATIVES/{name}": native}, name="VOL")
    return build_plan(
        source,
        dat_path="v.dat",
        opt_path=None,
        designations=DEFAULT_DESIGNATIONS,
        max_document_pages=max_pages,
    )


def test_count_pages_of_pdf_tiff_and_others():
    assert count_pages_of(pdf_bytes(4)) == 4
    assert count_pages_of(tiff_bytes(3)) == 3
    assert count_pages_of(b"PK\x03\x04 spreadsheet") is None
    for broken in (b"%PDF-1.7 no body", b"II*\x00 not a tiff"):
        with pytest.raises(PageCountError):
            count_pages_of(broken)


def test_a_native_range_matching_its_pages_is_planned():
    assert _plan("A-0003", pdf_bytes(3)).documents[0].bates_end == "A-0003"
    assert _plan("A-0002", tiff_bytes(2), "n.tif").documents[0].bates_end == "A-0002"
    # one Bates number (the slip sheet) for any native, whatever its length
    assert _plan("A-0001", pdf_bytes(7)).documents[0].bates_end == "A-0001"
    assert _plan("A-0001", b"PK sheet", "s.xlsx").documents[0].bates_end == "A-0001"


@pytest.mark.parametrize(
    "end, native, name, reason",
    [
        ("A-0005", pdf_bytes(3), "n.pdf", "native NATIVES/n.pdf has 3 page(s) but document "),
        ("A-0002", b"PK sheet", "s.xlsx", "takes one Bates number, not 2"),
        ("A-0002", b"%PDF-1.4 junk", "n.pdf", "not a readable PDF"),
    ],
)
def test_a_native_range_not_matching_its_file_is_refused(end, native, name, reason):
    with pytest.raises(LoadFileErrors) as caught:
        _plan(end, native, name)
    error = caught.value.errors[0]
    assert (error.line, error.field) == (2, "NATIVE") and reason in error.reason


def test_a_range_longer_than_the_matter_allows_is_refused():
    with pytest.raises(
        LoadFileErrors, match=r"v\.dat:2: ENDBATES: the range A-0001-A-0009 spans 9"
    ):
        _plan("A-0009", pdf_bytes(9), max_pages=8)
