"""Domain functions a diagram may call in conditions, scripts and timers.

Dates travel through task data as ISO strings (``YYYY-MM-DD``) because that is what forms submit and
what serialises cleanly; every function accepts a string, a ``date`` or a ``datetime``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

LONDON = ZoneInfo("Europe/London")
MAX_WORKING_DAYS = 3_650  # about fourteen years of working days: checked before counting day by day
MAX_SPAN_DAYS = 50 * 366  # fifty years between two dates, likewise


def to_date(value: Any) -> dt.date:
    """Read a date from an ISO string, a date or a datetime (datetimes are read in Europe/London)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo is None else value.astimezone(LONDON)).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return to_date(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    raise ValueError(f"expected a date, got {value!r}")


def to_date_or_none(value: Any) -> dt.date | None:
    """``to_date`` for values that may be missing or not yet a valid date (a form field left empty)."""
    try:
        return to_date(value) if value else None
    except (TypeError, ValueError):
        return None


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    # England and Wales share one list; the holidays package calls it subdivision ENG.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def ready_calendar() -> None:
    """Load this year's bank holidays. The holidays package's first use in a process costs about 0.1 s of
    processor time (more on a slow machine); called before a step's budget starts, it never counts against a
    diagram, which could otherwise be refused for the library's start-up."""
    _bank_holidays(dt.datetime.now(LONDON).year)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not an England & Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: Any, days: int) -> str:
    """The date ``days`` working days after ``start`` (the day after ``start`` is the first)."""
    day = to_date(start)
    remaining = int(days)
    if abs(remaining) > MAX_WORKING_DAYS:
        raise ValueError(f"at most {MAX_WORKING_DAYS} working days can be added, not {remaining}")
    step = 1 if remaining >= 0 else -1
    while remaining:
        day += dt.timedelta(days=step)
        if is_working_day(day):
            remaining -= step
    return day.isoformat()


def working_days_between(start: Any, end: Any) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    first, last = to_date(start), to_date(end)
    sign = 1
    if last < first:
        first, last, sign = last, first, -1
    if (last - first).days > MAX_SPAN_DAYS:
        raise ValueError("working days can be counted across at most fifty years")
    count = sum(1 for n in range(1, (last - first).days + 1) if is_working_day(first + dt.timedelta(days=n)))
    return sign * count


def add_days(start: Any, days: int) -> str:
    """Calendar days after ``start``."""
    return (to_date(start) + dt.timedelta(days=int(days))).isoformat()


def add_months(start: Any, months: int) -> str:
    """Calendar months after ``start`` (31 January + 1 month = 28/29 February)."""
    return (to_date(start) + relativedelta(months=int(months))).isoformat()


def end_of_day(value: Any) -> str:
    """The last moment of that day in England, as an ISO datetime: a date-valued deadline's due time."""
    day = to_date(value)
    moment = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LONDON)
    return moment.isoformat()


def timer_value(value: Any) -> str:
    """Normalise a timer expression's result: dates become the end of that day; datetimes become ISO."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=LONDON)).isoformat()
    if isinstance(value, dt.date):
        return end_of_day(value)
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return end_of_day(text)
    return text


def today() -> str:
    """Today's date in England."""
    return dt.datetime.now(LONDON).date().isoformat()


def now() -> str:
    """The current moment, ISO with offset."""
    return dt.datetime.now(dt.UTC).isoformat()


def split_codes(value: Any) -> list[str]:
    """``"police, health"`` → ``["police", "health"]``; lists pass through; empty → ``[]``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip().lower() for part in value.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part).strip().lower() for part in value if str(part).strip()]
    raise ValueError(f"expected a list or comma-separated text, got {value!r}")


def intersects(left: Any, right: Any) -> bool:
    """True when two code lists (or comma-separated texts) share an entry."""
    return bool(set(split_codes(left)) & set(split_codes(right)))


def is_empty(value: Any) -> bool:
    """JUEL's ``empty``: nothing set, an empty text, or an empty list or dictionary."""
    return value is None or (isinstance(value, str | list | tuple | dict | set) and len(value) == 0)


def sum_numbers(values: Iterable[Any], start: Any = 0) -> Any:
    """``sum`` for numbers only: adding lists or texts this way is quadratic (a nested list took 27 s)."""
    items = list(values)
    if not all(isinstance(item, int | float) for item in (start, *items)):
        raise ValueError("sum adds numbers only; to combine lists or texts use + or str.join")
    return sum(items, start)


def loop_cardinality_count(value: Any) -> int:
    """A loop cardinality's result, which must be a count (spec_settling wraps every one in this; like every
    function here, its name cannot be assigned by a script)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"a loop cardinality must be a whole number, not {type(value).__name__}; to run the task once per "
            "item of a list, name the list in camunda:collection"
        )
    return value


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "add_working_days": add_working_days,
    "working_days_between": working_days_between,
    "add_days": add_days,
    "add_months": add_months,
    "end_of_day": end_of_day,
    "timer_value": timer_value,
    "loop_cardinality_count": loop_cardinality_count,
    "today": today,
    "now": now,
    "split_codes": split_codes,
    "intersects": intersects,
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "sorted": sorted,
    "any": any,
    "all": all,
    "sum": sum_numbers,
    "is_empty": is_empty,
}
