"""Home Office DHR quality-assurance submission: the anonymised overview report, summary, action plan and each QA
round with its outcome."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.models import Action, Recommendation
from service.reports.document import Document, Facts, Paragraph, Section, Table, text, yes_no
from service.reports.sources import answers, case_view, clocks_table, review_facts, variables

KIND = "dhr-qa-submission"


def build(session: Session, principal: Principal, case_id: uuid.UUID) -> Document:
    """What the Home Office QA Panel receives, round by round."""
    view = case_view(session, principal, case_id, kind="Home Office QA submission", types=("dhr",))
    v, case = variables(view), view.case
    sent = [
        (t.data.get("submitted_to_home_office_at") or t.data.get("resubmitted_to_home_office_at"))
        for t in answers(session, case.id, "Task_SubmitToHomeOffice")
        + answers(session, case.id, "Task_ResubmitToHomeOffice")
    ]
    outcomes = answers(session, case.id, "Task_RecordQaOutcome")
    rounds = [
        [
            str(n),
            text(sent[n - 1] if n <= len(sent) else None),
            text(o.data.get("qa_outcome")),
            text(o.data.get("qa_outcome_at")),
            text(o.data.get("qa_feedback")),
        ]
        for n, o in enumerate(outcomes, start=1)
    ]
    if len(sent) > len(outcomes):
        rounds.append([str(len(sent)), text(sent[-1]), "awaiting the Panel", "", ""])
    return Document(
        kind=KIND,
        title="Domestic Homicide Review: quality-assurance submission",
        subtitle=f"{case.reference} · for the Home Office DHR Quality Assurance Panel",
        outward=True,
        filename=f"{case.reference}-home-office-qa-submission",
        sections=[
            Section("The review", [review_facts(view)]),
            Section(
                "Overview report and executive summary (anonymised)",
                [
                    Facts(
                        [
                            ("Anonymised report", text(v.get("anonymised_report_reference"))),
                            ("Anonymisation checked by a second person", yes_no(v.get("anonymisation_checked"))),
                            ("Home Office informed", text(v.get("home_office_informed_at"))),
                            ("Home Office reference", text(v.get("home_office_reference"))),
                            ("Planned publication", text(v.get("planned_publication_date"))),
                        ]
                    ),
                    Paragraph("The overview report and executive summary go in their anonymised form only."),
                ],
            ),
            Section("Action plan", [action_plan_table(session, case.id)]),
            Section(
                "Quality-assurance rounds",
                [Table(["Round", "Submitted", "Outcome", "Outcome on", "Panel's feedback"], rounds)],
            ),
            Section("Clocks", [clocks_table(view)]),
        ],
    )


def action_plan_table(session: Session, case_id: uuid.UUID) -> Table:
    """The review's recommendations with each action: owner, due date, status."""
    rows = session.exec(
        select(Recommendation, Action)
        .join(Action, col(Action.recommendation_id) == col(Recommendation.id), isouter=True)
        .where(Recommendation.case_id == case_id)
        .order_by(col(Recommendation.number), col(Action.created_at))
    ).all()
    return Table(
        ["No.", "Recommendation", "Owner", "Action", "Due", "Status"],
        [
            [
                str(r.number),
                r.text,
                a.owner_agency if a else "no action",
                a.description if a else "",
                a.due_date.isoformat() if a else "",
                a.status if a else "",
            ]
            for r, a in rows
        ],
    )
