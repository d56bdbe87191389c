"""Summaries of an audit's agency returns, read from the completed human tasks (what each agency submitted).

- Self-assessment (``section11_audit``): agencies x standards with each rating and narrative, the counts of
  met / partly met / not met per standard and per agency, and the involved agencies that have not returned.
- Training coverage (``training_needs_analysis``): per agency and in total, per level, workforce, trained and
  needing training, and coverage = trained / workforce.

Case managers see every agency; an agency safeguarding lead sees only its own agency's row.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.access.roles import CASE_MANAGERS, Role
from service.audit.access import AccessKind, record_access
from service.errors import Conflict, Forbidden
from service.models import Case, HumanTask, ProcessInstance
from service.processes import registry

SELF_ASSESSMENT_TYPE = "section11_audit"
SELF_ASSESSMENT_ELEMENT = "Task_SelfAssess"
TRAINING_TYPE = "training_needs_analysis"
TRAINING_ELEMENT = "Task_ReturnTna"
RATINGS = ("met", "partly_met", "not_met")
LEVELS = (1, 2, 3, 4, 5)
_RATING_FIELD = re.compile(r"^standard_(\d+)_rating$")


@dataclass(frozen=True)
class StandardRating:
    """One agency's answer on one standard."""

    standard: int
    rating: str | None
    narrative: str | None


@dataclass
class AgencyAssessment:
    """One agency's self-assessment (empty ratings until it has returned)."""

    agency: str
    returned: bool
    ratings: list[StandardRating] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class StandardSummary:
    """One standard: its title (the form's label) and how many agencies rated it met / partly met / not met."""

    number: int
    title: str
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class SelfAssessmentSummary:
    """The matrix of agencies x standards of one self-assessment audit."""

    case_id: uuid.UUID
    case_reference: str
    audit_kind: str | None
    standards: list[StandardSummary]
    agencies: list[AgencyAssessment]
    not_returned: list[str]


@dataclass(frozen=True)
class LevelCoverage:
    """Workforce, trained and needing training at one level, and coverage (None when the workforce is 0)."""

    level: int
    workforce: int
    trained: int
    needing: int
    coverage: float | None


@dataclass
class AgencyCoverage:
    """One agency's training coverage by level (or the total of all agencies shown, with agency None)."""

    agency: str | None
    levels: list[LevelCoverage]


@dataclass
class TrainingCoverageSummary:
    """Training coverage of one training needs analysis."""

    case_id: uuid.UUID
    case_reference: str
    tna_year: str | None
    agencies: list[AgencyCoverage]
    total: AgencyCoverage
    not_returned: list[str]


def self_assessment(session: Session, principal: Principal, case_id: uuid.UUID) -> SelfAssessmentSummary:
    """The self-assessment matrix of a ``section11_audit`` case, as the caller may see it."""
    case, instance = _audit_case(session, principal, case_id, SELF_ASSESSMENT_TYPE)
    definition = registry.loaded(session, instance.definition_id)
    task_info = definition.user_tasks.get(SELF_ASSESSMENT_ELEMENT)
    properties: dict[str, Any] = task_info.form_schema.get("properties", {}) if task_info else {}
    numbers = sorted(int(m.group(1)) for name in properties if (m := _RATING_FIELD.match(name)))
    returned = _returns(session, case.id, SELF_ASSESSMENT_ELEMENT)
    agencies = _visible_agencies(session, principal, case)

    rows: list[AgencyAssessment] = []
    for agency in agencies:
        data = returned.get(agency)
        if data is None:
            rows.append(AgencyAssessment(agency=agency, returned=False, counts=_zero_counts()))
            continue
        ratings = [
            StandardRating(n, _text(data.get(f"standard_{n}_rating")), _text(data.get(f"standard_{n}_narrative")))
            for n in numbers
        ]
        rows.append(AgencyAssessment(agency, True, ratings, _count(r.rating for r in ratings)))

    standards = [
        StandardSummary(
            number=n,
            title=str(properties[f"standard_{n}_rating"].get("title") or f"Standard {n}"),
            counts=_count(r.rating for row in rows for r in row.ratings if r.standard == n),
        )
        for n in numbers
    ]
    return SelfAssessmentSummary(
        case_id=case.id,
        case_reference=case.reference,
        audit_kind=_text(instance.variables.get("audit_kind")),
        standards=standards,
        agencies=rows,
        not_returned=[row.agency for row in rows if not row.returned],
    )


def training_coverage(session: Session, principal: Principal, case_id: uuid.UUID) -> TrainingCoverageSummary:
    """Training coverage by agency and level of a ``training_needs_analysis`` case, as the caller may see it."""
    case, instance = _audit_case(session, principal, case_id, TRAINING_TYPE)
    returned = _returns(session, case.id, TRAINING_ELEMENT)
    rows: list[AgencyCoverage] = []
    not_returned: list[str] = []
    totals = {level: [0, 0, 0] for level in LEVELS}
    for agency in _visible_agencies(session, principal, case):
        data = returned.get(agency)
        if data is None:
            not_returned.append(agency)
            continue
        levels: list[LevelCoverage] = []
        for level in LEVELS:
            counts = [_int(data.get(f"{kind}_level_{level}")) for kind in ("workforce", "trained", "needing")]
            totals[level] = [a + b for a, b in zip(totals[level], counts, strict=True)]
            levels.append(_level(level, *counts))
        rows.append(AgencyCoverage(agency, levels))
    total = AgencyCoverage(None, [_level(level, *totals[level]) for level in LEVELS])
    return TrainingCoverageSummary(
        case_id=case.id,
        case_reference=case.reference,
        tna_year=_text(instance.variables.get("tna_year")),
        agencies=rows,
        total=total,
        not_returned=not_returned,
    )


def _audit_case(
    session: Session, principal: Principal, case_id: uuid.UUID, case_type: str
) -> tuple[Case, ProcessInstance]:
    if not principal.roles & CASE_MANAGERS and not principal.has_role(Role.AGENCY_SAFEGUARDING_LEAD):
        raise Forbidden("audit summaries are for case managers and agency safeguarding leads")
    case, _ = need_to_know.case_or_404(session, principal, case_id)
    if case.case_type != case_type:
        raise Conflict(f"case {case.reference} is a '{case.case_type}' case; this summary is for '{case_type}' cases")
    record_access(
        session, principal, kind=AccessKind.AUDIT_SUMMARY, object_type="case", object_id=case.id, case_id=case.id
    )
    instance = session.exec(
        select(ProcessInstance).where(ProcessInstance.case_id == case.id).order_by(col(ProcessInstance.created_at))
    ).first()
    if instance is None:
        raise Conflict(f"case {case.reference} has no process instance")
    return case, instance


def _visible_agencies(session: Session, principal: Principal, case: Case) -> list[str]:
    # Those who see the audit fully see every agency's answers; an involved agency sees only its own.
    if need_to_know.level(session, principal, case) is Level.FULL:
        return list(case.involved_agencies)
    return [a for a in case.involved_agencies if a == principal.agency_code]


def _returns(session: Session, case_id: uuid.UUID, element_id: str) -> dict[str, dict[str, Any]]:
    """Each agency's latest completed answers on ``element_id`` of the case."""
    tasks = session.exec(
        select(HumanTask)
        .where(HumanTask.case_id == case_id, HumanTask.element_id == element_id, HumanTask.state == "completed")
        .order_by(col(HumanTask.completed_at))
    ).all()
    return {task.agency_code: dict(task.data) for task in tasks if task.agency_code}


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(RATINGS, 0)


def _count(ratings: Any) -> dict[str, int]:
    counts = _zero_counts()
    for rating in ratings:
        if rating in counts:
            counts[rating] += 1
    return counts


def _level(level: int, workforce: int, trained: int, needing: int) -> LevelCoverage:
    coverage = round(trained / workforce, 4) if workforce else None
    return LevelCoverage(level, workforce, trained, needing, coverage)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
