"""Log lines that never name a document: which Bates numbers a party's lawyers open or
search for is that party's work product, and the operator reads these logs.

``Redact`` rewrites each record before any handler sees it: arguments that could be a
path, a query or an exception's text become ``[redacted]``, paths written into the
message itself become ``[path]``, and a traceback is cut down to the exception's type and
where it was raised (file, line, function), without its message.
"""

from __future__ import annotations

import logging
import re
import traceback
from types import TracebackType
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

_PATH = re.compile(r"(?<![\w.:/])/[^\s\[\]\"']*")
REDACTED = "[redacted]"


_LISTEN = re.compile(r"https?://[\w.\-\[\]:]+/?")  # where the server listens: no path


def _safe(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _LISTEN.fullmatch(value):
        return value
    if isinstance(value, str) and len(value) <= 64 and not any(c in value for c in "/?%"):
        return value  # an address, a pid as text, a signal name
    return REDACTED


def _where(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    frames = traceback.extract_tb(tb)[-5:]
    path = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames)
    return f"{exc_type.__name__} at {path}" if path else exc_type.__name__


class Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {k: _safe(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_safe(a) for a in record.args)
        record.msg = _PATH.sub("[path]", str(record.msg))
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _value, tb = record.exc_info
            record.msg = f"{record.msg} ({_where(exc_type, tb)})"
            record.exc_info = None
            record.exc_text = None
        return True


class RedactingLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's logger with ``Redact`` on its error log (``logger_class``)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(isinstance(f, Redact) for f in self.error_log.filters):
            self.error_log.addFilter(Redact())
