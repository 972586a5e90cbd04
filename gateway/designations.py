"""How a load file or an upload spells a designation, and which tier each spelling means.

Which spellings count is the protective order's business, not the parser's: each tier of
the matter (``policies/tiers.csv`` or the matter's variant) is named by its code, its legend
and the aliases the order lists. A spelling is compared after :func:`normalize_designation`
(case, typographic quotes and dashes, spacing) and nothing more: "Attorneys Eyes Only"
without the apostrophe is accepted only if the order lists it. Never a fuzzy guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Protocol

PUBLIC = "PUBLIC"


class TierLike(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def legend(self) -> str: ...


_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " "}
)


def normalize_designation(text: str) -> str:
    """Upper case, typographic quotes and dashes made plain, spacing made uniform."""
    plain = " ".join(text.translate(_QUOTES).upper().split())
    return re.sub(r"\s*-\s*", " - ", plain)


def spellings_of(tier: TierLike) -> list[str]:
    """A tier's code, legend and listed aliases (a tier without ``aliases`` has none)."""
    aliases: Iterable[str] = getattr(tier, "aliases", ())
    return [tier.code] + ([tier.legend] if tier.legend else []) + list(aliases)


def designations_from_tiers(
    tiers: Iterable[TierLike], aliases: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Accepted spellings (normalised) -> code: each tier's code, legend and aliases.

    ``ValueError`` when one spelling would name two tiers.
    """
    spellings: dict[str, str] = {}
    pairs = [(spelling, t.code) for t in tiers for spelling in spellings_of(t)]
    for spelling, code in pairs + list((aliases or {}).items()):
        add_spelling(spellings, spelling, code)
    return spellings


def add_spelling(spellings: dict[str, str], spelling: str, code: str) -> None:
    key = normalize_designation(spelling)
    if not key:
        raise ValueError(f"a blank spelling cannot name tier {code}: blank means {PUBLIC}")
    if spellings.get(key, code) != code:
        raise ValueError(f"designation {spelling!r} would mean both {spellings[key]} and {code}")
    spellings[key] = code


def lookup(spellings: Mapping[str, str], value: str) -> str | None:
    """The tier code ``value`` spells, or None; a blank value is not looked up here."""
    return spellings.get(normalize_designation(value))


def accepted(spellings: Mapping[str, str]) -> str:
    """The accepted spellings, for a refusal message."""
    return "; ".join(sorted(spellings)) or "none"


def unknown_designation(value: str, spellings: Mapping[str, str]) -> str:
    return (
        f"unknown designation {value!r}; accepted: {accepted(spellings)} (case, spacing "
        f"and dashes aside), or blank for {PUBLIC}"
    )


#: The model order's three tiers (BRIEF §7), by code and by legend, without aliases.
DEFAULT_DESIGNATIONS: Mapping[str, str] = {
    "PUBLIC": "PUBLIC",
    "CONFIDENTIAL": "CONFIDENTIAL",
    "AEO": "AEO",
    normalize_designation("HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY"): "AEO",
}

# Words that mark a field or a value as being about confidentiality under an order.
_NAME_MARKS = ("CONFID", "DESIGNAT", "PROTECTIVE", "EYESONLY", "CLASSIFICATION")
_NAME_WORDS = frozenset({"AEO", "CONF", "TIER", "LEGEND"})
_VALUE_MARKS = ("CONFIDENTIAL", "EYES ONLY", "PROTECTIVE ORDER", "RESTRICTED")
_VALUE_WORDS = frozenset({"AEO", "OCEO"})


def name_looks_like_designation(name: str) -> bool:
    """Whether a field's name suggests it gives a designation ("PROD_CONFIDENTIALITY")."""
    compact = re.sub(r"[^0-9A-Z]", "", name.upper())
    words = set(re.split(r"[^0-9A-Z]+", name.upper()))
    return any(mark in compact for mark in _NAME_MARKS) or bool(words & _NAME_WORDS)


def value_looks_like_designation(value: str, spellings: Mapping[str, str]) -> bool:
    """Whether a value reads like a designation: an accepted spelling, or words of one."""
    text = normalize_designation(value)
    if not text:
        return False
    if text in spellings and text != PUBLIC:
        return True
    words = set(re.split(r"[^0-9A-Z]+", text))
    return any(mark in text for mark in _VALUE_MARKS) or bool(words & _VALUE_WORDS)
