"""The audit logs: durable appends under concurrency, offline verification, proofs.

Appends (``RESULT audit ...``): 8 threads write entries spread over 4 matters (each
matter's court log and two parties' logs), durable as configured for production
(SQLite ``synchronous=FULL``; PostgreSQL's default), through

- the gateway's entries of their own (``Runtime.record``: group commit), the way a
  refusal, a download's record of what it sent, or a sign-in is written;
- the gateway's entries one transaction each (``Runtime.audit`` in its own transaction),
  for comparison;
- the baseline, a naive hash chain: one transaction per append, one global head row
  locked by every writer.

Verification and proofs (``RESULT audit_verify ...``): a bundle of one log of 1,000,000
entries (checkpoints every 256 entries, and its log of checkpoints), written in the
export's format, is verified offline by ``verify_bundle``; the baseline is reading and
hashing every line with SHA-256 once. Then the log's stored subtrees (2,000,000 rows) are
put in SQLite and inclusion and consistency proofs are asked of ``MerkleLog`` for random
entries; the baseline is one primary-key read of a stored subtree.

Run: .venv/bin/python bench/audit.py [--entries N] [--seconds S]
PostgreSQL: GATEWAY_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test;
the script works in a schema of its own, bench_audit, and drops it again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert, select, text

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.log import file_slug, ledger_name
from gateway.audit.merkle import Frontier
from gateway.audit.models import AuditNode, LogHead, node_key
from gateway.audit.offline import FORMAT, verify_bundle
from gateway.audit.tags import Outcome, Tag
from gateway.config import load_settings
from gateway.db import Base, Database
from gateway.keyring import init_keys
from gateway.runtime import Runtime

WRITERS = 8
MATTERS = 4
SCHEMA = "bench_audit"
PG_URL = os.environ.get("GATEWAY_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def runtime(root: Path, url: str | None) -> Runtime:
    init_keys(root / "keys")
    settings = load_settings(
        {
            "INSTANCE_PATH": str(root / "instance"),
            "KEYS_PATH": str(root / "keys"),
            "DATABASE_URL": url or f"sqlite:///{root / 'bench.sqlite3'}",
            "SQLITE_SYNCHRONOUS": "FULL",
        },
        environ={},
    )
    (root / "instance").mkdir(parents=True, exist_ok=True)
    rt = Runtime(settings)
    import gateway.models  # noqa: F401

    Base.metadata.create_all(rt.db.engine)
    return rt


def pg_url() -> str | None:
    db = Database(PG_URL)
    try:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    except Exception as exc:  # noqa: BLE001 - the PostgreSQL half is skipped, and said so
        print(f"PostgreSQL not reachable ({exc.__class__.__name__}): skipped")
        return None
    finally:
        db.dispose()
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{SCHEMA}"


def drop_pg_schema() -> None:
    db = Database(PG_URL)
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    db.dispose()


def concurrently(seconds: float, work: Callable[[int, int], None]) -> float:
    """Appends per second of ``WRITERS`` threads calling ``work(writer, n)`` for
    ``seconds``."""
    counts = [0] * WRITERS
    stop = time.perf_counter() + seconds
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        try:
            while time.perf_counter() < stop:
                work(w, counts[w])
                counts[w] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    start = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(counts) / (time.perf_counter() - start)


def event(w: int, n: int) -> AuditEvent:
    matter = w % MATTERS + 1
    side = (None, 10 + matter, 20 + matter)[n % 3]
    return AuditEvent(
        Tag.DOCUMENT_SERVED,
        Outcome.ALLOWED,
        Actor(user_id=None, email=f"writer{w}@bench.example", address="10.0.0.8"),
        matter_id=matter,
        side_party_id=side,
        bates=f"BENCH-{n:08d}",
        details={"sha256": hashlib.sha256(b"%d" % n).hexdigest(), "size": 1000 + n},
    )


def naive_chain(db: Database) -> Callable[[int, int], None]:
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS naive_chain"))
        conn.execute(text("DROP TABLE IF EXISTS naive_head"))
        conn.execute(
            text(
                "CREATE TABLE naive_chain (seq INTEGER PRIMARY KEY, prev VARCHAR(64),"
                " hash VARCHAR(64), body TEXT)"
            )
        )
        conn.execute(
            text("CREATE TABLE naive_head (id INTEGER PRIMARY KEY, seq INTEGER, hash VARCHAR(64))")
        )
        conn.execute(text("INSERT INTO naive_head VALUES (1, 0, :h)"), {"h": "0" * 64})
    read_head = text(
        "SELECT seq, hash FROM naive_head WHERE id = 1"
        if db.is_sqlite
        else "SELECT seq, hash FROM naive_head WHERE id = 1 FOR UPDATE"
    )

    def append(w: int, n: int) -> None:
        item = event(w, n)
        body = encoding.canonical_json(
            {
                "tag": str(item.tag),
                "outcome": str(item.outcome),
                "actor": item.actor.email,
                "matter_id": item.matter_id,
                "side_party_id": item.side_party_id,
                "bates": item.bates,
                "details": dict(item.details),
            }
        )
        with db.engine.begin() as conn:
            seq, head = conn.execute(read_head).one()
            digest = hashlib.sha256(head.encode() + b"\n" + body.encode()).hexdigest()
            conn.execute(
                text("INSERT INTO naive_chain VALUES (:s, :p, :h, :b)"),
                {"s": seq + 1, "p": head, "h": digest, "b": body},
            )
            conn.execute(
                text("UPDATE naive_head SET seq = :s, hash = :h WHERE id = 1"),
                {"s": seq + 1, "h": digest},
            )

    return append


def appends(rt: Runtime, seconds: float) -> dict[str, float]:
    grouped = concurrently(seconds, lambda w, n: rt.record(event(w, n)))

    def one_transaction(w: int, n: int) -> None:
        with rt.db.session() as session:
            rt.audit(session, event(w, n))

    single = concurrently(seconds, one_transaction)
    naive = concurrently(seconds, naive_chain(rt.db))
    with rt.db.read_session() as session:
        report = rt.audit_log.verify(session)
    assert report.ok, report.problems[:3]
    return {"grouped": grouped, "single": single, "naive": naive, "checked": report.checked}


# -- verification and proofs --------------------------------------------------------------


def write_bundle(rt: Runtime, folder: Path, entries: int) -> Frontier:
    """One log of ``entries`` in the export's format, with its checkpoints and ledger."""
    name, ledger = "matter/1/party/11", ledger_name(1)
    signer = rt.audit_log.signer
    every = rt.audit_log.every
    (folder / "logs").mkdir(parents=True)
    for n in (name, ledger):
        (folder / "checkpoints" / file_slug(n)).mkdir(parents=True)
    frontier, notes = Frontier(), []
    template = {
        "v": encoding.VERSION,
        "log": name,
        "tag": "document:download",
        "outcome": "allowed",
        "reason": "",
        "rule": "",
        "actor_user_id": 7,
        "actor_email": "counsel@bench.example",
        "side_party_id": 11,
        "matter_id": 1,
        "address": "10.0.0.8",
        "user_agent": "bench/1",
    }
    with (folder / "logs" / f"{file_slug(name)}.jsonl").open("w") as out:
        for i in range(entries):
            item = {
                **template,
                "i": i,
                "at": f"2020-06-26T17:{i // 60 % 60:02d}:00+00:00",
                "document_id": i % 5000,
                "bates": f"AOL-DEF-{i:08d}",
                "details": {"files": [{"name": f"AOL-DEF-{i:08d}.pdf", "size": 1000 + i}]},
            }
            leaf = encoding.leaf(item)
            out.write(encoding.export_line(item, leaf) + "\n")
            frontier.append(leaf)
            if frontier.size % every == 0 or frontier.size == entries:
                note = Checkpoint(rt.audit_log.origin(name), frontier.size, frontier.root()).sign(
                    signer
                )
                notes.append(note)
                (folder / "checkpoints" / file_slug(name) / f"{frontier.size}.note").write_text(
                    note
                )
    ledger_tree = Frontier()
    with (folder / "logs" / f"{file_slug(ledger)}.jsonl").open("w") as out:
        for i, note in enumerate(notes):
            leaf = encoding.note_leaf(note)
            out.write(encoding.export_line({"i": i, "note": note}, leaf) + "\n")
            ledger_tree.append(leaf)
    note = Checkpoint(rt.audit_log.origin(ledger), ledger_tree.size, ledger_tree.root()).sign(
        signer
    )
    (folder / "checkpoints" / file_slug(ledger) / f"{ledger_tree.size}.note").write_text(note)
    (folder / "verifier.key").write_text(signer.verifier.text() + "\n")
    manifest = {
        "format": FORMAT,
        "origin_prefix": signer.name,
        "ledger": ledger,
        "logs": [{"name": name}, {"name": ledger}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return frontier


def hash_lines(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as handle:
        for line in handle:
            hashlib.sha256(line).digest()
    return time.perf_counter() - start


def store_subtrees(rt: Runtime, entries: int) -> str:
    """The stored subtrees of an ``entries``-leaf log, as appends would have left them."""
    name = "matter/9/party/99"
    frontier, rows = Frontier(), []
    with rt.db.session() as session:
        session.execute(
            insert(LogHead).values(
                name=name,
                matter_id=9,
                side_party_id=99,
                size=0,
                frontier="[]",
                root="",
                checkpointed_size=0,
            )
        )
        log_id = session.scalar(select(LogHead.id).where(LogHead.name == name))
        for i in range(entries):
            leaf = hashlib.sha256(b"\x00%d" % i).digest()
            for node in frontier.append(leaf):
                rows.append(
                    {"log_id": log_id, "key": node_key(node.level, node.index), "hash": node.hash}
                )
            if len(rows) >= 50_000:
                session.execute(insert(AuditNode), rows)
                rows = []
        if rows:
            session.execute(insert(AuditNode), rows)
        session.execute(
            LogHead.__table__.update()
            .where(LogHead.id == log_id)
            .values(
                size=frontier.size,
                root=frontier.root().hex(),
                frontier=json.dumps([h.hex() for h in frontier.hashes]),
            )
        )
    return name


def proofs(rt: Runtime, name: str, entries: int, count: int) -> dict[str, float]:
    rng = random.Random(5)  # noqa: S311 - positions, not secrets
    with rt.db.read_session() as session:
        log_id = session.scalar(select(LogHead.id).where(LogHead.name == name))
        start = time.perf_counter()
        for _ in range(count):
            session.execute(
                select(AuditNode.hash).where(
                    AuditNode.log_id == log_id,
                    AuditNode.key == node_key(0, rng.randrange(entries)),
                )
            ).one()
        lookup = (time.perf_counter() - start) / count
        start = time.perf_counter()
        for _ in range(count):
            index = rng.randrange(entries)
            rt.audit_log.inclusion_proof(session, name, index, entries)
        inclusion = (time.perf_counter() - start) / count
        start = time.perf_counter()
        for _ in range(count):
            old = rng.randrange(1, entries)
            rt.audit_log.consistency_proof(session, name, old, entries)
        consistency = (time.perf_counter() - start) / count
    return {"lookup": lookup, "inclusion": inclusion, "consistency": consistency}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--proofs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lite = runtime(root / "sqlite", None)
        got_lite = appends(lite, args.seconds)
        print(
            f"SQLite (synchronous=FULL), {WRITERS} writers over {MATTERS} matters: "
            f"grouped {got_lite['grouped']:.0f}/s, one transaction each "
            f"{got_lite['single']:.0f}/s, naive chain {got_lite['naive']:.0f}/s; "
            f"{got_lite['checked']:.0f} entries verify"
        )
        url = pg_url()
        got_pg = {"grouped": 0.0, "single": 0.0, "naive": 0.0}
        if url is not None:
            pg = runtime(root / "pg", url)
            try:
                got_pg = appends(pg, args.seconds)
            finally:
                pg.close()
                drop_pg_schema()
            print(
                f"PostgreSQL, {WRITERS} writers over {MATTERS} matters: grouped "
                f"{got_pg['grouped']:.0f}/s, one transaction each {got_pg['single']:.0f}/s, "
                f"naive chain {got_pg['naive']:.0f}/s; {got_pg['checked']:.0f} entries verify"
            )
        print(
            f"RESULT audit appends_per_s_sqlite={got_lite['grouped']:.0f} "
            f"appends_per_s_pg={got_pg['grouped']:.0f} naive_sqlite={got_lite['naive']:.0f} "
            f"naive_pg={got_pg['naive']:.0f} "
            f"ratio_sqlite={got_lite['grouped'] / got_lite['naive']:.1f} "
            f"ratio_pg={got_pg['grouped'] / max(got_pg['naive'], 1):.1f}"
        )

        bundle = root / "bundle"
        start = time.perf_counter()
        write_bundle(lite, bundle, args.entries)
        print(f"bundle of {args.entries} entries written in {time.perf_counter() - start:.1f} s")
        baseline = hash_lines(bundle / "logs" / f"{file_slug('matter/1/party/11')}.jsonl")
        start = time.perf_counter()
        report = verify_bundle(bundle)
        verify_s = time.perf_counter() - start
        assert report.ok and report.checked >= args.entries, report.problems[:3]
        print(
            f"offline verify: {verify_s:.2f} s ({report.checkpoints} checkpoints); "
            f"hashing the lines alone: {baseline:.2f} s"
        )
        start = time.perf_counter()
        name = store_subtrees(lite, args.entries)
        print(f"{args.entries} entries' subtrees stored in {time.perf_counter() - start:.1f} s")
        timed = proofs(lite, name, args.entries, args.proofs)
        print(
            f"proofs at {args.entries} entries: inclusion {timed['inclusion'] * 1000:.3f} ms, "
            f"consistency {timed['consistency'] * 1000:.3f} ms; one stored-subtree read "
            f"{timed['lookup'] * 1000:.3f} ms"
        )
        lite.close()
        print(
            f"RESULT audit_verify entries={args.entries} verify_s={verify_s:.2f} "
            f"proof_ms={timed['inclusion'] * 1000:.3f} "
            f"consistency_ms={timed['consistency'] * 1000:.3f} "
            f"ratio_verify={verify_s / baseline:.1f} "
            f"ratio_proof={timed['inclusion'] / timed['lookup']:.1f}"
        )


if __name__ == "__main__":
    main()
