"""Tell partners when a task (or an action) is due soon or overdue (once each), through the outbox."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from service.config import get_settings
from service.db.types import utcnow
from service.engine.functions import LONDON, working_days_between
from service.models import Action, Case, HumanTask
from service.outbox.emit import emit_task_event
from service.outbox.events import EventType
from service.workflow.action_sync import ACTION_CASE_TYPE, emit_action_event

OUTCOME_TASK = "Task_ReportOutcome"  # the action lifecycle's task whose deadline is the action's due date
LOOKAHEAD = dt.timedelta(days=14)  # enough to cover any "due soon" window in working days


def scan(session: Session, *, limit: int = 500) -> int:
    """Emit task.overdue / task.due_soon for open tasks that crossed the line; returns events emitted."""
    now = utcnow()
    due_soon_days = get_settings().due_soon_working_days
    rows = session.exec(
        select(HumanTask, Case)
        .join(Case, col(Case.id) == col(HumanTask.case_id))
        .where(
            HumanTask.state == "open",
            col(HumanTask.due_at).is_not(None),
            col(HumanTask.due_at) <= now + LOOKAHEAD,
            col(HumanTask.overdue_notified_at).is_(None),
        )
        .order_by(col(HumanTask.due_at))
        .limit(limit)
    ).all()
    emitted = 0
    for task, case in rows:
        reference = case.reference
        assert task.due_at is not None
        if task.due_at <= now:
            task.overdue_notified_at = now
            task.due_soon_notified_at = task.due_soon_notified_at or now
            emit_task_event(session, EventType.TASK_OVERDUE, task, reference)
        elif task.due_soon_notified_at is None and (
            working_days_between(now.astimezone(LONDON).date(), task.due_at.astimezone(LONDON).date()) <= due_soon_days
        ):
            task.due_soon_notified_at = now
            emit_task_event(session, EventType.TASK_DUE_SOON, task, reference)
            if case.case_type == ACTION_CASE_TYPE and task.element_id == OUTCOME_TASK:
                _action_due_soon(session, case)
        else:
            continue
        session.add(task)
        emitted += 1
    return emitted


def _action_due_soon(session: Session, case: Case) -> None:
    """The owning agency has not reported the outcome of an action that is due soon: tell its subscriptions."""
    action = session.exec(select(Action).where(Action.case_id == case.id)).first()
    if action is not None:
        emit_action_event(session, EventType.ACTION_DUE_SOON, action, case.reference)
