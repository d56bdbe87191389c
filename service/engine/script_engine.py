"""SpiffWorkflow script engine backed by the allow-listed evaluator (never Python eval/exec)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)

from service.engine import expressions, timer_bounds


class _SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    def evaluate(
        self, expression: str, context: Mapping[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        names = {**(external_context or {}), **context}
        return expressions.evaluate(expression, names)

    def execute(
        self,
        script: str,
        context: MutableMapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        expressions.execute(script, context)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise expressions.UnsafeExpression("service tasks cannot call code", source=str(kwargs))


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """The only script engine our workflows ever run with; re-attached after every load."""

    def __init__(self) -> None:
        super().__init__(environment=_SafeEnvironment())

    def validate(self, expression: str) -> None:
        expressions.check(expression)

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        """Evaluate; a timer's value is checked against the bounds before SpiffWorkflow computes with it."""
        value = super().evaluate(task, expression, external_context)
        event = getattr(task.task_spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition) and expression == event.expression:
            kind = (
                "cycle"
                if isinstance(event, CycleTimerEventDefinition)
                else "duration"
                if isinstance(event, DurationTimerEventDefinition)
                else "date"
            )
            problem = timer_bounds.timer_problem(kind, value)
            if problem is not None:
                # An ExpressionError becomes the engine's refused step: nothing is changed or saved.
                raise expressions.ExpressionError(f"timer '{expression}' refused: {problem}")
        return value


SCRIPT_ENGINE = SafeScriptEngine()
