"""Second attack round on the court-order workflows (after the fixes)."""

from __future__ import annotations

from tests.factories import PLAINTIFFS
from tests.functional.test_review_orders_versions import (
    COURT,
    DEFENDANTS,
    EMPLOYEE,
    EX6,
    EX18,
    EXPERT,
    ORDER,
    get,
    post,
)

SECRET_WHAT = "Destroy every copy of the Border Patrol field information report on informant J. Doe"


def _rule_ex18_with_plaintiffs_deadline(client, matter):
    noticed = post(
        client,
        DEFENDANTS,
        matter,
        "/clawbacks",
        {"documents": [EX18], "privilege": "law enforcement", "basis": "a code"},
    )
    assert noticed.status_code == 201, noticed.get_json()
    cb = noticed.get_json()["id"]
    ruled = post(
        client,
        COURT,
        matter,
        f"/clawbacks/{cb}/rulings",
        {
            "document": EX18,
            "outcome": "granted",
            "order": ORDER,
            "deadlines": [{"party": PLAINTIFFS, "what": SECRET_WHAT, "days": 14}],
        },
    )
    assert ruled.status_code == 201, ruled.get_json()
    return cb


def test_deadline_of_an_order_on_hidden_documents_reaches_the_party_employee(client, rt, demo):
    """Ex. 18 is AEO: Plaintiffs' employee may not even list it. The order ruling on it
    is hidden from the employee's 'orders' list -- yet the deadline it set for Plaintiffs
    is shown with the order's docket and the court's free text describing Ex. 18."""
    _rule_ex18_with_plaintiffs_deadline(client, demo)
    assert get(client, EMPLOYEE, demo, f"/documents/{EX18}").status_code == 404
    body = get(client, EMPLOYEE, demo, "/deadlines").get_json()
    assert body["orders"] == []  # the order itself is hidden from the employee
    whats = [i["what"] for i in body["items"]]
    orders = [i["order"] for i in body["items"]]
    assert SECRET_WHAT not in whats, f"employee reads {whats} from order {orders}"


def test_deadline_reaches_an_expert_without_exhibit_a(client, rt, demo):
    _rule_ex18_with_plaintiffs_deadline(client, demo)
    response = get(client, EXPERT, demo, "/deadlines")
    body = response.get_json()
    whats = [i["what"] for i in body.get("items", [])]
    assert SECRET_WHAT not in whats, f"the expert without Exhibit A reads {whats}"


def test_clawback_basis_naming_a_hidden_document_reaches_the_employee(client, rt, demo):
    """One notice over CONFIDENTIAL Ex. 6 and AEO Ex. 18: the employee may list Ex. 6's
    slip, so the claw-back list shows it -- with the privilege and basis text written
    about Ex. 18, which the employee may not know of."""
    basis = "Ex. 18 (AOL-DEF-00528691) identifies informant J. Doe by database code"
    noticed = post(
        client,
        DEFENDANTS,
        demo,
        "/clawbacks",
        {"documents": [EX6, EX18], "privilege": "law enforcement", "basis": basis},
    )
    assert noticed.status_code == 201, noticed.get_json()
    items = get(client, EMPLOYEE, demo, "/clawbacks").get_json()["items"]
    shown = [(i["documents"], i["basis"]) for i in items]
    assert all(basis not in b for _d, b in shown), f"employee sees {shown}"


def test_a_version_upload_that_is_not_multipart_is_refused_without_audit(client, rt, demo):
    """A supply request whose body is not multipart/form-data (or has a bad boundary) is
    refused 400 by MultipartFile() before the service runs: no version:supply entry."""
    from sqlalchemy import func, select

    from gateway.audit.models import AuditEntry
    from tests.helpers import BASE, auth, token_for

    def audits() -> int:
        with rt.db.session() as s:
            return s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.tag == "version:supply")
            )

    before = audits()
    response = client.post(
        f"{BASE}/api/v1/matters/{demo}/documents/{EX18}/versions",
        headers={**auth(token_for(client, DEFENDANTS)), "Content-Type": "application/pdf"},
        data=b"%PDF-1.4 not multipart",
    )
    assert response.status_code == 400
    assert audits() > before, "a refused version upload left no audit entry"
