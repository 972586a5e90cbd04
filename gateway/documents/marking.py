"""Serving a stored PDF with the recipient's forensic mark, while it is sent.

The stored file is read through ``open_plaintext`` (seekable, one segment decrypted at a
time, nothing on disk); pikepdf opens it and the mark is stamped before the response
begins, so a PDF that cannot be marked is refused with an error rather than served bare.
pikepdf then writes the marked copy in a worker thread into a small bounded queue of
chunks that the response takes from: the first bytes leave before the last page is
written, memory holds a few chunks, an error in the worker reaches the response, and the
worker stops when the response is closed (the client went away).

The served copy's SHA-256 is known only once its last byte has gone, after the download's
audit entry was committed: ``record_served`` writes it in a second entry
(``document:served``) when the stream completes, or records the stream as cut.
"""

from __future__ import annotations

import hashlib
import io
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any, BinaryIO, cast

import pikepdf

from gateway.audit.log import entry_ref, split_ref
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import StoredContentFailed, _Readable, open_plaintext
from gateway.documents.models import DocumentFile
from gateway.errors import IntegrityFailure
from gateway.matters.models import Matter
from gateway.matters.service import MatterAccess, matter_key
from gateway.pdf.imprint import MAX_IMAGE_BYTES, UnmarkableImage, mark_page_image
from gateway.pdf.marks import Mark, make_token, mark_key
from gateway.pdf.opening import DEFAULT_LIMITS, Limits, PdfRefused, open_pdf
from gateway.pdf.watermark import save, stamp
from gateway.runtime import Runtime

PDF = "application/pdf"
CHUNK = 256 * 1024  # what the worker hands over at a time
READ_BUFFER = 1 << 20  # one segment
QUEUED = 8  # chunks waiting at most: the memory a slow client can hold up
_POLL = 0.1  # seconds: how often a blocked worker checks that the client is still there
UNMARKED_REASON = (
    "only PDFs and page images carry the mark: a native that is neither (a spreadsheet, "
    "an e-mail) and extracted text are served as they were produced"
)


class UnmarkablePdf(StoredContentFailed):
    """A stored PDF that cannot be served with its mark (encrypted, damaged, too large):
    refused, never served without the mark."""

    what = "the PDF cannot be served with its forensic mark"


class UnmarkableImageFile(StoredContentFailed):
    """A stored page image that cannot be served with its mark: refused, never served
    without it."""

    what = "the page image cannot be served with its forensic mark"


def is_pdf(f: DocumentFile) -> bool:
    return f.media_type == PDF


def is_image(f: DocumentFile) -> bool:
    return f.media_type.startswith("image/")


def markable(f: DocumentFile) -> bool:
    """Served with the recipient's mark: every PDF and every page image."""
    return is_pdf(f) or is_image(f)


def marked_source(
    rt: Runtime, access: MatterAccess, seq: int, f: DocumentFile, readable: _Readable
) -> Callable[[], Iterator[bytes]] | None:
    """The source of ``f`` as served with the mark of download ``seq`` (opened when first
    asked for), or None for a file served as produced."""
    if is_pdf(f):
        return lambda: lazy_marked_chunks(rt, readable, mark_of(rt, access, seq))
    if is_image(f):
        return lambda: iter([marked_image(rt, readable, mark_of(rt, access, seq))])
    return None


def marked_image(rt: Runtime, readable: _Readable, mark: Mark) -> bytes:
    """A stored page image read whole (bounded) and marked in its own format."""
    with open_plaintext(rt, readable) as handle:
        data = handle.read(MAX_IMAGE_BYTES + 1)
    try:
        return mark_page_image(data, mark)
    except UnmarkableImage as exc:
        raise UnmarkableImageFile(readable.document_id, readable.bates, str(exc)) from None


def mark_of(rt: Runtime, access: MatterAccess, entry_seq: int) -> Mark:
    """The mark of the download recorded as audit entry ``entry_seq``."""
    return Mark(
        name=access.user.full_name,
        email=access.user.email,
        at=rt.now(),
        token=make_token(mark_token_key(rt, access.matter), access.matter.id, entry_seq),
    )


def mark_token_key(rt: Runtime, matter: Matter) -> bytes:
    return mark_key(matter_key(rt, matter))


class _Watched(io.RawIOBase):
    """The stored file as pikepdf reads it, remembering a failed integrity check: qpdf may
    report it as a damaged PDF of its own, and it must be reported as what it is."""

    def __init__(self, inner: BinaryIO, readable: _Readable) -> None:
        self.inner = inner
        self.readable_file = readable
        self.failure: StoredContentFailed | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        return self.inner.tell()

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.inner.read(len(buffer))
        except IntegrityFailure as exc:
            # the segment reader's own error: named for the document, and remembered
            self.failure = StoredContentFailed(
                self.readable_file.document_id, self.readable_file.bates, exc.message
            )
            raise self.failure from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


@dataclass
class _Stamped:
    pdf: pikepdf.Pdf
    handle: _Watched
    document_id: int
    bates: str


def _open_stamped(rt: Runtime, readable: _Readable, mark: Mark, limits: Limits) -> _Stamped:
    handle = _Watched(open_plaintext(rt, readable), readable)
    opened = False
    try:
        try:
            # buffered in C: qpdf's many small reads never reach Python code
            pdf = open_pdf(io.BufferedReader(handle, READ_BUFFER), limits)
        except PdfRefused as refused:
            if handle.failure is not None:
                raise handle.failure from None
            raise UnmarkablePdf(readable.document_id, readable.bates, refused.reason) from None
        try:
            stamp(pdf, mark)
        except (pikepdf.PdfError, ValueError, TypeError):
            pdf.close()
            raise UnmarkablePdf(
                readable.document_id, readable.bates, "the PDF's pages could not be stamped"
            ) from None
        opened = True
    finally:
        if not opened:
            handle.close()
    return _Stamped(pdf, handle, readable.document_id, readable.bates)


def limits_of(rt: Runtime) -> Limits:
    """What a PDF the gateway changes may be: at most PDF_MAX_PAGES pages, and so on."""
    return replace(DEFAULT_LIMITS, max_pages=int(rt.settings.get("PDF_MAX_PAGES", 5_000)))


def marked_chunks(rt: Runtime, readable: _Readable, mark: Mark) -> Iterator[bytes]:
    """The marked PDF as chunks. The file is opened and stamped now (``UnmarkablePdf`` or
    ``StoredContentFailed`` before the first byte), written when the chunks are taken."""
    return _sent(_open_stamped(rt, readable, mark, limits_of(rt)))


def lazy_marked_chunks(rt: Runtime, readable: _Readable, mark: Mark) -> Iterator[bytes]:
    """As ``marked_chunks``, opened only when the first chunk is asked for (a ZIP member)."""
    yield from marked_chunks(rt, readable, mark)


class _Cancelled(Exception):
    """The response was closed: the worker stops writing."""


class _Pipe:
    """What pikepdf writes the marked copy to: whole chunks go on the bounded queue."""

    def __init__(self, chunks: queue.Queue[object], cancelled: threading.Event) -> None:
        self.chunks = chunks
        self.cancelled = cancelled
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.put(bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def flush(self) -> None:
        pass

    def seek(self, *_args: object) -> int:  # pikepdf wants a stream-like object
        raise OSError("not seekable")

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def put(self, item: object) -> None:
        while True:
            if self.cancelled.is_set():
                raise _Cancelled()
            with suppress(queue.Full):
                self.chunks.put(item, timeout=_POLL)
                return


_DONE = object()


def _sent(stamped: _Stamped) -> Iterator[bytes]:
    chunks: queue.Queue[object] = queue.Queue(maxsize=QUEUED)
    cancelled = threading.Event()
    pipe = _Pipe(chunks, cancelled)

    def write() -> None:
        try:
            save(stamped.pdf, cast(BinaryIO, pipe))
            if pipe.buffer:
                pipe.put(bytes(pipe.buffer))
            pipe.put(_DONE)
        except _Cancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the response, which raises it
            with suppress(_Cancelled):
                pipe.put(exc)
        finally:
            stamped.pdf.close()
            stamped.handle.close()

    worker = threading.Thread(target=write, name="pogw-mark", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise stamped.handle.failure or _failure(item, stamped)
            assert isinstance(item, bytes)
            yield item
    finally:
        cancelled.set()
        while worker.is_alive():
            with suppress(queue.Empty):
                chunks.get(timeout=_POLL)
        worker.join()


def _failure(exc: BaseException, source: _Readable | _Stamped) -> StoredContentFailed:
    """The worker's error as the response reports it: a stored file that failed its check
    (which pikepdf may carry as the cause of its own error), else an unmarkable PDF."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, StoredContentFailed):
            return seen
        seen = seen.__cause__ or seen.__context__
    return UnmarkablePdf(
        source.document_id, source.bates, "the PDF could not be written with its mark"
    )


def record_served(
    rt: Runtime,
    access: MatterAccess,
    download: AuditEntry | int,
    *,
    document_id: int,
    bates: str,
    chunks: Iterator[bytes],
    watermarked: bool,
    extra: dict[str, Any] | None = None,
) -> Iterator[bytes]:
    """``chunks`` passed through; when the last has gone, a ``document:served`` entry with
    the SHA-256 and size of exactly what was sent, or, if the stream was cut, an entry
    saying so. A stored file failing its check is recorded by the abort instead."""
    ref = download if isinstance(download, int) else entry_ref(download)
    digest, size = hashlib.sha256(), 0
    # the download named by its index in the log both entries are in (the same side's)
    index = split_ref(ref)[1]
    details: dict[str, Any] = {"download": index, "watermarked": watermarked, **(extra or {})}
    if not watermarked:
        details["reason"] = UNMARKED_REASON
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            yield chunk
    except StoredContentFailed:
        raise
    except BaseException:
        _served_entry(rt, access, document_id, bates, Outcome.FAILED, details, size, None)
        raise
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    _served_entry(rt, access, document_id, bates, Outcome.ALLOWED, details, size, digest)


def _served_entry(
    rt: Runtime,
    access: MatterAccess,
    document_id: int,
    bates: str,
    outcome: Outcome,
    details: dict[str, Any],
    size: int,
    digest: Any,
) -> None:
    if digest is None:
        details = {**details, "bytes_sent": size}
        reason = "the stream was cut before its end (the client went away or it failed)"
    else:
        details = {**details, "sha256": digest.hexdigest(), "size": size}
        reason = ""
    # an entry of its own, committed with the others that are waiting (group commit)
    rt.record(
        access.event(
            Tag.DOCUMENT_SERVED,
            outcome,
            reason=reason,
            document_id=document_id,
            bates=bates,
            details=details,
        )
    )
