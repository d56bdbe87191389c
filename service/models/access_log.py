"""The access log and the disposal log: both append-only (database triggers refuse UPDATE and DELETE).

The one exception is the disposal job removing access-log rows past their retention: it holds a
``disposal_permit`` row for the length of its own transaction, and the DELETE trigger lets a DELETE through
only while a permit exists (migration 0010). UPDATE is always refused.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Column, Identity, Index, Integer
from sqlmodel import Field, SQLModel

from service.models._columns import created_field


def _serial() -> Column[int]:
    return Column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True)


class AccessEvent(SQLModel, table=True):
    """One look at personal data: who, at what, what kind of read, when, in which request."""

    __tablename__ = "access_event"
    __table_args__ = (
        Index("ix_access_event_partnership_id_case_id_id", "partnership_id", "case_id", "id"),
        Index("ix_access_event_partnership_id_actor_id_at", "partnership_id", "actor_id", "at"),
        # Ids only grow, even after disposal deletes the newest rows: "newer" always means a larger id.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=_serial())
    # No foreign keys: the log must outlive (and never block) the disposal of what it points at.
    partnership_id: uuid.UUID
    at: dt.datetime = created_field()
    actor_id: uuid.UUID | None = None
    actor_label: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64)
    case_id: uuid.UUID | None = None
    correlation_id: str = Field(default="", max_length=64)


class DisposalEntry(SQLModel, table=True):
    """What a disposal run removed or anonymised: never any personal data, only classes, ids and rules."""

    __tablename__ = "disposal_log"
    __table_args__ = (
        Index("ix_disposal_log_partnership_id_id", "partnership_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=_serial())
    partnership_id: uuid.UUID
    run_id: uuid.UUID
    record_class: str = Field(max_length=40)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=64)
    rule: str = Field(max_length=200)
    due_on: dt.date
    disposed_at: dt.datetime = created_field()


class DisposalPermit(SQLModel, table=True):
    """Held by a disposal run inside its transaction while it deletes access-log rows past their retention."""

    __tablename__ = "disposal_permit"

    run_id: uuid.UUID = Field(primary_key=True)
    created_at: dt.datetime = created_field()
