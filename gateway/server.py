"""gunicorn as a library: the same server for the embedded default and for scale-out."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: dict[str, Any], options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from gateway import create_app

        return create_app(self.settings)


def _worker_exit(_server: Any, worker: Any) -> None:
    """A worker that stops writes what it still holds (the open interval's counts of
    unauthenticated refusals) and releases its connections."""
    app = getattr(worker, "wsgi", None)
    runtime = app.extensions.get("pogw") if app is not None else None
    if runtime is not None:
        runtime.close()


def run(settings: dict[str, Any], *, host: str, port: int, workers: int) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 4,
        "timeout": 120,
        "accesslog": "-",
        # paths and queries name the Bates numbers a party's lawyers open or search for:
        # that is the party's work product, and the operator reads these logs
        "access_log_format": '%(h)s "%(m)s" %(s)s %(b)s %(L)ss',
        # and its error log (a failed stream logs the request's path and a traceback)
        "logger_class": "gateway.serverlog.RedactingLogger",
        "worker_exit": _worker_exit,
    }
    _Server(settings, options).run()
