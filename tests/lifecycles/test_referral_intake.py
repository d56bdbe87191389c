"""The 'one panel' referral intake over HTTP: triage routes to every review type by opening a linked case."""

from __future__ import annotations

from typing import Any

import pytest

from service.engine.functions import today
from tests.conftest import Api
from tests.helpers import clock, complete, ended_at, get_case, open_review, open_tasks

CASE_TYPE = "referral_intake"
AGENCIES = ["police", "la", "asc"]
REFERRAL = {"referral_date": "2026-04-01", "referral_source": "agency_referral", "referral_summary": "pseudonymised"}

# route → (end event suffix, the extra triage answers that route needs)
ROUTES: dict[str, tuple[str, dict[str, Any]]] = {
    "cspr": ("Cspr", {"aware_at": "2026-04-02", "incident_type": "serious_harm"}),
    "sar": ("Sar", {}),
    "dhr": ("Dhr", {}),
    "mappa_review": ("MappaReview", {}),
    "child_death_review": ("ChildDeathReview", {"death_date": "2026-03-30", "death_expected": False}),
    "multi_agency_learning_review": ("MultiAgencyLearningReview", {}),
    "single_agency_learning_review": ("SingleAgencyLearningReview", {"owner_agency": "la"}),
    "peer_review": ("PeerReview", {}),
    "practice_review": ("PracticeReview", {}),
    "critical_incident_review": ("CriticalIncidentReview", {}),
}


def open_intake(api: Api, *, referral_date: str = "2026-04-01") -> dict[str, Any]:
    return open_review(api, CASE_TYPE, referral_date=referral_date, agencies=AGENCIES, subject="Person R")


def triage_answers(route: str, **extra: Any) -> dict[str, Any]:
    return {"route": route, "triaged_at": "2026-04-03", "decision_rationale": f"criteria for {route}", **extra}


def variables(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    response = api.as_("business_manager").get(f"/api/v1/process-instances/{case['instance_id']}")
    assert response.status_code == 200, response.text
    return response.json()["variables"]  # type: ignore[no-any-return]


def routed_case(api: Api, intake_id: str, case_type: str) -> dict[str, Any]:
    """The one case the intake opened; checks the link from both sides."""
    intake = get_case(api, intake_id)
    [link] = intake["links"]
    assert link["case_type"] == case_type and link["direction"] == "opened"
    assert link["relation"] == "routed_from_intake"
    opened = get_case(api, link["case_id"])
    assert opened["case_type"] == case_type and opened["reference"] == link["reference"]
    assert opened["links"] == [
        {
            "case_id": intake_id,
            "reference": intake["reference"],
            "case_type": CASE_TYPE,
            "relation": "routed_from_intake",
            "direction": "opened_by",
        }
    ]
    assert opened["subject_pseudonym"] == "Person R" and sorted(opened["involved_agencies"]) == sorted(AGENCIES)
    return opened


@pytest.mark.parametrize("route", list(ROUTES))
def test_triage_opens_a_linked_case_of_the_chosen_type(api: Api, route: str) -> None:
    suffix, extra = ROUTES[route]
    intake = open_intake(api)
    complete(api, intake["id"], "Task_TriageReferral", triage_answers(route, **extra))
    assert ended_at(api, intake["id"]) == [f"EndEvent_RoutedTo{suffix}"]
    opened = routed_case(api, intake["id"], route)
    assert opened["status"] == "open" and open_tasks(api, opened["id"])  # its lifecycle has started
    start = variables(api, opened)
    expected = {**extra} if route == "cspr" else {**REFERRAL, **extra}
    assert {k: start.get(k) for k in expected} == expected  # the intake's answers became its start data
    record = get_case(api, intake["id"])["record"]
    assert record["route"] == route and record["decision"] == route
    assert record["decision_at"] == "2026-04-03" and record["decision_rationale"] == f"criteria for {route}"


def test_route_to_cspr_starts_its_clocks_from_awareness_over_easter(api: Api) -> None:
    intake = open_intake(api)
    assert intake["reference"].startswith("REF-")
    assert intake["stages"] == ["Triage"]
    complete(
        api,
        intake["id"],
        "Task_TriageReferral",
        triage_answers("cspr", aware_at="2026-04-02", incident_type="serious_harm"),
    )
    assert ended_at(api, intake["id"]) == ["EndEvent_RoutedToCspr"]
    cspr = routed_case(api, intake["id"], "cspr")
    assert cspr["reference"].startswith("CSPR-")
    assert cspr["record"]["aware_at"] == "2026-04-02" and cspr["record"]["incident_type"] == "serious_harm"
    # Aware on Thursday 2 April 2026: Good Friday and Easter Monday are skipped, so 5 working days end on
    # Monday 13 April; 15 working days: 7-10 April (4), 13-17 (9), 20-24 (14), Monday 27 April (15).
    assert clock(cspr, "notification")["due_date"] == "2026-04-13"
    assert clock(cspr, "rapid_review")["due_date"] == "2026-04-27"
    assert "Notification" in cspr["stages"]


@pytest.mark.usefixtures("recorded_dates_may_be_ahead")
def test_route_to_child_death_review_carries_the_death_details(api: Api) -> None:
    # Death on Thursday 24 December 2026, referred and triaged that day: the NCMD clock counts 2 calendar days,
    # Christmas or not.
    intake = open_intake(api, referral_date="2026-12-24")
    complete(
        api,
        intake["id"],
        "Task_TriageReferral",
        triage_answers("child_death_review", death_date="2026-12-24", death_expected=True, triaged_at="2026-12-24"),
    )
    assert ended_at(api, intake["id"]) == ["EndEvent_RoutedToChildDeathReview"]
    cdr = routed_case(api, intake["id"], "child_death_review")
    assert cdr["reference"].startswith("CDR-")
    assert cdr["record"]["death_date"] == "2026-12-24" and cdr["record"]["death_expected"] is True
    assert cdr["record"]["referral_date"] == "2026-12-24"
    assert clock(cdr, "ncmd_notification")["due_date"] == "2026-12-26"
    assert "Immediate decision-making" in cdr["stages"]


def test_route_to_critical_incident_review_waits_for_its_commissioning(api: Api) -> None:
    intake = open_intake(api)
    complete(api, intake["id"], "Task_TriageReferral", triage_answers("critical_incident_review"))
    assert ended_at(api, intake["id"]) == ["EndEvent_RoutedToCriticalIncidentReview"]
    cir = routed_case(api, intake["id"], "critical_incident_review")
    assert cir["reference"].startswith("CIR-") and cir["stages"] == ["Commissioning"]
    assert cir["record"]["referral_source"] == "agency_referral" and cir["record"]["referral_date"] == "2026-04-01"
    assert cir["clocks"] == []  # its clocks start at its own commissioning decision


def test_no_review_informs_the_referrer(api: Api) -> None:
    intake = open_intake(api)
    # Only the case review group triages.
    [triage] = open_tasks(api, intake["id"], "Task_TriageReferral")
    assert triage["role"] == "case_review_group_member"
    refused = api.as_("business_manager").post(
        f"/api/v1/tasks/{triage['id']}/complete", json={"data": triage_answers("no_review")}
    )
    assert refused.status_code == 403, refused.text

    complete(api, intake["id"], "Task_TriageReferral", triage_answers("no_review"))
    [inform] = open_tasks(api, intake["id"], "Task_InformReferrer")
    assert inform["role"] == "business_manager" and inform["stage"] == "No review"
    complete(
        api,
        intake["id"],
        "Task_InformReferrer",
        {"referrer_informed_at": "2026-04-07", "referrer_message": "single-agency follow-up suggested"},
    )
    assert ended_at(api, intake["id"]) == ["EndEvent_NoReview"]
    case = get_case(api, intake["id"])
    assert case["links"] == []
    assert case["record"]["decision"] == "no_review" and case["record"]["referrer_informed_at"] == "2026-04-07"


@pytest.mark.parametrize(
    ("route", "missing"),
    [
        ("cspr", {"incident_type": "death"}),  # no aware_at
        ("child_death_review", {"death_expected": False}),  # no death_date
    ],
)
def test_a_route_without_the_data_its_review_needs_is_refused(api: Api, route: str, missing: dict[str, Any]) -> None:
    now = today()
    intake = open_intake(api, referral_date=now)
    [triage] = open_tasks(api, intake["id"], "Task_TriageReferral")
    client = api.as_("case_review_group_member")
    etag = client.get(f"/api/v1/tasks/{triage['id']}").headers["etag"]
    refused = client.post(
        f"/api/v1/tasks/{triage['id']}/complete",
        json={"data": triage_answers(route, **missing, triaged_at=now)},
        headers={"If-Match": etag},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"], refused.text
    # Nothing changed: the same triage task is still open and no case was opened.
    assert [t["id"] for t in open_tasks(api, intake["id"], "Task_TriageReferral")] == [triage["id"]]
    case = get_case(api, intake["id"])
    assert case["status"] == "open" and case["links"] == [] and case["stages"] == ["Triage"]
    listed = api.as_("business_manager").get("/api/v1/cases", params={"case_type": route}).json()["items"]
    assert listed == []

    # With the missing date supplied, the same task goes through.
    complete_with = {"aware_at": now} if route == "cspr" else {"death_date": now}
    complete(
        api, intake["id"], "Task_TriageReferral", triage_answers(route, **missing, **complete_with, triaged_at=now)
    )
    routed_case(api, intake["id"], route)
