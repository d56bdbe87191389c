"""Loading diagrams: every shipped file loads; unsafe or broken ones are refused with the element named."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import engine
from service.access.policy import RECORD_CLASSES
from service.access.roles import ALL_ROLES
from service.config import REPO_ROOT
from service.engine.definitions import CASE_RECORD_CLASSES

FIXTURES = Path(__file__).parents[1] / "fixtures"
PROBE = (FIXTURES / "loop_probe.bpmn").read_bytes()


def _load(xml: bytes) -> engine.LoadedDefinition:
    return engine.load_definition(xml, process_id="loop_probe", source="probe.bpmn", known_roles=ALL_ROLES)


def _problems(xml: bytes) -> list[engine.Problem]:
    with pytest.raises(engine.DefinitionInvalid) as refused:
        _load(xml)
    return refused.value.problems


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "bpmn").glob("*.bpmn")), ids=lambda p: p.name)
def test_every_shipped_diagram_loads(path: Path) -> None:
    definition = engine.load_definition(
        path.read_bytes(), process_id=path.stem, source=path.name, known_roles=ALL_ROLES
    )
    assert definition.user_tasks
    assert all(info.role in ALL_ROLES for info in definition.user_tasks.values())


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        (b"count &lt; limit", b"__import__('os').system('id')", "Flow_Back"),
        (b"count = count + 1", b"count = count.__class__", "Script_Count"),
        (b"count = 0", b"count = open('/etc/passwd').read()", "Script_Init"),
        (b"count = 0", b"import os", "Script_Init"),
    ],
)
def test_unsafe_expressions_are_refused_with_the_element_named(old: bytes, new: bytes, element: str) -> None:
    problems = _problems(PROBE.replace(old, new))
    assert [p.element_id for p in problems] == [element]
    assert problems[0].line is not None and "refused" in problems[0].message


def test_an_unsafe_timer_is_refused() -> None:
    xml = (FIXTURES / "timer_probe.bpmn").read_bytes().replace(b"PT2S", b"open('/etc/passwd').read()")
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml, process_id="timer_probe", source="t", known_roles=ALL_ROLES)
    assert [(p.element_id, "open" in p.message) for p in refused.value.problems] == [("Timer_Wait", True)]


def test_an_invalid_iso_timer_is_refused() -> None:
    xml = (FIXTURES / "timer_probe.bpmn").read_bytes().replace(b"PT2S", b"PT2X")
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml, process_id="timer_probe", source="t", known_roles=ALL_ROLES)
    assert refused.value.problems[0].element_id == "Timer_Wait"


def test_malformed_xml_is_refused_with_a_line() -> None:
    problems = _problems(PROBE.replace(b"</bpmn:process>", b"</bpmn:proces>"))
    assert problems[0].message.startswith("malformed XML") and problems[0].line


def test_external_entities_are_never_resolved() -> None:
    xml = PROBE.replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace(b'name="Finish"', b'name="&x;"')
    try:
        definition = _load(xml)
    except engine.DefinitionInvalid:
        return  # refused outright is fine too
    assert "root:" not in definition.user_tasks["Task_Finish"].name


def test_a_user_task_outside_any_lane_is_refused() -> None:
    problems = _problems(PROBE.replace(b"<bpmn:flowNodeRef>Task_Finish</bpmn:flowNodeRef>", b""))
    assert [(p.element_id, p.message) for p in problems] == [
        ("Task_Finish", "user task is in no lane: put it in the lane of the role that does it")
    ]


def test_a_lane_that_is_not_a_role_is_refused() -> None:
    problems = _problems(PROBE.replace(b'name="Business manager"', b'name="Finance team"'))
    assert problems[0].element_id == "Lane_BM" and "not a role" in problems[0].message


def test_reserved_element_ids_are_refused() -> None:
    problems = _problems(PROBE.replace(b'"Task_Finish"', b'"End"'))
    assert any(p.element_id == "End" and "reserved" in p.message for p in problems)


def test_bare_iso_timers_work_as_modelers_write_them() -> None:
    xml = (FIXTURES / "timer_probe.bpmn").read_bytes()
    definition = engine.load_definition(xml, process_id="timer_probe", source="t", known_roles=ALL_ROLES)
    snapshot = engine.start(definition, {})
    assert [t.element_id for t in snapshot.timers] == ["Timer_Wait"]
    assert [t.element_id for t in snapshot.ready_tasks] == ["Task_Watch"]
    assert snapshot.ready_tasks[0].due_at is not None  # PT2S boundary gives the task its due time


CDR = (REPO_ROOT / "bpmn" / "child_death_review.bpmn").read_bytes()


def _load_cdr(xml: bytes) -> engine.LoadedDefinition:
    return engine.load_definition(xml, process_id="child_death_review", source="cdr.bpmn", known_roles=ALL_ROLES)


def test_case_openers_are_read_and_unsafe_opener_data_is_refused() -> None:
    openers = _load_cdr(CDR).case_openers
    assert [(o.case_type, o.relation) for o in openers.values()] == [("cspr", "referred_for_rapid_review")]
    element = next(iter(openers))
    data = openers[element].data
    assert data is not None
    with pytest.raises(engine.DefinitionInvalid) as refused:
        _load_cdr(CDR.replace(data.encode(), b'__import__("os")'))
    assert [p.element_id for p in refused.value.problems] == [element]
    assert "opensCase.data" in refused.value.problems[0].message


def test_audits_and_training_declare_their_record_class_and_everything_else_is_a_review() -> None:
    classes = {
        path.stem: engine.load_definition(path.read_bytes(), process_id=path.stem, source=path.name).record_class
        for path in sorted((REPO_ROOT / "bpmn").glob("*.bpmn"))
    }
    assert {name for name, record_class in classes.items() if record_class == "audit_return"} == {
        "section11_audit",
        "single_agency_audit",
        "macfa",
        "training_needs_analysis",
    }
    assert classes["training_event"] == "training_record"
    assert classes["action"] == classes["learning_item"] == classes["cspr"] == "review_case"
    assert set(CASE_RECORD_CLASSES) <= set(RECORD_CLASSES)


def test_an_unknown_record_class_is_refused_with_the_process_named() -> None:
    xml = PROBE.replace(b"xmlns:xsi=", b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi=', 1).replace(
        b'isExecutable="true">',
        b'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
        b'<camunda:property name="recordClass" value="forever"/></camunda:properties></bpmn:extensionElements>',
        1,
    )
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml, process_id="loop_probe", source="probe.bpmn", known_roles=ALL_ROLES)
    assert [(p.element_id, p.message.split(";")[0]) for p in refused.value.problems] == [
        ("loop_probe", "recordClass 'forever' is not known")
    ]
