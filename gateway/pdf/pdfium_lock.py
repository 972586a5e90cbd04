"""PDFium is not thread-safe: every use of pypdfium2 in a process (rendering a page view,
reading a found file's text for a trace, resolving and checking a redaction) holds this
one lock, so two threads never call into it at once."""

from __future__ import annotations

import threading

PDFIUM = threading.RLock()
