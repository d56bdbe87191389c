"""Who runs data protection: partnership admins and data protection officers (people, never machine tokens)."""

from __future__ import annotations

from service.access.principal import Principal
from service.access.roles import Role
from service.errors import Forbidden

DATA_PROTECTION_ROLES = frozenset({Role.PARTNERSHIP_ADMIN, Role.DATA_PROTECTION_OFFICER})


def require_data_protection_role(principal: Principal, doing: str) -> None:
    """Refuse (403) anyone but a partnership admin or data protection officer."""
    if principal.machine or not principal.roles & DATA_PROTECTION_ROLES:
        raise Forbidden(f"{doing} is for partnership admins and data protection officers")
