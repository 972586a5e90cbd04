"""The protective order as data: load, validate and version a policy; build Casbin enforcers.

A policy is the Casbin model text, the rules (as in the CSV, e.g. ``("p", "expert", ...)`` or
``("g", "a", "b")``) and the matter's designation tiers. Everything is read from strings and
added to Casbin programmatically, so a matter's variant stored in the database takes the same
path as the shipped default in ``policies/``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from importlib.resources.abc import Traversable

import casbin

from gateway.authz.vocabulary import (
    DOCUMENT_ACTIONS,
    MATTER_ACTIONS,
    NOT_APPLICABLE,
    WILDCARD,
    Ack,
    Action,
    Affiliation,
    Clearance,
    DefaultTier,
    Effect,
    Presented,
    Relation,
    Role,
    Standing,
    State,
)
from gateway.designations import add_spelling, spellings_of
from gateway.errors import Invalid

# The three effects the gateway uses. pycasbin accepts only a few exact effect strings
# (casbin.constant.constants), so these must be spelled exactly so.
ALLOW_AND_DENY = "some(where (p.eft == allow)) && !some(where (p.eft == deny))"
# True when at least one allow row matches (deny rows are ignored).
SOME_ALLOW = "some(where (p.eft == allow))"
# False when at least one deny row matches (allow rows are ignored).
NO_DENY = "!some(where (p.eft == deny))"

REQUEST_TOKENS = (
    "sub",
    "ack",
    "standing",
    "affiliation",
    "relation",
    "clearance",
    "designation",
    "state",
    "presented",
    "action",
)
# The columns that describe a document; matter-level actions carry "-" in each of them.
DOCUMENT_COLUMNS = ("relation", "clearance", "designation", "state", "presented")
POLICY_TOKENS = (*REQUEST_TOKENS, "eft")
_P_COLUMNS = len(POLICY_TOKENS) + 1
_G_COLUMNS = 3
_TIER_HEADER = ["code", "rank", "legend"]
_TIER_CODE = re.compile(r"[A-Z][A-Z0-9_]*\Z")

Rule = tuple[str, ...]


@dataclass(frozen=True)
class Tier:
    """One designation tier of a matter: code for the API and database, legend for the page."""

    code: str
    rank: int
    legend: str
    aliases: tuple[str, ...] = ()  # other spellings the order accepts in a load file


@dataclass(frozen=True)
class PolicySource:
    """One policy version: the model, the rules in CSV order, the matter's tiers."""

    model_text: str
    rules: tuple[Rule, ...]
    tiers: tuple[Tier, ...]

    @cached_property
    def version(self) -> str:
        """SHA-256 of a canonical form: order and duplicates of rules and tiers do not count."""
        canonical = {
            "model": "\n".join(line.rstrip() for line in self.model_text.strip().splitlines()),
            "rules": sorted(set(self.rules)),
            "tiers": sorted((t.rank, t.code, t.legend, sorted(t.aliases)) for t in self.tiers),
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def designations(self) -> tuple[str, ...]:
        """Tier codes, least strict first."""
        return tuple(t.code for t in sorted(self.tiers, key=lambda t: t.rank))

    @property
    def policy_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r[0] == "p")

    @property
    def grouping_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r[0] == "g")


def load_default_policy() -> PolicySource:
    """The default rule set shipped in the ``policies`` package (the N.D. Cal. model order)."""
    folder = _policies_folder()
    return parse_policy(
        model_text=(folder / "model.conf").read_text(encoding="utf-8"),
        rules_text=(folder / "default.csv").read_text(encoding="utf-8"),
        tiers_text=(folder / "tiers.csv").read_text(encoding="utf-8"),
        model_source="policies/model.conf",
        rules_source="policies/default.csv",
        tiers_source="policies/tiers.csv",
    )


def _policies_folder() -> Traversable:
    return resources.files("policies")


def parse_policy(
    *,
    model_text: str,
    rules_text: str,
    tiers_text: str,
    model_source: str = "model.conf",
    rules_source: str = "rules.csv",
    tiers_source: str = "tiers.csv",
) -> PolicySource:
    """Validate the three texts of a policy and return it; raises ``Invalid`` naming the file."""
    check_model_text(model_text, source_name=model_source)
    tiers = parse_tiers_csv(tiers_text, source_name=tiers_source)
    rules = parse_rules_csv(rules_text, source_name=rules_source, tiers=tiers)
    return PolicySource(model_text=model_text, rules=rules, tiers=tiers)


# --- the model --------------------------------------------------------------------------


def check_model_text(text: str, *, source_name: str) -> None:
    """Refuse a model the derivation cannot trust to mean what policies/README.md says."""
    where = _Where(source_name)
    model = _load_model(text, where)
    if tuple(_tokens(model, "r", "r")) != REQUEST_TOKENS:
        raise where.invalid(f"request_definition must be {', '.join(REQUEST_TOKENS)}")
    if tuple(_tokens(model, "p", "p")) != POLICY_TOKENS:
        raise where.invalid(f"policy_definition must be {', '.join(POLICY_TOKENS)}")
    if _assertion_value(model, "g").replace(" ", "") != "_,_":
        raise where.invalid("role_definition must be g = _, _")
    if _assertion_value(model, "e") != _escaped(ALLOW_AND_DENY):
        raise where.invalid(f"policy_effect must be {ALLOW_AND_DENY}")
    matcher = _assertion_value(model, "m")
    if "eval(" in matcher:
        raise where.invalid("the matcher must not use eval()")
    if not _is_canonical(matcher):
        raise where.invalid(
            'the matcher must be g(r.sub, p.sub) && (p.x == "*" || r.x == p.x) for each '
            "attribute x in request order (policies/model.conf)"
        )


def canonical_matcher() -> str:
    """The one matcher the derivation relies on: the role link, then each attribute compared
    with its rule value or matched by "*" (written as pycasbin stores it: ``r_x``, ``p_x``)."""
    terms = [f'(p_{t} == "*" || r_{t} == p_{t})' for t in REQUEST_TOKENS[1:]]
    return " && ".join(["g(r_sub, p_sub)", *terms])


def _is_canonical(matcher: str) -> bool:
    # Whitespace does not count; anything else does. With this matcher an attribute value no
    # rule names behaves exactly like any other such value (it only matches "*"), which lets
    # derive.py ask Casbin once for one of them and answer for all.
    return "".join(matcher.split()) == "".join(canonical_matcher().split())


def _load_model(text: str, where: _Where) -> casbin.Model:
    model = casbin.Model()
    try:
        model.load_model_from_text(text)
    except RuntimeError as error:  # how pycasbin reports a malformed model line
        raise where.invalid(str(error)) from error
    return model


def _tokens(model: casbin.Model, sec: str, key: str) -> list[str]:
    section = model[sec]
    if section is None or key not in section:
        return []
    return [token.removeprefix(f"{key}_") for token in section[key].tokens]


def _assertion_value(model: casbin.Model, sec: str) -> str:
    section = model[sec]
    if section is None or sec not in section:
        return ""
    return str(section[sec].value)


def _escaped(effect: str) -> str:
    return effect.replace("p.", "p_")


# --- where an error is -------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """A place in a policy file, for errors that name file and line."""

    source_name: str
    line: int | None = None

    def invalid(self, why: str) -> Invalid:
        place = self.source_name if self.line is None else f"{self.source_name}, line {self.line}"
        details = {"file": self.source_name, "line": self.line, "why": why}
        return Invalid(f"{place}: {why}", details=details)


def _csv_rows(text: str, source_name: str) -> Iterable[tuple[_Where, list[str]]]:
    """Non-blank, non-comment rows with their place and stripped fields."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = next(csv.reader([raw], skipinitialspace=True))
        yield _Where(source_name, number), [field.strip() for field in fields]


# --- tiers.csv ---------------------------------------------------------------------------


def parse_tiers_csv(text: str, *, source_name: str) -> tuple[Tier, ...]:
    """Parse ``code,rank,legend[,aliases]`` rows (a header first; ``#`` lines are comments).

    ``aliases`` lists, separated by ``|``, the other spellings of the tier the order accepts
    in a load file ("HIGHLY CONFIDENTIAL - AEO"); no spelling may name two tiers.
    """
    rows = list(_csv_rows(text, source_name))
    header = rows[0][1] if rows else []
    if header not in (_TIER_HEADER, [*_TIER_HEADER, "aliases"]):
        at = rows[0][0] if rows else _Where(source_name)
        raise at.invalid(f"the first row must be the header {','.join(_TIER_HEADER)}[,aliases]")
    tiers: list[Tier] = []
    spellings: dict[str, str] = {}
    for at, fields in rows[1:]:
        tier = _parse_tier(fields, len(header), tiers, at)
        for spelling in spellings_of(tier):
            try:
                add_spelling(spellings, spelling, tier.code)
            except ValueError as error:
                raise at.invalid(str(error)) from None
        tiers.append(tier)
    _check_tier_set(tiers, _Where(source_name))
    return tuple(tiers)


def _parse_tier(fields: list[str], columns: int, seen: list[Tier], at: _Where) -> Tier:
    if len(fields) == columns - 1 == len(_TIER_HEADER):
        fields = [*fields, ""]  # the aliases column may be left off a row
    if len(fields) != columns:
        names = "code, rank, legend" + (", aliases" if columns > len(_TIER_HEADER) else "")
        raise at.invalid(f"a tier has {columns} columns ({names}), found {len(fields)}")
    code, rank_text, legend = fields[:3]
    aliases = tuple(a.strip() for a in fields[3].split("|")) if columns > 3 and fields[3] else ()
    if any(not alias for alias in aliases):
        raise at.invalid(f"an alias of {code} is blank (aliases are separated by |)")
    if not _TIER_CODE.match(code):
        raise at.invalid(f"tier code {code!r} must be upper case letters, digits, _")
    if not rank_text.isdigit():
        raise at.invalid(f"rank {rank_text!r} of {code} must be a whole number >= 0")
    rank = int(rank_text)
    for other in seen:
        if other.code == code:
            raise at.invalid(f"tier {code} is defined twice")
        if other.rank == rank:
            raise at.invalid(f"rank {rank} of {code} is also {other.code}'s")
    return Tier(code=code, rank=rank, legend=legend, aliases=aliases)


def _check_tier_set(tiers: Sequence[Tier], at: _Where) -> None:
    # A blank designation in a load file means PUBLIC, so every matter needs it, least strict.
    public = [t for t in tiers if t.code == DefaultTier.PUBLIC]
    if not public:
        raise at.invalid("the tiers must include PUBLIC")
    if any(t.rank < public[0].rank for t in tiers):
        raise at.invalid("PUBLIC must have the lowest rank")


# --- rules CSV ---------------------------------------------------------------------------


def parse_rules_csv(
    text: str, *, source_name: str, tiers: Iterable[Tier] | None = None
) -> tuple[Rule, ...]:
    """Parse Casbin rule rows (``p, ...`` and ``g, ...``), checking every value.

    ``tiers`` gives the designations a rule may name; by default the three default tiers.
    """
    designations = {str(t) for t in DefaultTier} if tiers is None else {t.code for t in tiers}
    rules: list[Rule] = []
    seen: dict[Rule, int | None] = {}
    parents: dict[str, set[str]] = {}
    for at, fields in _csv_rows(text, source_name):
        rule = _parse_rule(fields, designations, at)
        if rule in seen:
            raise at.invalid(f"duplicate of line {seen[rule]}")
        if rule[0] == "g":
            _add_inheritance(parents, rule[1], rule[2], at)
        seen[rule] = at.line
        rules.append(rule)
    return tuple(rules)


def _parse_rule(fields: list[str], designations: set[str], at: _Where) -> Rule:
    kind = fields[0]
    if kind == "p":
        names = ", ".join(("role", *REQUEST_TOKENS[1:], "effect"))
        _check_count(fields, _P_COLUMNS, names, at)
        _check_p_values(fields[1:], designations, at)
    elif kind == "g":
        _check_count(fields, _G_COLUMNS, "role, inherited role", at)
        for value in fields[1:]:
            _check_value("role", value, Role, at)
        if fields[1] == fields[2]:
            raise at.invalid(f"role {fields[1]} cannot inherit from itself")
    else:
        raise at.invalid(f"unknown rule type {kind!r} (expected p or g)")
    return tuple(fields)


def _check_count(fields: list[str], expected: int, names: str, at: _Where) -> None:
    if len(fields) != expected:
        kind = fields[0]
        raise at.invalid(
            f"a {kind} rule has {expected} columns ({kind}, {names}), found {len(fields)}"
        )


def _check_p_values(values: list[str], designations: set[str], at: _Where) -> None:
    role, ack, standing, affiliation, *document, action, effect = values
    relation, clearance, designation, state, presented = document
    # The matcher compares the role through g() only, so "*" there would match nobody.
    _check_value("role", role, Role, at)
    _check_value("ack", ack, Ack, at, wildcard=True)
    _check_value("standing", standing, Standing, at, wildcard=True)
    _check_value("affiliation", affiliation, Affiliation, at, wildcard=True)
    _check_value("relation", relation, Relation, at, wildcard=True, matter=True)
    _check_value("clearance", clearance, Clearance, at, wildcard=True, matter=True)
    _check_value("designation", designation, designations, at, wildcard=True, matter=True)
    _check_value("state", state, State, at, wildcard=True, matter=True)
    _check_value("presented", presented, Presented, at, wildcard=True, matter=True)
    _check_value("action", action, Action, at, wildcard=True)
    if effect not in set(Effect):
        raise at.invalid(f"bad effect {effect!r} (expected allow or deny)")
    _check_scope(action, tuple(document), at)


def _check_value(
    column: str,
    value: str,
    allowed: Iterable[str],
    at: _Where,
    *,
    wildcard: bool = False,
    matter: bool = False,
) -> None:
    choices = {str(v) for v in allowed}
    if wildcard:
        choices.add(WILDCARD)
    if matter:
        choices.add(NOT_APPLICABLE)
    if value not in choices:
        raise at.invalid(
            f"unknown {column} {value!r} (expected one of {', '.join(sorted(choices))})"
        )


def _check_scope(action: str, document: tuple[str, ...], at: _Where) -> None:
    # A row that can never match any request is a typo, not a rule.
    if action in DOCUMENT_ACTIONS and NOT_APPLICABLE in document:
        raise at.invalid(f"{action} concerns a document: '-' never matches it")
    if action in MATTER_ACTIONS and any(v not in (WILDCARD, NOT_APPLICABLE) for v in document):
        raise at.invalid(
            f"{action} is a matter-level action: {', '.join(DOCUMENT_COLUMNS)} must be '-'"
        )


def _add_inheritance(parents: dict[str, set[str]], role: str, inherited: str, at: _Where) -> None:
    if role in _ancestors(parents, inherited):
        raise at.invalid(f"{role} -> {inherited} closes a cycle of inheritance")
    parents.setdefault(role, set()).add(inherited)


def _ancestors(parents: dict[str, set[str]], role: str) -> set[str]:
    found: set[str] = set()
    todo = [role]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(parents.get(current, ()))
    return found


# --- Casbin ------------------------------------------------------------------------------


def build_enforcer(policy: PolicySource, *, effect: str | None = None) -> casbin.Enforcer:
    """A Casbin enforcer over the policy's model and rules, built from strings (no files).

    ``effect`` replaces the model's policy effect; pycasbin accepts only its own exact
    strings, e.g. ``SOME_ALLOW`` or ``NO_DENY`` above.
    """
    model = casbin.Model()
    model.load_model_from_text(policy.model_text)
    if effect is not None:
        model.add_def("e", "e", effect)
    enforcer = casbin.Enforcer(model)
    _add_rules(enforcer, "p", policy.policy_rules)
    _add_rules(enforcer, "g", policy.grouping_rules)
    return enforcer


def _add_rules(enforcer: casbin.Enforcer, kind: str, rules: Iterable[Rule]) -> None:
    # pycasbin refuses a whole batch when one rule already exists, so duplicates go first.
    unique = [list(rule[1:]) for rule in dict.fromkeys(rules)]
    if not unique:
        return
    if kind == "p":
        added = enforcer.add_policies(unique)
    else:
        added = enforcer.add_grouping_policies(unique)
    if not added:
        raise Invalid(f"Casbin refused the {kind} rules")
