"""The Safeguarding Adults Board annual report's SAR tables (Care Act 2014 Sch 2 para 4), assembled from the data.

A SAB must report the SARs it arranged that concluded in the year and those still ongoing, their findings, what it
did to act on them, and its reasons for any finding not acted on (DOMAIN.md §4, "Outputs owed to others").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.principal import Principal
from service.actions.access import require_manager
from service.engine.functions import to_date_or_none
from service.errors import InvalidInput
from service.models import Action, Case, ProcessInstance, Recommendation, RecommendationTheme, Theme

SAR = "sar"
ARRANGED = ("mandatory", "discretionary")


def sar_annual_tables(session: Session, principal: Principal, *, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Referrals and decisions in the period, SARs concluded in it and ongoing at its end, with their actions."""
    require_manager(principal, "the SAB annual report")
    if end < start:
        raise InvalidInput("the period is empty", [{"field": "end", "message": "must not be before start"}])
    rows = session.exec(
        select(Case, ProcessInstance)
        .join(ProcessInstance, col(ProcessInstance.case_id) == col(Case.id))
        .where(
            Case.partnership_id == principal.partnership_id,
            Case.case_type == SAR,
            # The board's report is its oversight roles' to read; anyone else sees only the reviews they work on.
            need_to_know.full_clause(principal, Case.id),
        )
        .order_by(col(Case.created_at))
    ).all()
    decisions: Counter[str] = Counter()
    referrals = 0
    concluded: list[dict[str, Any]] = []
    ongoing: list[dict[str, Any]] = []
    for case, instance in rows:
        v = instance.variables
        referred, decided, completed = (
            to_date_or_none(v.get("referral_date")),
            to_date_or_none(v.get("decision_at")),
            to_date_or_none(v.get("review_completed_at")),
        )
        if referred is not None and start <= referred <= end:
            referrals += 1
            if v.get("decision"):
                decisions[str(v["decision"])] += 1
        if v.get("decision") not in ARRANGED or decided is None or decided > end:
            continue
        if completed is not None and start <= completed <= end:
            concluded.append(_sar(session, case, v))
        elif completed is None or completed > end:
            ongoing.append(_sar(session, case, v))
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "referrals_received": referrals,
        "decisions": dict(decisions),
        "concluded": concluded,
        "ongoing": ongoing,
    }


def _sar(session: Session, case: Case, v: dict[str, Any]) -> dict[str, Any]:
    recommendations = session.exec(
        select(Recommendation).where(Recommendation.case_id == case.id).order_by(col(Recommendation.number))
    ).all()
    decided, completed = to_date_or_none(v.get("decision_at")), to_date_or_none(v.get("review_completed_at"))
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "decision": v.get("decision"),
        "legal_mandate": v.get("legal_mandate"),
        "decision_at": decided.isoformat() if decided else None,
        "review_completed_at": completed.isoformat() if completed else None,
        "months_taken": _months(decided, completed) if decided and completed else None,
        "methodology": v.get("methodology"),
        "published_at": v.get("published_at"),
        "findings": [_finding(session, r) for r in recommendations],
    }


def _finding(session: Session, recommendation: Recommendation) -> dict[str, Any]:
    themes = session.exec(
        select(Theme.code)
        .join(RecommendationTheme, col(RecommendationTheme.theme_id) == col(Theme.id))
        .where(RecommendationTheme.recommendation_id == recommendation.id)
        .order_by(col(Theme.code))
    ).all()
    actions = session.exec(
        select(Action).where(Action.recommendation_id == recommendation.id).order_by(col(Action.created_at))
    ).all()
    return {
        "number": recommendation.number,
        "finding": recommendation.finding,
        "recommendation": recommendation.text,
        "themes": list(themes),
        "what_was_done": [
            {
                "owner_agency": a.owner_agency,
                "action": a.description,
                "status": a.status,
                "completed_on": a.completed_on.isoformat() if a.completed_on else None,
                "reason_not_implemented": a.not_implemented_reason,
            }
            for a in actions
        ],
    }


def _months(start: dt.date, end: dt.date) -> float:
    return round((end - start).days / (365.25 / 12), 1)
