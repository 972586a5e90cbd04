"""The neutral auditor's tools over the API: activity, anomalies and the PDF report."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from gateway.api import bp
from gateway.api.routes import current_user
from gateway.api.spec import Param, route
from gateway.audit import auditor
from gateway.audit import service as audit_service
from gateway.http import client_address, runtime

RANGE_PARAMS = (
    Param("since", "first day, ISO 8601, in the matter's court time zone"),
    Param("until", "last day (included), ISO 8601; default today"),
)


def _range() -> dict[str, str]:
    return {"since": request.args.get("since", ""), "until": request.args.get("until", "")}


@route(
    bp,
    "/matters/<int:matter_id>/audit/activity",
    "GET",
    "The neutral auditor's figures: views, downloads and denials per day, user, party and "
    "document over a range of court days",
    params=RANGE_PARAMS,
)
def get_audit_activity(matter_id: int) -> Any:
    found = auditor.read_activity(
        runtime(), current_user(), matter_id, **_range(), address=client_address()
    )
    return jsonify(found.as_json())


@route(
    bp,
    "/matters/<int:matter_id>/audit/anomalies",
    "GET",
    "The neutral auditor's anomalies over a range of court days, each with its rule",
    params=RANGE_PARAMS,
)
def get_audit_anomalies(matter_id: int) -> Any:
    found = auditor.read_anomalies(
        runtime(), current_user(), matter_id, **_range(), address=client_address()
    )
    return jsonify(found.as_json())


@route(
    bp,
    "/matters/<int:matter_id>/audit/report.pdf",
    "GET",
    "The neutral auditor's printable report (PDF) over a range of court days",
    params=RANGE_PARAMS,
    produces="application/pdf",
)
def get_audit_report(matter_id: int) -> Any:
    data = auditor.audit_report(
        runtime(), current_user(), matter_id, **_range(), address=client_address()
    )
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-report-matter-{matter_id}.pdf"'
    )
    return response


@route(
    bp,
    "/matters/<int:matter_id>/audit/entries/<int:entry_id>/proof",
    "GET",
    "An entry's inclusion in its log, against a checkpoint signed now, for the offline "
    "verifier (`pogw audit verify --proof`): the neutral auditor names the entry by its "
    "seq, a party's counsel by its n in its side's log",
)
def get_audit_entry_proof(matter_id: int, entry_id: int) -> Any:
    proof = audit_service.entry_proof(
        runtime(), current_user(), matter_id, entry_id, address=client_address()
    )
    return jsonify(proof)


@route(
    bp,
    "/matters/<int:matter_id>/audit/consistency",
    "GET",
    "That a log only grew since a checkpoint the reader kept: any log of the matter for the "
    "neutral auditor, its own side's for a party's counsel",
    params=(
        Param("log", "the log's name (default: the reader's own side's log)"),
        Param("old_size", "the size of the checkpoint kept", required=True),
    ),
)
def get_audit_consistency(matter_id: int) -> Any:
    proof = audit_service.log_consistency(
        runtime(),
        current_user(),
        matter_id,
        request.args.get("log", ""),
        request.args.get("old_size", ""),
        address=client_address(),
    )
    return jsonify(proof)
