"""Actions of an action plan: agreed against a recommendation, each run by its own short lifecycle."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, func, select

from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.actions.access import action_clause, require_manager, review_case, visible_action
from service.actions.recommendations import Recurrence, recurrences_of_action
from service.audit.log import record
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import InvalidInput, NotFound
from service.models import Action, Agency, Case, Evidence, Recommendation, RecommendationTheme, Theme
from service.pagination import Page, paginate
from service.workflow.action_sync import ACTION_CASE_TYPE
from service.workflow.opening import open_case

# Statuses in which the owning agency still owes the work (so the action can be overdue).
WORKING = ("in_progress", "returned", "reopened")


def overdue_clause(today: dt.date) -> ColumnElement[bool]:
    """SQL condition on Action: still owed by its agency and past its due date (``GET /actions?overdue=true``)."""
    return and_(col(Action.status).in_(WORKING), col(Action.due_date) < today)


@dataclass
class ActionView:
    """An action with what a plan needs beside the row."""

    action: Action
    review: Case
    recommendation_number: int
    themes: list[str]
    overdue: bool
    evidence_count: int
    recurred_in: list[Recurrence]


@dataclass
class AgencyPlan:
    """One agency's actions across every review: the composite plan a board holds the agency to."""

    agency_code: str
    counts: dict[str, int]
    overdue: int
    page: Page[ActionView]


def create_action(
    session: Session,
    principal: Principal,
    recommendation_id: uuid.UUID,
    *,
    owner_agency: str,
    lead_name: str,
    description: str,
    due_date: dt.date,
    impact_measure: str,
    baseline: str,
) -> ActionView:
    """Agree an action against a recommendation and start its lifecycle (the agency lead's task appears)."""
    require_manager(principal, "agreeing actions")
    recommendation = owned_or_404(
        session, Recommendation, recommendation_id, principal.partnership_id, "recommendation"
    )
    agency = session.exec(
        select(Agency).where(Agency.partnership_id == principal.partnership_id, Agency.code == owner_agency)
    ).first()
    if agency is None:
        raise InvalidInput(
            "the owner agency is not an agency of this partnership",
            [{"field": "owner_agency", "message": f"unknown agency code '{owner_agency}'"}],
        )
    review = review_case(session, principal, recommendation.case_id)  # its people decide its actions
    count = session.exec(select(func.count()).where(Action.recommendation_id == recommendation.id)).one()
    action = Action(
        partnership_id=principal.partnership_id,
        recommendation_id=recommendation.id,
        review_case_id=review.id,
        owner_agency=owner_agency,
        lead_name=lead_name,
        description=description,
        due_date=due_date,
        impact_measure=impact_measure,
        baseline=baseline,
        status="in_progress",
        created_by_id=principal.user_id,
    )
    session.add(action)
    session.flush()
    case, _ = open_case(
        session,
        partnership_id=principal.partnership_id,
        case_type=ACTION_CASE_TYPE,
        title=f"Action {recommendation.number}.{count + 1} of {review.reference}",
        subject_pseudonym=review.subject_pseudonym,
        involved_agencies=[owner_agency],
        data={
            "action_id": str(action.id),
            "owner_agency": owner_agency,
            "due_date": due_date.isoformat(),
            "description": description,
            "review_reference": review.reference,
        },
        actor=principal,
        opened_from=(review, "action"),
        parent_case_id=review.id,
    )
    action.case_id = case.id
    session.add(action)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="action.created",
        object_type="action",
        object_id=str(action.id),
        summary=f"Action for {agency.name} agreed on recommendation {recommendation.number} of {review.reference}",
        detail={"due_date": due_date.isoformat(), "case_reference": case.reference},
    )
    return _view(session, principal, action)


def get_action(session: Session, principal: Principal, action_id: uuid.UUID) -> ActionView:
    """One action (agency leads: only their agency's)."""
    return _view(session, principal, visible_action(session, principal, action_id))


def list_actions(
    session: Session,
    principal: Principal,
    *,
    agency: str | None,
    status: str | None,
    overdue: bool | None,
    theme: str | None,
    review_type: str | None,
    case_id: uuid.UUID | None,
    recommendation_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> Page[ActionView]:
    """Actions across the reviews the caller sees (and their own agency's), filtered."""
    query = select(Action).where(Action.partnership_id == principal.partnership_id, action_clause(principal))
    if agency:
        query = query.where(Action.owner_agency == agency)
    if status:
        query = query.where(Action.status == status)
    today = utcnow().astimezone(LONDON).date()
    if overdue is True:
        query = query.where(overdue_clause(today))
    elif overdue is False:
        query = query.where(~overdue_clause(today))
    if theme:
        query = query.where(
            col(Action.recommendation_id).in_(
                select(RecommendationTheme.recommendation_id)
                .join(Theme, col(Theme.id) == col(RecommendationTheme.theme_id))
                .where(Theme.partnership_id == principal.partnership_id, Theme.code == theme)
            )
        )
    if review_type:
        query = query.where(
            col(Action.review_case_id).in_(
                select(Case.id).where(Case.partnership_id == principal.partnership_id, Case.case_type == review_type)
            )
        )
    if case_id is not None:
        query = query.where(Action.review_case_id == case_id)
    if recommendation_id is not None:
        query = query.where(Action.recommendation_id == recommendation_id)
    page = paginate(
        session,
        query,
        created_col=col(Action.created_at),
        id_col=col(Action.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )
    return Page(items=[_view(session, principal, a) for a in page.items], next_cursor=page.next_cursor)


def agency_plan(
    session: Session, principal: Principal, agency_code: str, *, status: str | None, cursor: str | None, limit: int
) -> AgencyPlan:
    """An agency's composite action plan across the reviews the caller sees, with counts by status and overdue."""
    exists = session.exec(
        select(Agency.id).where(Agency.partnership_id == principal.partnership_id, Agency.code == agency_code)
    ).first()
    if exists is None:
        raise NotFound(f"there is no agency '{agency_code}' in this partnership")
    rows = session.exec(
        select(col(Action.status), col(Action.due_date)).where(
            Action.partnership_id == principal.partnership_id,
            Action.owner_agency == agency_code,
            action_clause(principal),
        )
    ).all()
    today = utcnow().astimezone(LONDON).date()
    page = list_actions(
        session,
        principal,
        agency=agency_code,
        status=status,
        overdue=None,
        theme=None,
        review_type=None,
        case_id=None,
        recommendation_id=None,
        cursor=cursor,
        limit=limit,
    )
    return AgencyPlan(
        agency_code=agency_code,
        counts=dict(Counter(status for status, _ in rows)),
        overdue=sum(1 for status, due in rows if status in WORKING and due < today),
        page=page,
    )


def _view(session: Session, principal: Principal, action: Action) -> ActionView:
    review = session.get(Case, action.review_case_id)
    recommendation = session.get(Recommendation, action.recommendation_id)
    assert review is not None and recommendation is not None
    themes = session.exec(
        select(Theme.code)
        .join(RecommendationTheme, col(RecommendationTheme.theme_id) == col(Theme.id))
        .where(RecommendationTheme.recommendation_id == recommendation.id)
        .order_by(col(Theme.code))
    ).all()
    evidence = session.exec(select(func.count()).where(Evidence.action_id == action.id)).one()
    today = utcnow().astimezone(LONDON).date()
    return ActionView(
        action=action,
        review=review,
        recommendation_number=recommendation.number,
        themes=list(themes),
        overdue=action.status in WORKING and action.due_date < today,
        evidence_count=int(evidence),
        recurred_in=recurrences_of_action(session, principal, action.id),
    )
