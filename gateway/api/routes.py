from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, g, jsonify, request, stream_with_context
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.accounts import service as accounts
from gateway.accounts.models import User
from gateway.api import bp
from gateway.api.spec import Param, build_document, route
from gateway.audit import service as audit
from gateway.documents import downloads
from gateway.documents import service as documents
from gateway.documents.downloads import Download
from gateway.errors import BadRequest, Invalid, TooLarge
from gateway.http import client_address, runtime
from gateway.matters import service as matters
from gateway.matters.exhibit_a import ExhibitA, blank_text
from gateway.queries import from_args


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def current_user() -> User:
    if "pogw_user" not in g:
        g.pogw_user = accounts.user_for_token(runtime(), _bearer(), address=client_address())
    return g.pogw_user


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _stream(download: Download, *, disposition: str = "attachment") -> Response:
    response = Response(
        stream_with_context(download.chunks), mimetype=download.media_type, direct_passthrough=True
    )
    if download.size is not None:
        response.headers["Content-Length"] = str(download.size)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{download.file_name}"'
    return response


PAGE_PARAMS = (
    Param("page", "1-based page number", "integer"),
    Param("per_page", "items per page, default 50, at most 500", "integer"),
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
    user = accounts.authenticate(rt, email=email, password=password, address=client_address())
    issued = accounts.issue_token(rt, user, address=client_address())
    return jsonify(token=issued.token, expires_at=issued.expires_at.isoformat())


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
    return jsonify(items=[_matter_json(m, roles) for m, roles in rows])


def _matter_json(m: Any, roles: list[str]) -> dict[str, Any]:
    return {
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
    return jsonify(items=page.items, total=page.total, page=page.page, per_page=page.per_page)


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
    "The document's file, streamed (a ZIP when it has several page images)",
    produces="application/octet-stream",
)
def get_content(matter_id: int, bates: str) -> Any:
    download = downloads.download_document(
        runtime(), current_user(), matter_id, bates, address=client_address()
    )
    return _stream(download)


@route(
    bp,
    "/matters/<int:matter_id>/productions/<volume>/download",
    "GET",
    "Every document of a production volume the user may download, as a streamed ZIP",
    produces="application/zip",
)
def download_volume(matter_id: int, volume: str) -> Any:
    download = downloads.download_volume(
        runtime(), current_user(), matter_id, volume, address=client_address()
    )
    return _stream(download)


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
        required=access.acknowledgment_required or access.ack == "signed",
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
        Param("format", "json (default) or csv"),
        *PAGE_PARAMS,
    ),
)
def get_audit(matter_id: int) -> Any:
    query = from_args(audit.AuditQuery, request.args)
    fmt = request.args.get("format", "json")
    if fmt not in {"json", "csv"}:
        raise BadRequest("format: json or csv")
    rt, user = runtime(), current_user()
    if fmt == "csv":
        rows = audit.export_csv(rt, user, matter_id, query, address=client_address())
        response = Response(stream_with_context(rows), mimetype="text/csv")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="audit-matter-{matter_id}.csv"'
        )
        return response
    items, total, scope, head = audit.read_audit(
        rt, user, matter_id, query, address=client_address()
    )
    body = {
        "items": items,
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "scope": scope,
    }
    if head is not None:
        body["head"] = head
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
    """The request body in 1 MiB pieces, never spooled to a temporary file."""
    try:
        stream = request.stream
        while chunk := stream.read(1 << 20):
            yield chunk
    except RequestEntityTooLarge as exc:
        # raised mid-stream for a body without a length; a GatewayError so the upload
        # service can audit the refusal and remove what it began to store
        raise TooLarge(f"the body exceeds {request.max_content_length} bytes") from exc
