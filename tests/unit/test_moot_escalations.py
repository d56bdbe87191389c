"""An escalation whose overdue task was completed closes itself; the diagram may keep one open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service import engine
from service.engine.simulate import default_answers
from service.processes.settings import PartnershipSettings

ROOT = Path(__file__).parents[2]
CDR_XML = (ROOT / "bpmn" / "child_death_review.bpmn").read_text(encoding="utf-8")
ESCALATION = "Task_EscalateNcmdNotificationOverdue"
ESCALATION_STAGE = '<camunda:property name="stage" value="Escalation"/>'


def _load(xml: str) -> engine.LoadedDefinition:
    return engine.load_definition(xml.encode(), process_id="child_death_review", source="child_death_review.bpmn")


def _overdue(definition: engine.LoadedDefinition) -> engine.Snapshot:
    """A death long past: the NCMD notification timer has fired, so its escalation waits beside the task."""
    start: dict[str, Any] = {
        **PartnershipSettings().model_dump(mode="json"),
        "case_reference": "CDR-1",
        **default_answers(definition.start_form_schema, "2026-01-05"),
        "death_date": "2026-01-02",
        "involved_agencies": ["police"],
    }
    snapshot = engine.start(definition, start)
    assert sorted(t.element_id for t in snapshot.ready_tasks) == [ESCALATION, "Task_NotifyNcmd"]
    return snapshot


def _notify(definition: engine.LoadedDefinition, snapshot: engine.Snapshot) -> engine.Snapshot:
    [notify] = [t for t in snapshot.ready_tasks if t.element_id == "Task_NotifyNcmd"]
    answers = default_answers(definition.user_tasks["Task_NotifyNcmd"].form_schema, "2026-01-06")
    return engine.complete_task(definition, snapshot.state, notify.task_id, answers)


def test_completing_the_overdue_task_closes_its_escalation_with_the_reason() -> None:
    definition = _load(CDR_XML)
    assert ESCALATION in definition.closable_escalations
    before = _overdue(definition)
    [escalation] = [t for t in before.ready_tasks if t.element_id == ESCALATION]
    after = _notify(definition, before)
    assert ESCALATION not in [t.element_id for t in after.ready_tasks]
    assert ESCALATION not in after.active_element_ids  # nothing of the process waits on it
    [closed] = after.closed_escalations
    assert closed.task_id == escalation.task_id and closed.element_id == ESCALATION
    assert closed.reason == (
        "'Immediate decision-making and notification' was completed, so this escalation is no longer needed"
    )
    # Its branch was withdrawn, not run: the escalation's end event was never reached.
    assert "EndEvent_NcmdNotificationEscalationHandled" not in after.completed_element_ids


def test_an_escalation_marked_to_stay_open_waits_for_someone() -> None:
    xml = CDR_XML.replace(
        ESCALATION_STAGE, ESCALATION_STAGE + '<camunda:property name="closeWhenResolved" value="false"/>', 1
    )
    definition = _load(xml)
    assert ESCALATION not in definition.closable_escalations
    after = _notify(definition, _overdue(definition))
    assert ESCALATION in [t.element_id for t in after.ready_tasks] and after.closed_escalations == []


@pytest.mark.parametrize(
    ("xml_edit", "expected"),
    [
        (
            (ESCALATION_STAGE, ESCALATION_STAGE + '<camunda:property name="closeWhenResolved" value="maybe"/>'),
            "closeWhenResolved must be true or false, not 'maybe'",
        ),
        (
            (
                '<camunda:property name="stage" value="Immediate decision-making"/>',
                '<camunda:property name="stage" value="Immediate decision-making"/>'
                '<camunda:property name="closeWhenResolved" value="true"/>',
            ),
            "closeWhenResolved belongs on an escalation task",
        ),
    ],
)
def test_a_misplaced_or_unclear_setting_is_refused_at_upload(xml_edit: tuple[str, str], expected: str) -> None:
    assert xml_edit[0] in CDR_XML
    with pytest.raises(engine.DefinitionInvalid) as refused:
        _load(CDR_XML.replace(xml_edit[0], xml_edit[1], 1))
    [problem] = refused.value.problems
    assert problem.message.startswith(expected) and problem.element_id in (ESCALATION, "Task_NotifyNcmd")
