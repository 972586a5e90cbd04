"""A hidden thing and a missing thing are refused with the same work, not just the same body.

Wall time on a shared machine is too noisy to test; the SQL statements a request issues
are what made the two cases measurably different, so those are compared, text for text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from gateway.audit.models import AuditEntry
from tests.helpers import BASE, auth, pdf_bytes, token_for

AEO_ONLY = "AOL-DEF-VOL900"
PDF = pdf_bytes(1, "an AEO-only volume")


@contextmanager
def statements(rt) -> Iterator[list[str]]:
    """Every SQL statement (text, parameters left out) issued on the runtime's engines."""
    issued: list[str] = []

    def listen(_conn, _cursor, statement, _params, _context, _many) -> None:
        issued.append(" ".join(statement.split()))

    engines = {id(e): e for e in (rt.db.engine, rt.db.read_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", listen)
    try:
        yield issued
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", listen)


def _aeo_only_volume(client, demo) -> None:
    """Defendants produce a volume holding one AEO document: a party employee sees none."""
    counsel = token_for(client, "counsel@defendants.example")
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/productions/{AEO_ONLY}/documents",
        headers={**auth(counsel), "Content-Type": "application/octet-stream"},
        query_string={
            "bates_begin": "AOL-DEF-00900001",
            "designation": "AEO",
            "file_name": "briefing.pdf",
        },
        data=PDF,
    )
    assert response.status_code == 201, response.get_json()


def _denials(rt) -> list[tuple[str, str]]:
    with rt.db.session() as session:
        rows = session.execute(
            select(AuditEntry.tag, AuditEntry.reason)
            .where(AuditEntry.outcome == "denied")
            .order_by(AuditEntry.seq)
        ).all()
    return [tuple(r) for r in rows]


def _count_entries(rt) -> int:
    with rt.db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _get(client, rt, token, path):
    with statements(rt) as issued:
        response = client.get(f"{BASE}/api/v1{path}", headers=auth(token))
    return response, issued


def test_a_volume_of_hidden_documents_costs_what_a_missing_volume_costs(client, demo, rt):
    _aeo_only_volume(client, demo)
    staff = token_for(client, "staff@alotrolado.example")
    counsel = token_for(client, "counsel@plaintiffs.example")
    listed = client.get(f"{BASE}/api/v1/matters/{demo}/productions", headers=auth(counsel))
    assert AEO_ONLY in {p["volume"] for p in listed.get_json()["items"]}, "the volume exists"
    # warm both paths once (statement caches, the derived permission sets)
    for volume in (AEO_ONLY, "AOL-DEF-VOL999"):
        _get(client, rt, staff, f"/matters/{demo}/productions/{volume}/download")
    before = _count_entries(rt)
    hidden, hidden_sql = _get(client, rt, staff, f"/matters/{demo}/productions/{AEO_ONLY}/download")
    missing, missing_sql = _get(
        client, rt, staff, f"/matters/{demo}/productions/AOL-DEF-VOL999/download"
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    assert b"AOL-DEF-00900001" not in hidden.data
    assert hidden_sql == missing_sql, "the two refusals issue different SQL"
    assert any("FROM documents" in s for s in missing_sql), "the missing volume skipped a query"
    # each refusal is audited, and only the auditor's trail says which case it was
    assert _count_entries(rt) == before + 2
    assert _denials(rt)[-2:] == [
        ("production:download", "nothing downloadable"),
        ("production:download", "no such volume"),
    ]
    # the one who may see the volume still gets it
    served = client.get(
        f"{BASE}/api/v1/matters/{demo}/productions/{AEO_ONLY}/download", headers=auth(counsel)
    )
    assert served.status_code == 200 and b"AOL-DEF-00900001" in served.data


def test_a_hidden_document_costs_what_a_missing_document_costs(client, demo, rt):
    staff = token_for(client, "staff@alotrolado.example")
    for suffix in ("", "/content"):
        paths = [f"/matters/{demo}/documents/{b}{suffix}" for b in ("AOL-DEF-00528691", "X-1")]
        for path in paths:
            _get(client, rt, staff, path)
        (hidden, hidden_sql), (missing, missing_sql) = (_get(client, rt, staff, p) for p in paths)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_json() == missing.get_json()
        assert hidden_sql == missing_sql, f"document{suffix}: the two refusals issue different SQL"
