"""Listing a big matter: the SQL filter against a per-document Casbin loop.

Builds a matter of 20,000 documents (rows only, no files) and 2,000 members in a temporary
SQLite database, then times, in the same process:

- the gateway's path: one page of a party employee's list (grants derived once, one query);
- the baseline: loading every document and asking ``casbin.Enforcer.enforce`` for each;
- adding one more member to the matter and listing again (must not stall).

Ends with one ``RESULT`` line: how many times faster the gateway's list is than the baseline.
Run: .venv/bin/python bench/list_documents.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

from gateway.accounts.models import User
from gateway.audit.events import Actor
from gateway.authz.policy import build_enforcer
from gateway.config import load_settings
from gateway.documents import service as documents
from gateway.documents.models import Document, Production
from gateway.keyring import init_keys
from gateway.matters import service as matters
from gateway.matters.models import Membership
from gateway.runtime import Runtime

DOCUMENTS = 20_000
MEMBERS = 2_000
DESIGNATIONS = ("PUBLIC", "CONFIDENTIAL", "AEO")


def build(root: Path) -> tuple[Runtime, int, User, int]:
    init_keys(root / "keys")
    settings = load_settings(
        {
            "INSTANCE_PATH": str(root / "instance"),
            "KEYS_PATH": str(root / "keys"),
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 8192,
            "ARGON2_PARALLELISM": 1,
        },
        environ={},
    )
    rt = Runtime(settings)
    rt.db.create_all()
    op = Actor.command_line()
    matter = matters.create_matter(
        rt,
        op,
        caption="Big v. Matter",
        case_number="1:99-cv-1",
        court="Court",
        court_timezone="UTC",
        order_title="Order",
        order_date=date(2020, 1, 1),
        order_docket="1",
        forum_state="X",
    )
    producer = matters.add_party(rt, op, matter.id, name="Producer", kind="defendant")
    receiver = matters.add_party(rt, op, matter.id, name="Receiver", kind="plaintiff")
    now = datetime.now(UTC)
    with rt.db.session() as session:
        users = [
            {
                "email": f"user{i}@bench.example",
                "full_name": f"User {i}",
                "password_hash": "x",
                "is_operator": False,
                "disabled": False,
                "created_at": now,
            }
            for i in range(MEMBERS)
        ]
        session.execute(insert(User), users)
        ids = session.scalars(select(User.id).order_by(User.id)).all()
        session.execute(
            insert(Membership),
            [
                {
                    "matter_id": matter.id,
                    "user_id": uid,
                    "party_id": receiver.id,
                    "role": "party_employee" if n % 2 else "outside_counsel",
                    "created_at": now,
                }
                for n, uid in enumerate(ids)
            ],
        )
        production = Production(
            matter_id=matter.id,
            producing_party_id=producer.id,
            volume="VOL",
            produced_at=now,
            document_count=DOCUMENTS,
            page_count=DOCUMENTS,
        )
        session.add(production)
        session.flush()
        session.execute(
            insert(Document),
            [
                {
                    "uid": f"{n:032x}",
                    "matter_id": matter.id,
                    "production_id": production.id,
                    "producing_party_id": producer.id,
                    "designating_party_id": producer.id,
                    "bates_begin": f"B-{n:08d}",
                    "bates_end": f"B-{n:08d}",
                    "bates_prefix": "B-",
                    "bates_begin_no": n,
                    "bates_end_no": n,
                    "page_count": 1,
                    "family_id": f"f{n}",
                    "custodian": "C",
                    "title": f"Doc {n}",
                    "file_name": "",
                    "doc_date": "",
                    "designation": DESIGNATIONS[n % 3],
                    "state": "produced",
                    "extra": {},
                    "created_at": now,
                }
                for n in range(DOCUMENTS)
            ],
        )
        employee = session.scalar(select(User).where(User.id == ids[1]))
    assert employee is not None

    with rt.db.session() as session:
        from gateway.matters.models import Acknowledgment

        session.add(
            Acknowledgment(
                matter_id=matter.id,
                user_id=employee.id,
                full_name="User 1",
                address="a",
                agent_name="a",
                agent_address="a",
                signed_city="a",
                signed_on=date(2020, 1, 1),
                signature="User 1",
                text="t",
                text_sha256="0" * 64,
                signed_at=now,
                signed_from="bench",
            )
        )
    return rt, matter.id, employee, receiver.id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt, matter_id, employee, receiver_id = build(Path(tmp))
        query = documents.DocumentQuery(per_page=50)
        documents.list_documents(rt, employee, matter_id, query, address="bench")  # warm
        runs = 20
        start = time.perf_counter()
        for _ in range(runs):
            page = documents.list_documents(rt, employee, matter_id, query, address="bench")
        ours = (time.perf_counter() - start) / runs
        enforcer = build_enforcer(rt.policy)
        start = time.perf_counter()
        with rt.db.session() as session:
            rows = session.execute(select(Document.designation, Document.state)).all()
        visible = sum(
            enforcer.enforce(
                "party_employee",
                "signed",
                "party",
                "unaffiliated",
                "other",
                "not_cleared",
                d,
                s,
                "not_presented",
                "document:list",
            )
            for d, s in rows
        )
        naive = time.perf_counter() - start
        assert visible == page.total, (visible, page.total)
        start = time.perf_counter()
        from gateway.accounts import service as accounts

        accounts.create_user(
            rt,
            Actor.command_line(),
            email="late@bench.example",
            full_name="Late Joiner",
            password="a-long-password-1",
        )
        matters.add_member(
            rt,
            Actor.command_line(),
            matter_id,
            matters.NewMember(
                email="late@bench.example", role="outside_counsel", party_id=receiver_id
            ),
        )
        late = accounts.get_user(rt, "late@bench.example")
        documents.list_documents(rt, late, matter_id, query, address="bench")
        join = time.perf_counter() - start
        rt.close()
    print(f"documents={DOCUMENTS} members={MEMBERS} visible_to_employee={page.total}")
    print(f"gateway list page: {ours * 1000:.1f} ms; naive enforce over all: {naive * 1000:.0f} ms")
    print(f"add a member to the matter and list: {join * 1000:.0f} ms")
    print(
        f"RESULT ratio={naive / ours:.1f} ours_ms={ours * 1000:.1f} naive_ms={naive * 1000:.0f} "
        f"join_ms={join * 1000:.0f}"
    )


if __name__ == "__main__":
    main()
