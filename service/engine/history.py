"""Keep an instance's engine state the size of what is still running, however long its history.

SpiffWorkflow never forgets a finished task: every pass round a loop hangs one more level of tasks under the
last, so each step loads, walks and saves the whole history (cost grows with every completion), and past a
depth of 1000 the engine stops seeing tasks at all. After every step, :func:`compact` cuts the task tree at
the deepest *finished* task that is an ancestor of every unfinished one and makes it the new root. What the
engine still needs stays: every unfinished task, the parent each one inherits its data from, and everything
under their common ancestor (so a parallel join still sees the branch waiting at it, an event-based gateway
its sibling events, a boundary event its activity, a multi-instance its children), and each unfinished task's
path back to the user task before it.

What the dropped tasks told the service (each variable's last write, the elements passed) is folded into a
small :class:`Summary` stored beside the tree, so the snapshot reads the same as if nothing had been dropped.
Who did what and when is the service's own record (the audit log and the task rows), not the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

# The key under which the summary is stored in an instance's state, beside SpiffWorkflow's own keys.
STATE_KEY = "lif_history"


@dataclass
class Summary:
    """What the tasks dropped from the tree contributed to the snapshot."""

    # variable -> (value, when its last dropped writer finished)
    writes: dict[str, tuple[Any, float]] = field(default_factory=dict)
    # element id -> when a dropped task first passed it
    passed: dict[str, float] = field(default_factory=dict)
    # the current roots: their own contribution is already in ``writes``/``passed`` (their parent is gone)
    accounted: set[str] = field(default_factory=set)
    dropped: int = 0

    def to_dict(self, convert: Any) -> dict[str, Any]:
        """JSON-ready; ``convert`` is the serializer's (task data may hold dates)."""
        return {
            "writes": {name: [convert(value), at] for name, (value, at) in self.writes.items()},
            "passed": self.passed,
            "accounted": sorted(self.accounted),
            "dropped": self.dropped,
        }

    @classmethod
    def from_dict(cls, dct: dict[str, Any], restore: Any) -> Summary:
        """The inverse of :meth:`to_dict`."""
        return cls(
            writes={name: (restore(value), float(at)) for name, (value, at) in dct.get("writes", {}).items()},
            passed={name: float(at) for name, at in dct.get("passed", {}).items()},
            accounted=set(dct.get("accounted", [])),
            dropped=int(dct.get("dropped", 0)),
        )


def summary_of(workflow: BpmnWorkflow) -> Summary:
    """The workflow's summary (a fresh one for a workflow never compacted)."""
    summary: Summary | None = getattr(workflow, "lif_summary", None)
    if summary is None:
        summary = Summary()
        workflow.lif_summary = summary
    return summary


def attach(workflow: BpmnWorkflow, summary: Summary) -> None:
    """Give a freshly loaded workflow the summary stored with it."""
    workflow.lif_summary = summary


def is_passed(task: Any) -> bool:
    """A task the snapshot counts: completed (not cancelled) and a BPMN element, not engine plumbing."""
    return bool(task.has_state(TaskState.COMPLETED) and task.task_spec.bpmn_id)


def variables(workflow: BpmnWorkflow, finished: list[Any], ready: list[Any]) -> dict[str, Any]:
    """Each variable as its *last writer* left it.

    Replay, in completion order, only what each completed task changed relative to the data it started
    from. SpiffWorkflow's own merge (workflow.data, and naive "latest task wins") lets a parallel branch, e.g.
    an escalation whose timer fired weeks ago, overwrite newer values with the stale copy of the data it
    took when it began. Writes by tasks no longer in the tree come from the summary, at their own times.
    """
    summary = summary_of(workflow)
    latest = _writes(finished, summary.accounted, dict(summary.writes))
    merged = {name: value for name, (value, _) in latest.items()}
    for task in ready:  # not completed: they changed nothing yet, but may carry data no finished task has
        for name, value in task.data.items():
            merged.setdefault(name, value)
    if workflow.is_completed():
        for name, value in workflow.data.items():
            merged.setdefault(name, value)
    return merged


def passed_elements(workflow: BpmnWorkflow, finished: list[Any]) -> list[str]:
    """Element ids in the order they were first passed, dropped tasks included."""
    first = dict(summary_of(workflow).passed)
    for task in finished:
        at = first.get(task.task_spec.bpmn_id)
        if at is None or task.last_state_change < at:
            first[task.task_spec.bpmn_id] = task.last_state_change
    return sorted(first, key=lambda element: first[element])


def compact(workflow: BpmnWorkflow) -> int:
    """Drop the finished history the engine no longer needs; returns how many tasks were dropped."""
    cuts = [(flow, root) for flow in [workflow, *workflow.subprocesses.values()] if (root := _new_root(flow))]
    if not cuts:
        return 0
    dropped = [task for flow, root in cuts for task in _outside(flow, root)]
    gone = {task.id for task in dropped}
    dropped.extend(_orphaned_subprocess_tasks(workflow, gone))
    roots = [root for _, root in cuts]
    # Read what the dropped tasks and the new roots wrote while their parents are still there to compare with.
    summary = summary_of(workflow)
    counted = sorted((t for t in [*dropped, *roots] if is_passed(t)), key=lambda t: t.last_state_change)
    summary.writes = _writes(counted, summary.accounted, summary.writes)
    for task in counted:
        summary.passed.setdefault(task.task_spec.bpmn_id, task.last_state_change)
    summary.accounted = {str(root.id) for root in roots} | (summary.accounted - {str(i) for i in gone})
    summary.dropped += len(dropped)
    for flow, root in cuts:
        for task_id in [i for i in flow.tasks if i in gone]:
            del flow.tasks[task_id]
        root._parent = None
        flow.task_tree = root
    for task_id in [i for i in workflow.subprocesses if i in gone]:
        del workflow.subprocesses[task_id]
    if workflow.last_task is not None and workflow.last_task.id in gone:
        workflow.last_task = None
    return len(dropped)


def _writes(
    finished: list[Any], accounted: set[str], latest: dict[str, tuple[Any, float]]
) -> dict[str, tuple[Any, float]]:
    # ``finished`` in completion order; a task whose contribution is already in ``latest`` is skipped.
    for task in finished:
        if str(task.id) in accounted:
            continue
        at = task.last_state_change
        before = task.parent.data if task.parent is not None else {}
        for name, value in task.data.items():
            changed = name not in before or before[name] != value
            if (changed or name not in latest) and (name not in latest or latest[name][1] <= at):
                latest[name] = (value, at)
    return latest


def _new_root(flow: Any) -> Any:
    """The deepest finished common ancestor of every unfinished task, when it is below the current root.

    Each unfinished task also keeps its path back to the user task before it: the path a token took since a
    person last acted (what a re-offered task reads to say why it is offered again, e.g. a flow's message).
    """
    unfinished = [t for t in flow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished:
        return None  # finished: nothing runs on, and the tree is what it is
    anchors = [user_task for task in unfinished if (user_task := _previous_user_task(task)) is not None]
    common = common_ancestors([*unfinished, *anchors])
    # ``common`` runs from the deepest shared ancestor up to the root; the first finished one is where we may cut.
    root = next((a for a in common if a.has_state(TaskState.FINISHED_MASK)), None)
    if root is None or root is flow.task_tree:
        return None
    return root


def _previous_user_task(task: Any) -> Any:
    node = task.parent
    while node is not None and not isinstance(node.task_spec, UserTask):
        node = node.parent
    return node


def common_ancestors(tasks: list[Any]) -> list[Any]:
    """The ancestors every one of ``tasks`` shares (a task counts as its own), deepest first, up to the root.

    The first task's line to the root holds them all; each other task only walks up until it meets that line,
    which for the tasks of one step (mostly siblings and their children) is a step or two, not the tree's depth.
    """
    line = _ancestors(tasks[0])
    position = {id(node): index for index, node in enumerate(line)}
    start = 0  # line[start:] is what every task seen so far shares
    for task in tasks[1:]:
        node = task
        while node is not None and id(node) not in position:
            node = node.parent
        if node is None:
            return []  # not of one tree
        start = max(start, position[id(node)])
    return line[start:]


def _ancestors(task: Any) -> list[Any]:
    line = []
    node = task
    while node is not None:
        line.append(node)
        node = node.parent
    return line


def _outside(flow: Any, root: Any) -> list[Any]:
    """The tasks of ``flow`` that are not ``root`` or below it."""
    keep: set[UUID] = set()
    pending = [root.id]
    while pending:
        task_id = pending.pop()
        if task_id in flow.tasks:
            keep.add(task_id)
            pending.extend(flow.tasks[task_id]._children)
    return [task for task_id, task in flow.tasks.items() if task_id not in keep]


def _orphaned_subprocess_tasks(workflow: BpmnWorkflow, gone: set[UUID]) -> list[Any]:
    # A subprocess belongs to the task that started it: when that task leaves the tree, so does its subprocess
    # (and any subprocess started inside it). Adds the subprocesses' own ids to ``gone``.
    dropped: list[Any] = []
    pending = [task_id for task_id in workflow.subprocesses if task_id in gone]
    while pending:
        tasks = list(workflow.subprocesses[pending.pop()].tasks.values())
        dropped.extend(tasks)
        inner = {task.id for task in tasks}
        gone |= inner
        pending.extend(task_id for task_id in workflow.subprocesses if task_id in inner)
    return dropped
