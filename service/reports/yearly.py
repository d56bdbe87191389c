"""The yearly partnership report (Working Together): reviews, timeliness against the clocks (reg 14), actions,
learning and what changed, audits and training, the evidence of impact (said plainly when there is none), and the
impact trace drawn across the year's reviews."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import asdict

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.principal import Principal
from service.actions.access import require_manager
from service.audits.summaries import training_coverage
from service.cases.clocks import CLOCK_STATUSES
from service.engine.functions import to_date_or_none
from service.models import Action, HumanTask, LearningItem
from service.reports.document import Block, Chart, Document, Facts, Paragraph, Picture, Section, Table, text
from service.reports.sources import financial_year
from service.reports.trace import trace_of_cases
from service.reports.trace_picture import rows_of
from service.reports.year_scope import AUDIT_TYPES, Reviewed, cases_in_scope, in_year, reviews

KIND = "yearly-report"
STAGES = ("identified", "disseminated", "embedded", "evaluated")
TNA = "training_needs_analysis"
CHART_REVIEWS = 24  # bars beyond this are unreadable on a page; the table above lists every review
CLOCK_OUTCOMES = CLOCK_STATUSES


def build(session: Session, principal: Principal, year: int) -> Document:
    """The partnership's year, from the record."""
    require_manager(principal, "the yearly partnership report")
    start, end = financial_year(year)
    scope = cases_in_scope(session, principal, end=end)
    year_reviews = [r for r in reviews(scope) if in_year(r, start, end)]
    opened = [r for r in year_reviews if r.opened and start <= r.opened <= end]
    concluded = [r for r in year_reviews if r.concluded and start <= r.concluded <= end]
    types = sorted({r.case.case_type for r in year_reviews})
    months = [(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1) for m in range(12)]
    per_month = Counter((r.opened.year, r.opened.month) for r in opened if r.opened)
    done_month = Counter((r.concluded.year, r.concluded.month) for r in concluded if r.concluded)
    clocks: Counter[tuple[str, str]] = Counter((c.name, c.status) for r in year_reviews for c in r.clocks)
    clock_names = sorted({name for name, _ in clocks})
    case_ids = [r.case.id for r in year_reviews]
    actions = list(session.exec(select(Action).where(col(Action.review_case_id).in_(case_ids))).all())
    by_status = Counter(a.status for a in actions)
    items = list(
        session.exec(
            select(LearningItem).where(
                LearningItem.partnership_id == principal.partnership_id,
                need_to_know.case_clause(principal, LearningItem.case_id),
            )
        ).all()
    )
    stages = Counter(i.stage for i in items)
    item_cases = [i.case_id for i in items if i.case_id]
    changes = _completed(session, item_cases, "Task_RecordEmbedding", "embedded_at", start, end)
    evaluations = _completed(session, item_cases, "Task_EvaluateImpact", "evaluated_at", start, end)
    impact = [e for e in evaluations if e.data.get("outcome") == "impact_evidenced"]
    audits = [r for r in scope if r.case.case_type in AUDIT_TYPES and in_year(r, start, end)]
    training = [r for r in scope if r.case.case_type == "training_event" and in_year(r, start, end)]
    trace = trace_of_cases(session, principal, [r.case for r in year_reviews])
    return Document(
        kind=KIND,
        title="Yearly safeguarding partnership report",
        subtitle=f"{start.isoformat()} to {end.isoformat()} · generated from the record",
        outward=True,
        filename=f"yearly-report-{year}",
        sections=[
            Section(
                "Reviews opened and concluded",
                [
                    Table(
                        ["Review type", "Opened", "Concluded", "Open at year end"],
                        [
                            [
                                t,
                                str(sum(1 for r in opened if r.case.case_type == t)),
                                str(sum(1 for r in concluded if r.case.case_type == t)),
                                str(sum(1 for r in year_reviews if r.case.case_type == t and r.concluded is None)),
                            ]
                            for t in types
                        ],
                    ),
                    Chart(
                        "Reviews opened and concluded per month",
                        [f"{y}-{m:02d}" for y, m in months],
                        {
                            "opened": [float(per_month[k]) for k in months],
                            "concluded": [float(done_month[k]) for k in months],
                        },
                        y_label="reviews",
                    ),
                ],
            ),
            Section(
                "Time taken against the clocks (reg 14)",
                [
                    Table(
                        ["Review", "Type", "Decision", "Mandate", "Time taken (working days)", "Completed"],
                        [
                            [
                                r.case.reference,
                                r.case.case_type,
                                text((r.record or {}).get("decision")),
                                text((r.record or {}).get("legal_mandate")),
                                text((r.record or {}).get("time_taken_working_days")),
                                text((r.record or {}).get("review_completed_at")) if r.concluded else "still open",
                            ]
                            for r in year_reviews
                        ],
                    ),
                    _time_taken_chart(year_reviews),
                    Chart(
                        "Clocks by outcome",
                        clock_names,
                        {s: [float(clocks[(n, s)]) for n in clock_names] for s in CLOCK_OUTCOMES},
                        y_label="clocks",
                        stacked=True,
                    ),
                ],
            ),
            Section(
                "Recommendations and actions",
                [
                    Facts(
                        [
                            ("Recommendations", str(sum(len(t["findings"]) for t in trace))),
                            ("Actions", str(len(actions))),
                        ]
                        + [(f"Actions {s}", str(n)) for s, n in sorted(by_status.items())]
                    ),
                    Chart(
                        "Actions by status",
                        sorted(by_status),
                        {"actions": [float(by_status[s]) for s in sorted(by_status)]},
                        y_label="actions",
                    ),
                ],
            ),
            Section(
                "Learning and what changed as a result",
                [
                    Chart(
                        "Learning items by stage of the loop",
                        list(STAGES),
                        {"learning items": [float(stages[s]) for s in STAGES]},
                        y_label="items",
                    ),
                    Table(
                        ["Changed on", "Kind", "What changed"],
                        [
                            [
                                text(t.data.get("embedded_at")),
                                text(t.data.get("evidence_kind")),
                                text(t.data.get("embedding_summary")),
                            ]
                            for t in changes
                        ],
                    ),
                ],
            ),
            Section(
                "Audits and training",
                [
                    Facts(
                        [
                            ("Audits running or completed in the year", str(len(audits))),
                            ("Audits completed", str(sum(1 for a in audits if a.case.status == "closed"))),
                            ("Training events in the year", str(len(training))),
                        ]
                    ),
                    Table(
                        ["Audit", "Type", "Status"],
                        [[a.case.reference, a.case.case_type, a.case.status] for a in audits],
                    ),
                    *_training_coverage(session, principal, [r for r in scope if r.case.case_type == TNA]),
                ],
            ),
            Section(
                "Evidence of impact",
                [
                    Table(
                        ["Evaluated on", "Method", "What the evidence shows"],
                        [
                            [
                                text(e.data.get("evaluated_at")),
                                text(e.data.get("evaluation_method")),
                                text(e.data.get("evaluation_summary")),
                            ]
                            for e in impact
                        ],
                    )
                    if impact
                    else Paragraph(
                        "No evidence of impact on children, adults or families was recorded in this year: no learning "
                        "item was evaluated with its impact evidenced."
                    ),
                    Facts(
                        [
                            ("Evaluations in the year", str(len(evaluations))),
                            ("Impact evidenced", str(len(impact))),
                            ("Actions with impact evidence", "see the impact trace below"),
                        ]
                    ),
                ],
            ),
            Section(
                "The impact trace",
                [
                    Picture(
                        "From review to impact: the year's reviews",
                        [[asdict(c) for c in row] for row in rows_of(trace)],
                    ),
                    Paragraph("Red boxes are gaps: no action, closed without impact evidence, or never evaluated."),
                ],
            ),
        ],
    )


def _training_coverage(session: Session, principal: Principal, analyses: list[Reviewed]) -> list[Block]:
    """Coverage by level from the latest training needs analysis (all agencies that returned it)."""
    if not analyses:
        return [Paragraph("No training needs analysis has been run, so training coverage is not known.")]
    latest = training_coverage(session, principal, analyses[-1].case.id)
    return [
        Paragraph(f"Training coverage from {latest.case_reference} (training needs analysis {text(latest.tna_year)}):"),
        Table(
            ["Level", "Workforce", "Trained", "Needing training", "Coverage"],
            [
                [
                    str(c.level),
                    str(c.workforce),
                    str(c.trained),
                    str(c.needing),
                    f"{c.coverage:.0%}" if c.coverage is not None else "no workforce",
                ]
                for c in latest.total.levels
            ],
        ),
    ]


def _time_taken_chart(year_reviews: list[Reviewed]) -> Chart:
    """Working days each review has taken (so far), coloured by whether every clock it has run to was met."""
    shown = sorted(
        (r for r in year_reviews if (r.record or {}).get("time_taken_working_days") is not None),
        key=lambda r: -int((r.record or {})["time_taken_working_days"]),
    )[:CHART_REVIEWS]
    late = {r.case.id for r in shown if any(c.status in ("met_late", "overdue") for c in r.clocks)}
    taken = [float((r.record or {})["time_taken_working_days"]) for r in shown]
    return Chart(
        f"Time taken per review, longest first (up to {CHART_REVIEWS})",
        [r.case.reference for r in shown],
        {
            "every clock met or running": [0.0 if r.case.id in late else t for r, t in zip(shown, taken, strict=True)],
            "a clock missed": [t if r.case.id in late else 0.0 for r, t in zip(shown, taken, strict=True)],
        },
        y_label="working days",
        stacked=True,
    )


def _completed(
    session: Session, case_ids: list[uuid.UUID], element_id: str, date_field: str, start: dt.date, end: dt.date
) -> list[HumanTask]:
    """Completed record-keeping tasks whose own date (else their completion) falls in the year."""
    tasks = session.exec(
        select(HumanTask)
        .where(col(HumanTask.case_id).in_(case_ids), HumanTask.element_id == element_id, HumanTask.state == "completed")
        .order_by(col(HumanTask.completed_at))
    ).all()
    out = []
    for task in tasks:
        on = to_date_or_none(task.data.get(date_field)) or (task.completed_at.date() if task.completed_at else None)
        if on is not None and start <= on <= end:
            out.append(task)
    return out
