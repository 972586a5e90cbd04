"""No log line names a document (issue 7, item 5): gunicorn's error log and Flask's."""

from __future__ import annotations

import io
import logging

from gunicorn.config import Config

from gateway.serverlog import RedactingLogger

BATES = "AOL-DEF-00556914"
URI = f"/api/v1/matters/1/documents/{BATES}/content?x=1"


def test_gunicorn_error_log_keeps_the_failure_and_drops_the_path():
    logger = RedactingLogger(Config())
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.error_log.addHandler(handler)
    try:
        try:
            raise RuntimeError(f"segment 3 of {BATES} failed its tag")
        except RuntimeError:
            # what gunicorn's worker logs when a streamed response fails
            logger.exception("Error handling request %s %s", "GET", URI)
        logger.info("Booting worker with pid: %s", 4242)
        logger.info("Listening at: %s (%s)", "http://127.0.0.1:8000", 4241)
    finally:
        logger.error_log.removeHandler(handler)
    text = out.getvalue()
    assert BATES not in text and "/api/" not in text, text
    assert "ERROR Error handling request GET [redacted] (RuntimeError at " in text
    assert "test_serverlog.py:" in text  # where it failed is kept
    assert "Booting worker with pid: 4242" in text
    assert "Listening at: http://127.0.0.1:8000 (4241)" in text


def test_flask_logs_an_unhandled_error_without_the_path(app, caplog):
    def boom(bates: str) -> str:
        raise RuntimeError(f"cannot read {bates}")

    app.add_url_rule("/api/v1/boom/<path:bates>", "boom", boom)
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        response = app.test_client().get(f"https://localhost/api/v1/boom/{BATES}")
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == app.logger.name]
    assert record.exc_info is None
    line = record.getMessage()
    assert BATES not in line and "/api/" not in line, line
    assert line.startswith("Exception on [path] [GET] (RuntimeError at ")
