"""Create partnerships, agencies and users (used by `lif demo`, the CLI and tests)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from service.access.roles import ALL_ROLES
from service.audit.log import Actor, record
from service.errors import Conflict, InvalidInput, NotFound
from service.models import Agency, Partnership, Theme, User
from service.taxonomy import SEED_THEMES


def create_partnership(
    session: Session,
    *,
    key: str,
    name: str,
    kind: str,
    settings: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> Partnership:
    """A new tenant (``actor`` None: an operator on the command line)."""
    if session.exec(select(Partnership).where(Partnership.key == key)).first() is not None:
        raise Conflict(f"a partnership with key '{key}' already exists")
    partnership = Partnership(key=key, name=name, kind=kind, settings=settings or {})
    session.add(partnership)
    session.flush()
    for code, label in SEED_THEMES:
        session.add(Theme(partnership_id=partnership.id, code=code, label=label))
    record(
        session,
        partnership_id=partnership.id,
        actor=actor,
        action="partnership.created",
        object_type="partnership",
        object_id=str(partnership.id),
        summary=f"Partnership '{name}' created",
    )
    return partnership


def add_agency(
    session: Session, *, partnership_id: uuid.UUID, code: str, name: str, kind: str, actor: Actor | None = None
) -> Agency:
    """An agency within a partnership; ``code`` is what diagrams and API calls use."""
    if find_agency(session, partnership_id, code) is not None:
        raise Conflict(f"there is already an agency '{code}' in this partnership")
    agency = Agency(partnership_id=partnership_id, code=code, name=name, kind=kind)
    session.add(agency)
    session.flush()
    record(
        session,
        partnership_id=partnership_id,
        actor=actor,
        action="agency.created",
        object_type="agency",
        object_id=str(agency.id),
        summary=f"Agency '{name}' ({code}) added",
    )
    return agency


def add_user(
    session: Session,
    *,
    partnership_id: uuid.UUID,
    name: str,
    email: str,
    roles: list[str],
    agency_code: str | None = None,
    machine: bool = False,
    actor: Actor | None = None,
) -> User:
    """A user holding ``roles`` (and belonging to an agency, for agency staff)."""
    require_roles(roles)
    if session.exec(select(User.id).where(User.partnership_id == partnership_id, User.email == email)).first():
        raise Conflict(f"there is already a user {email} in this partnership")
    agency_id = agency_id_of(session, partnership_id, agency_code) if agency_code else None
    user = User(
        partnership_id=partnership_id, name=name, email=email, roles=roles, agency_id=agency_id, machine=machine
    )
    session.add(user)
    session.flush()
    record(
        session,
        partnership_id=partnership_id,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=str(user.id),
        summary=f"User {name} added with roles {', '.join(roles)}",
    )
    return user


def require_roles(roles: list[str]) -> None:
    """Refuse role names that do not exist, naming each."""
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown:
        raise InvalidInput("unknown roles", [{"field": "roles", "message": f"unknown role '{r}'"} for r in unknown])


def find_agency(session: Session, partnership_id: uuid.UUID, code: str) -> Agency | None:
    """The partnership's agency with this code, if there is one."""
    return session.exec(select(Agency).where(Agency.partnership_id == partnership_id, Agency.code == code)).first()


def agency_id_of(session: Session, partnership_id: uuid.UUID, code: str) -> uuid.UUID:
    """The id of the partnership's agency ``code``, or a 404 that names it."""
    agency = find_agency(session, partnership_id, code)
    if agency is None:
        raise NotFound(f"there is no agency '{code}' in this partnership")
    return agency.id


def find_partnership(session: Session, key: str) -> Partnership:
    """A partnership by key, or a 404 that names it."""
    found = session.exec(select(Partnership).where(Partnership.key == key)).first()
    if found is None:
        raise NotFound(f"there is no partnership '{key}'")
    return found


def find_user(session: Session, *, partnership_key: str, email: str) -> User:
    """Look a user up by partnership key and email."""
    row = session.exec(
        select(User)
        .join(Partnership, Partnership.id == User.partnership_id)  # type: ignore[arg-type]
        .where(Partnership.key == partnership_key, User.email == email)
    ).first()
    if row is None:
        raise NotFound(f"no user {email} in partnership '{partnership_key}'")
    return row


# Built once (every new case checks its agencies; see docs/decisions.md on statements built once).
_AGENCY_CODES = select(Agency.code).where(Agency.partnership_id == bindparam("partnership_id"))


def require_agencies(session: Session, partnership_id: uuid.UUID, codes: list[str], *, field: str) -> None:
    """Refuse agency codes that are not agencies of the partnership, naming each and listing the known ones."""
    if not codes:
        return
    known = set(session.exec(_AGENCY_CODES, params={"partnership_id": partnership_id}).all())
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            f"some {field.removeprefix('data.').replace('_', ' ')} values are not agencies of this partnership",
            [{"field": field, "message": f"unknown agency code '{code}'"} for code in unknown]
            + [{"field": field, "message": f"known codes: {', '.join(sorted(known))}"}],
        )
