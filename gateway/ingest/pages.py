"""Matching OPT pages to DAT documents: every page of a range present once, document breaks
where documents start, page counts that agree; a multi-page image may be listed once."""

from __future__ import annotations

import bisect

from gateway.bates import parse_bates
from gateway.ingest.opt import OptRow
from gateway.ingest.planning import Draft, PlannerBase

# Bates series -> (sorted page numbers, the OPT rows in the same order), for range lookups.
_PageIndex = dict[tuple[str, int], tuple[list[int], list[OptRow]]]


class PageChecks(PlannerBase):
    def _match_pages(self, drafts: list[Draft], rows: list[OptRow]) -> None:
        index = self._page_index(rows)
        claimed: set[int] = set()
        for draft in drafts:
            numbers, pages = index.get(draft.begin.series, ([], []))
            low = bisect.bisect_left(numbers, draft.begin.number)
            high = bisect.bisect_right(numbers, draft.end.number)
            draft.pages = pages[low:high]
            claimed.update(id(row) for row in draft.pages)
            if not draft.conflicting:
                self._check_pages(draft)
        if self.dat_complete:
            for _, pages in index.values():
                for row in pages:
                    if id(row) not in claimed:
                        self._opt_error(
                            row,
                            0,
                            f"page {row.image_key} belongs to no document in {self.dat_file}",
                        )

    def _page_index(self, rows: list[OptRow]) -> _PageIndex:
        keyed: dict[tuple[str, int], list[tuple[int, OptRow]]] = {}
        for row in rows:
            try:
                bates = parse_bates(row.image_key)
            except ValueError as exc:
                self._opt_error(row, 0, str(exc))
                continue
            keyed.setdefault(bates.series, []).append((bates.number, row))
        index: _PageIndex = {}
        for series, entries in keyed.items():
            entries.sort(key=lambda entry: entry[0])
            index[series] = ([n for n, _ in entries], [row for _, row in entries])
        return index

    def _check_pages(self, draft: Draft) -> None:
        if not draft.pages:
            self._check_native_only(draft)
            return
        expected = draft.end.number - draft.begin.number + 1
        first = draft.pages[0]
        if len(draft.pages) == 1 < expected and lists_all_pages(first, draft, expected):
            draft.listed_once = True  # its file's real page count is checked with the files
            self._check_page_counts(draft, expected)
            return
        if len(draft.pages) != expected:
            self._missing_pages(draft, expected)
        if first.image_key == draft.begin.format() and not first.document_break:
            self._opt_error(
                first,
                3,
                f"page {first.image_key} starts document {draft.label} "
                f"({self.dat_file} line {draft.line}) but its document break is "
                "not Y",
            )
        for row in draft.pages[1:]:
            if row.document_break:
                self._opt_error(
                    row,
                    3,
                    f"page {row.image_key} is inside document "
                    f"{draft.label} ({self.dat_file} line {draft.line}) but its "
                    "document break is Y",
                )
        self._check_page_counts(draft, expected)

    def _check_native_only(self, draft: Draft) -> None:
        if draft.native is not None:
            return  # produced in native form only: no images is right
        where = f"in {self.opt_file}" if self.opt_file else "(no OPT was given)"
        self._error(
            draft.record,
            draft.record.get("begbates")[0],
            f"document {draft.label} has no page images {where} and no native file",
        )

    def _missing_pages(self, draft: Draft, expected: int) -> None:
        present = {parse_bates(row.image_key).number for row in draft.pages}
        missing = next(
            n for n in range(draft.begin.number, draft.end.number + 1) if n not in present
        )  # exists: OPT keys are unique, so fewer pages
        self._error(
            draft.record,
            draft.record.get("begbates")[0],
            f"{self.opt_file} has {len(draft.pages)} of the {expected} pages of "
            f"document {draft.label}; the first missing is {draft.begin.format(missing)}",
        )

    def _check_page_counts(self, draft: Draft, expected: int) -> None:
        first = draft.pages[0]
        if first.page_count is not None and first.page_count != expected:
            self._opt_error(
                first,
                6,
                f"page count {first.page_count} but document "
                f"{draft.label} spans {expected} page(s)",
            )
        if draft.page_count is not None and draft.page_count[1] != expected:
            self._error(
                draft.record,
                draft.page_count[0],
                f"{draft.page_count[1]} but document "
                f"{draft.label} spans {expected} page(s) in {self.opt_file}",
            )


def lists_all_pages(first: OptRow, draft: Draft, expected: int) -> bool:
    """An OPT may list a multi-page PDF or TIFF once, on the document's first page, with
    the document's page count."""
    return (
        first.image_key == draft.begin.format()
        and first.document_break
        and first.page_count == expected
    )
