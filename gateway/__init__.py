"""The protective-order gateway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None, *, runtime: Any = None) -> Flask:
    """Build the Flask application; nothing is read or opened before this is called."""
    from gateway import http
    from gateway.config import load_settings
    from gateway.runtime import Runtime

    settings = load_settings(test_config)
    # static files are served by the web blueprint; the app has none of its own
    app = Flask(__name__, instance_path=str(settings["INSTANCE_PATH"]), static_folder=None)
    rt = runtime or Runtime(settings)
    http.init_app(app, rt)
    return app
