"""Load files that must be refused rather than read one way among several."""

from __future__ import annotations

import re

import pytest

from gateway.ingest import FieldChoices, LoadFileErrors, MemorySource, build_plan, write_dat
from gateway.ingest.plan import DEFAULT_DESIGNATIONS


def _plan(fields, rows, files=None):
    data = write_dat(fields, rows, encoding="utf-8")
    source = MemorySource({"v.dat": data, **(files or {})}, name="VOL")
    designated = {"CONFIDENTIALITY", "DESIGNATION"} & set(fields)
    return build_plan(
        source,
        dat_path="v.dat",
        opt_path=None,
        designations=DEFAULT_DESIGNATIONS,
        choices=None if designated else FieldChoices(designation="CONFIDENTIAL"),
    )


def test_two_designation_fields_are_refused_not_chosen_between():
    fields = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "DESIGNATION", "NATIVE"]
    rows = [
        ["A-0001", "A-0001", "CONFIDENTIAL", "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY", "n.pdf"]
    ]
    with pytest.raises(LoadFileErrors) as caught:
        _plan(fields, rows, {"n.pdf": b"%PDF"})
    message = caught.value.message
    assert "VOL/v.dat:1: DESIGNATION" in message and "keep one" in message


def test_two_begbates_fields_are_refused():
    with pytest.raises(LoadFileErrors, match="BEGDOC.*keep one|keep one"):
        _plan(["BEGBATES", "BEGDOC", "ENDBATES"], [["A-0001", "A-0002", "A-0002"]])


def test_a_document_inside_another_family_must_name_it():
    fields = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "NATIVE"]
    rows = [
        ["A-0001", "A-0001", "A-0001", "A-0002", "a.pdf"],
        ["A-0002", "A-0002", "", "", "b.pdf"],
    ]
    with pytest.raises(LoadFileErrors, match=r"v\.dat:3: BEGATTACH: A-0002 lies in family A-0001"):
        _plan(fields, rows, {"a.pdf": b"%PDF", "b.pdf": b"%PDF"})


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("CUSTODIAN", "x" * 301, "at most 300"),
        ("DATE", "Wednesday, September 18, 2019 10:15:32 AM", "at most 40"),
        ("TITLE", "bad\x00nul", "U+0000"),
    ],
)
def test_values_that_cannot_be_stored_are_refused_with_their_line(field, value, reason):
    fields = ["BEGBATES", "ENDBATES", field, "NATIVE"]
    with pytest.raises(LoadFileErrors, match=rf"v\.dat:2: {field}: .*{re.escape(reason)}"):
        _plan(fields, [["A-0001", "A-0001", value, "n.pdf"]], {"n.pdf": b"%PDF"})


def test_bates_numbers_too_long_to_store_are_refused():
    with pytest.raises(LoadFileErrors, match="at most 18 digits"):
        _plan(["BEGBATES", "ENDBATES"], [["A-" + "9" * 20, "A-" + "9" * 20]])


def test_a_member_naming_the_wrong_family_is_found_among_many():
    fields = ["BEGBATES", "ENDBATES", "BEGATTACH", "ENDATTACH", "NATIVE"]
    rows, files = [], {}
    for family in range(0, 300, 3):  # families of three documents each
        first, last = f"A-{family + 1:04d}", f"A-{family + 3:04d}"
        for n in range(family + 1, family + 4):
            rows.append([f"A-{n:04d}", f"A-{n:04d}", first, last, f"{n}.pdf"])
            files[f"{n}.pdf"] = b"PK"
    rows[151][2:4] = ["", ""]  # A-0152 lies in family A-0151 but names none
    with pytest.raises(LoadFileErrors) as caught:
        _plan(fields, rows, files)
    assert caught.value.total == 1
    assert "v.dat:153: BEGATTACH: A-0152 lies in family A-0151 (line 152)" in caught.value.message
