"""A generated document as JSON (``format=json``): the shape service/reports/document.py's ``Document`` takes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from service.reports.service import CaseDocument, PartnershipReport


class ParagraphBlock(BaseModel):
    """Plain text."""

    block: Literal["paragraph"]
    text: str


class FactsBlock(BaseModel):
    """Label and value pairs (dates, the decision, whether a clock was met)."""

    block: Literal["facts"]
    rows: list[tuple[str, str]]


class TableBlock(BaseModel):
    """A table: its header row and its rows of cells."""

    block: Literal["table"]
    columns: list[str]
    rows: list[list[str]]


class ChartBlock(BaseModel):
    """Numbers by category: one bar series per name, and an optional reference line (a clock)."""

    block: Literal["chart"]
    title: str
    categories: list[str]
    series: dict[str, list[float]]
    y_label: str
    limit: float | None
    limit_label: str
    stacked: bool


class PictureBlock(BaseModel):
    """A picture drawn from data (the impact trace): rows of cells, each a small map of text."""

    block: Literal["picture"]
    title: str
    rows: list[list[dict[str, str]]]


Block = Annotated[ParagraphBlock | FactsBlock | TableBlock | ChartBlock | PictureBlock, Field(discriminator="block")]


class DocumentSection(BaseModel):
    """A heading and what is under it."""

    heading: str
    blocks: list[Block]


class DocumentRead(BaseModel):
    """A statutory document or partnership report, for a front end to lay out (DOCX and PDF render the same)."""

    kind: CaseDocument | PartnershipReport = Field(description="The document's kind, as in the path.")
    title: str
    subtitle: str
    sections: list[DocumentSection]
    outward: bool = Field(description="It leaves the partnership: pseudonymised and redacted content only.")
    filename: str = Field(description="The file name the DOCX and PDF renderings take, without extension.")
