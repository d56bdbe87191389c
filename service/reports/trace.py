"""The impact trace: review → findings → recommendations (themes) → actions → learning → dissemination →
embedding → evaluation, with the gaps national analyses keep finding flagged where they occur (issue 13).

Built from the record only (recommendations, actions and their lifecycles' answers, learning items and theirs),
so it is the same whenever it is asked for. A case is traced within the caller's need-to-know; a theme across
reviews includes only the reviews the caller sees in full.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.actions.recommendations import ADDRESSED
from service.actions.themes import get_theme
from service.audit.access import AccessKind, record_access
from service.db.types import utcnow
from service.engine.functions import LONDON, add_months, to_date
from service.learning.items import RECORDS
from service.models import (
    Action,
    Case,
    Evidence,
    LearningItem,
    Partnership,
    ProcessInstance,
    Recommendation,
    RecommendationTheme,
    RecurringTheme,
    Theme,
)
from service.processes.settings import settings_for
from service.reports.sources import answers

RECHECK_TASK = "Task_ConfirmSustained"

# Gap kinds, with the sentence a reader sees.
ACTION_WITHOUT_IMPACT = "action_closed_without_impact_evidence"
RECOMMENDATION_WITHOUT_ACTION = "recommendation_without_action"
LEARNING_NOT_EVALUATED = "learning_item_not_evaluated"
THEME_RECURRING = "theme_recurring_after_closed_actions"
NO_RECOMMENDATIONS = "review_without_recommendations"


def case_trace(session: Session, principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    """The whole chain of one review (members and oversight roles only); the look is logged."""
    case, _ = need_to_know.case_or_404(session, principal, case_id, need=Level.FULL, doing="its impact trace")
    record_access(session, principal, kind=AccessKind.CASE, object_type="case", object_id=case.id, case_id=case.id)
    recommendations = session.exec(
        select(Recommendation).where(Recommendation.case_id == case.id).order_by(col(Recommendation.number))
    ).all()
    chain = _Chain(session, principal)
    findings = [chain.recommendation(r) for r in recommendations]
    loose = [
        chain.learning(item)
        for item in _learning_of(session, case.partnership_id, case_ids=[case.id])
        if item.source_recommendation_id is None
    ]
    gaps = [gap for finding in findings for gap in finding["gaps"]] + [gap for item in loose for gap in item["gaps"]]
    if not recommendations:
        gaps.insert(0, _gap(NO_RECOMMENDATIONS, f"{case.reference} has no findings or recommendations recorded"))
    return {
        "review": _review(case),
        "findings": findings,
        "learning_items": loose,
        "gaps": gaps,
        "links": _links_summary(findings, loose),
    }


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
    chain = _Chain(session, principal)
    reviews: dict[uuid.UUID, dict[str, Any]] = {}
    for recommendation, case in rows:
        entry = reviews.setdefault(case.id, {"review": _review(case), "findings": []})
        entry["findings"].append(chain.recommendation(recommendation))
        record_access(session, principal, kind=AccessKind.CASE, object_type="case", object_id=case.id, case_id=case.id)
    findings = [f for r in reviews.values() for f in r["findings"]]
    return {
        "theme": {"code": theme.code, "label": theme.label},
        "reviews": list(reviews.values()),
        "gaps": [gap for f in findings for gap in f["gaps"]],
        "links": _links_summary(findings, []),
    }


def trace_of_cases(session: Session, principal: Principal, cases: list[Case]) -> list[dict[str, Any]]:
    """The findings chains of several reviews the caller already sees (for the yearly report's picture)."""
    chain = _Chain(session, principal)
    out = []
    for case in cases:
        recommendations = session.exec(
            select(Recommendation).where(Recommendation.case_id == case.id).order_by(col(Recommendation.number))
        ).all()
        out.append({"review": _review(case), "findings": [chain.recommendation(r) for r in recommendations]})
    return out


class _Chain:
    """Builds the links below a recommendation; caches what several recommendations share."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        partnership = session.get(Partnership, principal.partnership_id)
        assert partnership is not None
        self.window_years = settings_for(partnership.settings).recurring_theme_window_years
        self._levels: dict[uuid.UUID, Level] = {}

    def recommendation(self, rec: Recommendation) -> dict[str, Any]:
        themes = self._themes(rec.id)
        actions = [
            self.action(a)
            for a in self.session.exec(
                select(Action).where(Action.recommendation_id == rec.id).order_by(col(Action.created_at))
            ).all()
        ]
        learning = [
            self.learning(item)
            for item in self.session.exec(
                select(LearningItem)
                .where(LearningItem.source_recommendation_id == rec.id)
                .order_by(col(LearningItem.created_at))
            ).all()
        ]
        recurring = self._recurrences(rec, themes)
        gaps = [gap for a in actions for gap in a["gaps"]] + [gap for item in learning for gap in item["gaps"]]
        if not actions:
            gaps.insert(0, _gap(RECOMMENDATION_WITHOUT_ACTION, f"recommendation {rec.number} has no action"))
        closed_before = [r for r in recurring if r["kind"] == "after_closed_action"]
        if closed_before:
            earlier = ", ".join(sorted({r["earlier_review"] for r in closed_before}))
            codes = ", ".join(sorted({r["theme"] for r in closed_before}))
            gaps.append(
                _gap(
                    THEME_RECURRING,
                    f"recommendation {rec.number} repeats '{codes}', which actions of {earlier} had closed",
                )
            )
        for gap in gaps:
            gap.setdefault("recommendation_number", rec.number)
        return {
            "recommendation_id": str(rec.id),
            "number": rec.number,
            "finding": rec.finding,
            "recommendation": rec.text,
            "themes": [t.code for t in themes],
            "principles": list(rec.principles),
            "recurring": recurring,
            "actions": actions,
            "learning_items": learning,
            "gaps": gaps,
        }

    def action(self, action: Action) -> dict[str, Any]:
        variables = self._variables(action.case_id)
        rechecks = self._answers(action.case_id, RECHECK_TASK, ("sustained", "recheck_evidence"))
        evidence_files = self.session.exec(
            select(Evidence.filename).where(Evidence.action_id == action.id).order_by(col(Evidence.created_at))
        ).all()
        impact = variables.get("impact_evidence") or None
        today = utcnow().astimezone(LONDON).date()
        gaps = []
        if action.status in ADDRESSED and not impact:
            gaps.append(
                _gap(
                    ACTION_WITHOUT_IMPACT,
                    f"the {action.owner_agency} action due {action.due_date.isoformat()} was closed "
                    f"({action.status}) without evidence of impact against '{action.impact_measure}'",
                    action_id=str(action.id),
                )
            )
        return {
            "action_id": str(action.id),
            "owner_agency": action.owner_agency,
            "lead_name": action.lead_name,
            "description": action.description,
            "due_date": action.due_date.isoformat(),
            "status": action.status,
            "overdue": action.status in ("in_progress", "returned", "reopened") and action.due_date < today,
            "completed_on": action.completed_on.isoformat() if action.completed_on else None,
            "not_implemented_reason": action.not_implemented_reason,
            "impact_measure": action.impact_measure,
            "baseline": action.baseline,
            "impact_evidence": impact,
            "evidence_files": list(evidence_files),
            "rechecks": rechecks,
            "next_recheck_on": action.next_recheck_on.isoformat() if action.next_recheck_on else None,
            "gaps": gaps,
        }

    def learning(self, item: LearningItem) -> dict[str, Any]:
        records = {name: self._answers(item.case_id, element, keys) for name, (element, keys) in RECORDS.items()}
        gaps = []
        if not records["evaluations"]:
            gaps.append(
                _gap(
                    LEARNING_NOT_EVALUATED,
                    f"the learning item '{item.title}' has not been evaluated (it is at '{item.stage}')",
                    learning_item_id=str(item.id),
                )
            )
        return {
            "learning_item_id": str(item.id),
            "title": item.title,
            "stage": item.stage,
            "loop_count": item.loop_count,
            "dissemination": records["disseminations"],
            "cascades": records["cascades"],
            "embedding": records["embedding_evidence"],
            "evaluation": records["evaluations"],
            "reach": sum(int(d.get("reach") or 0) for d in records["disseminations"])
            + sum(int(c.get("staff_reached") or 0) for c in records["cascades"]),
            "gaps": gaps,
        }

    def _recurrences(self, rec: Recommendation, themes: list[Theme]) -> list[dict[str, Any]]:
        """Earlier reviews in the window on the same themes: after closed actions (stored), or raised at all."""
        out: list[dict[str, Any]] = []
        code = {t.id: t.code for t in themes}
        for row in self.session.exec(select(RecurringTheme).where(RecurringTheme.recommendation_id == rec.id)).all():
            action = self.session.get(Action, row.earlier_action_id)
            assert action is not None
            out.append(
                {
                    "kind": "after_closed_action",
                    "theme": code.get(row.theme_id, row.detail.get("theme", "")),
                    "earlier_review": self._reference(action.review_case_id),
                    "earlier_action_status": action.status,
                    "earlier_completed_on": action.completed_on.isoformat() if action.completed_on else None,
                }
            )
        if not themes:
            return out
        since = dt.datetime.combine(
            to_date(add_months(rec.created_at.astimezone(LONDON).date(), -12 * self.window_years)), dt.time(), dt.UTC
        )
        earlier = self.session.exec(
            select(Recommendation, RecommendationTheme.theme_id)
            .join(RecommendationTheme, col(RecommendationTheme.recommendation_id) == col(Recommendation.id))
            .where(
                Recommendation.partnership_id == rec.partnership_id,
                col(RecommendationTheme.theme_id).in_(list(code)),
                Recommendation.case_id != rec.case_id,
                col(Recommendation.created_at) < rec.created_at,
                col(Recommendation.created_at) >= since,
            )
            .order_by(col(Recommendation.created_at))
        ).all()
        seen = {(r["theme"], r["earlier_review"]) for r in out}
        for other, theme_id in earlier:
            reference = self._reference(other.case_id)
            if (code[theme_id], reference) in seen:
                continue  # already said: its actions were closed
            seen.add((code[theme_id], reference))
            statuses = self.session.exec(select(Action.status).where(Action.recommendation_id == other.id)).all()
            out.append(
                {
                    "kind": "raised_earlier",
                    "theme": code[theme_id],
                    "earlier_review": reference,
                    "earlier_recommendation_number": other.number,
                    "earlier_action_statuses": sorted(statuses),
                }
            )
        return out

    def _reference(self, case_id: uuid.UUID) -> str:
        # A recurrence may point at a review the reader may not see: say that one exists, never which.
        case = self.session.get(Case, case_id)
        if case is None:
            return "a review you are not involved in"
        if case_id not in self._levels:
            self._levels[case_id] = need_to_know.level(self.session, self.principal, case)
        return case.reference if self._levels[case_id] is Level.FULL else "a review you are not involved in"

    def _themes(self, recommendation_id: uuid.UUID) -> list[Theme]:
        return list(
            self.session.exec(
                select(Theme)
                .join(RecommendationTheme, col(RecommendationTheme.theme_id) == col(Theme.id))
                .where(RecommendationTheme.recommendation_id == recommendation_id)
                .order_by(col(Theme.code))
            ).all()
        )

    def _variables(self, case_id: uuid.UUID | None) -> dict[str, Any]:
        if case_id is None:
            return {}
        instance = self.session.exec(
            select(ProcessInstance).where(ProcessInstance.case_id == case_id).order_by(col(ProcessInstance.created_at))
        ).first()
        return dict(instance.variables) if instance else {}

    def _answers(self, case_id: uuid.UUID | None, element_id: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        if case_id is None:
            return []
        return [
            {"agency": t.agency_code, **{k: t.data.get(k) for k in keys}}
            for t in answers(self.session, case_id, element_id)
        ]


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


def _gap(kind: str, message: str, **where: str) -> dict[str, Any]:
    return {"kind": kind, "message": message, **where}


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
