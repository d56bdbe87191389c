"""Run process instances: state in, snapshot out. No database, no clock other than SpiffWorkflow's own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from service.engine import budget, escalations, flow_messages, functions, history, serialization
from service.engine.definitions import LoadedDefinition
from service.engine.expressions import ExpressionError, UnsafeExpression
from service.engine.script_engine import SCRIPT_ENGINE

# Guard rails: an instance this large is a modelling error (an unbounded loop), not a real review.
MAX_TASKS = 5_000
# SpiffWorkflow 3.2.0 stops seeing tasks deeper than 1000 in its tree; stay clear of it.
MAX_DEPTH = 900
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class EngineError(Exception):
    """The process could not take this step; nothing was changed."""


class InstanceBroken(EngineError):
    """The process instance is in a state the engine must not continue from: fail it."""


class TaskNotReady(EngineError):
    """The task is not waiting for input (already completed, cancelled, or never existed)."""


class NotWaitingForMessage(EngineError):
    """No part of the process is waiting for the named message."""


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for a person."""

    task_id: str
    element_id: str
    name: str
    agency: str | None
    due_at: dt.datetime | None
    subject: str | None = None  # whom or what this one task is about (``taskSubject``), e.g. one attendee
    # Why the process offers it (again): the messages declared on the flows it took here (flow_messages.py).
    messages: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class WaitingTimer:
    """A timer the process is waiting on, with its absolute due time."""

    task_id: str
    element_id: str
    name: str
    due_at: dt.datetime


@dataclass
class Snapshot:
    """Everything the service stores or shows after an engine step."""

    state: dict[str, Any]
    completed: bool
    # The ids of the user tasks that were ready when the step began (the state it was given): the tasks the
    # service had open. Required, so no snapshot can claim that none were.
    ready_before: frozenset[str]
    # The timers that were waiting when the step began, with their due times: the rows the service had waiting
    # (stepper._project_timers compares them with ``timers`` instead of reading the rows back). Required, as above.
    timers_before: list[WaitingTimer]
    ready_tasks: list[ReadyTask] = field(default_factory=list)
    timers: list[WaitingTimer] = field(default_factory=list)
    active_element_ids: list[str] = field(default_factory=list)
    completed_element_ids: list[str] = field(default_factory=list)
    waiting_messages: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    # Escalations this step closed because their overdue task was completed (escalations.py).
    closed_escalations: list[escalations.ClosedEscalation] = field(default_factory=list)


def start(definition: LoadedDefinition, data: dict[str, Any]) -> Snapshot:
    """Start a new instance with ``data`` as its initial variables and run it to its first wait."""
    workflow = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=SCRIPT_ENGINE)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    return _step(definition, workflow, lambda: None)


def complete_task(definition: LoadedDefinition, state: dict[str, Any], task_id: str, data: dict[str, Any]) -> Snapshot:
    """Complete a ready user task with (already validated) form data and run on."""
    workflow = _load(definition, state)
    task = _find_task(workflow, task_id)
    if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
        raise TaskNotReady(f"task {task_id} is not waiting for input")

    def action() -> None:
        task.data.update(data)
        task.run()

    return _step(definition, workflow, action)


def fire_due_timers(definition: LoadedDefinition, state: dict[str, Any]) -> Snapshot:
    """Let every timer whose time has come fire, and run on."""
    workflow = _load(definition, state)
    return _step(definition, workflow, workflow.refresh_timers)


def deliver_message(
    definition: LoadedDefinition, state: dict[str, Any], name: str, payload: dict[str, Any]
) -> Snapshot:
    """Deliver a named BPMN message; its payload becomes the process variable named after the message."""
    workflow = _load(definition, state)
    if name not in _waiting_messages(workflow):
        raise NotWaitingForMessage(f"the process is not waiting for the message '{name}'")

    def action() -> None:
        try:
            # Camunda-parsed diagrams catch Camunda message events; the payload becomes the variable
            # named after the message (e.g. panel_response = {...}).
            event = BpmnEvent(MessageEventDefinition(name), payload={"payload": payload, "result_var": name})
            workflow.send_event(event)
        except WorkflowException as exc:
            raise NotWaitingForMessage(str(exc)) from None

    return _step(definition, workflow, action)


def _load(definition: LoadedDefinition, state: dict[str, Any]) -> BpmnWorkflow:
    workflow = serialization.load(state, definition.spec, definition.subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE  # never serialized: re-attach after every load
    return workflow


def _step(definition: LoadedDefinition, workflow: BpmnWorkflow, action: Any) -> Snapshot:
    closed: list[escalations.ClosedEscalation] = []
    before = _all_tasks(workflow)
    ready_before = frozenset(str(t.id) for t in before if _is_ready_user_task(t))
    timers_before = _waiting_timers(before)
    functions.ready_calendar()  # outside the budget: a one-off cost of the library, not of the diagram
    try:
        with budget.step():
            action()
            _run_until_waiting(workflow)
            # Withdrawing a moot escalation may let the process finish; nothing else runs because of it.
            closed = escalations.close_moot(
                _all_tasks(workflow), definition.closable_escalations, definition.element_names
            )
            if closed:
                _run_until_waiting(workflow)
    except budget.BudgetExceeded as exc:
        raise EngineError(f"refused: {exc}") from None
    except (ExpressionError, UnsafeExpression) as exc:
        raise EngineError(f"a diagram expression failed: {exc}") from None
    except SpiffWorkflowException as exc:
        raise EngineError(_spiff_message(exc)) from None
    snapshot = _snapshot(workflow, definition, ready_before, timers_before)
    snapshot.closed_escalations = closed
    return snapshot


def _depth_guard(task: Any) -> None:
    # Checked after every engine-run task: a runaway script/gateway loop stops here at once, instead of
    # relying on SpiffWorkflow losing sight of deep tasks (its false-completion bug) to end the loop.
    budget.check_time()
    if task.depth > MAX_DEPTH:
        raise InstanceBroken(
            f"a loop has run too many times at {task.task_spec.bpmn_id or task.task_spec.name}; "
            f"the task tree is deeper than {MAX_DEPTH}"
        )


def _run_until_waiting(workflow: BpmnWorkflow) -> None:
    # do_engine_steps() checks timers only at its end, so a timer already due becomes ready but the flow
    # after it does not run; go round until nothing automatic is left to do.
    for _ in range(100):
        workflow.do_engine_steps(did_complete_task=_depth_guard)
        if not any(t.state == TaskState.READY and not t.task_spec.manual for t in _all_tasks(workflow)):
            return


def _snapshot(
    workflow: BpmnWorkflow,
    definition: LoadedDefinition,
    ready_before: frozenset[str],
    timers_before: list[WaitingTimer],
) -> Snapshot:
    tasks = _all_tasks(workflow)
    if len(tasks) > MAX_TASKS:
        raise InstanceBroken(
            f"the instance has {len(tasks)} tasks (limit {MAX_TASKS}); a loop in the diagram is probably unbounded"
        )
    open_tasks = [t for t in tasks if t.has_state(_OPEN)]
    if workflow.is_completed() and open_tasks:
        # SpiffWorkflow 3.2.0 reports completion when tasks are too deep in its tree to see.
        raise InstanceBroken(
            f"the engine reported the process complete while {len(open_tasks)} task(s) remain open "
            f"(e.g. {open_tasks[0].task_spec.bpmn_id or open_tasks[0].task_spec.name}); "
            "this happens after hundreds of loop iterations: keep loops short or use a new instance per cycle"
        )
    if any(t.depth > MAX_DEPTH for t in open_tasks):
        raise InstanceBroken(
            f"the instance's task tree is deeper than {MAX_DEPTH}: a loop has run too many times to continue safely"
        )
    ready = [t for t in open_tasks if _is_ready_user_task(t)]
    timers = _waiting_timers(open_tasks)
    finished = sorted((t for t in tasks if history.is_passed(t)), key=lambda t: t.last_state_change)
    snapshot = Snapshot(
        state={},
        completed=workflow.is_completed(),
        ready_before=ready_before,
        timers_before=timers_before,
        ready_tasks=[_ready_task(t, definition) for t in ready],
        timers=timers,
        active_element_ids=sorted({t.task_spec.bpmn_id for t in open_tasks if t.task_spec.bpmn_id}),
        completed_element_ids=history.passed_elements(workflow, finished),
        waiting_messages=_waiting_messages(workflow),
        variables=history.variables(workflow, finished, ready),
    )
    # Last: everything above reads the tree as the step left it; what is stored is only what runs on.
    history.compact(workflow)
    snapshot.state = serialization.dump(workflow)
    return snapshot


def _is_ready_user_task(task: Any) -> bool:
    # What the service shows as an open task: ready_tasks after a step, ready_before at its start.
    return task.state == TaskState.READY and isinstance(task.task_spec, UserTask)


def _all_tasks(workflow: BpmnWorkflow) -> list[Any]:
    # Read the task maps directly, not the depth-limited tree iterator that hides deep tasks.
    tasks = list(workflow.tasks.values())
    for subprocess in workflow.subprocesses.values():
        tasks.extend(subprocess.tasks.values())
    return tasks


def _find_task(workflow: BpmnWorkflow, task_id: str) -> Any:
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except (ValueError, TaskNotFoundException):
        return None


def _waiting_timers(tasks: list[Any]) -> list[WaitingTimer]:
    return [timer for t in tasks if (timer := _timer(t)) is not None]


def _timer(task: Any) -> WaitingTimer | None:
    event = getattr(task.task_spec, "event_definition", None)
    if task.state != TaskState.WAITING or not isinstance(event, TimerEventDefinition):
        return None
    due = _timer_due(task)
    if due is None:
        return None
    return WaitingTimer(str(task.id), task.task_spec.bpmn_id, task.task_spec.bpmn_name or event.name or "", due)


def _timer_due(task: Any) -> dt.datetime | None:
    event = getattr(task.task_spec, "event_definition", None)
    if not isinstance(event, TimerEventDefinition):
        return None
    value = event.details(task).value
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)  # type: ignore[no-any-return]
    except ValueError:
        return None


def _ready_task(task: Any, definition: LoadedDefinition) -> ReadyTask:
    extensions = task.task_spec.extensions or {}
    agency_variable = extensions.get("agencyVariable")
    agency = _lookup(task.data, agency_variable) if agency_variable else None
    subject_variable = extensions.get("taskSubject")
    subject = _lookup(task.data, subject_variable) if subject_variable else None
    return ReadyTask(
        task_id=str(task.id),
        element_id=task.task_spec.bpmn_id,
        name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
        agency=str(agency) if agency is not None else None,
        due_at=_due_at(task),
        subject=str(subject)[:200] if subject is not None else None,
        messages=tuple(flow_messages.for_task(task, definition.flow_messages, _is_user_task)),
    )


def _is_user_task(task_spec: Any) -> bool:
    return isinstance(task_spec, UserTask)


def _lookup(data: dict[str, Any], path: str) -> Any:
    """``agency`` or a dotted path into a dict variable, e.g. ``attendee.agency`` (multi-instance over records)."""
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _due_at(task: Any) -> dt.datetime | None:
    """A task is due when the earliest timer on its boundary (or its multi-instance parent's) fires.

    Timers that have already fired still count: an overdue task keeps its due time.
    """
    node = task.parent
    if node is not None and node.task_spec.bpmn_id == task.task_spec.bpmn_id:
        node = node.parent  # a multi-instance child: the boundary is on its parent activity
    if node is None or not isinstance(node.task_spec, BoundaryEventSplit):
        return None
    dues = [due for child in node.children if (due := _timer_due(child)) is not None]
    return min(dues) if dues else None


def _waiting_messages(workflow: BpmnWorkflow) -> list[str]:
    return sorted({e.name for e in workflow.waiting_events() if e.event_type == "MessageEventDefinition"})


def _spiff_message(exc: SpiffWorkflowException) -> str:
    parts = [str(exc.args[0]) if exc.args else type(exc).__name__]
    task = getattr(exc, "task", None)
    if task is not None:
        parts.append(f"at element {task.task_spec.bpmn_id or task.task_spec.name}")
    inner = exc.__cause__ or exc.__context__
    if inner is not None and str(inner) not in parts[0]:
        parts.append(f"({inner})")
    parts.extend(getattr(exc, "notes", []) or [])
    return " ".join(parts)
