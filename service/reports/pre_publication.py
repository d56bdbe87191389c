"""Pre-publication pack for the Panel, the Secretary of State and Ofsted: the redacted report only."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from service.access.principal import Principal
from service.engine.functions import add_working_days, to_date_or_none
from service.reports.document import Document, Facts, Paragraph, Section, text, yes_no
from service.reports.sources import case_view, clocks_table, review_facts, variables

KIND = "pre-publication-pack"
NOTICE_DAYS = 7  # working days before publication (DOMAIN.md §4, a configurable default in the lifecycle)


def build(session: Session, principal: Principal, case_id: uuid.UUID) -> Document:
    """The final redacted report, the dates sent, the planned publication date and the 7-working-day check."""
    view = case_view(session, principal, case_id, kind="pre-publication pack", types=("cspr", "sar", "mappa_review"))
    v, case = variables(view), view.case
    planned, sent = to_date_or_none(v.get("planned_publication_date")), to_date_or_none(v.get("report_sent_at"))
    latest = to_date_or_none(add_working_days(planned, -NOTICE_DAYS)) if planned else None
    if latest is None or sent is None:
        check = "not yet possible: " + ("no planned publication date" if latest is None else "not sent yet")
    else:
        check = f"{'met' if sent <= latest else 'NOT met'}: sent {sent.isoformat()}, due by {latest.isoformat()}"
    return Document(
        kind=KIND,
        title="Pre-publication pack",
        subtitle=f"{case.reference} · for the Panel, the Secretary of State and Ofsted",
        outward=True,
        filename=f"{case.reference}-pre-publication-pack",
        sections=[
            Section("The review", [review_facts(view)]),
            Section(
                "The final report (redacted)",
                [
                    Facts(
                        [
                            ("Redacted report", text(v.get("redacted_report_reference"))),
                            ("Redaction checked by a second person", yes_no(v.get("redaction_checked"))),
                            ("Publication decision", text(v.get("publication_decision"))),
                        ]
                    ),
                    Paragraph("Only the redacted report is sent; the unredacted report stays with the partnership."),
                ],
            ),
            Section(
                "Dates",
                [
                    Facts(
                        [
                            ("Sent to the Panel, Secretary of State and Ofsted", text(v.get("report_sent_at"))),
                            ("Planned publication", text(v.get("planned_publication_date"))),
                            (f"{NOTICE_DAYS}-working-day check", check),
                            ("Published", text(v.get("published_at"))),
                        ]
                    )
                ],
            ),
            Section("Clocks", [clocks_table(view)]),
        ],
    )
