"""Data protection: the partnership's settings (need-to-know, retention per record class) and legal holds."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from api.deps import PrincipalDep, SessionDep
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.data_protection import (
    DataProtectionRead,
    LegalHoldDetail,
    LegalHoldRead,
    LegalHoldReason,
    RetentionRuleRead,
)
from service.dataprotection import holds
from service.dataprotection import settings as dp_settings
from service.dataprotection.holds import HoldView
from service.dataprotection.settings import DataProtectionView
from service.errors import InvalidInput

router = APIRouter(prefix="/api/v1", tags=["data protection"], responses=PROBLEM_RESPONSES)


def _settings(view: DataProtectionView) -> DataProtectionRead:
    return DataProtectionRead(
        oversight_roles=[str(r) for r in view.settings.oversight_roles],
        reveal_case_roles=[str(r) for r in view.settings.reveal_case_roles],
        retention={
            rule.record_class: RetentionRuleRead(
                years=rule.years, from_event=rule.from_event, default=rule.default, source=rule.source
            )
            for rule in view.retention
        },
    )


def _hold(view: HoldView) -> LegalHoldRead:
    case = view.case
    detail = None
    if case.legal_hold_reason is not None and case.legal_hold_at is not None:
        detail = LegalHoldDetail(
            reason=case.legal_hold_reason,
            placed_at=case.legal_hold_at,
            placed_by=case.legal_hold_by_id,
            placed_by_name=view.placed_by_name,
        )
    return LegalHoldRead(case_id=case.id, reference=case.reference, legal_hold=detail)


@router.get("/partnership/data-protection")
def get_data_protection(session: SessionDep, principal: PrincipalDep) -> DataProtectionRead:
    """Need-to-know and retention settings, defaults filled in; each retention rule says where its default is from."""
    return _settings(dp_settings.read_data_protection(session, principal=principal))


@router.patch("/partnership/data-protection")
def patch_data_protection(
    session: SessionDep,
    principal: PrincipalDep,
    changes: dict[str, Any] = Body(
        examples=[{"retention": {"review_case": {"years": 20, "from_event": "subject_25th_birthday"}}}]
    ),
) -> DataProtectionRead:
    """Change some settings (partnership admin or data protection officer); validated and audited."""
    return _settings(dp_settings.update_data_protection(session, principal=principal, changes=changes))


@router.get("/cases/{case_id}/legal-hold")
def get_legal_hold(case_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> LegalHoldRead:
    """The case's legal hold, if it has one."""
    return _hold(holds.legal_hold(session, principal=principal, case_id=case_id))


@router.put("/cases/{case_id}/legal-hold")
def place_legal_hold(
    case_id: uuid.UUID, body: LegalHoldReason, session: SessionDep, principal: PrincipalDep
) -> LegalHoldRead:
    """Place (or change the reason of) a legal hold: nothing of the case is disposed of while it stands."""
    return _hold(holds.place_hold(session, principal=principal, case_id=case_id, reason=body.reason))


@router.delete("/cases/{case_id}/legal-hold")
def lift_legal_hold(
    case_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    body: LegalHoldReason | None = None,
    reason: Annotated[str | None, Query(min_length=1, max_length=500, description="Or in the JSON body.")] = None,
) -> LegalHoldRead:
    """Lift the legal hold, with a reason (JSON body or ``reason`` query); the case's retention applies again."""
    given = body.reason if body is not None else reason
    if given is None:
        raise InvalidInput("say why the hold is lifted", [{"field": "reason", "message": "give a reason"}])
    return _hold(holds.lift_hold(session, principal=principal, case_id=case_id, reason=given))
