"""What the parts of the load-file planner share: a document on its way to the plan, the
planner's state, and how a problem is recorded with its file, line and field."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.bates import Bates, parse_bates
from gateway.designations import PUBLIC
from gateway.ingest.errors import ErrorCollector
from gateway.ingest.fields import Columns, FieldChoices, Record
from gateway.ingest.opt import COLUMNS as OPT_COLUMNS
from gateway.ingest.opt import OptRow
from gateway.ingest.source import VolumeSource


@dataclass
class Draft:
    """A DAT document whose Bates range is valid, on its way to a PlannedDocument."""

    record: Record
    begin: Bates
    end: Bates
    family: str = ""
    designation: str = PUBLIC
    native: tuple[str, str] | None = None  # (field name, volume path)
    text: tuple[str, str] | None = None
    text_body: str | None = None  # the text itself, when the DAT holds it
    page_count: tuple[str, int] | None = None
    conflicting: bool = False  # duplicate or overlapping: its pages cannot be told apart
    listed_once: bool = False  # one multi-page image on its document-break line, with a count
    pages: list[OptRow] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.record.row.line

    @property
    def label(self) -> str:
        return f"{self.begin.format()}-{self.end.format()}"


class PlannerBase:
    """The state every check reads; :class:`gateway.ingest.plan` sets it up."""

    source: VolumeSource
    choices: FieldChoices
    dat_path: str
    opt_path: str | None
    dat_file: str
    opt_file: str | None
    designations: dict[str, str]
    errors: ErrorCollector
    columns: Columns
    page_paths: dict[int, str]  # OPT line -> normalised image path
    lines_of: dict[str, list[int]]  # normalised image path -> OPT lines
    # False once some DAT row could not be placed: then OPT pages that match no document
    # may belong to that row, and calling them orphans would mislead.
    dat_complete: bool
    volume_names: list[str]  # a path may start with one of these besides the folder's name

    def _header_error(self, name: str, reason: str) -> None:
        self.errors.add(reason, file=self.dat_file, line=1, field=name)

    def _error(self, record: Record, name: str, reason: str) -> None:
        self.errors.add(reason, file=self.dat_file, line=record.row.line, field=name)

    def _bates(self, record: Record, role: str) -> Bates | None:
        name, value = record.get(role)
        if not value:
            self._error(record, name, "is blank")
            return None
        try:
            return parse_bates(value)
        except ValueError as exc:
            self._error(record, name, str(exc))
            return None

    def _opt_error(self, row: OptRow, column: int, reason: str) -> None:
        self.errors.add(
            reason, file=self.opt_file or "OPT", line=row.line, field=OPT_COLUMNS[column]
        )
