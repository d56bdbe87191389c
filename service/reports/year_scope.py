"""The reviews a partnership report covers: each visible case with its review record and clocks, read once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.principal import Principal
from service.cases.clocks import ClockStatus, clock_statuses
from service.cases.review_record import review_record
from service.config import get_settings
from service.db.types import utcnow
from service.engine.functions import LONDON, to_date_or_none
from service.models import Case, ProcessInstance
from service.processes import registry

AUDIT_TYPES = ("macfa", "section11_audit", "single_agency_audit")
FOLLOW_ON = ("action", "learning_item")  # cases opened by a review's plan and learning: traced, not counted
NOT_REVIEWS = (*AUDIT_TYPES, *FOLLOW_ON, "training_event", "training_needs_analysis", "referral_intake")


@dataclass
class Reviewed:
    """One case as the report sees it."""

    case: Case
    variables: dict[str, Any]
    record: dict[str, Any] | None
    clocks: list[ClockStatus]

    @property
    def opened(self) -> dt.date | None:
        return to_date_or_none((self.record or {}).get("referral_date")) or self.case.created_at.date()

    @property
    def concluded(self) -> dt.date | None:
        return to_date_or_none((self.record or {}).get("review_completed_at"))


def cases_in_scope(session: Session, principal: Principal, *, end: dt.date) -> list[Reviewed]:
    """Every case the caller sees in full that was opened by ``end``, oldest first."""
    # Only the columns needed: an instance's serialized workflow state is large and not needed here.
    rows = session.exec(
        select(Case, ProcessInstance.definition_id, ProcessInstance.variables)
        .join(ProcessInstance, col(ProcessInstance.case_id) == col(Case.id))
        .where(
            Case.partnership_id == principal.partnership_id,
            col(Case.case_type).not_in(FOLLOW_ON),
            need_to_know.full_clause(principal, Case.id),
        )
        .order_by(col(Case.created_at))
    ).all()
    now, today = utcnow(), utcnow().astimezone(LONDON).date()
    due_soon = get_settings().due_soon_working_days
    out = []
    for case, definition_id, stored in rows:
        definition = registry.loaded(session, definition_id)
        variables = dict(stored)
        record = review_record(case, variables, default_mandate=definition.legal_mandate, today=today)
        clocks = clock_statuses(definition.clocks, variables, now=now, due_soon_days=due_soon)
        reviewed = Reviewed(case, variables, record, clocks)
        if reviewed.opened is None or reviewed.opened <= end:
            out.append(reviewed)
    return out


def reviews(scope: list[Reviewed]) -> list[Reviewed]:
    """The reviews among the cases (audits, actions, learning items and training are not reviews)."""
    return [r for r in scope if r.record is not None and r.case.case_type not in NOT_REVIEWS]


def in_year(reviewed: Reviewed, start: dt.date, end: dt.date) -> bool:
    """Opened in the year, concluded in it, or still open during it."""
    opened, concluded = reviewed.opened, reviewed.concluded
    return (opened is None or opened <= end) and (concluded is None or concluded >= start)
