"""What the writer produces, the parsers read back unchanged, in every supported encoding."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.ingest import (
    DAT_ENCODINGS,
    LoadFileError,
    OptRow,
    detect_dat_encoding,
    parse_dat,
    parse_opt,
    write_dat,
    write_opt,
)

FIELDS = ["BEGBATES", "ENDBATES", "TITLE", "AUTHOR"]
ROWS = [
    ["AOL-DEF-00556914", "AOL-DEF-00556918", "Re: SENTRI — revocation\nsee below", "Pérez"],
    ["AOL-DEF-00556919", "AOL-DEF-00556919", "", "Müller; O'Brien"],
]
BOMS = {"utf-8-sig": b"\xef\xbb\xbf", "utf-16": b"\xff\xfe"}


@pytest.mark.parametrize("encoding", DAT_ENCODINGS)
def test_dat_round_trip_in_every_encoding(encoding: str) -> None:
    data = write_dat(FIELDS, ROWS, encoding=encoding)
    assert data.startswith(BOMS.get(encoding, b""))
    if encoding == "cp1252":
        # non-ASCII letters in a single-byte file: the code page must be given, not guessed
        with pytest.raises(LoadFileError, match="give the encoding explicitly"):
            detect_dat_encoding(data)
        table = parse_dat(data, file="v.dat", encoding="cp1252")
    else:
        assert detect_dat_encoding(data) == encoding
        table = parse_dat(data, file="v.dat")
    assert table.fields == FIELDS
    assert [[row.values[name] for name in FIELDS] for row in table.rows] == ROWS
    assert [row.line for row in table.rows] == [2, 3]


def test_rows_may_be_mappings_and_missing_fields_are_blank() -> None:
    data = write_dat(FIELDS, [{"BEGBATES": "A-1", "ENDBATES": "A-1"}])
    assert parse_dat(data, file="v.dat").rows[0].values == {
        "BEGBATES": "A-1",
        "ENDBATES": "A-1",
        "TITLE": "",
        "AUTHOR": "",
    }


def test_line_breaks_are_written_as_the_registered_sign() -> None:
    data = write_dat(["A"], [["x\ny"]], encoding="utf-8")
    assert data == "þAþ\r\nþx®yþ\r\n".encode()


@pytest.mark.parametrize("char", ["þ", "\x14", "®"])
def test_the_writer_refuses_values_the_format_cannot_carry(char: str) -> None:
    with pytest.raises(ValueError, match="row 1, field TITLE"):
        write_dat(["TITLE"], [[f"Acme{char}"]])


def test_the_writer_refuses_what_the_encoding_cannot_represent() -> None:
    with pytest.raises(UnicodeEncodeError):
        write_dat(["TITLE"], [["Ωmega"]], encoding="cp1252")
    with pytest.raises(ValueError, match="cannot write a DAT in 'latin-1'"):
        write_dat(["TITLE"], [["x"]], encoding="latin-1")
    with pytest.raises(ValueError, match="must have 1 values"):
        write_dat(["TITLE"], [["x", "y"]])


# Any text but the three delimiters; surrogates cannot be encoded at all.
_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="þ\x14®"))
_CP1252_TEXT = st.text(st.characters(codec="cp1252", exclude_characters="þ\x14®"))


@settings(deadline=None, max_examples=60)
@given(
    rows=st.lists(st.lists(_TEXT, min_size=3, max_size=3), max_size=5),
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "utf-16", "utf-16-le"]),
)
def test_dat_round_trip_of_arbitrary_text(rows: list[list[str]], encoding: str) -> None:
    fields = ["BEGBATES", "TITLE", "NOTE"]
    table = parse_dat(write_dat(fields, rows, encoding=encoding), file="v.dat")
    assert [[row.values[name] for name in fields] for row in table.rows] == rows


@settings(deadline=None, max_examples=60)
@given(rows=st.lists(st.lists(_CP1252_TEXT, min_size=2, max_size=2), max_size=5))
def test_dat_round_trip_of_arbitrary_cp1252_text(rows: list[list[str]]) -> None:
    data = write_dat(["A", "B"], rows, encoding="cp1252")
    table = parse_dat(data, file="v.dat", encoding="cp1252")
    assert [[row.values["A"], row.values["B"]] for row in table.rows] == rows


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_opt_round_trip(encoding: str) -> None:
    rows = [
        OptRow(
            "AOL-DEF-00556914",
            "VOL001",
            r"IMAGES\0001\AOL-DEF-00556914.tif",
            True,
            page_count=2,
            line=1,
        ),
        OptRow("AOL-DEF-00556915", "VOL001", r"IMAGES\0001\AOL-DEF-00556915.tif", False, line=2),
        OptRow("AOL-DEF-00556916", "VOL001", "IMAGES/0001/x.tif", True, True, True, 1, line=3),
    ]
    assert parse_opt(write_opt(rows, encoding=encoding), file="v.opt") == rows


def test_the_opt_writer_refuses_commas() -> None:
    with pytest.raises(ValueError, match="image path"):
        write_opt([OptRow("A-1", "V", "IMAGES/a,b.tif", True)])


def test_single_byte_ascii_dat_is_detected_as_cp1252() -> None:
    rows = [["AOL-DEF-00556914", "AOL-DEF-00556918", "plain ascii\nnext line", "Perez"]]
    data = write_dat(FIELDS, rows, encoding="cp1252")
    assert detect_dat_encoding(data) == "cp1252"
    assert parse_dat(data, file="v.dat").rows[0].values["TITLE"] == "plain ascii\nnext line"


def test_utf8_body_behind_single_byte_delimiters_is_refused() -> None:
    """Bytes that are UTF-8 text between cp1252 delimiters would decode as mojibake."""
    data = "þBEGBATESþ\x14þCUSTODIANþ\r\n".encode("cp1252") + "þA-1þ\x14þ".encode("cp1252")
    data += "José".encode() + "þ\r\n".encode("cp1252")
    with pytest.raises(LoadFileError, match="byte C3 at offset .*give the encoding") as caught:
        detect_dat_encoding(data, file="v.dat")
    assert caught.value.line == 2
