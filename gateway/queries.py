"""Building the domain's query objects from request arguments (any string mapping), so the
API and the web pages parse lists the same way and report bad values the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from gateway.errors import BadRequest

Q = TypeVar("Q")


def from_args(cls: type[Q], args: Mapping[str, str]) -> Q:
    """``cls`` is a dataclass of str fields plus the int fields ``page`` and ``per_page``."""
    values: dict[str, Any] = {}
    for field in fields(cls):  # type: ignore[arg-type]
        raw = args.get(field.name)
        if raw is None or raw == "":
            continue
        if field.type in ("int", int):
            try:
                values[field.name] = int(raw)
            except ValueError as exc:
                raise BadRequest(f"{field.name}: must be a whole number, not {raw!r}") from exc
        else:
            values[field.name] = raw
    return cls(**values)
