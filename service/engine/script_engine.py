"""SpiffWorkflow script engine backed by the allow-listed evaluator (never Python eval/exec)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from service.engine import expressions


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


SCRIPT_ENGINE = SafeScriptEngine()
