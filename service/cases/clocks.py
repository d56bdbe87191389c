"""Statutory clocks of a case, computed from its process's declared clocks and current variables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from service import engine
from service.engine.functions import LONDON, end_of_day, to_date, working_days_between


@dataclass(frozen=True)
class ClockStatus:
    """One clock: what it is, when it is due, and where it stands."""

    key: str
    name: str
    due_date: dt.date | None
    status: str  # not_started | on_time | due_soon | overdue | met | met_late
    met_on: dt.date | None


def clock_statuses(
    clocks: list[engine.ClockDefinition], variables: dict[str, Any], *, now: dt.datetime, due_soon_days: int
) -> list[ClockStatus]:
    """Evaluate every applicable clock; one whose start is not yet known is ``not_started``."""
    statuses: list[ClockStatus] = []
    for clock in clocks:
        if clock.when and not _safe_eval(clock.when, variables):
            continue
        due_value = _safe_eval(clock.due, variables)
        due = to_date(due_value) if due_value else None
        met_value = variables.get(clock.met)
        met_on = to_date(met_value) if met_value else None
        statuses.append(ClockStatus(clock.key, clock.label, due, _status(due, met_on, now, due_soon_days), met_on))
    return statuses


def _status(due: dt.date | None, met_on: dt.date | None, now: dt.datetime, due_soon_days: int) -> str:
    if met_on is not None:
        return "met_late" if due is not None and met_on > due else "met"
    if due is None:
        return "not_started"
    if now > dt.datetime.fromisoformat(end_of_day(due)):
        return "overdue"
    if working_days_between(now.astimezone(LONDON).date(), due) <= due_soon_days:
        return "due_soon"
    return "on_time"


def _safe_eval(expression: str, variables: dict[str, Any]) -> Any:
    try:
        return engine.evaluate_expression(expression, variables, unset_is_none=True)
    except (engine.ExpressionError, ValueError, TypeError):
        return None  # a clock whose inputs are not known yet has not started
