"""View-only pages: one page of a document shown as an image with the viewer's mark burned in.

Whoever the policy allows ``document:render`` (a deposition witness, or any role a matter's
order names) or ``document:download`` may see a document's pages here, one at a time, in
the version that user is served. The file itself never leaves: a page is rendered from the
stored PDF or page image (decrypted one segment at a time, never to disk), at a bounded
resolution, and the forensic mark is burned into its pixels.

Two audit entries record each page shown. The first (``document:page_view``) is written
with the checks, before anything is decrypted; it is what the page's token names (by its
log and index), so it must exist before the image can. The second
(``document:page_served``) is written once the image exists and records its token and
SHA-256: a leaked screenshot leads to the first by its token, a saved PNG to the second by
its hash. A page that fails to render is recorded as aborted instead, and the user is told.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.events import AuditEvent
from gateway.audit.log import entry_ref, split_ref
from gateway.audit.tags import Outcome, Tag
from gateway.documents.content import (
    StoredContentFailed,
    _Readable,
    open_plaintext,
    readables,
)
from gateway.documents.models import Document, DocumentFile, DocumentVersion
from gateway.documents.natives import PDF, pageless_native, slip_for
from gateway.documents.rebranding import BrandingFailed, is_stale, rebrand
from gateway.documents.service import find_document, refuse_hidden
from gateway.documents.versions import designation_of, files_of, served_version
from gateway.documents.visibility import LIST, PAGES, RENDER, visible_clause
from gateway.errors import Conflict, Forbidden, GatewayError, NotFound
from gateway.matters.service import MatterAccess, matter_key, require_acknowledged, resolve_access
from gateway.pdf.imprint import imprint
from gateway.pdf.marks import Mark, make_token, mark_key
from gateway.pdf.raster import Unrenderable, render_image_page, render_pdf_page
from gateway.runtime import Refused, Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class PageInfo:
    """What the page around the image shows: which page of how many, under which legend."""

    bates: str
    page: int
    pages: int
    version: str
    legend: str


@dataclass(frozen=True)
class PageImage:
    png: bytes
    token: str
    sha256: str
    info: PageInfo


@dataclass(frozen=True)
class _Source:
    """Where page ``page`` comes from: a stored file (the page ``index`` of a PDF, or frame
    ``index`` of an image), or the slip sheet of a native without pages."""

    file: DocumentFile | None
    index: int
    slip: bytes | None = None


@dataclass(frozen=True)
class _Allowed:
    access: MatterAccess
    doc: Document
    version: DocumentVersion
    info: PageInfo
    source: _Source


class _Stale(Exception):
    """The page files carry a legend their version no longer has: re-brand them first."""

    def __init__(self, doc_id: int, event: AuditEvent) -> None:
        super().__init__("stale branding")
        self.doc_id = doc_id
        self.event = event  # the refusal's, if the pages cannot be re-branded


def _fresh(rt: Runtime, matter_id: int, attempt: Callable[[bool], T]) -> T:
    """``attempt``, after re-branding pages still carrying an old legend (as a download
    does): a page is never shown under a legend its version no longer has."""
    try:
        return attempt(False)
    except _Stale as stale:
        try:
            rebrand(rt, matter_id, [stale.doc_id])
        except BrandingFailed as failed:
            with rt.transaction():
                raise Refused(failed, stale.event) from None
        except StoredContentFailed as failure:
            log.error("page view aborted: a stored file failed its integrity check")
            unreadable = Conflict(
                "the page cannot be shown now: a stored file failed its integrity check; "
                "the gateway's operator has been told"
            )
            aborted = stale.event.with_(
                outcome=Outcome.ABORTED,
                reason=f"stored file failed its integrity check: {failure.message}"[:300],
            )
            with rt.transaction():
                raise Refused(unreadable, aborted) from None
    return attempt(True)


def page_info(
    rt: Runtime, user: User, matter_id: int, bates: str, page: int, *, address: str
) -> PageInfo:
    """The checks of ``render_page`` without rendering (for the page that holds the image);
    a refusal is audited, an allowed look is not: the image is what shows the page."""

    def attempt(rebranded: bool) -> PageInfo:
        with rt.transaction() as session:
            access = resolve_access(rt, session, user, matter_id, address=address)
            return _allow(rt, session, access, bates, page, rebranded).info

    return _fresh(rt, matter_id, attempt)


def render_page(
    rt: Runtime, user: User, matter_id: int, bates: str, page: int, *, address: str
) -> PageImage:
    def attempt(rebranded: bool) -> PageImage:
        return _render_page(rt, user, matter_id, bates, page, address, rebranded)

    return _fresh(rt, matter_id, attempt)


def _render_page(
    rt: Runtime,
    user: User,
    matter_id: int,
    bates: str,
    page: int,
    address: str,
    rebranded: bool,
) -> PageImage:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        allowed = _allow(rt, session, access, bates, page, rebranded)
        entry = rt.audit(
            session,
            access.event(
                Tag.DOCUMENT_PAGE_VIEW,
                Outcome.ALLOWED,
                document_id=allowed.doc.id,
                bates=allowed.doc.bates_begin,
                details={"page": page, "version": allowed.version.kind},
            ),
        )
        seq, at = entry_ref(entry), entry.at
        keys = _keys(rt, allowed)
    token = make_token(mark_key(matter_key(rt, access.matter)), access.matter.id, seq)
    mark = Mark(name=user.full_name, email=user.email, at=at, token=token)
    try:
        png = imprint(_render(rt, allowed.source, keys), mark)
    except (StoredContentFailed, Unrenderable) as failure:
        _aborted(rt, allowed, page, seq, failure)
        raise Conflict(
            f"page {page} of document {bates} cannot be shown now: "
            f"{_reason(failure)}; the gateway's operator has been told"
        ) from None
    digest = hashlib.sha256(png).hexdigest()
    with rt.transaction() as session:
        rt.audit(
            session,
            access.event(
                Tag.DOCUMENT_PAGE_SERVED,
                Outcome.ALLOWED,
                document_id=allowed.doc.id,
                bates=allowed.doc.bates_begin,
                details={"page": page, "token": token, "sha256": digest, "bytes": len(png)},
            ),
        )
    return PageImage(png=png, token=token, sha256=digest, info=allowed.info)


# --- the checks -----------------------------------------------------------------------------


def _allow(
    rt: Runtime, session: Session, access: MatterAccess, bates: str, page: int, rebranded: bool
) -> _Allowed:
    tag = Tag.DOCUMENT_PAGE_VIEW
    require_acknowledged(access, tag)
    doc = find_document(session, access, bates, visible_clause(access, PAGES))
    if doc is None:
        listed = find_document(session, access, bates, visible_clause(access, LIST))
        if listed is None:
            raise refuse_hidden(session, rt, access, bates, tag, RENDER)
        raise _refuse(access, listed, _not_shown(bates, listed), f"state {listed.state}")
    version = served_version(session, access, doc, PAGES)
    if version is None:  # the clause above found one: only a concurrent change gets here
        raise refuse_hidden(session, rt, access, bates, tag, RENDER)
    files = files_of(session, version)
    if is_stale(doc, version, files):
        if rebranded:  # re-branded a moment ago, and changed again since
            raise _refuse(
                access, doc, Conflict(f"document {bates} changed while shown: try again"), "stale"
            )
        raise _Stale(doc.id, _refusal(access, doc, "legend not re-branded"))
    pages = _page_count(doc, version, files)
    if not 1 <= page <= pages:
        raise _refuse(
            access,
            doc,
            NotFound(f"document {bates} has no page {page}: its pages are 1 to {pages}"),
            f"no page {page} of {pages}",
        )
    source = _source(access, doc, version, files, page)
    if source is None:
        raise _refuse(access, doc, NotFound(f"document {bates} has no page to show"), "no file")
    legends = {tier.code: tier.legend for tier in access.policy.tiers}
    designation = designation_of(doc, version)
    info = PageInfo(bates, page, pages, version.kind, legends.get(designation, designation))
    return _Allowed(access, doc, version, info, source)


def _not_shown(bates: str, listed: Document) -> Forbidden:
    # the user may see this document's slip sheet, so saying why is no leak
    if listed.state in ("sequestered", "withdrawn", "replaced"):
        return Forbidden(f"document {bates} is {listed.state}: its pages cannot be shown")
    return Forbidden(f"the pages of document {bates} are not shown to you under your role")


def _refuse(access: MatterAccess, doc: Document, error: GatewayError, why: str) -> Refused:
    return Refused(error, _refusal(access, doc, why))


def _refusal(access: MatterAccess, doc: Document, why: str) -> AuditEvent:
    return access.event(
        Tag.DOCUMENT_PAGE_VIEW,
        Outcome.DENIED,
        bates=doc.bates_begin,
        document_id=doc.id,
        reason=why,
    )


def _page_count(doc: Document, version: DocumentVersion, files: list[DocumentFile]) -> int:
    if not _images(files) and not _pdf(files) and pageless_native(files) is not None:
        return 1  # its slip sheet
    return version.page_count or doc.page_count


def _images(files: list[DocumentFile]) -> list[DocumentFile]:
    return [f for f in files if f.role == "image" and f.page_no is not None]


def _pdf(files: list[DocumentFile]) -> DocumentFile | None:
    return next((f for f in files if f.role == "native" and f.media_type == PDF), None)


def _source(
    access: MatterAccess,
    doc: Document,
    version: DocumentVersion,
    files: list[DocumentFile],
    page: int,
) -> _Source | None:
    """Page images first (they are the pages as produced, Bates-stamped), then a PDF
    native, then, for a native without pages, its slip sheet."""
    images = [f for f in _images(files) if (f.page_no or 0) <= page]
    if images:
        first = max(images, key=lambda f: f.page_no or 0)  # a multi-page image holds the rest
        return _Source(first, page - (first.page_no or 0))
    pdf = _pdf(files)
    if pdf is not None:
        return _Source(pdf, page - 1)
    native = pageless_native(files)
    if native is not None and page == 1:
        slip = slip_for(access, doc, version, native)
        return _Source(None, 0, slip)
    return None


# --- rendering ------------------------------------------------------------------------------


def _keys(rt: Runtime, allowed: _Allowed) -> list[_Readable]:
    source = allowed.source
    if source.file is None:
        return []
    access, doc, version = allowed.access, allowed.doc, allowed.version
    return readables(rt, access.matter, doc, version, [source.file])


def _render(rt: Runtime, source: _Source, keys: list[_Readable]) -> Image.Image:
    if source.slip is not None:
        return render_pdf_page(io.BytesIO(source.slip), 1)
    assert source.file is not None  # a source is a file or a slip sheet
    with open_plaintext(rt, keys[0]) as handle:
        if source.file.media_type == PDF:
            return render_pdf_page(handle, source.index + 1)
        return render_image_page(handle, source.index)


def _reason(failure: StoredContentFailed | Unrenderable) -> str:
    if isinstance(failure, Unrenderable):
        return failure.reason
    return "a stored file failed its integrity check"


def _aborted(
    rt: Runtime,
    allowed: _Allowed,
    page: int,
    seq: int,
    failure: StoredContentFailed | Unrenderable,
) -> None:
    with rt.db.session() as session:
        rt.audit(
            session,
            allowed.access.event(
                Tag.DOCUMENT_PAGE_VIEW,
                Outcome.ABORTED,
                reason=_reason(failure),
                document_id=allowed.doc.id,
                bates=allowed.doc.bates_begin,
                details={"page": page, "entry": split_ref(seq)[1]},
            ),
        )
    # names no document: which documents a party opens is that party's work product
    log.error(
        "page view aborted: %s; matter %s, audit entry %s names it",
        _reason(failure),
        allowed.access.matter.id,
        seq,
    )
