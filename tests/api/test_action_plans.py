"""Recommendations, actions, evidence and recurring themes, driven over HTTP with the real action lifecycle."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.helpers import complete, ended_at, get_case, open_tasks

PDF = b"%PDF-1.4\n% evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _review(api: Api, referral_date: str = "2025-01-06") -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "members": api.review_team(),
            "case_type": "plan_probe",
            "title": "Review",
            "subject_pseudonym": "Adult A",
            "involved_agencies": ["police", "health"],
            "data": {"referral_date": referral_date},
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _recommend(api: Api, case_id: str, themes: list[str], principles: list[str] | None = None) -> dict[str, Any]:
    response = api.as_("case_review_group_member").post(
        f"/api/v1/cases/{case_id}/recommendations",
        json={"finding": "Agencies did not share", "text": "Share", "themes": themes, "principles": principles or []},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _act(api: Api, recommendation_id: str, *, due: str, agency: str = "police") -> dict[str, Any]:
    response = api.as_("business_manager").post(
        f"/api/v1/recommendations/{recommendation_id}/actions",
        json={
            "owner_agency": agency,
            "lead_name": "DI Shaw",
            "description": "Every referral to children's services is copied to health within 24 hours by June",
            "due_date": due,
            "impact_measure": "share of referrals copied within 24 hours (monthly audit)",
            "baseline": "40% in January",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _action(api: Api, action_id: str, token: str = "business_manager") -> dict[str, Any]:
    response = api.as_(token).get(f"/api/v1/actions/{action_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _report(api: Api, case_id: str, outcome: str, on: str, **extra: Any) -> None:
    complete(
        api,
        case_id,
        "Task_ReportOutcome",
        {"outcome": outcome, "outcome_on": on, "outcome_summary": "protocol changed; audit attached", **extra},
        agency="police",
    )


def test_an_action_is_returned_reopened_by_a_recheck_and_escalated_when_overdue(api: Api) -> None:
    review = _review(api)
    recommendation = _recommend(api, review["id"], ["information_sharing"], ["partnership"])
    assert recommendation["number"] == 1 and recommendation["themes"] == ["information_sharing"]
    action = _act(api, recommendation["id"], due="2026-03-31")
    assert action["status"] == "in_progress" and action["overdue"] is True
    case_id = action["case_id"]
    # The due date has passed: the business manager must escalate; the agency lead has the outcome to report.
    assert [t["role"] for t in open_tasks(api, case_id, "Task_ChaseOverdueAction")] == ["business_manager"]
    assert [t["agency"] for t in open_tasks(api, case_id, "Task_ReportOutcome")] == ["police"]
    overdue = api.as_("business_manager").get("/api/v1/actions", params={"overdue": "true"}).json()["items"]
    assert [a["id"] for a in overdue] == [action["id"]]
    # The review hands over to its plan and waits for every action to close.
    complete(api, review["id"], "Task_AgreeActionPlan", {"action_plan_agreed_at": "2025-03-01", "has_actions": True})
    assert get_case(api, review["id"])["stages"] == ["Waiting: Action plan closed"]

    _report(api, case_id, "completed", "2026-04-02")
    assert _action(api, action["id"])["status"] == "awaiting_assurance"
    complete(api, case_id, "Task_GiveAssurance", {"assurance": "return", "assurance_note": "no impact evidence"})
    assert _action(api, action["id"])["status"] == "returned"
    _report(api, case_id, "completed", "2026-04-10", impact_evidence="85% copied in the April audit")
    complete(api, case_id, "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "audit shows 85%"})
    done = _action(api, action["id"])
    assert (done["status"], done["completed_on"], done["overdue"]) == ("completed", "2026-04-10", False)
    # 6 months after completion (10 October 2026, already past) the first re-check is due: the group reopens.
    complete(
        api,
        case_id,
        "Task_ConfirmSustained",
        {"sustained": "reopen", "recheck_evidence": "re-audit: 45%", "new_due_date": "2027-06-30"},
    )
    reopened = _action(api, action["id"])
    assert (reopened["status"], reopened["reopen_count"], reopened["due_date"]) == ("reopened", 1, "2027-06-30")
    assert reopened["completed_on"] is None and reopened["overdue"] is False
    # Completed again on 27 November 2026: the next re-check waits for 27 May 2027 (6 calendar months).
    _report(api, case_id, "completed", "2026-11-27")
    complete(api, case_id, "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "re-audit 90%"})
    waiting = _action(api, action["id"])
    assert (waiting["status"], waiting["next_recheck_on"]) == ("completed", "2027-05-27")
    assert get_case(api, case_id)["stages"] == ["Waiting: Sustainability re-check due"]
    assert get_case(api, review["id"])["status"] == "open"  # its one action is not closed yet


def test_not_implemented_needs_a_reason_and_the_last_closed_action_closes_the_review(api: Api) -> None:
    review = _review(api)
    first = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2030-01-31")
    second = _act(api, _recommend(api, review["id"], ["recording"])["id"], due="2030-01-31")
    complete(api, review["id"], "Task_AgreeActionPlan", {"action_plan_agreed_at": "2025-03-01", "has_actions": True})

    # Not implemented, without a reason: the lifecycle insists on one before assurance.
    _report(api, second["case_id"], "not_implemented", "2025-02-01")
    assert open_tasks(api, second["case_id"], "Task_GiveAssurance") == []
    complete(
        api,
        second["case_id"],
        "Task_GiveReason",
        {"not_implemented_reason": "the system is being replaced in 2026"},
        agency="police",
    )
    complete(api, second["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "reason stands"})
    closed = _action(api, second["id"])
    assert closed["status"] == "not_implemented" and closed["closed_at"] is not None
    assert closed["not_implemented_reason"] == "the system is being replaced in 2026"
    assert ended_at(api, second["case_id"]) == ["EndEvent_NotImplemented"]
    assert get_case(api, review["id"])["status"] == "open"

    # Completed in January 2025: both re-checks (July 2025, January 2026) are due at once, and the change held.
    _report(api, first["case_id"], "completed", "2025-01-10")
    complete(api, first["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "evidenced"})
    for _ in range(2):
        complete(api, first["case_id"], "Task_ConfirmSustained", {"sustained": "held", "recheck_evidence": "held"})
    assert _action(api, first["id"])["status"] == "sustained"
    assert ended_at(api, first["case_id"]) == ["EndEvent_Sustained"]
    # The last action closed, so the service told the review's process: the review closes on its own.
    assert ended_at(api, review["id"]) == ["EndEvent_PlanCompleted"]


def test_a_recurring_theme_across_two_reviews_is_flagged_on_both(api: Api) -> None:
    earlier_review = _review(api, "2024-05-01")
    earlier = _act(api, _recommend(api, earlier_review["id"], ["neglect", "recording"])["id"], due="2030-01-31")
    _report(api, earlier["case_id"], "completed", "2025-01-10")
    complete(api, earlier["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "evidenced"})
    assert _action(api, earlier["id"])["status"] in ("completed", "sustained")

    later_review = _review(api, "2026-09-01")
    repeated = _recommend(api, later_review["id"], ["neglect", "safe_sleep"])
    fresh = _recommend(api, later_review["id"], ["safe_sleep"])
    assert [
        (r["theme"], r["earlier_action_id"], r["earlier_case_reference"]) for r in repeated["recurring_themes"]
    ] == [("neglect", earlier["id"], earlier_review["reference"])]
    assert fresh["recurring_themes"] == []
    # Flagged on the earlier action too: its learning did not hold.
    back = _action(api, earlier["id"])["recurred_in"]
    assert [(r["recommendation_id"], r["recommendation_case_reference"]) for r in back] == [
        (repeated["id"], later_review["reference"])
    ]
    flagged = api.as_("business_manager").get("/api/v1/recommendations", params={"recurring": "true"}).json()
    assert [r["id"] for r in flagged["items"]] == [repeated["id"]]
    # Retagging away from the theme removes the flag.
    changed = api.as_("business_manager").patch(
        f"/api/v1/recommendations/{repeated['id']}", json={"themes": ["safe_sleep"]}
    )
    assert changed.status_code == 200 and changed.json()["recurring_themes"] == []


def test_filters_composite_agency_plan_and_who_sees_what(api: Api) -> None:
    review = _review(api)
    neglect = _recommend(api, review["id"], ["neglect"])
    police = _act(api, neglect["id"], due="2030-01-31", agency="police")
    health = _act(api, _recommend(api, review["id"], ["domestic_abuse"])["id"], due="2026-01-31", agency="health")
    manager = api.as_("business_manager")

    def ids(**params: str) -> list[str]:
        response = manager.get("/api/v1/actions", params=params)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    assert ids(theme="neglect") == [police["id"]]
    assert ids(agency="health") == [health["id"]]
    assert ids(overdue="true") == [health["id"]]
    assert ids(review_type="plan_probe") == [police["id"], health["id"]]
    assert ids(review_type="sar") == []
    first = manager.get("/api/v1/actions", params={"limit": 1}).json()
    second = manager.get("/api/v1/actions", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [a["id"] for a in first["items"] + second["items"]] == [police["id"], health["id"]]

    # The police lead sees police actions across reviews as one plan, and nothing of health's.
    plan = api.as_("agency_safeguarding_lead:police").get("/api/v1/agencies/police/action-plan").json()
    assert [a["id"] for a in plan["items"]] == [police["id"]]
    assert plan["counts"] == {"in_progress": 1} and plan["overdue"] == 0
    lead = api.as_("agency_safeguarding_lead:police")
    # Health's plan, asked for by the police lead, holds only what police may see: none of it.
    theirs = lead.get("/api/v1/agencies/health/action-plan").json()
    assert theirs["items"] == [] and theirs["counts"] == {} and theirs["overdue"] == 0
    assert lead.get(f"/api/v1/actions/{health['id']}").status_code == 404
    assert [a["id"] for a in lead.get("/api/v1/actions").json()["items"]] == [police["id"]]
    # Agency leads cannot agree actions or record recommendations.
    refused = lead.post(f"/api/v1/cases/{review['id']}/recommendations", json={"finding": "f", "text": "t"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_evidence_is_checked_stored_by_hash_and_downloaded_with_the_actions_authorisation(api: Api) -> None:
    review = _review(api)
    action = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2030-01-31")
    lead = api.as_("agency_safeguarding_lead:police")
    uploaded = lead.post(
        f"/api/v1/actions/{action['id']}/evidence",
        files={"file": ("audit.pdf", PDF, "application/pdf")},
        data={"description": "April audit"},
    )
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()
    assert evidence["size_bytes"] == len(PDF) and len(evidence["sha256"]) == 64

    disguised = lead.post(
        f"/api/v1/actions/{action['id']}/evidence", files={"file": ("x.pdf", b"MZ\x90\x00binary", "application/pdf")}
    )
    assert disguised.status_code == 422 and "not application/pdf" in disguised.text
    script = lead.post(f"/api/v1/actions/{action['id']}/evidence", files={"file": ("x.html", b"<script>", "text/html")})
    assert script.status_code == 422 and "not accepted" in script.text
    other_agency = api.as_("agency_safeguarding_lead:health").post(
        f"/api/v1/actions/{action['id']}/evidence", files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert other_agency.status_code == 404
    listed = api.as_("business_manager").get(f"/api/v1/actions/{action['id']}/evidence").json()
    # the refused uploads left nothing behind
    assert [e["id"] for e in listed["items"]] == [evidence["id"]] and listed["next_cursor"] is None

    download = lead.get(f"/api/v1/evidence/{evidence['id']}/content")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="audit.pdf"' in download.headers["content-disposition"]
    assert (
        api.as_("agency_safeguarding_lead:health").get(f"/api/v1/evidence/{evidence['id']}/content").status_code == 404
    )
    audit = api.as_("partnership_admin").get("/api/v1/audit-events", params={"object_type": "evidence"}).json()
    assert "evidence.uploaded" in {e["action"] for e in audit["items"]}
    looks = api.as_("partnership_admin").get("/api/v1/access-events", params={"kind": "evidence.read"}).json()
    assert [(e["object_id"], e["actor_id"]) for e in looks["items"]] == [
        (evidence["id"], api.user_id("agency_safeguarding_lead:police"))
    ]  # the refused download left no entry
    assert _action(api, action["id"])["evidence_count"] == 1


def test_themes_are_a_managed_taxonomy(api: Api) -> None:
    manager = api.as_("business_manager")
    codes = [t["code"] for t in manager.get("/api/v1/themes").json()["items"]]
    assert {"neglect", "information_sharing", "professional_curiosity", "voice_of_the_child"} <= set(codes)
    created = manager.post("/api/v1/themes", json={"code": "cumulative_harm", "label": "Cumulative harm"})
    assert created.status_code == 201
    assert manager.post("/api/v1/themes", json={"code": "cumulative_harm", "label": "Again"}).status_code == 409
    assert manager.patch("/api/v1/themes/cumulative_harm", json={"active": False}).status_code == 200
    review = _review(api)
    refused = manager.post(
        f"/api/v1/cases/{review['id']}/recommendations",
        json={"finding": "f", "text": "t", "themes": ["cumulative_harm", "made_up"], "principles": ["kindness"]},
    )
    assert refused.status_code == 422
    messages = [e["message"] for e in refused.json()["errors"]]
    assert any("made_up" in m for m in messages) and any("retired" in m for m in messages)
    listed = api.as_("business_manager").get("/api/v1/recommendations", params={"case_id": review["id"]}).json()
    assert listed["items"] == []  # nothing was recorded
    assert "cumulative_harm" not in [t["code"] for t in manager.get("/api/v1/themes").json()["items"]]


def test_a_moot_escalation_neither_keeps_the_action_open_nor_brings_back_stale_values(api: Api) -> None:
    # The overdue escalation copied the action's data when its timer fired. Once the outcome is reported it is
    # moot: it closes by itself, its old copy of the data is dropped, and the action closes on assurance.
    review = _review(api)
    action = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2026-02-27")
    case_id = action["case_id"]
    [chase] = open_tasks(api, case_id, "Task_ChaseOverdueAction")
    _report(api, case_id, "not_implemented", "2026-03-02", not_implemented_reason="service decommissioned")
    assert open_tasks(api, case_id, "Task_ChaseOverdueAction") == []
    [why] = api.as_("business_manager").get(f"/api/v1/tasks/{chase['id']}").json()["messages"]
    assert why["code"] == "escalation.resolved" and "'Report the action's outcome' was completed" in why["text"]
    assert _action(api, action["id"])["status"] == "awaiting_assurance"
    complete(api, case_id, "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "agreed"})
    closed = get_case(api, case_id)
    assert closed["status"] == "closed"
    assert closed["record"]["action_status"] == "not_implemented"
    assert closed["record"]["not_implemented_reason"] == "service decommissioned"
    assert _action(api, action["id"])["status"] == "not_implemented"
    assert ended_at(api, case_id) == ["EndEvent_NotImplemented"]


def test_an_earlier_review_raising_the_same_theme_is_named_whatever_became_of_its_actions(
    api: Api, db_url: str
) -> None:
    from tests.helpers import add_person

    first = _review(api, "2025-03-03")
    earlier = _recommend(api, first["id"], ["information_sharing"])
    _act(api, earlier["id"], due="2030-01-31")  # still open: no completed action to recur against
    second = _review(api, "2026-06-01")
    later = _recommend(api, second["id"], ["information_sharing", "neglect"])

    assert later["recurring_themes"] == []  # the old rule sees nothing
    (raised,) = later["raised_earlier"]
    assert (raised["theme"], raised["earlier_review"], raised["earlier_recommendation_number"]) == (
        "information_sharing",
        first["reference"],
        earlier["number"],
    )
    assert raised["earlier_action_statuses"] and later["raised_earlier_more"] == 0
    assert earlier["raised_earlier"] == []  # nothing came before it
    # A member of the later review only is told that an earlier review exists, never which.
    outsider = add_person(api, db_url, "case_review_group_member")
    api.as_("business_manager").post(
        f"/api/v1/cases/{second['id']}/members", json={"user_id": api.user_id(outsider), "case_role": "panel_member"}
    )
    seen = api.as_(outsider).get(f"/api/v1/recommendations/{later['id']}").json()
    assert [r["earlier_review"] for r in seen["raised_earlier"]] == ["a review you are not involved in"]
