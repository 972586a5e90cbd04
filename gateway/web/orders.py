"""Pages for the court's order, step by step: re-designation, claw-back, presentation to the
court, rulings, certifications, deadlines and notices.

Each view reads its form (``gateway.web.forms``), calls the one service the API calls, and
renders. The service decides: a form is offered to those it may concern, and whatever the
service refuses is shown with the service's own words (and audited by it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from gateway.authz.vocabulary import Role, State
from gateway.bodies import MultipartFile, limit_body
from gateway.errors import Forbidden, GatewayError
from gateway.http import client_address, csrf, runtime
from gateway.matters import service as matters
from gateway.orders import clawback, filings, redactions, rulings, versions
from gateway.orders.notices import notices_for
from gateway.orders.redesignate import redesignate
from gateway.orders.versions import SUPPLIED
from gateway.web import bp, forms
from gateway.web.pages import acting_for, me

# the outcomes ``rulings.rule`` takes, as the court's form offers them
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("denied", "denied: restored"),
    ("granted", "granted: withdrawn"),
    ("granted_in_part", "granted in part: stays sequestered until redacted"),
)


def _shown(error: GatewayError) -> GatewayError:
    """A refusal to show beside the form; a failure of the gateway goes to the error page."""
    if error.status >= 500:
        raise error
    return error


# --- re-designation ----------------------------------------------------------------------


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/designation", methods=["POST"])
@login_required
def redesignation(matter_id: int, bates: str) -> Any:
    result = redesignate(
        runtime(),
        me(),
        matter_id,
        bates,
        **forms.designation_args(request.form),
        address=client_address(),
    )
    return render_template("web/redesignated.html", matter_id=matter_id, result=result)


# --- versions and filings -----------------------------------------------------------------


def _versions_page(matter_id: int, bates: str, error: GatewayError | None = None) -> Any:
    items = versions.versions_of(runtime(), me(), matter_id, bates, address=client_address())
    return render_template(
        "web/versions.html",
        matter_id=matter_id,
        bates=bates,
        items=items,
        kinds=[str(k) for k in SUPPLIED],
        error=error,
    ), (error.status if error else 200)


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/versions")
@login_required
def document_versions(matter_id: int, bates: str) -> Any:
    return _versions_page(matter_id, bates)


def _csrf_before_file(fields: dict[str, str]) -> None:
    """The form's CSRF token must come before its file, so that no byte of a forged upload
    is stored (the page puts it first)."""
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(fields.get("csrf_token", ""))
    except ValidationError as exc:
        raise Forbidden(f"the form's CSRF token is missing or wrong: {exc}") from None


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/versions", methods=["POST"])
@login_required
def supply_version(matter_id: int, bates: str) -> Any:
    """A redacted version, from the page's form: read as it arrives, like the API's upload
    (the form's CSRF token checked when the file part begins, before it is stored)."""
    limit = runtime().settings["MAX_UPLOAD_BYTES"]
    limit_body(limit, refuse=False)
    upload = MultipartFile(limit, before_file=_csrf_before_file)
    try:
        made = versions.supply_version(
            runtime(), me(), matter_id, bates, upload, address=client_address()
        )
    except GatewayError as exc:
        return _versions_page(matter_id, bates, error=_shown(exc))
    flash(f"{made['kind'].replace('_', '-')} version of {bates} supplied ({made['designation']}).")
    return redirect(url_for("web.document_versions", matter_id=matter_id, bates=bates))


csrf.exempt(supply_version)  # its token is checked in the body, before the file is read


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/redactions", methods=["POST"])
@login_required
def make_redaction(matter_id: int, bates: str) -> Any:
    """A redacted version made by the gateway from the marks typed on the versions page."""
    body = forms.redaction_body(request.form)
    try:
        made = redactions.redact(runtime(), me(), matter_id, bates, body, address=client_address())
    except GatewayError as exc:
        return _versions_page(matter_id, bates, error=_shown(exc))
    flash(
        f"{made['kind'].replace('_', '-')} version of {bates} made ({made['designation']}): "
        f"{made['note']}."
    )
    return redirect(url_for("web.document_versions", matter_id=matter_id, bates=bates))


@bp.route("/matters/<int:matter_id>/filings", methods=["POST"])
@login_required
def record_filing(matter_id: int) -> Any:
    args = forms.filing_args(request.form)
    filed = filings.file_with_court(runtime(), me(), matter_id, **args, address=client_address())
    deadline = filed["deadline"]
    timing = (
        ""
        if deadline is None
        else f" It was {'on time' if deadline['on_time'] else 'LATE'} for the deadline of "
        f"{deadline['due']} ({deadline['what']})."
    )
    flash(
        f"Filing recorded: {filed['document']} ({filed['version']}) {filed['disposition']}, "
        f"docket {filed['docket']}; now {filed['designation']['after']}.{timing}"
    )
    return redirect(url_for("web.document_page", matter_id=matter_id, bates=filed["document"]))


# --- claw-back ---------------------------------------------------------------------------


@bp.route("/matters/<int:matter_id>/clawbacks", methods=["GET", "POST"])
@login_required
def clawback_notice(matter_id: int) -> Any:
    """The notice form (FRCP 26(b)(5)(B)); ``?documents=`` fills in the Bates numbers."""
    form = request.form if request.method == "POST" else request.args
    error: GatewayError | None = None
    if request.method == "POST":
        try:
            view = clawback.claw_back(
                runtime(), me(), matter_id, **forms.clawback_args(form), address=client_address()
            )
        except GatewayError as exc:
            error = _shown(exc)
        else:
            flash(
                f"Claw-back {view.id} noticed: {len(view.documents)} document(s) sequestered "
                "for the receiving side at once."
            )
            return redirect(url_for("web.clawback_page", matter_id=matter_id, clawback_id=view.id))
    known = clawback.clawbacks_for(runtime(), me(), matter_id, address=client_address())
    return render_template(
        "web/clawback_new.html", matter_id=matter_id, form=form, error=error, clawbacks=known
    ), (error.status if error else 200)


def _clawback_page(
    matter_id: int,
    clawback_id: int,
    *,
    error: GatewayError | None = None,
    form: MultiDict[str, str] | None = None,
) -> Any:
    view = clawback.get_clawback(runtime(), me(), matter_id, clawback_id, address=client_address())
    party, roles = acting_for(matter_id)
    # a ruling form for each document still pending; presenting, while any is sequestered
    sequestered = [d for d in view.documents if d["state"] == State.SEQUESTERED]
    pending = [d for d in sequestered if not d["ruling"]]
    return render_template(
        "web/clawback.html",
        matter_id=matter_id,
        view=view,
        # offered to whom the step may concern; the service decides
        may_present=party is not None and party != view.claimant and bool(sequestered),
        may_rule=Role.COURT in roles,
        sequestered=pending,
        outcomes=OUTCOMES,
        error=error,
        form=form or MultiDict(),
    ), (error.status if error else 200)


@bp.route("/matters/<int:matter_id>/clawbacks/<int:clawback_id>")
@login_required
def clawback_page(matter_id: int, clawback_id: int) -> Any:
    return _clawback_page(matter_id, clawback_id)


@bp.route("/matters/<int:matter_id>/clawbacks/<int:clawback_id>/presentations", methods=["POST"])
@login_required
def clawback_present(matter_id: int, clawback_id: int) -> Any:
    view = clawback.present(
        runtime(),
        me(),
        matter_id,
        clawback_id,
        **forms.presentation_args(request.form),
        address=client_address(),
    )
    flash(f"Presented to the court under seal: claw-back {view.id}.")
    return redirect(url_for("web.clawback_page", matter_id=matter_id, clawback_id=clawback_id))


@bp.route("/matters/<int:matter_id>/clawbacks/<int:clawback_id>/rulings", methods=["POST"])
@login_required
def clawback_rule(matter_id: int, clawback_id: int) -> Any:
    try:
        ruled = rulings.rule(
            runtime(),
            me(),
            matter_id,
            clawback_id,
            **forms.ruling_args(request.form),
            address=client_address(),
        )
    except GatewayError as exc:
        return _clawback_page(matter_id, clawback_id, error=_shown(exc), form=request.form)
    due = "; ".join(f"{d['party']}: {d['what']} by {d['due']}" for d in ruled["deadlines"])
    flash(
        f"Ruling recorded: {ruled['document']} {ruled['outcome'].replace('_', ' ')}, "
        f"now {ruled['state']}." + (f" Deadlines: {due}." if due else "")
    )
    return redirect(url_for("web.clawback_page", matter_id=matter_id, clawback_id=clawback_id))


def _court_zone(matter_id: int) -> str:
    """The court's time zone, to show when a last day ends there (FRCP 6(a)(4)(A))."""
    return next(
        (m.court_timezone for m, _ in matters.list_matters(runtime(), me()) if m.id == matter_id),
        "UTC",
    )


# --- certifications ----------------------------------------------------------------------


def _certifications_page(
    matter_id: int, *, error: GatewayError | None = None, failed: int | None = None
) -> Any:
    tasks = clawback.certifications_for(runtime(), me(), matter_id, address=client_address())
    for task in tasks:
        # one action per document: a copy downloaded by two people is one document to certify
        task["documents"] = list(dict.fromkeys(c["bates_begin"] for c in task["copies"]))
    return render_template(
        "web/certifications.html",
        matter_id=matter_id,
        tasks=tasks,
        zone=_court_zone(matter_id),
        actions=clawback.COPY_ACTIONS,
        action_field=forms.ACTION_FIELD,
        error=error,
        failed=failed,
        form=request.form if failed is not None else MultiDict(),
    ), (error.status if error else 200)


@bp.route("/matters/<int:matter_id>/certifications")
@login_required
def certifications(matter_id: int) -> Any:
    return _certifications_page(matter_id)


@bp.route("/matters/<int:matter_id>/certifications/<int:certification_id>", methods=["POST"])
@login_required
def certification_sign(matter_id: int, certification_id: int) -> Any:
    try:
        clawback.certify(
            runtime(),
            me(),
            matter_id,
            certification_id,
            **forms.certification_args(request.form),
            address=client_address(),
        )
    except GatewayError as exc:
        return _certifications_page(matter_id, error=_shown(exc), failed=certification_id)
    flash(f"Certification {certification_id} signed; it is on record for your party only.")
    return redirect(url_for("web.certifications", matter_id=matter_id))


# --- deadlines and notices ---------------------------------------------------------------


@bp.route("/matters/<int:matter_id>/deadlines")
@login_required
def deadlines(matter_id: int) -> Any:
    items = rulings.deadlines_for(runtime(), me(), matter_id, address=client_address())
    orders = rulings.orders_for(runtime(), me(), matter_id, address=client_address())
    return render_template(
        "web/deadlines.html",
        matter_id=matter_id,
        items=items,
        orders=orders,
        overdue=sum(1 for i in items if i["overdue"]),
        zone=_court_zone(matter_id),
    )


@bp.route("/notices")
@login_required
def notices() -> Any:
    return render_template("web/notices.html", items=notices_for(runtime(), me()))


@bp.app_template_filter("in_zone")
def in_zone(instant: str, zone: str) -> str:
    """An instant the service gives (ISO 8601), as the clock on the court's wall shows it."""
    return datetime.fromisoformat(instant).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
