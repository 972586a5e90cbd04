"""Flask wiring shared by the API and the web pages: runtime, security headers, errors."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
)
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response as BaseResponse

from gateway.audit.events import USER_AGENT_MAX, set_request_user_agent
from gateway.db import MAX_ID
from gateway.errors import GatewayError
from gateway.runtime import Runtime

if TYPE_CHECKING:
    from gateway.documents.content import Served

csrf = CSRFProtect()

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}


class BoundedInt(IntegerConverter):
    """``<int:...>`` for ids: one past what an id column holds (``MAX_ID``) names nothing,
    so it is a 404 whatever the method (a converter's ValidationError would make it a 405
    for methods the rule lacks, naming methods that would then answer 404)."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def runtime() -> Runtime:
    return current_app.extensions["pogw"]


def client_address() -> str:
    return (request.remote_addr or "unknown")[:64]


def client_user_agent() -> str:
    return request.headers.get("User-Agent", "")[:USER_AGENT_MAX]


def stream_response(download: Served, *, disposition: str = "attachment") -> Response:
    """A download as a streamed response; on HEAD, its headers only (the stream is never
    started, so no byte is decrypted)."""
    head = request.method == "HEAD"
    if head and isinstance(download.chunks, Generator):
        download.chunks.close()
    # on HEAD an iterator, not a sequence: Werkzeug would count an empty sequence and send
    # "Content-Length: 0" for a file whose length is not known (a marked PDF's)
    body = iter(()) if head else stream_with_context(download.chunks)
    response = Response(body, mimetype=download.media_type, direct_passthrough=True)
    if download.size is not None:
        response.headers["Content-Length"] = str(download.size)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{download.file_name}"'
    return response


def refuse_head() -> None:
    """For a route whose GET would be audited as what HEAD does not do."""
    if request.method == "HEAD":
        raise MethodNotAllowed(valid_methods=["GET"])


def set_device_cookie(response: BaseResponse, value: str) -> None:
    """Marks the client as a device that signed in (accounts.devices)."""
    from gateway.accounts.devices import COOKIE_NAME

    days = runtime().settings["LOGIN_DEVICE_DAYS"]
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=days * 86400,
        expires=runtime().now() + timedelta(days=days),
        secure=bool(runtime().settings["SECURE_COOKIES"]),
        httponly=True,
        samesite="Strict",
    )


def is_api() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def init_app(app: Flask, rt: Runtime) -> None:
    settings = rt.settings
    app.extensions["pogw"] = rt
    app.config.update(
        SECRET_KEY=rt.keyring.session_key,
        SESSION_COOKIE_NAME="pogw_session",
        SESSION_COOKIE_SECURE=bool(settings["SECURE_COOKIES"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings["SESSION_ABSOLUTE_HOURS"]),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
        # every body is small (forms, JSON); the upload route sets its own (body_limit)
        MAX_CONTENT_LENGTH=settings["MAX_JSON_BYTES"],
        WTF_CSRF_TIME_LIMIT=None,
        TEMPLATES_AUTO_RELOAD=False,
    )
    # an id larger than any id column holds names nothing (404)
    app.url_map.converters["int"] = BoundedInt
    if settings["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings["TRUSTED_PROXIES"], x_proto=1)  # type: ignore[method-assign]
    csrf.init_app(app)

    from gateway.api import bp as api_bp
    from gateway.web import bp as web_bp
    from gateway.web.auth import init_login

    init_login(app)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens, never with cookies
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)

    @app.get("/healthz")
    def healthz() -> Response:
        from sqlalchemy import text

        with rt.db.session() as session:
            session.execute(text("SELECT 1"))
        return jsonify(status="ok")

    from gateway.serverlog import Redact

    app.logger.addFilter(Redact())  # Flask logs an unhandled error with the request's path
    app.before_request(_before_request)
    app.after_request(_security_headers)
    app.register_error_handler(GatewayError, _gateway_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.teardown_appcontext(lambda _exc: g.pop("pogw_user", None))
    app.teardown_request(lambda _exc: set_request_user_agent(""))


def _before_request() -> None:
    from gateway.accounts import refusals
    from gateway.bodies import refuse_nul

    # the actors of this request's audit entries name it (gateway.audit.events)
    set_request_user_agent(client_user_agent())
    # counts of refusals whose interval has ended reach the audit without waiting for
    # the next refusal
    refusals.flush(runtime())
    if not is_api():  # the API checks after authentication (api.routes)
        refuse_nul()


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # same-origin, not no-referrer: CSRF protection on https checks the Referer header
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if not request.path.startswith("/static/"):
        # documents, metadata and audit entries must never sit in a shared or browser cache
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _render_error(status: int, code: str, message: str) -> tuple[Any, int]:
    if is_api():
        return jsonify(error_body(code, message)), status
    return render_template("web/error.html", status=status, code=code, message=message), status


def _gateway_error(error: GatewayError) -> tuple[Any, int]:
    if error.status >= 500:
        # the code and the route, not the message: it may name a document
        current_app.logger.error("gateway error %s on %s", error.code, request.endpoint)
        return _render_error(
            error.status, error.code, "the gateway could not complete this request"
        )
    return _render_error(error.status, error.code, error.message)


def _csrf_error(error: CSRFError) -> tuple[Any, int]:
    return _render_error(400, "bad_request", f"form expired or forged: {error.description}")


def _http_error(error: HTTPException) -> tuple[Any, int] | tuple[Any, int, dict[str, str]]:
    status = error.code or 500
    code = _HTTP_CODES.get(status, "internal")
    message = error.description or error.name
    if status == 404:
        message = "no such resource"
    body, status = _render_error(status, code, message)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        return body, status, {"Allow": ", ".join(sorted(error.valid_methods))}
    return body, status
