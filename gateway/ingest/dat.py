"""Reading a Concordance DAT into a table of named fields, strictly.

Layout: every field is enclosed in þ (U+00FE), fields are separated by U+0014, a record ends
with CRLF (or LF, if the header's does: one or the other throughout), and ® (U+00AE) inside a
field stands for a line break. Inside the qualifiers everything is data except a bare LF,
which is refused (a line break inside a field is written ®; a CRLF there is kept as data in a
CRLF file); outside them only U+0014 and the record end may appear. Line breaks after the
last record are ignored. The first record names the fields.

Line numbers count record ends (and CRLFs inside fields) from the start of the file, so a
line in a message is the line an editor shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from gateway.ingest.encoding import (
    CRLF,
    NEWLINE,
    QUALIFIER,
    SEPARATOR,
    canonical_encoding,
    decode_strict,
    detect_dat_encoding,
)
from gateway.ingest.errors import ErrorCollector, LoadFileError

# Delimiters other exports use; naming them turns "unexpected character" into a diagnosis.
_FOREIGN_DELIMITERS = {
    ",": "a comma-delimited",
    "|": "a pipe-delimited",
    "\t": "a tab-delimited",
    ";": "a semicolon-delimited",
    "^": "a caret-qualified",
    '"': "a quoted CSV",
}


@dataclass(frozen=True)
class DatRow:
    """One document record: its line in the file and its values keyed by header field name."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class DatTable:
    fields: list[str]
    rows: list[DatRow]
    encoding: str = "utf-8"


def parse_dat(data: bytes, *, file: str, encoding: str | None = None) -> DatTable:
    """Parse a DAT, raising :class:`LoadFileErrors` with every problem found."""
    errors = ErrorCollector()
    table = read_dat(data, file=file, encoding=encoding, errors=errors)
    errors.raise_if_any()
    assert table is not None  # no error was collected, so reading succeeded
    return table


def read_dat(
    data: bytes, *, file: str, encoding: str | None, errors: ErrorCollector
) -> DatTable | None:
    """Parse a DAT, adding problems to ``errors``; ``None`` when no table could be made.

    Rows with problems are left out of the table, so callers validating further must
    remember that the table is partial whenever ``errors`` is not empty.
    """
    try:
        name = (
            canonical_encoding(encoding, file=file)
            if encoding
            else detect_dat_encoding(data, file=file)
        )
        text = decode_strict(data, name, file=file)
    except LoadFileError as exc:
        errors.append(exc)
        return None
    if not text.strip("\r\n"):
        errors.add("the file is empty", file=file)
        return None
    scanner = _Scanner(text, file, errors)
    records = scanner.records()
    first = next(records, None)
    if first is None:
        return None
    header_line, fields = first
    if not _header_ok(fields, header_line, file, errors):
        return None
    scanner.header = fields
    rows = [row for row in (_row(r, fields, file, errors) for r in records) if row is not None]
    return DatTable(fields=fields, rows=rows, encoding=name)


def _header_ok(fields: list[str], line: int, file: str, errors: ErrorCollector) -> bool:
    seen: dict[str, str] = {}
    ok = True
    for position, name in enumerate(fields, start=1):
        key = name.strip().upper()
        if not key:
            errors.add(f"field {position} of the header has no name", file=file, line=line)
            ok = False
        elif any(ord(ch) < 0x20 or ch in "\x7f\u0085" for ch in name):
            errors.add(
                "a field name may not contain control characters or line breaks",
                file=file,
                line=line,
                field=name,
            )
            ok = False
        elif key in seen:
            errors.add(
                f"field name appears twice in the header (also as {seen[key]!r})",
                file=file,
                line=line,
                field=name,
            )
            ok = False
        else:
            seen[key] = name
    return ok


def _row(
    record: tuple[int, list[str]], fields: list[str], file: str, errors: ErrorCollector
) -> DatRow | None:
    line, values = record
    if len(values) != len(fields):
        errors.add(
            f"the record has {len(values)} field(s) but the header has {len(fields)}",
            file=file,
            line=line,
        )
        return None
    return DatRow(line=line, values=dict(zip(fields, values, strict=True)))


class _Scanner:
    """Splits decoded DAT text into records; stops at the first structural error.

    After a misplaced qualifier or separator nothing that follows can be trusted to be in
    the right field, so one precise error beats a cascade of misleading ones.
    """

    def __init__(self, text: str, file: str, errors: ErrorCollector) -> None:
        self.text = text
        self.file = file
        self.errors = errors
        self.header: list[str] | None = None
        self.pos = 0
        self.line = 1
        self.end: str | None = None  # the record end, CRLF or LF, as the header's record ends

    def records(self) -> Iterator[tuple[int, list[str]]]:
        while self.pos < len(self.text):
            if self.text[self.pos] in "\r\n" and self._only_line_breaks_left():
                return  # trailing line breaks after the last record carry nothing
            record = self._record()
            if record is None:
                return
            yield record

    def _only_line_breaks_left(self) -> bool:
        return not self.text[self.pos :].replace(CRLF, "").replace("\n", "")

    def _record(self) -> tuple[int, list[str]] | None:
        line = self.line
        values: list[str] = []
        while True:
            value = self._field(line, len(values))
            if value is None:
                return None
            values.append(value)
            end = self._after_field(values)
            if end is None:
                return None
            if end:
                return line, values

    def _field(self, record_line: int, index: int) -> str | None:
        text, pos = self.text, self.pos
        if pos >= len(text) or text[pos] != QUALIFIER:
            self._expected_qualifier(record_line, index)
            return None
        close = text.find(QUALIFIER, pos + 1)
        if close < 0:
            self._error(
                "the field qualifier þ opened on this line is never closed", self.line, index
            )
            return None
        raw = text[pos + 1 : close]
        bare = raw.replace(CRLF, "") if self.end != "\n" else raw
        if "\n" in bare:
            before = raw[: raw.index("\n") if self.end == "\n" else _bare_lf(raw)]
            self._error(
                "a bare LF inside the field; a line break inside a field is written ® (U+00AE)",
                self.line + before.count(CRLF),
                index,
            )
            return None
        self.line += raw.count(CRLF)
        self.pos = close + 1
        return raw.replace(NEWLINE, "\n")

    def _after_field(self, values: list[str]) -> bool | None:
        """True at the end of a record, False before another field, None on an error."""
        text, pos = self.text, self.pos
        if pos >= len(text):
            return True  # the last record may omit its CRLF: the closing þ already ends it
        if text[pos] == SEPARATOR:
            self.pos += 1
            return False
        end = CRLF if text.startswith(CRLF, pos) else "\n" if text[pos] == "\n" else None
        if end is not None and (self.end in (None, end) or self._only_line_breaks_left()):
            self.end = self.end or end
            self.pos += len(end)
            self.line += 1
            return True
        self._unexpected_after_field(text[pos], values)
        return None

    def _expected_qualifier(self, record_line: int, index: int) -> None:
        text, pos = self.text, self.pos
        if pos >= len(text):
            self._error(
                "the record ends after a field separator; expected another field starting with þ",
                record_line,
                index,
            )
        elif index == 0 and text.startswith(CRLF, pos):
            self._error("blank line between records", self.line, None)
        else:
            found = _show(text[pos])
            self._error(
                f"expected the field qualifier þ (U+00FE), found {found}{_foreign_hint(text[pos])}",
                self.line,
                index,
            )

    def _unexpected_after_field(self, char: str, values: list[str]) -> None:
        index = len(values) - 1
        if char in "\r\n" and self.end is not None:
            found = "CRLF" if self.text.startswith(CRLF, self.pos) else "a bare LF"
            reason = (
                f"the record ends with {found} but the header's ends with "
                f"{'CRLF' if self.end == CRLF else 'LF'}: one record end throughout"
            )
        else:
            reason = (
                f"expected the field separator U+0014 or the record end (CRLF or LF) after "
                f"the field, found {_show(char)}{_foreign_hint(char)}"
            )
        self._error(reason, self.line, index, values[index])

    def _error(self, reason: str, line: int, index: int | None, name: str | None = None) -> None:
        self.errors.add(reason, file=self.file, line=line, field=self._field_name(index, name))

    def _field_name(self, index: int | None, name: str | None) -> str | None:
        if index is None:
            return None
        if self.header is None:
            # Still in the header: the field being read is a field name itself.
            return name or f"field {index + 1}"
        if index < len(self.header):
            return self.header[index]
        return f"field {index + 1}"


def _bare_lf(raw: str) -> int:
    """Where the first LF not preceded by CR is in ``raw``."""
    return next(i for i, c in enumerate(raw) if c == "\n" and (i == 0 or raw[i - 1] != "\r"))


def _show(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X})"


def _foreign_hint(char: str) -> str:
    kind = _FOREIGN_DELIMITERS.get(char)
    if kind is None:
        return ""
    return (
        f"; this looks like {kind} file, but a Concordance DAT qualifies "
        f"fields with þ and separates them with U+0014"
    )
