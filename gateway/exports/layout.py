"""Where each file of an export goes, and the load files that list them (pure: no database).

The industry layout, under one volume folder::

    VOL/DATA/VOL.dat     Concordance DAT (þ, U+0014, ®; UTF-8 with BOM)
    VOL/DATA/VOL.opt     Opticon OPT, one line per page image
    VOL/IMAGES/<page Bates>.<ext>
    VOL/NATIVES/<BEGBATES>.<ext>
    VOL/TEXT/<BEGBATES>.txt

A family's BEGATTACH/ENDATTACH are the first and last Bates numbers of the members this
export holds, never of a member left out of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.bates import page_span, parse_bates
from gateway.documents.content import zip_part
from gateway.documents.loadfiles import Placed, volume_load_files
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.versions import designation_of
from gateway.documents.zipstream import unique_name
from gateway.errors import Invalid

EXPORT_FIELDS = [
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "CUSTODIAN",
    "CONFIDENTIALITY",
    "DOCDATE",
    "TITLE",
    "FILENAME",
    "AUTHOR",
    "RECIPIENTS",
    "PAGECOUNT",
    "NATIVEPATH",
    "TEXTPATH",
]
LINKS = ("NATIVEPATH", "TEXTPATH")
FOLDERS = {"image": "IMAGES", "native": "NATIVES", "text": "TEXT"}


@dataclass(frozen=True)
class Exported:
    """One document as this user is served it: the version, its files, who wrote and got it."""

    doc: Document
    version: DocumentVersion
    files: Sequence[DocumentFile]
    authors: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    volume: str
    # (document, file, path inside the volume folder) in the order the ZIP holds them
    paths: list[tuple[Exported, DocumentFile, str]] = field(default_factory=list)
    dat: bytes = b""
    opt: bytes = b""


def place_files(volume: str, entries: Sequence[Exported]) -> Layout:
    """The export's layout and load files; ``Invalid`` naming the document and field for a
    value a DAT cannot carry (say a title holding þ), before anything is served."""
    ranges = family_ranges([e.doc for e in entries])
    layout = Layout(volume)
    placed = []
    taken: set[str] = set()
    for entry in entries:
        files = [(f, unique_name(file_path(entry.doc, f), taken)) for f in entry.files]
        layout.paths.extend((entry, f, path) for f, path in files)
        placed.append(
            Placed(
                entry.doc, files, designation_of(entry.doc, entry.version), _fields(entry, ranges)
            )
        )
    try:
        dat, opt = volume_load_files(volume, placed, dat_fields=EXPORT_FIELDS, links=LINKS)
    except ValueError as exc:
        raise Invalid(f"the export's DAT cannot carry a value: {exc}") from None
    return Layout(volume, layout.paths, dat, opt)


def file_path(doc: Document, f: DocumentFile) -> str:
    """A page image is named by its page's Bates number, a native and text by BEGBATES."""
    name = doc.bates_begin
    if f.role == "image" and f.page_no:
        begin = parse_bates(doc.bates_begin)
        name = begin.format(begin.number + f.page_no - 1)
    suffix = ".txt" if f.role == "text" else _suffix(f.file_name)
    return f"{FOLDERS.get(f.role, 'OTHER')}/{zip_part(name)}{suffix}"


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot >= 0 else ""
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ""


def family_ranges(docs: Sequence[Document]) -> dict[int, tuple[str, str]]:
    """Document id -> (BEGATTACH, ENDATTACH) for each document with at least one other
    member of its family among ``docs``; a family of one is no family in the DAT."""
    by_family: dict[str, list[Document]] = {}
    for doc in docs:
        by_family.setdefault(doc.family_id, []).append(doc)
    ranges: dict[int, tuple[str, str]] = {}
    for members in by_family.values():
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda d: (d.bates_prefix, d.bates_begin_no))
        for doc in members:
            ranges[doc.id] = (ordered[0].bates_begin, max(members, key=_end).bates_end)
    return ranges


def _end(doc: Document) -> tuple[str, int]:
    return doc.bates_prefix, doc.bates_end_no


def _fields(entry: Exported, ranges: Mapping[int, tuple[str, str]]) -> dict[str, str]:
    doc = entry.doc
    begattach, endattach = ranges.get(doc.id, ("", ""))
    return {
        "BEGATTACH": begattach,
        "ENDATTACH": endattach,
        "CUSTODIAN": doc.custodian,
        "DOCDATE": doc.doc_date,
        "TITLE": doc.title,
        "FILENAME": doc.file_name,
        "AUTHOR": "; ".join(entry.authors),
        "RECIPIENTS": "; ".join(entry.recipients),
        "PAGECOUNT": str(page_span(parse_bates(doc.bates_begin), parse_bates(doc.bates_end))),
    }
