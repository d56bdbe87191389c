"""Process owners try a change before deploying it, and see where every case is."""

from __future__ import annotations

from lxml import etree

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import complete, open_case
from tests.process_owner import edits

SVG = "{http://www.w3.org/2000/svg}"
LOCAL_REVIEW = {
    "Task_NotifyPanel": {"notified_at": "2026-04-08"},
    "Task_HoldRapidReviewMeeting": {
        "meeting_date": "2026-04-20",
        "decision": "local_cspr",
        "decision_at": "2026-04-20",
        "decision_rationale": "reg 11",
    },
    "Task_AppointIndependentReviewer": {
        "reviewer_name": "J. Doe",
        "reviewer_declared_affiliations": "",
        "reviewer_declaration_signed": True,
    },
    "Task_QualityAssureDraft": [{"qa_outcome": "revisions_needed"}, {"qa_outcome": "approved"}],
    "Task_DecideOnPublication": {"publication_decision": "publish", "publication_decision_rationale": "yes"},
    "Task_CheckRedaction": {"redaction_checked": True},
    "Task_SendReportBeforePublication": {"report_sent_at": "2026-10-01", "planned_publication_date": "2026-10-20"},
    "Task_PublishReport": {"published_at": "2026-10-20", "publication_url": "https://example.org/r"},
}


def test_simulating_the_cspr_returns_the_local_review_path_with_its_clocks(api: Api) -> None:
    definition = api.as_("process_owner").get("/api/v1/process-definitions", params={"key": "cspr"}).json()["items"][0]
    response = api.as_("process_owner").post(
        "/api/v1/process-definitions/simulate",
        json={
            "definition_id": definition["id"],
            "start_data": {
                "aware_at": "2026-04-02",
                "incident_type": "serious_harm",
                "involved_agencies": ["police", "health", "la"],
            },
            "answers": LOCAL_REVIEW,
        },
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["completed"] and result["stopped_reason"] is None
    path = result["path"]
    order = [
        "Task_NotifyPanel",
        "Task_HoldRapidReviewMeeting",
        "Task_ScopeReview",
        "Task_ReviseDraftReport",
        "Task_CheckRedaction",
        "Task_PublishReport",
        "Task_RecordRecommendations",
    ]
    assert [step for step in path if step in order] == order
    assert sorted(t["agency"] for t in result["tasks"] if t["element_id"] == "Task_ProvideRapidReviewInformation") == [
        "health",
        "la",
        "police",
    ]
    clocks = {c["key"]: c for c in result["clocks"]}
    assert clocks["notification"]["due_date"] == "2026-04-13" and clocks["notification"]["met_on"] == "2026-04-08"
    assert clocks["rapid_review"]["due_date"] == "2026-04-27"
    assert clocks["publication"] == {
        "key": "publication",
        "label": clocks["publication"]["label"],
        "due_date": "2026-10-20",
        "met_on": "2026-10-20",
    }
    assert result["unreachable"] == []


def test_an_undeployed_change_can_be_simulated_and_an_unreachable_end_is_reported(api: Api) -> None:
    edited = edits.add_approval_branch(edits.CSPR).decode()
    answers = {**LOCAL_REVIEW, "Task_ApproveTermsOfReference": [{"tor_approved": False}, {"tor_approved": True}]}
    result = (
        api.as_("process_owner")
        .post(
            "/api/v1/process-definitions/simulate",
            json={
                "bpmn_xml": edited,
                "start_data": {"aware_at": "2026-04-02", "incident_type": "death", "involved_agencies": ["police"]},
                "answers": answers,
            },
        )
        .json()
    )
    assert result["completed"]
    assert [s for s in result["path"] if s in ("Task_AgreeTermsOfReference", "Task_ApproveTermsOfReference")] == [
        "Task_AgreeTermsOfReference",
        "Task_ApproveTermsOfReference",
    ] * 2
    broken = edits.CSPR.replace(
        b'sourceRef="Task_RecordRecommendations" targetRef="EndEvent_ReviewConcluded"',
        b'sourceRef="Task_RecordRecommendations" targetRef="EndEvent_ClosedNoFurtherReview"',
    )
    report = (
        api.as_("process_owner")
        .post("/api/v1/process-definitions/validate", files={"file": ("c.bpmn", broken, "application/xml")})
        .json()
    )
    assert any(p["element_id"] == "EndEvent_ReviewConcluded" and p["severity"] == "warning" for p in report["problems"])


def test_definitions_and_instances_are_drawn_with_the_current_state(api: Api) -> None:
    owner = api.as_("process_owner")
    definition = owner.get("/api/v1/process-definitions", params={"key": "cspr"}).json()["items"][0]
    picture = owner.get(f"/api/v1/process-definitions/{definition['id']}/diagram.svg")
    assert picture.status_code == 200 and picture.headers["content-type"].startswith("image/svg+xml")
    drawn = {g.get("data-element-id") for g in etree.fromstring(picture.content).iter(f"{SVG}g")}
    assert {"Task_NotifyPanel", "Gateway_WhichReview", "Flow_LocalReview", "Lane_BusinessManager"} <= drawn

    case = open_case(api, aware_at="2026-04-02")  # long past: the notification is overdue
    complete(api, case["id"], "Task_NotifyPanel", {"notified_at": today()})
    # The instance's picture shows a case's progress: for those who see the case (here its business manager).
    assert owner.get(f"/api/v1/process-instances/{case['instance_id']}/diagram.svg").status_code == 404
    svg = etree.fromstring(
        api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}/diagram.svg").content
    )
    classes = {g.get("data-element-id"): set((g.get("class") or "").split()) for g in svg.iter(f"{SVG}g")}
    assert "completed" in classes["Task_NotifyPanel"]
    assert {"active", "overdue"} & classes["Task_ProvideRapidReviewInformation"]
    assert "overdue" in classes["Task_ProvideRapidReviewInformation"]  # its information deadline has passed
    assert "taken" in classes["Flow_StartToNotifyPanel"]
    assert api.as_("other").get(f"/api/v1/process-instances/{case['instance_id']}/diagram.svg").status_code == 404
