"""What every document reads from the record, and the audit entry every generation leaves."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.audit.log import record
from service.cases import service as cases
from service.cases.service import CaseView
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import InvalidInput
from service.models import HumanTask
from service.reports.document import Document, Facts, Table, text


def case_view(
    session: Session, principal: Principal, case_id: uuid.UUID, *, kind: str, types: tuple[str, ...]
) -> CaseView:
    """The case in full (members and oversight roles only; the read is logged), of a type the document is for."""
    need_to_know.case_or_404(session, principal, case_id, need=Level.FULL, doing=f"its {kind}")
    view = cases.get_case(session, principal, case_id)
    if view.case.case_type not in types:
        raise InvalidInput(
            f"a {kind} is made for {', '.join(types)} cases; {view.case.reference} is a {view.case.case_type}",
            [{"field": "kind", "message": f"not available for a {view.case.case_type}"}],
        )
    return view


def variables(view: CaseView) -> dict[str, Any]:
    """The case's process variables (empty when it has no process)."""
    return dict(view.instance.variables) if view.instance else {}


def answers(session: Session, case_id: uuid.UUID, element_id: str) -> list[HumanTask]:
    """The completed tasks of one element, in the order they were completed."""
    return list(
        session.exec(
            select(HumanTask)
            .where(HumanTask.case_id == case_id, HumanTask.element_id == element_id, HumanTask.state == "completed")
            .order_by(col(HumanTask.completed_at))
        ).all()
    )


def clocks_table(view: CaseView) -> Table:
    """Each statutory clock: due, met on, and whether it was met."""
    return Table(
        ["Clock", "Due", "Met on", "Status"],
        [
            [c.name, text(c.due_date and c.due_date.isoformat()), text(c.met_on and c.met_on.isoformat()), c.status]
            for c in view.clocks
        ],
    )


def review_facts(view: CaseView) -> Facts:
    """The review record national analyses find missing: source, dates, period, mandate and time taken."""
    r = view.review_record or {}
    period = (
        f"{r['review_period_from']} to {r['review_period_to']}"
        if r.get("review_period_from") and r.get("review_period_to")
        else None
    )
    taken = (
        f"{r['time_taken_days']} days ({r['time_taken_working_days']} working days)"
        + ("" if r.get("completed") else ", still open")
        if r.get("time_taken_days") is not None
        else None
    )
    return Facts(
        [
            ("Reference", view.case.reference),
            ("Subject (pseudonym)", view.case.subject_pseudonym),
            ("Referral source", text(r.get("referral_source"))),
            ("Referral date", text(r.get("referral_date"))),
            ("Decision", text(r.get("decision"))),
            ("Decision date", text(r.get("decision_at"))),
            ("Legal mandate", text(r.get("legal_mandate"))),
            ("Review period", text(period)),
            ("Completed", text(r.get("review_completed_at"))),
            ("Time taken", text(taken)),
        ]
    )


def financial_year(year: int) -> tuple[dt.date, dt.date]:
    """The reporting year that starts on 1 April of ``year`` (boards report April to March)."""
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def current_reporting_year() -> int:
    """The reporting year today falls in (it starts on 1 April, London time)."""
    today = utcnow().astimezone(LONDON).date()
    return today.year if today.month >= 4 else today.year - 1


def record_generation(
    session: Session, principal: Principal, document: Document, *, fmt: str, case_id: uuid.UUID | None
) -> None:
    """One audit entry per generation: who made which document, of which case, in which format."""
    record(
        session,
        partnership_id=principal.partnership_id,
        actor=principal,
        action="document.generated",
        object_type="case" if case_id else "partnership",
        object_id=str(case_id or principal.partnership_id),
        summary=f"{principal.label} generated the {document.title} ({fmt})",
        detail={"kind": document.kind, "format": fmt, "case_id": str(case_id) if case_id else None},
    )
