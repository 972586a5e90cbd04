"""A document's family: from BEGATTACH/ENDATTACH, an ATTACHRANGE field or PARENTBATES, and
the checks that every member agrees on it."""

from __future__ import annotations

import bisect

from gateway.bates import Bates, parse_bates, split_range
from gateway.ingest.fields import FAMILY_SOURCES, Columns, Record
from gateway.ingest.planning import Draft, PlannerBase


class FamilyChecks(PlannerBase):
    def _family(self, record: Record, begin: Bates, end: Bates) -> str:
        if self.columns.family_source == "parent":
            return self._parent(record, begin)
        if self.columns.family_source == "attachrange":
            name, value = record.first("attachrange")
            if value.strip() and split_range(value) is None:
                self._error(
                    record,
                    name,
                    f"{value!r} is not a Bates range: its first and last numbers, of one "
                    "series, e.g. ABC-0001 - ABC-0009",
                )
                return begin.format()
        (beg_name, beg_text), (end_name, end_text) = (
            record.get("begattach"),
            record.get("endattach"),
        )
        if not beg_text and not end_text:
            return begin.format()
        if not beg_text or not end_text:
            blank, other = (beg_name, end_name) if not beg_text else (end_name, beg_name)
            self._error(record, blank, f"is blank while {other} is not")
            return begin.format()
        first, last = self._bates(record, "begattach"), self._bates(record, "endattach")
        if first is not None and last is not None:
            self._check_enclosure(record, (first, last), begin, end)
        return beg_text

    def _parent(self, record: Record, begin: Bates) -> str:
        """The family is the parent's BEGBATES; a parent's own field is blank or itself."""
        parent = self._bates(record, "parent") if record.text("parent") else None
        if parent is None:
            return begin.format()
        if parent.series != begin.series:
            self._error(
                record,
                record.get("parent")[0],
                f"parent {parent.format()} does not have the prefix and number of digits of "
                f"{begin.format()}",
            )
        return parent.format()

    def _check_parents(self, drafts: list[Draft]) -> None:
        """Each parent named is a document of the volume, and not itself an attachment."""
        by_begin = {d.begin.format(): d for d in drafts}
        for draft in drafts:
            if draft.family == draft.begin.format():
                continue
            parent = by_begin.get(draft.family)
            name = draft.record.get("parent")[0]
            if parent is None and self.dat_complete:
                self._error(
                    draft.record, name, f"parent {draft.family} is no document of this volume"
                )
            elif parent is not None and parent.family != parent.begin.format():
                self._error(
                    draft.record,
                    name,
                    f"parent {draft.family} is itself an attachment of {parent.family} "
                    f"(line {parent.line}): name the family's parent",
                )

    def _check_enclosure(
        self, record: Record, family: tuple[Bates, Bates], begin: Bates, end: Bates
    ) -> None:
        first, last = family
        name = record.get("begattach")[0]
        if {first.series, last.series} != {begin.series}:
            self._error(
                record,
                name,
                f"family {first.format()}-{last.format()} does not have "
                f"the prefix and number of digits of {begin.format()}",
            )
        elif not first.number <= begin.number <= end.number <= last.number:
            self._error(
                record,
                name,
                f"family range {first.format()}-{last.format()} does not "
                f"enclose the document's range {begin.format()}-{end.format()}",
            )

    def _check_families(self, drafts: list[Draft]) -> None:
        if self.columns.family_source == "parent":
            self._check_parents(drafts)
            return
        self._check_family_ends(drafts)
        index = _FamilyIndex()
        for draft in drafts:
            begin, end = (
                draft.record.get("begattach")[1].strip(),
                draft.record.get("endattach")[1].strip(),
            )
            if not (begin and end):
                continue
            try:
                low, high = parse_bates(begin), parse_bates(end)
            except ValueError:
                continue
            if low.series == high.series and draft.family == begin:
                index.add(low, high, draft.family, draft.line)
        index.freeze()
        for draft in drafts:
            other = index.other_family(draft.begin, draft.family)
            if other is not None:
                family, line = other
                self._error(
                    draft.record,
                    draft.record.get("begattach")[0],
                    f"{draft.begin.format()} lies in family {family} (line {line}) but "
                    f"names {draft.family or 'no family'}",
                )

    def _check_family_ends(self, drafts: list[Draft]) -> None:
        ends: dict[str, tuple[str, int]] = {}
        for draft in drafts:
            end = draft.record.get("endattach")[1]
            if not end:
                continue
            seen = ends.setdefault(draft.family, (end, draft.line))
            if seen[0] != end:
                self._error(
                    draft.record,
                    draft.record.get("endattach")[0],
                    f"{end} differs from {seen[0]} on line {seen[1]}, a member of the "
                    f"same family {draft.family}",
                )


def source_fields(columns: Columns, source: str) -> list[str]:
    return [name for role in FAMILY_SOURCES[source] for name in columns.by_role[role]]


class _FamilyIndex:
    """Family ranges by series, sorted, to find the ones enclosing a Bates number without
    comparing every document with every family (a volume has tens of thousands of each)."""

    def __init__(self) -> None:
        self._ranges: dict[tuple[str, int], dict[tuple[int, int, str], int]] = {}
        self._sorted: dict[
            tuple[str, int], tuple[list[int], list[int], list[tuple[int, int, str, int]]]
        ] = {}

    def add(self, low: Bates, high: Bates, family: str, line: int) -> None:
        seen = self._ranges.setdefault(low.series, {})
        seen.setdefault((low.number, high.number, family), line)  # the first line naming it

    def freeze(self) -> None:
        for series, seen in self._ranges.items():
            entries = sorted((lo, hi, fam, line) for (lo, hi, fam), line in seen.items())
            reach, highest = [], -1
            for _lo, hi, _fam, _line in entries:
                highest = max(highest, hi)
                reach.append(highest)  # the furthest any range up to here reaches
            self._sorted[series] = ([e[0] for e in entries], reach, entries)

    def other_family(self, begin: Bates, family: str) -> tuple[str, int] | None:
        """(family, line) of the earliest-named range enclosing ``begin`` of another family."""
        lows, reach, entries = self._sorted.get(begin.series, ([], [], []))
        found: list[tuple[int, str]] = []
        j = bisect.bisect_right(lows, begin.number) - 1
        while j >= 0 and reach[j] >= begin.number:
            _lo, hi, fam, line = entries[j]
            if hi >= begin.number and fam != family:
                found.append((line, fam))
            j -= 1
        if not found:
            return None
        line, fam = min(found)
        return fam, line
