"""Fields the mapping leaves out but that look like a designation or a family field.

Such a field left unread is how a volume the producer marked AEO would be served as
PUBLIC, or its attachments lose their families: so it is refused, naming the field and the
option that resolves it, rather than kept as an unmapped extra. A field looks like one by
its name ("Confidentiality Level") or by its values ("HIGHLY CONFIDENTIAL - AEO"; Bates
numbers of other documents of the volume).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gateway.bates import parse_bates, prefix_key
from gateway.designations import name_looks_like_designation, value_looks_like_designation
from gateway.ingest.dat import DatRow, DatTable
from gateway.ingest.fields import DESIGNATION_ROLE, Columns, FieldChoices, normalize_field_name

Series = tuple[str, int]  # (prefix_key, width)

_FAMILY_WORDS = ("FAMILY", "PARENT", "CHILD")
_ATTACH_ENDS = ("BEG", "END", "START", "RANGE", "BATES", "ID", "DOC", "NO")


def suspect_fields(
    table: DatTable, columns: Columns, choices: FieldChoices, spellings: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(field, reason) for every unmapped field that looks like a designation or family."""
    series = _series(table, columns)
    problems = []
    for name in table.fields:
        if name in columns.mapped or normalize_field_name(name) in choices.ignored:
            continue
        values = [row.values[name] for row in table.rows]
        why = _designation_hint(name, values, spellings)
        if why:
            problems.append((name, _designation_advice(name, why, columns, choices)))
            continue
        why = _family_hint(name, table.rows, columns, series)
        if why:
            problems.append(
                (
                    name,
                    f"{why}, but it is not mapped: if it gives the family, map it with "
                    f'--field BEGATTACH="{name}" (and its end with --field ENDATTACH=...); '
                    f'if it does not, declare it with --ignore-field "{name}"',
                )
            )
    return problems


def _designation_hint(name: str, values: list[str], spellings: Mapping[str, str]) -> str:
    if name_looks_like_designation(name):
        return "its name says it gives a designation"
    example = next((v for v in values if value_looks_like_designation(v, spellings)), None)
    if example is not None:
        return f"its values read like designations ({example.strip()!r})"
    return ""


def _designation_advice(name: str, why: str, columns: Columns, choices: FieldChoices) -> str:
    unrelated = f'--ignore-field "{name}"'
    mapped = columns.by_role[DESIGNATION_ROLE]
    if mapped:
        return (
            f"{why}, beside the designation field {mapped[0]}: say which one designates "
            f"the documents with --designation-field, and declare the other with --ignore-field"
        )
    if choices.designation:
        return (
            f"{why}, but --designation gives the whole volume one tier: map the field with "
            f'--designation-field "{name}" instead, or declare it unrelated with {unrelated}'
        )
    return (
        f"{why}, but it is not a designation field the gateway knows: map it with "
        f'--designation-field "{name}", or declare it unrelated with {unrelated}'
    )


def _family_hint(name: str, rows: list[DatRow], columns: Columns, series: set[Series]) -> str:
    if not series:
        return ""
    named = _family_name(name)
    for row in rows:
        own = _own_range(row, columns)
        for reference in _bates_in(row.values[name], series):
            if named:
                return "its name and its Bates-number values say it gives the family"
            if own is None or not _inside(reference, own):
                return (
                    "its values are Bates numbers of other documents of this volume, "
                    "as a family field's are"
                )
    return ""


def _inside(reference: tuple[str, int], own: tuple[tuple[str, int], tuple[str, int]]) -> bool:
    (key, low), (_, high) = own
    return reference[0] == key and low <= reference[1] <= high


def _family_name(name: str) -> bool:
    compact = normalize_field_name(name)
    if any(word in compact for word in _FAMILY_WORDS):
        return True
    return "ATTACH" in compact and any(end in compact for end in _ATTACH_ENDS)


def _series(table: DatTable, columns: Columns) -> set[Series]:
    found: set[Series] = set()
    for row in table.rows:
        for role in ("begbates", "endbates"):
            for field in columns.by_role[role]:
                try:
                    bates = parse_bates(row.values[field])
                except ValueError:
                    continue
                found.add((prefix_key(bates.prefix), bates.width))
    return found


def _own_range(row: DatRow, columns: Columns) -> tuple[tuple[str, int], tuple[str, int]] | None:
    ends = []
    for role in ("begbates", "endbates"):
        names = columns.by_role[role]
        try:
            bates = parse_bates(row.values[names[0]]) if names else None
        except ValueError:
            bates = None
        if bates is None:
            return None
        ends.append((prefix_key(bates.prefix), bates.number))
    return ends[0], ends[1]


def _bates_in(value: str, series: set[Series]) -> list[tuple[str, int]]:
    """The Bates numbers of the volume's series that ``value`` names."""
    found = []
    for key, width in series:
        if key:
            pattern = re.escape(key) + rf"([0-9]{{{width}}})(?![0-9])"
            found += [(key, int(m[1])) for m in re.finditer(pattern, value.casefold())]
        else:
            pieces = re.split(r"[\s;,|]+", value)
            found += [("", int(p)) for p in pieces if len(p) == width and p.isdigit()]
    return found
