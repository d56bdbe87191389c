"""Statutory clocks of a case, computed from its process's declared clocks and current variables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from service import engine
from service.engine.functions import LONDON, end_of_day, to_date, working_days_between

# What a clock can say, in the order reports show them.
CLOCK_STATUSES = ("met", "met_late", "overdue", "due_soon", "on_time", "not_started", "unreadable")


@dataclass(frozen=True)
class ClockStatus:
    """One clock: what it is, when it is due, and where it stands."""

    key: str
    name: str
    due_date: dt.date | None
    status: str  # not_started | on_time | due_soon | overdue | met | met_late | unreadable
    met_on: dt.date | None
    reason: str | None = None  # why an ``unreadable`` clock could not be read


def clock_statuses(
    clocks: list[engine.ClockDefinition], variables: dict[str, Any], *, now: dt.datetime, due_soon_days: int
) -> list[ClockStatus]:
    """Evaluate every applicable clock; one whose start is not yet known is ``not_started``."""
    statuses: list[ClockStatus] = []
    for clock in clocks:
        if clock.when and not _safe_eval(clock.when, variables):
            continue
        try:
            due = _date_or_none(_safe_eval(clock.due, variables), "its due date")
            met_on = _date_or_none(variables.get(clock.met), f"'{clock.met}'")
            status = _status(due, met_on, now, due_soon_days)
        except _Unreadable as exc:
            # A stored value that is not a date must never make the case unreadable: show why instead.
            statuses.append(ClockStatus(clock.key, clock.label, None, "unreadable", None, str(exc)))
            continue
        statuses.append(ClockStatus(clock.key, clock.label, due, status, met_on))
    return statuses


class _Unreadable(ValueError):
    pass


def _date_or_none(value: Any, what: str) -> dt.date | None:
    if not value:
        return None
    try:
        return to_date(value)
    except (TypeError, ValueError, OverflowError):
        raise _Unreadable(f"{what} holds {str(value)[:40]!r}, which is not a date") from None


def _status(due: dt.date | None, met_on: dt.date | None, now: dt.datetime, due_soon_days: int) -> str:
    if met_on is not None:
        return "met_late" if due is not None and met_on > due else "met"
    if due is None:
        return "not_started"
    if now > dt.datetime.fromisoformat(end_of_day(due)):
        return "overdue"
    try:
        left = working_days_between(now.astimezone(LONDON).date(), due)
    except ValueError:  # a due date decades away (the count is bounded)
        raise _Unreadable(f"its due date {due.isoformat()} is too far away") from None
    if left <= due_soon_days:
        return "due_soon"
    return "on_time"


def _safe_eval(expression: str, variables: dict[str, Any]) -> Any:
    try:
        return engine.evaluate_expression(expression, variables, unset_is_none=True)
    except (engine.ExpressionError, ValueError, TypeError):
        return None  # a clock whose inputs are not known yet has not started
