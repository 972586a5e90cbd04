"""The neutral auditor's page for a matter (activity, anomalies, exports) and its PDF report."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, render_template, request
from flask_login import login_required

from gateway.audit import auditor
from gateway.audit import service as audit_service
from gateway.http import client_address, runtime
from gateway.web import bp
from gateway.web.pages import me


def _range() -> dict[str, str]:
    return {"since": request.args.get("since", ""), "until": request.args.get("until", "")}


@bp.route("/matters/<int:matter_id>/audit/overview")
@login_required
def auditor_page(matter_id: int) -> Any:
    overview = auditor.read_overview(
        runtime(), me(), matter_id, **_range(), address=client_address()
    )
    return render_template(
        "web/auditor.html", matter_id=matter_id, overview=overview, asked=_range()
    )


@bp.route("/matters/<int:matter_id>/audit/report.pdf")
@login_required
def auditor_report(matter_id: int) -> Any:
    data = auditor.audit_report(runtime(), me(), matter_id, **_range(), address=client_address())
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-report-matter-{matter_id}.pdf"'
    )
    return response


@bp.route("/matters/<int:matter_id>/audit/entries/<int:entry_id>/proof.json")
@login_required
def audit_entry_proof(matter_id: int, entry_id: int) -> Any:
    """An entry's inclusion proof as a file, for `pogw audit verify --proof`."""
    proof = audit_service.entry_proof(
        runtime(), me(), matter_id, entry_id, address=client_address()
    )
    response = Response(json.dumps(proof, indent=1) + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-proof-matter-{matter_id}-entry-{entry_id}.json"'
    )
    return response
