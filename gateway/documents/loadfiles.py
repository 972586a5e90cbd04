"""The DAT and OPT that describe a served volume ZIP or an export, so a review platform can
load it.

They list exactly the files the ZIP holds, by their paths inside the volume folder, with
each document's designation in a CONFIDENTIALITY field (the tier code); the gateway's own
importer reads them back. A served volume names its native and text files in NATIVELINK
and TEXTLINK; an export (gateway.exports) adds the metadata fields and names them in
NATIVEPATH and TEXTPATH.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from gateway.bates import parse_bates
from gateway.documents.models import Document, DocumentFile
from gateway.ingest.opt import OptRow
from gateway.ingest.writer import write_dat, write_opt

DAT_FIELDS = ["BEGBATES", "ENDBATES", "CONFIDENTIALITY", "NATIVELINK", "TEXTLINK"]


@dataclass(frozen=True)
class Placed:
    """A document's files and their paths inside the volume folder (``/``-separated)."""

    doc: Document
    files: Sequence[tuple[DocumentFile, str]]
    # the designation of the version whose files these are (a redacted one has its own)
    designation: str = ""
    # more DAT fields, by name (an export's metadata); each must be in the DAT's fields
    fields: Mapping[str, str] = field(default_factory=dict)


def volume_load_files(
    volume: str,
    placed: Sequence[Placed],
    *,
    dat_fields: Sequence[str] = DAT_FIELDS,
    links: tuple[str, str] = ("NATIVELINK", "TEXTLINK"),
) -> tuple[bytes, bytes]:
    """(DAT, OPT) for the documents as placed in the ZIP; ``links`` names the DAT fields of
    the native's and the text's paths. ``ValueError`` (from the writer) for a value the
    format cannot carry, naming its row and field."""
    rows, pages = [], []
    native, text = links
    for item in placed:
        by_role: dict[str, list[tuple[DocumentFile, str]]] = {}
        for f, path in item.files:
            by_role.setdefault(f.role, []).append((f, path))
        rows.append(
            {
                "BEGBATES": item.doc.bates_begin,
                "ENDBATES": item.doc.bates_end,
                "CONFIDENTIALITY": item.designation or item.doc.designation,
                native: _windows(by_role.get("native", [])),
                text: _windows(by_role.get("text", [])),
                **item.fields,
            }
        )
        pages += _opt_rows(volume, item.doc, by_role.get("image", []))
    return write_dat(dat_fields, rows, encoding="utf-8-sig"), write_opt(pages)


def _windows(files: list[tuple[DocumentFile, str]]) -> str:
    return files[0][1].replace("/", "\\") if files else ""


def _opt_rows(volume: str, doc: Document, images: list[tuple[DocumentFile, str]]) -> list[OptRow]:
    if not images:
        return []
    images = sorted(images, key=lambda item: item[0].page_no or 0)
    begin = parse_bates(doc.bates_begin)
    if len(images) == 1 and doc.page_count > 1:
        # one multi-page file: listed once, with the document's page count
        return [OptRow(doc.bates_begin, volume, _windows(images), True, page_count=doc.page_count)]
    return [
        OptRow(
            begin.format(begin.number + (f.page_no or 1) - 1),
            volume,
            path.replace("/", "\\"),
            index == 0,
            page_count=doc.page_count if index == 0 else None,
        )
        for index, (f, path) in enumerate(images)
    ]
