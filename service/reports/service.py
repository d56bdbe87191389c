"""Generate a document: build it once from the record, render it, and record the generation in the audit log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from service.access.principal import Principal
from service.db.session import unit_of_work
from service.reports import action_plan, dhr_qa, pre_publication, rapid_review, sab_annual, yearly
from service.reports.document import Document
from service.reports.render_docx import to_docx
from service.reports.render_pdf import to_pdf
from service.reports.sources import current_reporting_year, record_generation


class CaseDocument(StrEnum):
    """Documents made from one case."""

    RAPID_REVIEW_SUMMARY = rapid_review.KIND
    PRE_PUBLICATION_PACK = pre_publication.KIND
    DHR_QA_SUBMISSION = dhr_qa.KIND


class PartnershipReport(StrEnum):
    """Documents made from the partnership's year (or, for the action plan, its current state)."""

    YEARLY_REPORT = yearly.KIND
    SAB_ANNUAL_REPORT = sab_annual.KIND
    COMPOSITE_ACTION_PLAN = action_plan.KIND


class Format(StrEnum):
    """What a document is rendered to."""

    JSON = "json"
    DOCX = "docx"
    PDF = "pdf"


MEDIA_TYPES = {
    Format.JSON: "application/json",
    Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Format.PDF: "application/pdf",
}

_CASE: dict[CaseDocument, Callable[[Session, Principal, uuid.UUID], Document]] = {
    CaseDocument.RAPID_REVIEW_SUMMARY: rapid_review.build,
    CaseDocument.PRE_PUBLICATION_PACK: pre_publication.build,
    CaseDocument.DHR_QA_SUBMISSION: dhr_qa.build,
}
_PARTNERSHIP: dict[PartnershipReport, Callable[[Session, Principal, int], Document]] = {
    PartnershipReport.YEARLY_REPORT: yearly.build,
    PartnershipReport.SAB_ANNUAL_REPORT: sab_annual.build,
    PartnershipReport.COMPOSITE_ACTION_PLAN: action_plan.build,
}


@dataclass(frozen=True)
class Rendered:
    """A generated document in one format."""

    document: Document
    fmt: Format
    content: bytes | dict[str, Any]

    @property
    def filename(self) -> str:
        return f"{self.document.filename}.{self.fmt.value}"

    @property
    def body(self) -> bytes:
        """The bytes to send or store: the file, or the JSON document encoded."""
        return self.content if isinstance(self.content, bytes) else json.dumps(self.content).encode()


def case_document(
    session: Session, principal: Principal, case_id: uuid.UUID, kind: CaseDocument, fmt: Format, *, database_url: str
) -> Rendered:
    """One case's document, within the caller's need-to-know; the generation is audited."""
    document = _CASE[kind](session, principal, case_id)
    rendered = _render(document, fmt)
    _audit(database_url, principal, document, fmt, case_id)
    return rendered


def partnership_report(
    session: Session,
    principal: Principal,
    kind: PartnershipReport,
    year: int | None,
    fmt: Format,
    *,
    database_url: str,
) -> Rendered:
    """One of the partnership's reports for the reporting year starting 1 April ``year`` (default: this one)."""
    document = _PARTNERSHIP[kind](session, principal, year if year is not None else current_reporting_year())
    rendered = _render(document, fmt)
    _audit(database_url, principal, document, fmt, None)
    return rendered


def _audit(url: str, principal: Principal, document: Document, fmt: Format, case_id: uuid.UUID | None) -> None:
    # Documents are made in a read transaction, so that a long one never holds SQLite's write lock; the audit entry
    # is then written in a short unit of its own, before the document is handed over (no entry, no document).
    with unit_of_work(write=True, url=url) as session:
        record_generation(session, principal, document, fmt=fmt.value, case_id=case_id)


def _render(document: Document, fmt: Format) -> Rendered:
    if fmt is Format.DOCX:
        return Rendered(document, fmt, to_docx(document))
    if fmt is Format.PDF:
        return Rendered(document, fmt, to_pdf(document))
    return Rendered(document, fmt, document.to_json())
