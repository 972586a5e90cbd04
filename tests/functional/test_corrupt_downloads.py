"""A stored file that fails its integrity check while being served (issue 7, item 4).

Before the first byte the user gets the JSON error shape (409); after it the stream is
cut. Either way a follow-up audit entry records the download as aborted, and the operator
reads a log line that names no document.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import os
import time
import zipfile
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from gateway.audit.models import AuditEntry
from gateway.crypto.segments import DEFAULT_SEGMENT_SIZE, HEADER_SIZE, TAG_SIZE
from gateway.demo import DEMO_PASSWORD
from gateway.documents.ingest import count_rows
from gateway.documents.models import Document, DocumentFile
from gateway.errors import IntegrityFailure
from tests.functional.test_downloads import _ingest_big
from tests.functional.test_workers import (
    _call,
    server,  # noqa: F401 - the gunicorn fixture
)
from tests.helpers import BASE, auth, token_for

BIG = "BIG-00000001"
VOLUME = "AOL-DEF-VOL001"
SEGMENT = DEFAULT_SEGMENT_SIZE + TAG_SIZE
LOGGER = "gateway.documents.aborts"


def _blob_path(rt, blob_key):
    return rt.settings["INSTANCE_PATH"] / "blobs" / f"{blob_key}.blob"


def _corrupt(rt, blob_key, offset):
    path = _blob_path(rt, blob_key)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _blob_keys(rt, bates):
    with rt.db.session() as session:
        return list(
            session.scalars(
                select(DocumentFile.blob_key)
                .join(Document, Document.current_version_id == DocumentFile.version_id)
                .where(Document.bates_begin == bates)
                .order_by(DocumentFile.role, DocumentFile.page_no)
            )
        )


def _state(rt):
    """Everything but the audit trail: rows of every table and every blob key."""
    with rt.db.session() as session:
        rows = {k: v for k, v in count_rows(session).items() if "audit" not in k}
    return rows, sorted(rt.blobs.store.iter_keys())


def _latest(rt, n=2):
    with rt.db.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(n))
        return [(e.tag, e.outcome, e.bates, e.reason, json.loads(e.details)) for e in entries][::-1]


def _entries(rt):
    with rt.db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry))


def _content(client, token, demo, bates, **kwargs):
    return client.get(
        f"{BASE}/api/v1/matters/{demo}/documents/{bates}/content", headers=auth(token), **kwargs
    )


def _drain(response):
    """Bytes received before the stream broke off, and the error that cut it (or None)."""
    received = bytearray()
    try:
        for chunk in response.response:
            received += chunk
    except IntegrityFailure as cut:
        return bytes(received), cut
    return bytes(received), None


def _operator_lines(caplog, *secrets):
    """The abort's log lines; no log line of the request names the document."""
    for record in caplog.records:
        text = record.getMessage()
        for secret in secrets:
            assert secret not in text, f"a log line names {secret!r}: {text}"
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


@pytest.fixture
def big(client, demo, rt, tmp_path):
    _ingest_big(rt, demo, tmp_path, 3 * DEFAULT_SEGMENT_SIZE)
    (blob_key,) = _blob_keys(rt, BIG)
    return blob_key


def test_first_segment_fails_before_the_first_byte(client, demo, rt, big, caplog):
    counsel = token_for(client, "counsel@plaintiffs.example")
    _corrupt(rt, big, HEADER_SIZE + 10)
    before, entries = _state(rt), _entries(rt)
    with caplog.at_level(logging.INFO):
        response = _content(client, counsel, demo, BIG)
    assert response.status_code == 409 and response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and "integrity" in error["message"]
    assert bytes(range(16)) not in response.data, "no content reached the user"
    assert _state(rt) == before and _entries(rt) == entries + 2
    allowed, aborted = _latest(rt)
    assert allowed[:3] == ("document:download", "allowed", BIG)
    assert aborted[:3] == ("document:download", "aborted", BIG)
    assert "failed authentication (segment 0)" in aborted[3]
    assert aborted[4] == {"stage": "before the first byte", "bytes_sent": 0}
    (line,) = _operator_lines(caplog, BIG, big, "/content", "BIG.dat")
    assert "download aborted before the first byte" in line and "segment 0" in line


def test_a_later_segment_cuts_the_stream(client, demo, rt, big, caplog):
    counsel = token_for(client, "counsel@plaintiffs.example")
    _corrupt(rt, big, HEADER_SIZE + SEGMENT + 10)  # inside the second of three segments
    before = _state(rt)
    with caplog.at_level(logging.INFO):
        response = _content(client, counsel, demo, BIG, buffered=False)
        assert response.status_code == 200
        received, cut = _drain(response)
    assert cut is not None, "the stream ended as if it were whole"
    assert len(received) == DEFAULT_SEGMENT_SIZE < int(response.headers["Content-Length"])
    assert _state(rt) == before
    allowed, aborted = _latest(rt)
    assert allowed[:2] == ("document:download", "allowed")
    assert aborted[:3] == ("document:download", "aborted", BIG)
    assert "segment 1" in aborted[3]
    assert aborted[4] == {"stage": "mid-stream", "bytes_sent": DEFAULT_SEGMENT_SIZE}
    (line,) = _operator_lines(caplog, BIG, big, "/content")
    assert "download aborted mid-stream" in line


def test_an_intact_file_is_served_whole_and_not_aborted(client, demo, rt, big):
    counsel = token_for(client, "counsel@plaintiffs.example")
    response = _content(client, counsel, demo, BIG, buffered=False)
    received, cut = _drain(response)
    assert cut is None and len(received) == 3 * DEFAULT_SEGMENT_SIZE
    allowed, served = _latest(rt)
    assert allowed[:2] == ("document:download", "allowed")
    # not a PDF, so served as stored, unmarked: the second entry says so, and what was sent
    assert served[:2] == ("document:served", "allowed")
    assert served[4]["sha256"] == hashlib.sha256(received).hexdigest()
    assert served[4]["size"] == len(received) and served[4]["watermarked"] is False
    assert "only PDFs and page images carry the mark" in served[4]["reason"]


def test_a_missing_blob_and_a_tampered_key_fail_before_the_first_byte(client, demo, rt, big):
    counsel = token_for(client, "counsel@plaintiffs.example")
    path = _blob_path(rt, big)
    kept = path.read_bytes()
    path.unlink()
    response = _content(client, counsel, demo, BIG)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    assert _latest(rt, 1)[0][1:4] == (
        "aborted",
        BIG,
        "stored file failed its integrity check: the stored file is missing",
    )
    path.write_bytes(kept)
    with rt.db.session() as session:
        wrapped = session.scalar(
            select(DocumentFile.wrapped_data_key).where(DocumentFile.blob_key == big)
        )
        session.execute(
            update(DocumentFile)
            .where(DocumentFile.blob_key == big)
            .values(wrapped_data_key=wrapped[:-1] + bytes([wrapped[-1] ^ 1]))
        )
    response = _content(client, counsel, demo, BIG)
    assert response.status_code == 409
    assert "wrapped key failed authentication" in _latest(rt, 1)[0][3]


def _volume(client, token, demo, **kwargs):
    return client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/{VOLUME}/download", headers=auth(token), **kwargs
    )


def test_volume_zip_cut_at_a_failing_document(client, demo, rt, caplog):
    counsel = token_for(client, "counsel@plaintiffs.example")
    whole = _volume(client, counsel, demo)
    with zipfile.ZipFile(io.BytesIO(whole.data)) as archive:
        names = archive.namelist()
    order = list(dict.fromkeys(name.split("/")[1] for name in names))
    victim = order[5]
    _corrupt(rt, _blob_keys(rt, victim)[0], HEADER_SIZE + 3)
    with caplog.at_level(logging.INFO):
        response = _volume(client, counsel, demo, buffered=False)
        assert response.status_code == 200
        received, cut = _drain(response)
    assert cut is not None
    assert victim.encode() in received and order[6].encode() not in received
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(received))
    (aborted,) = _latest(rt, 1)
    assert aborted[:3] == ("production:download", "aborted", victim)
    assert aborted[4]["documents_sent"] == 5 and aborted[4]["stage"] == "mid-stream"
    assert aborted[4]["bytes_sent"] == len(received) and aborted[4]["volume"] == VOLUME
    (line,) = _operator_lines(caplog, victim, VOLUME)
    assert "mid-stream" in line


def test_volume_zip_with_a_failing_first_document_is_refused(client, demo, rt):
    counsel = token_for(client, "counsel@plaintiffs.example")
    first = "AOL-DEF-00516605"  # the volume's first document in Bates order
    _corrupt(rt, _blob_keys(rt, first)[0], HEADER_SIZE + 3)
    response = _volume(client, counsel, demo)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    assert b"PK" not in response.data
    (aborted,) = _latest(rt, 1)
    assert aborted[:3] == ("production:download", "aborted", first)
    assert aborted[4] == {
        "volume": VOLUME,
        "stage": "before the first byte",
        "bytes_sent": 0,
        "documents_sent": 0,
    }


def test_the_party_sees_its_own_abort_in_its_trail(client, demo, rt, big):
    counsel = token_for(client, "counsel@plaintiffs.example")
    _corrupt(rt, big, HEADER_SIZE + 10)
    assert _content(client, counsel, demo, BIG).status_code == 409
    items = client.get(
        f"{BASE}/api/v1/matters/{demo}/audit", headers=auth(counsel), query_string={"document": BIG}
    ).get_json()["items"]
    assert [(i["tag"], i["outcome"]) for i in items] == [
        ("document:download", "aborted"),
        ("document:download", "allowed"),
    ]
    defendants = token_for(client, "counsel@defendants.example")
    theirs = client.get(
        f"{BASE}/api/v1/matters/{demo}/audit",
        headers=auth(defendants),
        query_string={"document": BIG},
    ).get_json()["items"]
    assert theirs == [], "the other side learns nothing of the download or its abort"


def _fetch(base, path, token):
    """(status, content type, body as received, whether it arrived whole)."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        try:
            body, whole = response.read(), True
        except http.client.IncompleteRead as short:
            body, whole = short.partial, False
        return response.status, response.getheader("Content-Type"), body, whole
    finally:
        connection.close()


def _server_output(process, wanted, timeout=20.0):
    """What the server has written so far, waiting until ``wanted`` shows up."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted.encode() not in seen and time.monotonic() < deadline:
        chunk = process.stdout.read()
        if chunk:
            seen += chunk
        else:
            time.sleep(0.1)
    return seen.decode(errors="replace")


def test_through_gunicorn(server, rt, demo, tmp_path):  # noqa: F811 - the fixture above
    base, process = server
    os.set_blocking(process.stdout.fileno(), False)
    _ingest_big(rt, demo, tmp_path, 3 * DEFAULT_SEGMENT_SIZE)
    (blob_key,) = _blob_keys(rt, BIG)
    status, body = _call(
        f"{base}/api/v1/auth/token",
        data={"email": "counsel@plaintiffs.example", "password": DEMO_PASSWORD},
    )
    assert status == 200
    token = json.loads(body)["token"]
    path = f"/api/v1/matters/{demo}/documents/{BIG}/content"
    kept = _blob_path(rt, blob_key).read_bytes()

    _corrupt(rt, blob_key, HEADER_SIZE + 10)
    status, media_type, body, whole = _fetch(base, path, token)
    assert (status, media_type) == (409, "application/json"), body[:300]
    assert json.loads(body)["error"]["code"] == "conflict"
    before = _server_output(process, "before the first byte")
    assert "download aborted before the first byte" in before

    _blob_path(rt, blob_key).write_bytes(kept)
    _corrupt(rt, blob_key, HEADER_SIZE + SEGMENT + 10)
    status, _media_type, body, whole = _fetch(base, path, token)
    assert status == 200 and not whole, "the cut stream must not look complete"
    assert len(body) == DEFAULT_SEGMENT_SIZE
    output = before + _server_output(process, "download aborted mid-stream")
    assert "download aborted mid-stream" in output
    for secret in (BIG, blob_key, path, "BIG.dat"):
        assert secret not in output, f"the server's log names {secret!r}"
    outcomes = [(tag, outcome, stage) for tag, outcome, _b, _r, stage in _latest(rt, 4)]
    assert [o[:2] for o in outcomes] == [
        ("document:download", "allowed"),
        ("document:download", "aborted"),
        ("document:download", "allowed"),
        ("document:download", "aborted"),
    ]
    assert [o[2].get("stage") for o in outcomes[1::2]] == ["before the first byte", "mid-stream"]


def test_web_download_answers_an_error_page(client, demo, rt, big):
    from tests.functional.test_web import login

    _corrupt(rt, big, HEADER_SIZE + 10)
    login(client, "counsel@plaintiffs.example")
    response = client.get(f"{BASE}/matters/{demo}/documents/{BIG}/content")
    assert response.status_code == 409 and response.mimetype == "text/html"
    assert b"integrity check" in response.data
    assert _latest(rt, 1)[0][:3] == ("document:download", "aborted", BIG)
