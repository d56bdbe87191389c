"""Simulating a definition in memory (scripted or default answers) and finding unreachable elements."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from service import engine
from service.engine.reachability import unreachable_elements
from service.engine.simulate import Simulation, simulate

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CSPR_XML = (ROOT / "bpmn" / "cspr.bpmn").read_bytes()
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
START = {
    "aware_at": "2026-04-02",
    "incident_type": "serious_harm",
    "involved_agencies": ["police", "health", "la"],
    "rapid_review_clock_start": "awareness",
    "rapid_review_information_days": 10,
    "case_reference": "SIM-1",
}
LOCAL_REVIEW: dict[str, Any] = {
    "Task_HoldRapidReviewMeeting": {
        "meeting_date": "2026-04-20",
        "decision": "local_cspr",
        "decision_at": "2026-04-20",
        "decision_rationale": "Serious harm with learning about multi-agency working",
    },
    "Task_AppointIndependentReviewer": {"reviewer_name": "A. Reviewer", "reviewer_declaration_signed": True},
    "Task_QualityAssureDraft": {"qa_outcome": "approved"},
    "Task_DecideOnPublication": {"publication_decision": "publish", "publication_decision_rationale": "Public"},
    "Task_CheckRedaction": {"redaction_checked": True},
    "Task_SendReportBeforePublication": {"report_sent_at": "2026-10-01", "planned_publication_date": "2026-10-20"},
    "Task_PublishReport": {"published_at": "2026-10-20", "publication_url": "https://example.org/cspr"},
}


@pytest.fixture(scope="module")
def cspr() -> engine.LoadedDefinition:
    return engine.load_definition(CSPR_XML, process_id="cspr", source="cspr.bpmn")


def _fixture(name: str, process_id: str) -> engine.LoadedDefinition:
    return engine.load_definition((FIXTURES / name).read_bytes(), process_id=process_id, source=name)


def _in_order(path: list[str], expected: list[str]) -> bool:
    remaining = iter(path)
    return all(element in remaining for element in expected)


def _clocks(result: Simulation) -> dict[str, tuple[str | None, str | None]]:
    return {clock.key: (clock.due_date, clock.met_on) for clock in result.clocks}


def test_the_local_review_path_runs_to_the_end_with_its_clocks(cspr: engine.LoadedDefinition) -> None:
    result = simulate(cspr, START, LOCAL_REVIEW)

    assert result.completed, result.stopped_reason
    assert result.stopped_reason is None
    assert _in_order(
        result.path,
        [
            "Task_NotifyPanel",
            "Task_HoldRapidReviewMeeting",
            "Task_ScopeReview",
            "Task_PrepareRedactedReport",
            "Task_CheckRedaction",
            "Task_SendReportBeforePublication",
            "Task_PublishReport",
            "Task_RecordRecommendations",
        ],
    )
    assert result.path[-1] == "EndEvent_ReviewConcluded"
    assert "TimerEvent_PublicationDateReached" in result.path  # simulated time passed for the intermediate timer
    assert "Task_EscalatePanelNotificationOverdue" not in result.path  # escalations only when asked for
    agency_tasks = [t for t in result.tasks if t.element_id == "Task_ProvideRapidReviewInformation"]
    assert [t.agency for t in agency_tasks] == ["police", "health", "la"]
    assert {t.role for t in agency_tasks} == {"agency_safeguarding_lead"}
    appoint = next(t for t in result.tasks if t.element_id == "Task_AppointIndependentReviewer")
    assert appoint.answers["reviewer_declared_affiliations"] is None  # optional and unanswered: null, as the service
    clocks = _clocks(result)
    assert clocks["notification"][0] == "2026-04-13"
    assert clocks["rapid_review"][0] == "2026-04-27"
    assert clocks["publication"] == ("2026-10-20", "2026-10-20")
    assert result.variables["decision"] == "local_cspr"


def test_no_further_review_closes_without_a_local_review(cspr: engine.LoadedDefinition) -> None:
    answers = {"Task_HoldRapidReviewMeeting": {"decision": "no_further_review", "decision_at": "2026-04-20"}}

    result = simulate(cspr, START, answers)

    assert result.completed, result.stopped_reason
    assert "Task_ScopeReview" not in result.path
    assert result.path[-1] == "EndEvent_ClosedNoFurtherReview"
    assert "publication" not in _clocks(result)


def test_schema_defaults_alone_choose_the_first_option_and_complete(cspr: engine.LoadedDefinition) -> None:
    result = simulate(cspr, START)

    assert result.completed, result.stopped_reason
    assert result.variables["decision"] == "no_further_review"
    notify = result.tasks[0]
    assert notify.element_id == "Task_NotifyPanel"
    assert notify.answers["notified_at"] == "2026-04-02"  # a required date defaults to the start data's first date
    assert notify.answers["panel_notification_reference"] is None


def test_a_list_of_answers_drives_a_loop_in_turn(cspr: engine.LoadedDefinition) -> None:
    answers = LOCAL_REVIEW | {
        "Task_QualityAssureDraft": [{"qa_outcome": "revisions_needed"}, {"qa_outcome": "approved"}],
    }

    result = simulate(cspr, START, answers)

    assert result.completed, result.stopped_reason
    assert result.path.count("Task_QualityAssureDraft") == 2
    assert result.path.count("Task_ReviseDraftReport") == 1
    assert _in_order(result.path, ["Task_QualityAssureDraft", "Task_ReviseDraftReport", "Task_QualityAssureDraft"])


def test_agency_keyed_answers_go_to_each_agency(cspr: engine.LoadedDefinition) -> None:
    answers = LOCAL_REVIEW | {
        "Task_ProvideRapidReviewInformation": {
            "police": {"agency_involvement": "Two call-outs", "chronology_summary": "2025-2026"},
            "health": {"agency_involvement": "GP visits", "chronology_summary": "2024-2026"},
        }
    }

    result = simulate(cspr, START, answers)

    assert result.completed, result.stopped_reason
    given = {t.agency: t.answers["agency_involvement"] for t in result.tasks if t.agency}
    assert given == {"police": "Two call-outs", "health": "GP visits", "la": "simulated"}


def test_invalid_or_misaddressed_answers_stop_with_a_reason(cspr: engine.LoadedDefinition) -> None:
    wrong_value = simulate(cspr, START, {"Task_HoldRapidReviewMeeting": {"decision": "maybe"}})
    assert not wrong_value.completed
    assert "Task_HoldRapidReviewMeeting" in (wrong_value.stopped_reason or "")
    assert "decision" in (wrong_value.stopped_reason or "")

    unknown = simulate(cspr, START, {"Task_NoSuchTask": {}})
    assert not unknown.completed
    assert "Task_NoSuchTask" in (unknown.stopped_reason or "")


def test_escalations_fire_only_when_asked(cspr: engine.LoadedDefinition) -> None:
    result = simulate(cspr, START, LOCAL_REVIEW, fire_boundary_timers=True)

    assert result.completed, result.stopped_reason
    assert _in_order(result.path, ["Timer_PanelNotificationDue", "Task_EscalatePanelNotificationOverdue"])
    assert "Task_EscalatePublicationOverdue" in result.path


def test_a_runaway_loop_stops_with_a_reason() -> None:
    probe = _fixture("loop_probe.bpmn", "loop_probe")

    result = simulate(probe, {"limit": 1000})

    assert not result.completed
    assert "step limit" in (result.stopped_reason or "")
    deep = simulate(probe, {"limit": 1000}, max_steps=5000)  # past the engine's own depth guard instead
    assert not deep.completed
    assert re.search("loop|evaluation budget", deep.stopped_reason or "")  # whichever guard comes first


def test_a_script_error_names_the_element() -> None:
    result = simulate(_fixture("loop_probe.bpmn", "loop_probe"), {})  # the loop condition reads the unset 'limit'

    assert not result.completed
    assert "Gateway_Again" in (result.stopped_reason or "")
    assert "limit" in (result.stopped_reason or "")


def test_a_message_stops_the_run_unless_its_payload_is_given() -> None:
    probe = _fixture("message_probe.bpmn", "message_probe")

    waiting = simulate(probe, {})
    assert not waiting.completed
    assert waiting.stopped_reason == "waiting for message 'panel_response'"

    delivered = simulate(probe, {}, {"message:panel_response": {"outcome": "agrees"}})
    assert delivered.completed, delivered.stopped_reason
    assert delivered.path == ["StartEvent_M", "Catch_PanelResponse", "Task_Review", "EndEvent_M"]
    assert delivered.variables["panel_response"] == {"outcome": "agrees"}


def test_cspr_has_no_unreachable_elements() -> None:
    assert unreachable_elements(CSPR_XML) == []


def test_an_end_event_cut_off_from_its_flow_is_unreachable() -> None:
    tree = etree.fromstring(CSPR_XML)
    ns = {"bpmn": BPMN}
    end = tree.find(".//bpmn:endEvent[@id='EndEvent_ClosedNoFurtherReview']", ns)
    assert end is not None
    for incoming in end.findall("bpmn:incoming", ns):
        end.remove(incoming)
    flow = tree.find(".//bpmn:sequenceFlow[@id='Flow_NoFurtherReview']", ns)
    assert flow is not None
    flow.getparent().remove(flow)

    assert unreachable_elements(etree.tostring(tree)) == [
        ("EndEvent_ClosedNoFurtherReview", "Closed: no further review")
    ]


def test_boundary_events_and_event_subprocesses_count_as_reachable() -> None:
    xml = f"""<bpmn:definitions xmlns:bpmn="{BPMN}" id="D">
      <bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="S"/>
        <bpmn:userTask id="A" name="Do it"/>
        <bpmn:boundaryEvent id="B" attachedToRef="A"/>
        <bpmn:userTask id="Esc" name="Escalate"/>
        <bpmn:endEvent id="E"/>
        <bpmn:userTask id="Orphan" name="Never reached"/>
        <bpmn:endEvent id="E2" name="Orphan end"/>
        <bpmn:subProcess id="Events" triggeredByEvent="true">
          <bpmn:startEvent id="ES"/>
          <bpmn:scriptTask id="Handle"/>
          <bpmn:sequenceFlow id="f5" sourceRef="ES" targetRef="Handle"/>
        </bpmn:subProcess>
        <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="A"/>
        <bpmn:sequenceFlow id="f2" sourceRef="A" targetRef="E"/>
        <bpmn:sequenceFlow id="f3" sourceRef="B" targetRef="Esc"/>
        <bpmn:sequenceFlow id="f4" sourceRef="Orphan" targetRef="E2"/>
        <bpmn:sequenceFlow id="f6" sourceRef="E2" targetRef="Orphan"/>
      </bpmn:process>
      <bpmn:process id="outside" isExecutable="false">
        <bpmn:userTask id="Theirs"/>
      </bpmn:process>
    </bpmn:definitions>""".encode()

    assert unreachable_elements(xml) == [("Orphan", "Never reached"), ("E2", "Orphan end")]
