"""The append-only audit log (a database trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Column, Identity, Index, Integer
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, json_field


class AuditEvent(SQLModel, table=True):
    """Who did what, when, to which object, in one line a person can read."""

    __tablename__ = "audit_event"

    __table_args__ = (Index("ix_audit_event_partnership_id_id", "partnership_id", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    )
    partnership_id: uuid.UUID | None = Field(default=None, foreign_key="partnership.id")
    at: dt.datetime = created_field()
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64, index=True)
    summary: str = Field(max_length=500)
    detail: dict[str, Any] = json_field()
