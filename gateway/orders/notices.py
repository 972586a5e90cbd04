"""Notices to people, in the product and by e-mail through an outbox.

A notice and its outbox message are written in the transaction of the step that caused
them; delivery happens after the commit, through SMTP when ``SMTP_HOST`` is configured and
otherwise into a spool folder (``OUTBOX_PATH``, default ``<instance>/outbox``) as ``.eml``
files, so nothing needs a mail server to run or to test. A message never carries document
content: it names the Bates number and what the recipient must now do.
"""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.orders.models import Notice, OutboxMessage
from gateway.runtime import Runtime


def notify(
    rt: Runtime,
    session: Session,
    *,
    matter_id: int,
    user: User,
    kind: str,
    subject: str,
    body: str,
    document_id: int | None = None,
) -> Notice:
    now = rt.now()
    notice = Notice(
        matter_id=matter_id,
        user_id=user.id,
        kind=kind,
        document_id=document_id,
        subject=subject[:300],
        body=body,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    session.add(
        OutboxMessage(
            notice_id=notice.id,
            to_email=user.email,
            subject=subject[:300],
            body=body,
            created_at=now,
            delivered_by="",
            error="",
        )
    )
    return notice


def notices_for(rt: Runtime, user: User) -> list[dict[str, Any]]:
    """The caller's own notices, newest first."""
    with rt.db.session() as session:
        rows = session.scalars(
            select(Notice).where(Notice.user_id == user.id).order_by(Notice.id.desc())
        ).all()
        return [
            {
                "id": n.id,
                "matter_id": n.matter_id,
                "kind": n.kind,
                "subject": n.subject,
                "body": n.body,
                "at": n.created_at.isoformat(),
            }
            for n in rows
        ]


def deliver_outbox(rt: Runtime) -> int:
    """Deliver every message not yet delivered; returns how many went out. A failure is
    kept on the message (and retried next time), never lost."""
    sent = 0
    with rt.db.session() as session:
        pending = session.scalars(
            select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
        ).all()
        for message in pending:
            try:
                how = _send(rt.settings, message)
            except (OSError, smtplib.SMTPException) as exc:
                message.error = type(exc).__name__[:500]
                continue
            message.delivered_at = rt.now()
            message.delivered_by = how
            message.error = ""
            sent += 1
    return sent


def _email(settings: dict[str, Any], message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.get("SMTP_FROM") or "gateway@localhost"
    email["To"] = message.to_email
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@protective-order-gateway>"
    email.set_content(message.body)
    return email


def _send(settings: dict[str, Any], message: OutboxMessage) -> str:
    email = _email(settings, message)
    host = settings.get("SMTP_HOST")
    if host:
        with smtplib.SMTP(host, int(settings.get("SMTP_PORT") or 25), timeout=30) as smtp:
            smtp.send_message(email)
        return "smtp"
    folder = Path(settings.get("OUTBOX_PATH") or Path(settings["INSTANCE_PATH"]) / "outbox")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{message.id:08d}.eml"
    # written whole under a temporary name, then renamed: a reader never sees half a message
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(bytes(email))
    partial.replace(path)
    return "spool"
