"""A stored file read with random access: pikepdf opens the demo's Ex. 18 straight from
the encrypted store, one segment at a time."""

from __future__ import annotations

import hashlib

import pikepdf
from sqlalchemy import select

from gateway.documents.content import StoredContentFailed, open_plaintext, readables
from gateway.documents.models import Document, DocumentVersion
from gateway.documents.versions import files_of


def _ex18(rt, demo):
    with rt.db.session() as session:
        doc = session.scalar(select(Document).where(Document.bates_begin == "AOL-DEF-00528691"))
        version = session.get(DocumentVersion, doc.current_version_id)
        files = files_of(session, version)
        session.expunge_all()
    return doc, version, files


def test_pikepdf_reads_a_stored_pdf_with_random_access(rt, demo):
    doc, version, files = _ex18(rt, demo)
    from gateway.matters.models import Matter

    with rt.db.session() as session:
        matter = session.get(Matter, demo)
        (readable,) = readables(rt, matter, doc, version, files)
    with open_plaintext(rt, readable) as handle:
        with pikepdf.open(handle) as pdf:
            assert len(pdf.pages) == 17
        handle.seek(0)
        assert hashlib.sha256(handle.read()).hexdigest() == files[0].sha256


def test_a_missing_stored_file_is_said_so(rt, demo):
    doc, version, files = _ex18(rt, demo)
    from gateway.matters.models import Matter

    with rt.db.session() as session:
        matter = session.get(Matter, demo)
        (readable,) = readables(rt, matter, doc, version, files)
    rt.blobs.store.delete(files[0].blob_key)
    try:
        open_plaintext(rt, readable).read()
    except StoredContentFailed as exc:
        assert "missing" in str(exc)
    else:
        raise AssertionError("a missing file was read")
