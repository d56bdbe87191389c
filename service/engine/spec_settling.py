"""What a parsed spec is given before anything runs on it: it is shared by every instance, so it must not change.

One parsed definition serves every instance of its version in a process (and every load of the same bytes,
``definitions.load_definition``). So whatever SpiffWorkflow would otherwise decide about a spec at run time is
decided here, once, the same way it would be.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.specs.multiinstance_task import ParallelMultiInstanceTask, SequentialMultiInstanceTask

from service.engine import expressions


def settle(task_spec: Any) -> None:
    """Adjust one task spec of a freshly parsed definition (both steps leave any other spec alone)."""
    _quote_timer_literals(task_spec)
    _fill_collection_loop(task_spec)


def _quote_timer_literals(task_spec: Any) -> None:
    """Let modelers write ``PT5M`` or ``P6M`` bare, as Camunda Modeler does; dates become end of day."""
    event = getattr(task_spec, "event_definition", None)
    if not isinstance(event, TimerEventDefinition):
        return
    text = expressions.normalise(event.expression)
    if expressions.is_iso_literal(text):
        event.expression = repr(text)
    elif type(event).__name__ == "TimeDateEventDefinition" and not text.startswith("timer_value("):
        event.expression = f"timer_value({text})"


def _fill_collection_loop(task_spec: Any) -> None:
    # A Camunda multi-instance task over a collection (``camunda:collection``, no loop cardinality) fills in its
    # data input and input item from that collection when it first runs (SpiffWorkflow's camunda
    # multiinstance_task.update_task_spec). Left to run time, the shared spec reads differently once any instance
    # has passed the task, and a migration plan compared against a fresh version reported the task as changed
    # ('data_input', 'input_item'), recreating it where open. Filled in here, each run sets what is already there.
    # A loop cardinality that yields a number fills in the input item the same way. One that yields a list would
    # make SpiffWorkflow turn the shared spec into a collection loop for good (and the next instance then failed
    # on the missing collection), so every cardinality is wrapped in loop_cardinality_count, which refuses anything
    # but a number, naming camunda:collection as the way to loop over a list. (Every function's name is reserved in
    # scripts, so this one is named for what it does: learning_item.bpmn's scripts assign a loop_count of their own.)
    if not isinstance(task_spec, ParallelMultiInstanceTask | SequentialMultiInstanceTask):
        return
    if task_spec.output_item is not None:
        task_spec.input_item = TaskDataReference(task_spec.output_item.bpmn_id)
    if task_spec.cardinality is not None:
        task_spec.cardinality = f"loop_cardinality_count({task_spec.cardinality})"
    elif task_spec.data_output is not None:
        task_spec.data_input = TaskDataReference(task_spec.data_output.bpmn_id)
