"""Natives that have no pages (spreadsheets, e-mail files, media): what they are, and what a
download of them serves.

A PDF or an image produced as the native is served as ever (it has pages to stamp); any
other native is handed over only to whoever the policy allows ``document:download_native``
on the version served, and everyone else who may download the document gets its slip sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.versions import designation_of
from gateway.matters.service import MatterAccess
from gateway.pdf.slips import Slip, slip_sheet

PDF = "application/pdf"
# by the file's suffix where its media type says nothing (.msg is unknown to mimetypes)
_KINDS = {
    "spreadsheet": {".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".numbers"},
    "e-mail": {".eml", ".msg", ".mbox", ".pst"},
    "presentation": {".pptx", ".ppt", ".odp", ".key"},
    "word-processing document": {".docx", ".doc", ".odt", ".rtf", ".wpd", ".pages"},
    "database": {".mdb", ".accdb", ".sqlite", ".db"},
    "archive": {".zip", ".7z", ".rar", ".tar", ".gz"},
}
_MEDIA = {"audio": "audio recording", "video": "video recording", "message": "e-mail"}


def has_pages(f: DocumentFile) -> bool:
    """A PDF or an image: rendered page by page, stamped, served as itself."""
    return f.media_type == PDF or f.media_type.startswith("image/")


def kind_of(f: DocumentFile) -> str:
    """What the native is, as a slip sheet says it: "spreadsheet (.xlsx)"."""
    suffix = _suffix(f.file_name)
    kind = next((k for k, suffixes in _KINDS.items() if suffix in suffixes), "")
    if not kind:
        kind = _MEDIA.get(f.media_type.split("/", 1)[0], "native file")
    return f"{kind} ({suffix})" if suffix else kind


def pageless_native(files: list[DocumentFile]) -> DocumentFile | None:
    """The version's native if it is one without pages, else None."""
    native = next((f for f in files if f.role == "native"), None)
    return native if native is not None and not has_pages(native) else None


def without_withheld(
    files: list[DocumentFile], *, native_allowed: bool
) -> tuple[list[DocumentFile], dict[str, object] | None]:
    """The files a volume or an export hands over: all of them, or, where the user may not
    have the version's pageless native, all but that native and the version's text (the
    text is the native's content, extracted); with what was left out, for the audit entry."""
    native = pageless_native(files)
    if native is None or native_allowed:
        return files, None
    texts = [f.file_name for f in files if f.role == "text"]
    kept = [f for f in files if f is not native and f.role != "text"]
    return kept, {"name": native.file_name, "served": "left out", "text_left_out": texts}


@dataclass(frozen=True)
class Form:
    """What a download serves: stored files, or a slip sheet in place of ``withheld``."""

    files: list[DocumentFile]
    withheld: DocumentFile | None = None


def download_form(files: list[DocumentFile], *, native_allowed: bool) -> Form:
    """The native if there is one (a pageless one only if ``native_allowed``), else the page
    images; a withheld native with no page images is served as its slip sheet."""
    native = next((f for f in files if f.role == "native"), None)
    images = [f for f in files if f.role == "image"]
    if native is not None and (native_allowed or has_pages(native)):
        return Form([native])
    if native is not None and not images:
        return Form([], withheld=native)
    return Form(images, withheld=native)


def slip_for(
    access: MatterAccess, doc: Document, version: DocumentVersion, native: DocumentFile
) -> bytes:
    """The slip sheet of ``native`` under the legend of the version served, naming the
    document's own file name (the load file's FILENAME), else the native's."""
    legends = {tier.code: tier.legend for tier in access.policy.tiers}
    designation = designation_of(doc, version)
    return slip_sheet(
        Slip(
            bates=doc.bates_begin,
            legend=legends.get(designation, designation),
            file_name=doc.file_name or native.file_name,
            file_type=kind_of(native),
            caption=f"{access.matter.caption}, No. {access.matter.case_number}",
        )
    )


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot >= 0 else ""
    return suffix if 2 <= len(suffix) <= 10 and suffix[1:].isalnum() else ""
