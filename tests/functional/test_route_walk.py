"""Every route of the OpenAPI document, as every kind of person, reveals nothing hidden.

For each person the documents they may list are what the list answers (its correctness
against the order is held by the hand-written tables elsewhere); this walk checks that no
other route, count, error body or ZIP reveals a document outside that set: neither its Bates
number nor its title. A hidden document must answer exactly as a missing one does.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest

from tests import factories
from tests.factories import DEFENDANTS, PLAINTIFFS
from tests.helpers import BASE, auth, token_for
from tests.volumes import Doc, build_volume

NON_PARTY = "Border Data Vendor LLC"
MISSING = "AOL-DEF-09999999"


@pytest.fixture
def people(rt, demo, tmp_path) -> dict[str, str]:
    """E-mail -> a label, for every role of the demo and the unusual people."""
    factories.add_non_party(rt, demo, NON_PARTY)
    factories.produce(
        rt, demo, NON_PARTY, build_volume(tmp_path, [Doc(1, 1, "AEO")], prefix="BDV-")
    )
    factories.person(rt, demo, "counsel@vendor.example", "outside_counsel", party=NON_PARTY)
    factories.person(
        rt,
        demo,
        "officer@cbp.example",
        "vendor",
        party=DEFENDANTS,
        affiliated_with=DEFENDANTS,
        signed=True,
    )
    factories.person(rt, demo, "supervisor.b@cbp.example", "vendor", party=PLAINTIFFS)
    later = rt.now() + timedelta(days=3)
    factories.person(
        rt,
        demo,
        "witness@example.org",
        "witness",
        active_from=later,
        active_until=later + timedelta(hours=4),
    )
    factories.person(rt, demo, "para@plaintiffs.example", "counsel_staff", party=PLAINTIFFS)
    # a claw-back with a certification task: Plaintiffs' counsel had downloaded Ex. 18
    from gateway.accounts import service as accounts
    from gateway.documents import downloads
    from gateway.orders import clawback

    counsel = accounts.get_user(rt, "counsel@plaintiffs.example")
    served = downloads.download_document(rt, counsel, demo, "AOL-DEF-00528691", address="t")
    b"".join(served.chunks)
    clawback.claw_back(
        rt,
        accounts.get_user(rt, "counsel@defendants.example"),
        demo,
        documents=["AOL-DEF-00528691"],
        privilege="law enforcement privilege",
        basis="a database identification code",
        address="t",
    )
    return {
        "counsel@plaintiffs.example": "receiving counsel",
        "staff@alotrolado.example": "party employee with Exhibit A",
        "expert@plaintiffs.example": "expert without Exhibit A",
        "court@casd.example": "the court",
        "counsel@defendants.example": "producing counsel",
        "auditor@audit.example": "the auditor",
        "counsel@vendor.example": "a non-party's counsel",
        "officer@cbp.example": "a Defendants employee enrolled as vendor",
        "supervisor.b@cbp.example": "an unsigned recipient of Gov't Ex. 1",
        "witness@example.org": "a witness outside the deposition window",
        "para@plaintiffs.example": "counsel's staff without Exhibit A",
    }


def _get(client, token, path, **params):
    return client.get(f"{BASE}/api/v1{path}", headers=auth(token), query_string=params)


def _listable(client, token, matter_id) -> set[str]:
    response = _get(client, token, f"/matters/{matter_id}/documents", per_page=500)
    if response.status_code != 200:
        return set()
    return {i["bates_begin"] for i in response.get_json()["items"]}


def _universe(client, matter_id) -> dict[str, str]:
    """Every document of the matter -> its title, as the court sees them."""
    court = token_for(client, "court@casd.example")
    items = _get(client, court, f"/matters/{matter_id}/documents", per_page=500).get_json()
    return {i["bates_begin"]: i.get("title", "") for i in items["items"]}


def _paths(client) -> list[tuple[str, str]]:
    spec = client.get(f"{BASE}/api/v1/openapi.json").get_json()
    return [(path, method) for path, ops in spec["paths"].items() for method in ops]


def _fill(path: str, matter_id: int, bates: str, volume: str) -> str:
    path = path.removeprefix("/api/v1")
    filled = (
        path.replace("{matter_id}", str(matter_id))
        .replace("{bates}", bates)
        .replace("{volume}", volume)
    )
    return re.sub(r"\{[a-z_]+_id\}", "1", filled)  # a claw-back's, a certification's


def _leaks(body: bytes, hidden: dict[str, str], asked: str) -> list[str]:
    text = body.decode("utf-8", "replace")
    found = [b for b in hidden if b != asked and b in text]
    found += [t for b, t in hidden.items() if t and t in text]
    if body.startswith(b"PK"):
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        found += [n for n in names if any(b in n for b in hidden)]
    return found


def test_no_route_reveals_a_document_its_caller_may_not_list(client, demo, rt, people):
    universe = _universe(client, demo)
    assert "BDV-00000001" in universe and len(universe) >= 20
    volumes = ["AOL-DEF-VOL001", "AOL-PLTF-VOL001", "VOL001", "NOPE-VOL"]
    routes = _paths(client)
    problems: list[str] = []
    for email, who in people.items():
        token = token_for(client, email)
        listable = _listable(client, token, demo)
        hidden = {b: t for b, t in universe.items() if b not in listable}
        for path, method in routes:
            if "{bates}" in path:
                cases = [(b, "AOL-DEF-VOL001") for b in [*universe, MISSING]]
            elif "{volume}" in path:
                cases = [("", v) for v in volumes]
            else:
                cases = [("", "")]
            for bates, volume in cases:
                url = f"{BASE}/api/v1{_fill(path, demo, bates, volume)}"
                if method == "get":
                    response = client.get(url, headers=auth(token))
                else:
                    response = client.post(url, headers=auth(token), json={})
                body = response.get_data()
                if "/audit" in path:
                    # the caller's own side's entries echo what its users typed, hidden or
                    # missing alike; titles never appear there
                    # (the auditor's PDF report is read as text: it names entries only)
                    text = body.decode("utf-8", "replace")
                    leaks = [t for t in hidden.values() if t and t in text]
                else:
                    leaks = _leaks(body, hidden, bates)
                if leaks:
                    problems.append(f"{who}: {method.upper()} {path} ({bates}) shows {leaks}")
                if bates in hidden and method == "get":
                    missing = client.get(url.replace(bates, MISSING), headers=auth(token))
                    if (response.status_code, body) != (missing.status_code, missing.get_data()):
                        problems.append(f"{who}: {path} tells {bates} from a missing document")
        problems += _counts(client, token, demo, who, listable, hidden)
    assert problems == []


def _counts(client, token, matter_id, who, listable, hidden) -> list[str]:
    """Totals, productions and searches count only what the caller may list."""
    problems = []
    response = _get(client, token, f"/matters/{matter_id}/documents", per_page=500)
    if response.status_code == 200 and response.get_json()["total"] != len(listable):
        problems.append(f"{who}: total counts hidden documents")
    productions = _get(client, token, f"/matters/{matter_id}/productions")
    if productions.status_code == 200:
        counted = sum(p["documents"] for p in productions.get_json()["items"])
        if counted != len(listable):
            problems.append(f"{who}: production counts {counted} != {len(listable)}")
    for bates, title in hidden.items():
        for params in ({"q": bates}, {"bates": bates}, {"q": title[:20]} if title else {}):
            if not params:
                continue
            found = _get(client, token, f"/matters/{matter_id}/documents", **params)
            if found.status_code == 200:
                items: list[Any] = found.get_json()["items"]
                shown = {i["bates_begin"] for i in items}
                if shown - listable:
                    problems.append(f"{who}: search {params} finds {shown - listable}")
    return problems


def test_the_walk_covers_every_route(client):
    covered = {re.sub(r"\{[a-z_]+\}", "{}", p) for p, _m in _paths(client)}
    assert "/api/v1/matters/{}/documents/{}/content" in covered
    assert "/api/v1/matters/{}/productions/{}/download" in covered
    assert len(covered) >= 10
