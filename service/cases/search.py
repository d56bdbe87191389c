"""Finding cases: search by reference, title and pseudonym; filter by type, stage, involved agency and clocks.

Need-to-know applies first, always. Every filter but the clock one is SQL; clocks are computed from each case's
process variables (nothing stores them), so ``clock_status`` examines candidate cases page by page, at most
``CLOCK_SCAN_LIMIT`` per request, and a page may then come back shorter than ``limit`` with a ``next_cursor``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, cast, or_
from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.principal import Principal
from service.cases.clocks import ClockStatus, clock_inputs, clocks_of
from service.db.types import utcnow
from service.errors import InvalidInput
from service.models import Case, CaseAgency
from service.models.case import CaseStatus
from service.pagination import Page, encode_cursor, paginate

ClockFilter = Literal["overdue", "due_soon"]  # due_soon: within LIF_DUE_SOON_WORKING_DAYS working days
SEARCH_MAX_LENGTH = 100
CLOCK_SCAN_LIMIT = 1000  # candidate cases one request examines for clock_status; bounds the work per page


@dataclass(frozen=True)
class CaseFilters:
    """Optional filters for listing cases; all given ones must match."""

    case_type: str | None = None
    status: CaseStatus | None = None
    q: str | None = None  # case-insensitive substring of the reference, title or subject pseudonym
    stage: str | None = None  # one of the case's current stages
    agency: str | None = None  # an involved agency's code
    clock: str | None = None  # a clock key: narrows clock_status to that clock
    clock_status: ClockFilter | None = None


def list_cases(
    session: Session, principal: Principal, filters: CaseFilters, *, cursor: str | None, limit: int
) -> Page[Case]:
    """The cases the caller may see (need-to-know) that match, newest first."""
    if filters.clock and not filters.clock_status:
        raise InvalidInput(
            "clock narrows clock_status to one clock",
            [{"field": "clock", "message": "send clock_status=overdue or clock_status=due_soon with it"}],
        )
    query = select(Case).where(*conditions(session, principal, filters))
    if filters.clock_status is None:
        return paginate(
            session,
            query,
            created_col=col(Case.created_at),
            id_col=col(Case.id),
            cursor=cursor,
            limit=limit,
            newest_first=True,
        )
    return _by_clock(session, query, filters, cursor=cursor, limit=limit)


def conditions(session: Session, principal: Principal, filters: CaseFilters) -> list[ColumnElement[bool]]:
    """The SQL part of the filters, after need-to-know (the dashboard counts with the same)."""
    where: list[ColumnElement[bool]] = [
        col(Case.partnership_id) == principal.partnership_id,
        need_to_know.case_clause(principal, Case.id),
    ]
    if filters.case_type:
        where.append(col(Case.case_type) == filters.case_type)
    if filters.status:
        where.append(col(Case.status) == filters.status)
    if filters.q:
        pattern = f"%{_escape_like(filters.q)}%"
        where.append(
            or_(
                col(Case.reference).ilike(pattern, escape="\\"),
                col(Case.title).ilike(pattern, escape="\\"),
                col(Case.subject_pseudonym).ilike(pattern, escape="\\"),
            )
        )
    if filters.stage:
        where.append(_has_stage(session, filters.stage))
    if filters.agency:
        involved = select(CaseAgency.case_id).where(
            CaseAgency.partnership_id == principal.partnership_id, CaseAgency.agency_code == filters.agency
        )
        where.append(col(Case.id).in_(involved))
    return where


def clock_matches(clocks: list[ClockStatus], clock: str | None, status: ClockFilter) -> bool:
    """True when one of the case's clocks (or the named one) stands at ``status``."""
    return any(c.status == status and (clock is None or c.key == clock) for c in clocks)


def _by_clock(session: Session, query: Any, filters: CaseFilters, *, cursor: str | None, limit: int) -> Page[Case]:
    assert filters.clock_status is not None
    now = utcnow()
    found: list[Case] = []
    examined = 0
    batch = min(max(limit, 50), CLOCK_SCAN_LIMIT)
    while len(found) < limit and examined < CLOCK_SCAN_LIMIT:
        page = paginate(
            session,
            query,
            created_col=col(Case.created_at),
            id_col=col(Case.id),
            cursor=cursor,
            limit=batch,
            newest_first=True,
        )
        inputs = clock_inputs(session, (c.id for c in page.items))
        for case in page.items:
            examined += 1
            found_inputs = inputs.get(case.id)
            if found_inputs is not None and clock_matches(
                clocks_of(session, found_inputs, now=now), filters.clock, filters.clock_status
            ):
                found.append(case)
            if len(found) == limit or examined == CLOCK_SCAN_LIMIT:
                more = case is not page.items[-1] or page.next_cursor is not None
                return Page(items=found, next_cursor=_after(case) if more else None)
        if page.next_cursor is None:
            return Page(items=found, next_cursor=None)
        cursor = page.next_cursor
    return Page(items=found, next_cursor=None)


def _after(case: Case) -> str:
    return encode_cursor(case.created_at, case.id)


def _has_stage(session: Session, stage: str) -> ColumnElement[bool]:
    # Stages are a JSON list of names; its text holds each as a JSON string, encoded as this database stores it.
    ascii_only = session.get_bind().dialect.name != "postgresql"
    encoded = json.dumps(stage, ensure_ascii=ascii_only)
    return cast(col(Case.stages), String).like(f"%{_escape_like(encoded)}%", escape="\\")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


__all__ = ["CaseFilters", "CaseStatus", "ClockFilter", "clock_matches", "conditions", "list_cases"]
