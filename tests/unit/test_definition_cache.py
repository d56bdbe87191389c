"""A diagram is parsed once per content and shared: the same bytes give the same definition, and running an
instance never changes what the others (or a migration plan) read from it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service import engine
from service.access.roles import ALL_ROLES
from service.config import REPO_ROOT
from service.engine import serialization
from service.engine.functions import today
from service.processes.settings import settings_for
from tests.process_owner import edits

APPROVAL = (REPO_ROOT / "bench" / "shapes" / "bench_approval.bpmn").read_bytes()
CSPR = (REPO_ROOT / "bpmn" / "cspr.bpmn").read_bytes()
AGENCY_TASK = "Task_ProvideRapidReviewInformation"  # a multi-instance task over involved_agencies


def _approval(xml: bytes, known_roles: frozenset[str] | None = ALL_ROLES) -> engine.LoadedDefinition:
    return engine.load_definition(xml, process_id="bench_approval", source="approval.bpmn", known_roles=known_roles)


def test_the_same_bytes_give_the_same_definition_and_other_bytes_a_new_one() -> None:
    first = _approval(APPROVAL)
    assert _approval(bytes(APPROVAL)) is first  # equal content in another object: not parsed again
    renamed = APPROVAL.replace(b'name="Approve"', b'name="Approve it"', 1)
    assert renamed != APPROVAL
    other = _approval(renamed)
    assert other is not first and other.content_hash != first.content_hash
    assert _approval(APPROVAL, known_roles=None) is not first  # validated against other roles: its own entry


def test_a_refused_diagram_is_refused_every_time() -> None:
    broken = APPROVAL.replace(b"</bpmn:definitions>", b"")
    for _ in range(2):
        with pytest.raises(engine.DefinitionInvalid, match="malformed XML"):
            _approval(broken)


def _cspr(xml: bytes) -> engine.LoadedDefinition:
    return engine.load_definition(xml, process_id="cspr", source="cspr.bpmn")


def _start(definition: engine.LoadedDefinition) -> engine.Snapshot:
    data = {
        **settings_for({"rapid_review_clock_start": "awareness"}).model_dump(),
        "aware_at": today(),
        "incident_type": "serious_harm",
        "case_reference": "CSPR-2026-0001",
        "involved_agencies": ["police", "health"],
    }
    return engine.start(definition, data)


def _through_the_agency_tasks(definition: engine.LoadedDefinition) -> engine.Snapshot:
    started = _start(definition)
    (notify,) = started.ready_tasks
    answers = {name: None for name in definition.user_tasks[notify.element_id].form_schema["properties"]}
    done = engine.complete_task(definition, started.state, notify.task_id, answers | {"notified_at": today()})
    assert sorted(t.element_id for t in done.ready_tasks) == [AGENCY_TASK, AGENCY_TASK]
    return done


def test_running_a_multi_instance_task_leaves_the_shared_spec_as_it_was() -> None:
    definition = _cspr(CSPR)
    registry = serialization.registry()
    before = registry.convert(definition.spec.task_specs[AGENCY_TASK])
    _through_the_agency_tasks(definition)
    assert registry.convert(definition.spec.task_specs[AGENCY_TASK]) == before


def test_a_migration_plan_names_only_what_the_new_version_changed_after_other_instances_ran() -> None:
    source = _cspr(CSPR)
    _through_the_agency_tasks(source)  # another case has passed the agency tasks in this process
    waiting = _start(source)  # this one is still at the Panel notification
    target = _cspr(edits.rename_task(CSPR, "Task_NotifyPanel", "Notify the Panel at once"))
    plan = engine.plan_migration(source, target, waiting.state)
    assert plan.safe and plan.changed == {"Task_NotifyPanel": ["bpmn_name"]}


PROBE = (REPO_ROOT / "tests" / "fixtures" / "agency_cycle_probe.bpmn").read_bytes()


def _counted(cardinality: str) -> engine.LoadedDefinition:
    """The probe's agency task looping by a loop cardinality instead of over a collection."""
    loop = re.compile(rb"<bpmn:multiInstanceLoopCharacteristics [^>]*/>")
    assert loop.search(PROBE)
    counted = loop.sub(
        b'<bpmn:multiInstanceLoopCharacteristics camunda:elementVariable="agency"><bpmn:loopCardinality>'
        + cardinality.encode()
        + b"</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
        PROBE,
    )
    return engine.load_definition(counted, process_id="agency_cycle_probe", source="counted.bpmn")


def test_a_counted_loop_runs_alike_for_every_instance_and_a_list_as_its_count_is_refused_each_time() -> None:
    counted = _counted("len(involved_agencies)")
    registry = serialization.registry()
    before = registry.convert(counted.spec.task_specs["Task_Agency"])
    for _ in range(2):
        started = engine.start(counted, {"involved_agencies": ["police", "health"]})
        assert [t.element_id for t in started.ready_tasks] == ["Task_Agency", "Task_Agency"]
    assert registry.convert(counted.spec.task_specs["Task_Agency"]) == before
    listed = _counted("involved_agencies")
    for _ in range(2):  # SpiffWorkflow would have made the spec a collection loop, and the second start failed
        with pytest.raises(engine.EngineError, match=r"must be a whole number, not list.*camunda:collection"):
            engine.start(listed, {"involved_agencies": ["police", "health"]})


def test_the_bank_holiday_calendar_is_loaded_before_a_step_budget_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    # The holidays package's first use costs ~0.1 s of processor time: inside a step it counted against the
    # diagram's 1 s budget (a test on a slow machine was refused for it).
    from service.engine import budget, functions

    loaded = functions._bank_holidays
    calls: list[bool] = []  # for each look-up: was a step's budget running?

    def spy(year: int) -> frozenset[Any]:
        calls.append(budget._current.get() is not None)
        return loaded(year)

    monkeypatch.setattr(functions, "_bank_holidays", spy)
    _start(_cspr(CSPR))  # its clocks count working days
    assert calls and calls[0] is False
