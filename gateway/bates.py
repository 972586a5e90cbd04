"""Bates numbers: a prefix naming the producer's series, then zero-padded digits.

``AOL-DEF-00556914`` is ``("AOL-DEF-", 556914, 8)``. Numbers compare only within one
series (one prefix, one width). Prefixes are compared without regard to case wherever one
party's series must be told from another's (``aol-def-`` is ``AOL-DEF-``).
"""

from __future__ import annotations

import re
import string
from typing import NamedTuple

_BATES = re.compile(r"(?P<prefix>.*?)(?P<digits>[0-9]+)")
_PREFIX_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._- ")
MAX_DIGITS = 18
MAX_PREFIX = 80


class Bates(NamedTuple):
    prefix: str
    number: int
    width: int

    @property
    def series(self) -> tuple[str, int]:
        """Numbers are comparable only within one prefix and one zero-padded width."""
        return self.prefix, self.width

    def format(self, number: int | None = None) -> str:
        return f"{self.prefix}{(self.number if number is None else number):0{self.width}d}"


def parse_bates(text: str) -> Bates:
    """Split ``AOL-DEF-00556914`` into ``("AOL-DEF-", 556914, 8)``; ``ValueError`` if not Bates."""
    match = _BATES.fullmatch(text)
    if match is None or text != text.strip():
        raise ValueError(
            f"{text!r} is not a Bates number: a prefix followed by digits, "
            "without surrounding spaces"
        )
    prefix = match["prefix"]
    if len(match["digits"]) > MAX_DIGITS or len(prefix) > MAX_PREFIX:
        raise ValueError(
            f"{text!r} is not a Bates number the gateway can hold: at most {MAX_DIGITS} "
            f"digits after a prefix of at most {MAX_PREFIX} characters"
        )
    if not set(prefix) <= _PREFIX_CHARACTERS or "  " in prefix:
        raise ValueError(
            f"{text!r} is not a Bates number: the prefix may hold only letters, "
            "digits, '.', '_', '-' and single spaces"
        )
    return Bates(prefix, int(match["digits"]), len(match["digits"]))


def prefix_key(prefix: str) -> str:
    """The form in which two prefixes are compared: ``aol-def-`` and ``AOL-DEF-`` are one.

    Prefixes are ASCII (see :func:`parse_bates`), so this is SQL's ``lower()`` as well."""
    return prefix.lower()


def page_span(begin: Bates, end: Bates) -> int:
    """How many pages (Bates numbers) ``begin``-``end`` counts, both ends included."""
    return end.number - begin.number + 1


_RANGE_SEPARATORS = re.compile(r"\s+-\s+|\s*;\s*|\s*,\s*|\s+to\s+|\s+", re.IGNORECASE)


def split_range(text: str) -> tuple[str, str] | None:
    """``"AOL-DEF-00556914 - AOL-DEF-00556922"`` (or joined by a bare ``-``) into its two
    ends, when exactly one reading gives two Bates numbers of one series; else None."""
    text = text.strip()
    readings = set()
    for match in _RANGE_SEPARATORS.finditer(text):
        readings.add((text[: match.start()], text[match.end() :]))
    for index, char in enumerate(text):
        if char == "-":
            readings.add((text[:index], text[index + 1 :]))
    ranges = [(low, high) for low, high in readings if _one_series(low, high)]
    return ranges[0] if len(ranges) == 1 else None


def _one_series(low: str, high: str) -> bool:
    try:
        first, last = parse_bates(low), parse_bates(high)
    except ValueError:
        return False
    return first.series == last.series and first.number <= last.number
