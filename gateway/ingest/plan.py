"""Validating a production volume (DAT + OPT + the files they name) into a plan.

The plan is what the ingest service stores; nothing here touches a database or the blob
store. :func:`build_plan` either returns a plan in which every document has a valid Bates
range, a known designation, its pages and existing files, or raises :class:`LoadFileErrors`
naming every problem it found, each with its file, line and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from gateway.bates import Bates, page_span, parse_bates
from gateway.designations import (
    DEFAULT_DESIGNATIONS,
    PUBLIC,
    TierLike,
    add_spelling,
    designations_from_tiers,
    lookup,
    normalize_designation,
    unknown_designation,
)
from gateway.errors import Invalid
from gateway.ingest.dat import DatTable, read_dat
from gateway.ingest.errors import ErrorCollector, LoadFileError
from gateway.ingest.families import FamilyChecks, source_fields
from gateway.ingest.fields import (
    DESIGNATION_ROLE,
    FIELD_ALIASES,
    FIELD_LIMITS,
    FILE_CONTENT_ROLES,
    SINGLE_FIELD_ROLES,
    Columns,
    FieldChoices,
    Record,
    canonical_name,
    text_is_inline,
)
from gateway.ingest.files import FileChecks
from gateway.ingest.opt import OptRow, read_opt
from gateway.ingest.pages import PageChecks
from gateway.ingest.planning import Draft
from gateway.ingest.source import UnsafePath, VolumeSource, locate
from gateway.ingest.suspects import suspect_fields

__all__ = [  # the Bates, designation and field helpers are re-exported for callers
    "DEFAULT_DESIGNATIONS",
    "FIELD_ALIASES",
    "Bates",
    "FieldChoices",
    "PlannedDocument",
    "PlannedPage",
    "ProductionPlan",
    "TierLike",
    "build_plan",
    "designations_from_tiers",
    "normalize_designation",
    "parse_bates",
]


@dataclass(frozen=True)
class PlannedPage:
    bates: str
    path: str  # volume-relative, "/"-separated
    line: int  # in the OPT


@dataclass(frozen=True)
class PlannedDocument:
    bates_begin: str
    bates_end: str
    page_count: int  # imaged pages; 0 for a native-only document
    family: str  # BEGATTACH, or the document's own BEGBATES when it has none
    custodian: str
    designation: str  # a tier code, e.g. "AEO", never the legend
    title: str
    file_name: str
    authors: tuple[str, ...]
    recipients: tuple[str, ...]  # To, then Cc, then Bcc
    date: str  # verbatim: load files disagree on date formats and guessing one is unsafe
    native_path: str | None
    text_path: str | None
    pages: tuple[PlannedPage, ...]
    line: int  # in the DAT
    extra: dict[str, str] = field(default_factory=dict)  # unmapped non-blank fields, verbatim
    text_body: str | None = None  # extracted text given in the DAT itself, not as a file


@dataclass(frozen=True)
class ProductionPlan:
    volume: str
    documents: tuple[PlannedDocument, ...]
    # where each document's designation came from, for the ingest's audit entry:
    # {"designation_field": "CONFIDENTIALITY"} or {"volume_designation": "AEO"}, and the
    # operator's field choices
    sources: Mapping[str, object] = field(default_factory=dict)


# --- Planning --------------------------------------------------------------------------


def build_plan(
    source: VolumeSource,
    *,
    dat_path: str,
    opt_path: str | None,
    designations: Mapping[str, str],
    encoding: str | None = None,
    opt_encoding: str | None = None,
    volume: str | None = None,
    choices: FieldChoices | None = None,
    max_document_pages: int | None = None,
) -> ProductionPlan:
    """Validate a volume and plan its documents; :class:`LoadFileErrors` lists every problem.

    ``designations`` maps accepted spellings to tier codes (see :func:`designations_from_tiers`).
    Every document's designation must be known: from the DAT's designation field (where a
    blank value is ``PUBLIC``) or from the operator's ``choices``; a DAT without one is
    refused, never read as ``PUBLIC``. ``volume`` defaults to the OPT's volume column, else
    the DAT's file name without extension.
    """
    planner = _Planner(source, dat_path, opt_path, designations, choices or FieldChoices())
    planner.max_pages = max_document_pages
    return planner.run(encoding, opt_encoding, volume)


class _Planner(FamilyChecks, PageChecks, FileChecks):
    def __init__(
        self,
        source: VolumeSource,
        dat_path: str,
        opt_path: str | None,
        designations: Mapping[str, str],
        choices: FieldChoices,
    ) -> None:
        self.source = source
        self.choices = choices
        self.dat_path = dat_path
        self.opt_path = opt_path
        self.dat_file = source.describe(dat_path)
        self.opt_file = source.describe(opt_path) if opt_path else None
        self.designations: dict[str, str] = {}
        for spelling, code in designations.items():
            add_spelling(self.designations, spelling, code)
        self.volume_designation = self._volume_designation()
        self.designation_field: str | None = None
        self.max_pages: int | None = None  # the most pages one document may span
        self.errors = ErrorCollector()
        self.page_paths: dict[int, str] = {}  # OPT line -> normalised image path
        self.lines_of: dict[str, list[int]] = {}  # normalised image path -> OPT lines
        self.volume_names: list[str] = []
        # False once some DAT row could not be placed: then OPT pages that match no document
        # may belong to that row, and calling them orphans would mislead.
        self.dat_complete = True

    # -- orchestration

    def run(
        self, encoding: str | None, opt_encoding: str | None, volume: str | None
    ) -> ProductionPlan:
        table = self._read_dat(encoding)
        opt_rows = self._read_opt(opt_encoding)
        # the names a path may start with besides the folder's: the OPT's and the operator's
        self.volume_names = sorted({r.volume for r in opt_rows if r.volume} | {volume or ""} - {""})
        if table is None:
            self.errors.raise_if_any()
            raise AssertionError("unreachable: no DAT table and no error")
        drafts = self._drafts(table)
        self._refuse_conflicts(drafts)
        self._check_families(drafts)
        self._match_pages(drafts, opt_rows)
        self._check_files(drafts, opt_rows)
        name = self._volume_name(opt_rows)
        self.errors.raise_if_any()
        return ProductionPlan(
            volume=volume or name,
            documents=tuple(_planned(d, self.page_paths) for d in drafts),
            sources=self._sources(),
        )

    def _volume_designation(self) -> str | None:
        """The tier the operator gave the whole volume, or None; ``Invalid`` if unknown."""
        given = self.choices.designation
        if given is None:
            return None
        code = lookup(self.designations, given)
        if code is None:
            raise Invalid(f"--designation: {unknown_designation(given, self.designations)}")
        return code

    def _sources(self) -> dict[str, object]:
        sources = self.choices.describe()
        if self.volume_designation is not None:
            sources["volume_designation"] = self.volume_designation
        if self.designation_field is not None:
            sources["designation_field"] = self.designation_field
        return sources

    def _read(self, path: str, what: str) -> bytes | None:
        file = self.source.describe(path)
        try:
            with self.source.open(path) as handle:
                return handle.read()
        except LoadFileError as exc:
            self.errors.append(exc)
        except FileNotFoundError:
            self.errors.add(f"the {what} file does not exist in the volume", file=file)
        except OSError as exc:
            self.errors.add(f"the {what} file cannot be read: {exc.strerror}", file=file)
        return None

    def _read_dat(self, encoding: str | None) -> DatTable | None:
        data = self._read(self.dat_path, "DAT")
        if data is None:
            return None
        before = self.errors.total
        table = read_dat(data, file=self.dat_file, encoding=encoding, errors=self.errors)
        self.dat_complete = self.errors.total == before
        if table is not None and not table.rows:
            self.errors.add("the DAT lists no documents", file=self.dat_file)
        return table

    def _read_opt(self, encoding: str | None) -> list[OptRow]:
        if self.opt_path is None or self.opt_file is None:
            return []
        data = self._read(self.opt_path, "OPT")
        if data is None:
            return []
        return read_opt(data, file=self.opt_file, encoding=encoding, errors=self.errors)

    # -- one document at a time

    def _drafts(self, table: DatTable) -> list[Draft]:
        columns = Columns(table.fields, self.choices)
        missing = [role for role in ("begbates", "endbates") if not columns.by_role[role]]
        for role in missing:
            self._header_error(
                canonical_name(role),
                f"required field is missing from the header (fields: {', '.join(table.fields)})",
            )
        header_ok = self._designation_source(table, columns)
        for name, reason in columns.problems + suspect_fields(
            table, columns, self.choices, self.designations
        ):
            self._header_error(name, reason)
            header_ok = False
        # Two fields serving one of these roles would leave the choice between them to the
        # parser (say CONFIDENTIALITY and DESIGNATION, one of them AEO): refuse the header.
        ambiguous = [role for role in SINGLE_FIELD_ROLES if len(columns.by_role[role]) > 1]
        for role in ambiguous:
            self._header_error(
                columns.by_role[role][1],
                f"fields {', '.join(columns.by_role[role])} all give the {role}: keep one",
            )
        self.columns = columns
        if len(columns.family_sources()) > 1:
            ambiguous.append("family")
            names = [n for s in columns.family_sources() for n in source_fields(columns, s)]
            self._header_error(
                names[-1],
                f"fields {', '.join(names)} all give the family, in different ways: keep "
                "one way (--ignore-field the others)",
            )
        if missing or ambiguous or not header_ok:
            self.dat_complete = False
            return []
        drafts = [self._draft(Record(row, columns)) for row in table.rows]
        self.dat_complete = self.dat_complete and all(d is not None for d in drafts)
        return [d for d in drafts if d is not None]

    def _designation_source(self, table: DatTable, columns: Columns) -> bool:
        """Whether every document's designation can be known: from one field, or from the
        operator's tier for the volume. A missing field never means PUBLIC."""
        names = columns.by_role[DESIGNATION_ROLE]
        if names and self.volume_designation is not None:
            self._header_error(
                names[0],
                "the DAT designates each document in this field, so --designation cannot "
                "give the volume one tier: leave --designation out",
            )
            return False
        if names or self.volume_designation is not None:
            self.designation_field = names[0] if names else None
            return True
        self._header_error(
            canonical_name(DESIGNATION_ROLE),
            "no designation field in the header, so the documents' designations are unknown "
            f"(fields: {', '.join(table.fields)}); name the field that holds them with "
            "--designation-field NAME, or, for a volume produced under one tier, give it "
            "with --designation TIER",
        )
        return False

    def _draft(self, record: Record) -> Draft | None:
        begin = self._bates(record, "begbates")
        end = self._bates(record, "endbates")
        valid = begin is not None and end is not None and self._range_ok(record, begin, end)
        valid = self._fits(record) and valid
        # Every field is checked even when the range is not, so one pass reports them all.
        designation = self._designation(record)
        native = self._path(record, "native")
        text, text_body = self._text(record)
        page_count = self._page_count(record)
        if not valid or begin is None or end is None:
            return None
        return Draft(
            record,
            begin,
            end,
            family=self._family(record, begin, end),
            designation=designation,
            native=native,
            text=text,
            text_body=text_body,
            page_count=page_count,
        )

    def _fits(self, record: Record) -> bool:
        """Every value fits where it will be stored, and holds no NUL or other control
        character that a database would refuse (tab and newline are text)."""
        ok = True
        stored_as_files = {n for role in FILE_CONTENT_ROLES for n in self.columns.by_role[role]}
        for name, value in record.row.values.items():
            if name in stored_as_files:
                continue  # encrypted as a file; a path in it is checked as a path
            bad = next((c for c in value if ord(c) < 0x20 and c not in "\t\n\r"), None)
            if bad is not None:
                self._error(record, name, f"contains the control character U+{ord(bad):04X}")
                ok = False
        for role, limit in FIELD_LIMITS.items():
            name, value = record.get(role)
            if len(value.strip()) > limit:
                self._error(record, name, f"is {len(value.strip())} characters; at most {limit}")
                ok = False
        return ok

    def _range_ok(self, record: Record, begin: Bates, end: Bates) -> bool:
        name = record.get("endbates")[0]
        if begin.series != end.series:
            self._error(
                record,
                name,
                f"{end.format()} does not have the prefix and number "
                f"of digits of BEGBATES {begin.format()}",
            )
        elif end.number < begin.number:
            self._error(record, name, f"{end.format()} comes before BEGBATES {begin.format()}")
        elif self.max_pages is not None and page_span(begin, end) > self.max_pages:
            self._error(
                record,
                name,
                f"the range {begin.format()}-{end.format()} spans {page_span(begin, end)} "
                f"pages; this matter allows at most {self.max_pages} per document",
            )
        else:
            return True
        return False

    def _designation(self, record: Record) -> str:
        if self.volume_designation is not None:
            return self.volume_designation
        name, value = record.get(DESIGNATION_ROLE)
        if not value.strip():
            return PUBLIC  # BRIEF §7: a blank value in the designation field means PUBLIC
        code = lookup(self.designations, value)
        if code is None:
            self._error(record, name, unknown_designation(value, self.designations))
            return PUBLIC  # never stored: the error refuses the volume
        return code

    def _text(self, record: Record) -> tuple[tuple[str, str] | None, str | None]:
        """(field, path) of the text file, or the text itself (EXTRACTEDTEXT, TEXTBODY)."""
        body = record.get("textbody")[1]
        name, value = record.get("text")
        if body and value:
            self._error(record, name, f"and {record.get('textbody')[0]} both give the text")
        if body:
            return None, body
        if value and text_is_inline(name, value):
            return None, value
        return self._path(record, "text"), None

    def _path(self, record: Record, role: str) -> tuple[str, str] | None:
        name, value = record.get(role)
        if not value:
            return None
        try:
            return name, locate(self.source, value, self.volume_names)
        except UnsafePath as exc:
            self._error(record, name, str(exc))
            return None

    def _page_count(self, record: Record) -> tuple[str, int] | None:
        name, value = record.get("pagecount")
        if not value:
            return None
        text = value.strip()
        if text.isascii() and text.isdigit():
            return name, int(text)
        self._error(record, name, f"must be a whole number, not {value!r}")
        return None

    # -- across documents

    def _refuse_conflicts(self, drafts: list[Draft]) -> None:
        by_series: dict[tuple[str, int], list[Draft]] = {}
        for draft in drafts:
            by_series.setdefault(draft.begin.series, []).append(draft)
        for group in by_series.values():
            group.sort(key=lambda d: (d.begin.number, d.end.number, d.line))
            reach: Draft | None = None  # the range reaching furthest so far
            for draft in group:
                if reach is not None and draft.begin.number <= reach.end.number:
                    self._conflict(reach, draft)
                if reach is None or draft.end.number > reach.end.number:
                    reach = draft

    def _conflict(self, one: Draft, other: Draft) -> None:
        earlier, later = sorted((one, other), key=lambda d: d.line)
        one.conflicting = other.conflicting = True
        if earlier.begin == later.begin:
            reason = f"duplicate BEGBATES {later.begin.format()}: also on line {earlier.line}"
        else:
            reason = f"range {later.label} overlaps range {earlier.label} on line {earlier.line}"
        self._error(later.record, later.record.get("begbates")[0], reason)

    # -- the OPT

    # -- the files the load files name

    def _volume_name(self, rows: list[OptRow]) -> str:
        names: dict[str, OptRow] = {}
        for row in rows:
            if row.volume and row.volume not in names:
                names[row.volume] = row
        if len(names) > 1:
            first, *others = names.values()
            for row in others:
                self._opt_error(
                    row,
                    1,
                    f"volume {row.volume} differs from {first.volume} on "
                    f"line {first.line}; ingest one volume at a time",
                )
        if names:
            return next(iter(names))
        return PurePosixPath(self.dat_path.replace("\\", "/")).stem


def _planned(draft: Draft, page_paths: Mapping[int, str]) -> PlannedDocument:
    record = draft.record
    if draft.listed_once:
        first = draft.pages[0]
        pages: tuple[PlannedPage, ...] = tuple(
            PlannedPage(bates=draft.begin.format(n), path=page_paths[first.line], line=first.line)
            for n in range(draft.begin.number, draft.end.number + 1)
        )
    else:
        pages = tuple(
            PlannedPage(bates=row.image_key, path=page_paths[row.line], line=row.line)
            for row in draft.pages
        )
    custodian, title = record.text("custodian"), record.text("title")
    file_name, date = record.text("file_name"), record.text("date")
    authors, recipients = record.people("authors"), record.people("to", "cc", "bcc")
    return PlannedDocument(
        bates_begin=draft.begin.format(),
        bates_end=draft.end.format(),
        page_count=len(pages),
        family=draft.family,
        custodian=custodian,
        designation=draft.designation,
        title=title,
        file_name=file_name,
        authors=authors,
        recipients=recipients,
        date=date,
        native_path=draft.native[1] if draft.native else None,
        text_path=draft.text[1] if draft.text else None,
        text_body=draft.text_body,
        pages=pages,
        line=draft.line,
        extra=record.extra(),  # after the reads above: extra is what no mapping used
    )
