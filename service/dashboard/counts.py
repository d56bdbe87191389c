"""Dashboard counts for a partnership or one agency, within the caller's need-to-know.

Each count is made with the very conditions of the list its link opens (cases: service/cases/search.py, tasks:
service/tasks/worklist.py, actions: service/actions/plan.py), so following a link lists exactly that many.
Clocks are computed from each open case's process variables (nothing stores them): that part reads every open
case the caller sees, once per request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from sqlmodel import Session, col, func, select

from service.access.principal import Principal
from service.access.work import may_read_agency_dashboard, may_read_partnership_dashboard
from service.actions.access import action_clause
from service.actions.plan import overdue_clause as action_overdue
from service.cases import search
from service.cases.clocks import clock_inputs, clocks_of
from service.cases.search import CaseFilters
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import Forbidden, NotFound
from service.models import Action, Agency, Case, HumanTask
from service.tasks import worklist
from service.tasks.worklist import TaskFilters

CASES = "/api/v1/cases"
TASKS = "/api/v1/tasks"
ACTIONS = "/api/v1/actions"


@dataclass(frozen=True)
class Count:
    """How many, and the list (a relative URL with the list endpoint's own filters) that holds them."""

    count: int
    link: str


@dataclass(frozen=True)
class StageCount:
    stage: str
    open_cases: Count


@dataclass(frozen=True)
class CaseTypeCount:
    case_type: str
    open_cases: Count
    by_stage: list[StageCount]  # a case in parallel stages counts in each; one not yet in a stage in none


@dataclass(frozen=True)
class ClockCount:
    clock: str
    name: str
    overdue: Count
    due_soon: Count


@dataclass(frozen=True)
class RoleCount:
    role: str | None
    overdue_tasks: Count


@dataclass(frozen=True)
class AgencyTaskCount:
    agency: str | None  # None: tasks for no agency (the partnership's own people)
    overdue_tasks: Count
    by_role: list[RoleCount]


@dataclass
class Dashboard:
    agency: str | None
    as_of: dt.datetime
    open_cases: Count
    cases_by_type: list[CaseTypeCount] = field(default_factory=list)
    clocks: list[ClockCount] = field(default_factory=list)
    overdue_tasks: Count = field(default_factory=lambda: Count(0, TASKS))
    overdue_tasks_by_agency: list[AgencyTaskCount] = field(default_factory=list)
    overdue_actions: Count = field(default_factory=lambda: Count(0, ACTIONS))


def partnership_dashboard(session: Session, principal: Principal) -> Dashboard:
    """The partnership's counts (what the caller sees of it)."""
    if not may_read_partnership_dashboard(principal):
        raise Forbidden(
            "the partnership dashboard is for those who manage cases (business manager, case review group member, "
            "chair, partnership admin); an agency's safeguarding lead reads GET /agencies/{code}/dashboard"
        )
    return _dashboard(session, principal, agency=None)


def agency_dashboard(session: Session, principal: Principal, agency_code: str) -> Dashboard:
    """One agency's counts: the open cases that involve it, its tasks and its actions."""
    exists = session.exec(
        select(Agency.id).where(Agency.partnership_id == principal.partnership_id, Agency.code == agency_code)
    ).first()
    if exists is None:
        raise NotFound(f"there is no agency '{agency_code}' in this partnership")
    if not may_read_agency_dashboard(principal, agency_code):
        raise Forbidden(
            f"the dashboard of agency '{agency_code}' is for those who manage cases and for that agency's "
            "safeguarding lead"
        )
    return _dashboard(session, principal, agency=agency_code)


def _dashboard(session: Session, principal: Principal, *, agency: str | None) -> Dashboard:
    now = utcnow()
    open_filters = CaseFilters(status="open", agency=agency)
    case_query = [("status", "open")] + ([("agency", agency)] if agency else [])
    rows = session.exec(
        select(Case.id, Case.case_type, Case.stages).where(*search.conditions(session, principal, open_filters))
    ).all()
    by_type = _cases_by_type([(case_type, list(stages)) for _, case_type, stages in rows], case_query)
    task_total, task_groups = _overdue_tasks(session, principal, agency, now)
    return Dashboard(
        agency=agency,
        as_of=now,
        open_cases=Count(len(rows), _link(CASES, case_query)),
        cases_by_type=by_type,
        clocks=_clocks(session, [case_id for case_id, _, _ in rows], case_query, now),
        overdue_tasks=task_total,
        overdue_tasks_by_agency=task_groups,
        overdue_actions=_overdue_actions(session, principal, agency, now),
    )


def _cases_by_type(rows: list[tuple[str, list[str]]], query: list[tuple[str, str]]) -> list[CaseTypeCount]:
    types = Counter(case_type for case_type, _ in rows)
    stages = Counter((case_type, stage) for case_type, names in rows for stage in dict.fromkeys(names))
    found = []
    for case_type in sorted(types):
        typed = [*query, ("case_type", case_type)]
        found.append(
            CaseTypeCount(
                case_type=case_type,
                open_cases=Count(types[case_type], _link(CASES, typed)),
                by_stage=[
                    StageCount(stage, Count(n, _link(CASES, [*typed, ("stage", stage)])))
                    for (kind, stage), n in sorted(stages.items())
                    if kind == case_type
                ],
            )
        )
    return found


def _clocks(
    session: Session, case_ids: list[uuid.UUID], query: list[tuple[str, str]], now: dt.datetime
) -> list[ClockCount]:
    names: dict[str, str] = {}
    counted: Counter[tuple[str, str]] = Counter()
    for inputs in clock_inputs(session, case_ids).values():
        for clock in clocks_of(session, inputs, now=now):
            names.setdefault(clock.key, clock.name)
            if clock.status in ("overdue", "due_soon"):
                counted[(clock.key, clock.status)] += 1
    return [
        ClockCount(
            clock=key,
            name=names[key],
            overdue=Count(
                counted[(key, "overdue")], _link(CASES, [*query, ("clock", key), ("clock_status", "overdue")])
            ),
            due_soon=Count(
                counted[(key, "due_soon")], _link(CASES, [*query, ("clock", key), ("clock_status", "due_soon")])
            ),
        )
        for key in sorted(names)
    ]


def _overdue_tasks(
    session: Session, principal: Principal, agency: str | None, now: dt.datetime
) -> tuple[Count, list[AgencyTaskCount]]:
    where = worklist.conditions(principal, TaskFilters(agency=agency, overdue=True), "all", now=now)
    rows = session.exec(
        select(HumanTask.agency_code, HumanTask.role, func.count())
        .where(*where)
        .group_by(col(HumanTask.agency_code), col(HumanTask.role))
    ).all()
    base = [("scope", "all"), ("overdue", "true")] + ([("agency", agency)] if agency else [])
    per_agency: dict[str | None, list[RoleCount]] = {}
    for code, role, n in sorted(rows, key=lambda r: (r[0] or "", r[1] or "")):
        of_agency = [("agency", code)] if code else [("agency_task", "false")]
        params = [*base, *(of_agency if not agency else []), *([("role", role)] if role else [])]
        per_agency.setdefault(code, []).append(RoleCount(role, Count(n, _link(TASKS, params))))
    groups = []
    for code, roles in per_agency.items():
        of_agency = [("agency", code)] if code else [("agency_task", "false")]
        params = [*base, *(of_agency if not agency else [])]
        groups.append(
            AgencyTaskCount(code, Count(sum(r.overdue_tasks.count for r in roles), _link(TASKS, params)), roles)
        )
    total = sum(g.overdue_tasks.count for g in groups)
    return Count(total, _link(TASKS, base)), groups


def _overdue_actions(session: Session, principal: Principal, agency: str | None, now: dt.datetime) -> Count:
    today = now.astimezone(LONDON).date()
    query = (
        select(func.count())
        .select_from(Action)
        .where(col(Action.partnership_id) == principal.partnership_id, action_clause(principal), action_overdue(today))
    )
    if agency:
        query = query.where(col(Action.owner_agency) == agency)
    params = [("overdue", "true")] + ([("agency", agency)] if agency else [])
    return Count(session.exec(query).one(), _link(ACTIONS, params))


def _link(path: str, params: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(params)}" if params else path
