"""Administering a partnership over the API: agencies, users, tokens (partnership admins); partnerships (platform).

Each write checks who is asking, then calls the same function the command line calls (service/identity/
directory.py, tokens.py), so there is one way to do each thing; every change is audited there or here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.access.roles import Role
from service.audit.log import record
from service.errors import Conflict, Forbidden, NotFound
from service.identity import directory
from service.identity.tokens import issue_token, revoke_token
from service.models import Agency, ApiToken, Partnership, User
from service.pagination import Page, paginate

_UNSET: Any = object()  # "not given" for fields where None means "clear it" (a user's agency)


def is_partnership_admin(principal: Principal) -> bool:
    """A person (not a machine token) holding the partnership admin role."""
    return not principal.machine and principal.has_role(Role.PARTNERSHIP_ADMIN)


def require_partnership_admin(principal: Principal, doing: str) -> None:
    """Refuse anyone but a partnership admin."""
    if not is_partnership_admin(principal):
        raise Forbidden(f"{doing} needs the partnership admin role")


def require_platform_admin(principal: Principal, doing: str) -> None:
    """Refuse anyone but the hosting team's platform admins."""
    if principal.machine or not principal.has_role(Role.PLATFORM_ADMIN):
        raise Forbidden(f"{doing} needs the platform admin role")


# --- agencies ---------------------------------------------------------------------------------------------------


def list_agencies(
    session: Session, principal: Principal, *, kind: str | None, cursor: str | None, limit: int
) -> Page[Agency]:
    """The partnership's agencies, oldest first (every member may read them: they are what a case involves)."""
    query = select(Agency).where(Agency.partnership_id == principal.partnership_id)
    if kind:
        query = query.where(Agency.kind == kind)
    return paginate(
        session, query, created_col=Agency.created_at, id_col=Agency.id, cursor=cursor, limit=limit, newest_first=False
    )


def agency_codes(session: Session, partnership_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Agency id → code for the partnership (to show users' agencies by code)."""
    rows = session.exec(select(Agency.id, Agency.code).where(Agency.partnership_id == partnership_id)).all()
    return {row_id: code for row_id, code in rows}


def create_agency(session: Session, principal: Principal, *, code: str, name: str, kind: str) -> Agency:
    """Add an agency to the caller's partnership."""
    require_partnership_admin(principal, "adding an agency")
    return directory.add_agency(
        session, partnership_id=principal.partnership_id, code=code, name=name, kind=kind, actor=principal
    )


def update_agency(session: Session, principal: Principal, code: str, *, name: str | None, kind: str | None) -> Agency:
    """Rename an agency or change its kind; its code stays (diagrams and cases refer to it)."""
    require_partnership_admin(principal, "changing an agency")
    agency = directory.find_agency(session, principal.partnership_id, code)
    if agency is None:
        raise NotFound(f"there is no agency '{code}' in this partnership")
    changes = _apply(agency, name=name, kind=kind)
    _audit_update(session, principal, agency.partnership_id, "agency", agency.id, f"Agency {code}", changes)
    return agency


# --- users ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilter:
    """What the user list can be narrowed to."""

    role: str | None = None
    agency: str | None = None
    active: bool | None = None


def list_users(
    session: Session, principal: Principal, filters: UserFilter, *, cursor: str | None, limit: int
) -> Page[User]:
    """The partnership's users, oldest first. Members see active people only; admins also the deactivated and
    partner systems' machine users."""
    query = select(User).where(User.partnership_id == principal.partnership_id)
    if not is_partnership_admin(principal):
        query = query.where(User.active == True, User.machine == False)  # noqa: E712 (SQL, not Python)
    elif filters.active is not None:
        query = query.where(User.active == filters.active)
    if filters.role:
        directory.require_roles([filters.role])
        # Roles are a JSON list of known names (checked above), so matching the quoted name in its text form is
        # exact and works alike on SQLite and PostgreSQL.
        query = query.where(cast(User.roles, String).like(f'%"{filters.role}"%'))
    if filters.agency:
        query = query.where(User.agency_id == directory.agency_id_of(session, principal.partnership_id, filters.agency))
    return paginate(
        session, query, created_col=User.created_at, id_col=User.id, cursor=cursor, limit=limit, newest_first=False
    )


def get_user(session: Session, principal: Principal, user_id: uuid.UUID) -> User:
    """One user of the caller's partnership (others' users do not exist for them)."""
    user = session.get(User, user_id)
    if user is None or user.partnership_id != principal.partnership_id:
        raise NotFound(f"no user {user_id}")
    if not is_partnership_admin(principal) and (not user.active or user.machine):
        raise NotFound(f"no user {user_id}")
    return user


def _grantable(principal: Principal, roles: list[str]) -> None:
    directory.require_roles(roles)
    if Role.PLATFORM_ADMIN in roles and not principal.has_role(Role.PLATFORM_ADMIN):
        raise Forbidden("only a platform admin can grant the platform admin role")


def _may_act_for(principal: Principal, user: User) -> None:
    # A platform admin reaches every partnership: a partnership admin changing one, or issuing a token for one,
    # would be an escalation past their own partnership.
    others = user.id != principal.user_id
    if others and Role.PLATFORM_ADMIN in user.roles and not principal.has_role(Role.PLATFORM_ADMIN):
        raise Forbidden("a platform admin's account and tokens are managed only by a platform admin")


def create_user(
    session: Session, principal: Principal, *, name: str, email: str, roles: list[str], agency: str | None
) -> User:
    """Add a person to the caller's partnership."""
    require_partnership_admin(principal, "adding a user")
    _grantable(principal, roles)
    return directory.add_user(
        session,
        partnership_id=principal.partnership_id,
        name=name,
        email=email,
        roles=roles,
        agency_code=agency,
        actor=principal,
    )


def update_user(
    session: Session,
    principal: Principal,
    user_id: uuid.UUID,
    *,
    name: str | None = None,
    email: str | None = None,
    roles: list[str] | None = None,
    agency: str | None = _UNSET,
    active: bool | None = None,
) -> User:
    """Change a user's name, e-mail, roles, agency (None: none) or active flag. Deactivated: every token of the
    user is refused from the very next request."""
    require_partnership_admin(principal, "changing a user")
    user = get_user(session, principal, user_id)
    _may_act_for(principal, user)
    if user.id == principal.user_id and (
        active is False or (roles is not None and Role.PARTNERSHIP_ADMIN not in roles)
    ):
        raise Conflict("you cannot deactivate yourself or drop your own admin role; ask another partnership admin")
    if roles is not None:
        _grantable(principal, [r for r in roles if r not in user.roles])
    if email is not None and email != user.email:
        taken = session.exec(
            select(User.id).where(User.partnership_id == user.partnership_id, User.email == email)
        ).first()
        if taken:
            raise Conflict(f"there is already a user {email} in this partnership")
    agency_id = user.agency_id
    if agency is not _UNSET:
        agency_id = directory.agency_id_of(session, user.partnership_id, agency) if agency else None
    changes = _apply(user, name=name, email=email, roles=roles, active=active, agency_id=agency_id)
    _audit_update(session, principal, user.partnership_id, "user", user.id, f"User {user.name}", changes)
    return user


# --- tokens -----------------------------------------------------------------------------------------------------


def list_tokens(
    session: Session,
    principal: Principal,
    *,
    user_id: uuid.UUID | None,
    machine: bool | None,
    cursor: str | None,
    limit: int,
) -> Page[ApiToken]:
    """Tokens, newest first: an admin sees the partnership's, anyone else only their own."""
    query = select(ApiToken).where(ApiToken.partnership_id == principal.partnership_id)
    if not is_partnership_admin(principal):
        query = query.where(ApiToken.user_id == principal.user_id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    if machine is not None:
        query = query.where(col(ApiToken.scope) == ("agency" if machine else "user"))
    return paginate(
        session,
        query,
        created_col=ApiToken.created_at,
        id_col=ApiToken.id,
        cursor=cursor,
        limit=limit,
        newest_first=True,
    )


def issue_personal_token(
    session: Session, principal: Principal, user_id: uuid.UUID, *, name: str, expires_at: dt.datetime | None
) -> tuple[str, ApiToken]:
    """A token for a person: admins issue them for anyone in the partnership, a person for themselves."""
    if principal.machine:
        raise Forbidden("a machine token cannot issue tokens")
    if user_id != principal.user_id:
        require_partnership_admin(principal, "issuing a token for someone else")
    user = get_user(session, principal, user_id)
    _may_act_for(principal, user)
    if user.machine:
        raise Conflict("machine users get their tokens from POST /agencies/{code}/machine-tokens")
    return issue_token(session, user_id=user.id, name=name, expires_at=expires_at, actor=principal)


def revoke(session: Session, principal: Principal, token_id: uuid.UUID) -> ApiToken:
    """Revoke a token: admins any of the partnership's, a person their own."""
    row = session.get(ApiToken, token_id)
    mine = row is not None and row.user_id == principal.user_id
    if principal.machine or not (mine or is_partnership_admin(principal)):
        raise NotFound(f"no token {token_id}")  # another person's token does not exist for you
    return revoke_token(session, partnership_id=principal.partnership_id, token_id=token_id, actor=principal)


# --- partnerships (platform admins) -----------------------------------------------------------------------------


def list_partnerships(session: Session, principal: Principal, *, cursor: str | None, limit: int) -> Page[Partnership]:
    """Every partnership on the platform, oldest first."""
    require_platform_admin(principal, "listing partnerships")
    return paginate(
        session,
        select(Partnership),
        created_col=Partnership.created_at,
        id_col=Partnership.id,
        cursor=cursor,
        limit=limit,
        newest_first=False,
    )


@dataclass(frozen=True)
class FirstAdmin:
    """The partnership admin a new partnership starts with, so it can be administered over the API at once."""

    name: str
    email: str


def create_partnership(
    session: Session, principal: Principal, *, key: str, name: str, kind: str, first_admin: FirstAdmin | None
) -> tuple[Partnership, str | None]:
    """Onboard a partnership, optionally with its first admin (and that admin's token, shown once)."""
    require_platform_admin(principal, "onboarding a partnership")
    partnership = directory.create_partnership(session, key=key, name=name, kind=kind, actor=principal)
    if first_admin is None:
        return partnership, None
    admin = directory.add_user(
        session,
        partnership_id=partnership.id,
        name=first_admin.name,
        email=first_admin.email,
        roles=[Role.PARTNERSHIP_ADMIN.value],
        actor=principal,
    )
    token, _ = issue_token(session, user_id=admin.id, name="first admin", actor=principal)
    return partnership, token


def update_partnership(
    session: Session, principal: Principal, key: str, *, name: str | None, kind: str | None
) -> Partnership:
    """Rename a partnership or change its kind (which case types it can open); its key stays."""
    require_platform_admin(principal, "changing a partnership")
    partnership = directory.find_partnership(session, key)
    changes = _apply(partnership, name=name, kind=kind)
    _audit_update(session, principal, partnership.id, "partnership", partnership.id, f"Partnership {key}", changes)
    return partnership


# --- shared -----------------------------------------------------------------------------------------------------


def _apply(row: Any, **values: Any) -> dict[str, Any]:
    """Set the values given that differ (None: not given, except for agency_id where it means "no agency");
    return {field: [old, new]} for the audit log."""
    changes: dict[str, Any] = {}
    for field, value in values.items():
        old = getattr(row, field)
        if (value is None and field != "agency_id") or value == old:
            continue
        changes[field] = [_plain(old), _plain(value)]
        setattr(row, field, value)
    return changes


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _audit_update(
    session: Session,
    principal: Principal,
    partnership_id: uuid.UUID,
    object_type: str,
    object_id: uuid.UUID,
    label: str,
    changes: dict[str, Any],
) -> None:
    if not changes:
        return
    session.flush()
    record(
        session,
        partnership_id=partnership_id,
        actor=principal,
        action=f"{object_type}.updated",
        object_type=object_type,
        object_id=str(object_id),
        summary=f"{label}: {', '.join(sorted(changes))} changed",
        detail=changes,
    )
