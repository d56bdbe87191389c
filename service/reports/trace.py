"""The impact trace: review → findings → recommendations (themes) → actions → learning → dissemination →
embedding → evaluation, with the gaps national analyses keep finding flagged where they occur (issue 13).

Built from the record only (recommendations, actions and their lifecycles' answers, learning items and theirs),
so it is the same whenever it is asked for. A case is traced within the caller's need-to-know; a theme across
reviews includes only the reviews the caller sees in full.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.actions.themes import get_theme
from service.audit.access import AccessKind, record_access
from service.models import (
    Case,
    LearningItem,
    Recommendation,
    RecommendationTheme,
)
from service.reports.chain import CHUNK, Chain, gap
from service.reports.trace_picture import draw, rows_of

NO_RECOMMENDATIONS = "review_without_recommendations"


def case_trace(session: Session, principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    """The whole chain of one review (members and oversight roles only); the look is logged."""
    case, _ = need_to_know.case_or_404(session, principal, case_id, need=Level.FULL, doing="its impact trace")
    record_access(session, principal, kind=AccessKind.CASE, object_type="case", object_id=case.id, case_id=case.id)
    recommendations = session.exec(
        select(Recommendation).where(Recommendation.case_id == case.id).order_by(col(Recommendation.number))
    ).all()
    chain = Chain(session, principal)
    findings = chain.findings(recommendations)
    loose = chain.learning_items(
        [
            i
            for i in _learning_of(session, case.partnership_id, case_ids=[case.id])
            if i.source_recommendation_id is None
        ]
    )
    gaps = [g for finding in findings for g in finding["gaps"]] + [g for item in loose for g in item["gaps"]]
    if not recommendations:
        gaps.insert(0, gap(NO_RECOMMENDATIONS, f"{case.reference} has no findings or recommendations recorded"))
    return {
        "review": _review(case),
        "findings": findings,
        "learning_items": loose,
        "gaps": gaps,
        "links": _links_summary(findings, loose),
    }


def case_trace_svg(session: Session, principal: Principal, case_id: uuid.UUID) -> bytes:
    """The case's impact trace drawn as SVG (the same need-to-know and logging as the JSON trace)."""
    found = case_trace(session, principal, case_id)
    rows = rows_of([{"review": found["review"], "findings": found["findings"]}])
    return draw(rows, title=f"Impact trace of {found['review']['reference']}", fmt="svg")


def theme_trace(session: Session, principal: Principal, code: str) -> dict[str, Any]:
    """The chain of every recommendation on one theme, across the reviews the caller sees in full."""
    theme = get_theme(session, principal, code)
    rows = session.exec(
        select(Recommendation, Case)
        .join(RecommendationTheme, col(RecommendationTheme.recommendation_id) == col(Recommendation.id))
        .join(Case, col(Case.id) == col(Recommendation.case_id))
        .where(
            RecommendationTheme.theme_id == theme.id,
            Recommendation.partnership_id == principal.partnership_id,
            need_to_know.full_clause(principal, Recommendation.case_id),
        )
        .order_by(col(Recommendation.created_at), col(Recommendation.number))
    ).all()
    traced = Chain(session, principal).findings([r for r, _ in rows])
    reviews: dict[uuid.UUID, dict[str, Any]] = {}
    for (_, case), finding in zip(rows, traced, strict=True):
        if case.id not in reviews:
            record_access(
                session, principal, kind=AccessKind.CASE, object_type="case", object_id=case.id, case_id=case.id
            )
        reviews.setdefault(case.id, {"review": _review(case), "findings": []})["findings"].append(finding)
    findings = [f for r in reviews.values() for f in r["findings"]]
    return {
        "theme": {"code": theme.code, "label": theme.label},
        "reviews": list(reviews.values()),
        "gaps": [g for f in findings for g in f["gaps"]],
        "links": _links_summary(findings, []),
    }


def trace_of_cases(session: Session, principal: Principal, cases: list[Case]) -> list[dict[str, Any]]:
    """The findings chains of several reviews the caller already sees (for the yearly report's picture)."""
    by_case: dict[uuid.UUID, list[Recommendation]] = {case.id: [] for case in cases}
    ids = list(by_case)
    for start in range(0, len(ids), CHUNK):
        for rec in session.exec(
            select(Recommendation)
            .where(col(Recommendation.case_id).in_(ids[start : start + CHUNK]))
            .order_by(col(Recommendation.number))
        ).all():
            by_case[rec.case_id].append(rec)
    traced = iter(Chain(session, principal).findings([r for recs in by_case.values() for r in recs]))
    return [{"review": _review(case), "findings": [next(traced) for _ in by_case[case.id]]} for case in cases]


def _learning_of(session: Session, partnership_id: uuid.UUID, *, case_ids: list[uuid.UUID]) -> list[LearningItem]:
    return list(
        session.exec(
            select(LearningItem)
            .where(LearningItem.partnership_id == partnership_id, col(LearningItem.source_case_id).in_(case_ids))
            .order_by(col(LearningItem.created_at))
        ).all()
    )


def _review(case: Case) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "case_type": case.case_type,
        "subject_pseudonym": case.subject_pseudonym,
        "status": case.status,
    }


def _links_summary(findings: list[dict[str, Any]], loose: list[dict[str, Any]]) -> dict[str, int]:
    """How many of each link the chain holds (a reader sees at once where it thins out)."""
    counts: defaultdict[str, int] = defaultdict(int)
    items = [i for f in findings for i in f["learning_items"]] + loose
    counts["recommendations"] = len(findings)
    counts["actions"] = sum(len(f["actions"]) for f in findings)
    counts["actions_with_impact_evidence"] = sum(1 for f in findings for a in f["actions"] if a["impact_evidence"])
    counts["learning_items"] = len(items)
    counts["disseminated"] = sum(1 for i in items if i["dissemination"])
    counts["embedded"] = sum(1 for i in items if i["embedding"])
    counts["evaluated"] = sum(1 for i in items if i["evaluation"])
    return dict(counts)
