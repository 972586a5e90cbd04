"""Builders for production volumes in memory, modelled on the reference case (BRIEF §3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from gateway.ingest import (
    DEFAULT_DESIGNATIONS,
    LoadFileErrors,
    MemorySource,
    OptRow,
    ProductionPlan,
    build_plan,
    write_dat,
    write_opt,
)

FIELDS = [
    "BEGBATES",
    "ENDBATES",
    "BEGATTACH",
    "ENDATTACH",
    "CUSTODIAN",
    "CONFIDENTIALITY",
    "TITLE",
    "NATIVELINK",
    "TEXTLINK",
]
DAT = "DATA/VOL001.dat"
OPT = "DATA/VOL001.opt"
DAT_FILE = f"VOL001/{DAT}"
OPT_FILE = f"VOL001/{OPT}"


def bates(number: int, prefix: str = "AOL-DEF-") -> str:
    return f"{prefix}{number:08d}"


@dataclass
class Volume:
    """A volume under construction: DAT rows, OPT rows and the other files, all editable."""

    rows: list[dict[str, str]] = field(default_factory=list)
    opt: list[OptRow] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    fields: list[str] = field(default_factory=lambda: list(FIELDS))
    dat_bytes: bytes | None = None  # set to bypass the writer
    opt_bytes: bytes | None = None

    def document(self, first: int, last: int, *, images: bool = True, **values: str) -> None:
        """Add a document AOL-DEF-first..last with one TIFF per page."""
        row = {"BEGBATES": bates(first), "ENDBATES": bates(last)} | values
        self.rows.append(row)
        if not images:
            return
        for number in range(first, last + 1):
            path = f"IMAGES\\0001\\{bates(number)}.tif"
            start = number == first
            self.opt.append(
                OptRow(
                    bates(number),
                    "VOL001",
                    path,
                    start,
                    page_count=last - first + 1 if start else None,
                )
            )
            self.files[path.replace("\\", "/")] = b"II*\x00 page"

    def source(self, name: str = "VOL001") -> MemorySource:
        files = dict(self.files)
        files[DAT] = (
            self.dat_bytes if self.dat_bytes is not None else write_dat(self.fields, self.rows)
        )
        files[OPT] = self.opt_bytes if self.opt_bytes is not None else write_opt(self.opt)
        return MemorySource(files, name=name)

    def plan(self, designations: Mapping[str, str] = DEFAULT_DESIGNATIONS) -> ProductionPlan:
        return build_plan(self.source(), dat_path=DAT, opt_path=OPT, designations=designations)

    def problems(self, designations: Mapping[str, str] = DEFAULT_DESIGNATIONS) -> LoadFileErrors:
        with pytest.raises(LoadFileErrors) as caught:
            self.plan(designations)
        return caught.value


@pytest.fixture
def volume() -> Volume:
    """Gov't Ex. 1 (an AEO e-mail) with Ex. 2-4 embedded, and Ex. 18 on its own."""
    vol = Volume()
    family = {"BEGATTACH": bates(556914), "ENDATTACH": bates(556922)}
    vol.document(
        556914,
        556918,
        CONFIDENTIALITY="AEO",
        TITLE="SENTRI revocation",
        CUSTODIAN="Officer A",
        **family,
    )
    vol.document(556919, 556919, CONFIDENTIALITY="AEO", **family)
    vol.document(556920, 556920, CONFIDENTIALITY="AEO", **family)
    vol.document(556921, 556922, CONFIDENTIALITY="CONFIDENTIAL", **family)
    vol.document(528691, 528707, CONFIDENTIALITY="AEO", TITLE="Field information report")
    return vol


def assert_problem(
    problems: LoadFileErrors, *, file: str, line: int | None, field: str | None, reason: str
) -> None:
    """One of the problems is at file:line, about field, and its reason contains ``reason``."""
    prefix = f"{file}:{line}" if line is not None else file
    prefix += f": {field}: " if field else ": "
    matching = [e for e in problems.errors if e.message.startswith(prefix) and reason in e.reason]
    assert matching, f"no problem at {prefix!r} about {reason!r} in {problems.message}"
    error = matching[0]
    assert (error.file, error.line, error.field) == (file, line, field)


@pytest.fixture
def problem() -> Callable[..., None]:
    return assert_problem
