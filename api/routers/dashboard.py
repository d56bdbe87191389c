"""Dashboards: the partnership's and one agency's morning counts, each linking to its list."""

from __future__ import annotations

from api.deps import PrincipalDep, SessionDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.dashboard import DashboardRead
from service.dashboard import counts
from service.dashboard.counts import Dashboard

router = ResourceRouter(prefix="/api/v1", tags=["dashboard"], responses=PROBLEM_RESPONSES)


def _read(dashboard: Dashboard) -> DashboardRead:
    return DashboardRead.model_validate(dashboard, from_attributes=True)


@router.get("/partnership/dashboard")
def get_partnership_dashboard(session: SessionDep, principal: PrincipalDep) -> DashboardRead:
    """Open cases by type and stage, clocks overdue and due soon, overdue tasks by agency and role, overdue actions.

    Counts cover what you may see (need-to-know). For those who manage cases (business manager, case review
    group member, chair, partnership admin).
    """
    return _read(counts.partnership_dashboard(session, principal))


@router.get("/agencies/{agency_code}/dashboard")
def get_agency_dashboard(agency_code: str, session: SessionDep, principal: PrincipalDep) -> DashboardRead:
    """The same counts for one agency: open cases that involve it, its tasks and its actions.

    For those who manage cases, and for that agency's safeguarding lead (its part of each case).
    """
    return _read(counts.agency_dashboard(session, principal, agency_code))
