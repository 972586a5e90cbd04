"""Reading an overlay volume (gateway.exports.overlay writes them) into a plan; pure.

``DATA/VOL.dat`` is keyed on BEGBATES and must have a designation field (CONFIDENTIALITY):
an overlay that does not say the designation is refused, never read as PUBLIC. Its files
(NATIVEPATH, TEXTPATH and, through ``DATA/VOL.opt``, page images) replace the document's;
``DATA/VOL_REMOVE.txt`` lists, one BEGBATES a line, the documents to take off. Every
problem is reported with its file, line and field, as a production's are.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.bates import Bates, page_span, parse_bates
from gateway.designations import PUBLIC, lookup, unknown_designation
from gateway.ingest.dat import read_dat
from gateway.ingest.errors import ErrorCollector
from gateway.ingest.fields import DESIGNATION_ROLE, Columns, FieldChoices, Record
from gateway.ingest.opt import OptRow, read_opt
from gateway.ingest.source import UnsafePath, VolumeSource, locate


@dataclass(frozen=True)
class OverlayFile:
    role: str  # native, image, text
    page_no: int | None
    path: str  # volume-relative


@dataclass(frozen=True)
class OverlayChange:
    bates_begin: str
    bates_end: str
    designation: str  # a tier code
    files: tuple[OverlayFile, ...]  # empty: the files stay as they are
    line: int


@dataclass(frozen=True)
class OverlayPlan:
    volume: str
    dat: str  # the DAT's name, for messages
    changes: tuple[OverlayChange, ...]
    removals: tuple[tuple[str, int], ...]  # (BEGBATES, line)


def plan_overlay(
    source: VolumeSource, *, volume: str, designations: Mapping[str, str]
) -> OverlayPlan:
    errors = ErrorCollector()
    dat, opt, remove = (f"DATA/{volume}{end}" for end in (".dat", ".opt", "_REMOVE.txt"))
    rows = _pages(source, opt, errors) if source.exists(opt) else []
    pages = _Pages(source.describe(opt), rows, errors)
    changes = _changes(source, volume, dat, pages, designations, errors)
    pages.check_all_placed(errors)
    removals = _removals(source, remove, errors) if source.exists(remove) else []
    changed = {c.bates_begin for c in changes}
    for bates, line in removals:
        if bates in changed:
            errors.add(
                f"{bates} is also in the DAT: a document is changed or removed, not both",
                file=source.describe(remove),
                line=line,
            )
    errors.raise_if_any()
    return OverlayPlan(volume, source.describe(dat), tuple(changes), tuple(removals))


class _Pages:
    """The OPT's page images, indexed by Bates series and number once, so that finding a
    document's pages and checking that every page is placed are linear in the OPT."""

    def __init__(self, where: str, rows: list[OptRow], errors: ErrorCollector) -> None:
        self.where = where
        self.rows = rows
        self.placed: set[int] = set()  # indexes into rows of the pages a document took
        self.unreadable: set[int] = set()
        by_series: dict[tuple[str, int], list[tuple[int, int, Bates]]] = {}
        for index, row in enumerate(rows):
            try:
                key = parse_bates(row.image_key)
            except ValueError as exc:
                errors.add(str(exc), file=where, line=row.line)
                self.unreadable.add(index)
                continue
            by_series.setdefault(key.series, []).append((key.number, index, key))
        for found in by_series.values():
            found.sort(key=lambda item: (item[0], item[1]))
        self._by_series = by_series
        self._numbers = {series: [n for n, _i, _k in found] for series, found in by_series.items()}

    def of(self, begin: Bates, end: Bates) -> list[tuple[OptRow, Bates]]:
        """The page images from ``begin`` to ``end``, in page order, marked as placed."""
        found = self._by_series.get(begin.series, [])
        numbers = self._numbers.get(begin.series, [])
        first, last = bisect_left(numbers, begin.number), bisect_right(numbers, end.number)
        self.placed.update(index for _n, index, _key in found[first:last])
        return [(self.rows[index], key) for _n, index, key in found[first:last]]

    def check_all_placed(self, errors: ErrorCollector) -> None:
        """A page image no row of the DAT covers would be dropped unnoticed: refused."""
        for index, row in enumerate(self.rows):
            if index not in self.placed and index not in self.unreadable:
                errors.add(
                    f"page {row.image_key} is in no document of the overlay's DAT",
                    file=self.where,
                    line=row.line,
                )


def _pages(source: VolumeSource, opt: str, errors: ErrorCollector) -> list[OptRow]:
    with source.open(opt) as handle:
        return read_opt(handle.read(), file=source.describe(opt), encoding=None, errors=errors)


def _changes(
    source: VolumeSource,
    volume: str,
    dat: str,
    pages: _Pages,
    designations: Mapping[str, str],
    errors: ErrorCollector,
) -> list[OverlayChange]:
    where = source.describe(dat)
    if not source.exists(dat):
        errors.add("the overlay's DAT is missing", file=where)
        return []
    with source.open(dat) as handle:
        table = read_dat(handle.read(), file=where, encoding=None, errors=errors)
    if table is None:
        return []
    columns = Columns(table.fields, FieldChoices())
    missing = False
    for role in ("begbates", "endbates", DESIGNATION_ROLE):
        if not columns.by_role[role]:
            errors.add(f"the DAT has no {columns.label(role)} field", file=where, line=1)
            missing = True
    if missing:
        return []
    changes, seen = [], set()
    for row in table.rows:
        record = Record(row, columns)
        change = _change(source, volume, record, pages, designations, errors, where)
        if change is not None and change.bates_begin in seen:
            errors.add(f"{change.bates_begin} is listed twice", file=where, line=row.line)
        elif change is not None:
            seen.add(change.bates_begin)
            changes.append(change)
    return changes


def _change(
    source: VolumeSource,
    volume: str,
    record: Record,
    pages: _Pages,
    designations: Mapping[str, str],
    errors: ErrorCollector,
    where: str,
) -> OverlayChange | None:
    line = record.row.line
    try:
        begin, end = parse_bates(record.text("begbates")), parse_bates(record.text("endbates"))
    except ValueError as exc:
        errors.add(str(exc), file=where, line=line, field="BEGBATES")
        return None
    name, value = record.get(DESIGNATION_ROLE)
    code = lookup(designations, value) if value.strip() else PUBLIC
    if code is None:
        errors.add(unknown_designation(value, designations), file=where, line=line, field=name)
        return None
    files = []
    for role in ("native", "text"):
        raw = record.text(role)
        if raw:
            path = _located(source, volume, raw, errors, where, line, record.columns.label(role))
            if path:
                files.append(OverlayFile(role, None, path))
    images = pages.of(begin, end)
    for row, key in images:
        path = _located(source, volume, row.path, errors, where, row.line, "image path")
        if path:
            files.append(OverlayFile("image", key.number - begin.number + 1, path))
    if images:
        _check_images(pages.where, where, line, begin, end, images, errors)
    return OverlayChange(begin.format(), end.format(), code, tuple(files), line)


def _check_images(
    opt: str,
    dat: str,
    line: int,
    begin: Bates,
    end: Bates,
    images: list[tuple[OptRow, Bates]],
    errors: ErrorCollector,
) -> None:
    """A document's new images replace all its files: one image is a multi-page image file
    and must be its page 1; otherwise the OPT must give each of its pages. A
    single page 3 of five would leave the document with that page alone."""
    span = page_span(begin, end)
    whole = f"{begin.format()} to {end.format()} ({span} pages)"
    if len(images) == 1:
        row, key = images[0]
        if key.number != begin.number:
            errors.add(
                f"{key.format()} is the only page image given for {whole}, at its page "
                f"{key.number - begin.number + 1}: a single image must be page 1 (a "
                "multi-page image file), otherwise the OPT must give every page",
                file=opt,
                line=row.line,
            )
        return
    # a page given twice is the OPT's own error (``read_opt``): counted once here
    seen = {key.number for _row, key in images}
    missing = [begin.number + n for n in range(span) if begin.number + n not in seen][:5]
    if missing:
        named = ", ".join(begin.format(n) for n in missing)
        errors.add(
            f"the OPT has {len(seen)} of the {span} pages of {whole}: it must give every "
            f"page (missing {named}{', ...' if len(seen) + len(missing) < span else ''})",
            file=dat,
            line=line,
            field="ENDBATES",
        )


def _located(
    source: VolumeSource,
    volume: str,
    raw: str,
    errors: ErrorCollector,
    where: str,
    line: int,
    field: str,
) -> str | None:
    try:
        path = locate(source, raw, [volume])
    except UnsafePath as exc:
        errors.add(str(exc), file=where, line=line, field=field)
        return None
    if not source.exists(path):
        errors.add(f"{raw!r} names no file of the overlay", file=where, line=line, field=field)
        return None
    return path


def _removals(source: VolumeSource, remove: str, errors: ErrorCollector) -> list[tuple[str, int]]:
    where = source.describe(remove)
    with source.open(remove) as handle:
        try:
            text = handle.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.add("the removal list is not UTF-8", file=where)
            return []
    found: list[tuple[str, int]] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        bates = raw.strip()
        if not bates:
            continue
        try:
            parse_bates(bates)
        except ValueError as exc:
            errors.add(str(exc), file=where, line=number)
            continue
        if bates in seen:
            errors.add(f"{bates} is listed twice", file=where, line=number)
            continue
        seen.add(bates)
        found.append((bates, number))
    return found
