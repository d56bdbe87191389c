"""Who may do what with recommendations, actions and evidence (need-to-know: service/access/need_to_know.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS
from service.errors import Forbidden, NotFound
from service.models import Action, Case


def require_manager(principal: Principal, doing: str) -> None:
    """Recommendations, actions and themes are the partnership's to manage."""
    if principal.machine or not principal.roles & CASE_MANAGERS:
        raise Forbidden(f"{doing} needs the business manager, case review group member, chair or admin role")


def manages(principal: Principal) -> bool:
    """A person with a case-managing role (what they may see is still need-to-know)."""
    return not principal.machine and bool(principal.roles & CASE_MANAGERS)


def review_case(session: Session, principal: Principal, case_id: uuid.UUID, *, need: Level = Level.FULL) -> Case:
    """A review the caller may see (404 otherwise); its recommendations are for those who see it fully."""
    case, _ = need_to_know.case_or_404(session, principal, case_id, need=need, doing="its recommendations")
    return case


def action_clause(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on Action: the actions of reviews the caller sees fully, and their own agency's."""
    if need_to_know.sees_all(principal):
        return true()
    parts = [need_to_know.full_clause(principal, Action.review_case_id)]
    if principal.agency_code:
        parts.append(col(Action.owner_agency) == principal.agency_code)
    return or_(*parts)


def action_visible(session: Session, principal: Principal, action: Action) -> bool:
    """True when the caller owns the action (its agency) or sees its review fully."""
    if action.partnership_id != principal.partnership_id:
        return False
    if principal.agency_code and action.owner_agency == principal.agency_code:
        return True
    review = session.get(Case, action.review_case_id)
    return review is not None and need_to_know.level(session, principal, review) is Level.FULL


def visible_action(session: Session, principal: Principal, action_id: uuid.UUID) -> Action:
    """An action the caller may see (404 otherwise, never revealing that it exists)."""
    action = owned_or_404(session, Action, action_id, principal.partnership_id, "action")
    if not action_visible(session, principal, action):
        raise NotFound(f"there is no action {action_id}")
    return action
