"""Redaction of one page in a 500-page document (target: at most 2 s).

Builds a 500-page PDF (reportlab, a few lines of text on each page), then, in the same
process, times the median of several runs of:

- the baseline: a bare pikepdf open and save of the same document (a copy);
- ``gateway.pdf.redact.redact_pdf`` with one text mark limited to page 250, at 300 dpi:
  the marks resolved through PDFium's text page, the page rendered and burned, the other
  499 pages copied, the file scrubbed and saved, every output page's text extracted again
  to verify.

Ends with one ``RESULT`` line: the redaction's median seconds and its ratio to the copy's.

Run: .venv/bin/python bench/redact.py [--pages N] [--runs N] [--dpi N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import pikepdf
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from gateway.pdf.redact import TextMark, page_text, redact_pdf


def document(pages: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    for n in range(1, pages + 1):
        pdf.setFont("Helvetica", 11)
        for line in range(30):
            pdf.drawString(72, 720 - line * 20, f"Page {n}, line {line}: stand-in report text.")
        if n == pages // 2:
            pdf.drawString(72, 90, "Database identification code: FIR-2018-000123")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def copy(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def timed(runs: int, work) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dpi", type=int, default=300)
    args = parser.parse_args()
    data = document(args.pages)
    marked = args.pages // 2 - 1
    mark = TextMark("FIR-2018-000123", pages=(marked,))
    print(f"document: {args.pages} pages, {len(data):,} bytes; mark on page {marked + 1}")
    baseline, _ = timed(args.runs, lambda: copy(data))
    print(f"copy (pikepdf open + save): median {baseline:.3f} s")
    ours, made = timed(args.runs, lambda: redact_pdf(io.BytesIO(data), [mark], dpi=args.dpi))
    assert made is not None and page_text(made.pdf, marked) == ""  # type: ignore[attr-defined]
    print(f"redact one page at {args.dpi} dpi: median {ours:.3f} s")
    print(
        f"RESULT redact seconds={ours:.3f} pages={args.pages} dpi={args.dpi} "
        f"ratio={ours / baseline:.2f}"
    )


if __name__ == "__main__":
    main()
