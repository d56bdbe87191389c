"""The composite action plan for the quarterly board: per agency and per theme, what is overdue and what was closed
without impact evidence."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.actions.access import action_clause, require_manager
from service.actions.plan import WORKING
from service.actions.recommendations import ADDRESSED
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.models import Action, Case, ProcessInstance, RecommendationTheme, Theme
from service.reports.document import Chart, Document, Facts, Section, Table

KIND = "composite-action-plan"
STATUSES = ("in_progress", "returned", "reopened", "awaiting_assurance", "completed", "sustained", "not_implemented")


def build(session: Session, principal: Principal, year: int | None = None) -> Document:
    """Every action the caller oversees, as at today (``year`` is not used: a plan is always current)."""
    require_manager(principal, "the composite action plan")
    today = utcnow().astimezone(LONDON).date()
    rows = session.exec(
        select(Action, Case.reference)
        .join(Case, col(Case.id) == col(Action.review_case_id))
        .where(Action.partnership_id == principal.partnership_id, action_clause(principal))
        .order_by(col(Action.owner_agency), col(Action.due_date))
    ).all()
    impact = _impact_evidence(session, [a.case_id for a, _ in rows if a.case_id])
    by_id = {a.id: a for a, _ in rows}
    themes: defaultdict[str, list[Action]] = defaultdict(list)
    for action_id, code in session.exec(
        select(Action.id, Theme.code)
        .join(RecommendationTheme, col(RecommendationTheme.recommendation_id) == col(Action.recommendation_id))
        .join(Theme, col(Theme.id) == col(RecommendationTheme.theme_id))
        .where(Action.partnership_id == principal.partnership_id, action_clause(principal))
    ).all():
        themes[code].append(by_id[action_id])
    overdue = [(a, ref) for a, ref in rows if a.status in WORKING and a.due_date < today]
    unevidenced = [(a, ref) for a, ref in rows if a.status in ADDRESSED and not impact.get(a.case_id)]
    agencies = sorted({a.owner_agency for a, _ in rows})
    by_agency = {g: Counter(a.status for a, _ in rows if a.owner_agency == g) for g in agencies}
    statuses = [s for s in STATUSES if any(c[s] for c in by_agency.values())] or list(STATUSES[:1])

    def summary(actions: list[Action]) -> list[str]:
        ids = {a.id for a in actions}
        return [
            str(len(actions)),
            str(sum(1 for a, _ in overdue if a.id in ids)),
            str(sum(1 for a in actions if a.status in ADDRESSED)),
            str(sum(1 for a, _ in unevidenced if a.id in ids)),
        ]

    header = ["Actions", "Overdue", "Completed or sustained", "Closed without impact evidence"]
    listing = ["Review", "Agency", "Action", "Due", "Status"]
    return Document(
        kind=KIND,
        title="Composite action plan",
        subtitle=f"As at {today.isoformat()} · for the board's quarterly meeting",
        outward=False,
        filename=f"composite-action-plan-{today.isoformat()}",
        sections=[
            Section(
                "Summary",
                [
                    Facts(
                        [
                            ("Actions", str(len(rows))),
                            ("Overdue", str(len(overdue))),
                            ("Closed without impact evidence", str(len(unevidenced))),
                        ]
                    ),
                    Chart(
                        "Actions by agency and status",
                        agencies,
                        {s: [float(by_agency[g][s]) for g in agencies] for s in statuses},
                        y_label="actions",
                        stacked=True,
                    ),
                ],
            ),
            Section(
                "Per agency",
                [
                    Table(
                        ["Agency", *header],
                        [[g, *summary([a for a, _ in rows if a.owner_agency == g])] for g in agencies],
                    )
                ],
            ),
            Section("Per theme", [Table(["Theme", *header], [[t, *summary(themes[t])] for t in sorted(themes)])]),
            Section("Overdue", [Table(listing, [_row(a, ref) for a, ref in overdue])]),
            Section("Closed without impact evidence", [Table(listing, [_row(a, ref) for a, ref in unevidenced])]),
        ],
    )


def _row(action: Action, reference: str) -> list[str]:
    return [reference, action.owner_agency, action.description, action.due_date.isoformat(), action.status]


def _impact_evidence(session: Session, case_ids: list[object]) -> dict[object, bool]:
    """Which action cases reported impact against their measure (the lifecycle's ``impact_evidence``)."""
    found: dict[object, bool] = {}
    for case_id, variables in session.exec(
        select(ProcessInstance.case_id, ProcessInstance.variables).where(col(ProcessInstance.case_id).in_(case_ids))
    ).all():
        found[case_id] = bool(variables.get("impact_evidence"))
    return found
