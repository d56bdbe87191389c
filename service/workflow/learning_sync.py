"""Keep a learning item's stage in step with its ``learning_item`` lifecycle, and record time in each stage.

The lifecycle (bpmn/learning_item.bpmn) sets ``loop_stage`` and ``loop_count``; each change closes the current
stage visit and opens the next, so time in stage is queryable per item, theme and source. When the cascade
tasks appear, each audience agency's subscriptions get ``learning_item.dissemination_requested``.
"""

from __future__ import annotations

from sqlmodel import Session, select

from service import engine
from service.access.owned import owned
from service.db.types import utcnow
from service.models import Case, LearningItem, LearningStageVisit
from service.outbox.emit import emit
from service.outbox.events import EventType
from service.workflow.after_step import PROJECTIONS, StepDone, after_step

LEARNING_CASE_TYPE = "learning_item"
CASCADE_TASK = "Task_ConfirmCascade"


def sync_learning_item(session: Session, case: Case, snapshot: engine.Snapshot) -> None:
    """Move the item to the lifecycle's stage (closing the old visit), and request agencies' cascades."""
    variables = snapshot.variables
    item = owned(session, LearningItem, variables.get("learning_item_id"), case.partnership_id)
    if item is None:
        return
    item.case_id = case.id
    now = utcnow()
    stage = str(variables.get("loop_stage") or item.stage)
    loop = int(variables.get("loop_count") or item.loop_count)
    current = session.exec(
        select(LearningStageVisit).where(
            LearningStageVisit.learning_item_id == item.id,
            LearningStageVisit.left_at == None,  # noqa: E711
        )
    ).first()
    if current is None or (current.stage, current.loop) != (stage, loop):
        if current is not None:
            current.left_at = now
            session.add(current)
        if not snapshot.completed:
            session.add(
                LearningStageVisit(
                    partnership_id=item.partnership_id, learning_item_id=item.id, stage=stage, loop=loop, entered_at=now
                )
            )
        item.stage, item.loop_count, item.stage_entered_at = stage, loop, now
    if snapshot.completed:
        item.closed_at = item.closed_at or now
    _request_cascades(session, item, case, snapshot, loop)
    item.updated_at = now
    session.add(item)


def _request_cascades(session: Session, item: LearningItem, case: Case, snapshot: engine.Snapshot, loop: int) -> None:
    requested = dict(item.cascade_requested or {})
    for task in snapshot.ready_tasks:
        if task.element_id != CASCADE_TASK or not task.agency or requested.get(task.agency) == loop:
            continue
        requested[task.agency] = loop
        emit(
            session,
            partnership_id=item.partnership_id,
            event_type=EventType.LEARNING_ITEM_DISSEMINATION_REQUESTED,
            agency_code=task.agency,
            data={
                "learning_item_id": str(item.id),
                "case_reference": case.reference,
                "title": item.title,
                "agency": task.agency,
                "loop": loop,
                "links": {"learning_item": f"/api/v1/learning-items/{item.id}", "tasks": "/api/v1/tasks?state=open"},
            },
        )
    item.cascade_requested = requested


@after_step(PROJECTIONS)
def _after_step(session: Session, done: StepDone) -> None:
    if done.case.case_type == LEARNING_CASE_TYPE:
        sync_learning_item(session, done.case, done.snapshot)
