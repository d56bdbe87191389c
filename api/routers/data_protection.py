"""Data protection: the partnership's settings (need-to-know, retention per record class)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from api.deps import PrincipalDep, SessionDep
from api.schemas.common import PROBLEM_RESPONSES
from api.schemas.data_protection import DataProtectionRead, RetentionRuleRead
from service.dataprotection import settings as dp_settings
from service.dataprotection.settings import DataProtectionView

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
