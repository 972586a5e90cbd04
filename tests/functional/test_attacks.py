"""Regressions for defects found by attacking the running gateway (issue 7, items 2, 3,
5 and 7): unauthenticated load, inputs that answered 500, HEAD, validation before
authentication."""

from __future__ import annotations

import io
import os
import re
import uuid

import pytest
import redis
from sqlalchemy import func, select

from gateway import create_app
from gateway.audit.models import AuditEntry
from gateway.documents.ingest import count_rows
from gateway.runtime import Runtime
from tests.helpers import BASE, api_get, auth, token_for

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
COUNSEL = "counsel@plaintiffs.example"
STAFF = "staff@alotrolado.example"
VISIBLE = "AOL-DEF-00556923"  # CONFIDENTIAL: staff may download it
HIDDEN = "AOL-DEF-00556914"  # AEO: never for a party's employee
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _entries(rt, **where):
    with rt.db.read_session() as session:
        stmt = select(func.count()).select_from(AuditEntry)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return session.scalar(stmt)


def _state(rt):
    with rt.db.read_session() as session:
        return count_rows(session), sorted(rt.blobs.store.iter_keys())


def _is_error(response, status, code=None):
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str)
    if code:
        assert body["error"]["code"] == code
    return True


class _Reads(io.RawIOBase):
    """A request body that counts what is read of it."""

    def __init__(self, size: int) -> None:
        self.size, self.pos, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:  # the test client measures the body by seeking
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.size + offset
        return self.pos

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.pos))
        buffer[:n] = b"[" * n
        self.pos += n
        self.read_bytes += n
        return n


# a body without a length, as a chunked request reaches the application
CHUNKED = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True}


def _fill(path: str, demo: int) -> str:
    filled = (
        path.replace("{matter_id}", str(demo))
        .replace("{bates}", VISIBLE)
        .replace("{volume}", "AOL-DEF-VOL001")
    )
    return re.sub(r"\{[a-z_]+_id\}", "1", filled)  # any other id: the first one


def test_every_route_refuses_a_request_without_credentials_first(client, demo, rt):
    """Item 7: 401 before any validation (a body, a parameter, the matter), on every
    route the OpenAPI document says needs a token."""
    spec = client.get(f"{BASE}/api/v1/openapi.json").get_json()
    before = _state(rt)
    walked = n = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if operation.get("security") == []:
                continue
            for headers in ({}, auth("not-a-token"), {"Authorization": "Basic x"}):
                n += 1  # one address each: a flood from one would be answered 429
                response = client.open(
                    _fill(path, demo),
                    base_url=BASE,
                    method=method.upper(),
                    headers=headers,
                    data=b"{not json",  # would be a 400 or 422 if it were looked at first
                    content_type="application/json",
                    environ_base={"REMOTE_ADDR": f"10.7.{n // 250}.{n % 250}"},
                )
                assert _is_error(response, 401, "unauthenticated"), f"{method} {path}"
            walked += 1
    assert walked >= 12
    assert _state(rt) == before


def test_ids_past_64_bits_and_huge_pages_answer_4xx_with_the_error_shape(client, demo):
    token = token_for(client, COUNSEL)
    spec = client.get(f"{BASE}/api/v1/openapi.json").get_json()
    with_ids = [p for p in spec["paths"] if "{matter_id}" in p]
    assert len(with_ids) >= 8
    for path in with_ids:
        for method in spec["paths"][path]:
            for big in (2**31, 2**63, 2**64, 10**30):
                url = _fill(path, demo).replace(f"/matters/{demo}", f"/matters/{big}")
                response = client.open(
                    url, base_url=BASE, method=method.upper(), headers=auth(token)
                )
                assert _is_error(response, 404, "not_found"), url
    for path in (f"/matters/{demo}/documents", f"/matters/{demo}/audit"):
        for page in ("9223372036854775807", "1000001", "0", "-1", "9" * 5000):
            response = api_get(client, token, path, page=page)
            assert _is_error(response, 400, "bad_request"), (path, page[:20])
        assert api_get(client, token, path, page="1000000").status_code in (200, 403)
    auditor = token_for(client, "auditor@audit.example")
    deep = api_get(client, auditor, f"/matters/{demo}/audit", page="1000000")
    assert deep.status_code == 200 and deep.get_json()["items"] == []


def test_deeply_nested_json_is_a_bad_request(client, demo, rt):
    nested = b"[" * 100_000
    response = client.post(
        f"{BASE}/api/v1/auth/token", data=nested, content_type="application/json"
    )
    assert _is_error(response, 413, "too_large")  # over the JSON limit: never parsed
    rt.settings["MAX_JSON_BYTES"] = 1 << 20
    response = client.post(
        f"{BASE}/api/v1/auth/token", data=nested, content_type="application/json"
    )
    assert _is_error(response, 400, "bad_request")
    token = token_for(client, STAFF)
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/acknowledgment",
        data=nested,
        content_type="application/json",
        headers=auth(token),
    )
    assert _is_error(response, 400, "bad_request")


def test_json_bodies_are_refused_before_they_are_read(client, demo, rt):
    limit = rt.settings["MAX_JSON_BYTES"]
    declared = _Reads(300 << 20)
    response = client.post(
        f"{BASE}/api/v1/auth/token",
        input_stream=declared,
        content_length=300 << 20,
        content_type="application/json",
    )
    assert _is_error(response, 413, "too_large") and declared.read_bytes == 0
    chunked = _Reads(300 << 20)  # no length: read one byte past the limit, no more
    response = client.post(
        f"{BASE}/api/v1/auth/token",
        input_stream=chunked,
        content_type="application/json",
        environ_overrides=CHUNKED,
    )
    assert _is_error(response, 413, "too_large") and chunked.read_bytes <= limit + (1 << 16)
    fits = client.post(
        f"{BASE}/api/v1/auth/token",
        json={"email": COUNSEL, "password": "x" * (limit - 100)},
    )
    assert fits.status_code == 401  # read and checked: the limit is not in the way


@pytest.fixture(params=["memory", "redis"])
def workers(request, rt, demo, clock):
    """One worker counting in memory, or two sharing their counts through Redis."""
    if request.param == "memory":
        return [create_app(rt.settings, runtime=rt).test_client()]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} (scripts/test needs it running)")
    prefix = f"pogw-test-{uuid.uuid4().hex}:"
    settings = {**rt.settings, "REDIS_URL": REDIS_URL, "REDIS_PREFIX": prefix}
    pair = [Runtime(settings, clock=clock, keyring=rt.keyring) for _ in range(2)]
    for runtime in pair:
        request.addfinalizer(runtime.close)
    request.addfinalizer(lambda: [client.delete(k) for k in client.scan_iter(f"{prefix}*")])
    return [create_app(settings, runtime=runtime).test_client() for runtime in pair]


def test_a_flood_of_unauthenticated_requests_costs_one_audit_entry(workers, rt, clock):
    """Item 2: 300 refused requests, no entry each; counted per address per interval
    (across workers, when they share Redis)."""
    token = token_for(workers[0], COUNSEL)
    before = _entries(rt)
    limit = rt.settings["UNAUTHENTICATED_LIMIT"]
    statuses = []
    for n in range(300):
        headers = auth(f"guess-{n}") if n % 2 else {}
        client = workers[n % len(workers)]
        statuses.append(client.get(f"{BASE}/api/v1/matters", headers=headers).status_code)
    assert statuses == [401] * limit + [429] * (300 - limit)
    assert _entries(rt) == before  # nothing written under the write lock
    # the flood from this address does not lock out a user with a token behind it
    assert api_get(workers[-1], token, "/me").status_code == 200
    clock.advance(seconds=rt.settings["UNAUTHENTICATED_INTERVAL_SECONDS"])
    for client in workers:  # a new interval; whichever worker sees it first writes the last
        assert client.get(f"{BASE}/api/v1/matters").status_code == 401
    assert _entries(rt, tag="auth:refusals") == 1
    with rt.db.read_session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.tag == "auth:refusals"))
    assert entry.reason.startswith("300 unauthenticated refusal(s)")
    assert '"127.0.0.1":{"no token":150,"unknown token":150}' in entry.details
    assert _entries(rt) == before + 1


def test_an_upload_of_exactly_the_maximum_is_accepted(client, demo, rt):
    token = token_for(client, COUNSEL)
    body = PDF + b"%" * (4096 - len(PDF))
    rt.settings["MAX_UPLOAD_BYTES"] = len(body)

    def upload(bates, **kw):
        return client.post(
            f"{BASE}/api/v1/matters/{demo}/productions/AOL-PLTF-VOL002/documents",
            headers={**auth(token), "Content-Type": "application/octet-stream"},
            query_string={"bates_begin": bates, "file_name": "exact.pdf", "designation": "AEO"},
            **kw,
        )

    assert upload("AOL-PLTF-00000040", data=body).status_code == 201
    chunked = upload(
        "AOL-PLTF-00000041",
        input_stream=io.BytesIO(body),
        environ_overrides=CHUNKED,
    )
    assert chunked.status_code == 201, chunked.get_json()
    before = _state(rt)
    over = upload("AOL-PLTF-00000042", data=body + b"%")
    assert _is_error(over, 413, "too_large")
    assert f"exceeds {len(body)} bytes" in over.get_json()["error"]["message"]
    over = upload(
        "AOL-PLTF-00000043",
        input_stream=io.BytesIO(body + b"%"),
        environ_overrides=CHUNKED,
    )
    assert _is_error(over, 413, "too_large")
    assert _state(rt) == before


def test_the_web_pager_keeps_arguments_out_of_url_for(client, demo):
    client.get(f"{BASE}/login")
    page = client.get(f"{BASE}/login")
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    client.post(
        f"{BASE}/login",
        data={"email": COUNSEL, "password": "demo-password-123", "csrf_token": csrf},
        headers={"Referer": f"{BASE}/login"},
    )
    for path in (f"/matters/{demo}/documents", f"/matters/{demo}/audit"):
        response = client.get(
            f"{BASE}{path}",
            query_string={
                "page": "2",
                "per_page": "1",
                "_method": "POST",
                "_external": "1",
                "_anchor": "x",
                "_scheme": "javascript",
            },
        )
        assert response.status_code in (200, 403), path
        links = re.findall(rb'href="([^"]+page=[^"]+)"', response.data)
        for link in links:
            assert link.startswith(path.encode()) and b"#" not in link, link
    response = client.get(f"{BASE}/matters/{demo}/documents?page=2&per_page=1&_method=POST")
    assert response.status_code == 200
    assert b"_method=POST" in response.data and b"page=3" in response.data


def test_method_not_allowed_says_what_is(client, demo):
    response = client.put(f"{BASE}/api/v1/matters")
    assert _is_error(response, 405)
    assert "GET" in response.headers["Allow"]
    response = client.delete(f"{BASE}/api/v1/matters/{demo}/documents")
    assert _is_error(response, 405) and "GET" in response.headers["Allow"]


def test_head_on_content_answers_like_get_and_is_audited_as_a_head(client, demo, rt):
    token = token_for(client, STAFF)
    url = f"{BASE}/api/v1/matters/{demo}/documents/{VISIBLE}/content"
    downloads = _entries(rt, tag="document:download")
    head = client.head(url, headers=auth(token))
    assert head.status_code == 200 and head.data == b""
    assert _entries(rt, tag="document:download") == downloads
    assert _entries(rt, tag="document:head", outcome="allowed", bates=VISIBLE) == 1
    get = client.get(url, headers=auth(token))
    assert get.status_code == 200 and len(get.data) > 0
    for name in ("Content-Type", "Content-Disposition"):
        assert head.headers[name] == get.headers[name], name
    # a PDF is served with the recipient's mark, whose length is known only once written:
    # neither answer claims one (a HEAD's length would be a guess)
    assert "Content-Length" not in head.headers and "Content-Length" not in get.headers
    assert _entries(rt, tag="document:download") == downloads + 1
    # hidden: the same 404 as a missing document, audited as a HEAD denied
    hidden = client.head(
        f"{BASE}/api/v1/matters/{demo}/documents/{HIDDEN}/content", headers=auth(token)
    )
    missing = client.head(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-DEF-99999999/content", headers=auth(token)
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["Content-Length"] == missing.headers["Content-Length"]
    assert _entries(rt, tag="document:head", outcome="denied") == 2
    assert _entries(rt, tag="document:download") == downloads + 1


def test_head_on_a_volume_is_not_a_download_of_it(client, demo, rt):
    token = token_for(client, STAFF)
    before = _entries(rt, tag="document:download")
    response = client.head(
        f"{BASE}/api/v1/matters/{demo}/productions/AOL-DEF-VOL001/download", headers=auth(token)
    )
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert _entries(rt, tag="document:download") == before


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/healthz"])
def test_open_routes_stay_open(client, path):
    assert client.get(f"{BASE}{path}").status_code == 200


def test_nul_characters_are_refused_with_a_reason(client, demo):
    token = token_for(client, COUNSEL)
    for path, params in (
        (f"/matters/{demo}/documents", {"q": "AOL\x00"}),
        (f"/matters/{demo}/documents/AOL\x00DEF", {}),
        (f"/matters/{demo}/audit", {"user\x00": "x"}),
    ):
        response = api_get(client, token, path, **params)
        assert (
            _is_error(response, 400, "bad_request")
            and "NUL" in response.get_json()["error"]["message"]
        )
        assert _is_error(client.get(f"{BASE}/api/v1{path}", query_string=params), 401)
    assert client.get(f"{BASE}/login?next=%00").status_code == 400


def test_a_stale_token_is_counted_with_its_account(client, demo, rt, clock):
    token = token_for(client, COUNSEL)
    assert client.delete(f"{BASE}/api/v1/auth/token", headers=auth(token)).status_code == 204
    for _ in range(2):
        assert _is_error(api_get(client, token, "/me"), 401, "unauthenticated")
    clock.advance(seconds=rt.settings["UNAUTHENTICATED_INTERVAL_SECONDS"])
    api_get(client, "not-a-token", "/me")
    with rt.db.read_session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.tag == "auth:refusals"))
    assert f'"revoked token of {COUNSEL}":2' in entry.details


def test_counts_reach_the_audit_when_their_interval_ends(client, demo, rt, clock):
    token = token_for(client, COUNSEL)
    for _ in range(3):
        client.get(f"{BASE}/api/v1/matters")
    assert _entries(rt, tag="auth:refusals") == 0
    clock.advance(seconds=rt.settings["UNAUTHENTICATED_INTERVAL_SECONDS"])
    assert api_get(client, token, "/me").status_code == 200  # any request, not a refusal
    assert _entries(rt, tag="auth:refusals") == 1
    assert api_get(client, token, "/me").status_code == 200
    assert _entries(rt, tag="auth:refusals") == 1  # written once


def test_head_on_a_page_download_is_audited_as_a_head(client, demo, rt):
    page = client.get(f"{BASE}/login")
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    client.post(
        f"{BASE}/login",
        data={"email": STAFF, "password": "demo-password-123", "csrf_token": csrf},
        headers={"Referer": f"{BASE}/login"},
    )
    downloads = _entries(rt, tag="document:download")
    head = client.head(f"{BASE}/matters/{demo}/documents/{VISIBLE}/content")
    assert head.status_code == 200 and head.data == b""
    assert head.mimetype == "application/pdf" and "Content-Length" not in head.headers
    assert _entries(rt, tag="document:head", bates=VISIBLE) == 1
    assert _entries(rt, tag="document:download") == downloads


class _Body(io.RawIOBase):
    """``size`` bytes of a PDF header and filler, made as they are read (never held)."""

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else self.size + offset
        return self.pos

    def readinto(self, buffer) -> int:
        n = max(0, min(len(buffer), self.size - self.pos))
        chunk = (PDF if self.pos == 0 else b"") + b"%" * n
        buffer[:n] = chunk[:n]
        self.pos += n
        return n


@pytest.mark.slow
def test_an_upload_of_exactly_the_default_maximum_is_accepted(client, demo, rt):
    """536,870,912 bytes, the default MAX_UPLOAD_BYTES, streamed without a length (as
    chunked): it was refused as one that "exceeds 536870912 bytes"."""
    limit = rt.settings["MAX_UPLOAD_BYTES"]
    assert limit == 536_870_912
    token = token_for(client, COUNSEL)
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/AOL-PLTF-VOL002/documents",
        headers={**auth(token), "Content-Type": "application/octet-stream"},
        query_string={
            "bates_begin": "AOL-PLTF-00000050",
            "file_name": "big.bin",
            "designation": "CONFIDENTIAL",
        },
        input_stream=_Body(limit),
        environ_overrides=CHUNKED,
    )
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("args", ["page=1&pages=2", "=-315", "q=x&Q=y", "format=json&formats=csv"])
def test_a_query_argument_a_route_does_not_take_is_refused(client, demo, args):
    """Deny by default: a misspelt filter must never read as no filter (a list of
    everything); HEAD takes what GET takes."""
    from tests.helpers import BASE, auth, token_for

    token = token_for(client, "counsel@plaintiffs.example")
    response = client.get(f"{BASE}/api/v1/matters/{demo}/documents?{args}", headers=auth(token))
    assert response.status_code == 400, (args, response.status_code)
    assert "unknown query argument" in response.get_json()["error"]["message"]
    ok = client.get(f"{BASE}/api/v1/matters/{demo}/documents?page=1&q=ex", headers=auth(token))
    assert ok.status_code == 200
    head = client.head(
        f"{BASE}/api/v1/matters/{demo}/documents/AOL-DEF-00556914/content", headers=auth(token)
    )
    assert head.status_code == 200
    unauthenticated = client.get(f"{BASE}/api/v1/matters/{demo}/documents?bogus=1")
    assert unauthenticated.status_code == 401  # authentication first, as ever
