"""Action webhook events, the partnership settings API and the standard review record."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select

from service.config import get_settings
from service.db.session import unit_of_work
from service.engine.functions import add_working_days, today
from service.models import WebhookEvent
from service.tasks import deadlines
from tests.api.test_action_plans import _act, _recommend, _report, _review
from tests.conftest import Api
from tests.helpers import complete, get_case


@pytest.fixture(autouse=True)
def _allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
    get_settings.cache_clear()


def _events(db_url: str) -> list[tuple[str, str, str]]:
    with unit_of_work(write=False, url=db_url) as session:
        rows = session.exec(
            select(WebhookEvent)
            .where(col(WebhookEvent.event_type).startswith("action."))
            .order_by(col(WebhookEvent.seq))
        ).all()
        return [
            (r.event_type, json.loads(r.body)["data"]["status"], json.loads(r.body)["data"]["owner_agency"])
            for r in rows
        ]


def test_action_overdue_and_closed_reach_the_owning_agencys_subscription_once(api: Api, db_url: str) -> None:
    for agency in ("police", "health"):
        response = api.as_("partnership_admin").post(
            "/api/v1/webhooks/subscriptions",
            json={
                "url": "http://127.0.0.1:9/hook",
                "event_types": ["action.overdue", "action.closed"],
                "agency": agency,
            },
        )
        assert response.status_code == 201, response.text
    review = _review(api)
    action = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2026-02-27")
    assert _events(db_url) == [("action.overdue", "in_progress", "police")]
    _report(api, action["case_id"], "not_implemented", "2026-03-02", not_implemented_reason="decommissioned")
    complete(api, action["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "agreed"})
    assert _events(db_url) == [
        ("action.overdue", "in_progress", "police"),
        ("action.closed", "not_implemented", "police"),
    ]
    with unit_of_work(write=False, url=db_url) as session:
        events = session.exec(select(WebhookEvent).where(col(WebhookEvent.event_type).startswith("action."))).all()
        assert {e.agency_code for e in events} == {"police"}  # the health subscription receives none of them


def test_settings_are_read_by_anyone_changed_by_the_admin_and_used_by_new_cases(api: Api) -> None:
    settings = api.as_("business_manager").get("/api/v1/partnership/settings")
    assert settings.status_code == 200
    assert settings.json()["sar_completion_months"] == 6 and settings.json()["action_recheck_months"] == [6, 12]
    assert (
        api.as_("business_manager").patch("/api/v1/partnership/settings", json={"sar_completion_months": 9}).status_code
        == 403
    )
    bad = api.as_("partnership_admin").patch(
        "/api/v1/partnership/settings", json={"sar_completion_months": 0, "no_such_setting": 1}
    )
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["no_such_setting"]
    bad = api.as_("partnership_admin").patch("/api/v1/partnership/settings", json={"sar_completion_months": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "sar_completion_months"
    decreasing = api.as_("partnership_admin").patch(
        "/api/v1/partnership/settings", json={"action_recheck_months": [12, 6]}
    )
    assert decreasing.status_code == 422
    assert api.as_("business_manager").get("/api/v1/partnership/settings").json()["sar_completion_months"] == 6
    changed = api.as_("partnership_admin").patch(
        "/api/v1/partnership/settings", json={"action_recheck_months": [3], "recurring_theme_window_years": 5}
    )
    assert changed.status_code == 200 and changed.json()["action_recheck_months"] == [3]
    # A new action gets one re-check, 3 months after completion (27 Nov 2026 + 3 months = 27 Feb 2027).
    review = _review(api)
    action = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2030-01-31")
    _report(api, action["case_id"], "completed", "2026-11-27")
    complete(api, action["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "ok"})
    assert api.as_("business_manager").get(f"/api/v1/actions/{action['id']}").json()["next_recheck_on"] == "2027-02-27"
    audit = api.as_("partnership_admin").get("/api/v1/audit-events", params={"object_type": "partnership"}).json()
    assert "partnership.settings_changed" in {e["action"] for e in audit["items"]}


def test_the_review_record_gathers_the_standard_fields_and_the_time_taken(api: Api) -> None:
    case = get_case(api, _review(api, "2026-01-05")["id"])
    record = case["review_record"]
    assert record["referral_date"] == "2026-01-05"
    assert record["legal_mandate"] == "Test mandate"  # the process's legalMandate property
    assert record["involved_agencies"] == ["police", "health"]
    assert record["completed"] is False and record["time_taken_days"] > 300  # still running, counted to today


def test_case_types_opened_by_their_own_record_are_refused_at_post_cases(api: Api) -> None:
    types = {t["key"]: t for t in api.as_("business_manager").get("/api/v1/case-types").json()["items"]}
    assert types["learning_item"]["opened_by"] == "POST /api/v1/learning-items"
    assert types["sar"]["opened_by"] is None
    for case_type in ("action", "learning_item", "training_event"):
        refused = api.as_("business_manager").post(
            "/api/v1/cases",
            json={"case_type": case_type, "title": "t", "subject_pseudonym": "n/a", "data": {}},
        )
        assert refused.status_code == 409, refused.text
        assert types[case_type]["opened_by"] in refused.json()["detail"]


def test_an_action_due_soon_is_announced_once_to_its_agency(api: Api, db_url: str) -> None:
    response = api.as_("partnership_admin").post(
        "/api/v1/webhooks/subscriptions",
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["action.due_soon"], "agency": "police"},
    )
    assert response.status_code == 201, response.text
    review = _review(api)
    _act(api, _recommend(api, review["id"], ["neglect"])["id"], due=add_working_days(today(), 1))
    _act(api, _recommend(api, review["id"], ["recording"])["id"], due="2030-01-31")  # not due soon
    for _ in range(2):
        with unit_of_work(url=db_url) as session:
            deadlines.scan(session)
    assert _events(db_url) == [("action.due_soon", "in_progress", "police")]
