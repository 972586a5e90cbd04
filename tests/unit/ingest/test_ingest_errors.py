from __future__ import annotations

import pytest

from gateway.errors import Invalid
from gateway.ingest import LoadFileError, LoadFileErrors
from gateway.ingest.errors import ErrorCollector


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        (3, "BEGBATES", "v.dat:3: BEGBATES: is blank"),
        (3, None, "v.dat:3: is blank"),
        (None, "BEGBATES", "v.dat: BEGBATES: is blank"),
        (None, None, "v.dat: is blank"),
    ],
)
def test_a_message_omits_what_is_unknown(line: int | None, field: str | None, message: str) -> None:
    error = LoadFileError("is blank", file="v.dat", line=line, field=field)
    assert str(error) == error.message == message
    assert error.details == {"file": "v.dat", "line": line, "field": field, "reason": "is blank"}
    assert isinstance(error, Invalid) and error.status == 422


def test_errors_are_ordered_by_file_and_line_and_the_message_shows_the_first_few() -> None:
    collector = ErrorCollector()
    for line in (9, 2, 7, 1, 5, 3):
        collector.add("bad", file="v.dat", line=line)
    collector.add("bad", file="a.opt", line=4)
    with pytest.raises(LoadFileErrors) as caught:
        collector.raise_if_any()
    errors = caught.value
    assert [(e.file, e.line) for e in errors.errors][:3] == [
        ("a.opt", 4),
        ("v.dat", 1),
        ("v.dat", 2),
    ]
    assert errors.message == (
        "7 problems in the load files: a.opt:4: bad; v.dat:1: bad; v.dat:2: bad; "
        "v.dat:3: bad; v.dat:5: bad; and 2 more"
    )
    assert isinstance(errors, Invalid)


def test_nothing_collected_raises_nothing() -> None:
    ErrorCollector().raise_if_any()
