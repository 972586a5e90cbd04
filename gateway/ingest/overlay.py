"""Reading an overlay volume (gateway.exports.overlay writes them) into a plan; pure.

``DATA/VOL.dat`` is keyed on BEGBATES and must have a designation field (CONFIDENTIALITY):
an overlay that does not say the designation is refused, never read as PUBLIC. Its files
(NATIVEPATH, TEXTPATH and, through ``DATA/VOL.opt``, page images) replace the document's;
``DATA/VOL_REMOVE.txt`` lists, one BEGBATES a line, the documents to take off. Every
problem is reported with its file, line and field, as a production's are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.bates import page_span, parse_bates
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
    pages = _pages(source, opt, errors) if source.exists(opt) else []
    changes = _changes(source, volume, dat, pages, designations, errors)
    _check_pages_placed(source.describe(opt), pages, changes, errors)
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


def _check_pages_placed(
    where: str, pages: list[OptRow], changes: list[OverlayChange], errors: ErrorCollector
) -> None:
    """A page image no row of the DAT covers would be dropped unnoticed: refused."""
    ranges = [(parse_bates(c.bates_begin), parse_bates(c.bates_end)) for c in changes]
    for row in pages:
        try:
            key = parse_bates(row.image_key)
        except ValueError as exc:
            errors.add(str(exc), file=where, line=row.line)
            continue
        if not any(
            key.series == begin.series and begin.number <= key.number <= end.number
            for begin, end in ranges
        ):
            errors.add(
                f"page {row.image_key} is in no document of the overlay's DAT",
                file=where,
                line=row.line,
            )


def _pages(source: VolumeSource, opt: str, errors: ErrorCollector) -> list[OptRow]:
    with source.open(opt) as handle:
        return read_opt(handle.read(), file=source.describe(opt), encoding=None, errors=errors)


def _changes(
    source: VolumeSource,
    volume: str,
    dat: str,
    pages: list[OptRow],
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
    for role in ("begbates", "endbates", DESIGNATION_ROLE):
        if not columns.by_role[role]:
            errors.add(f"the DAT has no {columns.label(role)} field", file=where, line=1)
    if errors:
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
    pages: list[OptRow],
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
    for row in pages:
        try:
            key = parse_bates(row.image_key)
        except ValueError:
            continue
        if key.series == begin.series and begin.number <= key.number <= end.number:
            path = _located(source, volume, row.path, errors, where, row.line, "image path")
            if path:
                files.append(OverlayFile("image", key.number - begin.number + 1, path))
    images = [f for f in files if f.role == "image"]
    if images and len(images) not in (1, page_span(begin, end)):
        errors.add(
            f"the OPT has {len(images)} of the {page_span(begin, end)} pages of {begin.format()}",
            file=where,
            line=line,
        )
    return OverlayChange(begin.format(), end.format(), code, tuple(files), line)


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
    for number, raw in enumerate(text.splitlines(), start=1):
        bates = raw.strip()
        if not bates:
            continue
        try:
            parse_bates(bates)
        except ValueError as exc:
            errors.add(str(exc), file=where, line=number)
            continue
        if bates in {b for b, _ in found}:
            errors.add(f"{bates} is listed twice", file=where, line=number)
            continue
        found.append((bates, number))
    return found
