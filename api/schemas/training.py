"""Courses, trainees, refreshers, training events and nominations: request and response models."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import EventStatus, NominationStatus, RefresherStatus

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$"


class CourseFields(BaseModel):
    """What describes a course."""

    title: str = Field(min_length=1, max_length=200)
    level: int = Field(ge=1, le=5, description="Training level 1-5.")
    target_groups: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Audience: Working Together's target groups 'group_1'..'group_8' (GET /training/vocabulary) "
        "or job roles written 'role:<job role>'. Empty: open to everyone.",
    )
    prerequisites: list[str] = Field(default_factory=list, max_length=20, description="Course codes to do first.")
    recommended_order: int = Field(default=0, ge=0, le=10000)
    learning_outcomes: list[str] = Field(default_factory=list, max_length=50)
    trainer_standards: list[str] = Field(
        default_factory=list, max_length=30, description="The trainer standards the course is delivered to."
    )


class CourseCreate(CourseFields):
    """A new course."""

    code: str = Field(pattern=CODE_PATTERN, description="Unique in the partnership, e.g. 'L3-NEGLECT'.")


class CourseUpdate(BaseModel):
    """Change a course; omitted fields stay. ``change_summary`` records the change, citing a learning item."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    level: int | None = Field(default=None, ge=1, le=5)
    target_groups: list[str] | None = Field(default=None, max_length=20)
    prerequisites: list[str] | None = Field(default=None, max_length=20)
    recommended_order: int | None = Field(default=None, ge=0, le=10000)
    learning_outcomes: list[str] | None = Field(default=None, max_length=50)
    trainer_standards: list[str] | None = Field(default=None, max_length=30)
    active: bool | None = None
    learning_item_id: uuid.UUID | None = Field(default=None, description="The learning item this change embeds.")
    change_summary: str | None = Field(default=None, min_length=1, max_length=2000)


class CourseChangeRead(BaseModel):
    """A recorded course change (embedding evidence when it cites a learning item)."""

    id: uuid.UUID
    course_code: str
    course_title: str
    learning_item_id: uuid.UUID | None
    summary: str
    changed_at: Instant
    changed_by_id: uuid.UUID | None


class CourseRead(CourseFields):
    """A course and its change history."""

    code: str
    active: bool
    changes: list[CourseChangeRead]
    created_at: Instant
    updated_at: Instant


class VocabularyRead(BaseModel):
    """The words for a course's audience."""

    target_groups: dict[str, str]
    levels: list[int]


class TraineeCreate(BaseModel):
    """A member of an agency's workforce."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    agency: str = Field(min_length=1, max_length=40, description="Agency code.")
    role: str = Field(min_length=1, max_length=200, description="Job role, e.g. 'social worker'.")
    is_dsl: bool = Field(default=False, description="Designated safeguarding lead (shorter refresher interval).")
    supervisor_name: str | None = Field(default=None, max_length=200)


class TraineeRead(BaseModel):
    """A trainee."""

    id: uuid.UUID
    name: str
    email: str
    agency: str
    role: str
    is_dsl: bool
    supervisor_name: str | None
    active: bool
    created_at: Instant


class TrainingRecordCreate(BaseModel):
    """External training: one of our courses done elsewhere, or other training at a level."""

    course_code: str | None = Field(default=None, max_length=40)
    level: int | None = Field(default=None, ge=1, le=5, description="Defaults to the course's level.")
    completed_on: dt.date
    description: str = Field(default="", max_length=300, description="Required when no course_code is given.")


class TrainingRecordRead(BaseModel):
    """Training a trainee completed."""

    id: uuid.UUID
    course_code: str | None
    course_title: str | None
    description: str
    level: int
    completed_on: dt.date
    source: str = Field(description="event | external")
    event_id: uuid.UUID | None


class RefresherRead(BaseModel):
    """When a trainee's training at a level needs renewing."""

    trainee_id: uuid.UUID
    trainee_name: str
    agency: str
    is_dsl: bool
    level: int
    last_completed_on: dt.date
    due_on: dt.date
    status: RefresherStatus = Field(description="overdue | due_soon | current")


class TraineeDetail(TraineeRead):
    """A trainee with their records and refreshers."""

    records: list[TrainingRecordRead]
    refreshers: list[RefresherRead]


class EventCreate(BaseModel):
    """An event of a course."""

    starts_at: dt.datetime = Field(description="With offset, e.g. 2026-04-02T09:30:00+01:00.")
    ends_at: dt.datetime
    capacity: int = Field(ge=1, le=1000)
    venue: str | None = Field(default=None, max_length=300)
    online: bool = False


class NominationCreate(BaseModel):
    """Nominate a trainee."""

    trainee_id: uuid.UUID
    target_group: str | None = Field(
        default=None, description="The target group the trainee is nominated as ('group_1'..'group_8')."
    )


class NominationRead(BaseModel):
    """A nomination and where it stands."""

    id: uuid.UUID
    trainee_id: uuid.UUID
    trainee_name: str
    agency: str
    target_group: str | None
    status: NominationStatus = Field(
        description="nominated | refused | confirmed (selection confirms places) | withdrawn"
    )
    refusal_reason: str | None
    attended: bool | None
    pre_confidence: int | None
    post_confidence: int | None
    reaction_score: int | None
    created_at: Instant


class AttendanceLine(BaseModel):
    """One line of the register and the on-the-day evaluation."""

    nomination_id: uuid.UUID
    attended: bool
    pre_confidence: int | None = Field(default=None, ge=1, le=5)
    post_confidence: int | None = Field(default=None, ge=1, le=5)
    reaction_score: int | None = Field(default=None, ge=1, le=5)


class AttendanceCreate(BaseModel):
    """The attendance register: one line for every confirmed place."""

    entries: list[AttendanceLine] = Field(max_length=1000)
    taken_on: dt.date | None = Field(default=None, description="When the register was entered; default today.")


class ReactionRead(BaseModel):
    """Level 1: reaction."""

    responses: int
    mean_reaction_score: float | None


class LearningRead(BaseModel):
    """Level 2: learning (confidence before and after)."""

    responses: int
    mean_pre_confidence: float | None
    mean_post_confidence: float | None
    mean_change: float | None


class BehaviourRead(BaseModel):
    """Level 3: behaviour in practice (the follow-ups)."""

    follow_ups_open: int
    follow_ups_completed: int
    by_behaviour_change: dict[str, int]
    supervisor_confirmed: int


class ResultsRead(BaseModel):
    """Level 4: results for children and adults."""

    outcome_links: list[str]
    evaluation_summary: str | None
    results_summary: str | None
    course_change_needed: bool | None
    evaluated_at: str | None


class EvaluationRead(BaseModel):
    """The four levels."""

    reaction: ReactionRead
    learning: LearningRead
    behaviour: BehaviourRead
    results: ResultsRead


class EventRead(BaseModel):
    """A training event, its lifecycle case, counts and evaluation."""

    id: uuid.UUID
    course_code: str
    course_title: str
    level: int
    starts_at: Instant
    ends_at: Instant
    capacity: int
    venue: str | None
    online: bool
    status: EventStatus = Field(description="nominations_open | places_confirmed | delivered")
    case_id: uuid.UUID | None
    case_reference: str | None
    stages: list[str]
    counts: dict[str, int] = Field(description="Nominations by status.")
    attended: int
    nominations: list[NominationRead] = Field(description="All for case managers; agency leads see their own.")
    evaluation: EvaluationRead
    created_at: Instant
