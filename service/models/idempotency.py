"""Stored responses for requests sent with an ``Idempotency-Key``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a keyed request, replayed for retries with the same key and body."""

    __tablename__ = "idempotency_record"

    __table_args__ = (UniqueConstraint("partnership_id", "user_id", "key"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    user_id: uuid.UUID = Field(foreign_key="app_user.id")
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = json_field()
    created_at: dt.datetime = created_field()
