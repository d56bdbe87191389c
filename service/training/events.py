"""Training events: scheduling one (its lifecycle case opens), nominations, and the event's evaluation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.log import record
from service.engine.functions import LONDON
from service.errors import Conflict, Forbidden, InvalidInput
from service.models import Case, Course, Nomination, Trainee, TrainingEvent
from service.training.access import (
    agency_scope,
    course_by_code,
    require_course_manager,
    visible_event,
    visible_trainee,
)
from service.training.evaluation import Evaluation, evaluate
from service.training.vocabulary import TARGET_GROUPS
from service.workflow.opening import open_case

CASE_TYPE = "training_event"


@dataclass
class NominationView:
    """A nomination with the trainee's name."""

    nomination: Nomination
    trainee_name: str


@dataclass
class EventView:
    """An event, its course and lifecycle case, its nominations (as far as the caller may see) and evaluation."""

    event: TrainingEvent
    course: Course
    case: Case | None
    counts: dict[str, int]
    attended: int
    nominations: list[NominationView]
    evaluation: Evaluation


def create_event(
    session: Session,
    principal: Principal,
    course_code: str,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    venue: str | None,
    online: bool,
) -> EventView:
    """Schedule an event of a course; its ``training_event`` lifecycle opens with nominations."""
    require_course_manager(principal, "scheduling a training event")
    course = course_by_code(session, principal, course_code)
    errors = []
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        errors.append(
            {"field": "starts_at", "message": "give the time with its offset, e.g. 2026-04-02T09:30:00+01:00"}
        )
    elif ends_at <= starts_at:
        errors.append({"field": "ends_at", "message": "must be after starts_at"})
    if not online and not (venue or "").strip():
        errors.append({"field": "venue", "message": "give the venue, or set online to true"})
    if not course.active:
        errors.append({"field": "course_code", "message": f"course '{course_code}' is retired"})
    if errors:
        raise InvalidInput("the training event is not valid", errors)
    event = TrainingEvent(
        partnership_id=principal.partnership_id,
        course_id=course.id,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        venue=venue,
        online=online,
        created_by_id=principal.user_id,
    )
    session.add(event)
    session.flush()
    day = starts_at.astimezone(LONDON).date().isoformat()
    case, _ = open_case(
        session,
        partnership_id=principal.partnership_id,
        case_type=CASE_TYPE,
        title=f"{course.code} {course.title} on {day}"[:200],
        subject_pseudonym=f"Training event {course.code}"[:100],
        involved_agencies=[],
        data={
            "training_event_id": str(event.id),
            "course_code": course.code,
            "course_title": course.title,
            "event_date": day,
            "capacity": capacity,
        },
        actor=principal,
    )
    event.case_id = case.id
    session.add(event)
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="training_event.created",
        object_type="training_event",
        object_id=str(event.id),
        summary=f"Event of {course.code} on {day} scheduled ({capacity} places); case {case.reference}",
        detail={"course_code": course.code, "event_date": day, "capacity": capacity},
    )
    return event_view(session, principal, event)


def get_event(session: Session, principal: Principal, event_id: uuid.UUID) -> EventView:
    """An event with its counts and the four evaluation levels."""
    return event_view(session, principal, visible_event(session, principal, event_id))


def nominate(
    session: Session,
    principal: Principal,
    event_id: uuid.UUID,
    *,
    trainee_id: uuid.UUID,
    target_group: str | None,
) -> NominationView:
    """Nominate a trainee while nominations are open (agency leads and systems: their own agency's staff)."""
    event = visible_event(session, principal, event_id)
    trainee = visible_trainee(session, principal, trainee_id)
    if target_group is not None and target_group not in TARGET_GROUPS:
        raise InvalidInput(
            "unknown target group",
            [{"field": "target_group", "message": "must be one of: " + ", ".join(TARGET_GROUPS)}],
        )
    if event.status != "nominations_open":
        raise Conflict("nominations for this event are closed")
    if not trainee.active:
        raise Conflict("the trainee is no longer active")
    taken = session.exec(
        select(Nomination.id).where(Nomination.event_id == event.id, Nomination.trainee_id == trainee.id)
    ).first()
    if taken is not None:
        raise Conflict("the trainee is already nominated for this event")
    nomination = Nomination(
        partnership_id=principal.partnership_id,
        event_id=event.id,
        trainee_id=trainee.id,
        agency=trainee.agency,
        target_group=target_group,
        nominated_by_id=principal.user_id,
    )
    session.add(nomination)
    session.flush()
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="nomination.created",
        object_type="training_event",
        object_id=str(event.id),
        summary=f"{trainee.agency} nominated a trainee for the event",
        detail={"nomination_id": str(nomination.id), "agency": trainee.agency, "target_group": target_group},
    )
    return NominationView(nomination=nomination, trainee_name=trainee.name)


def nominations_of(session: Session, event: TrainingEvent) -> list[NominationView]:
    """Every nomination of an event, in the order they were made."""
    rows = session.exec(
        select(Nomination, Trainee)
        .join(Trainee, col(Trainee.id) == col(Nomination.trainee_id))
        .where(Nomination.event_id == event.id, Nomination.partnership_id == event.partnership_id)
        .order_by(col(Nomination.created_at), col(Nomination.id))
    ).all()
    return [NominationView(nomination=n, trainee_name=t.name) for n, t in rows]


def event_view(session: Session, principal: Principal, event: TrainingEvent) -> EventView:
    """Assemble what the caller may see of an event."""
    course = session.get(Course, event.course_id)
    assert course is not None
    case = session.get(Case, event.case_id) if event.case_id else None
    everything = nominations_of(session, event)
    try:
        scope = agency_scope(principal)
        visible = [v for v in everything if scope is None or v.nomination.agency == scope]
    except Forbidden:
        visible = []  # other roles see the counts and the evaluation, not who was nominated
    return EventView(
        event=event,
        course=course,
        case=case,
        counts=dict(Counter(v.nomination.status for v in everything)),
        attended=sum(1 for v in everything if v.nomination.attended),
        nominations=visible,
        evaluation=evaluate(session, event, [v.nomination for v in everything]),
    )
