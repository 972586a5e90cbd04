"""Server-rendered pages: sign-in, matters, production browser, documents, Exhibit A, audit."""

from flask import Blueprint

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)

from gateway.web import pages  # noqa: E402,F401  (registers the views)
