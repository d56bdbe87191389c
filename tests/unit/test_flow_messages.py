"""Messages declared on the flows that send work back: validated at upload, shown on the re-offered task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service import engine
from service.engine.flow_messages import FlowMessage, render
from service.engine.simulate import default_answers, simulate
from service.processes.settings import PartnershipSettings

ROOT = Path(__file__).parents[2]
AGENCIES = ["police", "health", "la"]

SAFE = {"redaction_checked": True}
CSPR: dict[str, Any] = {
    "Task_HoldRapidReviewMeeting": {"decision": "local_cspr"},
    "Task_AppointIndependentReviewer": {"reviewer_name": "A. Reviewer", "reviewer_declaration_signed": True},
    "Task_QualityAssureDraft": {"qa_outcome": "approved"},
    "Task_DecideOnPublication": {"publication_decision": "publish"},
    "Task_CheckRedaction": {"redaction_checked": True},
    "Task_SendReportBeforePublication": {"report_sent_at": "2026-10-01", "planned_publication_date": "2026-10-20"},
}
# diagram → (message code, the task re-offered with it, answers that make the process send the work back once)
REFUSALS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "sar",
        "sar.decision_inconsistent_with_s44",
        "Task_DecideOnSar",
        {
            "Task_DecideOnSar": [{"decision": "mandatory"}, {"decision": "not_a_sar"}],
        },
    ),
    (
        "sar",
        "sar.redaction_not_safe",
        "Task_PrepareRedactedReport",
        {
            "Task_DecideOnSar": {"decision": "discretionary"},
            "Task_CheckRedaction": [{"redaction_checked": False, "redaction_issues": "a name is visible"}, SAFE],
        },
    ),
    (
        "cspr",
        "cspr.reviewer_not_independent",
        "Task_AppointIndependentReviewer",
        {
            **CSPR,
            "Task_AppointIndependentReviewer": [
                {"reviewer_name": "B. Reviewer", "reviewer_declared_affiliations": "police"},
                {"reviewer_name": "A. Reviewer"},
            ],
        },
    ),
    (
        "cspr",
        "cspr.draft_revisions_needed",
        "Task_ReviseDraftReport",
        {
            **CSPR,
            "Task_QualityAssureDraft": [{"qa_outcome": "revisions_needed", "qa_comments": "add the timeline"}, {}],
        },
    ),
    (
        "cspr",
        "cspr.redaction_not_safe",
        "Task_PrepareRedactedReport",
        {
            **CSPR,
            "Task_CheckRedaction": [{"redaction_checked": False, "redaction_issues": "a name is visible"}, SAFE],
        },
    ),
    (
        "cspr",
        "cspr.publication_notice_too_short",
        "Task_ReschedulePublication",
        {
            **CSPR,
            "Task_SendReportBeforePublication": {
                "report_sent_at": "2026-10-15",
                "planned_publication_date": "2026-10-20",
            },
            "Task_ReschedulePublication": {"planned_publication_date": "2026-11-30"},
        },
    ),
    (
        "critical_incident_review",
        "report.returned_for_changes",
        "Task_WriteReport",
        {
            "Task_AcceptReport": [
                {"report_outcome": "return_for_changes", "report_comments": "more on handover"},
                {"report_outcome": "accepted"},
            ],
        },
    ),
    (
        "macfa",
        "report.returned_for_changes",
        "Task_WriteFindingsReport",
        {
            "Task_AcceptFindingsReport": [
                {"report_response": "return_for_changes", "report_comments": "more on handover"},
                {"report_response": "accepted"},
            ],
        },
    ),
    (
        "multi_agency_learning_review",
        "report.returned_for_changes",
        "Task_WriteSummaryReport",
        {
            "Task_ConsiderReport": [
                {"report_response": "return_for_changes", "report_comments": "more on handover"},
                {"report_response": "accepted"},
            ],
        },
    ),
    (
        "single_agency_audit",
        "audit.further_information_requested",
        "Task_ReportAudit",
        {
            "Task_ConsiderAudit": [
                {"qa_response": "further_information_requested", "qa_comment": "sample size?"},
                {"qa_response": "accepted"},
            ],
        },
    ),
    (
        "single_agency_learning_review",
        "review.further_information_requested",
        "Task_CompleteAgencyReview",
        {
            "Task_ConsiderAgencyReview": [
                {
                    "group_response": "further_information_requested",
                    "further_information_requested_detail": "the chronology",
                },
                {"group_response": "accepted"},
            ],
        },
    ),
    (
        "dhr",
        "dhr.anonymisation_not_safe",
        "Task_PrepareAnonymisedReport",
        {
            "Task_CheckAnonymisation": [
                {"anonymisation_checked": False, "anonymisation_issues": "a street is named"},
                {"anonymisation_checked": True},
            ],
        },
    ),
    (
        "dhr",
        "dhr.returned_by_qa_panel",
        "Task_ReviseReport",
        {
            "Task_CheckAnonymisation": {"anonymisation_checked": True},
            "Task_RecordQaOutcome": [
                {"qa_outcome": "returned_with_changes", "qa_feedback": "expand the family's voice"},
                {"qa_outcome": "approved"},
            ],
        },
    ),
    (
        "mappa_review",
        "mappa.returned_by_board",
        "Task_ReviseReport",
        {
            "Task_BoardApproval": [
                {"board_decision": "return_for_changes", "board_comments": "check the dates"},
                {"board_decision": "approve_for_publication"},
            ],
            "Task_CheckRedaction": SAFE,
        },
    ),
    (
        "action",
        "action.reason_needed",
        "Task_GiveReason",
        {
            "Task_ReportOutcome": {"outcome": "not_implemented"},
            "Task_GiveReason": {"not_implemented_reason": "the service was decommissioned"},
        },
    ),
    (
        "action",
        "action.assurance_returned",
        "Task_ReportOutcome",
        {
            "Task_GiveAssurance": [
                {"assurance": "return", "assurance_note": "no evidence of the audit"},
                {"assurance": "accept"},
            ],
        },
    ),
    (
        "action",
        "action.reopened",
        "Task_ReportOutcome",
        {
            "Task_ConfirmSustained": [
                {"sustained": "reopen", "recheck_evidence": "the audit lapsed"},
                {"sustained": "held"},
            ],
        },
    ),
    (
        "mappa_review",
        "mappa.redaction_not_safe",
        "Task_PrepareRedactedReport",
        {
            "Task_BoardApproval": {"board_decision": "approve_for_publication"},
            "Task_CheckRedaction": [{"redaction_checked": False, "redaction_issues": "a name is visible"}, SAFE],
        },
    ),
]


def test_every_declared_message_in_our_diagrams_is_exercised() -> None:
    declared = {
        (path.stem, message.code)
        for path in (ROOT / "bpmn").glob("*.bpmn")
        for message in _load(path.stem).flow_messages.values()
    }
    assert declared == {(process_id, code) for process_id, code, _, _ in REFUSALS}


def _load(process_id: str) -> engine.LoadedDefinition:
    path = ROOT / "bpmn" / f"{process_id}.bpmn"
    return engine.load_definition(path.read_bytes(), process_id=process_id, source=path.name)


@pytest.mark.parametrize(("process_id", "code", "element_id", "answers"), REFUSALS, ids=[r[1] for r in REFUSALS])
def test_each_refusal_shows_its_reason_on_the_reoffered_task(
    process_id: str, code: str, element_id: str, answers: dict[str, Any]
) -> None:
    definition = _load(process_id)
    start = {
        **PartnershipSettings().model_dump(mode="json"),
        "case_reference": "SIM-1",
        **default_answers(definition.start_form_schema, "2026-11-02"),
        "involved_agencies": AGENCIES,
    }
    result = simulate(definition, start, answers)
    offered = [task for task in result.tasks if task.element_id == element_id]
    assert offered, (result.stopped_reason, [(t.element_id, t.messages) for t in result.tasks if t.messages])
    shown = [m for task in offered for m in task.messages]
    assert [m["code"] for m in shown] == [code], (result.stopped_reason, result.path)
    if len(offered) > 1:  # re-offered: only the second time, with the reason
        assert offered[0].messages == ()
    assert shown[0]["text"] and "${" not in shown[0]["text"]


SAR_XML = (ROOT / "bpmn" / "sar.bpmn").read_text(encoding="utf-8")
DECLARED = 'value="${decision_inconsistency}."'


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ((DECLARED, 'value="${__import__(&quot;os&quot;)}"'), "placeholder '${__import__(\"os\")}' refused"),
        ((DECLARED, 'value="Inconsistent: ${decision"'), "a '${' without its closing '}'"),
        ((DECLARED, 'value="${}"'), "the placeholder is empty"),
        (('name="messageLevel" value="error"', 'name="messageLevel" value="fatal"'), "messageLevel 'fatal'"),
        (('value="sar.decision_inconsistent_with_s44"', 'value="Not A Code"'), "messageCode 'Not A Code'"),
        ((DECLARED, 'value=""'), "without a message"),
    ],
)
def test_a_bad_declaration_is_refused_at_upload_naming_its_flow(edit: tuple[str, str], expected: str) -> None:
    assert edit[0] in SAR_XML
    xml = SAR_XML.replace(edit[0], edit[1], 1).encode()
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml, process_id="sar", source="sar.bpmn")
    [problem] = refused.value.problems
    assert problem.element_id == "Flow_SarDecisionInconsistent" and expected in problem.message, problem


def test_a_message_on_anything_but_a_sequence_flow_is_refused() -> None:
    xml = SAR_XML.replace(
        '<camunda:property name="stage" value="SAR decision"/>',
        '<camunda:property name="stage" value="SAR decision"/><camunda:property name="message" value="hello"/>',
        1,
    )
    assert xml != SAR_XML
    with pytest.raises(engine.DefinitionInvalid) as refused:
        engine.load_definition(xml.encode(), process_id="sar", source="sar.bpmn")
    [problem] = refused.value.problems
    assert "belong on a sequence flow" in problem.message and problem.element_id.startswith("Task_")


def test_a_placeholder_that_cannot_be_filled_is_left_out_and_the_process_goes_on() -> None:
    message = FlowMessage(flow_id="Flow_X", text="Returned for changes: ${comments}", level="info", code=None)
    assert render(message, {"comments": None}) == {"level": "info", "text": "Returned for changes", "code": None}
    assert render(message, {}) == {"level": "info", "text": "Returned for changes", "code": None}
    divided = FlowMessage(flow_id="Flow_X", text="Ratio ${1 / zero} left", level="info")
    assert render(divided, {"zero": 0})["text"] == "Ratio left"
    assert render(message, {"comments": "add the timeline"})["text"] == "Returned for changes: add the timeline"
