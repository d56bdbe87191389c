"""The document as PDF (reportlab's page layout): the same content as the DOCX, for reading and sending."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Image, KeepTogether, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Paragraph as Para
from reportlab.platypus import Table as Grid

from service.reports.charts import chart_png
from service.reports.document import Block, Chart, Document, Facts, Paragraph, Picture, Table
from service.reports.trace_picture import Cell, draw

_STYLES = getSampleStyleSheet()
_HEADING = ParagraphStyle("heading", parent=_STYLES["Heading2"], keepWithNext=1)  # never alone at a page's foot
_CELL = ParagraphStyle("cell", parent=_STYLES["BodyText"], fontSize=8, leading=10)
_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
    ]
)
_WIDTH = A4[0] - 4 * cm
_HEIGHT = A4[1] - 5 * cm  # the frame less room for a heading: a taller picture would not fit any page


def to_pdf(document: Document) -> bytes:
    """The PDF bytes of ``document``."""
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=document.title,
        author="LIF Service",
        invariant=True,  # no creation time or random id: the same record gives the same bytes
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )
    story: list[Any] = [Para(escape(document.title), _STYLES["Title"]), Para(escape(document.subtitle), _CELL)]
    for section in document.sections:
        story.append(Para(escape(section.heading), _HEADING))
        for block in section.blocks:
            story.extend(_block(block))
    pdf.build(story, onLaterPages=_footer, onFirstPage=_footer)
    return buffer.getvalue()


def _block(block: Block) -> list[Any]:
    if isinstance(block, Paragraph):
        return [Para(escape(block.text), _STYLES["BodyText"])]
    if isinstance(block, Facts):
        return [_grid([[label, value] for label, value in block.rows], header=False, widths=[0.4, 0.6])]
    if isinstance(block, Table):
        if not block.rows:
            return [Para("None.", _STYLES["BodyText"])]
        return [_grid([block.columns, *block.rows], header=True)]
    if isinstance(block, Chart):
        return [KeepTogether([_image(chart_png(block), _WIDTH)]), Spacer(1, 6)]
    if isinstance(block, Picture):
        cells = [[Cell(**c) for c in row] for row in block.rows]
        return [_image(draw(cells, title=block.title, fmt="png"), _WIDTH), Spacer(1, 6)]
    raise TypeError(f"unknown block {block!r}")


def _grid(rows: list[list[str]], *, header: bool, widths: list[float] | None = None) -> Grid:
    count = max(len(r) for r in rows)
    columns = [_WIDTH * w for w in (widths or [1 / count] * count)]
    # A value that fits its column on one line stays a plain string: a Paragraph per cell is what makes a long
    # table slow to lay out, and only text that must wrap needs one.
    cells = [
        [
            value
            if "\n" not in value and stringWidth(value, _CELL.fontName, _CELL.fontSize) <= columns[i] - 8
            else Para(escape(value), _CELL)
            for i, value in enumerate(row)
        ]
        for row in rows
    ]
    grid = Grid(cells, colWidths=columns, repeatRows=1 if header else 0)
    grid.setStyle(_GRID)
    if header:
        grid.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4"))]))
    return grid


def _image(png: bytes, width: float) -> Image:
    image = Image(io.BytesIO(png))
    scale = min(1.0, width / image.imageWidth, _HEIGHT / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.drawString(2 * cm, 1.2 * cm, f"Generated from the record by LIF Service. Page {doc.page}")
    canvas.restoreState()
