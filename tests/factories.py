"""Test data built through the product's own services, never by raw SQL.

Every row is made by the service a user or the operator would call; ``set_document_state``
sets a state directly (re-wrapping the keys as a workflow does) for tests of how each
state is seen, independent of the workflow that leads to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from gateway.accounts import service as accounts
from gateway.audit.events import Actor
from gateway.demo import DEMO_PASSWORD
from gateway.documents.models import Document
from gateway.matters import service as matters
from gateway.matters.exhibit_a import ExhibitA
from gateway.runtime import Runtime

PLAINTIFFS = "Al Otro Lado, Inc., et al. (Plaintiffs)"
DEFENDANTS = "Chad F. Wolf, et al. (Defendants)"
OPERATOR = Actor.command_line("test-factory")


def party_id(rt: Runtime, matter_id: int, name: str) -> int:
    return matters.find_party(rt, matter_id, name).id


def add_non_party(rt: Runtime, matter_id: int, name: str = "Border Data Vendor LLC") -> int:
    return matters.add_party(rt, OPERATOR, matter_id, name=name, kind="non_party").id


def person(
    rt: Runtime,
    matter_id: int,
    email: str,
    role: str,
    *,
    party: str | None = None,
    affiliated_with: str | None = None,
    cleared_by: tuple[str, ...] = (),
    active_from: datetime | None = None,
    active_until: datetime | None = None,
    signed: bool = False,
    name: str | None = None,
) -> str:
    """A new user enrolled in the matter under one role; returns the e-mail address."""
    full_name = name or email.split("@")[0].replace(".", " ").title()
    accounts.create_user(rt, OPERATOR, email=email, full_name=full_name, password=DEMO_PASSWORD)
    enrol(
        rt,
        matter_id,
        email,
        role,
        party=party,
        affiliated_with=affiliated_with,
        cleared_by=cleared_by,
        active_from=active_from,
        active_until=active_until,
    )
    if signed:
        sign_exhibit_a(rt, matter_id, email, full_name)
    return email


def enrol(
    rt: Runtime,
    matter_id: int,
    email: str,
    role: str,
    *,
    party: str | None = None,
    affiliated_with: str | None = None,
    cleared_by: tuple[str, ...] = (),
    active_from: datetime | None = None,
    active_until: datetime | None = None,
) -> Any:
    def pid(name: str | None) -> int | None:
        return None if name is None else party_id(rt, matter_id, name)

    return matters.add_member(
        rt,
        OPERATOR,
        matter_id,
        matters.NewMember(
            email=email,
            role=role,
            party_id=pid(party),
            affiliated_with=pid(affiliated_with),
            cleared_by=tuple(party_id(rt, matter_id, n) for n in cleared_by),
            active_from=active_from,
            active_until=active_until,
        ),
    )


def sign_exhibit_a(rt: Runtime, matter_id: int, email: str, full_name: str) -> None:
    user = accounts.get_user(rt, email)
    matter = matters.list_matters(rt, user)[0][0]
    matters.sign_acknowledgment(
        rt,
        user,
        matter_id,
        ExhibitA(
            full_name=full_name,
            address="1 Test Street, San Diego, CA",
            agent_name="Test Agent",
            agent_address="2 Test Street, San Diego, CA",
            signed_city="San Diego, California",
            signed_on=matters.court_today(matter, rt.now()),
            signature=f"/s/ {full_name}",
            agree=True,
        ),
        address="test",
    )


def set_document_state(
    rt: Runtime,
    matter_id: int,
    bates: str,
    *,
    state: str | None = None,
    presented_at: datetime | None = None,
    designating_party: str | None = None,
) -> None:
    """Stands in for workflows not built yet (a ruling that withdraws, a party designating
    what a non-party produced): changes the document as such a workflow will, re-wrapping
    its keys in the same transaction."""
    from gateway.documents.content import bindings, rebind
    from gateway.matters.models import Matter

    designator = party_id(rt, matter_id, designating_party) if designating_party else None
    with rt.db.session() as session:
        doc = session.scalar(
            select(Document).where(Document.matter_id == matter_id, Document.bates_begin == bates)
        )
        assert doc is not None, f"no document {bates}"
        before = bindings(session, doc)
        if state is not None:
            doc.state = state
        if presented_at is not None:
            doc.presented_at = presented_at
        if designator is not None:
            doc.designating_party_id = designator
        matter = session.get(Matter, matter_id)
        assert matter is not None
        rebind(rt, session, matter, doc, before)


def produce(rt: Runtime, matter_id: int, party: str, folder: Any, *, volume: str = "VOL001") -> Any:
    """A volume built by ``tests.volumes.build_volume``, produced by the named party through
    the same ingest service the command line uses."""
    from gateway.documents.ingest import designation_spellings, ingest
    from gateway.ingest.plan import build_plan
    from gateway.ingest.source import DirectorySource

    plan = build_plan(
        DirectorySource(folder),
        dat_path=f"DATA/{volume}.dat",
        opt_path=f"DATA/{volume}.opt",
        designations=designation_spellings(rt),
        volume=volume,
    )
    return ingest(
        rt,
        OPERATOR,
        matter_id=matter_id,
        party_id=party_id(rt, matter_id, party),
        plan=plan,
        source=DirectorySource(folder),
    )


def rules_without_counsel_aeo() -> str:
    """The reference matter's rules with outside counsel's AEO grants left out: an order
    that keeps AEO from counsel (orders differ), for tests of a changing variant."""
    from gateway.demo import reference_rules_text

    return "\n".join(
        line
        for line in reference_rules_text().splitlines()
        if not (line.startswith("p, outside_counsel") and "AEO" in line and "allow" in line)
    )


def keep_aeo_from_counsel(
    rt: Runtime, matter_id: int, reason: str = "an order that differs"
) -> Any:
    """Give the matter that variant through the operator's own service."""
    from gateway.matters import order_policy
    from gateway.matters.order_store import tiers_text

    return order_policy.set_variant(
        rt,
        OPERATOR,
        matter_id,
        rules_text=rules_without_counsel_aeo(),
        tiers_text_=tiers_text(order_policy.describe(rt, matter_id).policy),
        reason=reason,
    )


def api_token(rt: Runtime, email: str) -> str:
    """A user's API token, issued by the service that answers POST /api/v1/auth/token."""
    return accounts.issue_token(rt, accounts.get_user(rt, email), address="test").token


# --- the order's workflows, through their services -----------------------------------------


def download(rt: Runtime, matter_id: int, email: str, bates: str) -> None:
    """The user downloads the document, as the page or the API would serve it."""
    from gateway.documents import downloads

    served = downloads.download_document(
        rt, accounts.get_user(rt, email), matter_id, bates, address="test"
    )
    b"".join(served.chunks)


def claw_back(
    rt: Runtime,
    matter_id: int,
    documents: list[str],
    *,
    by: str = "counsel@defendants.example",
    privilege: str = "law enforcement privilege",
    basis: str = "database identification codes",
) -> int:
    """A claw-back notice through the service; returns its id."""
    from gateway.orders import clawback

    view = clawback.claw_back(
        rt,
        accounts.get_user(rt, by),
        matter_id,
        documents=documents,
        privilege=privilege,
        basis=basis,
        address="test",
    )
    return view.id


def rule(
    rt: Runtime,
    matter_id: int,
    clawback_id: int,
    document: str,
    outcome: str,
    *,
    pages: list[int] | None = None,
    deadlines: list[dict[str, Any]] | None = None,
    order: dict[str, str] | None = None,
    by: str = "court@casd.example",
) -> dict[str, Any]:
    """The court's ruling on one document of a claw-back, through the service."""
    from gateway.orders import rulings

    return rulings.rule(
        rt,
        accounts.get_user(rt, by),
        matter_id,
        clawback_id,
        document=document,
        outcome=outcome,
        pages=pages,
        order=order or {"date": "2020-06-26", "docket": "463"},
        deadlines=deadlines,
        address="test",
    )
