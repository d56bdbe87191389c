"""Data protection: the partnership's settings, legal holds, and disposal (dry run, runs, the disposal log)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import Body, Query, Request

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.openapi_contract import merge_patch_of
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.data_protection import (
    DataProtectionRead,
    DisposalEntryRead,
    DisposalPlanRead,
    DisposalRunCreate,
    DisposalRunRead,
    DueItemRead,
    LegalHoldDetail,
    LegalHoldRead,
    LegalHoldReason,
    RetentionRuleRead,
)
from service.access.policy import DataProtectionSettings
from service.actions.evidence_store import EvidenceStore
from service.dataprotection import holds, runs
from service.dataprotection import settings as dp_settings
from service.dataprotection.holds import HoldView
from service.dataprotection.retention import DueItem
from service.dataprotection.settings import DataProtectionView
from service.errors import InvalidInput

router = ResourceRouter(prefix="/api/v1", tags=["data protection"], responses=PROBLEM_RESPONSES)


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


def _items(items: list[DueItem]) -> list[DueItemRead]:
    return [DueItemRead.model_validate(item, from_attributes=True) for item in items]


@router.get("/partnership/data-protection")
def get_data_protection(session: SessionDep, principal: PrincipalDep) -> DataProtectionRead:
    """Need-to-know and retention settings, defaults filled in; each retention rule says where its default is from."""
    return _settings(dp_settings.read_data_protection(session, principal=principal))


@router.patch("/partnership/data-protection", openapi_extra=merge_patch_of(DataProtectionSettings))
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


@router.get("/data-protection/disposal/due")
def list_disposal_due(
    session: SessionDep,
    principal: PrincipalDep,
    as_of: Annotated[dt.date | None, Query(description="Count periods to this day (default today).")] = None,
) -> DisposalPlanRead:
    """The dry run: what a disposal run on ``as_of`` would dispose of, and the rule that makes each item due."""
    items = runs.dry_run(session, principal=principal, as_of=as_of)
    return DisposalPlanRead(as_of=as_of or runs.today(), counts=runs.count_by_class(items), items=_items(items))


@router.post("/data-protection/disposal/runs", status_code=201, responses=CREATED)
def run_disposal(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    location: LocationDep,
    body: DisposalRunCreate | None = None,
) -> DisposalRunRead:
    """Dispose of what is due now (irreversible; audited). Every item goes into the disposal log."""
    store: EvidenceStore = request.app.state.evidence_store
    done = runs.run_now(session, principal=principal, as_of=body.as_of if body else None, store=store)
    # A run has no GET of its own: the disposal log, filtered to the run, shows what it disposed of.
    location.at("list_disposal_log", query={"run_id": str(done.run_id)})
    return DisposalRunRead(
        run_id=done.run_id, as_of=done.as_of, counts=runs.count_by_class(done.items), items=_items(done.items)
    )


@router.get("/data-protection/disposal/log")
def list_disposal_log(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    run_id: uuid.UUID | None = None,
    cursor: str | None = None,
) -> Page[DisposalEntryRead]:
    """What was disposed of, when, under which rule, newest first: classes, ids and rules, never personal data."""
    page = runs.disposal_log(session, principal=principal, run_id=run_id, cursor=cursor, limit=limit)
    return Page[DisposalEntryRead](
        items=[DisposalEntryRead.model_validate(e, from_attributes=True) for e in page.items],
        next_cursor=page.next_cursor,
    )
