"""Building the domain's query objects from request arguments (any string mapping), so the
API and the web pages parse lists the same way and report bad values the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from gateway.errors import BadRequest

Q = TypeVar("Q")
# past this, a page's offset would not fit the database's integers; no list is that long
MAX_PAGE = 1_000_000


def from_args(cls: type[Q], args: Mapping[str, str]) -> Q:
    """``cls`` is a dataclass of str fields plus the int fields ``page`` and ``per_page``."""
    values: dict[str, Any] = {}
    for field in fields(cls):  # type: ignore[arg-type]
        raw = args.get(field.name)
        if raw is None or raw == "":
            continue
        if field.type in ("int", int):
            values[field.name] = _whole_number(field.name, raw)
        else:
            values[field.name] = raw
    return cls(**values)


def _whole_number(name: str, raw: str) -> int:
    if len(raw) > 20:
        raise BadRequest(f"{name}: must be a whole number from 1 to {MAX_PAGE}")
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadRequest(f"{name}: must be a whole number, not {raw!r}") from exc
    if not 1 <= value <= MAX_PAGE:
        raise BadRequest(f"{name}: must be a whole number from 1 to {MAX_PAGE}")
    return value
