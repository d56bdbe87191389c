"""Statutory clocks of a case, computed from its process's declared clocks and current variables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from service import engine
from service.config import get_settings
from service.engine.functions import LONDON, end_of_day, to_date, working_days_between
from service.models import ProcessInstance
from service.processes import registry

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


def instance_clocks(session: Session, instance: ProcessInstance, *, now: dt.datetime) -> list[ClockStatus]:
    """The clocks of one case's process as they stand at ``now``."""
    return clocks_of(session, ClockInputs(instance.definition_id, instance.variables), now=now)


@dataclass(frozen=True)
class ClockInputs:
    """What a case's clocks are computed from: its process's definition and current variables."""

    definition_id: uuid.UUID
    variables: dict[str, Any]


def clocks_of(session: Session, inputs: ClockInputs, *, now: dt.datetime) -> list[ClockStatus]:
    """Clocks as they stand at ``now`` (due soon: within ``LIF_DUE_SOON_WORKING_DAYS`` working days)."""
    definition = registry.loaded(session, inputs.definition_id)
    return clock_statuses(
        definition.clocks, inputs.variables, now=now, due_soon_days=get_settings().due_soon_working_days
    )


_IDS_PER_QUERY = 500  # well under every database's limit on bound parameters


def clock_inputs(session: Session, case_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ClockInputs]:
    """Each case's lifecycle process (its first instance): definition and variables only, never the engine state."""
    ids = list(case_ids)
    found: dict[uuid.UUID, ClockInputs] = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        rows = session.exec(
            select(ProcessInstance.case_id, ProcessInstance.definition_id, ProcessInstance.variables)
            .where(col(ProcessInstance.case_id).in_(ids[start : start + _IDS_PER_QUERY]))
            .order_by(col(ProcessInstance.created_at).desc())
        ).all()
        for case_id, definition_id, variables in rows:
            found[case_id] = ClockInputs(definition_id, dict(variables))  # the oldest is written last, and wins
    return found


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
