"""Pickers: the partnership's agencies and users, for choosing who is involved and who can be assigned."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query
from sqlmodel import Session

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.routing import ResourceRouter
from api.schemas.admin import AgencyRead, UserRead
from api.schemas.common import PROBLEM_RESPONSES, Page
from service.access.principal import Principal
from service.access.roles import Role
from service.identity import admin
from service.models import Agency, User

router = ResourceRouter(prefix="/api/v1", tags=["identity"], responses=PROBLEM_RESPONSES)


def agency_read(row: Agency) -> AgencyRead:
    """An agency as the API shows it."""
    return AgencyRead(code=row.code, name=row.name, kind=row.kind, created_at=row.created_at)


def user_reads(session: Session, principal: Principal, users: list[User]) -> list[UserRead]:
    """Users as the API shows them to ``principal``: e-mail and status only for partnership admins."""
    codes = admin.agency_codes(session, principal.partnership_id)
    full = admin.is_partnership_admin(principal)
    return [
        UserRead(
            id=user.id,
            name=user.name,
            roles=sorted(user.roles),
            agency=codes.get(user.agency_id) if user.agency_id else None,
            email=user.email if full else None,
            active=user.active if full else None,
            machine=user.machine if full else None,
            created_at=user.created_at,
        )
        for user in users
    ]


@router.get("/agencies")
def list_agencies(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    kind: Annotated[
        str | None, Query(description="Only agencies of this kind, e.g. 'police'; kinds are the partnership's own.")
    ] = None,
    cursor: str | None = None,
) -> Page[AgencyRead]:
    """The partnership's agencies (any member): the agencies a case can involve."""
    page = admin.list_agencies(session, principal, kind=kind, cursor=cursor, limit=limit)
    return Page[AgencyRead](items=[agency_read(a) for a in page.items], next_cursor=page.next_cursor)


@router.get("/users")
def list_users(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    role: Annotated[Role | None, Query(description="Only users holding this role.")] = None,
    agency: Annotated[str | None, Query(description="Only users of this agency (its code).")] = None,
    active: Annotated[bool | None, Query(description="Partnership admins: only (in)active users.")] = None,
    cursor: str | None = None,
) -> Page[UserRead]:
    """The partnership's people (any member): who can be made a case member or assigned a task. Partnership admins
    also see e-mails, deactivated users and partner systems' machine users."""
    filters = admin.UserFilter(role=role.value if role else None, agency=agency, active=active)
    page = admin.list_users(session, principal, filters, cursor=cursor, limit=limit)
    return Page[UserRead](items=user_reads(session, principal, page.items), next_cursor=page.next_cursor)


@router.get("/users/{user_id}")
def get_user(user_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> UserRead:
    """One user of the partnership."""
    return user_reads(session, principal, [admin.get_user(session, principal, user_id)])[0]
