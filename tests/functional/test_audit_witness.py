"""Checkpoints go to the witnesses once committed, never before, and a fork is kept."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from gateway.audit.checkpoint import Checkpoint
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.log import file_slug
from gateway.audit.tags import Outcome, Tag
from gateway.audit.witness import folder_witness, http_witness
from gateway.runtime import Runtime

ACTOR = Actor(user_id=None, email="witness-test@example", address="test")


def _event(n: int) -> AuditEvent:
    return AuditEvent(Tag.DOCUMENT_VIEW, Outcome.ALLOWED, ACTOR, matter_id=1, bates=f"W-{n}")


@pytest.fixture
def witnessed(settings, clock, pg_schema, tmp_path):
    folder = tmp_path / "witness"
    runtime = Runtime({**settings, "AUDIT_WITNESS_DIR": str(folder)}, clock=clock)
    if not pg_schema:
        runtime.db.create_all()
    yield runtime, folder
    runtime.close()


class _Undo(Exception):
    pass


def test_a_committed_checkpoint_reaches_the_witness_and_a_rolled_back_one_does_not(witnessed):
    rt, folder = witnessed
    with rt.db.session() as session:
        rt.audit(session, _event(0))  # a new log is signed at once
    kept = folder / file_slug("matter/1/court")
    assert [p.name for p in kept.iterdir()] == ["1.note"]
    checkpoint = Checkpoint.open((kept / "1.note").read_text(), rt.audit_log.signer.verifier)
    assert checkpoint.origin.endswith("/matter/1/court") and checkpoint.size == 1
    with pytest.raises(_Undo):
        with rt.db.session() as session:
            rt.audit(session, _event(1))
            rt.audit_log.checkpoint(session, "matter/1/court", rt.now(), covering=2)
            raise _Undo
    assert [p.name for p in kept.iterdir()] == ["1.note"], "nothing rolled back is witnessed"
    with rt.db.session() as session:
        rt.audit(session, _event(2))
        rt.audit_log.checkpoint(session, "matter/1/court", rt.now(), covering=2)
    assert sorted(p.name for p in kept.iterdir()) == ["1.note", "2.note"]


def test_a_folder_witness_keeps_a_second_history_of_one_size_beside_the_first(tmp_path):
    keep = folder_witness(tmp_path)
    keep("matter/1/court", 5, "first\n")
    keep("matter/1/court", 5, "first\n")  # the same checkpoint again: nothing new
    keep("matter/1/court", 5, "other\n")
    names = sorted(p.name for p in (tmp_path / "matter-1-court").iterdir())
    assert names == ["5.fork-1.note", "5.note"]
    assert (tmp_path / "matter-1-court" / "5.note").read_text() == "first\n"


def test_an_http_witness_receives_each_note_and_one_that_is_down_stops_nothing():
    received: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the library's name
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        http_witness(f"http://127.0.0.1:{server.server_port}/")("global", 3, "note\n")
        assert time.monotonic() - started < 0.5, "delivery never holds up the caller"
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        server.shutdown()
        server.server_close()
    assert received == [b"note\n"]
    http_witness(f"http://127.0.0.1:{server.server_port}/")("global", 4, "late\n")  # down
    with pytest.raises(ValueError):
        http_witness("file:///etc/passwd")
