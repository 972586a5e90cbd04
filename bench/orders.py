"""A claw-back and re-designations of 1,000 documents in a 100,000-document matter.

Builds, in a temporary instance (SQLite by default; PostgreSQL when
``GATEWAY_BENCH_DATABASE_URL`` names an empty database), a matter of 100,000 documents, each
with an original version of three encrypted files' rows (two page images and the text; the
data keys are real and wrapped as ingest wraps them, the blobs themselves are not written:
neither workflow reads them) and an audit trail of 100,000 views and downloads spread over
the receiving side's users (the side's Merkle log, as appends make it). Rows are
bulk-inserted; what is timed is the product's own services only. Then, in the same process:

- the baseline: 1,000 plain updates of document rows in one transaction (ORM);
- ``claw_back`` naming 1,000 documents, end to end: sequestering, re-wrapping every data
  key, finding the pre-notice downloads in the audit, the certification task, the notices
  and the audit entries;
- 1,000 calls of ``redesignate`` (CONFIDENTIAL -> AEO), one document per call, as the
  per-document route offers it: total and per call;
- ``redesignate_many`` of another 1,000 documents (CONFIDENTIAL -> AEO) in one call, as the
  bulk route (``POST /matters/<id>/designations``) offers it;
- "every worker within one request": a second Runtime on the same database, warmed by a
  request before the changes, and a third one started after them, each list the affected
  range as a receiving party's employee; the first request of each must show the claw-back's
  documents as sequestered slips and none of the re-designated ones (the program exits
  non-zero otherwise).

Ends with one ``RESULT`` line: the claw-back's cost as a ratio of the baseline's, and the
bulk re-designation's.

Run: .venv/bin/python bench/orders.py [--small]
     GATEWAY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench_orders \\
         .venv/bin/python bench/orders.py
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, inspect, select, update

from gateway.accounts import service as accounts
from gateway.accounts.models import User
from gateway.audit.encoding import canonical_json
from gateway.audit.events import Actor
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.cli import init_instance
from gateway.config import load_settings
from gateway.crypto.keys import generate_key, wrap_key
from gateway.documents import service as documents
from gateway.documents.content import Binding, Place, _key_context
from gateway.documents.models import Document, DocumentFile, DocumentVersion, Production
from gateway.matters import service as matters
from gateway.matters.exhibit_a import ExhibitA
from gateway.matters.models import Matter
from gateway.orders import clawback as clawback_module
from gateway.orders import redesignate as redesignate_module
from gateway.orders.clawback import claw_back
from gateway.orders.models import Certification, CertificationCopy, Notice
from gateway.orders.redesignate import redesignate, redesignate_many
from gateway.runtime import Runtime

OPERATOR = Actor.command_line("bench")
PASSWORD = "a-long-bench-password-1"
PREFIX = "BEN-"
DESIGNATIONS = ("PUBLIC", "CONFIDENTIAL", "AEO")
PAGES = 2  # two page images and the extracted text per document: three keys to re-wrap
BATCH = 5_000


@dataclass(frozen=True)
class Sizes:
    documents: int
    changed: int  # documents named by the claw-back, re-designated one by one, and at once
    audit: int  # views and downloads already in the trail
    counsel: int  # receiving outside counsel (each gets the claw-back notice)
    employees: int  # receiving party employees with Exhibit A signed


FULL = Sizes(documents=100_000, changed=1_000, audit=100_000, counsel=3, employees=20)
SMALL = Sizes(documents=10_000, changed=100, audit=10_000, counsel=3, employees=5)


@dataclass
class Matterset:
    rt: Runtime
    settings: dict[str, Any]
    matter_id: int
    producer_counsel: User
    employee: User
    clawed: list[str]  # Bates numbers
    redesignated: list[str]
    bulk: list[str]  # re-designated in one call
    baseline_ids: list[int]
    pre_notice_downloads: int  # receiving-side downloads of the claw-back's documents


def bates(n: int) -> str:
    return f"{PREFIX}{n:08d}"


def settings_for(root: Path, url: str | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "INSTANCE_PATH": str(root / "instance"),
        "KEYS_PATH": str(root / "keys"),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 8192,
        "ARGON2_PARALLELISM": 1,
    }
    if url:
        overrides["DATABASE_URL"] = url
    return load_settings(overrides, environ={})


def person(rt: Runtime, matter_id: int, email: str, role: str, party_id: int) -> User:
    """A user enrolled and signed through the product's own services."""
    full_name = email.split("@")[0].replace(".", " ").title()
    accounts.create_user(rt, OPERATOR, email=email, full_name=full_name, password=PASSWORD)
    matters.add_member(
        rt, OPERATOR, matter_id, matters.NewMember(email=email, role=role, party_id=party_id)
    )
    user = accounts.get_user(rt, email)
    matter = matters.list_matters(rt, user)[0][0]
    matters.sign_acknowledgment(
        rt,
        user,
        matter_id,
        ExhibitA(
            full_name=full_name,
            address="1 Bench Street, San Diego, CA",
            agent_name="Bench Agent",
            agent_address="2 Bench Street, San Diego, CA",
            signed_city="San Diego, California",
            signed_on=matters.court_today(matter, rt.now()),
            signature=f"/s/ {full_name}",
            agree=True,
        ),
        address="bench",
    )
    return user


def designation_of(n: int, changed: range) -> str:
    # what changes is CONFIDENTIAL: a party's employee lists it before and after a claw-back,
    # and loses it when it becomes AEO
    return "CONFIDENTIAL" if n in changed else DESIGNATIONS[n % 3]


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def insert_documents(
    rt: Runtime, matter: Matter, producer_id: int, sizes: Sizes, changed: range
) -> None:
    """Documents, their original versions and files, with data keys wrapped as ingest
    wraps them (bound to the file's place and the document's access attributes)."""
    now = rt.now()
    mkey = matters.matter_key(rt, matter)
    with rt.db.session() as session:
        production = Production(
            matter_id=matter.id,
            producing_party_id=producer_id,
            volume="BEN001",
            produced_at=now,
            document_count=sizes.documents,
            page_count=sizes.documents * PAGES,
        )
        session.add(production)
        session.flush()
        for start in range(0, sizes.documents, BATCH):
            numbers = range(start, min(start + BATCH, sizes.documents))
            doc_rows = [_document_row(matter, production, producer_id, n, changed) for n in numbers]
            session.execute(insert(Document), doc_rows)
            ids = dict(
                session.execute(
                    select(Document.uid, Document.id).where(
                        Document.uid.in_([r["uid"] for r in doc_rows])
                    )
                ).all()
            )
            version_rows = [
                {"uid": f"v{r['uid'][1:]}", "document_id": ids[r["uid"]], "kind": "original"}
                | {"created_at": now}
                for r in doc_rows
            ]
            session.execute(insert(DocumentVersion), version_rows)
            versions = dict(
                session.execute(
                    select(DocumentVersion.document_id, DocumentVersion.id).where(
                        DocumentVersion.document_id.in_(ids.values())
                    )
                ).all()
            )
            session.execute(
                update(Document),
                [{"id": d, "current_version_id": v} for d, v in versions.items()],
            )
            file_rows = []
            for r, vrow in zip(doc_rows, version_rows, strict=True):
                binding = Binding.new(r["designation"], producer_id)
                file_rows += _file_rows(matter, mkey, r, vrow, versions[ids[r["uid"]]], binding)
            session.execute(insert(DocumentFile), file_rows)


def _document_row(
    matter: Matter, production: Production, producer_id: int, n: int, changed: range
) -> dict[str, Any]:
    return {
        "uid": f"d{n:031x}",
        "matter_id": matter.id,
        "production_id": production.id,
        "producing_party_id": producer_id,
        "designating_party_id": producer_id,
        "bates_begin": bates(n * PAGES),
        "bates_end": bates(n * PAGES + PAGES - 1),
        "bates_prefix": PREFIX,
        "bates_begin_no": n * PAGES,
        "bates_end_no": n * PAGES + PAGES - 1,
        "page_count": PAGES,
        "family_id": f"f{n // 4}",
        "custodian": f"Custodian {n % 50}",
        "title": f"Document {n}",
        "file_name": f"doc{n}.pdf",
        "doc_date": "2018-01-01",
        "designation": designation_of(n, changed),
        "state": "produced",
        "extra": {},
        "created_at": production.produced_at,
    }


def _file_rows(
    matter: Matter,
    mkey: bytes,
    doc: dict[str, Any],
    version: dict[str, Any],
    version_id: int,
    binding: Binding,
) -> list[dict[str, Any]]:
    rows = []
    for role, page in [("image", p) for p in range(1, PAGES + 1)] + [("text", None)]:
        blob_key = f"m/{matter.uid}/{doc['uid']}{role[0]}{page or 0}"
        place = Place(doc["uid"], version["uid"], role, page)
        context = _key_context(matter, place, blob_key, binding)
        rows.append(
            {
                "version_id": version_id,
                "role": role,
                "page_no": page,
                "file_name": f"{doc['bates_begin']}-{page}.tif" if page else "text.txt",
                "media_type": "image/tiff" if page else "text/plain",
                "blob_key": blob_key,
                "wrapped_data_key": wrap_key(mkey, generate_key(), context=context),
                "plaintext_size": 1000,
                "ciphertext_size": 1100,
                "sha256": "0" * 64,
                "crc32": 0,
                "key_binding": 1,
            }
        )
    return rows


def seed_audit(
    rt: Runtime,
    matter_id: int,
    side_party_id: int,
    readers: list[User],
    sizes: Sizes,
    clawed_ids: set[int],
) -> int:
    """Views and downloads by the receiving side, in the side's log as ``record`` puts
    them; returns how many downloads name a document of the claw-back."""
    rng = random.Random(8)  # noqa: S311 - test data, not secrets
    at = rt.now() - timedelta(days=1)
    with rt.db.session() as session:
        docs = session.execute(
            select(Document.id, Document.bates_begin, Document.designation)
            .where(Document.matter_id == matter_id)
            .order_by(Document.id)
        ).all()
        index = {row[0]: row for row in docs}
        forced = sorted(clawed_ids)[::3]  # a third of the claw-back downloaded before it
        entries, clawed_downloads = [], 0
        for i in range(sizes.audit):
            doc_id, doc_bates, designation = docs[rng.randrange(len(docs))]
            if i < len(forced):
                doc_id, doc_bates, designation = index[forced[i]]
            reader = readers[rng.randrange(len(readers))] if designation != "AEO" else readers[0]
            download = i < len(forced) or rng.random() < 0.3
            tag = Tag.DOCUMENT_DOWNLOAD if download else Tag.DOCUMENT_VIEW
            if download and doc_id in clawed_ids:
                clawed_downloads += 1
            entries.append(
                AuditEntry(
                    at=at + timedelta(milliseconds=i),
                    tag=str(tag),
                    outcome=str(Outcome.ALLOWED),
                    reason="" if download else "metadata",
                    rule="",
                    actor_user_id=reader.id,
                    actor_email=reader.email,
                    side_party_id=side_party_id,
                    matter_id=matter_id,
                    document_id=doc_id,
                    bates=doc_bates,
                    address="bench",
                    user_agent="",
                    details=canonical_json({"files": []} if download else {}),
                )
            )
        # placed in the side's log as ``record`` places them, a batch at a time
        for start in range(0, len(entries), 5000):
            rt.audit_log.append(session, entries[start : start + 5000], rt.now())
    return clawed_downloads


def build(root: Path, url: str | None, sizes: Sizes) -> Matterset:
    settings = settings_for(root, url)
    init_instance(settings, say=lambda *_: None)
    rt = Runtime(settings)
    matter = matters.create_matter(
        rt,
        OPERATOR,
        caption="Bench v. Orders",
        case_number="3:99-cv-1",
        court="Southern District of California",
        court_timezone="America/Los_Angeles",
        order_title="Stipulated Protective Order",
        order_date=date(2020, 1, 1),
        order_docket="1",
        forum_state="California",
        court_id="casd",
    )
    producer = matters.add_party(rt, OPERATOR, matter.id, name="Producer", kind="defendant")
    receiver = matters.add_party(rt, OPERATOR, matter.id, name="Receiver", kind="plaintiff")
    producer_counsel = person(
        rt, matter.id, "prod.counsel@bench.example", "outside_counsel", producer.id
    )
    counsel = [
        person(rt, matter.id, f"recv.counsel{i}@bench.example", "outside_counsel", receiver.id)
        for i in range(sizes.counsel)
    ]
    employees = [
        person(rt, matter.id, f"recv.employee{i}@bench.example", "party_employee", receiver.id)
        for i in range(sizes.employees)
    ]
    middle = sizes.documents // 2
    changed = range(middle, middle + 3 * sizes.changed)
    insert_documents(rt, matter, producer.id, sizes, changed)
    clawed = [bates(n * PAGES) for n in changed[: sizes.changed]]
    redesignated = [bates(n * PAGES) for n in changed[sizes.changed : 2 * sizes.changed]]
    bulk = [bates(n * PAGES) for n in changed[2 * sizes.changed :]]
    with rt.db.session() as session:
        clawed_ids = set(
            session.scalars(select(Document.id).where(Document.bates_begin.in_(clawed)))
        )
        low = middle + 3 * sizes.changed + 10
        baseline_ids = list(
            session.scalars(
                select(Document.id)
                .where(Document.matter_id == matter.id, Document.bates_begin_no >= low * PAGES)
                .order_by(Document.id)
                .limit(sizes.changed)
            )
        )
    # counsel first: the AEO views and downloads are theirs
    downloads = seed_audit(rt, matter.id, receiver.id, counsel + employees, sizes, clawed_ids)
    analyze(rt)
    return Matterset(
        rt,
        settings,
        matter.id,
        producer_counsel,
        employees[0],
        clawed,
        redesignated,
        bulk,
        baseline_ids,
        downloads,
    )


def analyze(rt: Runtime) -> None:
    """Table statistics, as a database in use has them: PostgreSQL plans the bulk-inserted
    tables blind until autovacuum gets to them (SQLite plans without statistics anyway)."""
    if rt.db.is_sqlite:
        return
    with rt.db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")


def baseline(m: Matterset) -> float:
    """1,000 plain updates of document rows in one transaction."""
    start = time.perf_counter()
    with m.rt.db.session() as session:
        for doc in session.scalars(select(Document).where(Document.id.in_(m.baseline_ids))):
            doc.custodian = f"{doc.custodian} (baseline)"
    return time.perf_counter() - start


def listing(rt: Runtime, user: User, m: Matterset, page: int = 1) -> documents.DocumentPage:
    """The affected range as one list request: the claw-back's documents, then the
    re-designated ones (one by one, then at once)."""
    query = documents.DocumentQuery(
        bates_from=m.clawed[0], bates_to=m.bulk[-1], page=page, per_page=500
    )
    return documents.list_documents(rt, user, m.matter_id, query, address="bench")


def problems_seen(page: documents.DocumentPage, m: Matterset, changed: bool) -> list[str]:
    """What a receiving party's employee must (and must not) see in the affected range."""
    found = []
    expected = len(m.clawed) if changed else len(m.clawed) + len(m.redesignated) + len(m.bulk)
    if page.total != expected:
        found.append(f"listed {page.total} documents, expected {expected}")
    redesignated = set(m.redesignated) | set(m.bulk)
    for item in page.items:
        if changed and item["bates_begin"] in redesignated:
            found.append(f"{item['bates_begin']} re-designated AEO but still listed")
        if changed and (item["state"] != "sequestered" or "title" in item or item["can_view"]):
            found.append(f"{item['bates_begin']} clawed back but listed as {item['state']}")
    return found[:5]


def workers_see(m: Matterset, warm: Runtime) -> list[str]:
    """The first request after the change, on a worker warmed before it and on one started
    after it: the claw-back's documents listed as slips, the re-designated ones gone (those
    of the bulk call too)."""
    failures = []
    fresh = Runtime(m.settings)
    for name, other in (("warm worker", warm), ("fresh worker", fresh)):
        employee = accounts.get_user(other, m.employee.email)
        seen = problems_seen(listing(other, employee, m), m, changed=True)
        failures += [f"{name}: {p}" for p in seen]
        if len(m.clawed) > 500:  # the rest of the claw-back, one page on
            seen = problems_seen(listing(other, employee, m, page=2), m, changed=True)
            failures += [f"{name}, page 2: {p}" for p in seen]
    fresh.close()
    return failures


class Outbox:
    """How long the workflows spend delivering their notices' e-mails after the commit (the
    spool folder here): timed around the product's own ``deliver_outbox``, unchanged."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.sent = 0
        for module in (clawback_module, redesignate_module):
            module.deliver_outbox = self._timed(module.deliver_outbox)  # type: ignore[attr-defined]

    def _timed(self, deliver: Any) -> Any:
        def timed(rt: Runtime) -> int:
            start = time.perf_counter()
            sent = deliver(rt)
            self.seconds += time.perf_counter() - start
            self.sent += sent
            return sent

        return timed

    def take(self) -> tuple[float, int]:
        taken = (self.seconds, self.sent)
        self.seconds, self.sent = 0.0, 0
        return taken


class Timed:
    """Wall time of each call; with ``--profile`` also a cProfile of them (which slows them)."""

    def __init__(self, profile: bool) -> None:
        self.profiler = cProfile.Profile() if profile else None
        self.calls: list[float] = []

    def __call__(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self.profiler is not None:
            self.profiler.enable()
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.calls.append(time.perf_counter() - start)
            if self.profiler is not None:
                self.profiler.disable()

    def report(self, title: str, top: int = 25) -> None:
        if self.profiler is None:
            return
        stats = pstats.Stats(self.profiler, stream=sys.stdout).strip_dirs()
        for order in ("cumulative", "tottime"):
            print(f"--- profile: {title} (by {order}, top {top}) ---")
            stats.sort_stats(order).print_stats(top)


def run(sizes: Sizes, url: str | None, profile: bool) -> int:
    try:
        return _run(sizes, url, profile)
    finally:
        if url:
            drop_everything(url)


def _run(sizes: Sizes, url: str | None, profile: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        m = build(Path(tmp), url, sizes)
        built = time.perf_counter() - started
        rt = m.rt
        # a second worker, warmed by a request before anything changes
        warm = Runtime(m.settings)
        warm_employee = accounts.get_user(warm, m.employee.email)
        before = problems_seen(listing(warm, warm_employee, m), m, changed=False)
        assert not before, before

        list_start = time.perf_counter()
        listing(rt, m.employee, m)
        list_page = time.perf_counter() - list_start
        base = baseline(m)

        outbox = Outbox()
        clawing = Timed(profile)
        view = clawing(
            claw_back,
            rt,
            m.producer_counsel,
            m.matter_id,
            documents=m.clawed,
            privilege="law enforcement privilege",
            basis="database identification codes (FRCP 26(b)(5)(B))",
            address="bench",
        )
        clawback_s = clawing.calls[0]
        clawback_mail = outbox.take()
        assert all(d["state"] == "sequestered" for d in view.documents)

        redesignating = Timed(profile)
        for number in m.redesignated:
            redesignating(
                redesignate,
                rt,
                m.producer_counsel,
                m.matter_id,
                number,
                designation="AEO",
                pages=None,
                reason="inadvertent failure to designate",
                address="bench",
            )
        calls = redesignating.calls
        redesignate_s = sum(calls)
        redesignate_mail = outbox.take()

        at_once = Timed(profile)
        bulk = at_once(
            redesignate_many,
            rt,
            m.producer_counsel,
            m.matter_id,
            m.bulk,
            designation="AEO",
            reason="inadvertent failure to designate",
            address="bench",
        )
        assert len(bulk.documents) == len(m.bulk)
        bulk_s = at_once.calls[0]
        bulk_mail = outbox.take()

        failures = check_certification(m, view.id) + workers_see(m, warm)
        warm.close()
        notices = count_notices(rt)
        rt.close()

    visible = "no" if failures else "yes"
    per_call = statistics.mean(calls)
    print(
        f"documents={sizes.documents} files={sizes.documents * (PAGES + 1)} "
        f"audit_entries={sizes.audit} changed={sizes.changed} "
        f"pre_notice_downloads={m.pre_notice_downloads} notices={notices} built_in={built:.0f}s"
    )
    print(f"baseline: {sizes.changed} document-row updates in one transaction: {base:.3f} s")
    print(f"one list request (500 per page): {list_page * 1000:.0f} ms")
    print(
        f"claw_back of {sizes.changed} documents: {clawback_s:.3f} s "
        f"(of which {clawback_mail[0]:.3f} s delivering {clawback_mail[1]} e-mails)"
    )
    print(
        f"redesignate x {sizes.changed}: {redesignate_s:.3f} s; per call mean "
        f"{per_call * 1000:.1f} ms, median {statistics.median(calls) * 1000:.1f} ms, "
        f"p95 {sorted(calls)[int(len(calls) * 0.95)] * 1000:.1f} ms, "
        f"max {max(calls) * 1000:.1f} ms "
        f"(of which {redesignate_mail[0]:.3f} s delivering {redesignate_mail[1]} e-mails)"
    )
    print(
        f"redesignate_many of {sizes.changed} documents in one call: {bulk_s:.3f} s "
        f"(of which {bulk_mail[0]:.3f} s delivering {bulk_mail[1]} e-mails)"
    )
    clawing.report("claw_back")
    redesignating.report(f"redesignate x {sizes.changed}")
    at_once.report("redesignate_many")
    if profile:
        print("(profiled: the times above include the profiler's overhead)")
    for failure in failures:
        print(f"FAILED: {failure}")
    print(
        f"RESULT orders clawback_{sizes.changed}_s={clawback_s:.3f} "
        f"redesignate_{sizes.changed}_s={redesignate_s:.3f} "
        f"per_redesignate_ms={per_call * 1000:.1f} "
        f"redesignate_many_{sizes.changed}_s={bulk_s:.3f} "
        f"baseline_update_{sizes.changed}_s={base:.3f} ratio={clawback_s / base:.1f} "
        f"redesignate_ratio={redesignate_s / base:.1f} "
        f"redesignate_many_ratio={bulk_s / base:.1f} list_page_ms={list_page * 1000:.0f} "
        f"visible_next_request={visible}"
    )
    return 1 if failures else 0


def check_certification(m: Matterset, clawback_id: int) -> list[str]:
    with m.rt.db.session() as session:
        tasks = session.scalars(
            select(Certification).where(Certification.clawback_id == clawback_id)
        ).all()
        copies = session.scalar(
            select(func.count(CertificationCopy.id)).where(
                CertificationCopy.certification_id.in_([t.id for t in tasks])
            )
        )
    if len(tasks) != 1 or copies != m.pre_notice_downloads:
        return [
            f"{len(tasks)} certification task(s) of {copies} copies, expected 1 of "
            f"{m.pre_notice_downloads}"
        ]
    return []


def count_notices(rt: Runtime) -> int:
    with rt.db.session() as session:
        return session.scalar(select(func.count(Notice.id))) or 0


def drop_everything(url: str) -> None:
    """Leave the PostgreSQL database as empty as it was given."""
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        meta = MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


def refuse_non_empty(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
    engine.dispose()
    if tables:
        sys.exit(
            f"GATEWAY_BENCH_DATABASE_URL: the database holds {len(tables)} tables; "
            "give an empty one"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--small", action="store_true", help="10,000 documents, 100 changed (a quick look)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top entries of each workflow"
    )
    args = parser.parse_args()
    url = os.environ.get("GATEWAY_BENCH_DATABASE_URL") or None
    if url:
        refuse_non_empty(url)
    sys.exit(run(SMALL if args.small else FULL, url, args.profile))


if __name__ == "__main__":
    main()
