"""Audits: summaries of the agencies' returns (self-assessment matrix, training coverage)."""

from __future__ import annotations

import uuid

from api.deps import PrincipalDep, SessionDep
from api.routing import ResourceRouter
from api.schemas.audits import SelfAssessmentRead, TrainingCoverageRead
from api.schemas.common import PROBLEM_RESPONSES
from service.audits import summaries

router = ResourceRouter(prefix="/api/v1/audits", tags=["audits"], responses=PROBLEM_RESPONSES)


@router.get("/{case_id}/self-assessment")
def get_self_assessment(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> SelfAssessmentRead:
    """Agencies x standards of a self-assessment audit, with counts and who has not returned (agency leads: own row)."""
    summary = summaries.self_assessment(session, principal, case_id)
    return SelfAssessmentRead.model_validate(summary, from_attributes=True)


@router.get("/{case_id}/training-coverage")
def get_training_coverage(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> TrainingCoverageRead:
    """Training coverage by agency and level of a training needs analysis (agency leads: own agency)."""
    summary = summaries.training_coverage(session, principal, case_id)
    return TrainingCoverageRead.model_validate(summary, from_attributes=True)
