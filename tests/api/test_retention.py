"""Retention over HTTP: settings, legal hold, the dry run, disposal runs and the disposal log, on the real database.

The clock is set forward with ``as_of``: the cases are closed today, and disposal is asked "as of" years later.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_, text
from sqlmodel import col, select

from service.access.policy import RECORD_CLASSES
from service.cli import main
from service.config import Settings, get_settings
from service.dataprotection.runs import today
from service.db.session import unit_of_work
from service.jobs.disposal import dispose_all
from service.models import AccessEvent, CaseSubject, Partnership
from service.sealing import seal_json
from tests.api.test_action_plans import PDF, _act, _recommend, _review
from tests.api.test_audit_summaries import _section11_with_three_returns, _tna_with_three_returns
from tests.api.test_training import _external, _trainee
from tests.conftest import Api
from tests.helpers import complete, get_case, open_review
from tests.lifecycles.test_sar import AGENCIES, NOT_MET, decide, run_review_to_publication_decision

TODAY = today()  # Europe/London, as the service counts
# Everything personal the tests write: none of it may reach the disposal log.
SECRETS = {
    "title": "Review of the death of Zebedee Quill",
    "pseudonym": "Adult Q-7731",
    "subject_name": "Zebedee Quill",
    "date_of_birth": "1961-07-14",
    "nhs_number": "943 476 5919",
    "agency_answer": "Quillfamily visited at Larkspur Lane",
    "rationale": "Quill's neighbours raised concerns",
    "filename": "quill-gp-letter.pdf",
    "file_note": "Letter from Dr Hartigan about Mr Quill",
}


@pytest.fixture
def dpo(api: Api) -> str:
    """The demo partnership's data protection officer: their token's role name."""
    assert "data_protection_officer" in api.tokens
    return "data_protection_officer"


def test_data_protection_settings_are_validated_stored_as_set_and_audited(api: Api, dpo: str, db_url: str) -> None:
    read = api.as_("case_review_group_member").get("/api/v1/partnership/data-protection")
    assert read.status_code == 200, read.text
    review_rule = read.json()["retention"]["review_case"]
    assert (review_rule["years"], review_rule["from_event"], review_rule["default"]) == (15, "case_closed", True)
    assert "15 years after closure" in review_rule["source"]
    assert tuple(read.json()["retention"]) == RECORD_CLASSES
    path = "/api/v1/partnership/data-protection"
    assert api.as_("business_manager").patch(path, json={"retention": {}}).status_code == 403
    for body, field in [
        ({"keep_forever": True}, "keep_forever"),
        ({"retention": {"diaries": {"years": 3}}}, "retention.diaries"),
        ({"retention": {"review_case": {"years": 0}}}, "retention.review_case.years"),
        ({"retention": {"review_case": {"years": 20, "from": "x"}}}, "retention.review_case.from"),
        ({"retention": {"training_record": {"from_event": "case_closed"}}}, "retention.training_record.from_event"),
    ]:
        refused = api.as_(dpo).patch(path, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert [e["field"] for e in refused.json()["errors"]] == [field]
    changed = api.as_(dpo).patch(path, json={"retention": {"review_case": {"from_event": "subject_25th_birthday"}}})
    assert changed.status_code == 200, changed.text
    rule = changed.json()["retention"]["review_case"]
    assert (rule["years"], rule["from_event"], rule["default"]) == (15, "subject_25th_birthday", False)
    assert changed.json()["retention"]["evidence_file"]["default"] is True
    with unit_of_work(write=False, url=db_url) as session:
        stored = session.exec(select(Partnership.data_protection).where(Partnership.key == "northshire")).one()
    assert stored == {"retention": {"review_case": {"years": 15, "from_event": "subject_25th_birthday"}}}
    audit = api.as_("partnership_admin").get(
        "/api/v1/audit-events", params={"action": "partnership.data_protection_changed"}
    )
    assert [e["detail"] for e in audit.json()["items"]] == [
        {"retention": {"review_case": {"years": 15, "from_event": "subject_25th_birthday"}}}
    ]


def test_who_may_place_change_and_lift_a_legal_hold(api: Api, dpo: str) -> None:
    case = _review(api)
    hold = f"/api/v1/cases/{case['id']}/legal-hold"
    for role in ("case_review_group_member", "agency_safeguarding_lead:police", "process_owner"):
        refused = api.as_(role).request("PUT", hold, json={"reason": "litigation"})
        assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    elsewhere = api.as_("other").request("PUT", hold, json={"reason": "litigation"})
    assert elsewhere.status_code == 404 and elsewhere.headers["content-type"].startswith("application/problem+json")
    assert api.as_(dpo).request("PUT", hold, json={"reason": ""}).status_code == 422
    placed = api.as_("partnership_admin").request("PUT", hold, json={"reason": "Claim filed"})
    assert placed.status_code == 200 and placed.json()["legal_hold"]["placed_by_name"] == "Pat Adams"
    changed = api.as_(dpo).request("PUT", hold, json={"reason": "Claim filed; disclosure ordered"})
    assert changed.json()["legal_hold"]["placed_by_name"] == "Pat Adams"  # who placed it and when stay
    assert changed.json()["legal_hold"]["reason"] == "Claim filed; disclosure ordered"
    assert api.as_(dpo).delete(hold).status_code == 422  # a reason is needed
    assert api.as_(dpo).delete(hold, params={"reason": "Claim settled"}).json()["legal_hold"] is None
    assert api.as_(dpo).delete(hold, params={"reason": "again"}).status_code == 409


def _years_ahead(years: int) -> str:
    # A day's margin, so a test running across midnight still finds its cases due.
    return (TODAY + relativedelta(years=years, days=1)).isoformat()


def _closed_sar(api: Api) -> str:
    """A discretionary SAR, reviewed (agencies' free-text answers), not published, no actions: closed today."""
    later = (TODAY + dt.timedelta(days=40)).isoformat()
    case = open_review(
        api,
        "sar",
        referral_date=TODAY.isoformat(),
        agencies=AGENCIES,
        subject=SECRETS["pseudonym"],
        title=SECRETS["title"],
    )
    case_id = str(case["id"])
    decide(api, case_id, "discretionary", TODAY.isoformat(), {**NOT_MET, "concern_about_joint_working": True})
    run_review_to_publication_decision(
        api,
        case_id,
        information_due_by=later,
        received=TODAY.isoformat(),
        draft=TODAY.isoformat(),
        final=TODAY.isoformat(),
    )
    complete(
        api,
        case_id,
        "Task_DecideOnPublication",
        {"publication_decision": "do_not_publish", "publication_decision_rationale": SECRETS["rationale"]},
    )
    complete(api, case_id, "Task_AgreeActionPlan", {"action_plan_agreed_at": TODAY.isoformat(), "has_actions": False})
    assert get_case(api, case_id)["status"] == "closed"
    return case_id


def _closed_probe(api: Api, *, has_actions: bool = False) -> dict[str, Any]:
    review = _review(api)
    if not has_actions:
        complete(
            api, review["id"], "Task_AgreeActionPlan", {"action_plan_agreed_at": "2025-03-01", "has_actions": False}
        )
    return review


def _add_subject(db_url: str, case_id: str, identifiers: dict[str, str]) -> None:
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        session.add(
            CaseSubject(
                case_id=uuid.UUID(case_id),
                partnership_id=partnership.id,
                fields=sorted(identifiers),
                sealed=seal_json(identifiers),
            )
        )


def _add_access_events(db_url: str, case_ids: list[str]) -> None:
    with unit_of_work(url=db_url) as session:
        partnership = session.exec(select(Partnership).where(Partnership.key == "northshire")).one()
        for case_id in case_ids:
            session.add(
                AccessEvent(
                    partnership_id=partnership.id,
                    actor_label="Bea Morgan",
                    kind="case.read",
                    object_type="case",
                    object_id=case_id,
                    case_id=uuid.UUID(case_id),
                )
            )


def _due(api: Api, as_of: str) -> list[dict[str, Any]]:
    response = api.as_("data_protection_officer").get("/api/v1/data-protection/disposal/due", params={"as_of": as_of})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def _run(api: Api, as_of: str) -> list[dict[str, Any]]:
    response = api.as_("data_protection_officer").post("/api/v1/data-protection/disposal/runs", json={"as_of": as_of})
    assert response.status_code == 201, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def _leaked(db_url: str, *tables: str) -> list[str]:
    """Which of the SECRETS appear anywhere in these tables' rows."""
    with unit_of_work(write=False, url=db_url) as session:
        rows = [[dict(r._mapping) for r in session.execute(text(f"SELECT * FROM {table}"))] for table in tables]
    dumped = json.dumps(rows, default=str).lower()
    return [name for name, secret in SECRETS.items() if secret.lower() in dumped]


def _instance(api: Api, case_id: str) -> dict[str, Any]:
    instance = get_case(api, case_id)["instance_id"]
    response = api.as_("business_manager").get(f"/api/v1/process-instances/{instance}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_dry_run_then_disposal_keeps_holds_open_cases_and_reports(
    api: Api, dpo: str, db_url: str, settings: Settings
) -> None:
    sar = _closed_sar(api)
    assert _leaked(db_url, "case_record") == ["title", "pseudonym", "subject_name"]  # the check below can see them
    _add_subject(
        db_url,
        sar,
        {"name": SECRETS["subject_name"], "date_of_birth": SECRETS["date_of_birth"], "nhs": SECRETS["nhs_number"]},
    )
    # A review whose one action (police) carries evidence, then closes as not implemented: the review closes too.
    review = _closed_probe(api, has_actions=True)
    action = _act(api, _recommend(api, review["id"], ["neglect"])["id"], due="2030-01-31")
    lead = api.as_("agency_safeguarding_lead:police")
    uploaded = lead.post(
        f"/api/v1/actions/{action['id']}/evidence",
        files={"file": (SECRETS["filename"], PDF, "application/pdf")},
        data={"description": SECRETS["file_note"]},
    )
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()
    blob = Path(settings.evidence_dir) / evidence["sha256"][:2] / evidence["sha256"]
    assert blob.exists()
    complete(api, review["id"], "Task_AgreeActionPlan", {"action_plan_agreed_at": "2025-03-01", "has_actions": True})
    answers = {"outcome": "not_implemented", "outcome_on": "2025-02-01", "outcome_summary": SECRETS["agency_answer"]}
    complete(api, action["case_id"], "Task_ReportOutcome", answers, agency="police")
    complete(api, action["case_id"], "Task_GiveReason", {"not_implemented_reason": "replaced"}, agency="police")
    complete(api, action["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "stands"})
    assert get_case(api, review["id"])["status"] == "closed"
    held = _closed_probe(api)
    still_open = _review(api)
    hold = api.as_("business_manager").request(
        "PUT", f"/api/v1/cases/{held['id']}/legal-hold", json={"reason": "Coroner's inquest pending"}
    )
    assert hold.status_code == 200, hold.text
    assert hold.json()["legal_hold"]["reason"] == "Coroner's inquest pending"
    _add_access_events(db_url, [sar, held["id"]])

    # Today nothing is due; seven years on, the agency submissions, the evidence and the access log are.
    assert _due(api, TODAY.isoformat()) == []
    seven = _years_ahead(7)
    due = _due(api, seven)
    assert {i["record_class"] for i in due} == {"agency_submission", "evidence_file", "access_log"}
    assert {i["case_id"] for i in due if i["record_class"] == "agency_submission"} == {sar, action["case_id"]}
    assert [i["object_id"] for i in due if i["record_class"] == "evidence_file"] == [evidence["id"]]
    with unit_of_work(write=False, url=db_url) as session:  # every look so far but at the held case
        looks = session.exec(
            select(func.count())
            .select_from(AccessEvent)
            .where(or_(col(AccessEvent.case_id).is_(None), col(AccessEvent.case_id) != uuid.UUID(held["id"])))
        ).one()
    assert [i["rule"] for i in due if i["record_class"] == "access_log"] == [f"6 years after recorded ({looks} rows)"]
    first = _run(api, seven)
    assert first == due  # the run disposes exactly what the dry run listed
    assert _due(api, seven) == []
    gone = lead.get(f"/api/v1/evidence/{evidence['id']}/content")
    assert gone.status_code == 410 and gone.headers["content-type"].startswith("application/problem+json")
    assert not blob.exists()
    tasks = (
        api.as_("business_manager")
        .get("/api/v1/tasks", params={"case_id": sar, "limit": 200, "scope": "all"})
        .json()["items"]
    )
    information = [t for t in tasks if t["element_id"] == "Task_ProvideSarInformation"]
    details = [api.as_("business_manager").get(f"/api/v1/tasks/{t['id']}").json() for t in information]
    # Free text only, and one optional question left unanswered: nothing but that null is kept.
    assert [d["data"] for d in details] == [{"information_not_supplied": None}] * 3

    # Twenty years on, the closed cases themselves; never the held one (nor its access log) or the open one.
    twenty = _years_ahead(20)
    due = _due(api, twenty)
    # (the reads since the first run are logged looks: their rows are due too)
    assert {(i["object_type"], i["case_id"]) for i in due if i["object_type"] != "access_events"} == {
        ("case", sar),
        ("case", review["id"]),
        ("case", action["case_id"]),
    }
    assert all(i["rule"] == "15 years after case_closed" for i in due if i["object_type"] == "case")
    with unit_of_work(write=False, url=db_url) as session:
        last_look = session.execute(text("SELECT max(id) FROM access_event")).scalar_one()
    second = _run(api, twenty)
    assert second == due
    disposed = get_case(api, sar)
    assert (disposed["title"], disposed["subject_pseudonym"]) == ("Disposed sar case", "[disposed]")
    instance = _instance(api, sar)
    kept = instance["variables"]
    assert kept["decision"] == "discretionary" and kept["legal_mandate"] == "Care Act 2014 s44(4) (discretionary)"
    assert kept["referral_date"] == TODAY.isoformat() and kept["has_actions"] is False
    assert "publication_decision_rationale" not in kept and "reviewer_name" not in kept
    with unit_of_work(write=False, url=db_url) as session:
        assert session.exec(select(CaseSubject)).all() == []
        # Of the looks logged before the run only the held case's survive (later reads are logged anew).
        survivors = select(AccessEvent.case_id).where(col(AccessEvent.id) <= last_look)
        assert set(session.exec(survivors).all()) == {uuid.UUID(held["id"])}
    assert _leaked(db_url, "case_record", "process_instance", "human_task", "evidence", "case_subject") == []
    # The picture and the history still answer; a migration plan has no engine state left to plan from.
    owner, path = api.as_("partnership_admin"), f"/api/v1/process-instances/{instance['id']}"
    assert api.as_("business_manager").get(f"{path}/diagram.svg").status_code == 200
    assert api.as_("business_manager").get(f"{path}/history").status_code == 200
    plan = owner.post(f"{path}/migration-plan", json={"target_definition_id": instance["definition_id"]})
    assert plan.status_code == 410 and "disposed" in plan.json()["detail"]
    assert get_case(api, still_open["id"])["status"] == "open" and get_case(api, held["id"])["title"] == "Review"

    # The SAB annual report still builds and still counts the disposed SAR; the learning report builds too.
    report = api.as_("business_manager").get(
        "/api/v1/reports/sab-annual", params={"start": TODAY.isoformat(), "end": _years_ahead(1)}
    )
    assert report.status_code == 200, report.text
    assert report.json()["referrals_received"] == 1 and report.json()["decisions"] == {"discretionary": 1}
    concluded = report.json()["concluded"]
    assert [s["case_id"] for s in concluded] == [sar] and concluded[0]["legal_mandate"].startswith("Care Act")
    stages = api.as_("business_manager").get("/api/v1/learning-items/stage-report", params={"group_by": "theme"})
    assert stages.status_code == 200, stages.text

    # Lifting the hold makes the held case due (with the reason audited both times).
    lifted = api.as_(dpo).request(
        "DELETE", f"/api/v1/cases/{held['id']}/legal-hold", json={"reason": "Inquest concluded"}
    )
    assert lifted.status_code == 200 and lifted.json()["legal_hold"] is None
    after = [(i["record_class"], i["object_type"], i["case_id"]) for i in _due(api, twenty)]
    assert after == [("review_case", "case", held["id"]), ("access_log", "access_events", None)]
    audit = api.as_("partnership_admin").get("/api/v1/audit-events", params={"object_id": held["id"]}).json()
    reasons = {e["action"]: e["detail"].get("reason") for e in audit["items"] if "legal_hold" in e["action"]}
    assert reasons == {
        "case.legal_hold_placed": "Coroner's inquest pending",
        "case.legal_hold_lifted": "Inquest concluded",
    }

    # The disposal log: one entry per item disposed, and nothing personal anywhere in it.
    log = api.as_(dpo).get("/api/v1/data-protection/disposal/log", params={"limit": 2})
    assert log.status_code == 200 and len(log.json()["items"]) == 2 and log.json()["next_cursor"]
    with unit_of_work(write=False, url=db_url) as session:
        assert session.execute(text("SELECT count(*) FROM disposal_log")).scalar_one() == len(first) + len(second)
    assert _leaked(db_url, "disposal_log") == []


def test_a_birthday_rule_counts_from_the_sealed_date_of_birth_never_before_closure(
    api: Api, dpo: str, db_url: str
) -> None:
    changed = api.as_(dpo).patch(
        "/api/v1/partnership/data-protection",
        json={"retention": {"review_case": {"from_event": "subject_25th_birthday"}}},
    )
    assert changed.status_code == 200, changed.text
    # 15 years after the subject's 25th birthday (born 2012-03-04: 2037-03-04), never before the case closed.
    young = _closed_probe(api)
    _add_subject(db_url, young["id"], {"name": "A child", "date_of_birth": "2012-03-04"})
    unknown = _closed_probe(api)
    assert young["id"] not in {i["case_id"] for i in _due(api, "2052-03-03")}
    due = {i["case_id"]: i for i in _due(api, "2052-03-04")}
    assert (due[young["id"]]["starts_on"], due[young["id"]]["due_on"]) == ("2037-03-04", "2052-03-04")
    assert due[young["id"]]["rule"] == "15 years after subject_25th_birthday"
    assert (
        due[unknown["id"]]["rule"] == "15 years after subject_25th_birthday (no date of birth held: from case_closed)"
    )
    too_far = api.as_(dpo).get("/api/v1/data-protection/disposal/due", params={"as_of": _years_ahead(101)})
    assert too_far.status_code == 422 and too_far.json()["errors"][0]["field"] == "as_of"


def test_only_data_protection_officers_and_admins_see_and_run_disposal(api: Api, dpo: str) -> None:
    for role in ("business_manager", "case_review_group_member", "agency_safeguarding_lead:police"):
        assert api.as_(role).get("/api/v1/data-protection/disposal/due").status_code == 403
        assert api.as_(role).post("/api/v1/data-protection/disposal/runs", json={}).status_code == 403
        assert api.as_(role).get("/api/v1/data-protection/disposal/log").status_code == 403
    run = api.as_("partnership_admin").post("/api/v1/data-protection/disposal/runs")
    assert run.status_code == 201 and run.json()["items"] == [] and run.json()["as_of"] == TODAY.isoformat()
    assert api.as_("other").get("/api/v1/data-protection/disposal/log").json()["items"] == []


def test_audits_are_disposed_as_audit_returns_by_the_cli_once_and_their_summaries_still_build(
    api: Api, dpo: str, db_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    s11, tna = _section11_with_three_returns(api), _tna_with_three_returns(api)
    coverage = api.as_("business_manager").get(f"/api/v1/audits/{tna}/training-coverage").json()
    for case_id in (s11, tna):  # ended early by the admin: closed, so retention runs from today
        instance = get_case(api, case_id)["instance_id"]
        ended = api.as_("partnership_admin").post(
            f"/api/v1/process-instances/{instance}/terminate", json={"reason": "audit withdrawn"}
        )
        assert ended.status_code == 200, ended.text
    monkeypatch.setenv("LIF_DATABASE_URL", db_url)
    monkeypatch.setenv("LIF_EVIDENCE_DIR", str(settings.evidence_dir))
    get_settings.cache_clear()
    seven = _years_ahead(7)
    assert main(["dispose", "--dry-run", "--as-of", seven]) == 0
    # The two audits, and the access log's rows (reading the coverage above was a logged look).
    assert "northshire: 3 item(s) due\n  access_log           1\n  audit_return         2\n" in capsys.readouterr().out
    assert get_case(api, s11)["title"] == "Audit"  # a dry run changes nothing
    assert main(["dispose", "--as-of", seven]) == 0
    out = capsys.readouterr().out
    assert "northshire: 3 item(s) disposed of" in out and "total: 3 item(s) disposed of" in out
    # Another worker running the same day finds nothing left: nothing is disposed of or logged twice.
    assert dispose_all(as_of=dt.date.fromisoformat(seven), url=db_url, evidence_dir=settings.evidence_dir) == {}
    log = api.as_(dpo).get("/api/v1/data-protection/disposal/log").json()["items"]
    assert sorted((e["record_class"], e["object_id"]) for e in log if e["record_class"] != "access_log") == sorted(
        [("audit_return", s11), ("audit_return", tna)]
    )

    assert get_case(api, s11)["title"] == "Disposed section11_audit case"
    matrix = api.as_("case_review_group_member").get(f"/api/v1/audits/{s11}/self-assessment")
    assert matrix.status_code == 200, matrix.text
    counts = {s["number"]: s["counts"] for s in matrix.json()["standards"]}
    assert counts[2] == {"met": 1, "partly_met": 1, "not_met": 1}  # ratings are options of the form: kept
    police = next(a for a in matrix.json()["agencies"] if a["agency"] == "police")
    assert {r["narrative"] for r in police["ratings"]} == {None}  # narratives are free text: gone
    after = api.as_("business_manager").get(f"/api/v1/audits/{tna}/training-coverage")
    assert after.status_code == 200, after.text
    # Every count stays; the year's label was free text ("2026-27"), so it goes (its dates stay in the record).
    assert after.json() == {**coverage, "tna_year": None}


def test_trainees_are_anonymised_six_years_after_their_latest_training(api: Api, dpo: str) -> None:
    old = _trainee(api, "Olive Oldfield", "health")
    _external(api, old, "health", "2019-01-10", level=3, description="Level 3 safeguarding (elsewhere)")
    recent = _trainee(api, "Rita Recent", "health")
    _external(api, recent, "health", "2019-01-10", level=2, description="Level 2 (elsewhere)")
    _external(api, recent, "health", TODAY.isoformat(), level=3, description="Level 3 (elsewhere)")
    never = _trainee(api, "Nell Never", "health")  # no training yet: counted from when she was recorded

    due = _due(api, TODAY.isoformat())
    assert [(i["record_class"], i["object_id"], i["starts_on"]) for i in due] == [
        ("training_record", old, "2019-01-10")
    ]
    assert _run(api, TODAY.isoformat()) == due
    detail = api.as_("agency_safeguarding_lead:health").get(f"/api/v1/trainees/{old}").json()
    assert (detail["name"], detail["email"], detail["supervisor_name"]) == ("Disposed trainee", f"disposed-{old}", None)
    assert (detail["agency"], detail["role"], detail["active"]) == ("health", "nurse", False)
    assert [(r["level"], r["completed_on"]) for r in detail["records"]] == [(3, "2019-01-10")]  # still counted
    # Two more at once: each keeps a distinct placeholder e-mail.
    assert {i["object_id"] for i in _run(api, _years_ahead(7))} == {recent, never}
