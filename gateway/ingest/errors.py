"""Errors of load-file ingestion: each one says which file, which line, which field and why.

A production volume usually has many problems at once (a vendor's export gone wrong), and
fixing them one round trip at a time is misery for the producing party's support team, so
validation collects them into one :class:`LoadFileErrors` instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.errors import Invalid

#: More than this many problems means the volume is broken wholesale; listing the rest helps no one.
MAX_ERRORS = 100
#: How many problems the exception message shows; ``errors`` holds all of them.
MESSAGE_ERRORS = 5


class LoadFileError(Invalid):
    """One problem in one load file (or one file a load file refers to)."""

    def __init__(
        self, reason: str, *, file: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        super().__init__(
            _format(file, line, field, reason),
            details={"file": file, "line": line, "field": field, "reason": reason},
        )


def _format(file: str, line: int | None, field: str | None, reason: str) -> str:
    where = file if line is None else f"{file}:{line}"
    parts = [where] + ([field] if field else []) + [reason]
    return ": ".join(parts)


class LoadFileErrors(Invalid):
    """Every problem found in a volume (up to :data:`MAX_ERRORS`), in the order found."""

    def __init__(self, errors: Iterable[LoadFileError], *, total: int | None = None) -> None:
        self.errors = list(errors)
        if not self.errors:
            raise ValueError("LoadFileErrors needs at least one error")
        self.total = max(total or 0, len(self.errors))
        shown = "; ".join(error.message for error in self.errors[:MESSAGE_ERRORS])
        more = self.total - min(len(self.errors), MESSAGE_ERRORS)
        count = "1 problem" if self.total == 1 else f"{self.total} problems"
        message = f"{count} in the load files: {shown}" + (f"; and {more} more" if more else "")
        super().__init__(
            message,
            details={"total": self.total, "errors": [error.details for error in self.errors]},
        )


class ErrorCollector:
    """Accumulates problems for one validation run; keeps the first :data:`MAX_ERRORS`."""

    def __init__(self) -> None:
        self.errors: list[LoadFileError] = []
        self.total = 0

    def add(
        self, reason: str, *, file: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.append(LoadFileError(reason, file=file, line=line, field=field))

    def append(self, error: LoadFileError) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def extend(self, errors: Iterable[LoadFileError]) -> None:
        for error in errors:
            self.append(error)

    def absorb(self, exc: LoadFileErrors) -> None:
        """Take over another run's problems, including the count of those it left off."""
        self.extend(exc.errors)
        self.total += exc.total - len(exc.errors)

    def __bool__(self) -> bool:
        return self.total > 0

    def raise_if_any(self) -> None:
        if self.total:
            # By file and line, the order in which someone fixing the volume works through them.
            ordered = sorted(self.errors, key=lambda error: (error.file, error.line or 0))
            raise LoadFileErrors(ordered, total=self.total)
