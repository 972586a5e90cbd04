"""Reading an overlay's load files (``gateway.ingest.overlay.plan_overlay``, pure): the page
images it gives a document must be the whole document, and a long removal list is read in
time linear in its length."""

from __future__ import annotations

import time

import pytest

from gateway.ingest.errors import LoadFileErrors
from gateway.ingest.overlay import plan_overlay
from gateway.ingest.source import MemorySource

DESIGNATIONS = {"AEO": "AEO", "CONFIDENTIAL": "CONFIDENTIAL"}


def _dat(rows: list[tuple[str, str]]) -> bytes:
    head = "\ufeffþBEGBATESþ\x14þENDBATESþ\x14þCONFIDENTIALITYþ\r\n"
    return (head + "".join(f"þ{a}þ\x14þ{b}þ\x14þAEOþ\r\n" for a, b in rows)).encode()


def _overlay(pages: list[int], end: int = 5) -> MemorySource:
    opt = "".join(
        f"TST-{n:08d},OV,IMAGES\\P{i}.tif,{'Y' if i == 0 else ''},,,\r\n"
        for i, n in enumerate(pages)
    )
    files = {
        "DATA/OV.dat": _dat([("TST-00000001", f"TST-{end:08d}")]),
        "DATA/OV.opt": opt.encode(),
        **{f"IMAGES/P{i}.tif": b"II*\x00" for i in range(len(pages))},
    }
    return MemorySource(files, "OV")


def _refused(source: MemorySource) -> list[str]:
    with pytest.raises(LoadFileErrors) as refused:
        plan_overlay(source, volume="OV", designations=DESIGNATIONS)
    return [error.message for error in refused.value.errors]


def test_one_image_at_page_3_of_a_5_page_document_is_refused():
    assert _refused(_overlay([3])) == [
        "OV/DATA/OV.opt:1: TST-00000003 is the only page image given for TST-00000001 to "
        "TST-00000005 (5 pages), at its page 3: a single image must be page 1 (a multi-page "
        "image file), otherwise the OPT must give every page"
    ]


def test_some_of_the_pages_or_a_page_twice_is_refused():
    (missing,) = _refused(_overlay([1, 2, 4]))
    assert missing.startswith("OV/DATA/OV.dat:2: ENDBATES: the OPT has 3 of the 5 pages")
    assert missing.endswith("(missing TST-00000003, TST-00000005)")
    # a page given twice is named once, by the OPT's reader, and the rest read as placed
    assert _refused(_overlay([1, 2, 2, 3, 4, 5])) == [
        "OV/DATA/OV.opt:3: image key: image key TST-00000002 appears twice (also on line 2)"
    ]
    (many,) = _refused(_overlay([1, 2], end=20))
    assert many.endswith(
        "(missing TST-00000003, TST-00000004, TST-00000005, TST-00000006, TST-00000007, ...)"
    )


def test_a_single_multi_page_image_at_page_1_or_every_page_is_accepted():
    for pages in ([1], [1, 2, 3, 4, 5], [5, 4, 3, 2, 1]):
        plan = plan_overlay(_overlay(pages), volume="OV", designations=DESIGNATIONS)
        (change,) = plan.changes
        assert sorted(f.page_no for f in change.files if f.role == "image") == sorted(pages)


def test_a_page_in_no_document_is_still_refused():
    files = {
        "DATA/OV.dat": _dat([("TST-00000001", "TST-00000001")]),
        "DATA/OV.opt": (
            b"TST-00000001,OV,IMAGES\\A.tif,Y,,,\r\nTST-00000009,OV,IMAGES\\B.tif,Y,,,\r\n"
        ),
        "IMAGES/A.tif": b"II*\x00",
        "IMAGES/B.tif": b"II*\x00",
    }
    assert _refused(MemorySource(files, "OV")) == [
        "OV/DATA/OV.opt:2: page TST-00000009 is in no document of the overlay's DAT"
    ]


def test_a_long_removal_list_is_read_in_linear_time():
    """40,000 lines: a duplicate check that rebuilds what it has seen for each line takes
    minutes; one set takes well under a second."""
    lines = "".join(f"TST-{i:08d}\r\n" for i in range(1, 40_001)) + "TST-00000007\r\n"
    files = {"DATA/OV.dat": _dat([]), "DATA/OV_REMOVE.txt": lines.encode()}
    started = time.perf_counter()
    assert _refused(MemorySource(files, "OV")) == [
        "OV/DATA/OV_REMOVE.txt:40001: TST-00000007 is listed twice"
    ]
    assert time.perf_counter() - started < 5
