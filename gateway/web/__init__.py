"""Server-rendered pages: sign-in, matters, production browser, documents, Exhibit A, audit,
and the steps of the court's order."""

from flask import Blueprint

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)

from gateway.web import auditor, orders, pages, privilege_log  # noqa: E402,F401  (registers the views)
