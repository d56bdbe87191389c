"""The partnership's own settings: local procedure choices and the configurable statutory defaults."""

from __future__ import annotations

from typing import Any

from fastapi import Body

from api.deps import PrincipalDep, SessionDep
from api.openapi_contract import merge_patch_of
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES
from service.processes.settings import PartnershipSettings, read_settings, update_settings

router = ResourceRouter(prefix="/api/v1/partnership", tags=["identity"], responses=PROBLEM_RESPONSES)


@router.get("/settings")
def get_settings(session: SessionDep, principal: PrincipalDep) -> PartnershipSettings:
    """Clock lengths, re-check intervals and other local choices, defaults filled in."""
    return read_settings(session, principal)


@router.patch("/settings", openapi_extra=merge_patch_of(PartnershipSettings))
def patch_settings(
    session: SessionDep,
    principal: PrincipalDep,
    changes: dict[str, Any] = Body(examples=[{"sar_completion_months": 9, "action_recheck_months": [6, 12, 24]}]),
) -> PartnershipSettings:
    """Change some settings (partnership admin); new cases use them, running cases keep theirs."""
    return update_settings(session, principal, changes)
