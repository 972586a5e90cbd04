from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required, login_user, logout_user

from gateway.accounts import devices
from gateway.accounts import service as accounts
from gateway.accounts.models import User
from gateway.audit import service as audit
from gateway.authz.vocabulary import Disposition
from gateway.documents import downloads, page_views
from gateway.documents import service as documents
from gateway.errors import AcknowledgmentRequired, Conflict, GatewayError, Invalid
from gateway.http import (
    client_address,
    refuse_head,
    runtime,
    set_device_cookie,
    stream_response,
)
from gateway.matters import order_policy
from gateway.matters import service as matters
from gateway.matters.exhibit_a import ExhibitA, blank_text
from gateway.matters.order_store import rules_text, tiers_text
from gateway.queries import from_args
from gateway.web import bp
from gateway.web.auth import SessionUser, rotate_session


def me() -> User:
    return current_user.user  # type: ignore[no-any-return]


def acting_for(matter_id: int) -> tuple[str | None, frozenset[str]]:
    """The party the caller acts for in the matter, and the roles it holds there: what a
    page offers them. Only the services decide what they may do."""
    mine: dict[str, Any] = matters.memberships_of(runtime(), me()).get(matter_id) or {}
    return mine.get("party"), frozenset(r["role"] for r in mine.get("roles", []))


def _safe_next(target: str | None) -> str:
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("web.matter_list")


@bp.route("/", methods=["GET"])
def index() -> Any:
    return redirect(url_for("web.matter_list"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error, status = "", 200
    if request.method == "POST":
        email = request.form.get("email", "")
        password = request.form.get("password", "")
        rt = runtime()
        try:
            signed_in = accounts.authenticate(
                rt,
                email=email,
                password=password,
                address=client_address(),
                device_cookie=request.cookies.get(devices.COOKIE_NAME),
            )
        except GatewayError as exc:
            error, status = exc.message, exc.status
        else:
            rotate_session()
            session_id = accounts.start_session(rt, signed_in.user, address=client_address())
            login_user(SessionUser(signed_in.user, session_id))
            response = redirect(_safe_next(request.args.get("next")))
            set_device_cookie(response, signed_in.device_cookie)
            return response
    return render_template("web/login.html", error=error), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    accounts.end_session(runtime(), current_user.session_id, address=client_address())
    logout_user()
    rotate_session()
    return redirect(url_for("web.login"))


@bp.route("/matters")
@login_required
def matter_list() -> Any:
    return render_template(
        "web/matters.html",
        rows=matters.list_matters(runtime(), me()),
        mine=matters.memberships_of(runtime(), me()),
    )


@bp.route("/matters/<int:matter_id>/documents")
@login_required
def document_list(matter_id: int) -> Any:
    query = from_args(documents.DocumentQuery, request.args)
    try:
        page = documents.list_documents(runtime(), me(), matter_id, query, address=client_address())
    except AcknowledgmentRequired:
        flash("This matter's protective order binds you only once you sign Exhibit A.")
        return redirect(url_for("web.acknowledgment", matter_id=matter_id))
    productions = documents.list_productions(runtime(), me(), matter_id, address=client_address())
    return render_template(
        "web/documents.html",
        matter_id=matter_id,
        page=page,
        query=query,
        productions=productions,
        pages=max(1, -(-page.total // query.per_page)),
    )


@bp.route("/matters/<int:matter_id>/documents/<path:bates>")
@login_required
def document_page(matter_id: int, bates: str) -> Any:
    try:
        doc = documents.get_document(runtime(), me(), matter_id, bates, address=client_address())
    except AcknowledgmentRequired:
        return redirect(url_for("web.acknowledgment", matter_id=matter_id))
    # the forms are offered as the document's ``actions`` say; the services decide
    actions = set(doc.get("actions", []))
    tiers = (
        sorted(
            order_policy.view_for(
                runtime(), me(), matter_id, address=client_address()
            ).policy.tiers,
            key=lambda tier: tier.rank,
        )
        if "designation:change" in actions
        else []
    )
    return render_template(
        "web/document.html",
        matter_id=matter_id,
        doc=doc,
        tiers=tiers,
        may_claw_back="clawback:notice" in actions,
        may_supply="version:supply" in actions,
        may_file="filing:record" in actions,
        dispositions=[str(d) for d in Disposition],
    )


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/content")
@login_required
def document_content(matter_id: int, bates: str) -> Any:
    download = downloads.download_document(
        runtime(), me(), matter_id, bates, address=client_address(), head=request.method == "HEAD"
    )
    return stream_response(download)


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/pages/<int:page_no>")
@login_required
def document_pages(matter_id: int, bates: str, page_no: int) -> Any:
    try:
        info = page_views.page_info(
            runtime(), me(), matter_id, bates, page_no, address=client_address()
        )
    except AcknowledgmentRequired:
        return redirect(url_for("web.acknowledgment", matter_id=matter_id))
    response = Response(render_template("web/page_view.html", matter_id=matter_id, info=info))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/matters/<int:matter_id>/documents/<path:bates>/pages/<int:page_no>.png")
@login_required
def document_page_image(matter_id: int, bates: str, page_no: int) -> Any:
    refuse_head()  # its GET audits a page shown
    image = page_views.render_page(
        runtime(), me(), matter_id, bates, page_no, address=client_address()
    )
    response = Response(image.png, mimetype="image/png")
    # a page shown is not kept: not by the browser, not by a proxy
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/matters/<int:matter_id>/productions/<volume>/download")
@login_required
def volume_download(matter_id: int, volume: str) -> Any:
    refuse_head()  # its GET audits a download of every document in the volume
    download = downloads.download_volume(
        runtime(), me(), matter_id, volume, address=client_address()
    )
    return stream_response(download)


@bp.route("/matters/<int:matter_id>/acknowledgment", methods=["GET", "POST"])
@login_required
def acknowledgment(matter_id: int) -> Any:
    rt = runtime()
    errors: list[str] = []
    if request.method == "POST":
        form = request.form
        try:
            signed_on = date.fromisoformat(form.get("signed_on", ""))
        except ValueError:
            errors.append("signed_on: a date as YYYY-MM-DD is required")
            signed_on = date(1900, 1, 1)
        exhibit = ExhibitA(
            full_name=form.get("full_name", ""),
            address=form.get("address", ""),
            agent_name=form.get("agent_name", ""),
            agent_address=form.get("agent_address", ""),
            signed_city=form.get("signed_city", ""),
            signed_on=signed_on,
            signature=form.get("signature", ""),
            agree=form.get("agree") == "yes",
        )
        if not errors:
            try:
                matters.sign_acknowledgment(rt, me(), matter_id, exhibit, address=client_address())
            except Invalid as exc:
                errors = exc.message.split("; ")
            else:
                flash("Exhibit A signed. Its text and your signature are on record.")
                return redirect(url_for("web.document_list", matter_id=matter_id))
    with rt.transaction() as session:
        access = matters.resolve_access(rt, session, me(), matter_id, address=client_address())
        text = blank_text(access.matter)
        today = matters.court_today(access.matter, rt.now())
    signed = matters.acknowledgment_of(rt, me(), matter_id)
    return render_template(
        "web/acknowledgment.html",
        matter_id=matter_id,
        matter=access.matter,
        text=text,
        signed=signed,
        errors=errors,
        today=today,
        form=request.form,
    ), (422 if errors else 200)


@bp.route("/matters/<int:matter_id>/audit")
@login_required
def audit_view(matter_id: int) -> Any:
    query = from_args(audit.AuditQuery, request.args)
    fmt = request.args.get("format", "")
    if fmt in audit.EXPORT_FORMATS:
        rows = audit.export_rows(
            runtime(), me(), matter_id, query, address=client_address(), fmt=fmt
        )
        mimetype = "text/csv" if fmt == "csv" else "application/jsonl"
        response = Response(stream_with_context(rows), mimetype=mimetype)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="audit-matter-{matter_id}.{fmt}"'
        )
        return response
    items, total, scope, checkpoints = audit.read_audit(
        runtime(), me(), matter_id, query, address=client_address()
    )
    return render_template(
        "web/audit.html",
        matter_id=matter_id,
        items=items,
        total=total,
        scope=scope,
        query=query,
        checkpoints=checkpoints,
        pages=max(1, -(-total // query.per_page)),
    )


@bp.app_template_filter("page_url")
def page_url(page_no: int) -> str:
    """This page's URL for another page number. The query is encoded here, never handed
    to ``url_for`` as keywords: names like ``_method`` or ``_external`` would steer it."""
    path = url_for(request.endpoint or "web.index", **(request.view_args or {}))
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    return f"{path}?{urlencode([*query, ('page', str(page_no))])}"


@bp.route("/matters/<int:matter_id>/policy", methods=["GET", "POST"])
@login_required
def order_rules(matter_id: int) -> Any:
    """The matter's order as rules, beside the default; the operator may change them."""
    rt, status = runtime(), 200
    errors: list[str] = []
    form = {k: request.form.get(k, "") for k in ("rules_text", "tiers_text", "reason")}
    if request.method == "POST":
        try:
            order_policy.edit_variant(
                rt,
                me(),
                matter_id,
                rules_text=form["rules_text"],
                tiers_text_=form["tiers_text"],
                reason=form["reason"],
                address=client_address(),
            )
        except (Invalid, Conflict) as exc:
            problems = exc.details.get("problems") if isinstance(exc.details, dict) else None
            errors, status = problems or [exc.message], exc.status
        else:
            flash("The matter's rules were changed; they hold from the next request on.")
            return redirect(url_for("web.order_rules", matter_id=matter_id))
    view = order_policy.view_for(rt, me(), matter_id, address=client_address())
    return render_template(
        "web/policy.html",
        matter_id=matter_id,
        view=view,
        rules_text=form["rules_text"] or rules_text(view.policy.rules),
        tiers=form["tiers_text"] or tiers_text(view.policy),
        reason=form["reason"],
        errors=errors,
        editable=me().is_operator,
    ), status
