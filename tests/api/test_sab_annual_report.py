"""The SAB annual report's SAR tables, assembled from real SAR cases, their recommendations and actions."""

from __future__ import annotations

from typing import Any

from tests.api.test_action_plans import _act, _recommend
from tests.conftest import Api
from tests.helpers import complete, open_review
from tests.lifecycles.test_sar import AGENCIES, ALL_MET, NOT_MET, decide, run_review_to_publication_decision


def _sar(api: Api, referral_date: str) -> str:
    return str(open_review(api, "sar", referral_date=referral_date, agencies=AGENCIES, subject="Adult")["id"])


def test_concluded_and_ongoing_sars_with_findings_what_was_done_and_reasons_not_implemented(api: Api) -> None:
    concluded = _sar(api, "2025-04-10")
    decide(api, concluded, "mandatory", "2025-04-30", ALL_MET)
    run_review_to_publication_decision(
        api, concluded, information_due_by="2025-06-30", received="2025-06-20", draft="2025-09-01", final="2025-10-15"
    )
    done = _act(api, _recommend(api, concluded, ["self_neglect"])["id"], due="2030-01-31", agency="asc")
    dropped = _act(api, _recommend(api, concluded, ["recording"])["id"], due="2030-01-31", agency="police")
    _report_for(api, done, "completed", "2025-12-01")
    _report_for(api, dropped, "not_implemented", "2025-12-01", reason="system replaced nationally")

    ongoing = _sar(api, "2025-09-01")
    decide(api, ongoing, "discretionary", "2025-09-20", NOT_MET)
    not_a_sar = _sar(api, "2025-11-01")
    decide(api, not_a_sar, "not_a_sar", "2025-11-10", NOT_MET)
    _sar(api, "2026-05-01")  # referred after the year: not counted

    response = api.as_("business_manager").get(
        "/api/v1/reports/sab-annual", params={"start": "2025-04-01", "end": "2026-03-31"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["referrals_received"] == 3
    assert report["decisions"] == {"mandatory": 1, "discretionary": 1, "not_a_sar": 1}
    assert [s["case_id"] for s in report["concluded"]] == [concluded]
    assert [s["case_id"] for s in report["ongoing"]] == [ongoing]
    sar = report["concluded"][0]
    assert (sar["decision_at"], sar["review_completed_at"], sar["months_taken"]) == ("2025-04-30", "2025-10-15", 5.5)
    assert sar["legal_mandate"] == "Care Act 2014 s44(1)-(3) (mandatory)"
    done_rows = [f["what_was_done"][0] for f in sar["findings"]]
    assert [(r["owner_agency"], r["status"], r["reason_not_implemented"]) for r in done_rows] == [
        ("asc", "completed", None),
        ("police", "not_implemented", "system replaced nationally"),
    ]
    assert (
        api.as_("agency_safeguarding_lead:police")
        .get("/api/v1/reports/sab-annual", params={"start": "2025-04-01", "end": "2026-03-31"})
        .status_code
        == 403
    )
    backwards = api.as_("business_manager").get(
        "/api/v1/reports/sab-annual", params={"start": "2026-04-01", "end": "2025-04-01"}
    )
    assert backwards.status_code == 422


def _report_for(api: Api, action: dict[str, Any], outcome: str, on: str, reason: str | None = None) -> None:
    agency = action["owner_agency"]
    answers = {"outcome": outcome, "outcome_on": on, "outcome_summary": "done", "not_implemented_reason": reason}
    complete(api, action["case_id"], "Task_ReportOutcome", {k: v for k, v in answers.items() if v}, agency=agency)
    complete(api, action["case_id"], "Task_GiveAssurance", {"assurance": "accept", "assurance_note": "ok"})
