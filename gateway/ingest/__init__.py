"""Parsing and validating production volumes (Concordance DAT + Opticon OPT) into plans.

Pure: no database, no blob store. The ingest service stores what :func:`build_plan` returns.
"""

from __future__ import annotations

from gateway.bates import Bates, parse_bates
from gateway.designations import (
    DEFAULT_DESIGNATIONS,
    TierLike,
    designations_from_tiers,
    normalize_designation,
)
from gateway.ingest.dat import DatRow, DatTable, parse_dat
from gateway.ingest.encoding import SUPPORTED_ENCODINGS, decode_strict, detect_dat_encoding
from gateway.ingest.errors import MAX_ERRORS, LoadFileError, LoadFileErrors
from gateway.ingest.fields import FIELD_ALIASES, FieldChoices
from gateway.ingest.opt import OptRow, parse_opt
from gateway.ingest.plan import PlannedDocument, PlannedPage, ProductionPlan, build_plan
from gateway.ingest.source import (
    DirectorySource,
    MemorySource,
    UnsafePath,
    VolumeSource,
    volume_path,
)
from gateway.ingest.writer import DAT_ENCODINGS, write_dat, write_opt

__all__ = [
    "DAT_ENCODINGS",
    "DEFAULT_DESIGNATIONS",
    "FIELD_ALIASES",
    "MAX_ERRORS",
    "SUPPORTED_ENCODINGS",
    "Bates",
    "DatRow",
    "DatTable",
    "DirectorySource",
    "FieldChoices",
    "LoadFileError",
    "LoadFileErrors",
    "MemorySource",
    "OptRow",
    "PlannedDocument",
    "PlannedPage",
    "ProductionPlan",
    "TierLike",
    "UnsafePath",
    "VolumeSource",
    "build_plan",
    "decode_strict",
    "designations_from_tiers",
    "detect_dat_encoding",
    "normalize_designation",
    "parse_bates",
    "parse_dat",
    "parse_opt",
    "volume_path",
    "write_dat",
    "write_opt",
]
