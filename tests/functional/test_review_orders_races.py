"""Two workers at once (PostgreSQL: run with GATEWAY_TEST_DATABASE_URL set)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from gateway.accounts import service as accounts
from gateway.audit.events import Actor
from gateway.documents.models import Document
from gateway.orders import clawback as clawback_mod
from gateway.orders import rulings
from gateway.orders.models import ClawbackItem
from tests.conftest import PG_URL
from tests.helpers import api_get, token_for

pytestmark = pytest.mark.skipif(not PG_URL, reason="a race between workers needs PostgreSQL")

EX18 = "AOL-DEF-00528691"
ORDER = {"date": "2020-06-26", "docket": "463"}


def _both(monkeypatch, module, name, *calls):
    """Run the calls in two threads, holding both at ``module.name`` until each got there
    (that is, after the checks that should make the second one fail)."""
    barrier = threading.Barrier(len(calls), timeout=10)
    real = getattr(module, name)

    def held(*a: Any, **k: Any) -> Any:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return real(*a, **k)

    monkeypatch.setattr(module, name, held)
    results: list[Any] = [None] * len(calls)

    def run(i, call):
        try:
            results[i] = ("ok", call())
        except Exception as exc:  # noqa: BLE001
            results[i] = ("error", repr(exc))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_rulings_on_one_document_at_once(rt, demo, monkeypatch, client):
    defendants = accounts.get_user(rt, "counsel@defendants.example")
    court = accounts.get_user(rt, "court@casd.example")
    view = clawback_mod.claw_back(
        rt, defendants, demo, documents=[EX18], privilege="le", basis="code", address="t"
    )
    results = _both(
        monkeypatch,
        rulings,
        "_order_date",
        lambda: rulings.rule(
            rt,
            court,
            demo,
            view.id,
            document=EX18,
            outcome="granted_in_part",
            pages=[13],
            order=ORDER,
            deadlines=None,
            address="t",
        ),
        lambda: rulings.record_ruling(
            rt,
            Actor.command_line("operator"),
            demo,
            view.id,
            document=EX18,
            outcome="denied",
            pages=None,
            order=ORDER,
            deadlines=None,
        ),
    )
    with rt.db.session() as s:
        doc = s.scalar(select(Document).where(Document.bates_begin == EX18))
        s.scalar(select(ClawbackItem).where(ClawbackItem.document_id == doc.id))
    counsel = token_for(client, "counsel@plaintiffs.example")
    got = api_get(client, counsel, f"/matters/{demo}/documents/{EX18}/content")
    got.get_data()
    assert [r[0] for r in results].count("ok") == 1, "both rulings were recorded"


def test_two_clawbacks_of_one_document_at_once(rt, demo, monkeypatch, client):
    defendants = accounts.get_user(rt, "counsel@defendants.example")
    results = _both(
        monkeypatch,
        clawback_mod,
        "public_records",
        lambda: clawback_mod.claw_back(
            rt, defendants, demo, documents=[EX18], privilege="a", basis="first", address="t"
        ),
        lambda: clawback_mod.claw_back(
            rt, defendants, demo, documents=[EX18], privilege="b", basis="second", address="t"
        ),
    )
    with rt.db.session() as s:
        items = s.scalars(select(ClawbackItem)).all()
    # the court denies the first claim; the second is still pending, yet the document is open
    court = accounts.get_user(rt, "court@casd.example")
    rulings.rule(
        rt,
        court,
        demo,
        items[0].clawback_id,
        document=EX18,
        outcome="denied",
        pages=None,
        order=ORDER,
        deadlines=None,
        address="t",
    )
    counsel = token_for(client, "counsel@plaintiffs.example")
    got = api_get(client, counsel, f"/matters/{demo}/documents/{EX18}/content")
    got.get_data()
    assert [r[0] for r in results].count("ok") == 1, "two claw-backs of one document"


def test_two_privilege_redacted_versions_at_once(rt, demo, monkeypatch, client):
    """Held: supply_version locks the document row before checking (FOR UPDATE)."""

    from gateway.orders import versions
    from tests.helpers import pdf_bytes

    defendants = accounts.get_user(rt, "counsel@defendants.example")
    court = accounts.get_user(rt, "court@casd.example")
    view = clawback_mod.claw_back(
        rt, defendants, demo, documents=[EX18], privilege="le", basis="code", address="t"
    )
    rulings.rule(
        rt,
        court,
        demo,
        view.id,
        document=EX18,
        outcome="granted_in_part",
        pages=[13],
        order=ORDER,
        deadlines=None,
        address="t",
    )

    class Up:
        fields = {"kind": "privilege_redacted", "designation": "AEO"}

        def chunks(self):
            yield pdf_bytes(17)

    results = _both(
        monkeypatch,
        versions,
        "_check_pages",
        lambda: versions.supply_version(rt, defendants, demo, EX18, Up(), address="t"),
        lambda: versions.supply_version(rt, defendants, demo, EX18, Up(), address="t"),
    )
    assert [r[0] for r in results].count("ok") == 1
    assert len(list(rt.blobs.store.iter_keys())) == 19 + 2 + 1  # demo files + the one version


def test_racing_rulings_leave_keys_that_match_the_state(rt, demo, monkeypatch, client):
    """The court records `granted` while the operator records `denied` for the same
    document at the same moment: one wins, the other is refused, and the keys are bound to
    the state the winner left (the producing party still opens the document)."""
    from gateway.documents import content

    defendants = accounts.get_user(rt, "counsel@defendants.example")
    court = accounts.get_user(rt, "court@casd.example")
    view = clawback_mod.claw_back(
        rt, defendants, demo, documents=[EX18], privilege="le", basis="code", address="t"
    )
    first_done = threading.Event()
    real_rebind = rulings.rebind

    def late_rebind(*a: Any, **k: Any) -> Any:
        if threading.current_thread().name == "second":
            first_done.wait(10)
        return real_rebind(*a, **k)

    monkeypatch.setattr(rulings, "rebind", late_rebind)
    results: dict[str, Any] = {}

    def first() -> None:
        try:
            results["first"] = rulings.rule(
                rt,
                court,
                demo,
                view.id,
                document=EX18,
                outcome="granted",
                pages=None,
                order=ORDER,
                deadlines=None,
                address="t",
            )
        except Exception as exc:  # noqa: BLE001
            results["first"] = repr(exc)
        first_done.set()

    def second() -> None:
        try:
            results["second"] = rulings.record_ruling(
                rt,
                Actor.command_line("operator"),
                demo,
                view.id,
                document=EX18,
                outcome="denied",
                pages=None,
                order=ORDER,
                deadlines=None,
            )
        except Exception as exc:  # noqa: BLE001
            results["second"] = repr(exc)

    threads = [
        threading.Thread(target=first, name="first"),
        threading.Thread(target=second, name="second"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # one ruling holds the document's row; the other waits for it and is then refused
    won = [r for r in results.values() if isinstance(r, dict)]
    assert len(won) == 1, results
    with rt.db.session() as s:
        state = s.scalar(select(Document.state).where(Document.bates_begin == EX18))
    assert state == won[0]["state"]
    opens = {"counsel@defendants.example": 200}
    opens["counsel@plaintiffs.example"] = 200 if won[0]["outcome"] == "denied" else 403
    for who, expected in opens.items():
        token = token_for(client, who)
        try:
            got = api_get(client, token, f"/matters/{demo}/documents/{EX18}/content")
            got.get_data()
            status = got.status_code
        except content.StoredContentFailed:
            status = 500
        assert status == expected, f"{who}: {status}, the keys must match the state"
