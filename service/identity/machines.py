"""Machine tokens: a partner agency's own system acting through the API, scoped to that agency."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from service.access.principal import Principal
from service.access.roles import Role
from service.errors import Forbidden, NotFound
from service.identity.directory import add_user
from service.identity.tokens import create_token
from service.models import Agency


@dataclass(frozen=True)
class MachineToken:
    """A new machine token (shown once) and the system user it acts as."""

    token: str
    user_id: str
    agency: str


def create_machine_token(session: Session, principal: Principal, *, agency_code: str, name: str) -> MachineToken:
    """Issue a token that can list and complete its agency's tasks and manage its webhooks, and nothing else."""
    if not principal.has_role(Role.PARTNERSHIP_ADMIN) or principal.machine:
        raise Forbidden("only a partnership admin can issue machine tokens")
    agency = session.exec(
        select(Agency).where(Agency.partnership_id == principal.partnership_id, Agency.code == agency_code)
    ).first()
    if agency is None:
        raise NotFound(f"there is no agency '{agency_code}' in this partnership")
    user = add_user(
        session,
        partnership_id=principal.partnership_id,
        name=f"{agency.name} system ({name})",
        email=f"system-{secrets.token_hex(4)}@{agency_code}.machine.invalid",
        roles=[Role.AGENCY_SAFEGUARDING_LEAD.value],
        agency_code=agency_code,
    )
    token = create_token(session, user_id=user.id, name=name, scope="agency")
    return MachineToken(token=token, user_id=str(user.id), agency=agency_code)
