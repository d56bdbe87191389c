"""The document as DOCX (python-docx): headings, fact tables, tables and pictures business managers edit in Word."""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.document import Document as Docx
from docx.shared import Cm, Pt

from service.reports.charts import chart_png
from service.reports.document import Block, Chart, Document, Facts, Paragraph, Picture, Table
from service.reports.trace_picture import Cell, draw


def to_docx(document: Document) -> bytes:
    """The DOCX bytes of ``document``."""
    out = new_docx()
    out.styles["Normal"].font.size = Pt(10)
    out.core_properties.title = document.title
    out.add_heading(document.title, level=0)
    out.add_paragraph(document.subtitle)
    for section in document.sections:
        out.add_heading(section.heading, level=1)
        for block in section.blocks:
            _block(out, block)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _block(doc: Docx, block: Block) -> None:
    if isinstance(block, Paragraph):
        doc.add_paragraph(block.text)
    elif isinstance(block, Facts):
        _table(doc, None, [[label, value] for label, value in block.rows])
    elif isinstance(block, Table):
        _table(doc, block.columns, block.rows)
    elif isinstance(block, Chart):
        doc.add_picture(io.BytesIO(chart_png(block)), width=Cm(16))
    elif isinstance(block, Picture):
        cells = [[Cell(**c) for c in row] for row in block.rows]
        doc.add_picture(io.BytesIO(draw(cells, title=block.title, fmt="png")), width=Cm(17))


def _table(doc: Docx, columns: list[str] | None, rows: list[list[str]]) -> None:
    width = len(columns) if columns else max((len(r) for r in rows), default=1)
    # Every row made at once: adding rows one by one re-sets each cell's width and is several times slower.
    table = doc.add_table(rows=len(rows) + (1 if columns else 0), cols=width)
    table.style = "Table Grid"
    values = [columns, *rows] if columns else rows
    for index, (row, texts) in enumerate(zip(table.rows, values, strict=True)):
        for cell, value in zip(row.cells, texts, strict=True):
            cell.text = value
            if columns and index == 0:
                cell.paragraphs[0].runs[0].bold = True
    if not rows:
        doc.add_paragraph("None.")
