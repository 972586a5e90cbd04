"""Where an export puts each file, and which family range its DAT gives each document."""

from __future__ import annotations

from gateway.bates import parse_bates
from gateway.documents.models import Document, DocumentFile
from gateway.exports.layout import family_ranges, file_path


def _doc(id_: int, begin: int, end: int, family: str) -> Document:
    first, last = parse_bates(f"TST-{begin:08d}"), parse_bates(f"TST-{end:08d}")
    return Document(
        id=id_,
        bates_begin=first.format(),
        bates_end=last.format(),
        bates_prefix=first.prefix,
        bates_begin_no=first.number,
        bates_end_no=last.number,
        family_id=family,
    )


def test_a_family_spans_only_the_members_exported():
    parent, hidden, last, alone = (
        _doc(1, 1, 3, "f"),
        _doc(2, 4, 4, "f"),
        _doc(3, 5, 6, "f"),
        _doc(4, 7, 7, "g"),
    )
    ranges = family_ranges([parent, last, alone])  # the member in between is not exported
    assert ranges == {1: ("TST-00000001", "TST-00000006"), 3: ("TST-00000001", "TST-00000006")}
    assert hidden.id not in ranges and alone.id not in ranges  # a family of one has none
    assert family_ranges([hidden, last]) == {
        2: ("TST-00000004", "TST-00000006"),
        3: ("TST-00000004", "TST-00000006"),
    }


def test_files_are_named_by_their_bates_numbers_in_the_layouts_folders():
    doc = _doc(1, 10, 12, "f")
    page = DocumentFile(role="image", page_no=2, file_name="scan 0002.TIF")
    native = DocumentFile(role="native", page_no=None, file_name="Budget.xlsx")
    text = DocumentFile(role="text", page_no=None, file_name="whatever.dat")
    odd = DocumentFile(role="native", page_no=None, file_name="..\\..\\evil")
    assert file_path(doc, page) == "IMAGES/TST-00000011.tif"
    assert file_path(doc, native) == "NATIVES/TST-00000010.xlsx"
    assert file_path(doc, text) == "TEXT/TST-00000010.txt"
    assert file_path(doc, odd) == "NATIVES/TST-00000010"  # a client's name is never a path
