"""Several workers writing at once must still leave one intact, dense audit chain."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from gateway.accounts import service as accounts
from gateway.audit.models import AuditEntry
from gateway.documents import downloads
from gateway.documents import service as documents


def test_concurrent_downloads_keep_the_chain_intact(rt, demo):
    users = [
        accounts.get_user(rt, e)
        for e in (
            "counsel@plaintiffs.example",
            "staff@alotrolado.example",
            "court@casd.example",
            "counsel@defendants.example",
        )
    ]
    with rt.db.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))

    def work(user):
        for _ in range(10):
            download = downloads.download_document(
                rt, user, demo, "AOL-DEF-00556923", address="10.0.0.1"
            )
            assert sum(len(c) for c in download.chunks) > 0
            documents.list_documents(rt, user, demo, documents.DocumentQuery(), address="10.0.0.1")

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, users))
    with rt.db.session() as session:
        after = session.scalar(select(func.count()).select_from(AuditEntry))
        report = rt.audit_log.verify(session)
    # each round: the download, its document:served entry, the listing
    assert after - before == 4 * 10 * 3
    assert report.ok, report.problems
