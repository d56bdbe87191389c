"""Who may do what with recommendations, actions and evidence."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS
from service.errors import Forbidden, NotFound
from service.models import Action, Case


def require_manager(principal: Principal, doing: str) -> None:
    """Recommendations, actions and themes are the partnership's to manage."""
    if principal.machine or not principal.roles & CASE_MANAGERS:
        raise Forbidden(f"{doing} needs the business manager, case review group member, chair or admin role")


def sees_everything(principal: Principal) -> bool:
    """Case managers see every action of their partnership; agency leads see their own agency's."""
    return not principal.machine and bool(principal.roles & CASE_MANAGERS)


def visible_case(session: Session, principal: Principal, case_id: uuid.UUID) -> Case:
    """A case of the caller's partnership (404 otherwise, never revealing another partnership's)."""
    return owned_or_404(session, Case, case_id, principal.partnership_id, "case")


def visible_action(session: Session, principal: Principal, action_id: uuid.UUID) -> Action:
    """An action the caller may see: any of the partnership's for managers, their agency's for agency leads."""
    action = owned_or_404(session, Action, action_id, principal.partnership_id, "action")
    if not sees_everything(principal) and action.owner_agency != principal.agency_code:
        raise NotFound(f"there is no action {action_id} for your agency")
    return action
