"""Reading a request for a redaction: its fields, and its marks with pages named by Bates
number turned into page indices. Every error names the field (``marks[2].box``) and why."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gateway.authz.vocabulary import VersionKind
from gateway.bates import parse_bates
from gateway.documents.models import Document
from gateway.errors import Invalid
from gateway.pdf.redact import (
    DEFAULT_DPI,
    DEFAULT_LABEL,
    BoxMark,
    Mark,
    RedactionRefused,
    TextMark,
    check_settings,
    check_text_mark,
)

MAX_MARKS = 200
MAX_REASON = 2000
FIELDS = frozenset({"kind", "designation", "label", "reason", "dpi", "from", "marks"})
MARK_KEYS = (
    frozenset({"page", "box"}),
    frozenset({"text", "pages"}),
    frozenset({"pattern", "pages"}),
)


@dataclass(frozen=True)
class RedactionRequest:
    fields: dict[str, str]  # kind and designation, as ``version_fields`` reads them
    source: VersionKind
    label: str
    reason: str
    dpi: int
    marks: list[Mark]
    given: list[dict[str, Any]]  # the marks as sent, for the log


def page_names(doc: Document) -> list[str]:
    """The document's pages by Bates number, in order."""
    first = parse_bates(doc.bates_begin)
    return [first.format(doc.bates_begin_no + i) for i in range(doc.page_count)]


def read_request(body: dict[str, Any], doc: Document) -> RedactionRequest:
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise Invalid(f"{unknown[0]}: not a field of a redaction; use {', '.join(sorted(FIELDS))}")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise Invalid(f"reason: say why (the ruling or privilege), 1 to {MAX_REASON} characters")
    label = body.get("label", DEFAULT_LABEL)
    dpi = body.get("dpi", DEFAULT_DPI)
    if not isinstance(label, str):
        raise Invalid("label: a string")
    try:
        check_settings(label, dpi)
    except RedactionRefused as exc:
        raise Invalid(str(exc)) from None
    source = _source(body.get("from", str(VersionKind.ORIGINAL)))
    names = {name.upper(): i for i, name in enumerate(page_names(doc))}
    raw = body.get("marks")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_MARKS:
        raise Invalid(f"marks: a list of 1 to {MAX_MARKS} marks")
    marks = [_mark(n, m, names) for n, m in enumerate(raw)]
    fields = {k: body.get(k) for k in ("kind", "designation")}
    for key, value in fields.items():
        if not isinstance(value, str):
            raise Invalid(f"{key}: a string")
    return RedactionRequest(
        fields={k: str(v) for k, v in fields.items()},
        source=source,
        label=label,
        reason=reason.strip(),
        dpi=dpi,
        marks=marks,
        given=raw,
    )


def _source(value: Any) -> VersionKind:
    try:
        return VersionKind(value)
    except ValueError:
        kinds = ", ".join(str(k) for k in VersionKind)
        raise Invalid(f"from: the version to redact, one of {kinds}") from None


def _mark(n: int, mark: Any, names: dict[str, int]) -> Mark:
    if (
        not isinstance(mark, dict)
        or not any(set(mark) <= keys for keys in MARK_KEYS)
        or ("page" not in mark and "text" not in mark and "pattern" not in mark)
    ):
        raise Invalid(f"marks[{n}]: one of {{page, box}}, {{text, pages?}} or {{pattern, pages?}}")
    if "page" in mark:
        return BoxMark(_page(f"marks[{n}].page", mark.get("page"), names), _box(n, mark.get("box")))
    what = "pattern" if "pattern" in mark else "text"
    text = mark[what]
    if not isinstance(text, str):
        raise Invalid(f"marks[{n}].{what}: a string")
    pages = None
    if "pages" in mark:
        given = mark["pages"]
        if not isinstance(given, list) or not given:
            raise Invalid(f"marks[{n}].pages: a non-empty list of Bates numbers")
        pages = tuple(_page(f"marks[{n}].pages", p, names) for p in given)
    made = TextMark(text, pattern=what == "pattern", pages=pages)
    try:
        check_text_mark(n, made)
    except RedactionRefused as exc:
        raise Invalid(str(exc)) from None
    return made


def _page(field: str, value: Any, names: dict[str, int]) -> int:
    if not isinstance(value, str):
        raise Invalid(f"{field}: a Bates number of the document, as a string")
    index = names.get(value.strip().upper())
    if index is None:
        raise Invalid(f"{field}: {value[:40]!r} is not a page of this document")
    return index


def _box(n: int, value: Any) -> tuple[float, float, float, float]:
    wrong = Invalid(f"marks[{n}].box: [x0, y0, x1, y1], four numbers in PDF points")
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise wrong
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except OverflowError:  # an integer too large for a float
        raise wrong from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise wrong
    return (x0, y0, x1, y1)
