"""Learning items and the learning loop."""

from __future__ import annotations

import uuid

from api.deps import LimitDep, PrincipalDep, SessionDep
from api.locations import CREATED, LocationDep
from api.routing import ResourceRouter
from api.schemas.common import PROBLEM_RESPONSES, Page
from api.schemas.learning import (
    LearningItemCreate,
    LearningItemDetail,
    LearningItemRead,
    StageGrouping,
    StageReport,
    StageReportRow,
    StageVisitRead,
)
from api.schemas.vocabulary import LearningSource, LearningStage
from service.learning import items
from service.learning.items import LearningItemView
from service.timestamps import rfc3339
from service.training.courses import course_changes_for_learning_item

router = ResourceRouter(prefix="/api/v1/learning-items", tags=["learning"], responses=PROBLEM_RESPONSES)


def _read(view: LearningItemView) -> LearningItemRead:
    item = view.item
    return LearningItemRead(
        **item.model_dump(include=set(LearningItemRead.model_fields)),
        case_reference=view.case_reference,
        themes=view.themes,
        days_in_stage=view.days_in_stage,
    )


@router.post("", status_code=201, responses=CREATED)
def create_learning_item(
    body: LearningItemCreate, session: SessionDep, principal: PrincipalDep, location: LocationDep
) -> LearningItemDetail:
    """Record learning from any source; its loop starts with planning the dissemination."""
    view = items.create_learning_item(session, principal, **body.model_dump())
    location.at("get_learning_item", item_id=view.item.id)
    return _detail(session, principal, view)


@router.get("")
def list_learning_items(
    session: SessionDep,
    principal: PrincipalDep,
    limit: LimitDep,
    stage: LearningStage | None = None,
    theme: str | None = None,
    source_type: LearningSource | None = None,
    source_case_id: uuid.UUID | None = None,
    open_only: bool = False,
    cursor: str | None = None,
) -> Page[LearningItemRead]:
    """Learning items, oldest first, with their stage and days in it; filter by stage, theme or source."""
    page = items.list_learning_items(
        session,
        principal,
        stage=stage,
        theme=theme,
        source_type=source_type,
        source_case_id=source_case_id,
        open_only=open_only,
        cursor=cursor,
        limit=limit,
    )
    return Page[LearningItemRead](items=[_read(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/stage-report")
def get_stage_report(session: SessionDep, principal: PrincipalDep, group_by: StageGrouping = "theme") -> StageReport:
    """Where learning sits in the loop and for how long, per theme or per source (group_by=theme|source_type)."""
    rows = items.stage_report(session, principal, group_by=group_by)
    return StageReport(group_by=group_by, rows=[StageReportRow(group=row.pop(group_by), **row) for row in rows])


@router.get("/{item_id}")
def get_learning_item(item_id: uuid.UUID, session: SessionDep, principal: PrincipalDep) -> LearningItemDetail:
    """A learning item with its stage history, dissemination, cascades, embedding evidence and evaluations."""
    return _detail(session, principal, items.get_learning_item(session, principal, item_id))


def _detail(session: SessionDep, principal: PrincipalDep, view: LearningItemView) -> LearningItemDetail:
    # Course changes made because of the item are embedding evidence the training feature keeps (learning and
    # training are sibling packages, so the page is assembled here).
    changes = course_changes_for_learning_item(session, principal, view.item.id)
    return LearningItemDetail(
        **_read(view).model_dump(),
        visits=[StageVisitRead.model_validate(v, from_attributes=True) for v in view.visits],
        **view.records,
        course_changes=[
            {
                "course_code": c.course_code,
                "course_title": c.course_title,
                "summary": c.change.summary,
                "changed_at": rfc3339(c.change.changed_at),
            }
            for c in changes
        ],
    )
