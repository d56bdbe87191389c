"""Bounds on timer values: refused before SpiffWorkflow does any date arithmetic with them.

SpiffWorkflow turns a duration into days month by month (``P99999999Y`` takes minutes), overflows on a
due time beyond year 9999, and cannot place ``0001-01-01`` in UTC. No real review waits that long, so a
timer outside these bounds is a modelling error: refused at validation when it is a literal, and as a
failed step (nothing changed) when an expression computes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

MAX_DURATION_DAYS = 3_653  # ten years
MAX_CYCLES = 1_000
MIN_CYCLE_INTERVAL_SECONDS = 60
EARLIEST_YEAR, LATEST_YEAR = 2000, 2200
_DAYS_PER = {"years": 365.25, "months": 365.25 / 12, "weeks": 7, "days": 1, "hours": 1 / 24, "minutes": 1 / 1440}
_SECONDS_PER_DAY = 86_400


class TimerOutOfBounds(ValueError):
    """A timer value that is not a valid ISO 8601 date, duration or cycle, or lies outside the bounds."""


def timer_problem(kind: str, value: Any) -> str | None:
    """Why a timer value of ``kind`` (``date``, ``duration`` or ``cycle``) is refused, or ``None``."""
    if not isinstance(value, str) or len(value) > 100:
        return f"timer value {str(value)[:40]!r} is not an ISO 8601 {kind}"
    text = value.strip()
    try:
        if kind == "cycle":
            return _cycle_problem(text)
        if kind == "duration" or text.upper().startswith("P"):
            return _duration_problem(text)
        return _date_problem(TimerEventDefinition.parse_time_or_duration(text))
    except Exception:  # SpiffWorkflow's parsers raise bare Exception (and ValueError, AttributeError, ...)
        return f"timer value '{text}' is not a valid ISO 8601 {kind}"


def check_timer(kind: str, value: Any) -> None:
    """Raise :class:`TimerOutOfBounds` for a value :func:`timer_problem` refuses."""
    problem = timer_problem(kind, value)
    if problem is not None:
        raise TimerOutOfBounds(problem)


def _duration_days(text: str) -> float:
    # parse_iso_duration only splits the text into numbers: cheap, unlike turning it into a timedelta.
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return sum(float(amount) * _DAYS_PER.get(unit, 1 / _SECONDS_PER_DAY) for unit, amount in parsed.items())


def _duration_problem(text: str) -> str | None:
    if not text.upper().startswith("P"):
        raise ValueError(text)
    if _duration_days(text) > MAX_DURATION_DAYS:
        return f"timer duration '{text}' is longer than the limit of {MAX_DURATION_DAYS // 365} years"
    return None


def _date_problem(moment: Any) -> str | None:
    if not isinstance(moment, dt.datetime):
        raise ValueError(moment)
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return f"timer date {moment.date().isoformat()} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR}"
    return None


def _cycle_problem(text: str) -> str | None:
    components = text.upper().replace("--", "/").split("/")
    if len(components) not in (2, 3) or not components[0].startswith("R"):
        raise ValueError(text)
    count = components[0][1:]
    if not count or int(count) > MAX_CYCLES:
        return f"timer cycle '{text}' must state a repeat count of at most {MAX_CYCLES} (R{MAX_CYCLES}/...)"
    durations = [part for part in components[1:] if part.startswith("P")]
    if len(durations) != 1:
        raise ValueError(text)
    for part in components[1:]:
        problem = _duration_problem(part) if part.startswith("P") else _date_problem(_parse_date(part))
        if problem is not None:
            return problem
    if _duration_days(durations[0]) * _SECONDS_PER_DAY < MIN_CYCLE_INTERVAL_SECONDS:
        return f"timer cycle '{text}' repeats more often than once a minute"
    return None


def _parse_date(text: str) -> Any:  # a cycle's start or end
    return TimerEventDefinition.parse_time_or_duration(text)
