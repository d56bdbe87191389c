"""The document model: what a document says, built once from the record and rendered to JSON, DOCX or PDF."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Paragraph:
    """Plain text."""

    text: str
    block: str = "paragraph"


@dataclass
class Facts:
    """Label and value pairs (dates, the decision, whether a clock was met)."""

    rows: list[tuple[str, str]]
    block: str = "facts"


@dataclass
class Table:
    """A table with a header row."""

    columns: list[str]
    rows: list[list[str]]
    block: str = "table"


@dataclass
class Chart:
    """Numbers over time or by category: one bar series per name, an optional reference line (a clock)."""

    title: str
    categories: list[str]
    series: dict[str, list[float]]
    y_label: str = ""
    limit: float | None = None
    limit_label: str = ""
    stacked: bool = False
    block: str = "chart"


@dataclass
class Picture:
    """A picture drawn from data at render time (the impact trace); ``rows`` are its cells."""

    title: str
    rows: list[list[dict[str, str]]]
    block: str = "picture"


Block = Paragraph | Facts | Table | Chart | Picture


@dataclass
class Section:
    """A heading and what is under it."""

    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """One generated document."""

    kind: str
    title: str
    subtitle: str
    sections: list[Section]
    outward: bool  # leaves the partnership: pseudonymised and redacted content only
    filename: str

    def to_json(self) -> dict[str, Any]:
        """The document for front ends (charts and pictures as their data)."""
        return asdict(self)


def yes_no(value: bool | None) -> str:
    """A yes/no a reader can't misread (None is 'not recorded')."""
    return "not recorded" if value is None else ("yes" if value else "no")


def text(value: Any) -> str:
    """A value as table text; missing values are said plainly."""
    return "not recorded" if value in (None, "", []) else str(value)
