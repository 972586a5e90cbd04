"""The order's forms, read into exactly the keyword arguments their services take.

Nothing is refused here: a value that is not what the service expects (a page number that
is not a number, a period that is not a whole number of days) is handed on as it was typed,
so the service refuses it, and audits the refusal, as it does for the API.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

_SPLIT = re.compile(r"[\s,;]+")
_DASH = re.compile(r"\s*[-\u2013]\s*")
_PAGES = re.compile(r"(\d{1,6})(?:-(\d{1,6}))?")
_COUNT = re.compile(r"-?\d{1,9}")
MAX_RANGE = 10_000  # a range wider than any document is passed on as typed, and refused
ACTION_FIELD = "action:"  # one select per copy listed: action:<Bates number>


def _text(form: MultiDict[str, str], name: str) -> str:
    return form.get(name, "")


def _tokens(text: str) -> list[str]:
    return [token for token in _SPLIT.split(text.strip()) if token]


def bates_numbers(text: str) -> list[str]:
    """Bates numbers one per line, or separated by commas (or spaces)."""
    return _tokens(text)


def page_numbers(text: str) -> list[Any] | None:
    """``13`` or ``12-14, 17``: page numbers, 1 the document's first page; None if blank."""
    pages: list[Any] = []
    for token in _tokens(_DASH.sub("-", text)):
        found = _PAGES.fullmatch(token)
        first = int(found[1]) if found else 0
        last = int(found[2] or found[1]) if found else 0
        if found is None or last < first or last - first >= MAX_RANGE:
            pages.append(token)
        else:
            pages.extend(range(first, last + 1))
    return pages or None


def _count(text: str) -> Any:
    text = text.strip()
    return int(text) if _COUNT.fullmatch(text) else text


def obligations(text: str) -> list[dict[str, Any]] | None:
    """One obligation a line: ``party | what is to be done | days``; None if blank."""
    ordered = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 3:
            ordered.append({"party": line.strip(), "what": "", "days": line.strip()})
            continue
        ordered.append(
            {"party": parts[0], "what": " | ".join(parts[1:-1]), "days": _count(parts[-1])}
        )
    return ordered or None


def designation_args(form: MultiDict[str, str]) -> dict[str, Any]:
    """For ``orders.redesignate.redesignate``."""
    return {
        "designation": _text(form, "designation"),
        "pages": page_numbers(_text(form, "pages")),
        "reason": _text(form, "reason"),
    }


def clawback_args(form: MultiDict[str, str]) -> dict[str, Any]:
    """For ``orders.clawback.claw_back``."""
    return {
        "documents": bates_numbers(_text(form, "documents")),
        "privilege": _text(form, "privilege"),
        "basis": _text(form, "basis"),
    }


def presentation_args(form: MultiDict[str, str]) -> dict[str, Any]:
    """For ``orders.clawback.present``: the documents ticked, or every one not yet presented."""
    return {"documents": form.getlist("document") or None}


def ruling_args(form: MultiDict[str, str]) -> dict[str, Any]:
    """For ``orders.rulings.rule``."""
    return {
        "document": _text(form, "document"),
        "outcome": _text(form, "outcome"),
        "pages": page_numbers(_text(form, "pages")),
        "order": {"date": _text(form, "order_date"), "docket": _text(form, "order_docket")},
        "deadlines": obligations(_text(form, "deadlines")),
    }


def certification_args(form: MultiDict[str, str]) -> dict[str, Any]:
    """For ``orders.clawback.certify``: one action for each document listed, in form order."""
    copies = [
        {"bates_begin": name.removeprefix(ACTION_FIELD), "action": value}
        for name, value in form.items(multi=True)
        if name.startswith(ACTION_FIELD)
    ]
    return {
        "copies": copies,
        "statement": _text(form, "statement"),
        "signed_by": _text(form, "signed_by"),
    }


def filing_args(form: MultiDict[str, str]) -> dict[str, Any]:
    """A filing: the document, the version (blank: as the disposition implies), how it was
    filed, its docket number and when (with its offset), and the deadline it answers."""
    deadline = _text(form, "deadline").strip()
    return {
        "document": _text(form, "document").strip(),
        "version": _text(form, "version").strip() or None,
        "disposition": _text(form, "disposition"),
        "docket": _text(form, "docket"),
        "filed_at": _text(form, "filed_at").strip(),
        "deadline": int(deadline) if _COUNT.fullmatch(deadline) else (deadline or None),
    }


_TEXT_MARK = re.compile(r"(text|pattern)((?:[ \t]+[^\s:]+)*)[ \t]*:[ \t]?(.*)")
_NUMBER = re.compile(r"-?\d{1,7}(?:\.\d{1,4})?")


def redaction_marks(text: str) -> list[dict[str, Any]]:
    """One mark a line: ``BATES x0 y0 x1 y1`` (a box, PDF points from the page's bottom
    left), ``text: exact words`` or ``pattern: a regular expression``, either optionally
    limited to pages (``text AOL-DEF-00528703: ...``). A line of neither shape is handed on
    as typed, for the service to refuse with its line's index."""
    marks: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _TEXT_MARK.fullmatch(line.strip())
        if found:
            mark: dict[str, Any] = {found[1]: found[3]}
            if found[2].strip():
                mark["pages"] = found[2].split()
            marks.append(mark)
            continue
        tokens = line.split()
        if len(tokens) == 5:
            box = [float(t) if _NUMBER.fullmatch(t) else t for t in tokens[1:]]
            marks.append({"page": tokens[0], "box": box})
        else:
            marks.append({"line": line.strip()})
    return marks


def redaction_body(form: MultiDict[str, str]) -> dict[str, Any]:
    """The redaction form as the API's JSON body."""
    body: dict[str, Any] = {
        key: _text(form, key) for key in ("kind", "designation", "reason", "label", "from")
    }
    if not body["label"].strip():
        del body["label"]
    if not body["from"].strip():
        del body["from"]
    dpi = _text(form, "dpi").strip()
    if dpi:
        body["dpi"] = _count(dpi)
    body["marks"] = redaction_marks(_text(form, "marks"))
    return body
