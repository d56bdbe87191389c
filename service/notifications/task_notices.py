"""Notices about tasks, produced from the outbox's task events inside the transaction that caused them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from service.db.session import get_pending_too
from service.models import Case, HumanTask
from service.notifications import recipients
from service.notifications.kinds import ELEMENT_KINDS, ESCALATION_STAGE, Kind
from service.notifications.produce import notify, partnership_settings, task_facts
from service.outbox.events import EventType
from service.outbox.listeners import on_task_event


def created_kind(task: HumanTask) -> Kind:
    """How a new task is announced: an escalation, a cascade request, an action re-check, or a task to claim."""
    if task.stage == ESCALATION_STAGE or task.element_id.startswith("Task_Escalate"):
        return Kind.ESCALATION
    return ELEMENT_KINDS.get(task.element_id, Kind.TASK_AVAILABLE)


def chased(session: Session, task: HumanTask) -> bool:
    """Open agency tasks are chased on the partnership's schedule instead of the plain due-soon/overdue notices."""
    return task.agency_code is not None and partnership_settings(session, task.partnership_id).chase.enabled


@on_task_event
def _on_task_event(session: Session, event_type: str, task: Any, case_reference: str) -> None:
    if not isinstance(task, HumanTask):
        return
    case = get_pending_too(session, Case, task.case_id)
    assert case is not None
    if event_type == EventType.TASK_CREATED:
        kind = created_kind(task)
        people = recipients.responsible(session, task, case)
    elif event_type == EventType.TASK_ASSIGNED:
        kind = Kind.TASK_ASSIGNED
        people = recipients.responsible(session, task, case)
    elif event_type in (EventType.TASK_DUE_SOON, EventType.TASK_OVERDUE) and not chased(session, task):
        kind = Kind.TASK_DUE_SOON if event_type == EventType.TASK_DUE_SOON else Kind.TASK_OVERDUE
        people = recipients.responsible(session, task, case)
    else:
        return
    notify(
        session,
        recipients=people,
        kind=kind,
        key=f"{kind.value}:{task.id}",
        facts=task_facts(task, case),
        case=case,
        task=task,
        new_task=event_type == EventType.TASK_CREATED,
    )
