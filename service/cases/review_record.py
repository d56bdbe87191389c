"""The review record every review type keeps: what national analyses find missing (issue 3, DOMAIN.md §4).

The lifecycle captures these as variables with standard names (docs/lifecycles/conventions.md); this module
assembles them and works out the time taken, so nobody types them twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.engine.functions import to_date_or_none, working_days_between
from service.models import Case

# Standard variable → the variables that may hold it (the CSPR predates the convention).
_SOURCES: dict[str, tuple[str, ...]] = {
    "referral_source": ("referral_source",),
    "referral_date": ("referral_date", "aware_at"),
    "legal_mandate": ("legal_mandate",),
    "decision": ("decision",),
    "decision_at": ("decision_at",),
    "decision_rationale": ("decision_rationale",),
    "review_period_from": ("review_period_from",),
    "review_period_to": ("review_period_to",),
    "methodology": ("methodology",),
    "reviewer_name": ("reviewer_name",),
    "reviewer_declared_affiliations": ("reviewer_declared_affiliations",),
    "review_completed_at": ("review_completed_at", "final_report_at"),
}


def review_record(
    case: Case, variables: dict[str, Any], *, default_mandate: str | None, today: dt.date
) -> dict[str, Any] | None:
    """The standard review record of a case, or None when its process keeps none (e.g. an action)."""
    found = {key: _first(variables, names) for key, names in _SOURCES.items()}
    if found["referral_date"] is None and found["decision"] is None:
        return None
    found["legal_mandate"] = found["legal_mandate"] or default_mandate
    found["involved_agencies"] = list(case.involved_agencies)
    started = to_date_or_none(found["referral_date"])
    ended = to_date_or_none(found["review_completed_at"])
    if started is not None:
        until = ended or today
        found["time_taken_days"] = (until - started).days
        found["time_taken_working_days"] = working_days_between(started, until)
    else:
        found["time_taken_days"] = found["time_taken_working_days"] = None
    found["completed"] = ended is not None
    return found


def _first(variables: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((variables[name] for name in names if variables.get(name) not in (None, "")), None)
