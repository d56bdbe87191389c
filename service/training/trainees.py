"""Agencies' trainees and their training records (events attended and external training)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.audit.log import record
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import Conflict, Forbidden, InvalidInput
from service.models import Agency, Course, Trainee, TrainingRecord
from service.pagination import Page, paginate
from service.training.access import agency_scope, visible_trainee
from service.training.refreshers import Refresher, partnership_settings, refreshers_for
from service.training.vocabulary import LEVELS

DUE_SOON_DAYS = 90  # what a trainee's own page calls "due soon"


@dataclass
class RecordView:
    """A training record with its course's code and title, if it was one of ours."""

    record: TrainingRecord
    course_code: str | None
    course_title: str | None


@dataclass
class TraineeView:
    """A trainee with their records (newest first) and their refreshers by level."""

    trainee: Trainee
    records: list[RecordView]
    refreshers: list[Refresher]


def create_trainee(
    session: Session,
    principal: Principal,
    *,
    name: str,
    email: str,
    agency: str,
    role: str,
    is_dsl: bool,
    supervisor_name: str | None,
) -> Trainee:
    """Add a member of an agency's workforce (agency leads: their own agency's)."""
    scope = agency_scope(principal)
    if scope is not None and agency != scope:
        raise Forbidden("an agency safeguarding lead adds only their own agency's staff")
    known = session.exec(
        select(Agency.id).where(Agency.partnership_id == principal.partnership_id, Agency.code == agency)
    ).first()
    if known is None:
        raise InvalidInput("unknown agency", [{"field": "agency", "message": f"there is no agency '{agency}'"}])
    email = email.strip().lower()
    taken = session.exec(
        select(Trainee.id).where(Trainee.partnership_id == principal.partnership_id, Trainee.email == email)
    ).first()
    if taken is not None:
        raise Conflict(f"there is already a trainee with the email {email}")
    trainee = Trainee(
        partnership_id=principal.partnership_id,
        name=name,
        email=email,
        agency=agency,
        role=role,
        is_dsl=is_dsl,
        supervisor_name=supervisor_name,
    )
    session.add(trainee)
    session.flush()
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="trainee.created",
        object_type="trainee",
        object_id=str(trainee.id),
        summary=f"Trainee added for {agency}" + (" (designated safeguarding lead)" if is_dsl else ""),
        detail={"agency": agency, "is_dsl": is_dsl},
    )
    return trainee


def list_trainees(
    session: Session, principal: Principal, *, agency: str | None, cursor: str | None, limit: int
) -> Page[Trainee]:
    """Trainees, oldest first; agency leads see their own agency's only."""
    scope = agency_scope(principal)
    if scope is not None:
        if agency not in (None, scope):
            raise Forbidden("an agency safeguarding lead sees only their own agency's trainees")
        agency = scope
    query = select(Trainee).where(Trainee.partnership_id == principal.partnership_id)
    if agency:
        query = query.where(Trainee.agency == agency)
    return paginate(
        session,
        query,
        created_col=col(Trainee.created_at),
        id_col=col(Trainee.id),
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )


def get_trainee(session: Session, principal: Principal, trainee_id: uuid.UUID) -> TraineeView:
    """One trainee with their records and refreshers."""
    trainee = visible_trainee(session, principal, trainee_id)
    rows = session.exec(
        select(TrainingRecord, Course)
        .join(Course, col(Course.id) == col(TrainingRecord.course_id), isouter=True)
        .where(TrainingRecord.trainee_id == trainee.id, TrainingRecord.partnership_id == principal.partnership_id)
        .order_by(col(TrainingRecord.completed_on).desc(), col(TrainingRecord.created_at).desc())
    ).all()
    records = [RecordView(r, c.code if c else None, c.title if c else None) for r, c in rows]
    today = utcnow().astimezone(LONDON).date()
    refreshers = refreshers_for(
        trainee,
        [r.record for r in records],
        partnership_settings(session, principal),
        today=today,
        within_days=DUE_SOON_DAYS,
    )
    return TraineeView(trainee=trainee, records=records, refreshers=refreshers)


def add_external_record(
    session: Session,
    principal: Principal,
    trainee_id: uuid.UUID,
    *,
    course_code: str | None,
    level: int | None,
    completed_on: dt.date,
    description: str,
) -> TraineeView:
    """Record training done outside the partnership's events (it counts for refreshers and prerequisites)."""
    trainee = visible_trainee(session, principal, trainee_id)
    course = None
    errors: list[dict[str, str]] = []
    if course_code:
        course = session.exec(
            select(Course).where(Course.partnership_id == principal.partnership_id, Course.code == course_code)
        ).first()
        if course is None:
            errors.append({"field": "course_code", "message": f"there is no course '{course_code}'"})
    elif not description.strip():
        errors.append({"field": "description", "message": "describe the training when it is not one of our courses"})
    level = level if level is not None else (course.level if course else None)
    if level not in LEVELS:
        errors.append({"field": "level", "message": "give the level (1 to 5) of the training"})
    if completed_on > utcnow().astimezone(LONDON).date():
        errors.append({"field": "completed_on", "message": "cannot be in the future"})
    if errors:
        raise InvalidInput("the training record is not valid", errors)
    assert level is not None
    row = TrainingRecord(
        partnership_id=principal.partnership_id,
        trainee_id=trainee.id,
        course_id=course.id if course else None,
        description=description.strip() or (course.title if course else ""),
        level=level,
        completed_on=completed_on,
        source="external",
        created_by_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="training_record.added",
        object_type="trainee",
        object_id=str(trainee.id),
        summary=f"External level {level} training on {completed_on.isoformat()} recorded",
        detail={"course_code": course_code, "level": level, "completed_on": completed_on.isoformat()},
    )
    return get_trainee(session, principal, trainee.id)
