"""Workflow state ⇄ JSON, without the process spec.

SpiffWorkflow embeds the whole parsed spec in every serialized instance. We store each definition
version once (pinned by content hash) and keep its parsed spec in memory, so an instance's stored
state is only its task tree and data: smaller rows and faster loads.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

from service.engine import history

# Bump when the shape of what we store changes; stored with every instance, and rewritten by every step.
# lif-2: the task tree is compacted and the summary of what was dropped is stored beside it (engine/history.py);
# lif-1 states load as they are and are compacted on their next step.
SERIALIZER_VERSION = f"lif-2/spiff-{SPIFF_SERIALIZER_VERSION}"


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self, dct: dict[str, Any], spec: Any = None, subprocess_specs: dict[str, Any] | None = None
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config), version=SPIFF_SERIALIZER_VERSION)


_SERIALIZER = _make_serializer()


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    """Serialize the workflow's state (JSON-ready dict, no spec), with the summary of its dropped history."""
    state: dict[str, Any] = _SERIALIZER.to_dict(workflow)
    summary = history.summary_of(workflow)
    if summary.dropped:
        state[history.STATE_KEY] = summary.to_dict(_SERIALIZER.registry.convert)
    return state


def load(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Rebuild a workflow from stored state and its definition's parsed spec.

    ``state`` is consumed (SpiffWorkflow pops keys from it): pass a freshly decoded dict.
    """
    stored_summary = state.pop(history.STATE_KEY, None)
    workflow: BpmnWorkflow = _SERIALIZER.registry.restore(state, spec=spec, subprocess_specs=subprocess_specs)
    if stored_summary is not None:
        history.attach(workflow, history.Summary.from_dict(stored_summary, _SERIALIZER.registry.restore))
    return workflow


def registry() -> Any:
    """The serializer's converter registry (SpiffWorkflow's spec diff needs it)."""
    return _SERIALIZER.registry
