"""Working days exclude weekends and England & Wales bank holidays (from the holidays package)."""

from __future__ import annotations

import time

import pytest

from service.engine.functions import (
    add_months,
    add_working_days,
    end_of_day,
    is_working_day,
    timer_value,
    to_date,
    working_days_between,
)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-04-02", 5, "2026-04-13"),  # Thu before Easter: Good Friday and Easter Monday skipped
        ("2026-04-03", 1, "2026-04-07"),  # notified on Good Friday itself
        ("2026-11-20", 5, "2026-11-27"),  # Friday: the weekend is skipped
        ("2026-12-23", 3, "2026-12-30"),  # Christmas Day Fri, Boxing Day substitute Mon 28 Dec
        ("2026-04-02", 15, "2026-04-27"),
        ("2026-10-20", -7, "2026-10-09"),
        ("2026-04-02T10:00:00+01:00", 5, "2026-04-13"),
    ],
)
def test_add_working_days(start: str, days: int, expected: str) -> None:
    assert add_working_days(start, days) == expected


def test_bank_holidays_come_from_the_holidays_package() -> None:
    assert not is_working_day(to_date("2026-08-31"))  # summer bank holiday (England, not Scotland)
    assert is_working_day(to_date("2026-08-03"))  # Scotland's August holiday is a working day here


def test_working_days_between_counts_both_directions() -> None:
    assert working_days_between("2026-10-01", "2026-10-05") == 2
    assert working_days_between("2026-10-01", "2026-10-12") == 7
    assert working_days_between("2026-10-12", "2026-10-01") == -7


def test_months_clamp_to_month_end() -> None:
    assert add_months("2026-01-31", 1) == "2026-02-28"
    assert add_months("2026-04-20", 6) == "2026-10-20"


def test_deadlines_are_end_of_day_in_london_across_daylight_saving() -> None:
    assert end_of_day("2026-04-13") == "2026-04-13T23:59:59+01:00"
    assert end_of_day("2026-12-01") == "2026-12-01T23:59:59+00:00"
    assert timer_value("2026-12-01") == "2026-12-01T23:59:59+00:00"
    assert timer_value("PT5M") == "PT5M"


def test_working_day_arithmetic_is_bounded_before_it_counts() -> None:
    started = time.process_time()  # processor time: other test workers share the cores
    with pytest.raises(ValueError, match="at most"):
        add_working_days("2026-01-01", 2_000_000)
    with pytest.raises(ValueError, match="at most"):
        working_days_between("0001-01-01", "8000-01-01")
    assert time.process_time() - started < 2
    assert add_working_days("2026-01-01", -3_650) < "2026-01-01"
