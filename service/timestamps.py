"""The one format for a moment the service sends out, in REST responses and webhook payloads alike.

RFC 3339 in UTC with the ``Z`` suffix and always six fractional digits, e.g. ``2026-12-01T14:00:00.000000Z``:
fixed width, so the strings sort as the moments do, and lossless, so a value read from one response can be
sent back as a filter (``since``) and mean exactly that moment. Plain dates stay ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt


def rfc3339(value: dt.datetime) -> str:
    """``value`` as the service writes every date-time. A naive value is taken as UTC (SQLite stores no zone)."""
    moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    # isoformat, not strftime: half the time (1.3 against 2.7 us), and a list of 50 tasks writes 150 of these.
    # In UTC it always ends "+00:00", which the Z replaces.
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def rfc3339_or_none(value: dt.datetime | None) -> str | None:
    """``rfc3339``, passing ``None`` through."""
    return None if value is None else rfc3339(value)
