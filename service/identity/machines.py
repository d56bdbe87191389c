"""Machine tokens: a partner agency's own system acting through the API, scoped to that agency."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlmodel import Session

from service.access.principal import Principal
from service.access.roles import Role
from service.errors import Forbidden
from service.identity.directory import add_user, agency_id_of
from service.identity.tokens import issue_token
from service.models import Agency


@dataclass(frozen=True)
class MachineToken:
    """A new machine token (shown once) and the system user it acts as."""

    token: str
    user_id: str
    agency: str


def create_machine_token(
    session: Session, principal: Principal, *, agency_code: str, name: str, expires_at: dt.datetime | None = None
) -> MachineToken:
    """Issue a token that can list and complete its agency's tasks and manage its webhooks, and nothing else."""
    if not principal.has_role(Role.PARTNERSHIP_ADMIN) or principal.machine:
        raise Forbidden("only a partnership admin can issue machine tokens")
    agency = session.get_one(Agency, agency_id_of(session, principal.partnership_id, agency_code))
    user = add_user(
        session,
        partnership_id=principal.partnership_id,
        name=f"{agency.name} system ({name})",
        email=f"system-{secrets.token_hex(4)}@{agency_code}.machine.invalid",
        roles=[Role.AGENCY_SAFEGUARDING_LEAD.value],
        agency_code=agency_code,
        machine=True,
        actor=principal,
    )
    token, _ = issue_token(session, user_id=user.id, name=name, scope="agency", expires_at=expires_at, actor=principal)
    return MachineToken(token=token, user_id=str(user.id), agency=agency_code)
