"""Who may look beyond their own work: every task of the cases they see (``scope=all``), and the dashboards.

Need-to-know still bounds what they see; this only decides who may ask. ``GET /me``'s ``can`` list reads it too.
"""

from __future__ import annotations

from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS, WORK_OVERSEERS, Role


def may_list_all_tasks(principal: Principal) -> bool:
    """Case managers, oversight roles, agency leads (their agency's part) and machine tokens (their agency's)."""
    return principal.machine or principal.oversight or bool(principal.roles & WORK_OVERSEERS)


def may_read_partnership_dashboard(principal: Principal) -> bool:
    """People who manage cases, or hold one of the partnership's oversight roles."""
    return not principal.machine and (principal.oversight or bool(principal.roles & CASE_MANAGERS))


def may_read_agency_dashboard(principal: Principal, agency_code: str) -> bool:
    """Those who may read the partnership's dashboard, and an agency's safeguarding lead for that agency."""
    if may_read_partnership_dashboard(principal):
        return True
    return (
        not principal.machine
        and principal.has_role(Role.AGENCY_SAFEGUARDING_LEAD)
        and principal.agency_code == agency_code
    )
