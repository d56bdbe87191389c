"""SpiffWorkflow 3.2.0 reports completion while tasks remain open after ~333 loop iterations: we refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import engine
from service.access.roles import ALL_ROLES

PROBE = (Path(__file__).parents[1] / "fixtures" / "loop_probe.bpmn").read_bytes()


@pytest.fixture(scope="module")
def definition() -> engine.LoadedDefinition:
    return engine.load_definition(PROBE, process_id="loop_probe", source="probe", known_roles=ALL_ROLES)


def test_a_short_loop_runs_normally(definition: engine.LoadedDefinition) -> None:
    snapshot = engine.start(definition, {"limit": 10})
    assert not snapshot.completed
    assert [t.element_id for t in snapshot.ready_tasks] == ["Task_Finish"]
    assert snapshot.variables["count"] == 10


@pytest.mark.parametrize("limit", [300, 400, 600])
def test_a_runaway_loop_fails_instead_of_reporting_false_completion(
    definition: engine.LoadedDefinition, limit: int
) -> None:
    # Whichever guard comes first on this machine: the loop guard (the instance fails) or the step's time
    # budget (the step is refused, nothing changed). Never a false completion, never an unbounded step.
    with pytest.raises(engine.EngineError, match=r"loop|evaluation budget"):
        engine.start(definition, {"limit": limit})


def test_a_runtime_expression_error_changes_nothing(definition: engine.LoadedDefinition) -> None:
    with pytest.raises(engine.EngineError, match="limit"):
        engine.start(definition, {})  # the loop condition reads 'limit', which is not set
