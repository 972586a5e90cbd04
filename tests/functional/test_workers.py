"""Several gunicorn workers on one database: a worker killed mid-flight loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _call(url: str, *, data: dict | None = None, token: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, method="POST" if data else "GET")  # noqa: S310
    if data:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(data).encode()
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def server(rt, demo):
    port = _free_port()
    settings = rt.settings
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": settings["DATABASE_URL"],
        "GATEWAY_INSTANCE_PATH": str(settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(settings["KEYS_PATH"]),
    }
    pogw = Path(sys.executable).with_name("pogw")
    process = subprocess.Popen(
        [str(pogw), "serve", "--port", str(port), "--workers", "2"],
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
    yield base, process
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    process.stdout.close()


def _workers(master_pid: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master_pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [int(p) for p in out.split()]


def test_a_killed_worker_loses_no_audit_entry(server, rt, demo):
    base, process = server
    status, body = _call(
        f"{base}/api/v1/auth/token",
        data={"email": "counsel@plaintiffs.example", "password": "demo-password-123"},
    )
    assert status == 200
    token = json.loads(body)["token"]
    with rt.db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    url = f"{base}/api/v1/matters/{demo}/documents/AOL-DEF-00556923/content"

    def fetch(_n: int) -> int:
        try:
            return _call(url, token=token)[0]
        except OSError:
            return 0  # the connection died with its worker

    with ThreadPoolExecutor(max_workers=4) as pool:
        first = list(pool.map(fetch, range(20)))
        victim = _workers(process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        second = list(pool.map(fetch, range(20)))
    served = [s for s in first + second if s == 200]
    assert len(served) >= 30, first + second
    with rt.db.session() as session:
        after = session.scalar(select(func.count()).select_from(AuditEntry))
        downloads = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.seq > before, AuditEntry.tag == "document:download")
        )
        report = rt.audit_log.verify(session)
    assert report.ok, report.problems
    assert after > before
    # every document served has its entry (an entry whose response died is allowed: the
    # entry is written before the first byte, never after)
    assert downloads >= len(served)


def test_a_policy_change_holds_on_every_worker_at_its_next_request(server, rt, demo):
    from tests import factories

    base, _process = server
    status, body = _call(
        f"{base}/api/v1/auth/token",
        data={"email": "counsel@plaintiffs.example", "password": "demo-password-123"},
    )
    token = json.loads(body)["token"]
    url = f"{base}/api/v1/matters/{demo}/documents/AOL-DEF-00528691"
    # warm both workers: each caches the matter's rules
    with ThreadPoolExecutor(max_workers=4) as pool:
        before = list(pool.map(lambda _n: _call(url, token=token)[0], range(24)))
    assert set(before) == {200}
    factories.keep_aeo_from_counsel(rt, demo)
    with ThreadPoolExecutor(max_workers=4) as pool:
        after = list(pool.map(lambda _n: _call(url, token=token)[0], range(24)))
    assert set(after) == {404}, after
