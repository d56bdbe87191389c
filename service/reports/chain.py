"""The links below a review's recommendations, read a kind at a time for all of them, with their gaps flagged."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from service.access import need_to_know
from service.access.need_to_know import Level
from service.access.principal import Principal
from service.actions.recommendations import ADDRESSED
from service.actions.recurrence import EarlierThemes
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.learning.items import RECORDS
from service.models import (
    Action,
    Case,
    Evidence,
    HumanTask,
    LearningItem,
    Partnership,
    ProcessInstance,
    Recommendation,
    RecommendationTheme,
    Theme,
)
from service.processes.settings import settings_for

RECHECK_TASK = "Task_ConfirmSustained"
CHUNK = 500

# Gap kinds (docs/reports.md lists them with when each is flagged).
ACTION_WITHOUT_IMPACT = "action_closed_without_impact_evidence"
RECOMMENDATION_WITHOUT_ACTION = "recommendation_without_action"
LEARNING_NOT_EVALUATED = "learning_item_not_evaluated"
THEME_RECURRING = "theme_recurring_after_closed_actions"
GAP_KINDS = (ACTION_WITHOUT_IMPACT, RECOMMENDATION_WITHOUT_ACTION, LEARNING_NOT_EVALUATED, THEME_RECURRING)


class Chain:
    """Builds the links below recommendations, reading each kind of link for all of them at once."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        partnership = session.get(Partnership, principal.partnership_id)
        assert partnership is not None
        self.window_years = settings_for(partnership.settings).recurring_theme_window_years
        self._levels: dict[uuid.UUID, Level] = {}
        self._earlier = EarlierThemes(session, principal.partnership_id, self.window_years, self._reference)
        self._themes: defaultdict[uuid.UUID, list[Theme]] = defaultdict(list)
        self._actions: defaultdict[uuid.UUID, list[Action]] = defaultdict(list)
        self._items: defaultdict[uuid.UUID, list[LearningItem]] = defaultdict(list)
        self._variables: dict[uuid.UUID, dict[str, Any]] = {}
        self._evidence: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
        self._tasks: defaultdict[tuple[uuid.UUID, str], list[HumanTask]] = defaultdict(list)
        self._tasks_read: set[uuid.UUID] = set()

    def findings(self, recommendations: Sequence[Recommendation]) -> list[dict[str, Any]]:
        """Each recommendation's chain (a query per kind of link, not per recommendation)."""
        ids = [r.id for r in recommendations]
        for rid, theme in _each(
            self.session,
            ids,
            lambda chunk: (
                select(RecommendationTheme.recommendation_id, Theme)
                .join(Theme, col(Theme.id) == col(RecommendationTheme.theme_id))
                .where(col(RecommendationTheme.recommendation_id).in_(chunk))
                .order_by(col(Theme.code))
            ),
        ):
            self._themes[rid].append(theme)
        actions = _each(
            self.session,
            ids,
            lambda chunk: (
                select(Action).where(col(Action.recommendation_id).in_(chunk)).order_by(col(Action.created_at))
            ),
        )
        for action in actions:
            self._actions[action.recommendation_id].append(action)
        items = _each(
            self.session,
            ids,
            lambda chunk: (
                select(LearningItem)
                .where(col(LearningItem.source_recommendation_id).in_(chunk))
                .order_by(col(LearningItem.created_at))
            ),
        )
        for item in items:
            if item.source_recommendation_id is not None:
                self._items[item.source_recommendation_id].append(item)
        action_cases = [a.case_id for a in actions if a.case_id]
        for case_id, stored in _each(
            self.session,
            action_cases,
            lambda chunk: (
                select(ProcessInstance.case_id, ProcessInstance.variables)  # not the large workflow state
                .where(col(ProcessInstance.case_id).in_(chunk))
                .order_by(col(ProcessInstance.created_at))
            ),
        ):
            self._variables.setdefault(case_id, dict(stored))
        for action_id, filename in _each(
            self.session,
            [a.id for a in actions],
            lambda chunk: (
                select(Evidence.action_id, Evidence.filename)
                .where(col(Evidence.action_id).in_(chunk))
                .order_by(col(Evidence.created_at))
            ),
        ):
            self._evidence[action_id].append(filename)
        self._load_tasks(action_cases + [i.case_id for i in items if i.case_id])
        for start in range(0, len(ids), CHUNK):
            self._earlier.load_stored(ids[start : start + CHUNK])
        return [self._recommendation(r) for r in recommendations]

    def learning_items(self, items: Sequence[LearningItem]) -> list[dict[str, Any]]:
        """Learning items' own chains (dissemination, embedding, evaluation)."""
        self._load_tasks([i.case_id for i in items if i.case_id])
        return [self._learning(i) for i in items]

    def _load_tasks(self, case_ids: list[uuid.UUID]) -> None:
        elements = [RECHECK_TASK, *(element for element, _ in RECORDS.values())]
        new = [c for c in case_ids if c not in self._tasks_read]  # read once, however often a case is reached
        self._tasks_read.update(new)
        for task in _each(
            self.session,
            new,
            lambda chunk: (
                select(HumanTask)
                .where(
                    col(HumanTask.case_id).in_(chunk),
                    col(HumanTask.element_id).in_(elements),
                    HumanTask.state == "completed",
                )
                .order_by(col(HumanTask.completed_at))
            ),
        ):
            self._tasks[(task.case_id, task.element_id)].append(task)

    def _recommendation(self, rec: Recommendation) -> dict[str, Any]:
        themes = self._themes[rec.id]
        actions = [self._action(a) for a in self._actions[rec.id]]
        learning = [self._learning(item) for item in self._items[rec.id]]
        recurring, not_listed = self._earlier.of(rec, themes)
        gaps = [g for a in actions for g in a["gaps"]] + [g for item in learning for g in item["gaps"]]
        if not actions:
            gaps.insert(0, gap(RECOMMENDATION_WITHOUT_ACTION, f"recommendation {rec.number} has no action"))
        closed_before = [r for r in recurring if r["kind"] == "after_closed_action"]
        if closed_before:
            earlier = ", ".join(sorted({r["earlier_review"] for r in closed_before}))
            codes = ", ".join(sorted({r["theme"] for r in closed_before}))
            gaps.append(
                gap(
                    THEME_RECURRING,
                    f"recommendation {rec.number} repeats '{codes}', which actions of {earlier} had closed",
                )
            )
        for g in gaps:
            g.setdefault("recommendation_number", rec.number)
        return {
            "recommendation_id": str(rec.id),
            "number": rec.number,
            "finding": rec.finding,
            "recommendation": rec.text,
            "themes": [t.code for t in themes],
            "principles": list(rec.principles),
            "recurring": recurring,
            "recurring_not_listed": not_listed,  # further earlier reviews on these themes, beyond the latest few
            "actions": actions,
            "learning_items": learning,
            "gaps": gaps,
        }

    def _action(self, action: Action) -> dict[str, Any]:
        variables = self._variables.get(action.case_id, {}) if action.case_id else {}
        rechecks = self._answers(action.case_id, RECHECK_TASK, ("sustained", "recheck_evidence"))
        evidence_files = self._evidence[action.id]
        impact = variables.get("impact_evidence") or None
        today = utcnow().astimezone(LONDON).date()
        gaps = []
        if action.status in ADDRESSED and not impact:
            gaps.append(
                gap(
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

    def _learning(self, item: LearningItem) -> dict[str, Any]:
        records = {name: self._answers(item.case_id, element, keys) for name, (element, keys) in RECORDS.items()}
        gaps = []
        if not records["evaluations"]:
            gaps.append(
                gap(
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

    def _reference(self, case_id: uuid.UUID) -> str:
        # A recurrence may point at a review the reader may not see: say that one exists, never which.
        case = self.session.get(Case, case_id)
        if case is None:
            return "a review you are not involved in"
        if case_id not in self._levels:
            self._levels[case_id] = need_to_know.level(self.session, self.principal, case)
        return case.reference if self._levels[case_id] is Level.FULL else "a review you are not involved in"

    def _answers(self, case_id: uuid.UUID | None, element_id: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
        if case_id is None:
            return []
        return [
            {"agency": t.agency_code, **{k: t.data.get(k) for k in keys}} for t in self._tasks[(case_id, element_id)]
        ]


def _each(session: Session, ids: list[uuid.UUID], query: Callable[[list[uuid.UUID]], Any]) -> list[Any]:
    """Rows of ``query`` over ``ids`` in chunks (a bounded number of bound parameters per statement)."""
    rows: list[Any] = []
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        rows.extend(session.exec(query(unique[start : start + CHUNK])).all())
    return rows


def gap(kind: str, message: str, **where: str) -> dict[str, Any]:
    """One gap in the chain: its kind, a sentence, and where it is."""
    return {"kind": kind, "message": message, **where}
