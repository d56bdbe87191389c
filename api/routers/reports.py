"""Statutory documents and the impact trace: JSON for front ends, DOCX to edit, PDF to send, SVG to look at."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Header, Query, Request, Response

from api.deps import PrincipalDep, SessionDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, file_response, text_response
from api.schemas.documents import DocumentRead
from api.schemas.reports import CaseImpactTrace, ReportJobCreate, ReportJobRead, ThemeImpactTrace
from service.models import ReportJob
from service.reports import jobs, trace
from service.reports.service import (
    MEDIA_TYPES,
    CaseDocument,
    Format,
    PartnershipReport,
    Rendered,
    case_document,
    partnership_report,
)

router = ResourceRouter(prefix="/api/v1", tags=["reports"], responses=PROBLEM_RESPONSES)

_BINARY_FORMATS = (MEDIA_TYPES[Format.DOCX], MEDIA_TYPES[Format.PDF])


def _document(description: str) -> dict[str, Any]:
    # JSON with its real schema (the model registers it); DOCX and PDF as files.
    files = file_response(description, *_BINARY_FORMATS)
    return {**files, "model": DocumentRead, "content": {MEDIA_TYPES[Format.JSON]: {}, **files["content"]}}


_FILES: dict[int | str, dict[str, Any]] = {
    200: _document("The document as JSON, DOCX or PDF (``format``, else the Accept header).")
}
FormatQuery = Annotated[Format | None, Query(alias="format", description="json, docx or pdf (else: Accept)")]
AcceptHeader = Annotated[str, Header(description="application/pdf or the DOCX media type, when no format")]


@router.get("/cases/{case_id}/impact-trace")
def get_case_impact_trace(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> CaseImpactTrace:
    """The chain from review to evaluated learning: findings, actions, learning, dissemination; gaps flagged."""
    return CaseImpactTrace.model_validate(trace.case_trace(session, principal, case_id))


@router.get(
    "/cases/{case_id}/impact-trace.svg",
    response_class=Response,
    responses={200: text_response("The impact trace drawn.", "image/svg+xml")},
)
def get_case_impact_trace_svg(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """The case's impact trace as an SVG picture (one row per recommendation, gaps in red)."""
    return Response(trace.case_trace_svg(session, principal, case_id), media_type="image/svg+xml")


@router.get("/themes/{code}/impact-trace")
def get_theme_impact_trace(code: str, session: SessionDep, principal: PrincipalDep) -> ThemeImpactTrace:
    """The chain of every recommendation on a theme, across the reviews you see in full."""
    return ThemeImpactTrace.model_validate(trace.theme_trace(session, principal, code))


@router.get("/cases/{case_id}/documents/{kind}", response_class=Response, responses=_FILES)
def get_case_document(
    case_id: uuid.UUID,
    kind: CaseDocument,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fmt: FormatQuery = None,
    accept: AcceptHeader = "",
) -> Response:
    """A case's statutory pack (rapid review summary, pre-publication pack, Home Office QA submission); audited."""
    rendered = case_document(
        session, principal, case_id, kind, _format(fmt, accept), database_url=request.app.state.database_url
    )
    return _respond(rendered)


@router.get("/partnership/reports/{kind}", response_class=Response, responses=_FILES)
def get_partnership_report(
    kind: PartnershipReport,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[
        int | None,
        Query(ge=2000, le=2100, description="The reporting year starting 1 April (default: the current one)"),
    ] = None,
    fmt: FormatQuery = None,
    accept: AcceptHeader = "",
) -> Response:
    """The yearly report, the SAB annual report or the composite action plan; audited."""
    rendered = partnership_report(
        session, principal, kind, year, _format(fmt, accept), database_url=request.app.state.database_url
    )
    return _respond(rendered)


def _format(fmt: Format | None, accept: str) -> Format:
    if fmt is not None:
        return fmt
    for candidate in (Format.PDF, Format.DOCX):
        if MEDIA_TYPES[candidate] in accept:
            return candidate
    return Format.JSON


def _respond(rendered: Rendered) -> Response:
    if isinstance(rendered.content, dict):
        return Response(rendered.body, media_type=MEDIA_TYPES[Format.JSON])
    return Response(
        rendered.body,
        media_type=MEDIA_TYPES[rendered.fmt],
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )


@router.post(
    "/partnership/reports/{kind}/jobs",
    status_code=202,
    responses={202: {"headers": {"Location": {"description": "The job's status: GET it until done"}}}},
)
def queue_partnership_report(
    kind: PartnershipReport, body: ReportJobCreate, session: SessionDep, principal: PrincipalDep, response: Response
) -> ReportJobRead:
    """Make a partnership report in the background; poll the job for its stage and percentage, then fetch it."""
    job = jobs.queue(session, principal, kind, body.year, Format(body.format))
    response.headers["Location"] = f"/api/v1/report-jobs/{job.id}"
    return _job(job)


@router.get("/report-jobs/{job_id}")
def get_report_job(job_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> ReportJobRead:
    """One of your report jobs: queued, running (its stage and percentage), done or failed (why)."""
    return _job(jobs.get(session, principal, job_id))


@router.get(
    "/report-jobs/{job_id}/content",
    response_class=Response,
    responses={200: _document("The report, in the format the job was asked for")},
)
def get_report_job_content(job_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> Response:
    """The finished report's file (409 while it is being made, once it failed, or after a day)."""
    job = jobs.content(session, principal, job_id)
    assert job.content is not None
    return Response(
        job.content,
        media_type=job.media_type,
        headers={"Content-Disposition": f'attachment; filename="{job.filename}"'},
    )


def _job(job: ReportJob) -> ReportJobRead:
    url = f"/api/v1/report-jobs/{job.id}/content" if job.status == "done" and job.content is not None else None
    return ReportJobRead.model_validate({**job.model_dump(exclude={"content"}), "content_url": url})
