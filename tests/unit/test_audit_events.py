"""Audit events are typed values: a misspelt field fails where the event is built, an
event cannot be changed once made, and a refusal carries its event past the rollback."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.audit.events import Actor, AuditEvent, request_user_agent
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.errors import Forbidden
from gateway.runtime import Refused, Runtime

ACTOR = Actor(user_id=None, email="tester@test.example", address="test")


def _event(**fields: Any) -> AuditEvent:
    return AuditEvent(tag=Tag.MATTER_OPENED, outcome=Outcome.DENIED, actor=ACTOR, **fields)


def _entries(rt: Runtime) -> list[AuditEntry]:
    with rt.db.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_a_misspelt_field_is_refused_where_the_event_is_built():
    with pytest.raises(TypeError, match="resaon"):
        _event(resaon="not a member")
    with pytest.raises(TypeError, match="matter"):
        _event().with_(matter=1)


def test_an_event_cannot_be_changed():
    event = _event(reason="not a member", details={"n": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.reason = "something else"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        event.extra = 1  # type: ignore[attr-defined]
    changed = event.with_(reason="no such matter")
    assert (event.reason, changed.reason) == ("not a member", "no such matter")
    assert changed.tag == event.tag and changed.actor == event.actor


def test_a_refusal_is_audited_alone_after_its_transaction_is_rolled_back(rt):
    before = _entries(rt)
    refusal = _event(matter_id=None, reason="not a member", details={"asked": 7})
    with pytest.raises(Forbidden), rt.transaction() as session:
        # written inside the transaction that the refusal rolls back
        rt.audit(session, AuditEvent(tag=Tag.MATTER_CREATED, outcome=Outcome.ALLOWED, actor=ACTOR))
        raise Refused(Forbidden("not for you"), refusal)
    after = _entries(rt)
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert (entry.tag, entry.outcome, entry.reason) == (
        "matter:open",
        "denied",
        "not a member",
    )
    assert (entry.actor_email, entry.address) == (ACTOR.email, ACTOR.address)
    assert entry.at is not None  # no time of its own: the runtime's clock's
    with rt.db.session() as session:
        created = select(func.count()).where(AuditEntry.tag == str(Tag.MATTER_CREATED))
        assert session.scalar(created) == 0


def test_an_actor_of_a_request_names_its_user_agent(app):
    with app.test_request_context("/", headers={"User-Agent": "Browser/1.0 " + "x" * 300}):
        app.preprocess_request()
        actor = Actor.from_request(1, "someone@test.example", "192.0.2.1")
    assert actor.user_agent == ("Browser/1.0 " + "x" * 300)[:200]
    assert request_user_agent() == ""  # the request is over
    assert Actor.from_request(None, "x@test.example", "local").user_agent == ""
