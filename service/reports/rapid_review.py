"""Rapid review summary for the Child Safeguarding Practice Review Panel (outward: pseudonymised, no free text
from agencies' submissions, only who gave information and when)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from service.access.principal import Principal
from service.reports.document import Document, Facts, Paragraph, Section, Table, text, yes_no
from service.reports.sources import answers, case_view, clocks_table, variables

KIND = "rapid-review-summary"
DECISIONS = {
    "no_further_review": "No further review",
    "local_cspr": "Local child safeguarding practice review",
    "national_review": "Referred to the Panel for a national review",
}
CRITERIA = (
    "Working Together / reg 11: a local review is for a case that may highlight improvements needed (including "
    "those already identified), recurrent themes, concerns about two or more agencies working together, or where "
    "the Panel suggests it."
)


def build(session: Session, principal: Principal, case_id: uuid.UUID) -> Document:
    """The incident, the agencies, the information gathered, the meeting, the decision and the clocks."""
    view = case_view(session, principal, case_id, kind="rapid review summary", types=("cspr",))
    v, case = variables(view), view.case
    submitted = answers(session, case.id, "Task_ProvideRapidReviewInformation")
    when = {t.agency_code: t.completed_at.date().isoformat() for t in submitted if t.agency_code and t.completed_at}
    return Document(
        kind=KIND,
        title="Rapid review summary",
        subtitle=f"{case.reference} · for the Child Safeguarding Practice Review Panel",
        outward=True,
        filename=f"{case.reference}-rapid-review-summary",
        sections=[
            Section(
                "The incident",
                [
                    Facts(
                        [
                            ("Reference", case.reference),
                            ("Child (pseudonym)", case.subject_pseudonym),
                            ("Incident", text(v.get("incident_type"))),
                            ("Partnership became aware", text(v.get("aware_at"))),
                            ("Looked-after child", yes_no(v.get("child_looked_after"))),
                            ("Panel notified", text(v.get("notified_at"))),
                            ("Panel notification reference", text(v.get("panel_notification_reference"))),
                        ]
                    )
                ],
            ),
            Section(
                "Agencies involved and information gathered",
                [
                    Table(
                        ["Agency", "Information provided on"],
                        [[agency, when.get(agency, "not provided")] for agency in case.involved_agencies],
                    ),
                    Paragraph("Agency chronologies and summaries are held on the case record and are not copied here."),
                ],
            ),
            Section("The rapid review meeting", [Facts([("Meeting held", text(v.get("meeting_date")))])]),
            Section(
                "The decision",
                [
                    Facts(
                        [
                            ("Decision", DECISIONS.get(str(v.get("decision")), text(v.get("decision")))),
                            ("Decided on", text(v.get("decision_at"))),
                            ("Rationale", text(v.get("decision_rationale"))),
                            ("Sent to the Panel", text(v.get("sent_to_panel_at"))),
                            ("Panel's response", text(v.get("panel_response"))),
                        ]
                    ),
                    Paragraph(CRITERIA),
                ],
            ),
            Section("Dates and clocks", [clocks_table(view)]),
        ],
    )
