"""Move a running instance to another version of its process, when that is safe, and say why when not.

Policy: an instance may move when every element it has passed through or is waiting at still exists in the
target version, and no open task changed its kind. Completed steps whose details changed (a renamed task, a
new form field) stay completed — SpiffArena refuses these; we allow them because history is not re-run.
Open tasks whose details changed are re-created from the new version (their claim is released).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from service.engine import serialization
from service.engine.definitions import LoadedDefinition
from service.engine.runtime import EngineError, Snapshot, _all_tasks, _load, _step

_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class MigrationPlan:
    """What moving an instance to the target version would change, and whether it is safe."""

    safe: bool
    reasons: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    recreated: list[str] = field(default_factory=list)


def plan_migration(source: LoadedDefinition, target: LoadedDefinition, state: dict[str, Any]) -> MigrationPlan:
    """Compare an instance's version with a target version (``state`` is consumed)."""
    workflow = _load(source, state)
    plan, _ = _plan(workflow, source, target)
    return plan


def migrate(source: LoadedDefinition, target: LoadedDefinition, state: dict[str, Any]) -> Snapshot:
    """Move the instance to ``target`` and run on; refuses (EngineError) if the plan is not safe."""
    workflow = _load(source, state)
    plan, diff = _plan(workflow, source, target)
    if not plan.safe:
        raise EngineError("migration is not safe: " + "; ".join(plan.reasons))

    def action() -> None:
        migrate_workflow(diff, workflow, target.spec)

    return _step(target, workflow, action)


def _plan(workflow: Any, source: LoadedDefinition, target: LoadedDefinition) -> tuple[MigrationPlan, Any]:
    registry = serialization.registry()
    diff, sub_diffs = diff_workflow(registry, workflow, target.spec, target.subprocess_specs)
    plan = MigrationPlan(safe=True)
    plan.added = sorted(_names(s for s in target.spec.task_specs.values() if s.name not in source.spec.task_specs))
    plan.removed = sorted(_names(s for s in source.spec.task_specs.values() if s.name not in target.spec.task_specs))
    if sub_diffs:
        plan.safe = False
        plan.reasons.append("the instance is inside a subprocess; migrating subprocesses is not supported yet")
    for task in diff.removed:
        if task.task_spec.bpmn_id:
            plan.safe = False
            where = "is waiting at" if task.has_state(_OPEN) else "has passed through"
            plan.reasons.append(
                f"the case {where} '{_label(task.task_spec)}' ({task.task_spec.bpmn_id}), "
                "which the target version does not have"
            )
    for task in diff.changed:
        if not task.task_spec.bpmn_id:
            continue
        new_spec = diff.alignment.get(task)
        changes = _changes(registry, task.task_spec, new_spec)
        if not changes:
            continue
        plan.changed[task.task_spec.bpmn_id] = changes
        if task.has_state(_OPEN):
            if "typename" in changes:
                plan.safe = False
                plan.reasons.append(f"the open task '{_label(task.task_spec)}' changed its kind")
            elif task.task_spec.bpmn_id not in plan.recreated:
                plan.recreated.append(task.task_spec.bpmn_id)
    for task in _all_tasks(workflow):
        if task.has_state(_OPEN) and task.task_spec.bpmn_id and task.task_spec.bpmn_id not in plan.recreated:
            plan.recreated.append(task.task_spec.bpmn_id)
    plan.recreated.sort()
    return plan, diff


def _changes(registry: Any, old: Any, new: Any) -> list[str]:
    if new is None:
        return ["removed"]
    first, second = registry.convert(old), registry.convert(new)
    if first.get("typename") != second.get("typename"):
        return ["typename"]
    keys = {key for key in {*first, *second} if first.get(key) != second.get(key)}
    meaningful = sorted(keys - {"inputs", "outputs"})
    return meaningful or sorted(keys)


def _names(specs: Any) -> list[str]:
    return [spec.bpmn_id for spec in specs if getattr(spec, "bpmn_id", None)]


def _label(spec: Any) -> str:
    return str(spec.bpmn_name or spec.bpmn_id)


__all__ = ["MigrationPlan", "migrate", "plan_migration"]
