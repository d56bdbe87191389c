"""The event types partners can subscribe to, and the minimal payloads they carry.

Payloads hold ids, types, due dates, links and non-identifying titles (BPMN task names, case references),
never special-category details: the partner fetches details through the API with its own token.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from service.timestamps import rfc3339, rfc3339_or_none


class EventType(StrEnum):
    """Every event type a subscription can ask for."""

    TASK_CREATED = "task.created"
    TASK_ASSIGNED = "task.assigned"
    TASK_COMPLETED = "task.completed"
    TASK_DUE_SOON = "task.due_soon"
    TASK_OVERDUE = "task.overdue"
    CASE_OPENED = "case.opened"
    CASE_STAGE_CHANGED = "case.stage_changed"
    CASE_CLOSED = "case.closed"
    ACTION_DUE_SOON = "action.due_soon"
    ACTION_OVERDUE = "action.overdue"
    ACTION_CLOSED = "action.closed"
    LEARNING_ITEM_DISSEMINATION_REQUESTED = "learning_item.dissemination_requested"
    PING = "ping"


SUBSCRIBABLE = frozenset(e.value for e in EventType if e is not EventType.PING)
# Event types accepted in subscriptions before anything emits them (none today; kept for future additions,
# so partners can subscribe once).
NOT_YET_EMITTED: frozenset[EventType] = frozenset()


def task_data(
    *,
    task_id: Any,
    case_id: Any,
    case_reference: str,
    name: str,
    element_id: str,
    role: str | None,
    agency: str | None,
    due_at: dt.datetime | None,
    created_at: dt.datetime,
    state: str,
) -> dict[str, Any]:
    """The ``data`` of a task event."""
    return {
        "task_id": str(task_id),
        "case_id": str(case_id),
        "case_reference": case_reference,
        "task_name": name,
        "element_id": element_id,
        "role": role,
        "agency": agency,
        "state": state,
        "due_at": rfc3339_or_none(due_at),
        "created_at": rfc3339(created_at),
        "links": {"task": f"/api/v1/tasks/{task_id}", "case": f"/api/v1/cases/{case_id}"},
    }


def case_data(*, case_id: Any, reference: str, case_type: str, status: str, stages: list[str]) -> dict[str, Any]:
    """The ``data`` of a case event."""
    return {
        "case_id": str(case_id),
        "case_reference": reference,
        "case_type": case_type,
        "status": status,
        "stages": stages,
        "links": {"case": f"/api/v1/cases/{case_id}"},
    }
