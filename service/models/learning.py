"""Learning items and their journey round the learning loop (identified → disseminated → embedded → evaluated)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field


class LearningItem(SQLModel, table=True):
    """A lesson, finding or piece of good practice; its own ``learning_item`` lifecycle case carries it round."""

    __tablename__ = "learning_item"
    __table_args__ = (
        Index("ix_learning_item_partnership_id_created_at_id", "partnership_id", "created_at", "id"),
        Index("ix_learning_item_partnership_id_stage", "partnership_id", "stage"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    title: str = Field(max_length=200)
    summary: str = Field(max_length=4000)
    kind: str = Field(max_length=30)
    source_type: str = Field(max_length=60, index=True)
    source_case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    source_recommendation_id: uuid.UUID | None = Field(default=None, foreign_key="recommendation.id")
    principles: list[str] = json_field(list)
    audience_agencies: list[str] = json_field(list)
    audience_roles: list[str] = json_field(list)
    audience_levels: list[int] = json_field(list)
    course_codes: list[str] = json_field(list)
    stage: str = Field(default="identified", max_length=20)
    stage_entered_at: dt.datetime = created_field()
    loop_count: int = Field(default=1)
    cascade_requested: dict[str, int] = json_field()
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
    closed_at: dt.datetime | None = time_field()


class LearningItemTheme(SQLModel, table=True):
    """A learning item carries a theme of the partnership's taxonomy."""

    __tablename__ = "learning_item_theme"

    learning_item_id: uuid.UUID = Field(foreign_key="learning_item.id", primary_key=True)
    theme_id: uuid.UUID = Field(foreign_key="theme.id", primary_key=True, index=True)


class LearningStageVisit(SQLModel, table=True):
    """One stay in one stage, on one trip round the loop: time in stage is ``left_at - entered_at``."""

    __tablename__ = "learning_stage_visit"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    learning_item_id: uuid.UUID = Field(foreign_key="learning_item.id", index=True)
    stage: str = Field(max_length=20)
    loop: int
    entered_at: dt.datetime = created_field()
    left_at: dt.datetime | None = time_field()
