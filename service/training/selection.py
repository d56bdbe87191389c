"""Selecting places from the nominations, and the attendance register: each completes its lifecycle task."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.log import record
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import Conflict, InvalidInput
from service.models import Course, HumanTask, Trainee, TrainingEvent, TrainingRecord
from service.tasks.service import complete
from service.training.access import require_business_manager, visible_event
from service.training.events import EventView, NominationView, event_view, nominations_of
from service.training.refreshers import partnership_settings
from service.training.vocabulary import role_group

SELECTION_TASK = "Task_CloseNominationsAndSelect"
REGISTER_TASK = "Task_TakeAttendanceRegister"


@dataclass(frozen=True)
class AttendanceEntry:
    """One line of the register: did the nominee come, and their on-the-day evaluation (1-5)."""

    nomination_id: uuid.UUID
    attended: bool
    pre_confidence: int | None = None
    post_confidence: int | None = None
    reaction_score: int | None = None


def select_places(session: Session, principal: Principal, event_id: uuid.UUID) -> EventView:
    """Close nominations and decide each one (docs/training.md, "Selection"); places are confirmed at once."""
    require_business_manager(principal, "selecting places")
    event = visible_event(session, principal, event_id)
    if event.status != "nominations_open":
        raise Conflict("places for this event have already been selected")
    course = session.get(Course, event.course_id)
    assert course is not None
    task = _open_task(session, event, SELECTION_TASK)
    pending = [v for v in nominations_of(session, event) if v.nomination.status == "nominated"]
    done = _completed_courses(session, event, [v.nomination.trainee_id for v in pending])
    share = partnership_settings(session, principal).training_max_agency_share
    per_agency_cap = max(1, math.floor(event.capacity * share))
    audiences = {g.lower() for g in course.target_groups}
    taken: Counter[str] = Counter()
    for view in pending:
        n = view.nomination
        trainee = session.get(Trainee, n.trainee_id)
        assert trainee is not None
        missing = [code for code in course.prerequisites if code not in done.get(n.trainee_id, set())]
        if audiences and (n.target_group or "") not in audiences and role_group(trainee.role) not in audiences:
            reason: str | None = "target group: not an audience of this course"
        elif missing:
            reason = "; ".join(f"missing prerequisite {code}" for code in missing)
        elif sum(taken.values()) >= event.capacity:
            reason = "event full"
        elif taken[n.agency] >= per_agency_cap:
            reason = "inter-agency mix"
        else:
            reason = None
            taken[n.agency] += 1
        n.status = "refused" if reason else "confirmed"
        n.refusal_reason = reason
        n.updated_at = utcnow()
        session.add(n)
    event.status = "places_confirmed"
    session.add(event)
    selected = sum(taken.values())
    complete(
        session,
        principal,
        task.id,
        {"selected_count": selected, "refused_count": len(pending) - selected},
        if_match=None,
        via="training.selection",
    )
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="training_event.places_selected",
        object_type="training_event",
        object_id=str(event.id),
        summary=f"Places selected for {course.code}: {selected} confirmed, {len(pending) - selected} refused",
        detail={"confirmed": selected, "refused": len(pending) - selected, "per_agency_cap": per_agency_cap},
    )
    return event_view(session, principal, event)


def take_register(
    session: Session,
    principal: Principal,
    event_id: uuid.UUID,
    *,
    entries: list[AttendanceEntry],
    taken_on: dt.date | None,
) -> EventView:
    """Record who attended and their on-the-day evaluation; attendees get a training record."""
    require_business_manager(principal, "taking the attendance register")
    event = visible_event(session, principal, event_id)
    if event.status != "places_confirmed":
        raise Conflict(
            "the register is taken once, after places are selected"
            if event.status == "delivered"
            else "select places before taking the register"
        )
    if event.starts_at > utcnow():
        raise Conflict("the event has not started yet")
    confirmed = {v.nomination.id: v for v in nominations_of(session, event) if v.nomination.status == "confirmed"}
    today = utcnow().astimezone(LONDON).date()
    taken_on = taken_on or today
    _check_register(entries, confirmed, taken_on, today)
    course = session.get(Course, event.course_id)
    assert course is not None
    task = _open_task(session, event, REGISTER_TASK)
    attendees: list[dict[str, Any]] = []
    for entry in entries:
        view = confirmed[entry.nomination_id]
        n = view.nomination
        n.attended = entry.attended
        n.pre_confidence, n.post_confidence = entry.pre_confidence, entry.post_confidence
        n.reaction_score = entry.reaction_score
        n.updated_at = utcnow()
        session.add(n)
        if entry.attended:
            attendees.append({"nomination_id": str(n.id), "trainee_name": view.trainee_name, "agency": n.agency})
            session.add(
                TrainingRecord(
                    partnership_id=principal.partnership_id,
                    trainee_id=n.trainee_id,
                    course_id=course.id,
                    description=course.title,
                    level=course.level,
                    completed_on=event.ends_at.astimezone(LONDON).date(),
                    source="event",
                    event_id=event.id,
                    created_by_id=principal.user_id,
                )
            )
    event.status = "delivered"
    event.delivered_at = utcnow()
    session.add(event)
    session.flush()
    complete(
        session,
        principal,
        task.id,
        {"attendee_count": len(attendees), "register_taken_on": taken_on.isoformat(), "attendees": attendees},
        if_match=None,
        via="training.attendance",
    )
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="training_event.register_taken",
        object_type="training_event",
        object_id=str(event.id),
        summary=f"Attendance register for {course.code}: {len(attendees)} of {len(entries)} attended",
        detail={"attended": len(attendees), "confirmed": len(entries), "taken_on": taken_on.isoformat()},
    )
    return event_view(session, principal, event)


def _check_register(
    entries: list[AttendanceEntry], confirmed: dict[uuid.UUID, NominationView], taken_on: dt.date, today: dt.date
) -> None:
    errors: list[dict[str, str]] = []
    seen: set[uuid.UUID] = set()
    for i, entry in enumerate(entries):
        if entry.nomination_id not in confirmed:
            errors.append({"field": f"entries.{i}.nomination_id", "message": "not a confirmed place at this event"})
        elif entry.nomination_id in seen:
            errors.append({"field": f"entries.{i}.nomination_id", "message": "listed twice"})
        seen.add(entry.nomination_id)
        scores = (entry.pre_confidence, entry.post_confidence, entry.reaction_score)
        if not entry.attended and any(s is not None for s in scores):
            errors.append({"field": f"entries.{i}", "message": "someone who did not attend has no scores"})
    for nomination_id, view in confirmed.items():
        if nomination_id not in seen:
            errors.append(
                {"field": "entries", "message": f"{view.trainee_name} ({nomination_id}) has a place: say if they came"}
            )
    if taken_on > today:
        errors.append({"field": "taken_on", "message": "cannot be in the future"})
    if errors:
        raise InvalidInput("the attendance register is not valid", errors)


def _open_task(session: Session, event: TrainingEvent, element_id: str) -> HumanTask:
    task = session.exec(
        select(HumanTask).where(
            HumanTask.partnership_id == event.partnership_id,
            HumanTask.case_id == event.case_id,
            HumanTask.element_id == element_id,
            HumanTask.state == "open",
        )
    ).first()
    if task is None:
        raise Conflict(f"the event's lifecycle is not waiting for '{element_id}'")
    return task


def _completed_courses(
    session: Session, event: TrainingEvent, trainee_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    rows = session.exec(
        select(TrainingRecord.trainee_id, Course.code)
        .join(Course, col(Course.id) == col(TrainingRecord.course_id))
        .where(TrainingRecord.partnership_id == event.partnership_id, col(TrainingRecord.trainee_id).in_(trainee_ids))
    ).all()
    done: dict[uuid.UUID, set[str]] = {}
    for trainee_id, code in rows:
        done.setdefault(trainee_id, set()).add(code)
    return done
