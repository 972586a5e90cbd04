"""Which DAT field serves which role: one table of names, extendable by the operator.

Field names are compared without regard to case, spaces, underscores or punctuation
("Beg Bates", "BEG_BATES" and "begbates" are one name). The operator maps a field the table
does not know with ``--field BEGBATES="Bates Beg"`` and declares a field unrelated to any
role with ``--ignore-field NAME``; both are recorded in the ingest's audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gateway.bates import split_range
from gateway.errors import Invalid
from gateway.ingest.dat import DatRow

# Role -> accepted field names (normalised: upper case, letters and digits only), in
# priority order. Per document the first non-blank one wins, so a DAT mixing e-mails
# (SUBJECT, FROM) and loose files (TITLE, AUTHOR) maps both. The first name is the one the
# operator and the messages use.
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "begbates": (
        "BEGBATES",
        "BEGDOC",
        "BEGINBATES",
        "BATESBEGIN",
        "PRODBEGBATES",
        "BEGNO",
        "BATESBEG",
    ),
    "endbates": ("ENDBATES", "ENDDOC", "BATESEND", "PRODENDBATES", "ENDNO"),
    "begattach": ("BEGATTACH", "BEGATT", "BEGFAMILY", "BEGATTACHMENT"),
    "endattach": ("ENDATTACH", "ENDATT", "ENDFAMILY", "ENDATTACHMENT"),
    # the family as one field: "first - last" of the family's range
    "attachrange": ("ATTACHRANGE", "ATTACHMENTRANGE", "FAMILYRANGE"),
    # the family as the parent's BEGBATES (blank on the parent itself)
    "parent": ("PARENTBATES", "PARENTBEGBATES", "PARENTDOCID"),
    "custodian": ("CUSTODIAN", "CUSTODIANS"),
    "confidentiality": ("CONFIDENTIALITY", "DESIGNATION"),
    "title": ("TITLE", "SUBJECT", "DOCTITLE", "EMAILSUBJECT"),
    "file_name": ("FILENAME", "ORIGINALFILENAME"),
    "authors": ("AUTHOR", "FROM", "EMAILFROM"),
    "to": ("RECIPIENTS", "TO", "EMAILTO"),
    "cc": ("CC", "EMAILCC"),
    "bcc": ("BCC", "EMAILBCC"),
    "date": ("DATESENT", "DATE", "SENTDATE", "DOCDATE"),
    "native": ("NATIVELINK", "NATIVE", "NATIVEPATH", "NATIVEFILE"),
    # EXTRACTEDTEXT holds a path in some exports and the text itself in others: see
    # text_is_inline; the TEXT role's other names always hold a path
    "text": ("TEXTLINK", "TEXTPATH", "TEXTFILE", "EXTRACTEDTEXT"),
    "textbody": ("TEXTBODY", "OCRTEXT", "FULLTEXT", "BODYTEXT"),
    "pagecount": ("PAGECOUNT", "PAGES", "PGCOUNT"),
}

# The longest value each role may have (the gateway's columns hold no more).
FIELD_LIMITS: Mapping[str, int] = {
    "begbates": 100,
    "endbates": 100,
    "begattach": 100,
    "endattach": 100,
    "attachrange": 201,
    "parent": 100,
    "custodian": 300,
    "title": 1000,
    "file_name": 500,
    "date": 40,
}

# Roles where a second field could silently change what is served or who may see it.
SINGLE_FIELD_ROLES = (
    "begbates",
    "endbates",
    "begattach",
    "endattach",
    "attachrange",
    "parent",
    "custodian",
    "confidentiality",
    "native",
    "text",
    "textbody",
    "pagecount",
)
# Fields whose values are stored as encrypted files, not in the database: any text goes.
FILE_CONTENT_ROLES = ("text", "textbody")

DESIGNATION_ROLE = "confidentiality"
# The ways a DAT can give a document's family; one DAT uses one of them.
FAMILY_SOURCES = {
    "attach": ("begattach", "endattach"),
    "attachrange": ("attachrange",),
    "parent": ("parent",),
}


def normalize_field_name(name: str) -> str:
    """``Beg Bates``, ``BEG_BATES`` and ``begbates`` all name the same field."""
    return re.sub(r"[^0-9A-Z]", "", name.upper())


_PATH_SHAPE = re.compile(r"[^\r\n]{1,500}\.[A-Za-z0-9]{1,5}")


def text_is_inline(name: str, value: str) -> bool:
    """Whether a TEXT field's value is the text itself rather than the path of a file:
    only in a field named EXTRACTEDTEXT, and only when the value is not path-shaped (one
    line ending in a file extension). A path-shaped value naming no file is refused."""
    if normalize_field_name(name) != "EXTRACTEDTEXT":
        return False
    return _PATH_SHAPE.fullmatch(value.strip()) is None


def canonical_name(role: str) -> str:
    return FIELD_ALIASES[role][0]


_ROLE_BY_NAME = {name: role for role, names in FIELD_ALIASES.items() for name in names}


def role_of(name: str) -> str | None:
    """The role a field name of the table serves (``BEGDOC`` -> ``begbates``), or None."""
    return _ROLE_BY_NAME.get(normalize_field_name(name))


@dataclass(frozen=True)
class FieldChoices:
    """What the operator said about a volume's fields, beyond the table."""

    fields: Mapping[str, str] = field(default_factory=dict)  # role -> the header's field
    ignored: frozenset[str] = frozenset()  # normalised names of fields that serve no role
    designation: str | None = None  # the one tier of the whole volume, as the operator spelt it
    # role -> more names (normalised) the matter's producers use, added to the table
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(
        cls,
        fields: Iterable[str] = (),
        *,
        ignored: Iterable[str] = (),
        designation_field: str | None = None,
        designation: str | None = None,
        aliases: Mapping[str, Iterable[str]] | None = None,
    ) -> FieldChoices:
        """From ``--field ROLE=NAME``, ``--ignore-field``, ``--designation-field`` and
        ``--designation``; ``Invalid`` naming the option for anything it cannot read."""
        mapping: dict[str, str] = {}
        for option in fields:
            role, name = _field_option(option)
            _choose(mapping, role, name, f"--field {option}")
        if designation_field is not None:
            if not designation_field.strip():
                raise Invalid("--designation-field: give the name of the DAT's designation field")
            _choose(mapping, DESIGNATION_ROLE, designation_field.strip(), "--designation-field")
        if designation is not None and not designation.strip():
            raise Invalid("--designation: give a tier of the matter's order")
        if designation is not None and DESIGNATION_ROLE in mapping:
            raise Invalid(
                "--designation and --designation-field exclude each other: the documents "
                "take their designation from a field or the volume has one tier, not both"
            )
        skip = frozenset(normalize_field_name(name) for name in ignored)
        for role, name in mapping.items():
            if normalize_field_name(name) in skip:
                raise Invalid(f"--ignore-field {name}: it is also mapped to {canonical_name(role)}")
        extra = {
            role: tuple(normalize_field_name(name) for name in names)
            for role, names in (aliases or {}).items()
            if role in FIELD_ALIASES
        }
        return cls(mapping, skip, designation.strip() if designation else None, extra)

    def describe(self) -> dict[str, object]:
        """For the ingest's audit entry."""
        described: dict[str, object] = {}
        if self.fields:
            described["fields"] = {canonical_name(r): n for r, n in sorted(self.fields.items())}
        if self.ignored:
            described["ignored_fields"] = sorted(self.ignored)
        if self.designation:
            described["volume_designation"] = self.designation
        if self.aliases:
            described["matter_field_names"] = {
                canonical_name(r): list(n) for r, n in sorted(self.aliases.items())
            }
        return described


def _field_option(option: str) -> tuple[str, str]:
    key, sep, name = option.partition("=")
    role = role_of(key)
    names = ", ".join(canonical_name(r) for r in FIELD_ALIASES)
    if not sep or not name.strip():
        raise Invalid(f'--field {option}: write ROLE=NAME, e.g. BEGBATES="Bates Beg"')
    if role is None:
        raise Invalid(f"--field {option}: {key.strip()!r} is not a role; roles: {names}")
    return role, name.strip()


def _choose(mapping: dict[str, str], role: str, name: str, option: str) -> None:
    if role in mapping and mapping[role] != name:
        raise Invalid(f"{option}: {canonical_name(role)} is already mapped to {mapping[role]!r}")
    taken = [r for r, n in mapping.items() if r != role and _same(n, name)]
    if taken:
        raise Invalid(f"{option}: field {name!r} already gives {canonical_name(taken[0])}")
    mapping[role] = name


def _same(one: str, other: str) -> bool:
    return normalize_field_name(one) == normalize_field_name(other)


class Columns:
    """Which header fields serve which role, in priority order, after the operator's say."""

    def __init__(self, fields: list[str], choices: FieldChoices) -> None:
        self.fields = fields
        self.problems: list[tuple[str, str]] = []  # (field, reason) about the header
        by_name: dict[str, list[str]] = {}
        for name in fields:
            by_name.setdefault(normalize_field_name(name), []).append(name)
        chosen = {role: self._find(by_name, name) for role, name in choices.fields.items()}
        taken = {normalize_field_name(n) for names in chosen.values() for n in names}
        self.by_role: dict[str, list[str]] = {}
        for role, names in FIELD_ALIASES.items():
            aliases = names + choices.aliases.get(role, ())
            if role in chosen:
                self.by_role[role] = chosen[role]
            else:
                found = [name for alias in aliases for name in by_name.get(alias, [])]
                skip = taken | choices.ignored
                self.by_role[role] = [n for n in found if normalize_field_name(n) not in skip]
        for name in choices.ignored:
            if name not in by_name:
                self.problems.append(
                    (name, f"--ignore-field names no field of the header{self._listing()}")
                )

    def _find(self, by_name: dict[str, list[str]], name: str) -> list[str]:
        found = by_name.get(normalize_field_name(name), [])
        if not found:
            self.problems.append(
                (name, f"the operator's field is not in the header{self._listing()}")
            )
        return found

    def _listing(self) -> str:
        return f" (fields: {', '.join(self.fields)})"

    def family_sources(self) -> list[str]:
        """Which of :data:`FAMILY_SOURCES` the header has fields for."""
        return [
            source
            for source, roles in FAMILY_SOURCES.items()
            if any(self.by_role[role] for role in roles)
        ]

    @property
    def family_source(self) -> str | None:
        sources = self.family_sources()
        return sources[0] if len(sources) == 1 else None

    def label(self, role: str) -> str:
        """The field name to put in messages about ``role``."""
        names = self.by_role[role]
        return names[0] if names else canonical_name(role)

    @property
    def mapped(self) -> set[str]:
        return {name for names in self.by_role.values() for name in names}


class Record:
    """One DAT row seen through the role mapping; remembers which fields it used."""

    def __init__(self, row: DatRow, columns: Columns) -> None:
        self.row = row
        self.columns = columns
        self.used: set[str] = set()

    def get(self, role: str) -> tuple[str, str]:
        """(field name, value) of the first non-blank field serving ``role``; the ends of
        an ATTACHRANGE field stand for BEGATTACH and ENDATTACH."""
        if role in FAMILY_SOURCES["attach"] and self.columns.family_source == "attachrange":
            name, value = self.first("attachrange")
            if not value.strip():
                return name, ""
            ends = split_range(value)
            if ends is None:
                return name, value  # refused as "not a Bates number", naming the field
            return name, ends[0] if role == "begattach" else ends[1]
        return self.first(role)

    def first(self, role: str) -> tuple[str, str]:
        for name in self.columns.by_role[role]:
            if self.row.values[name].strip():
                self.used.add(name)
                return name, self.row.values[name]
        return self.columns.label(role), ""

    def text(self, role: str) -> str:
        return self.get(role)[1].strip()

    def people(self, *roles: str) -> tuple[str, ...]:
        names = [part.strip() for role in roles for part in self.get(role)[1].split(";")]
        return tuple(dict.fromkeys(name for name in names if name))

    def extra(self) -> dict[str, str]:
        return {k: v for k, v in self.row.values.items() if k not in self.used and v.strip()}
