"""The privilege log page, with the same log as CSV and PDF downloads."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from gateway.authz.vocabulary import Role
from gateway.errors import GatewayError
from gateway.http import client_address, runtime
from gateway.orders.log_descriptions import describe
from gateway.orders.privilege_log import PAGE_FORMATS, privilege_log
from gateway.orders.privilege_log_files import FILES
from gateway.web import bp
from gateway.web.pages import acting_for, me


@bp.route("/matters/<int:matter_id>/privilege-log")
@login_required
def privilege_log_page(matter_id: int) -> Any:
    fmt = request.args.get("format", "html")
    log = privilege_log(
        runtime(), me(), matter_id, fmt=fmt, address=client_address(), formats=PAGE_FORMATS
    )
    if fmt == "html":
        return _page(matter_id, log)
    _render, mimetype = FILES[fmt]  # the service refused any other format, and made it
    response = Response(log.data, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="privilege-log-matter-{matter_id}.{fmt}"'
    )
    return response


def _page(matter_id: int, log: Any, error: GatewayError | None = None) -> Any:
    party, roles = acting_for(matter_id)
    # the description form is offered to the claimant's counsel; the service decides
    describes = party if Role.OUTSIDE_COUNSEL in roles else None
    return render_template(
        "web/privilege_log.html", matter_id=matter_id, log=log, describes=describes, error=error
    ), (error.status if error else 200)


@bp.route("/matters/<int:matter_id>/privilege-log/descriptions", methods=["POST"])
@login_required
def privilege_log_describe(matter_id: int) -> Any:
    clawback_id = request.form.get("clawback", "")
    try:
        described = describe(
            runtime(),
            me(),
            matter_id,
            clawback_id=int(clawback_id) if clawback_id.isdigit() else clawback_id,
            document=request.form.get("document", ""),
            description=request.form.get("description", ""),
            address=client_address(),
        )
    except GatewayError as error:
        if error.status >= 500:
            raise
        log = privilege_log(
            runtime(), me(), matter_id, fmt="html", address=client_address(), formats=PAGE_FORMATS
        )
        return _page(matter_id, log, error)
    flash(f"{described['document']}: described for the privilege log.")
    return redirect(url_for("web.privilege_log_page", matter_id=matter_id))
