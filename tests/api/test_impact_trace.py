"""The impact trace: a review driven to an evaluated learning item shows every link; gaps show where they occur."""

from __future__ import annotations

from typing import Any

from tests.api.test_action_plans import _act, _recommend
from tests.api.test_learning_loop import _disseminate, _embed_and_evaluate
from tests.conftest import Api
from tests.helpers import complete, open_review


def _close(api: Api, action: dict[str, Any], **impact: str) -> None:
    answers = {"outcome": "completed", "outcome_on": "2026-04-01", "outcome_summary": "protocol changed", **impact}
    complete(api, action["case_id"], "Task_ReportOutcome", answers, agency=action["owner_agency"])
    complete(api, action["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "seen"})


def _learning(api: Api, recommendation_id: str) -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/learning-items",
        json={
            "title": "Copy referrals to health",
            "summary": "Health did not know of the referral.",
            "kind": "lesson",
            "source_type": "review",
            "source_recommendation_id": recommendation_id,
            "themes": ["information_sharing"],
            "audience_agencies": ["police", "health"],
        },
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_review_driven_to_evaluated_learning_shows_every_link_and_each_gap(api: Api) -> None:
    review = open_review(api, "multi_agency_learning_review", referral_date="2026-01-05")
    shared = _recommend(api, review["id"], ["information_sharing"])
    evidenced = _act(api, shared["id"], due="2030-01-31")
    _close(api, evidenced, impact_evidence="copied within 24 hours: 40% to 92% (March audit)")
    item = _learning(api, shared["id"])
    complete(
        api, item["case_id"], "Task_PlanDissemination", {"dissemination_plan": "briefing", "cascade_to_agencies": False}
    )
    _disseminate(api, item["case_id"], [("seven_minute_briefing", 240)])
    _embed_and_evaluate(api, item["case_id"], "impact_evidenced")
    unevidenced = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2030-01-31", agency="health")
    _close(api, unevidenced)  # closed with no impact against its measure
    _recommend(api, review["id"], ["recording"])  # no action at all

    manager = api.as_("business_manager")
    trace = manager.get(f"/api/v1/cases/{review['id']}/impact-trace")
    assert trace.status_code == 200, trace.text
    body = trace.json()
    assert body["review"]["reference"] == review["reference"]
    first = body["findings"][0]
    assert first["themes"] == ["information_sharing"]
    action = first["actions"][0]
    assert (action["status"], action["owner_agency"], action["baseline"]) == ("completed", "police", "40% in January")
    assert action["impact_evidence"].startswith("copied within 24 hours") and action["gaps"] == []
    learning = first["learning_items"][0]
    assert learning["stage"] == "evaluated" and learning["reach"] == 240
    assert learning["dissemination"][0]["channel"] == "seven_minute_briefing"
    assert learning["embedding"][0]["evidence_kind"] == "procedure_revised"
    assert learning["evaluation"][0]["outcome"] == "impact_evidenced"
    assert first["gaps"] == []  # every link is there
    kinds = [(g["kind"], g["recommendation_number"]) for g in body["gaps"]]
    assert kinds == [("action_closed_without_impact_evidence", 2), ("recommendation_without_action", 3)]
    assert body["links"]["evaluated"] == 1 and body["links"]["actions_with_impact_evidence"] == 1

    svg = manager.get(f"/api/v1/cases/{review['id']}/impact-trace.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<?xml") and "no action" in svg.text and review["reference"] in svg.text

    # A later review raises the same themes: one after its action was closed, one whatever its actions' state.
    later = open_review(api, "multi_agency_learning_review", referral_date="2026-06-01")
    _recommend(api, later["id"], ["information_sharing", "recording"])
    again = manager.get(f"/api/v1/cases/{later['id']}/impact-trace").json()["findings"][0]
    recurring = sorted((r["kind"], r["theme"], r["earlier_review"]) for r in again["recurring"])
    assert recurring == [
        ("after_closed_action", "information_sharing", review["reference"]),
        ("raised_earlier", "recording", review["reference"]),
    ]
    assert "theme_recurring_after_closed_actions" in [g["kind"] for g in again["gaps"]]

    by_theme = manager.get("/api/v1/themes/information_sharing/impact-trace").json()
    assert [r["review"]["reference"] for r in by_theme["reviews"]] == [review["reference"], later["reference"]]
    # Outside need-to-know the trace does not exist; an involved agency's lead is told it is for members.
    assert (
        api.as_("agency_safeguarding_lead:education").get(f"/api/v1/cases/{review['id']}/impact-trace").status_code
        == 404
    )
    assert (
        api.as_("agency_safeguarding_lead:police").get(f"/api/v1/cases/{review['id']}/impact-trace").status_code == 403
    )
