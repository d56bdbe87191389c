"""Recommendations: a review's findings, tagged with themes and principles, and checked for recurrence."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, true
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.actions.access import require_manager, review_case
from service.actions.recurrence import EarlierThemes
from service.actions.themes import resolve_codes
from service.audit.log import record
from service.db.types import utcnow
from service.engine.functions import LONDON, add_months, to_date
from service.errors import Conflict, InvalidInput, NotFound
from service.models import Action, Case, Partnership, Recommendation, RecommendationTheme, RecurringTheme, Theme
from service.pagination import Page, paginate
from service.processes.settings import settings_for
from service.taxonomy import PRINCIPLES
from service.workflow.action_sync import ACTION_CASE_TYPE

ADDRESSED = ("completed", "sustained")  # an action that put the change in place


@dataclass(frozen=True)
class Recurrence:
    """A theme repeated: ``recommendation`` carries a theme an earlier completed ``earlier_action`` addressed."""

    theme_code: str
    theme_label: str
    recommendation_id: uuid.UUID
    recommendation_case_reference: str
    earlier_action_id: uuid.UUID
    earlier_case_reference: str
    earlier_completed_on: dt.date | None


@dataclass
class RecommendationView:
    """A recommendation with its review, themes, actions and any recurring themes."""

    recommendation: Recommendation
    case: Case
    themes: list[Theme]
    action_ids: list[uuid.UUID]
    recurring: list[Recurrence]
    # Earlier reviews (within the window) that raised the same themes, whatever became of their actions.
    raised_earlier: list[dict[str, Any]] = field(default_factory=list)
    raised_earlier_more: int = 0


def create_recommendation(
    session: Session,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    finding: str,
    text: str,
    themes: list[str],
    principles: list[str],
) -> RecommendationView:
    """Record a recommendation of a review; flag themes an earlier completed action already addressed."""
    require_manager(principal, "recording recommendations")
    case = review_case(session, principal, case_id)
    if case.case_type == ACTION_CASE_TYPE:
        raise Conflict("recommendations belong to reviews and audits, not to an action's own case")
    theme_rows = resolve_codes(session, principal, themes, "themes")
    _check_principles(principles)
    number = session.exec(select(func.max(Recommendation.number)).where(Recommendation.case_id == case.id)).one()
    recommendation = Recommendation(
        partnership_id=principal.partnership_id,
        case_id=case.id,
        number=(number or 0) + 1,
        finding=finding,
        text=text,
        principles=list(dict.fromkeys(principles)),
        created_by_id=principal.user_id,
    )
    session.add(recommendation)
    session.flush()
    _set_themes(session, recommendation, theme_rows)
    _audit(session, principal, recommendation, case, "recommendation.created", "recorded")
    return get_recommendation(session, principal, recommendation.id)


def update_recommendation(
    session: Session,
    principal: Principal,
    recommendation_id: uuid.UUID,
    *,
    finding: str | None,
    text: str | None,
    themes: list[str] | None,
    principles: list[str] | None,
) -> RecommendationView:
    """Change a recommendation's wording or tags (recurrence is checked again for new themes)."""
    require_manager(principal, "changing recommendations")
    recommendation = _visible(session, principal, recommendation_id)
    if finding is not None:
        recommendation.finding = finding
    if text is not None:
        recommendation.text = text
    if principles is not None:
        _check_principles(principles)
        recommendation.principles = list(dict.fromkeys(principles))
    recommendation.updated_at = utcnow()
    session.add(recommendation)
    if themes is not None:
        _set_themes(session, recommendation, resolve_codes(session, principal, themes, "themes"))
    case = session.get(Case, recommendation.case_id)
    assert case is not None
    _audit(session, principal, recommendation, case, "recommendation.updated", "changed")
    return get_recommendation(session, principal, recommendation.id)


def get_recommendation(session: Session, principal: Principal, recommendation_id: uuid.UUID) -> RecommendationView:
    """One recommendation with its themes, actions and recurring themes."""
    return _view(session, principal, _visible(session, principal, recommendation_id))


def list_recommendations(
    session: Session,
    principal: Principal,
    *,
    case_id: uuid.UUID | None,
    theme: str | None,
    review_type: str | None,
    recurring: bool | None,
    cursor: str | None,
    limit: int,
) -> Page[RecommendationView]:
    """The partnership's recommendations, oldest first, filtered."""
    query = select(Recommendation).where(Recommendation.partnership_id == principal.partnership_id, _clause(principal))
    if case_id is not None:
        query = query.where(Recommendation.case_id == case_id)
    if theme:
        query = query.where(col(Recommendation.id).in_(_with_theme(principal, theme)))
    if review_type:
        query = query.where(
            col(Recommendation.case_id).in_(
                select(Case.id).where(Case.partnership_id == principal.partnership_id, Case.case_type == review_type)
            )
        )
    if recurring is not None:
        flagged = select(RecurringTheme.recommendation_id).where(
            RecurringTheme.partnership_id == principal.partnership_id
        )
        query = query.where(
            col(Recommendation.id).in_(flagged) if recurring else col(Recommendation.id).not_in(flagged)
        )
    page = paginate(
        session,
        query,
        created_col=col(Recommendation.created_at),
        id_col=col(Recommendation.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )
    return Page(items=[_view(session, principal, r) for r in page.items], next_cursor=page.next_cursor)


def recurrences_of_action(session: Session, principal: Principal, action_id: uuid.UUID) -> list[Recurrence]:
    """Later recommendations that repeat a theme this (completed) action addressed: its learning did not hold."""
    rows = session.exec(select(RecurringTheme).where(RecurringTheme.earlier_action_id == action_id)).all()
    return [_recurrence(session, principal, row) for row in rows]


def _set_themes(session: Session, recommendation: Recommendation, themes: list[Theme]) -> None:
    session.execute(delete(RecommendationTheme).where(col(RecommendationTheme.recommendation_id) == recommendation.id))
    session.execute(
        delete(RecurringTheme).where(
            col(RecurringTheme.recommendation_id) == recommendation.id,
            col(RecurringTheme.theme_id).not_in([t.id for t in themes]),
        )
    )
    for theme in themes:
        session.add(RecommendationTheme(recommendation_id=recommendation.id, theme_id=theme.id))
    session.flush()
    _detect_recurrence(session, recommendation, themes)


def _detect_recurrence(session: Session, recommendation: Recommendation, themes: list[Theme]) -> None:
    """Link the recommendation to earlier completed actions (other reviews, within the window) on its themes."""
    if not themes:
        return
    partnership = session.get(Partnership, recommendation.partnership_id)
    assert partnership is not None
    years = settings_for(partnership.settings).recurring_theme_window_years
    today = utcnow().astimezone(LONDON).date()
    since = to_date(add_months(today, -12 * years))
    earlier = session.exec(
        select(Action, RecommendationTheme.theme_id)
        .join(RecommendationTheme, col(RecommendationTheme.recommendation_id) == col(Action.recommendation_id))
        .where(
            Action.partnership_id == recommendation.partnership_id,
            col(RecommendationTheme.theme_id).in_([t.id for t in themes]),
            col(Action.status).in_(ADDRESSED),
            col(Action.completed_on) >= since,
            Action.review_case_id != recommendation.case_id,
        )
    ).all()
    known = {
        (row.earlier_action_id, row.theme_id)
        for row in session.exec(
            select(RecurringTheme).where(RecurringTheme.recommendation_id == recommendation.id)
        ).all()
    }
    labels = {t.id: t.code for t in themes}
    for action, theme_id in earlier:
        if (action.id, theme_id) in known:
            continue
        known.add((action.id, theme_id))
        session.add(
            RecurringTheme(
                partnership_id=recommendation.partnership_id,
                recommendation_id=recommendation.id,
                earlier_action_id=action.id,
                theme_id=theme_id,
                detail={"theme": labels[theme_id], "window_years": str(years)},
            )
        )
    session.flush()


def _with_theme(principal: Principal, code: str) -> SelectOfScalar[uuid.UUID]:
    return (
        select(RecommendationTheme.recommendation_id)
        .join(Theme, col(Theme.id) == col(RecommendationTheme.theme_id))
        .where(Theme.partnership_id == principal.partnership_id, Theme.code == code)
    )


def _view(session: Session, principal: Principal, recommendation: Recommendation) -> RecommendationView:
    case = session.get(Case, recommendation.case_id)
    assert case is not None
    themes = session.exec(
        select(Theme)
        .join(RecommendationTheme, col(RecommendationTheme.theme_id) == col(Theme.id))
        .where(RecommendationTheme.recommendation_id == recommendation.id)
        .order_by(col(Theme.code))
    ).all()
    action_ids = session.exec(
        select(Action.id).where(Action.recommendation_id == recommendation.id).order_by(col(Action.created_at))
    ).all()
    recurring = session.exec(select(RecurringTheme).where(RecurringTheme.recommendation_id == recommendation.id)).all()
    partnership = session.get(Partnership, recommendation.partnership_id)
    assert partnership is not None
    earlier = EarlierThemes(
        session,
        recommendation.partnership_id,
        settings_for(partnership.settings).recurring_theme_window_years,
        lambda case_id: _reference(session, principal, session.get(Case, case_id)),
    )
    raised, more = earlier.of(recommendation, list(themes))  # nothing stored loaded: only the reviews raising it
    return RecommendationView(
        recommendation=recommendation,
        case=case,
        themes=list(themes),
        action_ids=list(action_ids),
        recurring=[_recurrence(session, principal, row) for row in recurring],
        raised_earlier=[{k: v for k, v in item.items() if k != "kind"} for item in raised],
        raised_earlier_more=more,
    )


def _reference(session: Session, principal: Principal, case: Case | None) -> str:
    # A recurrence may point at a review the reader may not see: say that one exists, never which.
    if case is None or need_to_know.level(session, principal, case) is not Level.FULL:
        return "a review you are not involved in"
    return case.reference


def _recurrence(session: Session, principal: Principal, row: RecurringTheme) -> Recurrence:
    theme = session.get(Theme, row.theme_id)
    recommendation = session.get(Recommendation, row.recommendation_id)
    action = session.get(Action, row.earlier_action_id)
    assert theme is not None and recommendation is not None and action is not None
    new_case = session.get(Case, recommendation.case_id)
    old_case = session.get(Case, action.review_case_id)
    return Recurrence(
        theme_code=theme.code,
        theme_label=theme.label,
        recommendation_id=recommendation.id,
        recommendation_case_reference=_reference(session, principal, new_case),
        earlier_action_id=action.id,
        earlier_case_reference=_reference(session, principal, old_case),
        earlier_completed_on=action.completed_on,
    )


def _clause(principal: Principal) -> ColumnElement[bool]:
    # Those who see the review fully, and an agency owning one of its actions (it must know what it answers).
    if need_to_know.sees_all(principal):
        return true()
    parts = [need_to_know.full_clause(principal, Recommendation.case_id)]
    if principal.agency_code:
        owned_actions = select(Action.recommendation_id).where(
            Action.partnership_id == principal.partnership_id, Action.owner_agency == principal.agency_code
        )
        parts.append(col(Recommendation.id).in_(owned_actions))
    return or_(*parts)


def _visible(session: Session, principal: Principal, recommendation_id: uuid.UUID) -> Recommendation:
    owned_or_404(session, Recommendation, recommendation_id, principal.partnership_id, "recommendation")
    found = session.exec(
        select(Recommendation).where(Recommendation.id == recommendation_id, _clause(principal))
    ).first()
    if found is None:
        raise NotFound(f"there is no recommendation {recommendation_id}")
    return found


def _check_principles(principles: list[str]) -> None:
    unknown = [p for p in principles if p not in PRINCIPLES]
    if unknown:
        raise InvalidInput(
            "some principles are not safeguarding principles",
            [{"field": "principles", "message": f"unknown principle '{p}'"} for p in unknown]
            + [{"field": "principles", "message": f"known: {', '.join(PRINCIPLES)}"}],
        )


def _audit(
    session: Session, principal: Principal, recommendation: Recommendation, case: Case, action: str, verb: str
) -> None:
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action=action,
        object_type="recommendation",
        object_id=str(recommendation.id),
        summary=f"Recommendation {recommendation.number} of {case.reference} {verb}",
    )
