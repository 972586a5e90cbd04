"""The running server (gunicorn, two workers): a stream that fails names no document in
any log line, and a worker that stops writes its counts of unauthenticated refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from gateway.crypto.segments import HEADER_SIZE
from gateway.documents.models import Document, DocumentFile
from tests.functional.test_workers import _call, _free_port

BATES = "AOL-DEF-00556923"


@pytest.fixture
def serve(rt, demo):
    """Starts ``pogw serve``; ``stop()`` ends it and returns everything it logged."""
    port = _free_port()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": rt.settings["DATABASE_URL"],
        "GATEWAY_INSTANCE_PATH": str(rt.settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(rt.settings["KEYS_PATH"]),
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("pogw")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _call(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the server did not start: " + process.stdout.read().decode()[-2000:])

    def stop() -> str:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        return process.stdout.read().decode("utf-8", "replace")

    yield base, stop
    stop()
    process.stdout.close()


def _corrupt(rt) -> None:
    with rt.db.read_session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == BATES))
        row = session.scalar(
            select(DocumentFile).where(DocumentFile.version_id == doc.current_version_id)
        )
    store = rt.blobs.store
    blob = bytearray(store.read_range(row.blob_key, 0, store.size(row.blob_key)))
    blob[HEADER_SIZE + 3] ^= 0xFF
    store.put(row.blob_key, iter([bytes(blob)]))


def test_no_log_line_names_a_document_and_refusals_are_written_at_exit(serve, rt, demo):
    base, stop = serve
    status, body = _call(
        f"{base}/api/v1/auth/token",
        data={"email": "counsel@plaintiffs.example", "password": "demo-password-123"},
    )
    token = json.loads(body)["token"]
    _corrupt(rt)
    # a search naming the document: the query string must not reach the log either
    listed, _ = _call(f"{base}/api/v1/matters/{demo}/documents?q={BATES}", token=token)
    assert listed == 200
    url = f"{base}/api/v1/matters/{demo}/documents/{BATES}/content"
    try:
        status, _ = _call(url, token=token)
    except OSError:
        status = 0  # the stream was cut
    # a failure before the first byte answers 409 in the JSON shape; later, a cut stream
    assert status in (0, 409)
    for _ in range(3):
        assert _call(f"{base}/api/v1/matters")[0] == 401
    logged = stop()
    assert "Booting worker" in logged  # the log is there ...
    assert BATES not in logged and "/api/v1/matters" not in logged, logged  # ... and blind
    with rt.db.read_session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.tag == "auth:refusals")).all()
    assert sum(json.loads(e.details)["total"] for e in entries) == 3
