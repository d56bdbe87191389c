"""A learning item from a review goes round the learning loop twice: no impact the first time, impact the second."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from service.config import get_settings
from service.db.session import unit_of_work
from service.models import WebhookEvent
from tests.conftest import Api
from tests.helpers import complete, ended_at, get_case, open_review, open_tasks


@pytest.fixture(autouse=True)
def _allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()


def _item(api: Api, item_id: str) -> dict[str, Any]:
    response = api.as_("business_manager").get(f"/api/v1/learning-items/{item_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _disseminate(api: Api, case_id: str, activities: list[tuple[str, int]]) -> None:
    for number, (channel, reach) in enumerate(activities, start=1):
        complete(
            api,
            case_id,
            "Task_RecordDissemination",
            {
                "channel": channel,
                "activity_date": f"2026-05-0{number}",
                "audience": "frontline practitioners, all agencies",
                "reach": reach,
                "more_activities": number < len(activities),
            },
        )


def _embed_and_evaluate(api: Api, case_id: str, outcome: str, **extra: Any) -> None:
    complete(
        api,
        case_id,
        "Task_RecordEmbedding",
        {
            "evidence_kind": "procedure_revised",
            "embedding_summary": "escalation procedure revised",
            "embedded_at": "2026-06-01",
        },
    )
    complete(
        api,
        case_id,
        "Task_EvaluateImpact",
        {
            "evaluation_method": "targeted_audit",
            "evaluated_at": "2026-09-01",
            "outcome": outcome,
            "evaluation_summary": "re-audit of 20 cases",
            **extra,
        },
    )


def test_learning_from_a_review_goes_round_twice_and_agencies_confirm_their_cascade(api: Api, db_url: str) -> None:
    subscription = api.as_("partnership_admin").post(
        "/api/v1/webhooks/subscriptions",
        json={
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["learning_item.dissemination_requested"],
            "agency": "police",
        },
    )
    assert subscription.status_code == 201, subscription.text
    review = open_review(api, "multi_agency_learning_review", referral_date="2026-01-05")
    recommendation = (
        api.as_("business_manager")
        .post(
            f"/api/v1/cases/{review['id']}/recommendations",
            json={
                "finding": "Nobody asked about the new partner",
                "text": "Be curious",
                "themes": ["professional_curiosity"],
            },
        )
        .json()
    )
    created = api.as_("business_manager").post(
        "/api/v1/learning-items",
        json={
            "title": "Ask who else lives in the home",
            "summary": "Practitioners accepted the mother's account without asking about the new partner.",
            "kind": "lesson",
            "source_type": "review",
            "source_recommendation_id": recommendation["id"],
            "themes": ["professional_curiosity", "fathers_and_significant_males"],
            "principles": ["protection"],
            "audience_agencies": ["police", "health"],
            "audience_levels": [2, 3],
        },
    )
    assert created.status_code == 201, created.text
    item = created.json()
    case_id = item["case_id"]
    assert (item["stage"], item["loop_count"], item["source_case_id"]) == ("identified", 1, review["id"])
    assert {"relation": "learning_identified", "direction": "opened"}.items() <= get_case(api, review["id"])["links"][
        0
    ].items()

    # Round 1: planned, two activities, both agencies cascade, embedded, but the re-audit finds no impact.
    complete(
        api,
        case_id,
        "Task_PlanDissemination",
        {"dissemination_plan": "7-minute briefing, newsletter", "cascade_to_agencies": True},
    )
    _disseminate(api, case_id, [("seven_minute_briefing", 240), ("newsletter", 1200)])
    cascades = open_tasks(api, case_id, "Task_ConfirmCascade")
    assert sorted(t["agency"] for t in cascades) == ["health", "police"]
    for agency in ("police", "health"):
        complete(
            api,
            case_id,
            "Task_ConfirmCascade",
            {"cascaded_at": "2026-05-20", "cascade_method": "team_briefing", "staff_reached": 35},
            agency=agency,
        )
    assert _item(api, item["id"])["stage"] == "disseminated"
    _embed_and_evaluate(api, case_id, "not_evidenced", raise_action=True)
    # A new action is raised on the learning item's own case, then the item goes round again.
    new_rec = (
        api.as_("business_manager")
        .post(
            f"/api/v1/cases/{case_id}/recommendations",
            json={
                "finding": "Briefings did not change practice",
                "text": "Add to supervision",
                "themes": ["professional_curiosity"],
            },
        )
        .json()
    )
    action = api.as_("business_manager").post(
        f"/api/v1/recommendations/{new_rec['id']}/actions",
        json={
            "owner_agency": "health",
            "lead_name": "Named nurse",
            "description": "Supervision prompt on household members by October",
            "due_date": "2030-10-31",
            "impact_measure": "audit: household members recorded",
            "baseline": "30%",
        },
    )
    assert action.status_code == 201, action.text
    complete(api, case_id, "Task_RaiseAction", {"action_reference": action.json()["review_reference"] + "/1.1"})
    again = _item(api, item["id"])
    assert (again["stage"], again["loop_count"]) == ("identified", 2)

    # Round 2: one activity, no cascade this time, embedded, and the impact is evidenced.
    complete(api, case_id, "Task_PlanDissemination", {"dissemination_plan": "workshop", "cascade_to_agencies": False})
    _disseminate(api, case_id, [("workshop", 40)])
    assert open_tasks(api, case_id, "Task_ConfirmCascade") == []
    _embed_and_evaluate(api, case_id, "impact_evidenced")
    done = _item(api, item["id"])
    assert (done["stage"], done["loop_count"], done["closed_at"] is not None) == ("evaluated", 2, True)
    assert ended_at(api, case_id) == ["EndEvent_ImpactEvidenced"]
    assert [(v["stage"], v["loop"]) for v in done["visits"]] == [
        ("identified", 1),
        ("disseminated", 1),
        ("embedded", 1),
        ("identified", 2),
        ("disseminated", 2),
        ("embedded", 2),
    ]
    assert all(v["left_at"] is not None for v in done["visits"])
    assert [d["reach"] for d in done["disseminations"]] == [240, 1200, 40]
    assert sorted((c["agency"], c["staff_reached"]) for c in done["cascades"]) == [("health", 35), ("police", 35)]
    assert [e["outcome"] for e in done["evaluations"]] == ["not_evidenced", "impact_evidenced"]
    assert len(done["embedding_evidence"]) == 2

    # Only the police subscription, once (round 1 only: round 2 asked for no cascade).
    with unit_of_work(write=False, url=db_url) as session:
        events = session.exec(
            select(WebhookEvent)
            .where(WebhookEvent.event_type == "learning_item.dissemination_requested")
            .order_by(col(WebhookEvent.seq))
        ).all()
    assert [(e.agency_code, json.loads(e.body)["data"]["loop"]) for e in events] == [("police", 1)]


def test_stage_and_time_in_stage_are_queryable_per_theme_and_source(api: Api) -> None:
    manager = api.as_("business_manager")

    def record(title: str, source_type: str, themes: list[str]) -> dict[str, Any]:
        response = manager.post(
            "/api/v1/learning-items",
            json={"title": title, "summary": "s", "kind": "finding", "source_type": source_type, "themes": themes},
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    audit_item = record("Neglect thresholds", "multi_agency_audit", ["neglect"])
    voice_item = record("Children not seen alone", "voice_of_child_or_adult", ["neglect", "voice_of_the_child"])
    complete(
        api,
        voice_item["case_id"],
        "Task_PlanDissemination",
        {"dissemination_plan": "briefing", "cascade_to_agencies": False},
    )
    _disseminate(api, voice_item["case_id"], [("briefing", 10)])

    def ids(**params: str) -> list[str]:
        response = manager.get("/api/v1/learning-items", params=params)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert ids(stage="identified") == [audit_item["id"]]
    assert ids(stage="disseminated") == [voice_item["id"]]
    assert ids(theme="neglect") == [audit_item["id"], voice_item["id"]]
    assert ids(source_type="voice_of_child_or_adult") == [voice_item["id"]]
    by_theme = manager.get("/api/v1/learning-items/stage-report", params={"group_by": "theme"}).json()
    assert by_theme["group_by"] == "theme"
    rows = {(r["group"], r["stage"]): r for r in by_theme["rows"]}
    assert rows[("neglect", "identified")]["open_items"] == 1
    assert rows[("neglect", "disseminated")]["open_items"] == 1
    assert rows[("neglect", "identified")]["completed_stays"] == 1  # the voice item left "identified"
    assert rows[("voice_of_the_child", "disseminated")]["mean_days_in_stage_open"] is not None
    by_source = manager.get("/api/v1/learning-items/stage-report", params={"group_by": "source_type"}).json()
    assert {(r["group"], r["stage"]) for r in by_source["rows"] if r["open_items"]} == {
        ("multi_agency_audit", "identified"),
        ("voice_of_child_or_adult", "disseminated"),
    }
    assert manager.get("/api/v1/learning-items/stage-report", params={"group_by": "colour"}).status_code == 422


def test_bad_learning_items_are_refused_and_change_nothing(api: Api) -> None:
    manager = api.as_("business_manager")
    refused = manager.post(
        "/api/v1/learning-items",
        json={
            "title": "t",
            "summary": "s",
            "kind": "rumour",
            "source_type": "gossip",
            "audience_agencies": ["fire"],
            "audience_levels": [7],
        },
    )
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"kind", "source_type", "audience_levels.0"} <= fields
    assert manager.get("/api/v1/learning-items").json()["items"] == []
    lead = api.as_("agency_safeguarding_lead:police").post(
        "/api/v1/learning-items", json={"title": "t", "summary": "s", "kind": "lesson", "source_type": "review"}
    )
    assert lead.status_code == 403


def test_a_course_changed_because_of_a_learning_item_counts_as_embedding_evidence(api: Api) -> None:
    manager = api.as_("business_manager")
    item = manager.post(
        "/api/v1/learning-items",
        json={"title": "Ask about new partners", "summary": "s", "kind": "lesson", "source_type": "review"},
    ).json()
    course = manager.post("/api/v1/courses", json={"code": "L3-HOUSEHOLD", "title": "Who lives here?", "level": 3})
    assert course.status_code == 201, course.text
    changed = manager.patch(
        "/api/v1/courses/L3-HOUSEHOLD",
        json={"learning_item_id": item["id"], "change_summary": "new case study on household members"},
    )
    assert changed.status_code == 200, changed.text
    detail = manager.get(f"/api/v1/learning-items/{item['id']}").json()
    assert [(c["course_code"], c["summary"]) for c in detail["course_changes"]] == [
        ("L3-HOUSEHOLD", "new case study on household members")
    ]
