"""The multi-agency training programme: courses, trainees and their records, events and nominations."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.db.types import UtcDateTime
from service.models._columns import created_field, id_field, json_field, partnership_field, time_field


class Course(SQLModel, table=True):
    """A course of the partnership's programme: its level, audience, prerequisites and trainer standards."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("partnership_id", "code"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    code: str = Field(max_length=40)
    title: str = Field(max_length=200)
    level: int
    target_groups: list[str] = json_field(list)
    prerequisites: list[str] = json_field(list)
    recommended_order: int = Field(default=0)
    learning_outcomes: list[str] = json_field(list)
    trainer_standards: list[str] = json_field(list)
    active: bool = Field(default=True)
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()


class CourseChange(SQLModel, table=True):
    """A change to a course, citing the learning item that prompted it (embedding evidence)."""

    __tablename__ = "course_change"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    course_id: uuid.UUID = Field(foreign_key="course.id", index=True)
    learning_item_id: uuid.UUID | None = Field(default=None, foreign_key="learning_item.id", index=True)
    summary: str = Field(max_length=2000)
    changed_at: dt.datetime = created_field()
    changed_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")


class Trainee(SQLModel, table=True):
    """A member of an agency's workforce who takes partnership training (staff, not a review's subject)."""

    __tablename__ = "trainee"
    __table_args__ = (
        UniqueConstraint("partnership_id", "email"),
        Index("ix_trainee_partnership_id_agency", "partnership_id", "agency"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    agency: str = Field(max_length=40)
    role: str = Field(max_length=200)
    is_dsl: bool = Field(default=False)
    supervisor_name: str | None = Field(default=None, max_length=200)
    active: bool = Field(default=True)
    created_at: dt.datetime = created_field()
    disposed_at: dt.datetime | None = time_field()  # name and e-mail anonymised at the end of retention


class TrainingRecord(SQLModel, table=True):
    """Training a trainee completed: at one of our events, or elsewhere (external)."""

    __tablename__ = "training_record"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    trainee_id: uuid.UUID = Field(foreign_key="trainee.id", index=True)
    course_id: uuid.UUID | None = Field(default=None, foreign_key="course.id", index=True)
    description: str = Field(default="", max_length=300)
    level: int
    completed_on: dt.date
    source: str = Field(max_length=20)
    event_id: uuid.UUID | None = Field(default=None, foreign_key="training_event.id", index=True)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()


class TrainingEvent(SQLModel, table=True):
    """One delivery of a course; its ``training_event`` lifecycle case runs selection to evaluation."""

    __tablename__ = "training_event"
    __table_args__ = (Index("ix_training_event_partnership_id_starts_at", "partnership_id", "starts_at"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    course_id: uuid.UUID = Field(foreign_key="course.id", index=True)
    starts_at: dt.datetime = Field(sa_type=UtcDateTime, nullable=False)
    ends_at: dt.datetime = Field(sa_type=UtcDateTime, nullable=False)
    capacity: int
    venue: str | None = Field(default=None, max_length=300)
    online: bool = Field(default=False)
    status: str = Field(default="nominations_open", max_length=30)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    delivered_at: dt.datetime | None = time_field()


class Nomination(SQLModel, table=True):
    """An agency's nomination of a trainee for an event, the selection outcome, attendance and evaluation."""

    __tablename__ = "nomination"
    __table_args__ = (UniqueConstraint("event_id", "trainee_id"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    event_id: uuid.UUID = Field(foreign_key="training_event.id")
    trainee_id: uuid.UUID = Field(foreign_key="trainee.id", index=True)
    agency: str = Field(max_length=40)
    target_group: str | None = Field(default=None, max_length=60)
    nominated_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    status: str = Field(default="nominated", max_length=20)
    refusal_reason: str | None = Field(default=None, max_length=300)
    attended: bool | None = None
    pre_confidence: int | None = None
    post_confidence: int | None = None
    reaction_score: int | None = None
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
