"""The contract every ``AuditLog`` keeps, on the database the suite runs on.

Random sequences of appends (across matters and sides), checkpoints, proofs and
verifications are checked against a straightforward recomputation of each log's tree.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.audit import encoding
from gateway.audit.checkpoint import Checkpoint
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.log import log_name
from gateway.audit.merkle import MemoryTree, verify_consistency, verify_inclusion
from gateway.audit.models import AuditCheckpoint, AuditEntry, AuditNode, LogHead
from gateway.audit.recorder import new_entry
from gateway.audit.tags import Outcome, Tag

SIDES = [(1, 11), (1, 12), (1, None), (2, 21), (None, None)]
ACTOR = Actor(user_id=None, email="contract@test.example", address="test")

steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(st.sampled_from(SIDES), min_size=1, max_size=6)),
        st.tuples(st.just("checkpoint"), st.sampled_from(SIDES)),
        st.tuples(st.just("prove"), st.sampled_from(SIDES), st.integers(0, 10**6)),
        st.tuples(st.just("verify")),
    ),
    min_size=1,
    max_size=14,
)


def _entry(rt, matter, side, n):
    event = AuditEvent(
        Tag.DOCUMENT_VIEW,
        Outcome.ALLOWED,
        ACTOR,
        matter_id=matter,
        side_party_id=side,
        bates=f"B-{n}",
        details={"n": n},
    )
    return new_entry(event, rt.now())


def _empty(rt):
    with rt.db.session() as session:
        for model in (AuditCheckpoint, AuditNode, AuditEntry, LogHead):
            session.query(model).delete()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps)
def test_random_use_agrees_with_a_recomputation(rt, plan):
    _empty(rt)
    log = rt.audit_log
    verifier = log.signer.verifier
    trees: dict[str, MemoryTree] = {}
    kept: dict[str, list[Checkpoint]] = {}
    n = 0
    for step in plan:
        if step[0] == "append":
            with rt.db.session() as session:
                made = [_entry(rt, m, s, n + i) for i, (m, s) in enumerate(step[1])]
                n += len(made)
                log.append(session, made, rt.now())
                for entry in made:
                    name = log_name(entry.matter_id, entry.side_party_id)
                    tree = trees.setdefault(name, MemoryTree())
                    assert entry.log_index == tree.size, "dense, in order"
                    leaf = encoding.leaf(encoding.body(entry, name))
                    assert entry.hash == leaf.hex()
                    tree.append(leaf)
        elif step[0] == "checkpoint":
            name = log_name(*step[1])
            if name not in trees:
                continue
            with rt.db.session() as session:
                note = log.checkpoint(session, name, rt.now(), covering=trees[name].size)
            checkpoint = Checkpoint.open(note, verifier)
            assert checkpoint.origin == log.origin(name)
            assert (checkpoint.size, checkpoint.root) == (trees[name].size, trees[name].root())
            kept.setdefault(name, []).append(checkpoint)
        elif step[0] == "prove":
            name = log_name(*step[1])
            if name not in trees:
                continue
            tree = trees[name]
            with rt.db.read_session() as session:
                head = log.head(session, name)
                assert (head.size, head.root) == (tree.size, tree.root())
                index = step[2] % tree.size
                size = index + 1 + (step[2] // 7) % (tree.size - index)
                path = log.inclusion_proof(session, name, index, size)
                assert path == tree.inclusion(index, size)
                assert verify_inclusion(index, size, tree.levels[0][index], path, tree.root(size))
                for old in kept.get(name, []):
                    proof = log.consistency_proof(session, name, old.size, tree.size)
                    assert proof == tree.consistency(old.size, tree.size)
                    assert verify_consistency(old.size, tree.size, old.root, tree.root(), proof)
        else:
            receipts = [c for cs in kept.values() for c in cs]
            with rt.db.read_session() as session:
                report = log.verify(session, receipts=receipts)
            assert report.ok, report.problems
            assert report.checked >= sum(t.size for t in trees.values())
    with rt.db.read_session() as session:
        for name, tree in trees.items():
            assert log.head(session, name).size == tree.size
        # every checkpoint of a log is an entry of a log of checkpoints
        ledgers = select(LogHead.id).where(LogHead.name.like("%checkpoints"))
        of_logs = session.scalar(
            select(func.count())
            .select_from(AuditCheckpoint)
            .where(AuditCheckpoint.log_id.not_in(ledgers))
        )
        in_ledgers = session.scalar(
            select(func.count())
            .select_from(AuditCheckpoint)
            .where(AuditCheckpoint.ledger_id.is_not(None))
        )
        assert of_logs == in_ledgers
        assert log.verify(session).ok


def test_appends_from_other_logs_do_not_change_a_logs_numbering(rt):
    _empty(rt)
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, 0), _entry(rt, 1, 12, 1)], rt.now())
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 12, 2), _entry(rt, 1, 11, 3)], rt.now())
    with rt.db.read_session() as session:
        rows = session.execute(
            select(AuditEntry.bates, AuditEntry.log_index, AuditEntry.side_seq).order_by(
                AuditEntry.seq
            )
        ).all()
    assert [tuple(r) for r in rows] == [("B-0", 0, 1), ("B-1", 0, 1), ("B-2", 1, 2), ("B-3", 1, 2)]


def test_a_checkpoint_is_issued_every_n_entries_and_on_demand(rt):
    _empty(rt)
    rt.audit_log.every = 4
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, i) for i in range(3)], rt.now())
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, 3)], rt.now())
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, 4 + i) for i in range(4)], rt.now())
    with rt.db.read_session() as session:
        head = session.scalar(select(LogHead).where(LogHead.name == "matter/1/party/11"))
        sizes = session.scalars(
            select(AuditCheckpoint.size).where(AuditCheckpoint.log_id == head.id)
        ).all()
    # the first append signs at once (a new log), then every 4 entries
    assert sorted(sizes) == [3, 8]
    with rt.db.session() as session:
        same = rt.audit_log.checkpoint(session, "matter/1/party/11", rt.now(), covering=8)
        assert Checkpoint.open(same, rt.audit_log.signer.verifier).size == 8
        ledger = session.scalar(select(LogHead).where(LogHead.name == "matter/1/checkpoints"))
        assert ledger.size == 2, "one ledger entry per checkpoint, none for a repeated one"


def test_a_reading_reuses_a_recent_checkpoint_and_a_proof_gets_one_that_covers_it(rt, clock):
    _empty(rt)
    name = "matter/1/party/11"
    verifier = rt.audit_log.signer.verifier
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, 0)], rt.now())  # signed at 1
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, n) for n in (1, 2)], rt.now())
    with rt.db.session() as session:
        recent = Checkpoint.open(rt.audit_log.checkpoint(session, name, rt.now()), verifier)
        covering = rt.audit_log.checkpoint(session, name, rt.now(), covering=3)
    assert recent.size == 1, "younger than the period: the newest one again"
    assert Checkpoint.open(covering, verifier).size == 3
    clock.advance(seconds=rt.settings["AUDIT_CHECKPOINT_SECONDS"])
    with rt.db.session() as session:
        rt.audit_log.append(session, [_entry(rt, 1, 11, 3)], rt.now())
    with rt.db.session() as session:
        stale = Checkpoint.open(rt.audit_log.checkpoint(session, name, rt.now()), verifier)
    assert stale.size == 4, "past the period: the log as it stands"
