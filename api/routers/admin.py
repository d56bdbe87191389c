"""Partnership administration: agencies, users and tokens (partnership admins; a person also their own tokens)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routers.directory import agency_read, user_reads
from api.routing import ResourceRouter
from api.schemas.admin import (
    AgencyCreate,
    AgencyRead,
    AgencyUpdate,
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from api.schemas.common import PROBLEM_RESPONSES, Page
from service.identity import admin
from service.models import ApiToken

router = ResourceRouter(prefix="/api/v1", tags=["identity"], responses=PROBLEM_RESPONSES)


def token_read(row: ApiToken) -> TokenRead:
    """A token's record as the API shows it."""
    return TokenRead.model_validate({**row.model_dump(), "machine": row.scope == "agency"})


@router.post("/agencies", status_code=201, responses=CREATED)
def create_agency(
    body: AgencyCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> AgencyRead:
    """Add an agency (partnership admins)."""
    created = agency_read(admin.create_agency(session, principal, code=body.code, name=body.name, kind=body.kind))
    # An agency has no GET of its own: the partnership's agency list shows it.
    location.at("list_agencies")
    return created


@router.patch("/agencies/{agency_code}")
def update_agency(agency_code: str, body: AgencyUpdate, session: SessionDep, principal: PrincipalDep) -> AgencyRead:
    """Rename an agency or change its kind (partnership admins)."""
    return agency_read(admin.update_agency(session, principal, agency_code, name=body.name, kind=body.kind))


@router.post("/users", status_code=201, responses=CREATED)
def create_user(body: UserCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep) -> UserRead:
    """Add a person with roles and, for agency staff, an agency (partnership admins)."""
    user = admin.create_user(
        session,
        principal,
        name=body.name,
        email=body.email,
        roles=[role.value for role in body.roles],
        agency=body.agency,
    )
    location.at("get_user", user_id=user.id)
    return user_reads(session, principal, [user])[0]


@router.patch("/users/{user_id}")
def update_user(user_id: uuid.UUID, body: UserUpdate, session: SessionDep, principal: PrincipalDep) -> UserRead:
    """Change a user's name, e-mail, roles, agency or status (partnership admins). `active: false` deactivates
    them: every token they hold is refused from the next request on."""
    given = body.model_fields_set
    user = admin.update_user(
        session,
        principal,
        user_id,
        name=body.name,
        email=body.email,
        roles=[role.value for role in body.roles] if body.roles is not None else None,
        active=body.active,
        **({"agency": body.agency} if "agency" in given else {}),
    )
    return user_reads(session, principal, [user])[0]


@router.get("/tokens")
def list_tokens(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    user_id: uuid.UUID | None = None,
    machine: Annotated[bool | None, Query(description="true: machine tokens only; false: people's only.")] = None,
    cursor: str | None = None,
) -> Page[TokenRead]:
    """Tokens, newest first: partnership admins see the partnership's, anyone else their own."""
    page = admin.list_tokens(session, principal, user_id=user_id, machine=machine, cursor=cursor, limit=limit)
    return Page[TokenRead](items=[token_read(t) for t in page.items], next_cursor=page.next_cursor)


@router.post("/users/{user_id}/tokens", status_code=201, responses=CREATED)
def issue_token(
    user_id: uuid.UUID, body: TokenCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> TokenIssued:
    """Issue a token for a person (partnership admins; anyone for themselves). The token is shown this once."""
    token, row = admin.issue_personal_token(session, principal, user_id, name=body.name, expires_at=body.expires_at)
    # A token has no GET of its own: the person's token list shows it (never the secret again).
    location.at("list_tokens", query={"user_id": str(user_id)})
    return TokenIssued.model_validate({**token_read(row).model_dump(), "token": token})


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> TokenRead:
    """Revoke a token (partnership admins; anyone their own): refused from the very next request on."""
    return token_read(admin.revoke(session, principal, token_id))
