"""The privilege log page, with the same log as CSV and PDF downloads."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_login import login_required

from gateway.http import client_address, runtime
from gateway.orders.privilege_log import privilege_log
from gateway.orders.privilege_log_files import FILES
from gateway.web import bp
from gateway.web.pages import me


@bp.route("/matters/<int:matter_id>/privilege-log")
@login_required
def privilege_log_page(matter_id: int) -> Any:
    fmt = request.args.get("format", "html")
    log = privilege_log(
        runtime(), me(), matter_id, fmt="json" if fmt == "html" else fmt, address=client_address()
    )
    if fmt == "html":
        return render_template("web/privilege_log.html", matter_id=matter_id, log=log)
    render, mimetype = FILES[fmt]  # the service refused any other format
    response = Response(render(log), mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="privilege-log-matter-{matter_id}.{fmt}"'
    )
    return response
