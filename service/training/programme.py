"""The event programme: list events, and withdraw a nomination before the event."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.log import record
from service.db.types import utcnow
from service.errors import Conflict, NotFound
from service.models import Nomination, TrainingEvent
from service.pagination import Page, paginate
from service.training.access import agency_scope, course_by_code, visible_event
from service.training.events import EventView, NominationView, event_view, nominations_of

WITHDRAWABLE = ("nominated", "confirmed")


def list_events(
    session: Session,
    principal: Principal,
    *,
    course_code: str | None,
    status: str | None,
    upcoming: bool | None,
    cursor: str | None,
    limit: int,
) -> Page[EventView]:
    """The partnership's training events in the order they were scheduled, filtered."""
    query = select(TrainingEvent).where(TrainingEvent.partnership_id == principal.partnership_id)
    if course_code:
        query = query.where(TrainingEvent.course_id == course_by_code(session, principal, course_code).id)
    if status:
        query = query.where(TrainingEvent.status == status)
    if upcoming is not None:
        now = utcnow()
        query = query.where(col(TrainingEvent.starts_at) > now if upcoming else col(TrainingEvent.starts_at) <= now)
    page = paginate(
        session,
        query,
        created_col=col(TrainingEvent.created_at),
        id_col=col(TrainingEvent.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )
    return Page(items=[event_view(session, principal, e) for e in page.items], next_cursor=page.next_cursor)


def withdraw(session: Session, principal: Principal, event_id: uuid.UUID, nomination_id: uuid.UUID) -> NominationView:
    """Withdraw a nomination (its agency's lead or a case manager) until the register is taken."""
    event = visible_event(session, principal, event_id)
    scope = agency_scope(principal)
    view = next((v for v in nominations_of(session, event) if v.nomination.id == nomination_id), None)
    if view is None or (scope is not None and view.nomination.agency != scope):
        raise NotFound(f"there is no nomination {nomination_id} at this event for you")
    nomination: Nomination = view.nomination
    if event.status == "delivered":
        raise Conflict("the register has been taken: the nomination can no longer be withdrawn")
    if nomination.status not in WITHDRAWABLE:
        raise Conflict(f"the nomination is {nomination.status}; only nominated or confirmed places can be withdrawn")
    nomination.status = "withdrawn"
    nomination.updated_at = utcnow()
    session.add(nomination)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="nomination.withdrawn",
        object_type="training_event",
        object_id=str(event.id),
        summary=f"{nomination.agency} withdrew a nomination",
        detail={"nomination_id": str(nomination.id)},
    )
    return view
