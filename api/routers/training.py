"""The multi-agency training programme: courses, trainees, refreshers, events, selection and evaluation."""

from __future__ import annotations

import uuid

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.training import (
    AttendanceCreate,
    BehaviourRead,
    CourseChangeRead,
    CourseCreate,
    CourseRead,
    CourseUpdate,
    EvaluationRead,
    EventCreate,
    EventRead,
    LearningRead,
    NominationCreate,
    NominationRead,
    ReactionRead,
    RefresherRead,
    ResultsRead,
    TraineeCreate,
    TraineeDetail,
    TraineeRead,
    TrainingRecordCreate,
    TrainingRecordRead,
    VocabularyRead,
)
from api.schemas.vocabulary import EventStatus, RefresherStatus
from service.training import courses, events, programme, refreshers, selection, trainees
from service.training.courses import CourseChangeView, CourseView
from service.training.events import EventView, NominationView
from service.training.refreshers import Refresher
from service.training.selection import AttendanceEntry
from service.training.trainees import TraineeView
from service.training.vocabulary import LEVELS, TARGET_GROUPS

router = ResourceRouter(prefix="/api/v1", tags=["training"], responses=PROBLEM_RESPONSES)


def _change(view: CourseChangeView) -> CourseChangeRead:
    c = view.change
    return CourseChangeRead(
        id=c.id,
        course_code=view.course_code,
        course_title=view.course_title,
        learning_item_id=c.learning_item_id,
        summary=c.summary,
        changed_at=c.changed_at,
        changed_by_id=c.changed_by_id,
    )


def _course(view: CourseView) -> CourseRead:
    return CourseRead(
        **view.course.model_dump(include=set(CourseRead.model_fields) - {"changes"}),
        changes=[_change(c) for c in view.changes],
    )


def _refresher(r: Refresher) -> RefresherRead:
    return RefresherRead(
        trainee_id=r.trainee.id,
        trainee_name=r.trainee.name,
        agency=r.trainee.agency,
        is_dsl=r.trainee.is_dsl,
        level=r.level,
        last_completed_on=r.last_completed_on,
        due_on=r.due_on,
        status=r.status,
    )


def _trainee(view: TraineeView) -> TraineeDetail:
    return TraineeDetail(
        **view.trainee.model_dump(include=set(TraineeRead.model_fields)),
        records=[
            TrainingRecordRead(
                **r.record.model_dump(include=set(TrainingRecordRead.model_fields)),
                course_code=r.course_code,
                course_title=r.course_title,
            )
            for r in view.records
        ],
        refreshers=[_refresher(r) for r in view.refreshers],
    )


def _nomination(view: NominationView) -> NominationRead:
    return NominationRead(
        **view.nomination.model_dump(include=set(NominationRead.model_fields)), trainee_name=view.trainee_name
    )


def _event(view: EventView) -> EventRead:
    e, ev = view.event, view.evaluation
    return EventRead(
        **e.model_dump(include=set(EventRead.model_fields)),
        course_code=view.course.code,
        course_title=view.course.title,
        level=view.course.level,
        case_reference=view.case.reference if view.case else None,
        stages=list(view.case.stages) if view.case else [],
        counts=view.counts,
        attended=view.attended,
        nominations=[_nomination(n) for n in view.nominations],
        evaluation=EvaluationRead(
            reaction=ReactionRead(**vars(ev.reaction)),
            learning=LearningRead(**vars(ev.learning)),
            behaviour=BehaviourRead(**vars(ev.behaviour)),
            results=ResultsRead(**vars(ev.results)),
        ),
    )


# Courses


@router.get("/training/vocabulary")
def get_training_vocabulary(principal: PrincipalDep) -> VocabularyRead:
    """Working Together's eight target groups and the levels a course's audience is described in."""
    return VocabularyRead(target_groups=TARGET_GROUPS, levels=list(LEVELS))


@router.post("/courses", status_code=201, responses=CREATED)
def create_course(
    body: CourseCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> CourseRead:
    """Add a course (business manager or partnership admin)."""
    view = courses.create_course(session, principal, code=body.code, fields=body.model_dump(exclude={"code"}))
    location.at("get_course", code=view.course.code)
    return _course(view)


@router.get("/courses")
def list_courses(session: SessionDep, principal: PrincipalDep, include_inactive: bool = False) -> Page[CourseRead]:
    """The programme in its recommended order, all in one page."""
    views = courses.list_courses(session, principal, include_inactive=include_inactive)
    return Page[CourseRead](items=[_course(v) for v in views], next_cursor=None)


@router.get("/courses/{code}")
def get_course(code: str, session: SessionDep, principal: PrincipalDep) -> CourseRead:
    """One course with its change history."""
    return _course(courses.get_course(session, principal, code))


@router.patch("/courses/{code}")
def update_course(code: str, body: CourseUpdate, session: SessionDep, principal: PrincipalDep) -> CourseRead:
    """Change a course; a change_summary is recorded, citing the learning item that prompted it."""
    changes = body.model_dump(exclude_unset=True, exclude={"learning_item_id", "change_summary"})
    view = courses.update_course(
        session,
        principal,
        code,
        changes={k: v for k, v in changes.items() if v is not None},
        learning_item_id=body.learning_item_id,
        change_summary=body.change_summary,
    )
    return _course(view)


# Trainees and refreshers


@router.post("/trainees", status_code=201, responses=CREATED)
def create_trainee(
    body: TraineeCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> TraineeRead:
    """Add a trainee (agency leads and their systems: own agency's staff; case managers: any agency's)."""
    trainee = trainees.create_trainee(session, principal, **body.model_dump())
    location.at("get_trainee", trainee_id=trainee.id)
    return TraineeRead.model_validate(trainee, from_attributes=True)


@router.get("/trainees")
def list_trainees(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    agency: str | None = None,
    cursor: str | None = None,
) -> Page[TraineeRead]:
    """Trainees, oldest first (agency leads: their own agency's)."""
    page = trainees.list_trainees(session, principal, agency=agency, cursor=cursor, limit=limit)
    return Page[TraineeRead](
        items=[TraineeRead.model_validate(t, from_attributes=True) for t in page.items], next_cursor=page.next_cursor
    )


@router.get("/trainees/{trainee_id}")
def get_trainee(trainee_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> TraineeDetail:
    """A trainee with their training records and when each level's refresher is due."""
    return _trainee(trainees.get_trainee(session, principal, trainee_id))


@router.post("/trainees/{trainee_id}/training-records", status_code=201, responses=CREATED)
def add_training_record(
    trainee_id: uuid.UUID,
    body: TrainingRecordCreate,
    session: SessionDep,
    principal: PrincipalDep,
    location: LocationDep,
) -> TraineeDetail:
    """Record external training (counts for refreshers and prerequisites)."""
    # A training record has no GET of its own: the trainee's detail lists their records.
    location.at("get_trainee", trainee_id=trainee_id)
    return _trainee(trainees.add_external_record(session, principal, trainee_id, **body.model_dump()))


@router.get("/training/refreshers")
def list_refreshers(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    agency: str | None = None,
    status: RefresherStatus | None = None,
    within_days: int = 90,
    cursor: str | None = None,
) -> Page[RefresherRead]:
    """Refreshers soonest due first: status overdue, due_soon (within within_days) or current."""
    page = refreshers.list_refreshers(
        session, principal, agency=agency, status=status, within_days=within_days, cursor=cursor, limit=limit
    )
    return Page[RefresherRead](items=[_refresher(r) for r in page.items], next_cursor=page.next_cursor)


# Events


@router.post("/courses/{code}/events", status_code=201, responses=CREATED)
def create_event(
    code: str, body: EventCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> EventRead:
    """Schedule an event of a course; its training_event lifecycle opens for nominations."""
    read = _event(events.create_event(session, principal, code, **body.model_dump()))
    location.at("get_event", event_id=read.id)
    return read


@router.get("/training-events")
def list_events(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    course: str | None = None,
    status: EventStatus | None = None,
    upcoming: bool | None = None,
    cursor: str | None = None,
) -> Page[EventRead]:
    """The training programme's events, in the order scheduled; filter by course, status or upcoming."""
    page = programme.list_events(
        session, principal, course_code=course, status=status, upcoming=upcoming, cursor=cursor, limit=limit
    )
    return Page[EventRead](items=[_event(v) for v in page.items], next_cursor=page.next_cursor)


@router.post("/training-events/{event_id}/nominations/{nomination_id}/withdraw")
def withdraw_nomination(
    event_id: uuid.UUID, nomination_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> NominationRead:
    """Withdraw a nomination (its agency or a case manager) until the attendance register is taken."""
    return _nomination(programme.withdraw(session, principal, event_id, nomination_id))


@router.get("/training-events/{event_id}")
def get_event(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> EventRead:
    """An event with its nominations, counts and the four evaluation levels."""
    return _event(events.get_event(session, principal, event_id))


@router.post("/training-events/{event_id}/nominations", status_code=201, responses=CREATED)
def nominate(
    event_id: uuid.UUID, body: NominationCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> NominationRead:
    """Nominate a trainee while nominations are open (agency leads and systems: own agency's staff)."""
    view = events.nominate(session, principal, event_id, trainee_id=body.trainee_id, target_group=body.target_group)
    # A nomination has no GET of its own: the event lists its nominations.
    location.at("get_event", event_id=event_id)
    return _nomination(view)


@router.post("/training-events/{event_id}/selection")
def select_places(event_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> EventRead:
    """Close nominations and select (business manager): every nomination confirmed or refused with a reason."""
    return _event(selection.select_places(session, principal, event_id))


@router.post("/training-events/{event_id}/attendance")
def take_register(
    event_id: uuid.UUID, body: AttendanceCreate, session: SessionDep, principal: PrincipalDep
) -> EventRead:
    """The attendance register with the on-the-day evaluation; attendees' follow-ups are scheduled."""
    entries = [AttendanceEntry(**line.model_dump()) for line in body.entries]
    return _event(selection.take_register(session, principal, event_id, entries=entries, taken_on=body.taken_on))
