"""The training programme over HTTP: courses, trainees, selection, the register, follow-up, evaluation, refreshers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlmodel import select

from service.access.principal import Principal
from service.db.session import unit_of_work
from service.models import LearningItem, Partnership, User
from service.training.courses import course_changes_for_learning_item
from tests.conftest import Api
from tests.helpers import clock, complete, ended_at, get_case, open_tasks

BM = "business_manager"
LEAD = "agency_safeguarding_lead:"


def _post(api: Api, token: str, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = api.as_(token).post(url, json=body)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def _course(api: Api, code: str, level: int, **fields: Any) -> dict[str, Any]:
    return _post(api, BM, "/api/v1/courses", {"code": code, "title": f"Course {code}", "level": level, **fields})


def _trainee(api: Api, name: str, agency: str, *, role: str = "nurse", is_dsl: bool = False) -> str:
    body: dict[str, Any] = {
        "name": name,
        "email": f"{name.lower().replace(' ', '.')}@{agency}.example",
        "agency": agency,
    }
    body |= {"role": role, "is_dsl": is_dsl, "supervisor_name": "S. Visor"}
    return str(_post(api, LEAD + agency, "/api/v1/trainees", body)["id"])


def _external(api: Api, trainee_id: str, agency: str, completed_on: str, **fields: Any) -> dict[str, Any]:
    url = f"/api/v1/trainees/{trainee_id}/training-records"
    return _post(api, LEAD + agency, url, {"completed_on": completed_on, **fields})


def _event(api: Api, code: str, starts_at: str, ends_at: str, capacity: int) -> dict[str, Any]:
    body = {"starts_at": starts_at, "ends_at": ends_at, "capacity": capacity, "venue": "Town Hall"}
    return _post(api, BM, f"/api/v1/courses/{code}/events", body)


def _nominate(api: Api, event_id: str, trainee_id: str, agency: str, group: str | None = None) -> str:
    body = {"trainee_id": trainee_id, "target_group": group}
    return str(_post(api, LEAD + agency, f"/api/v1/training-events/{event_id}/nominations", body)["id"])


def test_an_event_runs_from_nominations_to_the_three_month_follow_up_and_evaluation(api: Api) -> None:
    _course(api, "L1-BASICS", 1, target_groups=["group_1", "group_2"])
    neglect = _course(
        api, "L3-NEGLECT", 3, target_groups=["group_2", "group_3", "role:social worker"], prerequisites=["L1-BASICS"]
    )
    assert neglect["prerequisites"] == ["L1-BASICS"] and neglect["changes"] == []
    people = {
        "P1": ("police", "detective"),
        "P2": ("police", "detective"),
        "P3": ("police", "detective"),
        "H1": ("health", "nurse"),
        "L1": ("la", "Social  Worker"),
        "E1": ("education", "teacher"),
        "A1": ("asc", "care manager"),
        "B1": ("probation", "probation officer"),
    }
    ids = {name: _trainee(api, f"Trainee {name}", agency, role=role) for name, (agency, role) in people.items()}
    for name, (agency, _) in people.items():
        if name != "H1":  # H1 has not done the level 1 prerequisite
            _external(api, ids[name], agency, "2025-03-03", course_code="L1-BASICS")

    # Thursday 2 April 2026, before Easter: 4 places, so at most 2 (0.5 of 4) for any one agency.
    event = _event(api, "L3-NEGLECT", "2026-04-02T09:30:00+01:00", "2026-04-02T16:30:00+01:00", 4)
    event_id, case_id = event["id"], event["case_id"]
    assert event["case_reference"].startswith("TRN-") and event["status"] == "nominations_open"
    assert event["stages"] == ["Nominations"]
    groups = {"P1": "group_3", "P2": "group_3", "P3": "group_3", "H1": "group_2", "L1": None, "E1": "group_1"}
    nominations = {n: _nominate(api, event_id, ids[n], people[n][0], groups.get(n, "group_2")) for n in people}

    # The selection task is completed only through the selection endpoint, which checks the nominations.
    select_task = open_tasks(api, case_id, "Task_CloseNominationsAndSelect")[0]
    refused = api.as_(BM).post(
        f"/api/v1/tasks/{select_task['id']}/complete", json={"data": {"selected_count": 9, "refused_count": 0}}
    )
    assert refused.status_code == 409, refused.text
    # Only the business manager selects.
    assert api.as_("case_review_group_member").post(f"/api/v1/training-events/{event_id}/selection").status_code == 403

    selected = _post(api, BM, f"/api/v1/training-events/{event_id}/selection", {}, status=200)
    outcome = {n["trainee_name"].split()[-1]: (n["status"], n["refusal_reason"]) for n in selected["nominations"]}
    assert outcome == {
        "P1": ("confirmed", None),
        "P2": ("confirmed", None),
        "P3": ("refused", "inter-agency mix"),  # a third police place would be over half of the 4
        "H1": ("refused", "missing prerequisite L1-BASICS"),
        "L1": ("confirmed", None),  # no target group given, but a social worker: the course names that role
        "E1": ("refused", "target group: not an audience of this course"),
        "A1": ("confirmed", None),
        "B1": ("refused", "event full"),
    }
    assert selected["counts"] == {"confirmed": 4, "refused": 4} and selected["status"] == "places_confirmed"
    assert selected["stages"] == ["Delivery"]
    case = get_case(api, case_id)
    assert case["record"]["selected_count"] == 4 and case["record"]["refused_count"] == 4
    assert _post(api, BM, f"/api/v1/training-events/{event_id}/selection", {}, status=409)

    # A register that leaves out a confirmed place is refused and changes nothing.
    register = [
        {"nomination_id": nominations["P1"], "attended": True, "pre_confidence": 2, "post_confidence": 4,
         "reaction_score": 5},
        {"nomination_id": nominations["P2"], "attended": True, "pre_confidence": 3, "post_confidence": 4,
         "reaction_score": 4},
        {"nomination_id": nominations["L1"], "attended": True, "pre_confidence": 1, "post_confidence": 4,
         "reaction_score": 4},
    ]  # fmt: skip
    bad = api.as_(BM).post(f"/api/v1/training-events/{event_id}/attendance", json={"entries": register})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert any("Trainee A1" in e["message"] for e in bad.json()["errors"])
    assert api.as_(BM).get(f"/api/v1/training-events/{event_id}").json()["status"] == "places_confirmed"
    assert len(open_tasks(api, case_id, "Task_TakeAttendanceRegister")) == 1

    register.append({"nomination_id": nominations["A1"], "attended": False})
    body = {"entries": register, "taken_on": "2026-04-08"}
    delivered = _post(api, BM, f"/api/v1/training-events/{event_id}/attendance", body, status=200)
    assert delivered["status"] == "delivered" and delivered["attended"] == 3
    assert delivered["evaluation"]["reaction"] == {"responses": 3, "mean_reaction_score": 4.33}  # 13 / 3
    assert delivered["evaluation"]["learning"] == {
        "responses": 3,
        "mean_pre_confidence": 2.0,  # (2 + 3 + 1) / 3
        "mean_post_confidence": 4.0,
        "mean_change": 2.0,
    }
    case = get_case(api, case_id)
    # 5 working days after Thu 2 April 2026, skipping Good Friday 3 and Easter Monday 6 April: Mon 13 April.
    assert clock(case, "register")["due_date"] == "2026-04-13" and clock(case, "register")["status"] == "met"
    # The follow-up opens 3 months after the event (2 July 2026) and the evaluation is due a month later.
    assert clock(case, "evaluation")["due_date"] == "2026-08-02"

    # Attendees' training records: level 3 on the day of the event.
    p1 = api.as_(LEAD + "police").get(f"/api/v1/trainees/{ids['P1']}").json()
    assert [(r["course_code"], r["level"], r["completed_on"], r["source"]) for r in p1["records"]] == [
        ("L3-NEGLECT", 3, "2026-04-02", "event"),
        ("L1-BASICS", 1, "2025-03-03", "external"),
    ]

    # 2 July 2026 has passed, so the follow-up timer has fired: one task per attendee, for their agency's lead.
    follow_ups = open_tasks(api, case_id, "Task_FollowUpWithAttendee")
    assert sorted(t["agency"] for t in follow_ups) == ["la", "police", "police"]
    assert {t["role"] for t in follow_ups} == {"agency_safeguarding_lead"}
    assert get_case(api, case_id)["stages"] == ["Follow-up"]
    # Someone without the lane's role cannot complete it.
    answers: dict[str, Any] = {
        "behaviour_change": "some",
        "practice_example": "Used the neglect toolkit at a home visit",
    }
    answers |= {"supervisor_name": "S. Visor", "supervisor_confirms": True}
    denied = api.as_(BM).post(f"/api/v1/tasks/{follow_ups[0]['id']}/complete", json={"data": answers})
    assert denied.status_code == 403, denied.text

    complete(api, case_id, "Task_FollowUpWithAttendee", answers, agency="la")
    police = [t for t in open_tasks(api, case_id, "Task_FollowUpWithAttendee") if t["agency"] == "police"]
    extras: list[dict[str, Any]] = [
        {"behaviour_change": "significant", "outcome_link": "Neglect referrals now include a chronology"},
        {"supervisor_confirms": False},
    ]
    for task, extra in zip(police, extras, strict=True):
        done = api.as_(LEAD + "police").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": answers | extra})
        assert done.status_code == 200, done.text
    assert get_case(api, case_id)["stages"] == ["Evaluation"]
    evaluation = {
        "evaluation_summary": "Well received; confidence up by 2 on average; practice changed for all three",
        "results_summary": "Chronologies in neglect referrals",
        "course_change_needed": False,
        "evaluated_at": "2026-07-20",
    }
    complete(api, case_id, "Task_EvaluateEvent", evaluation)
    assert ended_at(api, case_id) == ["EndEvent_Evaluated"]
    final = api.as_(BM).get(f"/api/v1/training-events/{event_id}").json()["evaluation"]
    assert final["behaviour"] == {
        "follow_ups_open": 0,
        "follow_ups_completed": 3,
        "by_behaviour_change": {"none": 0, "some": 2, "significant": 1},
        "supervisor_confirmed": 2,
    }
    assert final["results"]["outcome_links"] == ["Neglect referrals now include a chronology"]
    assert final["results"]["course_change_needed"] is False
    case = get_case(api, case_id)
    assert clock(case, "evaluation")["status"] == "met"
    assert case["record"]["attendee_count"] == 3 and case["record"]["evaluated_at"] == "2026-07-20"


def test_an_event_with_a_recent_date_waits_for_its_follow_up(api: Api) -> None:
    _course(api, "L2-SHARING", 2)
    trainee = _trainee(api, "Recent One", "health")
    day = dt.datetime.now(ZoneInfo("Europe/London")).date() - dt.timedelta(days=7)
    event = _event(api, "L2-SHARING", f"{day}T09:00:00+00:00", f"{day}T12:00:00+00:00", 10)
    nomination = _nominate(api, event["id"], trainee, "health", "group_2")
    _post(api, BM, f"/api/v1/training-events/{event['id']}/selection", {}, status=200)
    entries = [{"nomination_id": nomination, "attended": True, "pre_confidence": 3, "post_confidence": 3}]
    _post(api, BM, f"/api/v1/training-events/{event['id']}/attendance", {"entries": entries}, status=200)
    case = get_case(api, event["case_id"])
    assert case["stages"] == ["Waiting: Follow-up due"]
    assert open_tasks(api, event["case_id"]) == []
    # The evaluation falls due 3 + 1 months after the event.
    assert clock(case, "evaluation")["due_date"] == (day + relativedelta(months=4)).isoformat()


def test_refreshers_follow_the_dsl_and_other_staff_intervals_and_agencies_see_their_own(api: Api) -> None:
    _course(api, "L3-DSL", 3)
    dsl = _trainee(api, "Dee Lead", "education", role="designated safeguarding lead", is_dsl=True)
    teacher = _trainee(api, "Tom Teacher", "education", role="teacher")
    nurse = _trainee(api, "Nina Nurse", "health")
    _external(api, dsl, "education", "2021-05-01", course_code="L3-DSL")
    _external(api, dsl, "education", "2024-01-10", course_code="L3-DSL")  # the latest at level 3 counts
    _external(api, teacher, "education", "2024-01-10", level=3, description="Level 3 with a private provider")
    _external(api, nurse, "health", "2025-06-30", level=2, description="Trust e-learning")

    # A DSL refreshes every 2 years: 2024-01-10 + 2 years = 2026-01-10, long past.
    detail = api.as_(LEAD + "education").get(f"/api/v1/trainees/{dsl}").json()
    assert [(r["level"], r["last_completed_on"], r["due_on"], r["status"]) for r in detail["refreshers"]] == [
        (3, "2024-01-10", "2026-01-10", "overdue")
    ]
    # Other staff every 3 years: 2024-01-10 + 3 years = 2027-01-10.
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    due = dt.date(2027, 1, 10)
    expected = "overdue" if due < today else "due_soon" if (due - today).days <= 30 else "current"
    rows = api.as_(BM).get("/api/v1/training/refreshers", params={"agency": "education", "within_days": 30}).json()
    assert [(r["trainee_name"], r["due_on"], r["status"]) for r in rows["items"]] == [
        ("Dee Lead", "2026-01-10", "overdue"),
        ("Tom Teacher", "2027-01-10", expected),
    ]
    overdue = api.as_(BM).get("/api/v1/training/refreshers", params={"status": "overdue"}).json()["items"]
    assert "Dee Lead" in [r["trainee_name"] for r in overdue]
    assert "Nina Nurse" not in [r["trainee_name"] for r in overdue]  # 2025-06-30 + 3 years = 2028-06-30
    page = api.as_(BM).get("/api/v1/training/refreshers", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"] == "1"

    # Agency leads see their own agency's trainees and refreshers only.
    health = api.as_(LEAD + "health")
    assert [t["name"] for t in health.get("/api/v1/trainees").json()["items"]] == ["Nina Nurse"]
    assert [r["trainee_name"] for r in health.get("/api/v1/training/refreshers").json()["items"]] == ["Nina Nurse"]
    assert health.get("/api/v1/training/refreshers", params={"agency": "education"}).status_code == 403
    assert health.get(f"/api/v1/trainees/{dsl}").status_code == 404
    assert (
        health.post(f"/api/v1/trainees/{dsl}/training-records", json={"completed_on": "2025-01-01"}).status_code == 404
    )
    other_agency = {"name": "X", "email": "x@police.example", "agency": "police", "role": "officer"}
    assert health.post("/api/v1/trainees", json=other_agency).status_code == 403
    # Another partnership sees nothing of ours.
    other = api.as_("other")
    assert other.get(f"/api/v1/trainees/{dsl}").status_code == 404
    assert other.get("/api/v1/courses/L3-DSL").status_code == 404
    assert other.get("/api/v1/trainees").json()["items"] == []


def test_a_course_change_citing_a_learning_item_is_embedding_evidence(api: Api, db_url: str) -> None:
    _course(api, "L2-NEGLECT", 2)
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        other = session.exec(select(Partnership).where(Partnership.key == "elsewhere")).one()
        item = LearningItem(
            partnership_id=partnership.id, title="Cumulative neglect", summary="s", kind="lesson", source_type="sar"
        )
        foreign = LearningItem(partnership_id=other.id, title="Theirs", summary="s", kind="lesson", source_type="sar")
        session.add(item)
        session.add(foreign)
        session.flush()
        item_id, foreign_id = item.id, foreign.id
        bm = session.exec(select(User).where(User.email == "business.manager@northshire.example")).one()
        bm_id, partnership_id, other_id = bm.id, partnership.id, other.id

    cited = {"learning_item_id": str(item_id), "change_summary": "Added a module on cumulative harm"}
    changed = api.as_(BM).patch("/api/v1/courses/L2-NEGLECT", json={"level": 3, **cited})
    assert changed.status_code == 200, changed.text
    assert changed.json()["level"] == 3
    assert [(c["learning_item_id"], c["summary"]) for c in changed.json()["changes"]] == [
        (str(item_id), "Added a module on cumulative harm")
    ]
    # Another partnership's learning item cannot be cited; nothing changes.
    foreign_cite = {"level": 4, "learning_item_id": str(foreign_id), "change_summary": "x"}
    assert api.as_(BM).patch("/api/v1/courses/L2-NEGLECT", json=foreign_cite).status_code == 422
    assert api.as_(BM).get("/api/v1/courses/L2-NEGLECT").json()["level"] == 3

    with unit_of_work(url=db_url) as session:
        mine = Principal(user_id=bm_id, partnership_id=partnership_id, name="BM", roles=frozenset({BM}))
        found = course_changes_for_learning_item(session, mine, item_id)
        assert [(c.course_code, c.change.summary) for c in found] == [
            ("L2-NEGLECT", "Added a module on cumulative harm")
        ]
        theirs = Principal(user_id=uuid.uuid4(), partnership_id=other_id, name="O", roles=frozenset({BM}))
        assert course_changes_for_learning_item(session, theirs, item_id) == []


def test_bad_input_gives_problems_and_changes_nothing(api: Api) -> None:
    bad = api.as_(BM).post(
        "/api/v1/courses",
        json={"code": "L9", "title": "T", "level": 2, "target_groups": ["group_9"], "prerequisites": ["NOPE"]},
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} == {"target_groups.0", "prerequisites.0"}
    assert api.as_(BM).post("/api/v1/courses", json={"code": "L9", "title": "T", "level": 7}).status_code == 422
    assert api.as_(BM).get("/api/v1/courses").json() == {"items": [], "next_cursor": None}
    # Agency leads read courses but do not manage them.
    lead_course = api.as_(LEAD + "police").post("/api/v1/courses", json={"code": "L1", "title": "T", "level": 1})
    assert lead_course.status_code == 403

    _course(api, "L1-INTRO", 1)
    times = {"starts_at": "2026-04-02T16:00:00+01:00", "ends_at": "2026-04-02T09:00:00+01:00", "capacity": 5}
    event = api.as_(BM).post("/api/v1/courses/L1-INTRO/events", json={**times, "online": True})
    assert event.status_code == 422 and event.json()["errors"][0]["field"] == "ends_at"
    assert api.as_(BM).get("/api/v1/cases", params={"case_type": "training_event"}).json()["items"] == []

    unknown = {"name": "N", "email": "n@x.example", "agency": "fire", "role": "officer"}
    assert api.as_(BM).post("/api/v1/trainees", json=unknown).status_code == 422
    assert api.as_(BM).get("/api/v1/trainees").json()["items"] == []
    trainee = _trainee(api, "Ann Officer", "police")
    future = api.as_(BM).post(
        f"/api/v1/trainees/{trainee}/training-records", json={"completed_on": "2999-01-01", "level": 1}
    )
    assert future.status_code == 422
    assert api.as_(BM).get(f"/api/v1/trainees/{trainee}").json()["records"] == []
    online = api.as_(BM).post(
        "/api/v1/courses/L1-INTRO/events",
        json={"starts_at": "2026-04-02T09:00:00+01:00", "ends_at": "2026-04-02T12:00:00+01:00", "capacity": 5,
              "online": True},
    )  # fmt: skip
    assert online.status_code == 201
    bad_group = {"trainee_id": trainee, "target_group": "group_0"}
    nominated = api.as_(BM).post(f"/api/v1/training-events/{online.json()['id']}/nominations", json=bad_group)
    assert nominated.status_code == 422
    assert api.as_(BM).get(f"/api/v1/training-events/{online.json()['id']}").json()["counts"] == {}


def test_the_programme_lists_events_and_a_nomination_can_be_withdrawn_before_the_register(api: Api) -> None:
    _course(api, "L1-A", 1)
    _course(api, "L2-B", 2)
    first = _event(api, "L1-A", "2026-03-02T09:00:00+00:00", "2026-03-02T12:00:00+00:00", 10)
    second = _event(api, "L2-B", "2030-03-04T09:00:00+00:00", "2030-03-04T12:00:00+00:00", 10)

    def listed(**params: str) -> list[str]:
        response = api.as_(LEAD + "police").get("/api/v1/training-events", params=params)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["items"]]

    assert listed() == [first["id"], second["id"]]
    assert listed(course="L2-B") == [second["id"]]
    assert listed(upcoming="true") == [second["id"]]
    assert listed(status="nominations_open", upcoming="false") == [first["id"]]

    keep, leave = _trainee(api, "Kay Keep", "police"), _trainee(api, "Lee Leave", "police")
    kept = _nominate(api, first["id"], keep, "police")
    left = _nominate(api, first["id"], leave, "police")
    url = f"/api/v1/training-events/{first['id']}/nominations/{left}/withdraw"
    assert api.as_(LEAD + "health").post(url).status_code == 404  # not health's nomination
    assert _post(api, LEAD + "police", url, {}, status=200)["status"] == "withdrawn"
    assert api.as_(LEAD + "police").post(url).status_code == 409  # already withdrawn
    _post(api, BM, f"/api/v1/training-events/{first['id']}/selection", {}, status=200)
    # The register expects only the remaining confirmed place.
    entries = [{"nomination_id": kept, "attended": True, "pre_confidence": 2, "post_confidence": 4}]
    event = _post(api, BM, f"/api/v1/training-events/{first['id']}/attendance", {"entries": entries}, status=200)
    assert event["attended"] == 1
    assert (
        api.as_(LEAD + "police").post(f"/api/v1/training-events/{first['id']}/nominations/{kept}/withdraw").status_code
        == 409
    )  # the register has been taken
