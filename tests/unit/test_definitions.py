"""Loading diagrams: every shipped file loads; unsafe or broken ones are refused with the element named."""

from __future__ import annotations

import time
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


def _with_process_properties(properties: str) -> bytes:
    xml = PROBE.replace(
        b"<bpmn:definitions ", b'<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ', 1
    )
    return xml.replace(
        b'<bpmn:process id="loop_probe" name="Loop probe" isExecutable="true">',
        b'<bpmn:process id="loop_probe" name="Loop probe" isExecutable="true"><bpmn:extensionElements>'
        b"<camunda:properties>" + properties.encode() + b"</camunda:properties></bpmn:extensionElements>",
    )


def test_need_to_know_properties_are_read_and_unknown_values_refused() -> None:
    loaded = _load(
        _with_process_properties(
            '<camunda:property name="partnershipKinds" value="children, adults"/>'
            '<camunda:property name="caseAccess" value="partnership"/>'
        )
    )
    assert loaded.partnership_kinds == ("children", "adults") and loaded.case_access == "partnership"
    problems = _problems(
        _with_process_properties(
            '<camunda:property name="partnershipKinds" value="childrens"/>'
            '<camunda:property name="caseAccess" value="everyone"/>'
        )
    )
    messages = " ".join(p.message for p in problems)
    assert "'childrens', which is not a kind of partnership" in messages and "caseAccess 'everyone'" in messages


def test_identifying_start_fields_are_marked_in_the_schema() -> None:
    cspr = engine.load_definition((REPO_ROOT / "bpmn" / "cspr.bpmn").read_bytes(), process_id="cspr", source="cspr")
    assert "subject_name" in cspr.identifying_fields and "aware_at" not in cspr.identifying_fields
    assert cspr.start_form_schema["properties"]["subject_name"]["x-identifying"] is True
    assert "x-identifying" not in cspr.start_form_schema["properties"]["aware_at"]


DHR = (REPO_ROOT / "bpmn" / "dhr.bpmn").read_bytes()
CHECKS_PREPARER = b'name="checksWorkOf" value="Task_PrepareAnonymisedReport"'


def test_a_second_person_check_names_the_task_whose_completer_it_excludes() -> None:
    definition = engine.load_definition(DHR, process_id="dhr", source="dhr.bpmn", known_roles=ALL_ROLES)
    assert definition.user_tasks["Task_CheckAnonymisation"].checks_work_of == "Task_PrepareAnonymisedReport"
    assert definition.user_tasks["Task_PrepareAnonymisedReport"].checks_work_of is None


@pytest.mark.parametrize(
    ("named", "wrong"),
    [
        (b"Task_Nope", "'Task_Nope', which is not a user task of this diagram"),
        (b"Gateway_AnonymisationChecked", "'Gateway_AnonymisationChecked', which is not a user task of this diagram"),
        (b"Task_CheckAnonymisation", "this task itself"),
    ],
)
def test_a_second_person_check_of_anything_but_another_user_task_is_refused(named: bytes, wrong: str) -> None:
    assert DHR.count(CHECKS_PREPARER) == 1
    xml = DHR.replace(CHECKS_PREPARER, b'name="checksWorkOf" value="' + named + b'"')
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml, process_id="dhr", source="dhr.bpmn", known_roles=ALL_ROLES)
    assert [(p.element_id, p.message, p.severity) for p in refused.value.problems] == [
        (
            "Task_CheckAnonymisation",
            f"checksWorkOf names {wrong}; name the task whose completer must not do this check",
            "error",
        )
    ]
    assert refused.value.problems[0].line


def test_a_second_person_check_belongs_on_a_user_task() -> None:
    gateway = b'<bpmn:exclusiveGateway id="Gateway_HasActions" name="Any actions?" default="Flow_HasActions">'
    xml = DHR.replace(
        gateway,
        gateway + b"<bpmn:extensionElements><camunda:properties><camunda:property " + CHECKS_PREPARER + b"/>"
        b"</camunda:properties></bpmn:extensionElements>",
    )
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml, process_id="dhr", source="dhr.bpmn", known_roles=ALL_ROLES)
    assert [(p.element_id, p.message) for p in refused.value.problems] == [
        ("Gateway_HasActions", "checksWorkOf belongs on a user task: the check a second person does")
    ]


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


TIMER_PROBE = (FIXTURES / "timer_probe.bpmn").read_bytes()


def _timer_probe(timer: bytes, tag: bytes = b"timeDuration") -> bytes:
    original = b"<bpmn:timeDuration>PT2S</bpmn:timeDuration>"
    return TIMER_PROBE.replace(original, b"<bpmn:%s>%s</bpmn:%s>" % (tag, timer, tag))


@pytest.mark.parametrize(
    ("timer", "tag"),
    [
        (b"P99999999Y", b"timeDuration"),
        (b"P11Y", b"timeDuration"),
        (b"0001-01-01T00:00:00Z", b"timeDate"),
        (b"2201-01-01", b"timeDate"),
        (b"R/PT1H", b"timeCycle"),
        (b"R1001/PT1H", b"timeCycle"),
        (b"R5/PT30S", b"timeCycle"),
    ],
)
def test_a_literal_timer_outside_the_bounds_is_refused_at_validation(timer: bytes, tag: bytes) -> None:
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(_timer_probe(timer, tag), process_id="timer_probe", source="t", known_roles=ALL_ROLES)
    assert [p.element_id for p in refused.value.problems] == ["Timer_Wait"]


@pytest.mark.parametrize(("timer", "tag"), [(b"P10Y", b"timeDuration"), (b"R1000/PT1M", b"timeCycle")])
def test_a_literal_timer_at_the_bounds_loads(timer: bytes, tag: bytes) -> None:
    engine.load_definition(_timer_probe(timer, tag), process_id="timer_probe", source="t", known_roles=ALL_ROLES)


@pytest.mark.parametrize(
    ("timer", "tag"),
    [(b"'P' + '99999999' + 'Y'", b"timeDuration"), (b"'0001-01-01T00:00:00Z'", b"timeDate"), (b"'x'", b"timeDate")],
)
def test_a_computed_timer_outside_the_bounds_fails_the_step_at_once(timer: bytes, tag: bytes) -> None:
    definition = engine.load_definition(
        _timer_probe(timer, tag), process_id="timer_probe", source="t", known_roles=ALL_ROLES
    )
    started = time.process_time()  # processor time: other test workers share the cores
    with pytest.raises(engine.EngineError, match="timer"):
        engine.start(definition, {})
    assert time.process_time() - started < 2


def test_no_shipped_script_sets_a_variable_named_like_a_function() -> None:
    # Every function's name is reserved (a script assigning one fails its step): a new function must not take a
    # name a shipped diagram already uses, as loop_count nearly did (learning_item.bpmn counts its loops).
    from lxml import etree

    from service.engine import expressions
    from service.engine.functions import FUNCTIONS

    clashes = {}
    for path in sorted((REPO_ROOT / "bpmn").glob("*.bpmn")):
        scripts = etree.parse(str(path)).iterfind(".//{*}scriptTask/{*}script")
        names = frozenset().union(*(expressions.assigned_names(node.text or "") for node in scripts))
        if names & FUNCTIONS.keys():
            clashes[path.name] = sorted(names & FUNCTIONS.keys())
    assert clashes == {}
