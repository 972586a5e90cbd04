from __future__ import annotations

import pytest

from gateway.ingest import LoadFileErrors, OptRow, parse_opt

FILE = "VOL001/DATA/VOL001.opt"
GOOD = (
    "AOL-DEF-00556914,VOL001,IMAGES\\0001\\AOL-DEF-00556914.tif,Y,,,2\r\n"
    "AOL-DEF-00556915,VOL001,IMAGES\\0001\\AOL-DEF-00556915.tif,,,,\r\n"
)


def problems(text: str) -> LoadFileErrors:
    with pytest.raises(LoadFileErrors) as caught:
        parse_opt(text.encode(), file=FILE)
    return caught.value


def test_reads_pages_with_their_lines() -> None:
    rows = parse_opt(GOOD.encode(), file=FILE)
    assert rows == [
        OptRow(
            "AOL-DEF-00556914",
            "VOL001",
            "IMAGES\\0001\\AOL-DEF-00556914.tif",
            True,
            page_count=2,
            line=1,
        ),
        OptRow("AOL-DEF-00556915", "VOL001", "IMAGES\\0001\\AOL-DEF-00556915.tif", False, line=2),
    ]


def test_lf_line_ends_and_a_missing_final_line_break_are_fine() -> None:
    text = GOOD.replace("\r\n", "\n").rstrip("\n")
    assert [row.line for row in parse_opt(text.encode(), file=FILE)] == [1, 2]


def test_utf16_with_a_bom_is_detected() -> None:
    data = b"\xff\xfe" + GOOD.encode("utf-16-le")
    assert len(parse_opt(data, file=FILE)) == 2


def test_cp1252_is_read_only_when_the_caller_says_so() -> None:
    data = GOOD.replace("IMAGES", "IMÁGENES").encode("cp1252")
    with pytest.raises(LoadFileErrors) as caught:
        parse_opt(data, file=FILE)
    assert caught.value.errors[0].line == 1 and "as utf-8" in caught.value.errors[0].reason
    assert parse_opt(data, file=FILE, encoding="cp1252")[0].path.startswith("IMÁGENES")


def test_refuses_the_wrong_number_of_columns() -> None:
    errors = problems(GOOD + "AOL-DEF-00556916,VOL001,IMAGES\\x.tif,Y\r\n")
    error = errors.errors[0]
    assert (error.file, error.line, error.field) == (FILE, 3, None)
    assert error.reason.startswith("the line has 4 column(s); an Opticon line has 7")


def test_refuses_a_bad_document_break_and_a_bad_page_count() -> None:
    errors = problems("A-1,V,a.tif,N,,,\r\nA-2,V,b.tif,Y,,,two\r\nA-3,V,c.tif,,,,3\r\n")
    assert [(e.line, e.field, e.reason) for e in errors.errors] == [
        (1, "document break", "document break must be Y or empty, not 'N'"),
        (2, "page count", "page count must be a positive whole number, not 'two'"),
        (3, "page count", "page count is given on a page that does not start a document"),
    ]


def test_refuses_a_duplicate_image_key() -> None:
    errors = problems(GOOD + "AOL-DEF-00556914,VOL001,IMAGES\\x.tif,,,,\r\n")
    assert str(errors.errors[0]) == (
        f"{FILE}:3: image key: image key AOL-DEF-00556914 appears twice (also on line 1)"
    )


def test_refuses_blank_and_whitespace_keys_and_blank_paths() -> None:
    errors = problems(" A-1,V,a.tif,Y,,,\r\n\r\nA-2,V,,Y,,,\r\n")
    assert [(e.line, e.field) for e in errors.errors] == [
        (1, "image key"),
        (2, None),
        (3, "image path"),
    ]


def test_refuses_an_empty_file() -> None:
    assert problems("\r\n").errors[0].reason == "the file is empty"
