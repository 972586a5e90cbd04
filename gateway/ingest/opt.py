"""Reading an Opticon OPT image cross-reference, strictly.

One line per page image, seven comma-separated columns: image key (the page's Bates number),
volume, image path, document break (``Y`` on a document's first page), folder break, box
break, page count (on a document's first page, optional). There is no quoting, so a comma
can never be data. Lines end with CRLF or LF.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.ingest.encoding import decode_strict, detect_opt_encoding
from gateway.ingest.errors import ErrorCollector, LoadFileError

COLUMNS = (
    "image key",
    "volume",
    "image path",
    "document break",
    "folder break",
    "box break",
    "page count",
)


@dataclass(frozen=True)
class OptRow:
    """One page image. ``line`` is 0 for rows made in code rather than read from a file."""

    image_key: str
    volume: str
    path: str
    document_break: bool
    folder_break: bool = False
    box_break: bool = False
    page_count: int | None = None
    line: int = 0


def parse_opt(data: bytes, *, file: str, encoding: str | None = None) -> list[OptRow]:
    """Parse an OPT, raising :class:`LoadFileErrors` with every problem found."""
    errors = ErrorCollector()
    rows = read_opt(data, file=file, encoding=encoding, errors=errors)
    errors.raise_if_any()
    return rows


def read_opt(
    data: bytes, *, file: str, encoding: str | None, errors: ErrorCollector
) -> list[OptRow]:
    """Parse an OPT, adding problems to ``errors`` and leaving the faulty lines out."""
    try:
        text = decode_strict(
            data, detect_opt_encoding(data, encoding, file=file), file=file, line_break="\n"
        )
    except LoadFileError as exc:
        errors.append(exc)
        return []
    lines = text.split("\n")
    while lines and lines[-1] in ("", "\r"):
        lines.pop()  # the final line break, and blank lines after it, end the file
    if not lines:
        errors.add("the file is empty", file=file)
        return []
    rows = [_row(raw, number, file, errors) for number, raw in enumerate(lines, start=1)]
    return _without_duplicate_keys([row for row in rows if row is not None], file, errors)


def _row(raw: str, line: int, file: str, errors: ErrorCollector) -> OptRow | None:
    body = raw[:-1] if raw.endswith("\r") else raw
    if "\r" in body:
        errors.add("a bare CR inside the line; lines end with CRLF or LF", file=file, line=line)
        return None
    if not body:
        errors.add("blank line", file=file, line=line)
        return None
    columns = body.split(",")
    if len(columns) != len(COLUMNS):
        errors.add(
            f"the line has {len(columns)} column(s); an Opticon line has {len(COLUMNS)}: "
            + ", ".join(COLUMNS),
            file=file,
            line=line,
        )
        return None
    return _columns(columns, line, file, errors)


def _columns(columns: list[str], line: int, file: str, errors: ErrorCollector) -> OptRow | None:
    key, volume, path, doc, folder, box, count = columns
    before = errors.total
    if not key or key != key.strip():
        _column_error("must be a Bates number without surrounding spaces", 0, line, file, errors)
    if not path.strip():
        _column_error("is empty", 2, line, file, errors)
    breaks = [
        _flag(value, index, line, file, errors)
        for index, value in ((3, doc), (4, folder), (5, box))
    ]
    page_count = _page_count(count, line, file, errors)
    if page_count is not None and breaks[0] is False:
        _column_error("is given on a page that does not start a document", 6, line, file, errors)
    if errors.total != before:
        return None
    return OptRow(
        key, volume, path, bool(breaks[0]), bool(breaks[1]), bool(breaks[2]), page_count, line
    )


def _flag(value: str, index: int, line: int, file: str, errors: ErrorCollector) -> bool | None:
    if value.upper() == "Y":
        return True
    if value == "":
        return False
    _column_error(f"must be Y or empty, not {value!r}", index, line, file, errors)
    return None


def _page_count(value: str, line: int, file: str, errors: ErrorCollector) -> int | None:
    if value == "":
        return None
    if value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    _column_error(f"must be a positive whole number, not {value!r}", 6, line, file, errors)
    return None


def _column_error(reason: str, index: int, line: int, file: str, errors: ErrorCollector) -> None:
    errors.add(f"{COLUMNS[index]} {reason}", file=file, line=line, field=COLUMNS[index])


def _without_duplicate_keys(rows: list[OptRow], file: str, errors: ErrorCollector) -> list[OptRow]:
    first_line: dict[str, int] = {}
    kept = []
    for row in rows:
        earlier = first_line.setdefault(row.image_key, row.line)
        if earlier != row.line:
            errors.add(
                f"image key {row.image_key} appears twice (also on line {earlier})",
                file=file,
                line=row.line,
                field=COLUMNS[0],
            )
        else:
            kept.append(row)
    return kept
