"""A partnership's trusted OpenID Connect provider: whose access tokens sign its staff in, and how claims map."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field


class IdentityProvider(SQLModel, table=True):
    """One trusted issuer + audience. The pair is unique across partnerships, so a token names its partnership."""

    __tablename__ = "identity_provider"
    __table_args__ = (UniqueConstraint("partnership_id", "key"), UniqueConstraint("issuer", "audience"))

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    key: str = Field(max_length=40)  # the admin's short name for it, e.g. "entra"
    issuer: str = Field(max_length=500)
    audience: str = Field(max_length=500)
    subject_claim: str = Field(default="sub", max_length=100)
    email_claim: str = Field(default="email", max_length=100)
    name_claim: str = Field(default="name", max_length=100)
    roles_claim: str = Field(default="roles", max_length=100)
    agency_claim: str | None = Field(default=None, max_length=100)
    role_map: dict[str, list[str]] = json_field(dict)  # claim value -> LIF roles
    agency_map: dict[str, str] = json_field(dict)  # claim value -> agency code (unmapped values are taken as codes)
    provisioning: str = Field(default="refuse", max_length=20)  # refuse | just_in_time
    created_at: dt.datetime = created_field()
    updated_at: dt.datetime | None = time_field()
