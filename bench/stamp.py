"""The forensic watermark's cost, and a 500-page marked download's first byte and memory.

1. Stamping: a PDF of N text pages (with a page image each, like a produced scan) is opened,
   stamped with a recipient's mark and written (``gateway.pdf.watermark``); the baseline is
   a bare pikepdf copy of the same pages, opened and written with the same options, in the
   same run. Median over rounds, in ms per page, and the ratio ours / copy.
2. Download: the same PDF is produced into a fresh demo instance (encrypted at rest), then
   downloaded through ``downloads.download_document`` as receiving counsel: the time until
   the first chunk, the whole stream, and the process's peak resident memory while it
   streams (VmHWM reset before, read after) against the file's size, for N and 4N pages.

Not part of the test suite; run it by hand:

    .venv/bin/python bench/stamp.py [--pages 500] [--rounds 7]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from gateway.pdf.marks import Mark, make_token
from gateway.pdf.watermark import save, stamp

MIB = 1024 * 1024


def make_pdf(pages: int) -> bytes:
    """``pages`` pages of text, each with its own grayscale image (about 60 KB that does
    not compress, as a scan's would not)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    for number in range(1, pages + 1):
        reader = ImageReader(Image.effect_noise((300, 200), 40 + number % 7).convert("L"))
        pdf.setFont("Helvetica", 11)
        for line in range(40):
            pdf.drawString(72, 720 - line * 15, f"Page {number}, line {line}: stand-in text " * 2)
        pdf.drawImage(reader, 72, 60, width=300, height=120)
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(72, 40, "CONFIDENTIAL")
        pdf.drawRightString(540, 40, f"BEN-{number:08d}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _copy(data: bytes, mark: Mark | None) -> float:
    started = time.perf_counter()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if mark is not None:
            stamp(pdf, mark)
        save(pdf, io.BytesIO())
    return time.perf_counter() - started


def stamping(data: bytes, pages: int, rounds: int) -> tuple[float, float]:
    """Median ms per page: a bare copy, and open + stamp + write."""
    mark = Mark(
        "Pat Plaintiff-Counsel",
        "counsel@plaintiffs.example",
        datetime(2020, 6, 26, 17, tzinfo=UTC),
        make_token(b"k" * 32, 1, 123456),
    )
    copies, ours = [], []
    for _ in range(rounds):
        copies.append(_copy(data, None))
        ours.append(_copy(data, mark))
    return (
        statistics.median(copies) * 1000 / pages,
        statistics.median(ours) * 1000 / pages,
    )


def _rss(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def download(root: Path, data: bytes, pages: int) -> dict[str, Any]:
    """Produce ``data`` into a fresh demo instance, then time receiving counsel's download."""
    from gateway.accounts import service as accounts
    from gateway.config import load_settings
    from gateway.db import Base
    from gateway.demo import load_demo
    from gateway.documents.downloads import download_document
    from gateway.documents.upload import UploadMeta, upload_document
    from gateway.keyring import init_keys
    from gateway.runtime import Runtime

    init_keys(root / "keys")
    settings = load_settings(
        {
            "INSTANCE_PATH": str(root / "instance"),
            "KEYS_PATH": str(root / "keys"),
            "DATABASE_URL": f"sqlite:///{root / 'bench.sqlite3'}",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 8192,
            "ARGON2_PARALLELISM": 1,
        },
        environ={},
    )
    rt = Runtime(settings)
    import gateway.models  # noqa: F401 - every table

    Base.metadata.create_all(rt.db.engine)
    matter_id = load_demo(rt, say=lambda _line: None)
    producer = accounts.get_user(rt, "counsel@defendants.example")
    upload_document(
        rt,
        producer,
        matter_id,
        UploadMeta(
            volume="BENCH-VOL001",
            bates_begin="AOL-DEF-01000001",
            bates_end=f"AOL-DEF-{1000000 + pages:08d}",
            designation="CONFIDENTIAL",
            file_name="bench.pdf",
        ),
        (data[i : i + MIB] for i in range(0, len(data), MIB)),
        address="bench",
    )
    counsel = accounts.get_user(rt, "counsel@plaintiffs.example")
    resident = _rss("VmRSS")
    peak_known = _reset_peak()
    started = time.perf_counter()
    served = download_document(rt, counsel, matter_id, "AOL-DEF-01000001", address="bench")
    chunks = iter(served.chunks)
    first = next(chunks)
    first_byte = time.perf_counter() - started
    size = len(first)
    for chunk in chunks:
        size += len(chunk)
    whole = time.perf_counter() - started
    peak = _rss("VmHWM") if peak_known else 0
    rt.close()
    return {
        "pages": pages,
        "file_mib": len(data) / MIB,
        "served_mib": size / MIB,
        "first_byte_s": first_byte,
        "whole_s": whole,
        "rss_growth_mib": max(0, peak - resident) / MIB if peak_known else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    data = make_pdf(args.pages)
    copy_ms, ours_ms = stamping(data, args.pages, args.rounds)
    print(
        f"stamping {args.pages} pages ({len(data) / MIB:.1f} MiB), median of {args.rounds}: "
        f"bare copy {copy_ms:.3f} ms/page, marked {ours_ms:.3f} ms/page "
        f"(the mark adds {ours_ms - copy_ms:.3f} ms/page)"
    )
    for pages in (args.pages, 4 * args.pages):
        with tempfile.TemporaryDirectory() as tmp:
            got = download(Path(tmp), data if pages == args.pages else make_pdf(pages), pages)
        print(
            f"download of {got['pages']} pages ({got['file_mib']:.1f} MiB stored, "
            f"{got['served_mib']:.1f} MiB served): first byte after {got['first_byte_s']:.3f} s, "
            f"whole in {got['whole_s']:.2f} s, peak RSS growth {got['rss_growth_mib']:.1f} MiB"
        )
        if pages == args.pages:
            first_byte = got["first_byte_s"]
    print(
        f"RESULT stamp ms_per_page={ours_ms:.3f} pages={args.pages} "
        f"ratio={ours_ms / copy_ms:.2f} first_byte_s={first_byte:.3f}"
    )


if __name__ == "__main__":
    main()
