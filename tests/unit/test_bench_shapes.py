"""The benchmark's side-by-side shapes stay valid diagrams that run as the benchmark drives them (no timing)."""

from __future__ import annotations

from bench import breakdown, shapes
from service import engine
from service.access.roles import ALL_ROLES
from service.db.types import utcnow


def test_each_shape_is_a_valid_diagram_with_one_task_to_complete() -> None:
    for key in (*shapes.SHAPES.values(), shapes.LOOP):
        xml = (shapes.SHAPES_DIR / f"{key}.bpmn").read_bytes()
        definition = engine.load_definition(xml, process_id=key, source=f"{key}.bpmn", known_roles=ALL_ROLES)
        snapshot = engine.start(definition, {})
        assert [t.element_id for t in snapshot.ready_tasks] in (["Task_Approve"], ["Task_Review"])
        assert not snapshot.completed


def test_the_timer_shape_waits_five_seconds_and_the_approval_ends_after_its_task() -> None:
    floors = shapes.engine_shape("bench_approval", samples=2, warmup=0)
    assert floors["start"]["n"] == 2 and floors["complete"]["n"] == 2
    xml = (shapes.SHAPES_DIR / "bench_timer.bpmn").read_bytes()
    definition = engine.load_definition(xml, process_id="bench_timer", source="t", known_roles=ALL_ROLES)
    (timer,) = engine.start(definition, {}).timers
    assert timer.element_id == "Timer_Remind"
    assert 4 < (timer.due_at - utcnow()).total_seconds() <= 5


def test_the_loop_runs_as_many_completions_as_asked_then_ends() -> None:
    assert len(shapes.engine_loop(3)) == 3
    assert shapes.loop_points(50) == [10, 25, 50]
    assert shapes.around([1.0, 2.0, 3.0, 100.0, 4.0, 5.0], 3) == 3.0


def test_every_part_the_breakdown_times_is_where_its_name_says() -> None:
    assert breakdown.missing_parts() == []
    assert len({(module, attribute) for module, attribute, _, _ in breakdown.PARTS}) == len(breakdown.PARTS)
