"""Keep an action's row in step with its ``action`` lifecycle, and close the review's plan when the last closes.

The action lifecycle (bpmn/action.bpmn) sets ``action_status`` and related variables in its scripts; this
projection copies them onto the ``action`` row so action plans can be filtered and composed by SQL. When every
action of a review is closed, the review's process receives the ``action_plan_closed`` message
(docs/lifecycles/conventions.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from service import engine
from service.access.owned import owned
from service.audit.log import record
from service.db.types import utcnow
from service.engine.functions import to_date, to_date_or_none
from service.models import Action, Case, ProcessInstance
from service.outbox.emit import emit
from service.outbox.events import EventType
from service.workflow.after_step import PROJECTIONS, StepDone, after_step
from service.workflow.stepper import lock_instance, step

ACTION_CASE_TYPE = "action"
PLAN_CLOSED_MESSAGE = "action_plan_closed"
CLOSED_STATUSES = frozenset({"sustained", "not_implemented"})
RECHECK_TIMER = "Timer_RecheckDue"
ESCALATION_TASK = "Task_ChaseOverdueAction"  # its boundary timer fires at the end of the due date


def sync_action(session: Session, case: Case, snapshot: engine.Snapshot) -> None:
    """Copy the lifecycle's variables onto the action row; emit ``action.closed`` and close the plan if due."""
    variables = snapshot.variables
    action = owned(session, Action, variables.get("action_id"), case.partnership_id)
    if action is None:
        return
    action.case_id = case.id  # the action's first step runs while its case is being opened
    was_closed = action.status in CLOSED_STATUSES
    action.status = str(variables.get("action_status") or action.status)
    # Completed (re-checks pending) and sustained actions keep the date the change was in place; a not
    # implemented one the date it was closed; any other status has none (a reopened action is not complete).
    completed_on = {"completed": "completed_on", "sustained": "completed_on", "not_implemented": "outcome_on"}
    action.completed_on = to_date_or_none(variables.get(completed_on.get(action.status, "")))
    action.not_implemented_reason = (
        str(variables.get("not_implemented_reason")) if action.status == "not_implemented" else None
    )
    action.reopen_count = int(variables.get("reopen_count") or 0)
    due_date = to_date_or_none(variables.get("due_date")) or action.due_date
    if due_date != action.due_date:  # reopened with a new due date: it can become overdue afresh
        action.due_date, action.overdue_notified_at = due_date, None
    escalating = any(t.element_id == ESCALATION_TASK for t in snapshot.ready_tasks)
    if escalating and action.overdue_notified_at is None and action.status not in CLOSED_STATUSES:
        action.overdue_notified_at = utcnow()
        emit_action_event(session, EventType.ACTION_OVERDUE, action, case.reference)
    rechecks = [t.due_at for t in snapshot.timers if t.element_id == RECHECK_TIMER]
    action.next_recheck_on = to_date(rechecks[0]) if rechecks else None
    action.updated_at = utcnow()
    closed = action.status in CLOSED_STATUSES
    action.closed_at = (action.closed_at or utcnow()) if closed else None
    session.add(action)
    if closed and not was_closed:
        emit_action_event(session, EventType.ACTION_CLOSED, action, case.reference)
        session.flush()
        close_plan_if_done(session, action.review_case_id)


def close_plan_if_done(session: Session, review_case_id: uuid.UUID) -> None:
    """Send ``action_plan_closed`` to the review's process when it waits for it and no action is open."""
    statuses = session.exec(select(Action.status).where(Action.review_case_id == review_case_id)).all()
    if not statuses or any(status not in CLOSED_STATUSES for status in statuses):
        return
    instance = session.exec(
        select(ProcessInstance)
        .where(ProcessInstance.case_id == review_case_id, ProcessInstance.status == "running")
        .order_by(col(ProcessInstance.created_at))
    ).first()
    if instance is None or PLAN_CLOSED_MESSAGE not in (instance.waiting_messages or []):
        return
    locked = lock_instance(session, instance.partnership_id, instance.id)
    step(session, instance=locked, action=lambda d, s: engine.deliver_message(d, s, PLAN_CLOSED_MESSAGE, {}))
    review = session.get(Case, review_case_id)
    record(
        session,
        partnership_id=instance.partnership_id,
        actor=None,
        action="action_plan.closed",
        object_type="case",
        object_id=str(review_case_id),
        summary=f"Every action of {review.reference if review else 'the review'} is closed: action plan closed",
    )


def emit_action_event(session: Session, event_type: EventType, action: Action, case_reference: str) -> None:
    """Emit an ``action.*`` event to the owning agency's (and partnership-wide) subscriptions."""
    emit(
        session,
        partnership_id=action.partnership_id,
        event_type=event_type,
        agency_code=action.owner_agency,
        data=action_event_data(action, case_reference),
    )


def action_event_data(action: Action, case_reference: str) -> dict[str, Any]:
    """The minimal payload of an ``action.*`` event (no special-category details)."""
    return {
        "action_id": str(action.id),
        "case_reference": case_reference,
        "owner_agency": action.owner_agency,
        "status": action.status,
        "due_date": action.due_date.isoformat(),
        "links": {"action": f"/api/v1/actions/{action.id}"},
    }


@after_step(PROJECTIONS)
def _after_step(session: Session, done: StepDone) -> None:
    # An action's row follows its lifecycle; a review now waiting for its plan to close, with no work left, closes.
    if done.case.case_type == ACTION_CASE_TYPE:
        sync_action(session, done.case, done.snapshot)
    elif PLAN_CLOSED_MESSAGE in done.snapshot.waiting_messages and PLAN_CLOSED_MESSAGE not in done.was_waiting:
        close_plan_if_done(session, done.case.id)
