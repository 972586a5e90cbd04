"""What a privilege log holds: its rows and columns as every format shows them, the pages
withheld as Bates numbers, and the neutral description used where the claimant gave none.
No database, no Flask: ``privilege_log`` fills them, ``privilege_log_files`` writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gateway.documents.models import Document

COLUMNS = (
    ("bates_begin", "Bates begin"),
    ("bates_end", "Bates end"),
    ("date", "Date"),
    ("author", "Author"),
    ("recipients", "Recipients"),
    ("custodian", "Custodian"),
    ("description", "Description"),
    ("privilege", "Privilege asserted"),
    ("basis", "Basis"),
    ("claimant", "Asserted by"),
    ("status", "Status"),
    ("order", "Order"),
    ("withheld", "Withheld"),
    ("pages_withheld", "Pages withheld"),
)


@dataclass(frozen=True)
class LogRow:
    clawback: int  # the claim's id (known to whoever may list one of its documents)
    bates_begin: str
    bates_end: str
    doc_date: str
    author: tuple[str, ...]
    recipients: tuple[str, ...]
    custodian: str
    description: str
    described_by: str  # claimant (its own words) or gateway (kind and length)
    privilege: str
    basis: str
    claimant: str
    status: str  # pending, granted, granted in part
    order_docket: str
    order_date: date | None
    noticed_at: datetime
    withheld: str  # in full, in part
    pages_withheld: tuple[str, ...]  # the Bates numbers withheld, for a claim granted in part
    withheld_ranges: tuple[str, ...]  # the same as ranges of consecutive numbers

    @property
    def order(self) -> str:
        if not self.order_docket:
            return ""
        when = f", {self.order_date.isoformat()}" if self.order_date else ""
        return f"Dkt. {self.order_docket}{when}"

    def cells(self) -> dict[str, str]:
        """Each column as one line of text (CSV, PDF)."""
        return {
            "bates_begin": self.bates_begin,
            "bates_end": self.bates_end,
            "date": self.doc_date,
            "author": "; ".join(self.author),
            "recipients": "; ".join(self.recipients),
            "custodian": self.custodian,
            "description": self.description,
            "privilege": self.privilege,
            "basis": self.basis,
            "claimant": self.claimant,
            "status": self.status,
            "order": self.order,
            "withheld": self.withheld,
            "pages_withheld": ", ".join(self.withheld_ranges),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "clawback": self.clawback,
            "bates_begin": self.bates_begin,
            "bates_end": self.bates_end,
            "date": self.doc_date,
            "author": list(self.author),
            "recipients": list(self.recipients),
            "custodian": self.custodian,
            "description": self.description,
            "described_by": self.described_by,
            "privilege": self.privilege,
            "basis": self.basis,
            "claimant": self.claimant,
            "status": self.status,
            "order": (
                {
                    "docket": self.order_docket,
                    "date": self.order_date.isoformat() if self.order_date else None,
                }
                if self.order_docket
                else None
            ),
            "noticed_at": self.noticed_at.isoformat(),
            "withheld": self.withheld,
            "pages_withheld": list(self.pages_withheld),
            "page_ranges": list(self.withheld_ranges),
        }


@dataclass(frozen=True)
class LogPage:
    """A page of the JSON log (BRIEF §7 lists: 1-based, 50 by default, at most 500); the
    CSV and PDF files are the whole log."""

    page: int = 1
    per_page: int = 50


MAX_PER_PAGE = 500


@dataclass(frozen=True)
class PrivilegeLog:
    caption: str
    case_number: str
    court: str
    generated_at: datetime
    generated_for: str
    rows: tuple[LogRow, ...]  # the page asked for, or the whole log
    total: int
    page: LogPage | None = None
    data: bytes = b""  # the log as the file asked for (CSV or PDF), made before it is audited

    def as_json(self) -> dict[str, Any]:
        return {
            "caption": self.caption,
            "case_number": self.case_number,
            "court": self.court,
            "generated_at": self.generated_at.isoformat(),
            "generated_for": self.generated_for,
            "items": [row.as_json() for row in self.rows],
            "total": self.total,
            **({"page": self.page.page, "per_page": self.page.per_page} if self.page else {}),
        }


def page_ranges(doc: Document, pages: tuple[int, ...]) -> tuple[str, ...]:
    """Sorted pages as ranges of consecutive Bates numbers ("A - B", or "A" alone)."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return tuple(
        page_bates(doc, run[0]) + (f" - {page_bates(doc, run[-1])}" if len(run) > 1 else "")
        for run in runs
    )


def page_bates(doc: Document, page: int) -> str:
    """The Bates number of a document's page (1-based): its range counts page by page."""
    width = len(doc.bates_begin) - len(doc.bates_prefix)
    return f"{doc.bates_prefix}{doc.bates_begin_no + page - 1:0{width}d}"


_KINDS = {
    "eml": "E-mail",
    "msg": "E-mail",
    "pdf": "Document",
    "ppt": "Presentation",
    "pptx": "Presentation",
    "xls": "Spreadsheet",
    "xlsx": "Spreadsheet",
    "csv": "Spreadsheet",
    "doc": "Document",
    "docx": "Document",
}


def neutral_description(doc: Document, *, has_recipients: bool, known: bool = True) -> str:
    """What the document is without what it says: its kind (from the file's type, or a
    communication when it has recipients) and its length. Never the title: a title such as
    "report on informant X" may itself be what the claim protects. ``known``: whether the
    reader may know the original's description; if not, only its length."""
    extension = doc.file_name.rsplit(".", 1)[-1].lower() if "." in doc.file_name else ""
    kind = _KINDS.get(extension, "Document") if known else "Document"
    if has_recipients and kind == "Document":
        kind = "Communication"
    pages = f"{doc.page_count} page" + ("" if doc.page_count == 1 else "s")
    return f"{kind}, {pages}"
