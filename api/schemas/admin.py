"""Administration shapes: agencies, users, tokens, partnerships (Create / Update / Read families)."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.schemas.common import Instant
from api.schemas.vocabulary import PartnershipKind
from service.access.roles import Role

_CODE = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="e.g. 'police'")
_NAME = Field(min_length=1, max_length=200)
_EMAIL = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
# Agency kinds are the partnership's own words, not a fixed list: GET /api/v1/agencies shows those in use.
_KIND = Field(
    min_length=1,
    max_length=40,
    description="The partnership's own word, e.g. police or health (GET /agencies).",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgencyCreate(_Strict):
    """A new agency of your partnership."""

    code: str = _CODE
    name: str = _NAME
    kind: str = _KIND


class AgencyUpdate(_Strict):
    """Fields to change (the code never changes: diagrams and cases refer to it)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = Field(default=None, min_length=1, max_length=40)


class AgencyRead(BaseModel):
    """An agency, as a picker shows it."""

    code: str
    name: str
    kind: str
    created_at: Instant


class UserCreate(_Strict):
    """A new person in your partnership (then issue them a token)."""

    name: str = _NAME
    email: str = _EMAIL
    roles: list[Role] = Field(min_length=1)
    agency: str | None = Field(default=None, description="Agency code, for agency staff.")


class UserUpdate(_Strict):
    """Fields to change; send `agency: null` to take a user out of their agency, `active: false` to deactivate."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    roles: list[Role] | None = Field(default=None, min_length=1)
    agency: str | None = None
    active: bool | None = None


class UserRead(BaseModel):
    """A user. `email`, `active` and `machine` are shown to partnership admins only (null for everyone else)."""

    id: uuid.UUID
    name: str
    roles: list[Role]
    agency: str | None
    email: str | None = None
    active: bool | None = None
    machine: bool | None = None
    created_at: Instant


class TokenCreate(_Strict):
    """A token for a person; it expires at most LIF_PERSONAL_TOKEN_MAX_DAYS from now (and by default then)."""

    name: str = Field(min_length=1, max_length=100, description="What it is for, e.g. 'laptop'.")
    expires_at: AwareDatetime | None = Field(default=None, description="With a time zone, e.g. 2027-03-01T00:00:00Z.")


class TokenRead(BaseModel):
    """A token's record (never the token itself)."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    prefix: str = Field(description="The token's first characters, to recognise it.")
    machine: bool
    created_at: Instant
    expires_at: Instant | None
    last_used_at: Instant | None = Field(description="Refreshed at most once a minute.")
    revoked_at: Instant | None


class TokenIssued(TokenRead):
    """A new token: `token` is shown this once and is stored only as a hash."""

    token: str


class FirstAdminCreate(_Strict):
    """The partnership admin a new partnership starts with."""

    name: str = _NAME
    email: str = _EMAIL


class PartnershipCreate(_Strict):
    """A new partnership (tenant)."""

    key: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$", description="e.g. 'northshire'")
    name: str = _NAME
    kind: PartnershipKind
    first_admin: FirstAdminCreate | None = None


class PartnershipUpdate(_Strict):
    """Fields to change (the key never changes)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: PartnershipKind | None = None


class PartnershipRead(BaseModel):
    """A partnership."""

    id: uuid.UUID
    key: str
    name: str
    kind: PartnershipKind
    created_at: Instant


class PartnershipCreated(PartnershipRead):
    """A new partnership; `first_admin_token` (shown once) when a first admin was asked for."""

    first_admin_token: str | None = None
