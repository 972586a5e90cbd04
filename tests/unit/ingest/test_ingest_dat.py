from __future__ import annotations

import pytest

from gateway.ingest import LoadFileErrors, parse_dat

Q, S, NL = "þ", "\x14", "®"
FILE = "VOL001/DATA/VOL001.dat"


def record(*values: str) -> str:
    return S.join(Q + value + Q for value in values) + "\r\n"


def problems(text: str, encoding: str = "utf-8-sig") -> LoadFileErrors:
    with pytest.raises(LoadFileErrors) as caught:
        parse_dat(text.encode(encoding), file=FILE)
    return caught.value


def only(errors: LoadFileErrors) -> tuple[str, int | None, str | None, str]:
    assert len(errors.errors) == 1, errors.message
    error = errors.errors[0]
    return error.file, error.line, error.field, error.reason


def test_reads_header_and_rows_with_their_lines() -> None:
    text = (
        record("BegBates", "EndBates", "Title")
        + record("A-001", "A-002", "x")
        + record("A-003", "A-003", "")
    )
    table = parse_dat(text.encode("utf-8-sig"), file=FILE)
    assert table.fields == ["BegBates", "EndBates", "Title"]
    assert [(row.line, row.values) for row in table.rows] == [
        (2, {"BegBates": "A-001", "EndBates": "A-002", "Title": "x"}),
        (3, {"BegBates": "A-003", "EndBates": "A-003", "Title": ""}),
    ]
    assert table.encoding == "utf-8-sig"


def test_in_field_newlines_become_line_breaks() -> None:
    text = record("BEGBATES", "NOTE") + record("A-1", f"first{NL}second{NL}")
    table = parse_dat(text.encode("utf-8"), file=FILE)
    assert table.rows[0].values["NOTE"] == "first\nsecond\n"


def test_a_crlf_inside_a_qualified_field_is_data() -> None:
    text = record("BEGBATES", "NOTE") + record("A-1", "one\r\ntwo") + record("A-2", "")
    table = parse_dat(text.encode("utf-8"), file=FILE)
    assert table.rows[0].values["NOTE"] == "one\r\ntwo"
    # Lines are counted by CRLF, so the record after the embedded CRLF is on line 4.
    assert [row.line for row in table.rows] == [2, 4]


def test_a_bare_lf_inside_a_qualified_field_is_refused_naming_its_line() -> None:
    text = record("BEGBATES", "NOTE") + record("A-1", "one\r\ntwo\nthree") + record("A-2", "")
    file, line, field, reason = only(problems(text))
    assert (file, line, field) == (FILE, 3, "NOTE")
    assert "a bare LF inside the field" in reason and "®" in reason


def test_the_last_record_may_omit_its_crlf_and_trailing_blank_lines_are_ignored() -> None:
    assert len(parse_dat((record("A") + f"{Q}1{Q}").encode(), file=FILE).rows) == 1
    assert len(parse_dat((record("A") + record("1") + "\r\n\r\n").encode(), file=FILE).rows) == 1


def test_a_header_only_file_has_no_rows() -> None:
    assert parse_dat(record("BEGBATES").encode(), file=FILE).rows == []


def test_lf_records_are_read_like_crlf_ones() -> None:
    text = record("BEGBATES", "NOTE") + record("A-1", f"one{NL}two") + record("A-2", "")
    table = parse_dat(text.replace("\r\n", "\n").encode("utf-8"), file=FILE)
    assert [(row.line, row.values["NOTE"]) for row in table.rows] == [(2, "one\ntwo"), (3, "")]


def test_a_stray_final_lf_is_ignored() -> None:
    for text in (record("A") + record("1") + "\n", record("A") + f"{Q}1{Q}\n\n"):
        assert [row.values["A"] for row in parse_dat(text.encode(), file=FILE).rows] == ["1"]


def test_in_an_lf_file_an_lf_inside_a_field_is_refused_naming_its_line() -> None:
    text = record("BEGBATES", "NOTE") + record("A-1", "one") + record("A-2", "x\ny")
    file, line, field, reason = only(problems(text.replace("\r\n", "\n")))
    assert (file, line, field) == (FILE, 3, "NOTE") and "bare LF inside the field" in reason


def test_refuses_lf_records_in_a_crlf_file_naming_the_line() -> None:
    text = (
        record("BEGBATES", "ENDBATES")
        + record("A-1", "A-1").replace("\r\n", "\n")
        + record("A-2", "A-2")
    )
    assert only(problems(text)) == (
        FILE,
        2,
        "ENDBATES",
        "the record ends with a bare LF but the header's ends with CRLF: one record end throughout",
    )


def test_refuses_lf_terminator_on_a_later_record() -> None:
    text = record("BEGBATES") + record("A-1") + f"{Q}A-2{Q}\n" + record("A-3")
    file, line, field, reason = only(problems(text))
    assert (file, line, field) == (FILE, 3, "BEGBATES")
    assert "bare LF" in reason


def test_refuses_a_comma_delimited_dat() -> None:
    text = '"BEGBATES","ENDBATES"\r\n"A-1","A-1"\r\n'
    file, line, field, reason = only(problems(text))
    assert (file, line, field) == (FILE, 1, "field 1")
    assert "expected the field qualifier þ (U+00FE), found '\"'" in reason
    assert "quoted CSV" in reason


def test_refuses_a_comma_separated_dat_with_thorn_qualifiers() -> None:
    text = "þBEGBATESþ,þENDBATESþ\r\nþA-1þ,þA-1þ\r\n"
    file, line, field, reason = only(problems(text))
    assert (file, line, field) == (FILE, 1, "BEGBATES")
    assert "expected the field separator U+0014 or the record end (CRLF or LF)" in reason
    assert "found ',' (U+002C)" in reason and "comma-delimited" in reason


def test_refuses_a_pipe_delimited_dat() -> None:
    text = record("BEGBATES", "ENDBATES") + "þA-1þ|þA-1þ\r\n"
    file, line, field, reason = only(problems(text))
    assert (file, line, field) == (FILE, 2, "BEGBATES")
    assert "found '|' (U+007C)" in reason and "pipe-delimited" in reason


def test_refuses_a_ragged_row_and_keeps_reporting() -> None:
    text = (
        record("BEGBATES", "ENDBATES", "TITLE")
        + record("A-1", "A-1")
        + record("A-2", "A-2", "t")
        + record("A-3", "A-3", "t", "extra")
    )
    errors = problems(text)
    assert [(e.file, e.line, e.field) for e in errors.errors] == [(FILE, 2, None), (FILE, 4, None)]
    assert errors.errors[0].reason == "the record has 2 field(s) but the header has 3"
    assert str(errors.errors[1]) == f"{FILE}:4: the record has 4 field(s) but the header has 3"


def test_refuses_an_unclosed_qualifier() -> None:
    text = record("BEGBATES", "TITLE") + "þA-1þ\x14þno end\r\n"
    assert only(problems(text)) == (
        FILE,
        2,
        "TITLE",
        "the field qualifier þ opened on this line is never closed",
    )


def test_refuses_a_blank_line_between_records() -> None:
    text = record("BEGBATES") + "\r\n" + record("A-1")
    assert only(problems(text)) == (FILE, 2, None, "blank line between records")


def test_refuses_a_record_ending_in_a_separator() -> None:
    errors = problems(record("BEGBATES", "TITLE") + "þA-1þ\x14")
    assert errors.errors[0].line == 2 and "ends after a field separator" in errors.errors[0].reason


def test_refuses_duplicate_and_blank_field_names() -> None:
    errors = problems(record("BEGBATES", "begbates ", ""))
    assert [(e.line, e.field) for e in errors.errors] == [(1, "begbates "), (1, None)]
    assert "appears twice" in errors.errors[0].reason
    assert errors.errors[1].reason == "field 3 of the header has no name"


def test_refuses_a_file_whose_encoding_cannot_be_determined() -> None:
    file, line, field, reason = only(problems("Señor Pérez escribió.\r\n", "cp1252"))
    assert (file, line, field) == (FILE, 1, None)
    assert reason.startswith("cannot determine the encoding: a Concordance DAT starts with")


def test_refuses_an_empty_file() -> None:
    assert only(problems("")) == (FILE, None, None, "the file is empty")


def test_an_undecodable_byte_is_reported_with_its_line() -> None:
    data = (record("BEGBATES") + record("A-1") + record("A-2")).encode("utf-8")
    data = data.replace(b"A-2", b"A-\xff")
    with pytest.raises(LoadFileErrors) as caught:
        parse_dat(data, file=FILE)
    error = caught.value.errors[0]
    assert (error.file, error.line) == (FILE, 3)
    offset = data.index(b"\xff")
    assert f"byte(s) FF at byte offset {offset} as utf-8" in error.reason


def test_the_encoding_override_is_used_strictly() -> None:
    data = (record("BEGBATES", "TITLE") + record("A-1", "Peña")).encode("cp1252")
    table = parse_dat(data, file=FILE, encoding="cp1252")
    assert table.rows[0].values["TITLE"] == "Peña"
    with pytest.raises(LoadFileErrors, match="cannot decode byte"):
        parse_dat(data, file=FILE, encoding="utf-8")
