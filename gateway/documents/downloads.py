"""Serving documents: authorize, audit (committed), and only then hand back the stream.

The stream is built after the transaction has ended: its data keys are unwrapped and its
first file opened and checked before the response begins (``aborts.start``), so that a
stored file failing its integrity check there is answered with an error.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial

import pikepdf
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.events import AuditEvent
from gateway.audit.log import entry_ref
from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.documents.aborts import Serving, start, unservable
from gateway.documents.content import (
    Served,
    StoredContentFailed,
    _Readable,
    document_stream,
    readables,
    served_name,
    volume_stream,
)
from gateway.documents.marking import (
    PDF,
    UNMARKED_REASON,
    is_pdf,
    mark_of,
    markable,
    marked_chunks,
    marked_source,
    record_served,
)
from gateway.documents.models import Document, DocumentFile, DocumentVersion, Production
from gateway.documents.natives import (
    Form,
    download_form,
    pageless_native,
    slip_for,
    without_withheld,
)
from gateway.documents.rebranding import BrandingFailed, is_stale, rebrand_versions
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.versions import files_of, served_version, served_versions
from gateway.documents.visibility import DOWNLOAD, LIST, NATIVE, visible_clause
from gateway.errors import Conflict, Forbidden, NotFound
from gateway.matters.service import MatterAccess, require_acknowledged, resolve_access
from gateway.pdf.watermark import save, stamp
from gateway.runtime import Refused, Runtime

Download = Served


def _form(session: Session, access: MatterAccess, doc: Document, version: DocumentVersion) -> Form:
    """The native if there is one (one without pages only where the policy allows natives
    on this version), else the page images (served as a ZIP), else a slip sheet."""
    files = files_of(session, version)
    allowed = False
    if pageless_native(files) is not None:
        native_version = served_version(session, access, doc, NATIVE)
        allowed = native_version is not None and native_version.id == version.id
    return download_form(files, native_allowed=allowed)


def _slip(
    rt: Runtime,
    access: MatterAccess,
    doc: Document,
    version: DocumentVersion,
    native: DocumentFile,
    seq: int,
) -> Served:
    """The slip sheet served in place of ``native``, with the mark of download ``seq`` as
    any PDF served carries it (its SHA-256 is recorded as served, as theirs is)."""
    data = slip_for(access, doc, version, native)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stamp(pdf, mark_of(rt, access, seq))
        out = io.BytesIO()
        save(pdf, out)
    marked = out.getvalue()
    served = Served(f"{doc.bates_begin}.pdf", PDF, len(marked), iter([marked]))
    chunks = record_served(
        rt,
        access,
        seq,
        document_id=doc.id,
        bates=doc.bates_begin,
        chunks=served.chunks,
        watermarked=True,
    )
    return replace(served, chunks=chunks)


def _refuse_slip_only(
    access: MatterAccess, bates: str, listed: Document, tag: Tag = Tag.DOCUMENT_DOWNLOAD
) -> Refused:
    # the user may see this document's slip sheet, so saying why is no leak
    if listed.state in ("sequestered", "withdrawn"):
        why = f"document {bates} is {listed.state}: it cannot be downloaded"
    else:
        why = f"document {bates} may be shown to you, not downloaded, under your role"
    return Refused(
        Forbidden(why),
        access.event(
            tag,
            Outcome.DENIED,
            bates=bates,
            document_id=listed.id,
            reason=f"state {listed.state}",
        ),
    )


def _audit_download(
    rt: Runtime,
    session: Session,
    access: MatterAccess,
    doc: Document,
    version: DocumentVersion,
    files: list[DocumentFile],
    volume: str | None = None,
    tag: Tag = Tag.DOCUMENT_DOWNLOAD,
    withheld: dict[str, object] | None = None,
) -> AuditEntry:
    """The download's audit entry (an export's per-download changes name it; its ``seq``
    is the token of the mark the served copy carries). Each file says whether it is served
    marked (a PDF served as itself: alone, or in a volume) or why not; a HEAD sends
    nothing, so marks nothing."""
    details: dict[str, object] = {
        "version": version.kind,
        "files": [
            {"name": f.file_name, "sha256": f.sha256, "watermarked": marked}
            | ({} if marked else {"unmarked": UNMARKED_REASON})
            for f in files
            for marked in [markable(f) and tag != Tag.DOCUMENT_HEAD]
        ],
    }
    if volume:
        details["volume"] = volume
    if withheld:
        details["native_withheld"] = withheld
    return rt.audit(
        session,
        access.event(
            tag,
            Outcome.ALLOWED,
            document_id=doc.id,
            bates=doc.bates_begin,
            details=details,
        ),
    )


class _Stale(Exception):
    """The files to serve carry a legend their version no longer has: re-brand first."""

    def __init__(
        self,
        targets: list[tuple[int, int]],
        event: AuditEvent | None = None,
        serving: Serving | None = None,
    ) -> None:
        super().__init__("stale branding")
        self.targets = targets  # (document id, version id) of the versions to serve
        # taken while the session was open: the refusal's entry is written after it
        self.event = event
        self.serving = serving


def download_document(
    rt: Runtime, user: User, matter_id: int, bates: str, *, address: str, head: bool = False
) -> Served:
    """``head``: only the file's name, type and size are wanted (HTTP HEAD), audited as
    that; the caller sends no byte of the stream.

    A re-designated document whose pages still carry the old legend is re-branded first
    (``gateway.documents.rebranding``); if that cannot be done it is not served."""
    try:
        return _download_document(rt, user, matter_id, bates, address=address, head=head)
    except _Stale as stale:
        refusal = stale.event
        assert refusal is not None  # a document's refusal, taken while its session was open
        try:
            rebrand_versions(rt, matter_id, stale.targets)
        except BrandingFailed as failed:
            with rt.transaction():
                raise Refused(failed, refusal.with_(reason="legend not re-branded")) from None
        except StoredContentFailed as failure:  # the pages to re-brand fail their check
            assert stale.serving is not None
            raise unservable(rt, refusal, failure, stale.serving) from None
    return _download_document(
        rt, user, matter_id, bates, address=address, head=head, rebranded=True
    )


def _download_document(
    rt: Runtime,
    user: User,
    matter_id: int,
    bates: str,
    *,
    address: str,
    head: bool,
    rebranded: bool = False,
) -> Served:
    tag = Tag.DOCUMENT_HEAD if head else Tag.DOCUMENT_DOWNLOAD
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, tag)
        doc = find_document(session, access, bates, visible_clause(access, DOWNLOAD))
        if doc is None:
            listed = find_document(session, access, bates, visible_clause(access, LIST))
            if listed is None:
                raise refuse_hidden(session, rt, access, bates, tag, DOWNLOAD)
            raise _refuse_slip_only(access, bates, listed, tag)
        version = served_version(session, access, doc, DOWNLOAD)
        form = _form(session, access, doc, version) if version is not None else Form([])
        files = form.files
        if (not files and form.withheld is None) or version is None:
            raise Refused(
                NotFound(f"document {bates} has no file to serve"),
                access.event(
                    tag,
                    Outcome.DENIED,
                    bates=bates,
                    document_id=doc.id,
                    reason="no file",
                ),
            )
        if is_stale(doc, version, files):
            event = access.event(tag, Outcome.DENIED, bates=bates, document_id=doc.id)
            if rebranded:  # re-branded a moment ago, and changed again since
                raise Refused(Conflict(f"document {bates} changed while served: try again"), event)
            raise _Stale([(doc.id, version.id)], event, Serving(tag, f"document {bates}"))
        withheld: dict[str, object] | None = None
        if not files and form.withheld is not None:
            withheld = {"name": form.withheld.file_name, "served": "slip sheet"}
            entry = _audit_download(
                rt, session, access, doc, version, [], tag=tag, withheld=withheld
            )
            return _slip(rt, access, doc, version, form.withheld, entry_ref(entry))
        if form.withheld is not None:
            withheld = {"name": form.withheld.file_name, "served": "page images"}
        seq = entry_ref(
            _audit_download(rt, session, access, doc, version, files, tag=tag, withheld=withheld)
        )
    if head:
        return _head(rt, access, doc, version, files, bates, tag)
    served = start(
        rt,
        access,
        lambda: _document(rt, access, doc, version, files, seq),
        Serving(tag, f"document {bates}"),
    )
    return replace(
        served,
        chunks=record_served(
            rt,
            access,
            seq,
            document_id=doc.id,
            bates=doc.bates_begin,
            chunks=served.chunks,
            watermarked=all(markable(f) for f in files),
        ),
    )


def _head(
    rt: Runtime,
    access: MatterAccess,
    doc: Document,
    version: DocumentVersion,
    files: list[DocumentFile],
    bates: str,
    tag: Tag,
) -> Served:
    """HEAD: the served file's name and type, and its size unless it is a PDF (a marked
    copy's length is known only once written); the first file is checked as for a GET."""
    served = start(
        rt,
        access,
        lambda: document_stream(
            rt, access.matter, doc, files, readables(rt, access.matter, doc, version, files)
        ),
        Serving(tag, f"document {bates}"),
    )
    return replace(served, size=None) if any(markable(f) for f in files) else served


def _document(
    rt: Runtime,
    access: MatterAccess,
    doc: Document,
    version: DocumentVersion,
    files: list[DocumentFile],
    seq: int,
) -> Served:
    """The document's file as served: a single PDF with the mark of download ``seq``
    (opened and stamped now); page images, and PDFs in a ZIP of its files, each marked too;
    anything else as it was produced."""
    keys = readables(rt, access.matter, doc, version, files)
    if len(files) == 1 and is_pdf(files[0]):
        chunks = marked_chunks(rt, keys[0], mark_of(rt, access, seq))
        return Served(served_name(doc, files[0]), PDF, None, chunks)
    return document_stream(
        rt,
        access.matter,
        doc,
        files,
        keys,
        lambda _doc, f, readable: marked_source(rt, access, seq, f, readable),
    )


def volume_documents(
    session: Session, access: MatterAccess, volume: str, tag: Tag
) -> tuple[Production, list[Document]]:
    """The volume and its documents the user may download, in Bates order; NotFound
    (audited under ``tag``) when there is no such volume or nothing in it to download.
    Both queries run whether or not the volume exists, so that a volume of hidden documents
    and a missing volume cost the same (the time taken must not tell)."""
    production = session.scalar(
        select(Production).where(
            Production.matter_id == access.matter.id, Production.volume == volume
        )
    )
    docs = list(
        session.scalars(
            select(Document)
            .join(Production, Document.production_id == Production.id)
            .where(
                Production.matter_id == access.matter.id,
                Production.volume == volume,
                visible_clause(access, DOWNLOAD),
            )
            .order_by(Document.bates_prefix, Document.bates_begin_no)
        )
    )
    if production is None or not docs:
        raise Refused(
            NotFound("no such production volume in this matter"),
            access.event(
                tag,
                Outcome.DENIED,
                reason="no such volume" if production is None else "nothing downloadable",
                details={"volume": volume[:100]},
            ),
        )
    return production, docs


def download_volume(
    rt: Runtime, user: User, matter_id: int, volume: str, *, address: str
) -> Served:
    """Every document of the volume the user may download; those whose pages cannot carry
    their new legend (``download_document``) are left out, and the volume's entry says
    how many."""
    try:
        return _download_volume(rt, user, matter_id, volume, address=address)
    except _Stale as stale:
        try:
            rebrand_versions(rt, matter_id, stale.targets)
        except (BrandingFailed, StoredContentFailed):
            pass  # every one was tried; each that failed is left out below
    return _download_volume(rt, user, matter_id, volume, address=address, rebranded=True)


def _download_volume(
    rt: Runtime, user: User, matter_id: int, volume: str, *, address: str, rebranded: bool = False
) -> Served:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        require_acknowledged(access, Tag.VOLUME_DOWNLOAD)
        production, docs = volume_documents(session, access, volume, Tag.VOLUME_DOWNLOAD)
        servable: list[tuple[Document, DocumentVersion, list[DocumentFile]]] = []
        stale: list[tuple[int, int]] = []
        left_out: list[str] = []
        withheld_by_doc: dict[int, dict[str, object]] = {}
        versions = served_versions(session, access, [d.id for d in docs], DOWNLOAD)
        natives = served_versions(session, access, [d.id for d in docs], NATIVE)
        for doc in docs:
            version = versions.get(doc.id)
            # images, native and text: all a platform loads
            files = files_of(session, version) if version is not None else []
            if version is not None:
                allowed = natives.get(doc.id)
                files, withheld = without_withheld(
                    files, native_allowed=allowed is not None and allowed.id == version.id
                )
                if withheld is not None:
                    withheld_by_doc[doc.id] = withheld
            if not files or version is None:
                continue
            if is_stale(doc, version, files):
                stale.append((doc.id, version.id))
                left_out.append(doc.bates_begin)
                continue
            servable.append((doc, version, files))
        if stale and not rebranded:
            raise _Stale(stale)
        withheld_bates = [d.bates_begin for d in docs if d.id in withheld_by_doc]
        if not servable:
            raise Refused(
                NotFound(
                    f"nothing in production volume {volume} can be downloaded by you"
                    + (
                        f": the order withholds the natives of {len(withheld_bates)} of its "
                        "documents from you (a download of each serves its slip sheet)"
                        if withheld_bates
                        else ""
                    )
                ),
                access.event(
                    Tag.VOLUME_DOWNLOAD,
                    Outcome.DENIED,
                    reason="nothing downloadable",
                    details={"volume": volume[:100], "native_withheld": withheld_bates[:100]},
                ),
            )
        seqs: dict[int, int] = {}
        for doc, version, files in servable:
            seqs[doc.id] = entry_ref(
                _audit_download(
                    rt,
                    session,
                    access,
                    doc,
                    version,
                    files,
                    volume=volume,
                    withheld=withheld_by_doc.get(doc.id),
                )
            )
        details: dict[str, object] = {"volume": volume, "documents": len(servable)}
        if left_out:
            # the user's own side's entry: it may name them
            details["left_out_not_rebranded"] = left_out[:100]
        if withheld_bates:
            # natives (and their text) the order withholds from this user: left out
            details["native_withheld"] = withheld_bates[:100]
        rt.audit(session, access.event(Tag.VOLUME_DOWNLOAD, Outcome.ALLOWED, details=details))

    def build() -> Served:
        entries = [
            (doc, version, files, readables(rt, access.matter, doc, version, files))
            for doc, version, files in servable
        ]
        return volume_stream(
            rt, production, entries, partial(_marked_member, rt, access, seqs, volume)
        )

    order = tuple(doc.id for doc, _version, _files in servable)
    return start(
        rt,
        access,
        build,
        Serving(Tag.VOLUME_DOWNLOAD, f"production volume {volume}", {"volume": volume}, order),
    )


def _marked_member(
    rt: Runtime,
    access: MatterAccess,
    seqs: dict[int, int],
    volume: str,
    doc: Document,
    f: DocumentFile,
    readable: _Readable,
) -> Callable[[], Iterator[bytes]] | None:
    """A volume's PDF or page image member as served: marked for its own download entry,
    opened when the ZIP reaches it, and its served copy recorded when it has gone whole."""
    seq = seqs[doc.id]
    source = marked_source(rt, access, seq, f, readable)
    if source is None:
        return None
    marked = source

    def chunks() -> Iterator[bytes]:
        return record_served(
            rt,
            access,
            seq,
            document_id=doc.id,
            bates=doc.bates_begin,
            chunks=marked(),
            watermarked=True,
            extra={"volume": volume, "file": f.file_name},
        )

    return chunks
