"""A case: one review (or audit, action plan...) and the record it builds up."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal, get_args

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field

CaseStatus = Literal["open", "closed"]
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)


class Case(SQLModel, table=True):
    """A case of one type (e.g. ``cspr``), driven by its lifecycle process."""

    __tablename__ = "case_record"

    __table_args__ = (
        UniqueConstraint("partnership_id", "reference"),
        Index("ix_case_record_partnership_id_created_at_id", "partnership_id", "created_at", "id"),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    case_type: str = Field(max_length=40, index=True)
    reference: str = Field(max_length=40)
    title: str = Field(max_length=200)
    subject_pseudonym: str = Field(max_length=100)
    status: str = Field(default="open", max_length=20, index=True)  # one of CASE_STATUSES
    stages: list[str] = json_field(list)
    involved_agencies: list[str] = json_field(list)
    record: dict[str, Any] = json_field()
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime = created_field()
    closed_at: dt.datetime | None = time_field()
    # Need-to-know: "need_to_know" (members, oversight roles, involved agencies) or "partnership" (everyone in
    # it), from the case type's diagram; a case opened for another (an action for a review) follows its parent.
    access_scope: str = Field(default="need_to_know", max_length=20)
    parent_case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    # Retention: a legal hold stops all disposal; disposed_at is when its personal data was removed.
    legal_hold_reason: str | None = Field(default=None, max_length=500)
    legal_hold_at: dt.datetime | None = time_field()
    legal_hold_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    disposed_at: dt.datetime | None = time_field()
