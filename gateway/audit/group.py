"""Group commit for entries that are a transaction of their own.

An entry that records something already decided (a refusal, after its transaction was
rolled back; the size and digest of what a download sent) is written in a transaction of
its own. Many threads writing such entries at once each wait for their own commit, and on
SQLite, with one writer and a durable commit each, that wait is the cost. Here one
committer thread takes every entry waiting, appends them in one transaction and
acknowledges each caller once that transaction is durable, so a burst costs one commit.

The caller blocks until its entry is committed, or gets ``IntegrityFailure`` if it could
not be: nothing is ever acknowledged that is not in the log.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.audit.log import AuditLog
from gateway.audit.models import AuditEntry
from gateway.db import Database
from gateway.errors import IntegrityFailure

MAX_BATCH = 512
WAIT_SECONDS = 60.0
# how long the committer waits, after the first entry, for others to join its batch: each
# caller waits for its own commit, so without it a batch holds whoever happened to be
# ready (often one) and every entry pays for a commit of its own
LINGER_SECONDS = 0.001


@dataclass
class _Waiting:
    entry: AuditEntry
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, db: Database, log: AuditLog, now: Callable[[], datetime]) -> None:
        self.db = db
        self.log = log
        self.now = now
        self._lock = threading.Lock()
        self._pid = -1
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()

    def record(self, entry: AuditEntry) -> AuditEntry:
        waiting = _Waiting(entry)
        self._started().put(waiting)
        if not waiting.done.wait(WAIT_SECONDS):
            raise IntegrityFailure("the audit log did not record the entry in time")
        if waiting.error is not None:
            raise IntegrityFailure("the audit log could not record the entry") from waiting.error
        return entry

    def _started(self) -> queue.SimpleQueue[_Waiting]:
        # a worker forked from a process that had a committer starts its own
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()
                thread = threading.Thread(
                    target=self._run, args=(self._queue,), name="audit-group-commit", daemon=True
                )
                thread.start()
            return self._queue

    def _run(self, waiting: queue.SimpleQueue[_Waiting]) -> None:
        last = 1  # the last batch's size: about how many callers are writing
        while True:
            batch = [waiting.get()]
            until = time.monotonic() + LINGER_SECONDS
            while len(batch) < MAX_BATCH:
                left = until - time.monotonic()
                if len(batch) >= last and waiting.empty():
                    break  # everyone who wrote last time is in
                try:
                    batch.append(waiting.get(timeout=left) if left > 0 else waiting.get_nowait())
                except queue.Empty:
                    break
            last = len(batch)
            try:
                with self.db.session() as session:
                    self.log.append(session, [w.entry for w in batch], self.now())
            except BaseException as exc:  # noqa: BLE001 - handed to every waiting caller
                for w in batch:
                    w.error = exc
            finally:
                for w in batch:
                    w.done.set()
