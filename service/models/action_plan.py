"""Themes, recommendations, actions and their evidence: where a review's learning is proven."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field


class Theme(SQLModel, table=True):
    """A theme of the partnership's managed taxonomy (seeded with the recurring national themes)."""

    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("partnership_id", "code"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    code: str = Field(max_length=60)
    label: str = Field(max_length=120)
    description: str = Field(default="", max_length=1000)
    active: bool = Field(default=True)
    created_at: dt.datetime = created_field()


class Recommendation(SQLModel, table=True):
    """A recommendation a review (or audit) made, tagged with themes and safeguarding principles."""

    __tablename__ = "recommendation"
    __table_args__ = (
        UniqueConstraint("case_id", "number"),
        Index("ix_recommendation_partnership_id_created_at_id", "partnership_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    case_id: uuid.UUID = Field(foreign_key="case_record.id")
    number: int
    finding: str = Field(max_length=4000)
    text: str = Field(max_length=4000)
    principles: list[str] = json_field(list)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()


class RecommendationTheme(SQLModel, table=True):
    """A recommendation carries a theme (a join table, so 'every recommendation on neglect' is an index hit)."""

    __tablename__ = "recommendation_theme"

    recommendation_id: uuid.UUID = Field(foreign_key="recommendation.id", primary_key=True)
    theme_id: uuid.UUID = Field(foreign_key="theme.id", primary_key=True, index=True)


class Action(SQLModel, table=True):
    """One action of an action plan; its own short ``action`` lifecycle case drives its status."""

    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_partnership_id_created_at_id", "partnership_id", "created_at", "id"),
        Index("ix_action_partnership_id_owner_agency_status", "partnership_id", "owner_agency", "status"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    recommendation_id: uuid.UUID = Field(foreign_key="recommendation.id", index=True)
    review_case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    owner_agency: str = Field(max_length=40)
    lead_name: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    due_date: dt.date
    impact_measure: str = Field(max_length=2000)
    baseline: str = Field(max_length=2000)
    status: str = Field(default="open", max_length=30, index=True)
    completed_on: dt.date | None = None
    not_implemented_reason: str | None = Field(default=None, max_length=4000)
    next_recheck_on: dt.date | None = None
    reopen_count: int = Field(default=0)
    overdue_notified_at: dt.datetime | None = time_field()
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
    closed_at: dt.datetime | None = time_field()


class Evidence(SQLModel, table=True):
    """A file evidencing an action's progress or impact; the bytes live in the evidence store."""

    __tablename__ = "evidence"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    action_id: uuid.UUID = Field(foreign_key="action.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64, index=True)
    description: str = Field(default="", max_length=1000)
    uploaded_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    disposed_at: dt.datetime | None = time_field()  # the file was removed at the end of its retention


class RecurringTheme(SQLModel, table=True):
    """A new recommendation repeats a theme an earlier, completed action already addressed."""

    __tablename__ = "recurring_theme"
    __table_args__ = (UniqueConstraint("recommendation_id", "earlier_action_id", "theme_id"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    recommendation_id: uuid.UUID = Field(foreign_key="recommendation.id")
    earlier_action_id: uuid.UUID = Field(foreign_key="action.id", index=True)
    theme_id: uuid.UUID = Field(foreign_key="theme.id")
    detected_at: dt.datetime = created_field()
    detail: dict[str, str] = json_field()
