"""Writing load files that :mod:`gateway.ingest.dat` and :mod:`gateway.ingest.opt` read back.

The demo builds its volume in memory and overlay volumes (BRIEF §7) go to other parties'
review platforms, so what is written must be exactly what the parser accepts: a value the
format cannot carry is refused rather than quietly altered.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping, Sequence

from gateway.ingest.encoding import CRLF, NEWLINE, QUALIFIER, SEPARATOR
from gateway.ingest.opt import COLUMNS, OptRow

#: Encodings :func:`write_dat` produces; each is one that ``detect_dat_encoding`` recognises.
DAT_ENCODINGS = ("utf-8-sig", "utf-8", "utf-16", "utf-16-le", "cp1252")

_RESERVED = {
    QUALIFIER: "the field qualifier þ",
    SEPARATOR: "the field separator U+0014",
    NEWLINE: "® (it would read back as a line break)",
}


def write_dat(
    fields: Sequence[str],
    rows: Iterable[Mapping[str, str] | Sequence[str]],
    *,
    encoding: str = "utf-8-sig",
) -> bytes:
    """A Concordance DAT; ``rows`` are mappings by field name (missing = blank) or sequences.

    Line breaks in values become ®. ``ValueError`` for a value holding a delimiter, a row of
    the wrong length, or an unsupported encoding; ``UnicodeEncodeError`` (a ``ValueError``)
    for a character the encoding cannot represent.
    """
    name = codecs.lookup(encoding).name
    if name not in DAT_ENCODINGS:
        raise ValueError(f"cannot write a DAT in {encoding!r}: use one of {DAT_ENCODINGS}")
    _check_field_names(fields)
    records = [_record(fields, fields, 0)]
    records += [_record(_values(fields, row, n), fields, n) for n, row in enumerate(rows, 1)]
    return _encode("".join(records), name)


def _check_field_names(fields: Sequence[str]) -> None:
    if not fields:
        raise ValueError("a DAT needs at least one field")
    for name in fields:
        if not name.strip() or any(ord(ch) < 0x20 for ch in name):
            raise ValueError(f"field name {name!r} is blank or holds control characters")
    if len({name.strip().upper() for name in fields}) != len(fields):
        raise ValueError(f"field names repeat (case-insensitively): {list(fields)}")


def _values(
    fields: Sequence[str], row: Mapping[str, str] | Sequence[str], number: int
) -> Sequence[str]:
    if isinstance(row, Mapping):
        unknown = set(row) - set(fields)
        if unknown:
            raise ValueError(f"row {number} has fields not in the header: {sorted(unknown)}")
        return [row.get(name, "") for name in fields]
    if isinstance(row, str) or len(row) != len(fields):
        raise ValueError(f"row {number} must have {len(fields)} values")
    return row


def _record(values: Sequence[str], fields: Sequence[str], number: int) -> str:
    for value, name in zip(values, fields, strict=True):
        for char, what in _RESERVED.items():
            if char in value:
                raise ValueError(f"row {number}, field {name}: the value contains {what}")
    quoted = (QUALIFIER + value.replace("\n", NEWLINE) + QUALIFIER for value in values)
    return SEPARATOR.join(quoted) + CRLF


def _encode(text: str, name: str) -> bytes:
    if name == "utf-16":
        # Python's "utf-16" writes the host's byte order; load files are little-endian.
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return text.encode(name)


def write_opt(rows: Iterable[OptRow], *, encoding: str = "utf-8") -> bytes:
    """An Opticon OPT with CRLF lines; ``ValueError`` for a value the format cannot carry."""
    lines = [_opt_line(row, number) for number, row in enumerate(rows, 1)]
    return "".join(lines).encode(encoding)


def _opt_line(row: OptRow, number: int) -> str:
    values = [
        row.image_key,
        row.volume,
        row.path,
        _flag(row.document_break),
        _flag(row.folder_break),
        _flag(row.box_break),
        "" if row.page_count is None else str(row.page_count),
    ]
    for value, column in zip(values, COLUMNS, strict=True):
        if any(char in value for char in ",\r\n"):
            raise ValueError(f"OPT row {number}, {column}: {value!r} holds a comma or line break")
    return ",".join(values) + CRLF


def _flag(value: bool) -> str:
    return "Y" if value else ""
