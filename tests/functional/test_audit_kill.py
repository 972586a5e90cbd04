"""SIGKILL during appends, for real and many times: no acknowledged request lacks its entry.

A gunicorn server with two workers answers downloads, metadata views and refusals (each
request marked by its own User-Agent, which its entry stores) while its workers are
killed again and again, and finally the whole server, which is then started again on the
same database. Every log must then verify with no gap, and every request that was answered
(200 or a refusal) must have its entry.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.audit.models import AuditEntry
from tests.functional.test_workers import _call, _free_port, _workers

EX18 = "AOL-DEF-00528691"
CONF = "AOL-DEF-00556923"
ROUNDS = 4


def _start(rt, port: int) -> subprocess.Popen:
    settings = rt.settings
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": settings["DATABASE_URL"],
        "GATEWAY_INSTANCE_PATH": str(settings["INSTANCE_PATH"]),
        "GATEWAY_KEYS_PATH": str(settings["KEYS_PATH"]),
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("pogw")),
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if _call(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the server did not start")


def _request(url: str, token: str, agent: str) -> int:
    """The status the server answered with (0 if none came): a status line is the
    acknowledgment, even when the body is cut short by the worker's death (a download's
    entry is committed before its first byte)."""
    request = urllib.request.Request(url)  # noqa: S310 - loopback
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("User-Agent", agent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status = response.status
            try:
                response.read()
            except (OSError, http.client.HTTPException):
                pass  # cut mid-body: answered all the same
            return status
    except urllib.error.HTTPError as error:
        try:
            error.read()
        except (OSError, http.client.HTTPException):
            pass
        return error.code
    except (OSError, http.client.HTTPException):
        return 0  # the connection died with its worker before any answer


def _token(base: str, email: str) -> str:
    import json

    status, body = _call(
        f"{base}/api/v1/auth/token", data={"email": email, "password": "demo-password-123"}
    )
    assert status == 200
    return json.loads(body)["token"]


def test_killed_workers_and_a_killed_server_lose_no_acknowledged_entry(rt, demo):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(rt, port)
    counsel = _token(base, "counsel@plaintiffs.example")
    staff = _token(base, "staff@alotrolado.example")
    docs = f"{base}/api/v1/matters/{demo}/documents"
    # a download (entry before the first byte, then its served record), a metadata view,
    # and a refusal (written after its transaction is rolled back)
    kinds = [
        (f"{docs}/{CONF}/content", counsel),
        (f"{docs}/{CONF}", counsel),
        (f"{docs}/{EX18}/content", staff),
    ]
    acknowledged: list[str] = []
    lock = threading.Lock()
    rng = random.Random(11)  # noqa: S311 - when to kill, not a secret
    try:
        for round_no in range(ROUNDS):
            stop = threading.Event()

            def client(n: int, round_no: int = round_no, stop: threading.Event = stop) -> None:
                i = 0
                while not stop.is_set():
                    url, token = kinds[(n + i) % len(kinds)]
                    agent = f"kill-test/{round_no}/{n}/{i}"
                    status = _request(url, token, agent)
                    if status in (200, 403, 404):
                        with lock:
                            acknowledged.append(agent)
                    i += 1

            threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
            for t in threads:
                t.start()
            for _kill in range(3):
                time.sleep(rng.uniform(0.2, 0.6))
                workers = _workers(process.pid)
                if workers:
                    os.kill(rng.choice(workers), signal.SIGKILL)
            time.sleep(0.5)
            stop.set()
            for t in threads:
                t.join()
        # the whole server, master and workers at once, then started again
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process = _start(rt, port)
        assert _request(f"{docs}/{CONF}", counsel, "kill-test/after") == 200
        acknowledged.append("kill-test/after")
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
    assert len(acknowledged) > 50, "too few requests were answered to tell anything"
    with rt.db.read_session() as session:
        agents = set(
            session.scalars(
                select(AuditEntry.user_agent).where(AuditEntry.user_agent.like("kill-test/%"))
            )
        )
        report = rt.audit_log.verify(session)
    assert report.ok, report.problems[:5]  # every log, dense and as signed
    missing = [a for a in acknowledged if a not in agents]
    assert not missing, f"{len(missing)} answered requests have no entry: {missing[:5]}"
