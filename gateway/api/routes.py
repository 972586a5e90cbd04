from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, g, jsonify, request, stream_with_context

from gateway.accounts import devices
from gateway.accounts import service as accounts
from gateway.accounts.models import User
from gateway.api import bp
from gateway.api.spec import Param, build_document, requires_auth, route, unknown_arguments
from gateway.audit import service as audit
from gateway.authz.vocabulary import Ack
from gateway.bodies import MultipartFile, body_chunks, limit_body, read_json, refuse_nul
from gateway.documents import downloads, page_views
from gateway.documents import service as documents
from gateway.errors import BadRequest, Invalid
from gateway.http import (
    client_address,
    refuse_head,
    runtime,
    set_device_cookie,
    stream_response,
)
from gateway.matters import service as matters
from gateway.matters.exhibit_a import ExhibitA, blank_text
from gateway.orders import clawback, filings, redactions, rulings, versions
from gateway.orders.deadlines import MAX_DAYS
from gateway.orders.notices import notices_for
from gateway.orders.redesignate import redesignate, redesignate_many
from gateway.queries import MAX_PAGE, from_args


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def current_user() -> User:
    if "pogw_user" not in g:
        g.pogw_user = accounts.user_for_token(runtime(), _bearer(), address=client_address())
    return g.pogw_user


@bp.before_request
def _authenticate_then_limit() -> None:
    """Authentication comes before anything about the request is looked at, then the
    body's size is checked before any of it is read."""
    if requires_auth(request.endpoint):
        current_user()
    refuse_nul()
    unknown = unknown_arguments(request.endpoint, request.method, request.args.keys())
    if unknown and request.endpoint is not None:
        names = ", ".join(repr(name) for name in unknown[:10])
        raise BadRequest(f"unknown query argument(s) {names}: this route takes none of them")
    if request.endpoint in ("api.upload_document", "api.supply_version"):
        # the upload service audits its own refusal, and removes what it began to store
        limit_body(runtime().settings["MAX_UPLOAD_BYTES"], refuse=False)
    elif request.endpoint == "api.trace":
        from gateway.audit import trace as tracing

        # a found file, not JSON; the trace service audits its own refusal
        limit_body(tracing.MAX_TRACE_BYTES, refuse=False)
    else:
        limit_body(runtime().settings["MAX_JSON_BYTES"])


def _json() -> dict[str, Any]:
    body = read_json(runtime().settings["MAX_JSON_BYTES"])
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


PAGE_PARAMS = (
    Param("page", "1-based page number", "integer", minimum=1, maximum=MAX_PAGE),
    Param("per_page", "items per page, default 50, at most 500", "integer", minimum=1, maximum=500),
)


@route(
    bp,
    "/auth/token",
    "POST",
    "Exchange e-mail and password for a bearer token",
    auth=False,
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["email", "password"],
                "properties": {"email": {"type": "string"}, "password": {"type": "string"}},
            }
        }
    },
    responses={"200": "token and expiry"},
)
def issue_token() -> Any:
    body = _json()
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not isinstance(password, str):
        raise BadRequest("email and password: both are required strings")
    rt = runtime()
    signed_in = accounts.authenticate(
        rt,
        email=email,
        password=password,
        address=client_address(),
        device_cookie=request.cookies.get(devices.COOKIE_NAME),
    )
    issued = accounts.issue_token(rt, signed_in.user, address=client_address())
    response = jsonify(token=issued.token, expires_at=issued.expires_at.isoformat())
    set_device_cookie(response, signed_in.device_cookie)
    return response


@route(
    bp,
    "/auth/token",
    "DELETE",
    "Revoke the token this request carries",
    responses={"204": "revoked"},
)
def revoke_token() -> Any:
    accounts.revoke_token(runtime(), current_user(), _bearer() or "", address=client_address())
    return "", 204


@route(bp, "/me", "GET", "The signed-in user")
def me() -> Any:
    user = current_user()
    return jsonify(email=user.email, full_name=user.full_name, operator=user.is_operator)


@route(bp, "/matters", "GET", "Matters the user belongs to")
def list_matters() -> Any:
    rows = matters.list_matters(runtime(), current_user())
    mine = matters.memberships_of(runtime(), current_user())
    return jsonify(items=[_matter_json(m, roles, mine.get(m.id)) for m, roles in rows])


def _matter_json(m: Any, roles: list[str], membership: Any = None) -> dict[str, Any]:
    return {
        "membership": membership,
        "id": m.id,
        "caption": m.caption,
        "case_number": m.case_number,
        "court": m.court,
        "protective_order": {
            "title": m.order_title,
            "date": m.order_date.isoformat(),
            "docket": m.order_docket,
        },
        "roles": roles,
    }


@route(
    bp,
    "/matters/<int:matter_id>/productions",
    "GET",
    "Production volumes holding documents the user may see, with visible counts",
)
def list_productions(matter_id: int) -> Any:
    items = documents.list_productions(
        runtime(), current_user(), matter_id, address=client_address()
    )
    return jsonify(items=items)


@route(
    bp,
    "/matters/<int:matter_id>/documents",
    "GET",
    "Documents the user may see, in Bates order",
    params=(
        Param("q", "search Bates number, title, custodian, file name"),
        Param("bates", "documents containing this Bates number"),
        Param("bates_from", "start of a Bates range"),
        Param("bates_to", "end of a Bates range"),
        Param("family", "an opaque family id"),
        Param("custodian", "custodian contains"),
        Param("designation", "PUBLIC, CONFIDENTIAL, AEO or a tier of the matter's order"),
        Param("production", "production volume name"),
        *PAGE_PARAMS,
    ),
)
def list_documents(matter_id: int) -> Any:
    query = from_args(documents.DocumentQuery, request.args)
    page = documents.list_documents(
        runtime(), current_user(), matter_id, query, address=client_address()
    )
    body: dict[str, Any] = dict(
        items=page.items, total=page.total, page=page.page, per_page=page.per_page
    )
    if page.acknowledgment_required:
        body["acknowledgment_required"] = True
        body["notice"] = matters.SIGN_FOR_MORE
    return jsonify(body)


@route(bp, "/matters/<int:matter_id>/documents/<path:bates>", "GET", "A document's metadata")
def get_document(matter_id: int, bates: str) -> Any:
    return jsonify(
        documents.get_document(
            runtime(), current_user(), matter_id, bates, address=client_address()
        )
    )


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/content",
    "GET",
    "The document's file, streamed (a ZIP when it has several page images), with the "
    "media type it was produced with",
    produces="*/*",
)
def get_content(matter_id: int, bates: str) -> Any:
    download = downloads.download_document(
        runtime(),
        current_user(),
        matter_id,
        bates,
        address=client_address(),
        head=request.method == "HEAD",
    )
    return stream_response(download)


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/pages/<int:page_no>.png",
    "GET",
    "One page of the document as a PNG rendered by the gateway with the caller's forensic "
    "mark burned in (for whoever may render or download it; never the file itself)",
    produces="image/png",
)
def get_page_image(matter_id: int, bates: str, page_no: int) -> Any:
    refuse_head()  # its GET audits a page shown
    image = page_views.render_page(
        runtime(), current_user(), matter_id, bates, page_no, address=client_address()
    )
    response = Response(image.png, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@route(
    bp,
    "/matters/<int:matter_id>/productions/<volume>/download",
    "GET",
    "Every document of a production volume the user may download, as a streamed ZIP",
    produces="application/zip",
)
def download_volume(matter_id: int, volume: str) -> Any:
    refuse_head()  # its GET audits a download of every document in the volume
    download = downloads.download_volume(
        runtime(), current_user(), matter_id, volume, address=client_address()
    )
    return stream_response(download)


@route(
    bp,
    "/matters/<int:matter_id>/acknowledgment",
    "GET",
    "Exhibit A: the text to sign, and whether this user has signed it",
)
def get_acknowledgment(matter_id: int) -> Any:
    rt = runtime()
    user = current_user()
    with rt.transaction() as session:
        access = matters.resolve_access(rt, session, user, matter_id, address=client_address())
        text = blank_text(access.matter)
    signed = matters.acknowledgment_of(rt, user, matter_id)
    return jsonify(
        required=access.acknowledgment_required or access.ack == Ack.SIGNED,
        signed=signed is not None,
        signed_at=signed.signed_at.isoformat() if signed else None,
        text=signed.text if signed else text,
        fields=[
            "full_name",
            "address",
            "agent_name",
            "agent_address",
            "signed_city",
            "signed_on",
            "signature",
            "agree",
        ],
    )


@route(
    bp,
    "/matters/<int:matter_id>/acknowledgment",
    "POST",
    "Sign Exhibit A under penalty of perjury",
    body={"application/json": {"schema": {"type": "object"}}},
    responses={"201": "signed"},
)
def sign_acknowledgment(matter_id: int) -> Any:
    body = _json()
    try:
        signed_on = date.fromisoformat(str(body.get("signed_on", "")))
    except ValueError as exc:
        raise Invalid("signed_on: a date as YYYY-MM-DD is required") from exc
    form = ExhibitA(
        full_name=str(body.get("full_name", "")),
        address=str(body.get("address", "")),
        agent_name=str(body.get("agent_name", "")),
        agent_address=str(body.get("agent_address", "")),
        signed_city=str(body.get("signed_city", "")),
        signed_on=signed_on,
        signature=str(body.get("signature", "")),
        agree=body.get("agree") is True,
    )
    ack = matters.sign_acknowledgment(
        runtime(), current_user(), matter_id, form, address=client_address()
    )
    return jsonify(signed_at=ack.signed_at.isoformat(), text_sha256=ack.text_sha256), 201


@route(
    bp,
    "/matters/<int:matter_id>/audit",
    "GET",
    "The audit trail, newest first: all of it for the neutral auditor, one's own side for "
    "a party's counsel",
    params=(
        Param("user", "actor e-mail"),
        Param("document", "Bates number"),
        Param("since", "ISO 8601 date or time"),
        Param("until", "ISO 8601 date or time"),
        Param(
            "format",
            "json (default), csv, or jsonl (JSON Lines: one entry per line, the CSV's columns)",
        ),
        *PAGE_PARAMS,
    ),
    produces=("application/json", "text/csv", "application/jsonl"),
)
def get_audit(matter_id: int) -> Any:
    query = from_args(audit.AuditQuery, request.args)
    fmt = request.args.get("format", "json")
    if fmt not in {"json", *audit.EXPORT_FORMATS}:
        raise BadRequest("format: json, csv or jsonl")
    rt, user = runtime(), current_user()
    if fmt in audit.EXPORT_FORMATS:
        rows = audit.export_rows(rt, user, matter_id, query, address=client_address(), fmt=fmt)
        mimetype = "text/csv" if fmt == "csv" else "application/jsonl"
        response = Response(stream_with_context(rows), mimetype=mimetype)
        response.headers["Content-Disposition"] = (
            f'attachment; filename="audit-matter-{matter_id}.{fmt}"'
        )
        return response
    items, total, scope, checkpoints = audit.read_audit(
        rt, user, matter_id, query, address=client_address()
    )
    body = {
        "items": items,
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "scope": scope,
        "checkpoints": checkpoints,
    }
    return jsonify(body)


@route(bp, "/openapi.json", "GET", "This API's OpenAPI document", auth=False)
def openapi() -> Any:
    return jsonify(build_document(bp.url_prefix or ""))


@route(
    bp,
    "/matters/<int:matter_id>/productions/<volume>/documents",
    "POST",
    "Produce one document as the caller's party: the request body is the file, streamed",
    params=(
        Param("bates_begin", "first Bates number", required=True),
        Param("bates_end", "last Bates number (default: bates_begin)"),
        Param(
            "designation",
            "PUBLIC, CONFIDENTIAL, AEO or another tier of the matter's order (code, legend "
            "or listed alias); never assumed",
            required=True,
        ),
        Param("file_name", "the file's name as produced", required=True),
        Param("title", "title or subject"),
        Param("custodian", "custodian"),
    ),
    body={"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    responses={"201": "produced"},
)
def upload_document(matter_id: int, volume: str) -> Any:
    from gateway.documents.upload import UploadMeta
    from gateway.documents.upload import upload_document as produce

    meta = UploadMeta(
        volume=volume,
        bates_begin=request.args.get("bates_begin", ""),
        bates_end=request.args.get("bates_end", ""),
        designation=request.args.get("designation", ""),
        file_name=request.args.get("file_name", ""),
        title=request.args.get("title", ""),
        custodian=request.args.get("custodian", ""),
    )
    user = current_user()
    doc = produce(runtime(), user, matter_id, meta, _body_chunks(), address=client_address())
    return jsonify(
        bates_begin=doc.bates_begin,
        bates_end=doc.bates_end,
        designation=doc.designation,
        production=volume,
    ), 201


def _body_chunks() -> Any:
    """The request body in 1 MiB pieces, never spooled to a temporary file; TooLarge (a
    GatewayError, so the upload service audits it and removes what it began to store)
    once past the limit, which is inclusive."""
    return body_chunks(runtime().settings["MAX_UPLOAD_BYTES"])


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/designation",
    "POST",
    "Re-designate a document (whole or named pages) as its designating party",
    body={"application/json": {"schema": {"type": "object"}}},
)
def change_designation(matter_id: int, bates: str) -> Any:
    body = _json()
    result = redesignate(
        runtime(),
        current_user(),
        matter_id,
        bates,
        designation=body.get("designation", ""),
        pages=body.get("pages"),
        reason=body.get("reason", ""),
        address=client_address(),
    )
    return jsonify(result.as_json())


@route(
    bp,
    "/matters/<int:matter_id>/designations",
    "POST",
    "Re-designate whole documents together as their designating party: all or none",
    body={"application/json": {"schema": {"type": "object"}}},
)
def change_designations(matter_id: int) -> Any:
    body = _json()
    result = redesignate_many(
        runtime(),
        current_user(),
        matter_id,
        body.get("documents"),
        designation=body.get("designation", ""),
        reason=body.get("reason", ""),
        address=client_address(),
    )
    return jsonify(result.as_json())


@route(bp, "/notices", "GET", "The caller's own notices, newest first")
def list_notices() -> Any:
    return jsonify(items=notices_for(runtime(), current_user()))


@route(
    bp,
    "/calendar/deadline",
    "GET",
    "A deadline under FRCP 6(a) in a federal district court: due date, the instant it ends "
    "(midnight in the court's time zone), and each day skipped with the law that skips it",
    params=(
        Param("court", "the court's PACER id, e.g. casd", required=True),
        Param(
            "from",
            "the day of the triggering event (excluded from the count)",
            required=True,
            constraints={"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        ),
        Param(
            "days",
            "the period in days",
            "integer",
            required=True,
            constraints={"minimum": 1, "maximum": MAX_DAYS},
        ),
        Param(
            "business_days",
            "1: count only days that are not a Saturday, Sunday or legal holiday",
            constraints={"enum": ["0", "1", "true", "false"]},
        ),
        Param(
            "before_event",
            "1: count backward from a future event (FRCP 6(a)(5))",
            constraints={"enum": ["0", "1", "true", "false"]},
        ),
    ),
)
def calendar_deadline() -> Any:
    from gateway.orders.service import DeadlineRequest, compute

    user = current_user()
    request_ = DeadlineRequest(
        court=request.args.get("court", ""),
        start=request.args.get("from", ""),
        days=request.args.get("days", ""),
        business_days=request.args.get("business_days", ""),
        before_event=request.args.get("before_event", ""),
    )
    found = compute(runtime(), accounts.actor_for(user, client_address()), request_)
    return jsonify(found.as_json())


@route(
    bp,
    "/matters/<int:matter_id>/clawbacks",
    "POST",
    "Claw back privileged or protected documents (FRCP 26(b)(5)(B)): sequestered at once",
    body={"application/json": {"schema": {"type": "object"}}},
    responses={"201": "sequestered"},
)
def notice_clawback(matter_id: int) -> Any:
    body = _json()
    view = clawback.claw_back(
        runtime(),
        current_user(),
        matter_id,
        documents=body.get("documents"),
        privilege=body.get("privilege", ""),
        basis=body.get("basis", ""),
        address=client_address(),
    )
    return jsonify(view.as_json()), 201


@route(
    bp,
    "/matters/<int:matter_id>/clawbacks",
    "GET",
    "The claw-backs the caller may know of, newest first, naming only documents it may list",
)
def list_clawbacks(matter_id: int) -> Any:
    items = clawback.clawbacks_for(runtime(), current_user(), matter_id, address=client_address())
    return jsonify(items=items)


@route(bp, "/matters/<int:matter_id>/clawbacks/<int:clawback_id>", "GET", "A claw-back")
def get_clawback(matter_id: int, clawback_id: int) -> Any:
    view = clawback.get_clawback(
        runtime(), current_user(), matter_id, clawback_id, address=client_address()
    )
    return jsonify(view.as_json())


@route(
    bp,
    "/matters/<int:matter_id>/clawbacks/<int:clawback_id>/presentations",
    "POST",
    "Receiving counsel presents clawed-back documents to the court under seal",
    body={"application/json": {"schema": {"type": "object"}}},
    responses={"201": "presented"},
)
def present_clawback(matter_id: int, clawback_id: int) -> Any:
    body = _json()  # {} presents every document of the claw-back not yet presented
    view = clawback.present(
        runtime(),
        current_user(),
        matter_id,
        clawback_id,
        documents=body.get("documents"),
        address=client_address(),
    )
    return jsonify(view.as_json()), 201


@route(
    bp,
    "/matters/<int:matter_id>/certifications",
    "GET",
    "The caller's party's claw-back certification tasks (never another party's)",
)
def list_certifications(matter_id: int) -> Any:
    items = clawback.certifications_for(
        runtime(), current_user(), matter_id, address=client_address()
    )
    return jsonify(items=items)


@route(
    bp,
    "/matters/<int:matter_id>/certifications/<int:certification_id>",
    "POST",
    "Certify what became of each copy the party downloaded before the claw-back notice",
    body={"application/json": {"schema": {"type": "object"}}},
)
def sign_certification(matter_id: int, certification_id: int) -> Any:
    body = _json()
    result = clawback.certify(
        runtime(),
        current_user(),
        matter_id,
        certification_id,
        copies=body.get("copies"),
        statement=body.get("statement", ""),
        signed_by=body.get("signed_by", ""),
        address=client_address(),
    )
    return jsonify(result)


@route(
    bp,
    "/matters/<int:matter_id>/clawbacks/<int:clawback_id>/rulings",
    "POST",
    "The court's ruling on one document of a claw-back, and the deadlines it orders",
    body={"application/json": {"schema": {"type": "object"}}},
    responses={"201": "ruled"},
)
def rule_clawback(matter_id: int, clawback_id: int) -> Any:
    body = _json()
    result = rulings.rule(
        runtime(),
        current_user(),
        matter_id,
        clawback_id,
        document=body.get("document", ""),
        outcome=body.get("outcome", ""),
        pages=body.get("pages"),
        order=body.get("order"),
        deadlines=body.get("deadlines"),
        address=client_address(),
    )
    return jsonify(result), 201


@route(
    bp,
    "/matters/<int:matter_id>/deadlines",
    "GET",
    "What the court's orders require and when: the caller's party's obligations",
)
def list_deadlines(matter_id: int) -> Any:
    user, address = current_user(), client_address()
    items = rulings.deadlines_for(runtime(), user, matter_id, address=address)
    orders = rulings.orders_for(runtime(), user, matter_id, address=address)
    return jsonify(items=items, orders=orders)


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/versions",
    "POST",
    "Supply a redacted version of a document (its producing or designating party)",
    body={
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "kind": {"type": "string", "enum": ["privilege_redacted", "public_redacted"]},
                    "designation": {"type": "string"},
                },
                "required": ["file", "kind", "designation"],
            }
        }
    },
    responses={"201": "the new version"},
)
def supply_version(matter_id: int, bates: str) -> Any:
    upload = MultipartFile(runtime().settings["MAX_UPLOAD_BYTES"])
    result = versions.supply_version(
        runtime(), current_user(), matter_id, bates, upload, address=client_address()
    )
    return jsonify(result), 201


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/versions",
    "GET",
    "The versions of a document the caller may know of, most complete first",
)
def list_versions(matter_id: int, bates: str) -> Any:
    items = versions.versions_of(
        runtime(), current_user(), matter_id, bates, address=client_address()
    )
    return jsonify(items=items)


MARK_SCHEMA = {
    "type": "object",
    "properties": {
        "page": {"type": "string", "description": "Bates number of the page"},
        "box": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        "text": {"type": "string"},
        "pattern": {"type": "string", "maxLength": 500},
        "pages": {"type": "array", "items": {"type": "string"}},
    },
}


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/redactions",
    "POST",
    "Redact a document: a new version with the marked content gone from the file (its "
    "producing or designating party)",
    body={
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["privilege_redacted", "public_redacted"]},
                    "designation": {"type": "string"},
                    "label": {"type": "string"},
                    "reason": {"type": "string"},
                    "dpi": {"type": "integer", "minimum": 72, "maximum": 600},
                    "from": {"type": "string"},
                    "marks": {"type": "array", "items": MARK_SCHEMA},
                },
                "required": ["kind", "designation", "reason", "marks"],
            }
        }
    },
    responses={"201": "the new version"},
)
def make_redaction(matter_id: int, bates: str) -> Any:
    result = redactions.redact(
        runtime(), current_user(), matter_id, bates, _json(), address=client_address()
    )
    return jsonify(result), 201


@route(
    bp,
    "/matters/<int:matter_id>/documents/<path:bates>/redactions",
    "GET",
    "A document's redaction log (its producing or designating party and the court)",
)
def list_redactions(matter_id: int, bates: str) -> Any:
    items = redactions.redactions_of(
        runtime(), current_user(), matter_id, bates, address=client_address()
    )
    return jsonify(items=items)


@route(
    bp,
    "/matters/<int:matter_id>/filings",
    "POST",
    "Record a filing with the court: lodged under seal, or on the public docket",
    body={"application/json": {"schema": {"type": "object"}}},
    responses={"201": "recorded"},
)
def record_filing(matter_id: int) -> Any:
    body = _json()
    result = filings.file_with_court(
        runtime(),
        current_user(),
        matter_id,
        document=body.get("document", ""),
        version=body.get("version"),
        disposition=body.get("disposition", ""),
        docket=body.get("docket", ""),
        filed_at=body.get("filed_at", ""),
        deadline=body.get("deadline"),
        address=client_address(),
    )
    return jsonify(result), 201


@route(
    bp,
    "/matters/<int:matter_id>/trace",
    "POST",
    "The auditor's trace of a found file (a PDF, or a page of one) to the download it came "
    "from: the audit entry and its inclusion in the trail, or a plain cannot-tell; never "
    "the document's content",
    body={
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
    },
)
def trace(matter_id: int) -> Any:
    from gateway.audit import trace as tracing

    if request.mimetype == "multipart/form-data":
        chunks = MultipartFile(tracing.MAX_TRACE_BYTES).chunks()
    else:
        chunks = body_chunks(tracing.MAX_TRACE_BYTES)
    return jsonify(
        tracing.trace_for_auditor(
            runtime(), current_user(), matter_id, chunks, address=client_address()
        )
    )
