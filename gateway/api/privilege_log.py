"""The privilege log over the API: JSON, CSV or PDF, as the reader may see it."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from gateway.api import bp
from gateway.api.routes import _json, current_user
from gateway.api.spec import Param, route
from gateway.http import client_address, runtime
from gateway.orders.log_descriptions import describe
from gateway.orders.privilege_log import FORMATS, privilege_log
from gateway.orders.privilege_log_files import FILES
from gateway.orders.privilege_log_rows import LogPage
from gateway.queries import MAX_PAGE, from_args


@route(
    bp,
    "/matters/<int:matter_id>/privilege-log",
    "GET",
    "The privilege log (FRCP 26(b)(5)(A)) of material withheld, clawed back or redacted, "
    "naming only documents the caller may list",
    params=(
        Param("format", "json (default), csv or pdf", constraints={"enum": list(FORMATS)}),
        Param("page", "1-based page of the JSON log", "integer", minimum=1, maximum=MAX_PAGE),
        Param(
            "per_page",
            "JSON rows per page, default 50, at most 500",
            "integer",
            minimum=1,
            maximum=500,
        ),
    ),
    produces=("application/json", "text/csv", "application/pdf"),
)
def get_privilege_log(matter_id: int) -> Any:
    fmt = request.args.get("format", "json")
    page = from_args(LogPage, request.args) if fmt == "json" else None
    log = privilege_log(
        runtime(), current_user(), matter_id, fmt=fmt, address=client_address(), page=page
    )
    if fmt == "json":
        return jsonify(log.as_json())
    _render, mimetype = FILES[fmt]  # the service refused any other format, and made it
    response = Response(log.data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="privilege-log-matter-{matter_id}.{fmt}"'
    )
    return response


@route(
    bp,
    "/matters/<int:matter_id>/privilege-log/descriptions",
    "POST",
    "The claimant's own description of one claimed document for the privilege log, in "
    "words that reveal nothing protected",
    body={"application/json": {"schema": {"type": "object"}}},
)
def describe_for_log(matter_id: int) -> Any:
    body = _json()
    described = describe(
        runtime(),
        current_user(),
        matter_id,
        clawback_id=body.get("clawback"),
        document=body.get("document"),
        description=body.get("description"),
        address=client_address(),
    )
    return jsonify(described)
