"""Generate a document: build it once from the record, render it, and record the generation in the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from service.access.principal import Principal
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


def case_document(
    session: Session, principal: Principal, case_id: uuid.UUID, kind: CaseDocument, fmt: Format
) -> Rendered:
    """One case's document, within the caller's need-to-know; the generation is audited."""
    document = _CASE[kind](session, principal, case_id)
    record_generation(session, principal, document, fmt=fmt.value, case_id=case_id)
    return _render(document, fmt)


def partnership_report(
    session: Session, principal: Principal, kind: PartnershipReport, year: int | None, fmt: Format
) -> Rendered:
    """One of the partnership's reports for the reporting year starting 1 April ``year`` (default: this one)."""
    document = _PARTNERSHIP[kind](session, principal, year if year is not None else current_reporting_year())
    record_generation(session, principal, document, fmt=fmt.value, case_id=None)
    return _render(document, fmt)


def _render(document: Document, fmt: Format) -> Rendered:
    if fmt is Format.DOCX:
        return Rendered(document, fmt, to_docx(document))
    if fmt is Format.PDF:
        return Rendered(document, fmt, to_pdf(document))
    return Rendered(document, fmt, document.to_json())
