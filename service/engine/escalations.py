"""Escalations that closed themselves because their cause was resolved.

The escalation pattern (docs/modelling.md): a non-interrupting boundary timer on a task with a deadline leads to an
escalation user task and then to an end event. Once the overdue task is completed, an escalation still waiting
for someone is moot; left open it would keep the case from closing. Such a task closes itself (its branch is
withdrawn, nothing else runs) with the reason recorded. A modeller keeps one open with the user task property
``closeWhenResolved`` = ``false``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN_NS, "camunda": "http://camunda.org/schema/1.0/bpmn"}
PROPERTY = "closeWhenResolved"
REASON_CODE = "escalation.resolved"


@dataclass(frozen=True)
class ClosedEscalation:
    """An escalation task the engine closed, and why."""

    task_id: str
    element_id: str
    reason: str


def closable(process: etree._Element) -> frozenset[str]:
    """The user tasks of ``process`` that follow the escalation pattern and close themselves when moot."""
    return frozenset(
        task.get("id", "")
        for task in process.iter(f"{{{BPMN_NS}}}userTask")
        if _follows_pattern(process, task) and _setting(task) != "false"
    )


def problems(process: etree._Element) -> list[tuple[etree._Element, str]]:
    """A ``closeWhenResolved`` property that is not true/false, or on a task outside the escalation pattern."""
    found: list[tuple[etree._Element, str]] = []
    for element in process.iter():
        setting = _setting(element)
        if setting is None:
            continue
        if setting not in ("true", "false"):
            found.append((element, f"{PROPERTY} must be true or false, not '{setting}'"))
        elif element.tag != f"{{{BPMN_NS}}}userTask" or not _follows_pattern(process, element):
            found.append(
                (
                    element,
                    f"{PROPERTY} belongs on an escalation task: a user task reached only from a non-interrupting "
                    "boundary timer and leading only to an end event",
                )
            )
    return found


def close_moot(tasks: list[Any], closable_ids: frozenset[str], names: dict[str, str]) -> list[ClosedEscalation]:
    """Cancel every ready escalation whose overdue task has been completed; say which and why."""
    closed: list[ClosedEscalation] = []
    for task in tasks:
        if task.state != TaskState.READY or task.task_spec.bpmn_id not in closable_ids:
            continue
        overdue = _overdue_task(task)
        if overdue is None or overdue.state != TaskState.COMPLETED:
            continue
        element_id = overdue.task_spec.bpmn_id or ""
        name = names.get(element_id) or element_id
        task.cancel()
        closed.append(
            ClosedEscalation(
                task_id=str(task.id),
                element_id=task.task_spec.bpmn_id,
                reason=f"'{name}' was completed, so this escalation is no longer needed",
            )
        )
    return closed


def _overdue_task(task: Any) -> Any:
    """The task the boundary timer that started this escalation is attached to (None if not reached that way)."""
    timer = task.parent
    if timer is None or not isinstance(timer.task_spec, BoundaryEvent):
        return None
    if not isinstance(timer.task_spec.event_definition, TimerEventDefinition) or timer.task_spec.cancel_activity:
        return None
    split = timer.parent
    if split is None:
        return None
    attached = [child for child in split.children if not isinstance(child.task_spec, BoundaryEvent)]
    return attached[0] if len(attached) == 1 else None


def _follows_pattern(process: etree._Element, task: etree._Element) -> bool:
    flows = list(process.iter(f"{{{BPMN_NS}}}sequenceFlow"))
    by_id = {element.get("id"): element for element in process.iter() if element.get("id")}
    incoming = [by_id.get(flow.get("sourceRef")) for flow in flows if flow.get("targetRef") == task.get("id")]
    outgoing = [by_id.get(flow.get("targetRef")) for flow in flows if flow.get("sourceRef") == task.get("id")]
    return (
        bool(incoming)
        and all(source is not None and _is_non_interrupting_timer(source) for source in incoming)
        and bool(outgoing)
        and all(target is not None and target.tag == f"{{{BPMN_NS}}}endEvent" for target in outgoing)
    )


def _is_non_interrupting_timer(element: etree._Element) -> bool:
    return (
        element.tag == f"{{{BPMN_NS}}}boundaryEvent"
        and element.get("cancelActivity") == "false"
        and element.find("bpmn:timerEventDefinition", _NS) is not None
    )


def _setting(element: etree._Element) -> str | None:
    for prop in element.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", _NS):
        if prop.get("name") == PROPERTY:
            return (prop.get("value") or "").strip().lower()
    return None
