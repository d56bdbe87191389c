"""Users, their roles, and their API tokens (stored only as hashes)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from service.models._columns import created_field, id_field, json_field, partnership_field, time_field


class User(SQLModel, table=True):
    """A person (or a partner system) acting for one partnership, optionally for one agency."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        UniqueConstraint("partnership_id", "email"),
        # One LIF user per person at a provider (the same person may belong to two partnerships).
        Index("ix_app_user_oidc_subject", "partnership_id", "oidc_issuer", "oidc_subject", unique=True),
    )

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field(indexed=False)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="agency.id", index=True)
    roles: list[str] = json_field(list)
    active: bool = Field(default=True)  # deactivated: every token of the user is refused on the next request
    machine: bool = Field(default=False)  # a partner agency's system (service/identity/machines.py), not a person
    created_at: dt.datetime = created_field()
    # Set when the user signs in through OpenID Connect: traces them back to the provider's account.
    oidc_issuer: str | None = Field(default=None, max_length=500)
    oidc_subject: str | None = Field(default=None, max_length=255)


class ApiToken(SQLModel, table=True):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_token"

    id: uuid.UUID = id_field()
    partnership_id: uuid.UUID = partnership_field()
    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(unique=True, max_length=64)
    prefix: str = Field(max_length=16)
    created_at: dt.datetime = created_field()
    scope: str = Field(default="user", max_length=20)  # user | agency (a partner system's machine token)
    expires_at: dt.datetime | None = time_field()
    revoked_at: dt.datetime | None = time_field()
    # Refreshed at most once a minute per token (service/identity/tokens.py), so reads do not write every time.
    last_used_at: dt.datetime | None = time_field()
