"""Handing each checkpoint, once committed, to the witnesses the operator configured.

A folder witness keeps ``<log>/<size>.note`` and never overwrites one: a second, different
checkpoint of the same size (a fork) is kept beside it as ``<size>.fork-<n>.note`` and
reported in the server log. An HTTP witness receives the note as the body of a POST.
A witness that cannot be reached does not stop the gateway's work (the checkpoint is in
the log of checkpoints either way); the failure is logged.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path

from gateway.audit.log import file_slug

log = logging.getLogger("gateway.audit.witness")
HTTP_TIMEOUT_SECONDS = 3.0


def folder_witness(root: Path) -> Callable[[str, int, str], None]:
    def keep(name: str, size: int, note: str) -> None:
        folder = root / file_slug(name)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{size}.note"
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(note)
                return
            except FileExistsError:
                if path.read_text(encoding="utf-8") == note:
                    return
            n = 1
            while (folder / f"{size}.fork-{n}.note").exists():
                n += 1
            (folder / f"{size}.fork-{n}.note").write_text(note, encoding="utf-8")
            log.error("witness folder: two different checkpoints of %s at size %d", name, size)
        except OSError as exc:
            log.error("witness folder %s: checkpoint of %s not kept: %s", root, name, exc)

    return keep


def http_witness(url: str) -> Callable[[str, int, str], None]:
    """POSTs each note from a thread of its own: a slow or silent witness never holds up
    the request whose commit made the checkpoint."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"AUDIT_WITNESS_URL must be an http(s) address, not {url!r}")
    waiting: queue.SimpleQueue[tuple[str, int, str]] = queue.SimpleQueue()
    started: list[int] = []
    lock = threading.Lock()

    def deliver() -> None:
        while True:
            post(*waiting.get())

    def hand_on(name: str, size: int, note: str) -> None:
        with lock:
            if os.getpid() not in started:  # a forked worker starts its own sender
                started.append(os.getpid())
                threading.Thread(target=deliver, name="audit-witness", daemon=True).start()
        waiting.put((name, size, note))

    def post(name: str, size: int, note: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=note.encode("utf-8"),
            method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as reply:  # noqa: S310
                reply.read(1024)
        except OSError as exc:
            log.error("witness %s: checkpoint of %s at %d not delivered: %s", url, name, size, exc)

    return hand_on


def witnesses(directory: str | None, url: str | None) -> Callable[[str, int, str], None] | None:
    chosen = []
    if directory:
        chosen.append(folder_witness(Path(directory)))
    if url:
        chosen.append(http_witness(url))
    if not chosen:
        return None

    def each(name: str, size: int, note: str) -> None:
        for witness in chosen:
            witness(name, size, note)

    return each
