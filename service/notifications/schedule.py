"""The worker's periodic notification work: chase open agency tasks, then record the day's digests."""

from __future__ import annotations

import datetime as dt

from service.db.session import unit_of_work
from service.notifications.chasing import chase_due
from service.notifications.digest import send_digests


def scan(*, url: str | None = None, now: dt.datetime | None = None) -> int:
    """Each in its own transaction, so a failing one never holds back the other; returns notices recorded."""
    with unit_of_work(write=True, url=url) as session:
        chased = chase_due(session, now=now)
    with unit_of_work(write=True, url=url) as session:
        digests = send_digests(session, now=now)
    return chased + digests
