"""A looping instance keeps a small engine state, and reads exactly as it would with its whole history kept."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from service import engine
from service.access.roles import ALL_ROLES
from service.engine import history

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _definition(name: str, *, timer: str | None = None) -> engine.LoadedDefinition:
    xml = (FIXTURES / f"{name}.bpmn").read_bytes()
    if timer is not None:  # the boundary timer's duration: "PT0S" makes it fire on every pass
        xml = xml.replace(
            b"<bpmn:timeDuration>P30D</bpmn:timeDuration>", f"<bpmn:timeDuration>{timer}</bpmn:timeDuration>".encode()
        )
    return engine.load_definition(xml, process_id=name, source=name, known_roles=ALL_ROLES)


def _stored(snapshot: engine.Snapshot) -> dict[str, Any]:
    return json.loads(json.dumps(snapshot.state))  # as the database gives it back


def _view(snapshot: engine.Snapshot) -> tuple[Any, ...]:
    """Everything the service reads from a snapshot, but the engine's own state (task ids, the clock's times)."""
    return (
        sorted((t.element_id, t.agency, t.due_at is not None) for t in snapshot.ready_tasks),
        sorted(t.element_id for t in snapshot.timers),
        snapshot.completed,
        snapshot.variables,
        snapshot.completed_element_ids,
        snapshot.active_element_ids,
        snapshot.waiting_messages,
    )


def _drive_cycle(definition: engine.LoadedDefinition, passes: int) -> list[tuple[Any, ...]]:
    snapshot = engine.start(definition, {"limit": passes})
    views = [_view(snapshot)]
    while snapshot.ready_tasks:
        [task] = snapshot.ready_tasks
        snapshot = engine.complete_task(definition, _stored(snapshot), task.task_id, {"note": f"n{len(views)}"})
        views.append(_view(snapshot))
    assert snapshot.completed
    return views


def _drive_agencies(definition: engine.LoadedDefinition, passes: int) -> list[tuple[Any, ...]]:
    # The message and the agencies' answers arrive in a different order on each pass.
    snapshot = engine.start(definition, {"limit": passes, "agencies": ["police", "health", "la"]})
    views = [_view(snapshot)]
    step = 0
    while not snapshot.completed:
        step += 1
        if "nudge" in snapshot.waiting_messages and (step % 3 == 1 or not snapshot.ready_tasks):
            snapshot = engine.deliver_message(definition, _stored(snapshot), "nudge", {"step": step})
        else:
            ready = sorted(snapshot.ready_tasks, key=lambda t: t.agency or "")
            task = ready[step % len(ready)]
            snapshot = engine.complete_task(definition, _stored(snapshot), task.task_id, {"note": f"s{step}"})
        views.append(_view(snapshot))
    return views


@pytest.fixture
def without_compaction(monkeypatch: pytest.MonkeyPatch) -> Any:
    def run(drive: Any, *args: Any) -> Any:
        with monkeypatch.context() as patched:
            patched.setattr(history, "compact", lambda workflow: 0)
            return drive(*args)

    return run


@pytest.mark.parametrize("timer", [None, "PT0S"])
def test_a_loop_with_a_parallel_join_and_a_boundary_timer_reads_the_same_compacted(
    without_compaction: Any, timer: str | None
) -> None:
    definition = _definition("cycle_probe", timer=timer)
    compacted = _drive_cycle(definition, 25)
    assert compacted == without_compaction(_drive_cycle, definition, 25)
    variables = compacted[-1][3]
    assert (variables["count"], variables["side"], variables["chased"]) == (25, 25, 25 if timer else 0)


@pytest.mark.parametrize("timer", [None, "PT0S"])
def test_a_loop_with_a_multi_instance_and_a_message_wait_reads_the_same_compacted(
    without_compaction: Any, timer: str | None
) -> None:
    definition = _definition("agency_cycle_probe", timer=timer)
    compacted = _drive_agencies(definition, 10)
    assert compacted == without_compaction(_drive_agencies, definition, 10)
    assert compacted[-1][3]["count"] == 10 and compacted[-1][3]["overdue"] == (10 if timer else 0)
    # A pass asks three agencies at once: the three tasks stay in the tree while the others are answered.
    assert any(len(view[0]) == 3 for view in compacted) and any(len(view[0]) == 2 for view in compacted)


def test_two_thousand_passes_run_to_the_end_with_a_state_that_does_not_grow() -> None:
    definition = _definition("cycle_probe")
    snapshot = engine.start(definition, {"limit": 2000})
    sizes: dict[int, int] = {}
    for number in range(1, 2001):
        assert [t.element_id for t in snapshot.ready_tasks] == ["Task_Step"], number
        assert not snapshot.completed
        snapshot = engine.complete_task(definition, _stored(snapshot), snapshot.ready_tasks[0].task_id, {})
        sizes[number] = len(json.dumps(snapshot.state))
    assert snapshot.variables["count"] == 2000
    assert [t.element_id for t in snapshot.ready_tasks] == ["Task_Finish"]
    assert sizes[2000] <= sizes[10] * 1.1, sizes
    assert snapshot.state[history.STATE_KEY]["dropped"] > 2000 * 5
    done = engine.complete_task(definition, _stored(snapshot), snapshot.ready_tasks[0].task_id, {})
    assert done.completed and not done.ready_tasks and done.variables["count"] == 2000


def test_a_state_stored_before_compaction_existed_is_compacted_on_its_next_step(without_compaction: Any) -> None:
    definition = _definition("cycle_probe")

    def to_pass(passes: int) -> engine.Snapshot:
        snapshot = engine.start(definition, {"limit": 50})
        for _ in range(passes):
            snapshot = engine.complete_task(definition, _stored(snapshot), snapshot.ready_tasks[0].task_id, {})
        return snapshot

    old = without_compaction(to_pass, 20)
    assert history.STATE_KEY not in old.state
    task_id = old.ready_tasks[0].task_id
    kept = without_compaction(engine.complete_task, definition, _stored(old), task_id, {})
    compacted = engine.complete_task(definition, _stored(old), task_id, {})
    assert _view(compacted) == _view(kept)
    assert len(json.dumps(compacted.state)) * 5 < len(json.dumps(kept.state))


def test_a_re_offered_task_keeps_the_path_back_to_the_person_before_it() -> None:
    # What a re-offered task says about why it is offered again is read along that path (flow messages).
    from service.engine import serialization

    definition = _definition("cycle_probe")
    snapshot = engine.start(definition, {"limit": 50})
    for _ in range(30):
        snapshot = engine.complete_task(definition, _stored(snapshot), snapshot.ready_tasks[0].task_id, {})
    workflow = serialization.load(_stored(snapshot), definition.spec, definition.subprocess_specs)
    node = workflow.get_task_from_id(uuid.UUID(snapshot.ready_tasks[0].task_id)).parent
    path = []
    while node is not None and node.task_spec.bpmn_id != "Task_Step":
        path.append(node.task_spec.bpmn_id)
        node = node.parent
    assert node is not None, f"the path stops at {path[-1:]}"
    assert "Gateway_Again" in path and "Script_Count" in path
    assert len(workflow.tasks) < 40  # and only that: not the 30 passes before
