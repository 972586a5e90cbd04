"""Where a matter's own order is kept: rules through pycasbin's SQLAlchemy adapter, tiers
beside them, one revision number per matter; and the per-process cache that every request
checks against that revision, so a change made through one worker holds on every worker at
its next request.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import casbin
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy_adapter import Adapter

from gateway.authz.policy import PolicySource, Rule, build_enforcer, parse_policy
from gateway.matters.models import CasbinRule, MatterPolicy


class MatterRuleAdapter(Adapter):  # type: ignore[misc]
    """pycasbin's SQLAlchemy adapter held to one matter's rows and to the caller's
    transaction, so that a change, its revision and its audit entry commit together."""

    def __init__(self, session: Session, matter_id: int) -> None:
        super().__init__(session.get_bind(), db_class=CasbinRule, create_table=False)
        self._session = session
        self._matter_id = matter_id

    @contextmanager
    def _session_scope(self) -> Iterator[Session]:
        yield self._session

    def load_policy(self, model: casbin.Model) -> None:
        self.load_filtered_policy(model, None)

    def filter_query(self, querydb: Any, filter: Any) -> Any:  # noqa: A002 - adapter's name
        return querydb.filter(CasbinRule.matter_id == self._matter_id).order_by(CasbinRule.id)

    def _save_policy_line(self, ptype: str, rule: Sequence[str], session: Any = None) -> None:
        if len(rule) > len(CasbinRule.VALUES):
            raise ValueError(f"a rule has at most {len(CasbinRule.VALUES)} values")
        line = CasbinRule(matter_id=self._matter_id, ptype=ptype)
        for name, value in zip(CasbinRule.VALUES, rule, strict=False):
            setattr(line, name, value)
        self._session.add(line)

    def save_policy(self, model: casbin.Model) -> bool:
        self._session.execute(delete(CasbinRule).where(CasbinRule.matter_id == self._matter_id))
        for sec in ("p", "g"):
            for ptype, assertion in model.model.get(sec, {}).items():
                for rule in assertion.policy:
                    self._save_policy_line(ptype, rule)
        self._session.flush()
        return True


def store_rules(session: Session, matter_id: int, policy: PolicySource) -> None:
    """Replace the matter's stored rules with the policy's (in the caller's transaction)."""
    model = build_enforcer(policy).get_model()
    MatterRuleAdapter(session, matter_id).save_policy(model)


def stored_rules(session: Session, matter_id: int, model_text: str) -> tuple[Rule, ...]:
    model = casbin.Model()
    model.load_model_from_text(model_text)
    MatterRuleAdapter(session, matter_id).load_policy(model)
    rules: list[Rule] = []
    for sec in ("p", "g"):
        for ptype, assertion in model.model.get(sec, {}).items():
            rules.extend((ptype, *rule) for rule in assertion.policy)
    return tuple(rules)


def rules_text(rules: Sequence[Rule]) -> str:
    return "".join(", ".join(rule) + "\n" for rule in rules)


def tiers_text(policy: PolicySource) -> str:
    """The tiers as the CSV ``parse_tiers_csv`` reads, aliases included."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "rank", "legend", "aliases"])
    for t in sorted(policy.tiers, key=lambda t: t.rank):
        writer.writerow([t.code, t.rank, t.legend, "|".join(t.aliases)])
    return buffer.getvalue()


@dataclass(frozen=True)
class OrderPolicy:
    """The rules a matter follows now: its variant, or the default (revision 0)."""

    revision: int
    policy: PolicySource
    variant: bool


def current_row(session: Session, matter_id: int) -> MatterPolicy | None:
    return session.scalar(select(MatterPolicy).where(MatterPolicy.matter_id == matter_id))


def load(session: Session, matter_id: int, default: PolicySource) -> OrderPolicy:
    """The matter's policy from the database, validated again as it is read: a stored rule
    the gateway would not accept from a file is refused here too, never ignored."""
    row = current_row(session, matter_id)
    if row is None or not row.variant:
        return OrderPolicy(row.revision if row else 0, default, False)
    rules = stored_rules(session, matter_id, default.model_text)
    policy = parse_policy(
        model_text=default.model_text,
        rules_text=rules_text(rules),
        tiers_text=row.tiers_text,
        model_source="policies/model.conf",
        rules_source=f"matter {matter_id} rules",
        tiers_source=f"matter {matter_id} tiers",
    )
    return OrderPolicy(row.revision, policy, True)


class PolicyCache:
    """Each matter's policy, reloaded whenever its revision in the database has moved."""

    def __init__(self, default: PolicySource) -> None:
        self.default = default
        self._lock = threading.Lock()
        self._by_matter: dict[int, OrderPolicy] = {}

    def for_matter(self, session: Session, matter_id: int) -> OrderPolicy:
        revision = session.scalar(
            select(MatterPolicy.revision).where(MatterPolicy.matter_id == matter_id)
        )
        revision = revision or 0
        with self._lock:
            cached = self._by_matter.get(matter_id)
        if cached is not None and cached.revision == revision:
            return cached
        loaded = load(session, matter_id, self.default)
        with self._lock:
            self._by_matter[matter_id] = loaded
        return loaded
