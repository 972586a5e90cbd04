"""The auditor's report as a PDF: the range's access per day as a bar chart (reportlab's own
graphics), the per-user, per-party and per-document tables, the anomalies with their
explanations, and the size of the trail. Built in reportlab's invariant mode, with no
time of its own, so the same trail and range give the same bytes."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from gateway.audit.activity import Table
from gateway.audit.auditor import Overview

_SIZE = letter
_MARGIN = 0.6 * inch
_WIDTH = _SIZE[0] - 2 * _MARGIN
SERIES = (
    ("views", colors.HexColor("#4c72b0")),
    ("downloads", colors.HexColor("#dd8452")),
    ("denials", colors.HexColor("#c44e52")),
)


def render(report: Overview) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=_SIZE,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=0.6 * inch,
        bottomMargin=0.7 * inch,
        title=f"Audit report, {report.activity.case_number}",
        author="Protective-order gateway",
        invariant=1,
    )
    footer = f"{report.activity.case_number} - audit report, {report.activity.days.describe()}"

    def number(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(_MARGIN, 0.4 * inch, footer)
        canvas.drawRightString(_SIZE[0] - _MARGIN, 0.4 * inch, f"Page {canvas.getPageNumber()}")
        canvas.restoreState()

    doc.build(_story(report), onFirstPage=number, onLaterPages=number)
    return buffer.getvalue()


def _story(report: Overview) -> list[Any]:
    styles = getSampleStyleSheet()
    body = styles["Normal"]
    heading = ParagraphStyle("section", parent=styles["Heading2"], keepWithNext=1)
    act = report.activity
    totals = act.totals
    latest = (
        f" (the latest at {report.last_at.strftime('%Y-%m-%d %H:%M:%S')} UTC)"
        if report.last_at
        else ""
    )
    story: list[Any] = [
        Paragraph(_escape(act.caption), styles["Title"]),
        Paragraph(_escape(f"{report.court}, No. {act.case_number}"), body),
        Paragraph(_escape(f"Audit report for {act.days.describe()}"), styles["Heading3"]),
        Paragraph(
            _escape(
                f"Prepared for {report.prepared_for}, the neutral auditor. By the end of the "
                f"range the matter's trail held {report.trail_entries} entries{latest}; "
                f"{act.entries_in_range} of them fall in this range, with {totals.views} "
                f"views, {totals.downloads} downloads and {totals.denials} denials."
            ),
            body,
        ),
        Spacer(1, 0.15 * inch),
        Paragraph("Access per day", heading),
        chart(act.per_day),
        Paragraph("Anomalies", heading),
        *_anomalies(report, body),
        Paragraph("Per user", heading),
        *_table(act.users, ("User", "Party"), body, user=True),
        Paragraph("Per party", heading),
        *_table(act.parties, ("Party",), body),
        Paragraph("Per document", heading),
        *_table(act.documents, ("Document",), body),
    ]
    return story


def chart(per_day: list[Any]) -> Drawing:
    """Views, downloads and denials per day, side by side; every day has its bar group,
    and as many day labels as fit are shown."""
    height = 2.4 * inch
    drawing = Drawing(_WIDTH, height)
    bars = VerticalBarChart()
    bars.x, bars.y = 32, 42
    bars.width, bars.height = _WIDTH - 40, height - 70
    bars.data = [[getattr(c, name) for _d, c in per_day] for name, _colour in SERIES]
    step = max(1, -(-len(per_day) // 16))
    bars.categoryAxis.categoryNames = [
        d.strftime("%m-%d") if i % step == 0 else "" for i, (d, _c) in enumerate(per_day)
    ]
    bars.categoryAxis.visibleTicks = len(per_day) <= 62
    bars.categoryAxis.labels.fontSize = 6
    bars.categoryAxis.labels.angle = 45
    bars.categoryAxis.labels.boxAnchor = "ne"
    bars.valueAxis.valueMin = 0
    highest = max((max(series) for series in bars.data if series), default=0)
    if highest == 0:
        bars.valueAxis.valueMax = 1
    bars.valueAxis.labels.fontSize = 7
    bars.barSpacing = 0
    bars.groupSpacing = 2 if len(per_day) > 60 else 4
    bars.strokeColor = None
    for i, (_name, colour) in enumerate(SERIES):
        bars.bars[i].fillColor = colour
        bars.bars[i].strokeColor = None
    drawing.add(bars)
    legend = Legend()
    legend.x, legend.y = _WIDTH - 150, height - 8
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontSize = 7
    legend.deltax = 50
    legend.colorNamePairs = [(colour, name) for name, colour in SERIES]
    drawing.add(legend)
    return drawing


def _anomalies(report: Overview, body: ParagraphStyle) -> list[Any]:
    limits = report.findings.thresholds
    rules = Paragraph(
        _escape(
            f"Rules: at least {limits.bulk_downloads} documents downloaded by one user within "
            f"{limits.bulk_window_minutes} minutes; views or downloads outside working hours "
            f"({limits.working_hours()}, {report.activity.days.zone.key}); at least "
            f"{limits.denial_burst} refusals by one user or from one address within "
            f"{limits.denial_window_minutes} minutes; any view or download of a document "
            "while a claw-back of it was pending."
        ),
        ParagraphStyle("rules", parent=body, fontSize=8, leading=10, textColor=colors.grey),
    )
    if not report.findings.anomalies:
        return [rules, Paragraph("No anomaly in this range.", body)]
    item = ParagraphStyle("item", parent=body, leftIndent=10, spaceBefore=3)
    return [rules] + [
        Paragraph(f"<b>{_escape(str(a.kind))}</b>: {_escape(a.explanation)}", item)
        for a in report.findings.anomalies
    ]


def _table(
    table: Table, titles: tuple[str, ...], body: ParagraphStyle, *, user: bool = False
) -> list[Any]:
    if not table.rows:
        return [Paragraph("Nobody viewed, downloaded or was refused anything in this range.", body)]
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    names = [*titles, "Views", "Downloads", "Denials"]
    data: list[list[Any]] = [[Paragraph(n, head) for n in names]]
    for row in table.rows:
        keys = [row.key, row.party] if user else [row.key]
        numbers = [row.counts.views, row.counts.downloads, row.counts.denials]
        data.append([Paragraph(_escape(k), cell) for k in keys] + [str(n) for n in numbers])
    number_width = 0.8 * inch
    text_width = (_WIDTH - 3 * number_width) / len(titles)
    shown = LongTable(data, colWidths=[text_width] * len(titles) + [number_width] * 3, repeatRows=1)
    shown.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (len(titles), 1), (-1, -1), "RIGHT"),
                ("FONTSIZE", (len(titles), 1), (-1, -1), 7.5),
            ]
        )
    )
    if not table.more:
        return [shown]
    return [shown, Paragraph(_escape(f"... and {table.more} more, less active."), body)]


def _escape(text: str) -> str:
    """Paragraph text is reportlab's mark-up: the trail's text is shown as it is."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
