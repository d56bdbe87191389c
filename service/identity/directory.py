"""Create partnerships, agencies and users (used by `lif demo`, the CLI and tests)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, select

from service.access.roles import ALL_ROLES
from service.audit.log import record
from service.errors import Conflict, InvalidInput, NotFound
from service.models import Agency, Partnership, Theme, User
from service.taxonomy import SEED_THEMES


def create_partnership(
    session: Session, *, key: str, name: str, kind: str, settings: dict[str, Any] | None = None
) -> Partnership:
    """A new tenant."""
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
        actor=None,
        action="partnership.created",
        object_type="partnership",
        object_id=str(partnership.id),
        summary=f"Partnership '{name}' created",
    )
    return partnership


def add_agency(session: Session, *, partnership_id: uuid.UUID, code: str, name: str, kind: str) -> Agency:
    """An agency within a partnership; ``code`` is what diagrams and API calls use."""
    agency = Agency(partnership_id=partnership_id, code=code, name=name, kind=kind)
    session.add(agency)
    session.flush()
    record(
        session,
        partnership_id=partnership_id,
        actor=None,
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
) -> User:
    """A user holding ``roles`` (and belonging to an agency, for agency staff)."""
    unknown = sorted(set(roles) - ALL_ROLES)
    if unknown:
        raise InvalidInput("unknown roles", [{"field": "roles", "message": f"unknown role '{r}'"} for r in unknown])
    agency_id = None
    if agency_code:
        agency = session.exec(
            select(Agency).where(Agency.partnership_id == partnership_id, Agency.code == agency_code)
        ).first()
        if agency is None:
            raise NotFound(f"there is no agency '{agency_code}' in this partnership")
        agency_id = agency.id
    user = User(partnership_id=partnership_id, name=name, email=email, roles=roles, agency_id=agency_id)
    session.add(user)
    session.flush()
    record(
        session,
        partnership_id=partnership_id,
        actor=None,
        action="user.created",
        object_type="user",
        object_id=str(user.id),
        summary=f"User {name} added with roles {', '.join(roles)}",
    )
    return user


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


def require_agencies(session: Session, partnership_id: uuid.UUID, codes: list[str], *, field: str) -> None:
    """Refuse agency codes that are not agencies of the partnership, naming each and listing the known ones."""
    known = set(session.exec(select(Agency.code).where(Agency.partnership_id == partnership_id)).all())
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InvalidInput(
            f"some {field.removeprefix('data.').replace('_', ' ')} values are not agencies of this partnership",
            [{"field": field, "message": f"unknown agency code '{code}'"} for code in unknown]
            + [{"field": field, "message": f"known codes: {', '.join(sorted(known))}"}],
        )
