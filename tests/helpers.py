"""Small helpers for functional tests (not fixtures)."""

from __future__ import annotations

from typing import Any

from gateway.demo import DEMO_PASSWORD

BASE = "https://localhost"


def token_for(client: Any, email: str, password: str = DEMO_PASSWORD) -> str:
    response = client.post(f"{BASE}/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_get(client: Any, token: str, path: str, **params: Any) -> Any:
    return client.get(f"{BASE}/api/v1{path}", headers=auth(token), query_string=params)


def all_bates(client: Any, token: str, matter_id: int, **params: Any) -> list[str]:
    response = api_get(client, token, f"/matters/{matter_id}/documents", per_page=500, **params)
    assert response.status_code == 200, response.get_json()
    return [item["bates_begin"] for item in response.get_json()["items"]]


SAME_ORIGIN = {"Referer": f"{BASE}/"}


def csrf_token(client: Any, url: str) -> str:
    """The CSRF token of the form on the page at ``url``."""
    import re

    page = client.get(url)
    found = re.search(rb'name="csrf_token" value="([^"]+)"', page.data)
    assert found, page.data[:300]
    return found.group(1).decode()


def web_login(client: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    response = client.post(
        f"{BASE}/login",
        headers=SAME_ORIGIN,
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_token(client, f"{BASE}/login"),
        },
    )
    assert response.status_code == 302, response.data[:500]


def pdf_bytes(pages: int, text: str = "uploaded exhibit") -> bytes:
    """A real PDF of ``pages`` pages, so page counts are checked against real files."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=True)
    for number in range(1, pages + 1):
        pdf.drawString(72, 720, f"{text}, page {number}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def tiff_bytes(pages: int) -> bytes:
    """A real multi-page TIFF of ``pages`` pages."""
    import io

    from PIL import Image

    frames = [Image.new("1", (40, 40), color=number % 2) for number in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def web_client(app: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    """A browser of its own, signed in as ``email``."""
    client = app.test_client()
    web_login(client, email, password)
    return client


def web_post(client: Any, path: str, data: dict[str, Any] | None = None) -> Any:
    """A form post from a signed-in page of this site, with the session's CSRF token."""
    token = csrf_token(client, f"{BASE}/notices")
    return client.post(
        f"{BASE}{path}", headers=SAME_ORIGIN, data={**(data or {}), "csrf_token": token}
    )


def page_texts(data: bytes) -> list[str]:
    """The text of every page of a PDF, as pypdfium2 extracts it (invisible text too)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        texts = []
        for page in doc:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


def _content_streams(page: Any) -> list[bytes]:
    import pikepdf

    contents = page.obj.get("/Contents")
    if isinstance(contents, pikepdf.Array):
        return [c.read_raw_bytes() for c in contents]
    return [] if contents is None else [contents.read_raw_bytes()]


def assert_marked_copy(served: bytes, original: bytes, *, email: str | None = None) -> str:
    """``served`` is ``original`` plus a forensic mark and nothing else changed on its
    pages: as many pages, each page's own content streams byte for byte (wrapped in the
    mark's q/Q, followed by the mark's), each page's text still extracted, and one token on
    every page (and the recipient's e-mail, if given). Returns the token."""
    import io

    import pikepdf

    from gateway.pdf.marks import tokens_in

    with pikepdf.open(io.BytesIO(served)) as got, pikepdf.open(io.BytesIO(original)) as was:
        assert len(got.pages) == len(was.pages)
        for mine, theirs in zip(got.pages, was.pages, strict=True):
            streams = _content_streams(mine)
            assert streams[0].strip() == b"q" and streams[1:-1] == _content_streams(theirs)
            assert b"3 Tr" in streams[-1]  # the invisible text of the mark
    tokens = set()
    for mine, theirs in zip(page_texts(served), page_texts(original), strict=True):
        assert theirs.strip() in mine, "the page's own text no longer extracts"
        found = tokens_in(mine)
        assert len(found) == 1, found
        tokens.add(found[0])
        if email is not None:
            assert f"<{email}>" in mine
    assert len(tokens) == 1
    return tokens.pop()


def stored_file(rt: Any, matter_id: int, bates: str, kind: str | None = "original") -> bytes:
    """The newest stored file of the document's version ``kind`` (None: its current
    version), as stored (before any forensic mark), read back through the store's own
    decryption."""
    from sqlalchemy import select

    from gateway.documents.content import open_plaintext, readables
    from gateway.documents.models import Document, DocumentVersion
    from gateway.documents.versions import files_of
    from gateway.matters.models import Matter

    with rt.db.session() as session:
        doc = session.scalars(
            select(Document).where(Document.matter_id == matter_id, Document.bates_begin == bates)
        ).one()
        if kind is None:
            version = session.get(DocumentVersion, doc.current_version_id)
        else:
            version = session.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.document_id == doc.id, DocumentVersion.kind == kind)
                .order_by(DocumentVersion.id.desc())
            ).first()
        files = [f for f in files_of(session, version) if f.role == "native"][:1]
        (readable,) = readables(rt, session.get(Matter, matter_id), doc, version, files)
    with open_plaintext(rt, readable) as handle:
        return handle.read()


def own_text(page_text: str) -> str:
    """A served page's text without the forensic mark's (its line, drawn twice, and the
    invisible token): what the page itself says."""
    import re

    from gateway.pdf.marks import TOKEN

    text = re.sub(
        r"Served to .*? on \d{4}-\d\d-\d\d \d\d:\d\d UTC - " + TOKEN.pattern, "", page_text
    )
    return TOKEN.sub("", text).strip()


def token_seq(rt: Any, matter_id: int, token: str) -> int | None:
    """The ``seq`` of the audit entry a forensic mark's token names (None if it is not
    genuine for the matter): the token seals the entry's log and index, so tests read it
    as the trace does."""
    from sqlalchemy import select

    from gateway.audit.log import split_ref
    from gateway.audit.models import AuditEntry
    from gateway.documents.marking import mark_token_key
    from gateway.matters.models import Matter
    from gateway.pdf.marks import check_token

    with rt.db.session() as session:
        matter = session.get(Matter, matter_id)
        ref = check_token(mark_token_key(rt, matter), matter_id, token)
        if ref is None:
            return None
        log_id, index = split_ref(ref)
        return session.scalar(
            select(AuditEntry.seq).where(AuditEntry.log_id == log_id, AuditEntry.log_index == index)
        )


def log_index(rt: Any, seq: int) -> int:
    """The index of entry ``seq`` in its log: what a served copy's record names."""
    from gateway.audit.models import AuditEntry

    with rt.db.session() as session:
        return session.get(AuditEntry, seq).log_index


def seq_token_in(rt: Any, matter_id: int, seq: int, text: str) -> bool:
    """Whether ``text`` holds a genuine token naming audit entry ``seq``."""
    from gateway.pdf.marks import tokens_in

    return any(token_seq(rt, matter_id, t) == seq for t in tokens_in(text))


def without_csrf(page: bytes) -> bytes:
    """A page with its forms' CSRF tokens blanked: a token is signed with the second it was
    made in, so two pages that are otherwise the same differ there."""
    import re

    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token" value=""', page)
