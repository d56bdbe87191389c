"""Dry-run a process definition in memory with scripted (or default) answers: which path, which tasks, which clocks.

Nothing is stored and no real clock matters. Simulated time passes only when the process waits: when no
user task is ready, the waiting intermediate timers fire as if their moment had come, and messages given in
``answers`` (``"message:<name>"``) arrive. Boundary timers (escalations) never fire on their own; with
``fire_boundary_timers`` each one fires once, as soon as it starts waiting (every deadline missed).
"""

from __future__ import annotations

import re
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from functools import partial
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import IntermediateCatchEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from service.engine import budget, escalations, expressions, flow_messages, forms, functions, runtime
from service.engine.definitions import ClockDefinition, LoadedDefinition, UserTaskInfo
from service.engine.script_engine import SafeScriptEngine

_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What a timer expression "evaluates to" in a simulation: a moment that never comes by itself.
_NEVER: dict[type, str] = {
    TimeDateEventDefinition: "9999-12-31T00:00:00+00:00",
    DurationTimerEventDefinition: "P100Y",
    CycleTimerEventDefinition: "R/P100Y",
}


@dataclass(frozen=True)
class SimulatedTask:
    """A user task the simulation met, with the answers it was completed with."""

    element_id: str
    name: str
    role: str | None
    agency: str | None
    answers: dict[str, Any]
    messages: tuple[dict[str, Any], ...] = ()  # what the task would show above its form (flow_messages.py)


@dataclass(frozen=True)
class SimulatedClock:
    """A declared clock that applies to the simulated case, computed from its final variables."""

    key: str
    label: str
    due_date: str | None
    met_on: str | None


@dataclass
class Simulation:
    """The outcome of one simulated run."""

    path: list[str]
    tasks: list[SimulatedTask]
    clocks: list[SimulatedClock]
    completed: bool
    stopped_reason: str | None
    variables: dict[str, Any]


def simulate(
    definition: LoadedDefinition,
    start_data: dict[str, Any],
    answers: dict[str, Any] | None = None,
    *,
    max_steps: int = 500,
    fire_boundary_timers: bool = False,
) -> Simulation:
    """Run ``definition`` from ``start_data`` to its end (or until it cannot go on) without storing anything.

    ``answers`` maps a user task's element id to its form answers: a dict; a list of dicts used in turn when
    the task comes round again (the last one repeats); or, for a task done once per agency, a dict keyed by
    agency code. Whatever is not supplied takes the form's defaults (see :func:`default_answers`). A key
    ``"message:<name>"`` gives the payload (or a list of payloads) of a message the process waits for.
    ``max_steps`` bounds the flow nodes completed, so a runaway loop stops with a reason instead of hanging.
    """
    # Each simulated step has the runtime's step budget; the whole run has a few steps' worth, so a diagram
    # whose every step stays just under the limit still cannot keep a request busy for long.
    with budget.step(SIMULATION_SECONDS):
        return _Run(definition, answers or {}, start_data, max_steps, fire_boundary_timers).run()


def default_answers(schema: dict[str, Any], date: str) -> dict[str, Any]:
    """Answers for a form nobody scripted: each field's default; for required fields without one, a placeholder.

    Placeholders: an enum's first option, ``date`` for dates, 1 for integers, False for booleans and
    "simulated" for text (stretched or cut to fit length constraints). Optional fields without a default
    are left out.
    """
    result: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        if "default" in prop:
            result[name] = prop["default"]
        elif name in required:
            result[name] = _placeholder(prop, date)
    return result


def _placeholder(prop: dict[str, Any], date: str) -> Any:
    if prop.get("oneOf"):
        return prop["oneOf"][0]["const"]
    if prop.get("format") == "date":
        return date
    if prop.get("type") == "integer":
        low, high = prop.get("minimum"), prop.get("maximum")
        value = 1 if low is None else max(1, -int(-low // 1))
        return value if high is None else min(value, int(high // 1))
    if prop.get("type") == "boolean":
        return False
    text = "simulated".ljust(int(prop.get("minLength", 0)), "x")
    return text[: prop["maxLength"]] if "maxLength" in prop else text


SIMULATION_SECONDS = 3 * budget.STEP_SECONDS


class _SimulationScriptEngine(SafeScriptEngine):
    """The safe engine, except that timer expressions are evaluated (errors surface) but never come due."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        value = super().evaluate(task, expression, external_context)
        event = getattr(task.task_spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition) and expression == event.expression:
            return _NEVER.get(type(event), value)
        return value


class _Stop(Exception):
    """Ends the simulation early; its message says why."""


class _Run:
    def __init__(
        self,
        definition: LoadedDefinition,
        answers: dict[str, Any],
        start_data: dict[str, Any],
        max_steps: int,
        fire_boundary_timers: bool,
    ):
        self.definition = definition
        self.answers = answers
        self.start_data = start_data
        self.max_steps = max_steps
        self.fire_boundary_timers = fire_boundary_timers
        self.date = (
            next((v for v in start_data.values() if isinstance(v, str) and _ISO_DATE.match(v)), None)
            or functions.today()
        )
        self.workflow = BpmnWorkflow(
            definition.spec, definition.subprocess_specs, script_engine=_SimulationScriptEngine()
        )
        self.path: list[str] = []
        self.tasks: list[SimulatedTask] = []
        self.steps = 0
        self.current: str | None = None  # the element being run, to name it when something fails
        self.uses: Counter[str] = Counter()  # how many scripted answers/payloads each key has used
        self.fired: set[tuple[str, str]] = set()  # boundary timers already fired (host split task, spec)

    def run(self) -> Simulation:
        stopped: str | None = None
        try:
            unknown = sorted(
                key for key in self.answers if not key.startswith("message:") and key not in self.definition.user_tasks
            )
            if unknown:
                raise _Stop(f"answers are given for {', '.join(unknown)}, which is not a user task of this process")
            self._act(lambda: self.workflow.get_tasks(state=TaskState.READY)[0].data.update(deepcopy(self.start_data)))
            while self._move():
                pass
        except _Stop as stop:
            stopped = str(stop)
        tasks = runtime._all_tasks(self.workflow)
        completed = stopped is None and self.workflow.is_completed() and not any(t.has_state(_OPEN) for t in tasks)
        variables = self._variables(tasks, completed)
        return Simulation(
            path=self.path,
            tasks=self.tasks,
            clocks=_clocks(self.definition.clocks, variables),
            completed=completed,
            stopped_reason=stopped,
            variables=variables,
        )

    # One move: the next thing that would happen in a real case. False when the process has ended.
    def _move(self) -> bool:
        tasks = runtime._all_tasks(self.workflow)
        waiting_timers = [t for t in tasks if _is_waiting_timer(t)]
        if self.fire_boundary_timers:
            due = [t for t in waiting_timers if not _is_intermediate(t) and _timer_key(t) not in self.fired]
            if due:
                self.fired.update(_timer_key(t) for t in due)
                self._act(lambda: self._fire(due))
                return True
        ready = [t for t in tasks if t.state == TaskState.READY and isinstance(t.task_spec, UserTask)]
        # A missed deadline's escalation is handled as soon as it appears, so the path shows it (left for later,
        # it would close by itself once the overdue task is done).
        ready.sort(key=lambda t: t.task_spec.bpmn_id not in self.definition.closable_escalations)
        if ready:
            self._complete(ready[0])
            return True
        waiting = sorted({e.name for e in self.workflow.waiting_events() if e.event_type == "MessageEventDefinition"})
        for name in waiting:
            if f"message:{name}" in self.answers:
                payload = self._scripted(f"message:{name}", self.answers[f"message:{name}"])
                event = BpmnEvent(MessageEventDefinition(name), payload={"payload": payload, "result_var": name})
                self._act(partial(self.workflow.send_event, event))
                return True
        intermediate = [t for t in waiting_timers if _is_intermediate(t)]
        if intermediate:
            self._act(lambda: self._fire(intermediate))
            return True
        if self.workflow.is_completed():
            return False
        if waiting:
            raise _Stop(f"waiting for message '{waiting[0]}'")
        open_ids = sorted({t.task_spec.bpmn_id for t in tasks if t.has_state(_OPEN) and t.task_spec.bpmn_id})
        raise _Stop(f"nothing can happen next; still open: {', '.join(open_ids) or 'nothing'}")

    def _complete(self, task: Any) -> None:
        element_id = task.task_spec.bpmn_id
        info = self.definition.user_tasks.get(element_id)
        schema = info.form_schema if info else {}
        agency = _agency(task, info)
        supplied = self._answers_for(element_id, agency, info)
        chosen = default_answers(schema, self.date) | supplied
        given = {k: v for k, v in chosen.items() if v is not None}
        errors = forms.validate_submission(schema, given) if schema else []
        if errors:
            problems = "; ".join(f"{e.field or 'form'}: {e.message}" for e in errors)
            raise _Stop(f"the answers for {element_id} are not valid: {problems}")
        data = {name: None for name in schema.get("properties", {})} | chosen
        messages = tuple(flow_messages.for_task(task, self.definition.flow_messages, runtime._is_user_task))
        self.tasks.append(
            SimulatedTask(
                element_id, info.name if info else element_id, info.role if info else None, agency, data, messages
            )
        )

        def action() -> None:
            self.current = element_id
            task.data.update(data)
            task.run()
            self._completed(task)

        self._act(action)

    def _answers_for(self, element_id: str, agency: str | None, info: UserTaskInfo | None) -> Any:
        entry = self.answers.get(element_id)
        key = element_id
        if agency is not None and isinstance(entry, dict) and _keyed_by_agency(entry, agency, info):
            entry, key = entry.get(agency), f"{element_id}/{agency}"
        answer = self._scripted(key, entry)
        return dict(answer) if isinstance(answer, dict) else {}

    def _scripted(self, key: str, entry: Any) -> Any:
        """A dict as it is; from a list, the next one (the last one repeats)."""
        if not isinstance(entry, list) or not entry:
            return entry or {}
        used = self.uses[key]
        self.uses[key] += 1
        return entry[min(used, len(entry) - 1)]

    def _fire(self, timers: list[Any]) -> None:
        for timer in timers:
            timer._set_internal_data(event_fired=True)  # has_fired() reports this flag whatever the clock says
        self.workflow.refresh_timers()

    # Engine plumbing: run automatic steps, record the path, enforce the guards.
    def _act(self, action: Any) -> None:
        try:
            with budget.step():  # the runtime's budget, per simulated step
                action()
                self._run_engine()
                # As in a real case: an escalation whose overdue task is done closes itself (escalations.py).
                names = self.definition.element_names
                if escalations.close_moot(
                    runtime._all_tasks(self.workflow), self.definition.closable_escalations, names
                ):
                    self._run_engine()
        except _Stop:
            raise
        except budget.BudgetExceeded as exc:
            raise _Stop(f"refused at element {self.current}: {exc}") from None
        except (expressions.ExpressionError, expressions.UnsafeExpression, SpiffWorkflowException) as exc:
            raise _Stop(_describe_error(exc, self.current)) from None
        except RecursionError:
            raise _Stop(f"the engine's task tree became too deep at element {self.current}") from None
        self._check_guards()

    def _run_engine(self) -> None:
        # do_engine_steps() checks timers only at its end; go round until nothing automatic is left.
        for _ in range(100):
            self.workflow.do_engine_steps(will_complete_task=self._will_run, did_complete_task=self._completed)
            tasks = runtime._all_tasks(self.workflow)
            if not any(t.state == TaskState.READY and not t.task_spec.manual for t in tasks):
                return

    def _will_run(self, task: Any) -> None:
        self.current = task.task_spec.bpmn_id or task.task_spec.name

    def _completed(self, task: Any) -> None:
        budget.check_time()
        element_id = task.task_spec.bpmn_id
        if task.state != TaskState.COMPLETED or not element_id:
            return
        parent = task.parent
        if parent is not None and parent.task_spec.bpmn_id == element_id:
            return  # one instance of a multi-instance or looping activity: the activity itself is recorded
        self.path.append(element_id)
        self.steps += 1
        if self.steps > self.max_steps:
            raise _Stop(
                f"step limit reached: more than {self.max_steps} elements completed (last: {element_id}); "
                "a loop may never end with these answers"
            )
        if task.depth > runtime.MAX_DEPTH:
            raise _Stop(f"a loop ran too many times at {element_id}: the task tree is deeper than {runtime.MAX_DEPTH}")

    def _check_guards(self) -> None:
        tasks = runtime._all_tasks(self.workflow)
        if len(tasks) > runtime.MAX_TASKS:
            raise _Stop(
                f"the instance has {len(tasks)} tasks (limit {runtime.MAX_TASKS}); a loop is probably unbounded"
            )
        open_tasks = [t for t in tasks if t.has_state(_OPEN)]
        if self.workflow.is_completed() and open_tasks:
            raise _Stop(
                f"the engine reported the process complete while {len(open_tasks)} task(s) remain open "
                f"(e.g. {open_tasks[0].task_spec.bpmn_id or open_tasks[0].task_spec.name}): a loop ran too long"
            )

    def _variables(self, tasks: list[Any], completed: bool) -> dict[str, Any]:
        if completed:
            return dict(self.workflow.data)
        merged: dict[str, Any] = {}
        ready = [t for t in tasks if t.state == TaskState.READY]
        finished = sorted((t for t in tasks if t.state == TaskState.COMPLETED), key=lambda t: t.last_state_change)
        for task in [*ready, *finished]:  # the latest completion wins
            merged.update(task.data)
        return merged


def _is_waiting_timer(task: Any) -> bool:
    event = getattr(task.task_spec, "event_definition", None)
    return task.state == TaskState.WAITING and isinstance(event, TimerEventDefinition)


def _is_intermediate(task: Any) -> bool:
    return isinstance(task.task_spec, IntermediateCatchEvent)


def _timer_key(task: Any) -> tuple[str, str]:
    return (str(task.parent.id) if task.parent is not None else "", task.task_spec.name)


def _agency(task: Any, info: UserTaskInfo | None) -> str | None:
    value = task.data.get(info.agency_variable) if info is not None and info.agency_variable else None
    return None if value is None else str(value)


def _keyed_by_agency(entry: dict[str, Any], agency: str, info: UserTaskInfo | None) -> bool:
    """``{"police": {...}, "health": {...}}`` rather than one set of answers for every agency."""
    if agency in entry:
        return True
    fields = set(info.form_schema.get("properties", {})) if info else set()
    return bool(entry) and not set(entry) & fields and all(isinstance(v, dict | list) for v in entry.values())


def _describe_error(exc: Exception, current: str | None) -> str:
    task = getattr(exc, "task", None)
    element = (task.task_spec.bpmn_id or task.task_spec.name) if task is not None else current
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    if inner is not None and str(inner) not in message:
        message += f" ({inner})"
    notes = [n for n in getattr(exc, "notes", None) or [] if n not in message]
    return " ".join([f"an error at element {element or 'unknown'}: {message}", *notes])


def _clocks(clocks: list[ClockDefinition], variables: dict[str, Any]) -> list[SimulatedClock]:
    result: list[SimulatedClock] = []
    for clock in clocks:
        if clock.when and not _quiet_eval(clock.when, variables):
            continue
        due = _iso_date(_quiet_eval(clock.due, variables))
        result.append(SimulatedClock(clock.key, clock.label, due, _iso_date(variables.get(clock.met))))
    return result


def _quiet_eval(expression: str, variables: dict[str, Any]) -> Any:
    try:
        return expressions.evaluate(expression, variables, unset_is_none=True)
    except (expressions.ExpressionError, ValueError, TypeError):
        return None  # a clock whose inputs are not known has no due date


def _iso_date(value: Any) -> str | None:
    try:
        return functions.to_date(value).isoformat() if value else None
    except (ValueError, TypeError):
        return None
