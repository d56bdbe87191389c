"""What the caller may do, for `GET /me`: a front end shows or hides screens with it (the API still checks)."""

from __future__ import annotations

from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS, Role
from service.access.work import (
    may_list_all_tasks,
    may_read_agency_dashboard,
    may_read_partnership_dashboard,
)
from service.audit.queries import READERS as AUDIT_READERS
from service.identity.admin import is_partnership_admin

# The same role sets the features check (service/dataprotection/guard.py holds the data-protection one; it sits
# above this layer, so it is restated here and tests/api/test_admin_roles.py keeps the two in step).
_DATA_PROTECTION = frozenset({Role.PARTNERSHIP_ADMIN, Role.DATA_PROTECTION_OFFICER})


def capabilities(principal: Principal) -> list[str]:
    """The named things the caller may do, sorted."""
    person = not principal.machine
    admin = is_partnership_admin(principal)
    granted = {
        "tasks.work": True,
        "tasks.list_all": may_list_all_tasks(principal),
        "dashboards.partnership": may_read_partnership_dashboard(principal),
        # Case managers read any agency's dashboard; an agency's lead their own agency's.
        "dashboards.agency": may_read_partnership_dashboard(principal)
        or (principal.agency_code is not None and may_read_agency_dashboard(principal, principal.agency_code)),
        "cases.open": person and bool(principal.roles & CASE_MANAGERS),
        "tokens.own": person,
        "agencies.manage": admin,
        "users.manage": admin,
        "tokens.manage": admin,
        "machine_tokens.issue": admin,
        "partnership_settings.manage": admin,
        "webhooks.manage": admin or principal.agency_code is not None,
        "audit_events.read": person and bool(principal.roles & AUDIT_READERS),
        "data_protection.manage": person and bool(principal.roles & _DATA_PROTECTION),
        "definitions.deploy": person and principal.has_role(Role.PROCESS_OWNER),
        "definitions.deploy_shared": person and principal.has_role(Role.PLATFORM_ADMIN),
        "partnerships.manage": person and principal.has_role(Role.PLATFORM_ADMIN),
    }
    return sorted(name for name, allowed in granted.items() if allowed)
