"""Retry timing: the schedule with jitter, and Retry-After (seconds or an HTTP date) honoured."""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime

from service.webhooks.delivery import MAX_RETRY_AFTER, _backoff, _retry_after


def test_backoff_follows_the_schedule_with_ten_percent_jitter() -> None:
    delays = {_backoff(300, None).total_seconds() for _ in range(50)}
    assert all(270 <= d <= 330 for d in delays) and len(delays) > 1


def test_retry_after_wins_and_is_capped() -> None:
    assert _backoff(5, dt.timedelta(seconds=120)) == dt.timedelta(seconds=120)
    assert _backoff(5, dt.timedelta(days=30)) == MAX_RETRY_AFTER


def test_retry_after_header_forms() -> None:
    assert _retry_after("120") == dt.timedelta(seconds=120)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    parsed = _retry_after(format_datetime(later, usegmt=True))
    assert parsed is not None and dt.timedelta(minutes=9) < parsed <= dt.timedelta(minutes=10)
    assert _retry_after("soon") is None and _retry_after(None) is None
