"""The gateway's services wired together once: database, keys, blobs, policy, clock.

Flask and the command line both build one ``Runtime`` from settings; domain services take
it (or its parts) as an argument, so none of them imports Flask.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from gateway.accounts.guard import CheckSlots
from gateway.accounts.refusals import make_tally
from gateway.accounts.throttle import make_counter
from gateway.audit.checkpoint import Signer
from gateway.audit.events import AuditEvent
from gateway.audit.group import GroupCommit
from gateway.audit.merkle_log import MerkleLog
from gateway.audit.models import AuditEntry
from gateway.audit.recorder import new_entry, record, record_many
from gateway.audit.witness import witnesses
from gateway.authz.derive import Authorizer
from gateway.authz.policy import load_default_policy
from gateway.clock import Clock, FileClock, SystemClock
from gateway.crypto.envelope import EncryptedBlobs
from gateway.db import Database
from gateway.errors import GatewayError
from gateway.keyring import Keyring, load_keyring
from gateway.matters.order_store import PolicyCache
from gateway.storage import make_blob_store


class Refused(Exception):
    """A refusal to be audited after the failed transaction is rolled back."""

    def __init__(self, error: GatewayError, event: AuditEvent) -> None:
        super().__init__(error.message)
        self.error = error
        self.event = event


def _clock_from(settings: dict[str, Any]) -> Clock:
    path = settings.get("CLOCK_FILE")
    if not path:
        return SystemClock()
    clock = FileClock(path)
    print(  # noqa: T201 - on purpose, on every start: time is not the real time
        f"WARNING: the gateway's clock reads {path} ({clock.now().isoformat()}), not the "
        "system clock. For demonstrations and acceptance runs only.",
        file=sys.stderr,
        flush=True,
    )
    return clock


class Runtime:
    def __init__(
        self,
        settings: dict[str, Any],
        *,
        clock: Clock | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or _clock_from(settings)
        self.keyring = keyring or load_keyring(settings)
        self.db = Database(
            settings["DATABASE_URL"], synchronous=str(settings["SQLITE_SYNCHRONOUS"])
        )
        self.blobs = EncryptedBlobs(make_blob_store(settings, settings["INSTANCE_PATH"]))
        self.audit_log = MerkleLog(
            Signer(str(settings["AUDIT_ORIGIN"]), self.keyring.audit_signing_key),
            every=int(settings["AUDIT_CHECKPOINT_EVERY"]),
            seconds=float(settings["AUDIT_CHECKPOINT_SECONDS"]),
            witness=witnesses(settings["AUDIT_WITNESS_DIR"], settings["AUDIT_WITNESS_URL"]),
        )
        self.audit_group = GroupCommit(self.db, self.audit_log, self.now)
        self.policy = load_default_policy()
        self.authorizer = Authorizer.shared(self.policy)
        # each matter's own order, checked against its revision on every request
        self.policies = PolicyCache(self.policy)
        self.failures = make_counter(settings, self.db)
        self.check_slots = CheckSlots(int(settings["LOGIN_MAX_CONCURRENT_CHECKS"]))
        self.refusals = make_tally(settings)
        self.passwords = PasswordHasher(
            time_cost=int(settings.get("ARGON2_TIME_COST", 3)),
            memory_cost=int(settings.get("ARGON2_MEMORY_KIB", 65536)),
            parallelism=int(settings.get("ARGON2_PARALLELISM", 4)),
        )

    def now(self) -> datetime:
        return self.clock.now()

    def audit(self, session: Session, event: AuditEvent) -> AuditEntry:
        """The event's entry, at the clock's time unless the event names its own."""
        return record(session, self.audit_log, self._timed(event))

    def record(self, event: AuditEvent) -> AuditEntry:
        """An entry that is a transaction of its own, committed with whatever other such
        entries are waiting (``gateway.audit.group``); returns once it is durable. Never
        call it inside an open transaction."""
        timed = self._timed(event)
        assert timed.at is not None
        return self.audit_group.record(new_entry(timed, timed.at))

    def audit_many(self, session: Session, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Entries appended in their order at one go (a workflow that changes many
        documents); each is timed as ``audit`` would."""
        timed = [self._timed(event) for event in events]
        return record_many(session, self.audit_log, timed)

    def _timed(self, event: AuditEvent) -> AuditEvent:
        return event if event.at is not None else event.with_(at=self.now())

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Check, change and audit in one transaction.

        A ``Refused`` raised inside rolls back whatever was done, then records the refusal
        in a transaction of its own and raises the refusal's error: a denial is always
        audited, and never half-applies anything.
        """
        try:
            with self.db.session() as session:
                yield session
        except Refused as refusal:
            self.record(refusal.event)
            raise refusal.error from None

    def close(self) -> None:
        from gateway.accounts import refusals

        refusals.write(self, self.refusals.drain())  # the counts of the open interval
        self.refusals.close()
        self.db.dispose()
        client = getattr(self.failures, "client", None)
        if client is not None:
            client.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
