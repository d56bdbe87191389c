"""Statutory documents generated from cases driven through their lifecycles, read back as DOCX and PDF."""

from __future__ import annotations

import io
from typing import Any

import docx
from pypdf import PdfReader

from tests.api.test_action_plans import _act, _recommend
from tests.api.test_impact_trace import _close
from tests.conftest import Api
from tests.helpers import complete, open_review
from tests.lifecycles import test_dhr as dhr
from tests.lifecycles import test_sar as sar
from tests.lifecycles import test_training_needs_analysis as tna

SECRET_NAME = "Tamsin Knowable-Price"
AGENCY_TEXT = "health-chronology-secret-81b2"
UNREDACTED = "FINAL-UNREDACTED-REF-55"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _cspr_to_publication(api: Api) -> dict[str, Any]:
    response = api.as_("business_manager").post(
        "/api/v1/cases",
        json={
            "case_type": "cspr",
            "title": "Review",
            "subject_pseudonym": "Child K",
            "involved_agencies": ["police", "health", "la"],
            "data": {"aware_at": "2026-04-02", "incident_type": "serious_harm", "subject_name": SECRET_NAME},
            "members": api.review_team(),
        },
    )
    assert response.status_code == 201, response.text
    case = response.json()
    case_id = case["id"]
    complete(api, case_id, "Task_NotifyPanel", {"notified_at": "2026-04-08", "child_looked_after": False})
    for agency in ("police", "health", "la"):
        answers = {"agency_involvement": AGENCY_TEXT, "chronology_summary": AGENCY_TEXT}
        complete(api, case_id, "Task_ProvideRapidReviewInformation", answers, agency=agency)
    decision = {
        "meeting_date": "2026-04-21",
        "decision": "local_cspr",
        "decision_at": "2026-04-21",
        "decision_rationale": "two agencies involved; learning about information sharing",
    }
    complete(api, case_id, "Task_HoldRapidReviewMeeting", decision)
    complete(api, case_id, "Task_SendRapidReviewToPanel", {"sent_to_panel_at": "2026-04-22"})
    complete(api, case_id, "Task_RecordPanelResponse", {"panel_response": "agrees", "panel_response_at": "2026-04-24"})
    steps: list[tuple[str, dict[str, Any]]] = [
        (
            "Task_ScopeReview",
            {"review_period_from": "2025-01-01", "review_period_to": "2026-04-01", "scope_summary": "x"},
        ),
        ("Task_AgreeTermsOfReference", {"terms_of_reference": "ToR v1", "methodology": "silp"}),
        (
            "Task_AppointIndependentReviewer",
            {"reviewer_name": "J. Doe", "reviewer_declared_affiliations": "", "reviewer_declaration_signed": True},
        ),
        ("Task_InvolvePractitioners", {"practitioner_sessions_held": 3, "practitioner_involvement_summary": "two"}),
        ("Task_OfferFamilyInvolvement", {"family_offer_made_at": "2026-06-01", "family_response": "accepted"}),
        ("Task_WriteDraftReport", {"draft_report_reference": "draft-1", "draft_submitted_at": "2026-08-01"}),
        ("Task_QualityAssureDraft", {"qa_outcome": "approved"}),
        ("Task_SubmitFinalReport", {"final_report_reference": UNREDACTED, "final_report_at": "2026-09-01"}),
        ("Task_DecideOnPublication", {"publication_decision": "publish", "publication_decision_rationale": "public"}),
        ("Task_PrepareRedactedReport", {"redacted_report_reference": "final-redacted"}),
        ("Task_CheckRedaction", {"redaction_checked": True}),
        (
            "Task_SendReportBeforePublication",
            {"report_sent_at": "2026-10-01", "planned_publication_date": "2026-10-20"},
        ),
    ]
    for element, answers in steps:
        complete(api, case_id, element, answers)
    return case


def _get(api: Api, url: str, fmt: str, **params: Any) -> Any:
    response = api.as_("business_manager").get(url, params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    return response


def _docx_text(content: bytes) -> tuple[list[str], str]:
    document = docx.Document(io.BytesIO(content))
    headings = [
        p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith(("Heading", "Title"))
    ]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return headings, "\n".join([p.text for p in document.paragraphs] + cells)


def _pdf_text(content: bytes) -> tuple[int, str]:
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_cspr_packs_carry_the_dates_and_decision_and_only_pseudonymised_redacted_content(api: Api) -> None:
    case = _cspr_to_publication(api)
    revealed = api.as_("business_manager").post(f"/api/v1/cases/{case['id']}/subject/reveal", json={"reason": "letter"})
    assert revealed.status_code == 200 and SECRET_NAME in revealed.text  # revealed, yet never in a pack
    base = f"/api/v1/cases/{case['id']}/documents"

    summary = _get(api, f"{base}/rapid-review-summary", "docx")
    assert summary.headers["content-type"] == DOCX
    assert f'filename="{case["reference"]}-rapid-review-summary.docx"' in summary.headers["content-disposition"]
    headings, body = _docx_text(summary.content)
    assert headings == [
        "Rapid review summary",
        "The incident",
        "Agencies involved and information gathered",
        "The rapid review meeting",
        "The decision",
        "Dates and clocks",
    ]
    assert "Local child safeguarding practice review" in body and "2026-04-21" in body and "2026-04-08" in body
    assert "Child K" in body

    pack = _get(api, f"{base}/pre-publication-pack", "pdf")
    assert pack.headers["content-type"] == "application/pdf"
    pages, text = _pdf_text(pack.content)
    assert pages >= 1 and "final-redacted" in text and "2026-10-20" in text
    assert "met: sent 2026-10-01, due by 2026-10-09" in text
    as_json = _get(api, f"{base}/pre-publication-pack", "json").json()
    for content in (
        summary.content,
        pack.content,
        str(as_json).encode(),
        _get(api, f"{base}/pre-publication-pack", "docx").content,
    ):
        words = _docx_text(content)[1] if content.startswith(b"PK") else content.decode("latin-1")
        if content.startswith(b"%PDF-"):
            words = _pdf_text(content)[1]
        assert SECRET_NAME not in words and AGENCY_TEXT not in words and UNREDACTED not in words
    # Accept negotiation, and the audit log names who made which pack of which case.
    negotiated = api.as_("business_manager").get(f"{base}/rapid-review-summary", headers={"Accept": "application/pdf"})
    assert negotiated.headers["content-type"] == "application/pdf"
    pages, text = _pdf_text(negotiated.content)
    assert negotiated.content == _get(api, f"{base}/rapid-review-summary", "pdf").content  # reproducible: same bytes
    assert pages >= 1 and "Local child safeguarding practice review" in text and "2026-04-21" in text
    headings, body = _docx_text(_get(api, f"{base}/pre-publication-pack", "docx").content)
    assert headings == ["Pre-publication pack", "The review", "The final report (redacted)", "Dates", "Clocks"]
    assert "local_cspr" in body and "2026-10-01" in body
    audit = api.as_("business_manager").get("/api/v1/audit-events", params={"object_id": case["id"]}).json()["items"]
    generated = [e for e in audit if e["action"] == "document.generated"]
    assert len(generated) == 7 and {e["detail"]["kind"] for e in generated} == {
        "rapid-review-summary",
        "pre-publication-pack",
    }
    wrong = api.as_("business_manager").get(f"{base}/dhr-qa-submission")
    assert wrong.status_code == 422
    assert api.as_("agency_safeguarding_lead:education").get(f"{base}/rapid-review-summary").status_code == 404


def test_dhr_submission_sab_report_yearly_report_and_composite_plan(api: Api) -> None:
    case = open_review(api, "dhr", referral_date="2026-03-03", agencies=dhr.AGENCIES, data=dhr.POLICE_NOTIFICATION)
    dhr.decide(api, case["id"], "hold_dhr", "2026-04-02")
    dhr.set_up_review(api, case["id"], on="2026-04-07")
    dhr.provide_imrs(api, case["id"], "2026-06-01")
    overview = {"review_completed_at": "2026-09-25", "recommendation_count": 1, "overview_report_reference": "OR-1"}
    complete(api, case["id"], "Task_WriteOverviewReport", overview)
    complete(api, case["id"], "Task_PrepareAnonymisedReport", {"anonymised_report_reference": "DHR-anon-v1"})
    complete(api, case["id"], "Task_CheckAnonymisation", {"anonymisation_checked": True})
    complete(api, case["id"], "Task_SubmitToHomeOffice", {"submitted_to_home_office_at": "2026-09-30"})
    qa = {"qa_outcome": "approved", "qa_outcome_at": "2026-10-20", "qa_feedback": "approved as is"}
    complete(api, case["id"], "Task_RecordQaOutcome", qa)
    action = _act(api, _recommend(api, case["id"], ["domestic_abuse"])["id"], due="2026-11-30")
    _close(api, action)  # closed without impact evidence: the plan says so

    headings, body = _docx_text(_get(api, f"/api/v1/cases/{case['id']}/documents/dhr-qa-submission", "docx").content)
    assert "Quality-assurance rounds" in headings and "Action plan" in headings
    assert "DHR-anon-v1" in body and "approved as is" in body and "2026-09-30" in body and "OR-1" not in body
    pages, text = _pdf_text(_get(api, f"/api/v1/cases/{case['id']}/documents/dhr-qa-submission", "pdf").content)
    assert pages >= 1 and "hold_dhr" in text and "2026-04-02" in text and "OR-1" not in text

    adult = open_review(api, "sar", referral_date="2026-05-10", agencies=sar.AGENCIES, subject="Adult")
    sar.decide(api, adult["id"], "mandatory", "2026-05-30", sar.ALL_MET)
    pages, text = _pdf_text(_get(api, "/api/v1/partnership/reports/sab-annual-report", "pdf", year=2026).content)
    assert pages >= 1 and adult["reference"] in text and "SARs ongoing at the end of the year" in text
    headings, body = _docx_text(_get(api, "/api/v1/partnership/reports/sab-annual-report", "docx", year=2026).content)
    assert "Findings not acted on, and why" in headings and "Care Act 2014 s44(1)-(3) (mandatory)" in body

    assert (
        "coverage is not known" in _docx_text(_get(api, "/api/v1/partnership/reports/yearly-report", "docx").content)[1]
    )
    analysis = tna._open(api, "2026", "2026-05-01")
    complete(api, analysis["id"], "Task_IssueTna", {"issued_to_agencies_at": "2026-05-01"})
    complete(api, analysis["id"], "Task_ReturnTna", tna.tna_return(1), agency="police")  # 10 staff, 6 trained
    yearly = _get(api, "/api/v1/partnership/reports/yearly-report", "docx", year=2026).content
    headings, body = _docx_text(yearly)
    assert headings[:3] == [
        "Yearly safeguarding partnership report",
        "Reviews opened and concluded",
        "Time taken against the clocks (reg 14)",
    ]
    assert "Evidence of impact" in headings and "The impact trace" in headings
    assert "No evidence of impact" in body and case["reference"] in body and analysis["reference"] in body
    assert "60%" in body  # training coverage at each level from the analysis
    assert len(docx.Document(io.BytesIO(yearly)).inline_shapes) == 6  # five charts and the impact-trace picture
    pages, text = _pdf_text(_get(api, "/api/v1/partnership/reports/yearly-report", "pdf", year=2026).content)
    assert pages >= 2 and "Time taken against the clocks" in text

    headings, _ = _docx_text(_get(api, "/api/v1/partnership/reports/composite-action-plan", "docx").content)
    assert headings[1:] == ["Summary", "Per agency", "Per theme", "Overdue", "Closed without impact evidence"]
    pages, text = _pdf_text(_get(api, "/api/v1/partnership/reports/composite-action-plan", "pdf").content)
    assert pages >= 1 and "domestic_abuse" in text
    plan = _get(api, "/api/v1/partnership/reports/composite-action-plan", "json").json()
    unevidenced = next(s for s in plan["sections"] if s["heading"] == "Closed without impact evidence")
    assert unevidenced["blocks"][0]["rows"][0][:2] == [case["reference"], "police"]
    refused = api.as_("agency_safeguarding_lead:police").get("/api/v1/partnership/reports/yearly-report?year=2026")
    assert refused.status_code == 403
