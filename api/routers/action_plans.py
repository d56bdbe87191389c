"""Recommendations, themes, action plans and evidence."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import File, Form, Query, Request, Response, UploadFile

from api.deps import AgencyPrincipalDep, LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.action_plans import (
    ActionCreate,
    ActionRead,
    AgencyPlanRead,
    EvidenceRead,
    RaisedEarlierRead,
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
    RecurrenceRead,
    SabAnnualReport,
    ThemeCreate,
    ThemeRead,
    ThemeUpdate,
)
from api.schemas.common import GONE_RESPONSES, PROBLEM_RESPONSES, Page, file_response
from api.schemas.vocabulary import ActionStatus
from service.actions import evidence, plan, recommendations, sab_report, themes
from service.actions.evidence_store import EvidenceStore
from service.actions.plan import ActionView
from service.actions.recommendations import RecommendationView, Recurrence
from service.errors import InvalidInput

router = ResourceRouter(prefix="/api/v1", tags=["action plans"], responses=PROBLEM_RESPONSES)
# Case types are per partnership: GET /api/v1/case-types lists the ones this partnership can open.
ReviewTypeQuery = Annotated[
    str | None, Query(description="Only reviews of this case type, e.g. 'cspr' (GET /api/v1/case-types lists them).")
]


def _recurrence(item: Recurrence) -> RecurrenceRead:
    return RecurrenceRead(theme=item.theme_code, **{k: v for k, v in vars(item).items() if k != "theme_code"})


def _recommendation(view: RecommendationView) -> RecommendationRead:
    r = view.recommendation
    return RecommendationRead(
        id=r.id,
        case_id=r.case_id,
        case_reference=view.case.reference,
        review_type=view.case.case_type,
        number=r.number,
        finding=r.finding,
        text=r.text,
        themes=[t.code for t in view.themes],
        principles=r.principles,
        action_ids=view.action_ids,
        recurring_themes=[_recurrence(x) for x in view.recurring],
        raised_earlier=[RaisedEarlierRead.model_validate(item) for item in view.raised_earlier],
        raised_earlier_more=view.raised_earlier_more,
        created_at=r.created_at,
    )


def _action(view: ActionView) -> ActionRead:
    a = view.action
    return ActionRead(
        **a.model_dump(include=set(ActionRead.model_fields)),
        recommendation_number=view.recommendation_number,
        review_reference=view.review.reference,
        review_type=view.review.case_type,
        overdue=view.overdue,
        themes=view.themes,
        evidence_count=view.evidence_count,
        recurred_in=[_recurrence(x) for x in view.recurred_in],
    )


def _store(request: Request) -> EvidenceStore:
    store: EvidenceStore = request.app.state.evidence_store
    return store


# Themes


@router.get("/themes")
def list_themes(session: SessionDep, principal: PrincipalDep, include_inactive: bool = False) -> Page[ThemeRead]:
    """The partnership's theme taxonomy (seeded with the recurring national themes), all in one page."""
    rows = themes.list_themes(session, principal, include_inactive=include_inactive)
    return Page[ThemeRead](items=[ThemeRead.model_validate(t, from_attributes=True) for t in rows], next_cursor=None)


@router.post("/themes", status_code=201, responses=CREATED)
def create_theme(body: ThemeCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep) -> ThemeRead:
    """Add a theme (business manager, case review group, chair or admin)."""
    theme = themes.create_theme(session, principal, code=body.code, label=body.label, description=body.description)
    # A theme has no GET of its own: the taxonomy list shows it.
    location.at("list_themes")
    return ThemeRead.model_validate(theme, from_attributes=True)


@router.patch("/themes/{code}")
def update_theme(code: str, body: ThemeUpdate, session: SessionDep, principal: PrincipalDep) -> ThemeRead:
    """Rename, describe, retire (active=false) or restore a theme."""
    theme = themes.update_theme(
        session, principal, code, label=body.label, description=body.description, active=body.active
    )
    return ThemeRead.model_validate(theme, from_attributes=True)


# Recommendations


@router.post("/cases/{case_id}/recommendations", status_code=201, responses=CREATED)
def create_recommendation(
    case_id: uuid.UUID, body: RecommendationCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> RecommendationRead:
    """Record a recommendation of a review; recurring themes are flagged at once."""
    view = recommendations.create_recommendation(
        session,
        principal,
        case_id,
        finding=body.finding,
        text=body.text,
        themes=body.themes,
        principles=body.principles,
    )
    read = _recommendation(view)
    location.at("get_recommendation", recommendation_id=read.id)
    return read


@router.get("/recommendations")
def list_recommendations(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    case_id: uuid.UUID | None = None,
    theme: str | None = None,
    review_type: ReviewTypeQuery = None,
    recurring: bool | None = None,
    cursor: str | None = None,
) -> Page[RecommendationRead]:
    """Recommendations across reviews, oldest first; filter by case, theme, review type or recurring."""
    page = recommendations.list_recommendations(
        session,
        principal,
        case_id=case_id,
        theme=theme,
        review_type=review_type,
        recurring=recurring,
        cursor=cursor,
        limit=limit,
    )
    return Page[RecommendationRead](items=[_recommendation(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/recommendations/{recommendation_id}")
def get_recommendation(
    recommendation_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> RecommendationRead:
    """One recommendation with its themes, actions and recurring themes."""
    return _recommendation(recommendations.get_recommendation(session, principal, recommendation_id))


@router.patch("/recommendations/{recommendation_id}")
def update_recommendation(
    recommendation_id: uuid.UUID, body: RecommendationUpdate, session: SessionDep, principal: PrincipalDep
) -> RecommendationRead:
    """Change a recommendation's wording, themes or principles."""
    view = recommendations.update_recommendation(
        session,
        principal,
        recommendation_id,
        finding=body.finding,
        text=body.text,
        themes=body.themes,
        principles=body.principles,
    )
    return _recommendation(view)


# Actions


@router.post("/recommendations/{recommendation_id}/actions", status_code=201, responses=CREATED)
def create_action(
    recommendation_id: uuid.UUID,
    body: ActionCreate,
    session: SessionDep,
    principal: PrincipalDep,
    location: LocationDep,
) -> ActionRead:
    """Agree an action; its lifecycle starts and the owning agency's lead gets a task."""
    read = _action(plan.create_action(session, principal, recommendation_id, **body.model_dump()))
    location.at("get_action", action_id=read.id)
    return read


@router.get("/actions")
def list_actions(
    session: SessionDep,
    principal: AgencyPrincipalDep,
    limit: LimitDep,
    agency: str | None = None,
    status: ActionStatus | None = None,
    overdue: bool | None = None,
    theme: str | None = None,
    review_type: ReviewTypeQuery = None,
    case_id: uuid.UUID | None = None,
    recommendation_id: uuid.UUID | None = None,
    cursor: str | None = None,
) -> Page[ActionRead]:
    """Actions across every review, oldest first (agency leads and systems: their agency's only)."""
    page = plan.list_actions(
        session,
        principal,
        agency=agency,
        status=status,
        overdue=overdue,
        theme=theme,
        review_type=review_type,
        case_id=case_id,
        recommendation_id=recommendation_id,
        cursor=cursor,
        limit=limit,
    )
    return Page[ActionRead](items=[_action(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/actions/{action_id}")
def get_action(action_id: uuid.UUID, session: SessionDep, principal: AgencyPrincipalDep) -> ActionRead:
    """One action and where it stands."""
    return _action(plan.get_action(session, principal, action_id))


@router.get("/agencies/{agency_code}/action-plan")
def get_agency_plan(
    agency_code: str,
    session: SessionDep,
    principal: AgencyPrincipalDep,
    limit: LimitDep,
    status: ActionStatus | None = None,
    cursor: str | None = None,
) -> AgencyPlanRead:
    """An agency's composite action plan across all reviews, with counts by status and overdue."""
    result = plan.agency_plan(session, principal, agency_code, status=status, cursor=cursor, limit=limit)
    return AgencyPlanRead(
        agency=result.agency_code,
        counts=result.counts,
        overdue=result.overdue,
        items=[_action(v) for v in result.page.items],
        next_cursor=result.page.next_cursor,
    )


# Reports


@router.get("/reports/sab-annual", tags=["reports"])
def get_sab_annual_report(
    start: dt.date, end: dt.date, session: SessionDep, principal: PrincipalDep
) -> SabAnnualReport:
    """The SAB annual report's SAR tables for a period (Care Act Sch 2 para 4): referrals and decisions, SARs
    concluded and ongoing, each finding, what was done, and the reasons for anything not implemented."""
    return SabAnnualReport.model_validate(sab_report.sar_annual_tables(session, principal, start=start, end=end))


# Evidence


@router.post("/actions/{action_id}/evidence", status_code=201, responses=CREATED)
async def upload_evidence(
    action_id: uuid.UUID,
    request: Request,
    location: LocationDep,
    file: Annotated[UploadFile, File(description="PDF, Office document, image, text or CSV.")],
    session: SessionDep,
    principal: AgencyPrincipalDep,
    description: Annotated[str, Form(max_length=1000)] = "",
) -> EvidenceRead:
    """Attach an evidence file to an open action (owning agency or case managers); stored content-hashed."""
    store = _store(request)
    data = await file.read(store.max_bytes + 1)
    if len(data) > store.max_bytes:
        raise InvalidInput("the file is too large", [{"field": "file", "message": f"at most {store.max_bytes} bytes"}])
    content_type = (file.content_type or "application/octet-stream").split(";")[0].strip().lower()
    row = evidence.upload_evidence(
        session,
        principal,
        store,
        action_id,
        filename=file.filename or "",
        content_type=content_type,
        data=data,
        description=description,
    )
    location.at("download_evidence", evidence_id=row.id)
    return EvidenceRead.model_validate(row, from_attributes=True)


@router.get("/actions/{action_id}/evidence")
def list_evidence(
    action_id: uuid.UUID, session: SessionDep, principal: AgencyPrincipalDep, limit: LimitDep, cursor: str | None = None
) -> Page[EvidenceRead]:
    """An action's evidence files, oldest first."""
    page = evidence.list_evidence(session, principal, action_id, cursor=cursor, limit=limit)
    return Page[EvidenceRead](
        items=[EvidenceRead.model_validate(e, from_attributes=True) for e in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/evidence/{evidence_id}/content",
    response_class=Response,
    responses={
        200: file_response("The file, sent with the media type it was uploaded with", "application/octet-stream"),
        **GONE_RESPONSES,
    },
)
def download_evidence(
    evidence_id: uuid.UUID, request: Request, session: SessionDep, principal: AgencyPrincipalDep
) -> Response:
    """Download an evidence file (same authorisation as its action; every download is audited)."""
    found = evidence.download_evidence(session, principal, _store(request), evidence_id)
    safe_name = found.evidence.filename.replace('"', "'")
    return Response(
        content=found.data,
        media_type=found.evidence.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{found.evidence.sha256}"',
        },
    )
