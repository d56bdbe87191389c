"""The SAB annual report's SAR section (Care Act 2014 Sch 2 para 4) as a document, from the existing tables."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from service.access.principal import Principal
from service.actions.sab_report import sar_annual_tables
from service.reports.document import Document, Facts, Paragraph, Section, Table, text
from service.reports.sources import financial_year

KIND = "sab-annual-report"


def build(session: Session, principal: Principal, year: int) -> Document:
    """SARs concluded and ongoing in the year, their findings, what was done and reasons for anything not done."""
    start, end = financial_year(year)
    tables = sar_annual_tables(session, principal, start=start, end=end)
    not_done = [
        [s["reference"], str(f["number"]), w["owner_agency"], text(w["reason_not_implemented"])]
        for s in tables["concluded"] + tables["ongoing"]
        for f in s["findings"]
        for w in f["what_was_done"]
        if w["status"] == "not_implemented"
    ]
    return Document(
        kind=KIND,
        title="Safeguarding Adults Board annual report: Safeguarding Adults Reviews",
        subtitle=f"{start.isoformat()} to {end.isoformat()} · Care Act 2014 Schedule 2 paragraph 4",
        outward=True,
        filename=f"sab-annual-report-{year}",
        sections=[
            Section(
                "Referrals and decisions",
                [
                    Facts(
                        [("SAR referrals received", str(tables["referrals_received"]))]
                        + [(f"Decided: {k}", str(n)) for k, n in sorted(tables["decisions"].items())]
                    )
                ],
            ),
            Section("SARs concluded in the year", [_sars(tables["concluded"])]),
            Section("SARs ongoing at the end of the year", [_sars(tables["ongoing"])]),
            Section("Findings and what was done", [_findings(tables["concluded"] + tables["ongoing"])]),
            Section(
                "Findings not acted on, and why",
                [Table(["SAR", "Finding", "Agency", "Reason"], not_done)]
                if not_done
                else [Paragraph("Every finding of these SARs was acted on or is still being acted on.")],
            ),
        ],
    )


def _sars(sars: list[dict[str, Any]]) -> Table:
    return Table(
        ["SAR", "Mandate", "Decided", "Completed", "Months taken", "Methodology"],
        [
            [
                s["reference"],
                text(s["legal_mandate"]),
                text(s["decision_at"]),
                text(s["review_completed_at"]),
                text(s["months_taken"]),
                text(s["methodology"]),
            ]
            for s in sars
        ],
    )


def _findings(sars: list[dict[str, Any]]) -> Table:
    return Table(
        ["SAR", "No.", "Finding", "What was done"],
        [
            [
                s["reference"],
                str(f["number"]),
                f["finding"],
                "; ".join(f"{w['owner_agency']}: {w['status']}" for w in f["what_was_done"]) or "no action agreed",
            ]
            for s in sars
            for f in s["findings"]
        ],
    )
