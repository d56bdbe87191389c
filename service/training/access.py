"""Who may do what with courses, trainees, events and nominations."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.access.owned import owned_or_404
from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS, Role
from service.errors import Forbidden, NotFound
from service.models import Course, Trainee, TrainingEvent

COURSE_MANAGERS = frozenset({Role.BUSINESS_MANAGER, Role.PARTNERSHIP_ADMIN})


def require_course_manager(principal: Principal, doing: str) -> None:
    """The programme (courses, events) is the business unit's to manage."""
    if principal.machine or not principal.roles & COURSE_MANAGERS:
        raise Forbidden(f"{doing} needs the business manager or partnership admin role")


def require_business_manager(principal: Principal, doing: str) -> None:
    """Selection and the register are the business manager's tasks in the event's lifecycle."""
    if principal.machine or not principal.has_role(Role.BUSINESS_MANAGER):
        raise Forbidden(f"{doing} needs the business manager role")


def agency_scope(principal: Principal) -> str | None:
    """``None`` when the caller sees every agency's trainees; else the one agency they may see and manage."""
    if not principal.machine and principal.roles & CASE_MANAGERS:
        return None
    if principal.agency_code and (principal.machine or principal.has_role(Role.AGENCY_SAFEGUARDING_LEAD)):
        return principal.agency_code
    raise Forbidden("trainees are managed by agency safeguarding leads (their own agency's) and case managers")


def course_by_code(session: Session, principal: Principal, code: str) -> Course:
    """A course of the caller's partnership (404 otherwise)."""
    course = session.exec(
        select(Course).where(Course.partnership_id == principal.partnership_id, Course.code == code)
    ).first()
    if course is None:
        raise NotFound(f"there is no course '{code}'")
    return course


def visible_trainee(session: Session, principal: Principal, trainee_id: uuid.UUID) -> Trainee:
    """A trainee the caller may see: any of the partnership's for case managers, their agency's for leads."""
    scope = agency_scope(principal)
    trainee = owned_or_404(session, Trainee, trainee_id, principal.partnership_id, "trainee")
    if scope is not None and trainee.agency != scope:
        raise NotFound(f"there is no trainee {trainee_id} in your agency")
    return trainee


def visible_event(session: Session, principal: Principal, event_id: uuid.UUID) -> TrainingEvent:
    """A training event of the caller's partnership (404 otherwise)."""
    return owned_or_404(session, TrainingEvent, event_id, principal.partnership_id, "training event")
