"""Recurring themes in the trace: an earlier review on the same theme, after its actions closed or raised at all.

A theme raised by hundreds of reviews would make every later recommendation list all of them (and cost a query
each), so each theme's earlier recommendations are read once per trace, and each recommendation lists the most
recent few earlier reviews per theme and counts the rest.
"""

from __future__ import annotations

import datetime as dt
import uuid
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from service.models import Action, Recommendation, RecommendationTheme, RecurringTheme, Theme

SHOWN_PER_THEME = 5

# How a theme recurs: raised by an earlier review whose actions were closed, or only raised earlier.
AFTER_CLOSED_ACTION = "after_closed_action"
RAISED_EARLIER = "raised_earlier"
RECURRENCE_KINDS = (AFTER_CLOSED_ACTION, RAISED_EARLIER)


class EarlierThemes:
    """What earlier reviews said on each theme, read once per theme."""

    def __init__(
        self, session: Session, partnership_id: uuid.UUID, window_years: int, reference: Callable[[uuid.UUID], str]
    ) -> None:
        self.session = session
        self.partnership_id = partnership_id
        self.window = relativedelta(years=window_years)
        self.reference = reference
        self._raised: dict[uuid.UUID, list[tuple[dt.datetime, uuid.UUID, uuid.UUID, int]]] = {}
        self._statuses: defaultdict[uuid.UUID, list[str]] = defaultdict(list)
        self._stored: defaultdict[uuid.UUID, list[tuple[RecurringTheme, Action]]] = defaultdict(list)

    def load_stored(self, recommendation_ids: list[uuid.UUID]) -> None:
        """The stored recurrences (after closed actions) of these recommendations, in one query."""
        for row, action in self.session.exec(
            select(RecurringTheme, Action)
            .join(Action, col(Action.id) == col(RecurringTheme.earlier_action_id))
            .where(col(RecurringTheme.recommendation_id).in_(recommendation_ids))
            .order_by(col(Action.completed_on).desc())
        ).all():
            self._stored[row.recommendation_id].append((row, action))

    def of(self, rec: Recommendation, themes: list[Theme]) -> tuple[list[dict[str, Any]], int]:
        """The recurrences to show for ``rec`` and how many more earlier reviews were not listed."""
        code = {t.id: t.code for t in themes}
        out: list[dict[str, Any]] = []
        said: set[tuple[str, str]] = set()
        more = 0
        shown: defaultdict[str, int] = defaultdict(int)
        for row, action in self._stored[rec.id]:
            theme, reference = (
                code.get(row.theme_id, row.detail.get("theme", "")),
                self.reference(action.review_case_id),
            )
            if (theme, reference) in said:
                continue
            said.add((theme, reference))
            if shown[theme] >= SHOWN_PER_THEME:
                more += 1
                continue
            shown[theme] += 1
            out.append(
                {
                    "kind": AFTER_CLOSED_ACTION,
                    "theme": theme,
                    "earlier_review": reference,
                    "earlier_action_status": action.status,
                    "earlier_completed_on": action.completed_on.isoformat() if action.completed_on else None,
                }
            )
        for theme_id, theme in code.items():
            raised = self._raised_on(theme_id)
            since = rec.created_at - self.window
            window = raised[bisect_left(raised, (since,)) : bisect_left(raised, (rec.created_at,))]
            listed, passed = 0, {rec.case_id}
            for _, other_id, case_id, number in reversed(window):  # the most recent first
                if listed >= SHOWN_PER_THEME:
                    break
                if case_id in passed:
                    continue  # the same review, or another recommendation of a review already looked at
                passed.add(case_id)
                reference = self.reference(case_id)
                if (theme, reference) in said:
                    continue  # already said: its actions were closed
                said.add((theme, reference))
                listed += 1
                out.append(
                    {
                        "kind": RAISED_EARLIER,
                        "theme": theme,
                        "earlier_review": reference,
                        "earlier_recommendation_number": number,
                        "earlier_action_statuses": sorted(self._statuses[other_id]),
                    }
                )
            more += len({case_id for _, _, case_id, _ in window} - passed)  # counted, not named (no check each)
        return out, more

    def _raised_on(self, theme_id: uuid.UUID) -> list[tuple[dt.datetime, uuid.UUID, uuid.UUID, int]]:
        if theme_id not in self._raised:
            on_theme = col(RecommendationTheme.theme_id) == theme_id
            self._raised[theme_id] = [
                (created, rid, case_id, number)
                for created, rid, case_id, number in self.session.exec(
                    select(Recommendation.created_at, Recommendation.id, Recommendation.case_id, Recommendation.number)
                    .join(RecommendationTheme, col(RecommendationTheme.recommendation_id) == col(Recommendation.id))
                    .where(on_theme, Recommendation.partnership_id == self.partnership_id)
                    .order_by(col(Recommendation.created_at))
                ).all()
            ]
            for rid, status in self.session.exec(
                select(Action.recommendation_id, Action.status)
                .join(RecommendationTheme, col(RecommendationTheme.recommendation_id) == col(Action.recommendation_id))
                .where(on_theme, Action.partnership_id == self.partnership_id)
            ).all():
                self._statuses[rid].append(status)
        return self._raised[theme_id]
