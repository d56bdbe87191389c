"""Partnerships (tenants) and their agencies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field


class Partnership(SQLModel, table=True):
    """A safeguarding partnership: LSCP, Safeguarding Adults Board, CSP, or a joint board. The tenant."""

    id: uuid.UUID = id_field()
    key: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    settings: dict[str, Any] = json_field()  # process settings, handed to every new case's process
    data_protection: dict[str, Any] = json_field()  # who oversees, who may reveal, retention (never in a process)
    notifications: dict[str, Any] = json_field()  # mandatory kinds, chasing schedule, wording overrides
    next_case_number: int = Field(default=0)
    # Bumped with every change to the partnership's webhook subscriptions (service/outbox/subscriptions.py): the
    # key of the process-wide cache of which subscriptions are active.
    subscriptions_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: dt.datetime = created_field()


class Agency(SQLModel, table=True):
    """A partner agency (police, health trust, council, school...) within one partnership."""

    __table_args__ = (UniqueConstraint("partnership_id", "code"),)

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    created_at: dt.datetime = created_field()
