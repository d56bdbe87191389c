"""Refreshers: when each trainee's training at each level needs renewing (DSLs every 2 years, others every 3)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.db.types import utcnow
from service.engine.functions import LONDON
from service.errors import Forbidden, InvalidInput
from service.models import Partnership, Trainee, TrainingRecord
from service.pagination import Page
from service.processes.settings import PartnershipSettings, settings_for
from service.training.access import agency_scope

REFRESHER_STATUSES = ("overdue", "due_soon", "current")


@dataclass
class Refresher:
    """One trainee's refresher at one level."""

    trainee: Trainee
    level: int
    last_completed_on: dt.date
    due_on: dt.date
    status: str


def refreshers_for(
    trainee: Trainee, records: list[TrainingRecord], settings: PartnershipSettings, *, today: dt.date, within_days: int
) -> list[Refresher]:
    """Per level: the latest completion plus the refresher interval (DSL or other staff), and its status."""
    latest: dict[int, dt.date] = {}
    for r in records:
        if r.trainee_id == trainee.id and (r.level not in latest or r.completed_on > latest[r.level]):
            latest[r.level] = r.completed_on
    years = settings.refresher_years_dsl if trainee.is_dsl else settings.refresher_years_default
    result = []
    for level, completed in sorted(latest.items()):
        due = completed + relativedelta(years=years)
        status = (
            "overdue" if due < today else "due_soon" if due <= today + dt.timedelta(days=within_days) else "current"
        )
        result.append(Refresher(trainee=trainee, level=level, last_completed_on=completed, due_on=due, status=status))
    return result


def list_refreshers(
    session: Session,
    principal: Principal,
    *,
    agency: str | None,
    status: str | None,
    within_days: int,
    cursor: str | None,
    limit: int,
) -> Page[Refresher]:
    """Every active trainee's refreshers, soonest due first; agency leads see their own agency's only."""
    scope = agency_scope(principal)
    if scope is not None:
        if agency not in (None, scope):
            raise Forbidden("an agency safeguarding lead sees only their own agency's refreshers")
        agency = scope
    problems = []
    if status is not None and status not in REFRESHER_STATUSES:
        problems.append({"field": "status", "message": "must be one of: " + ", ".join(REFRESHER_STATUSES)})
    if not 0 <= within_days <= 3650:
        problems.append({"field": "within_days", "message": "must be between 0 and 3650"})
    offset = _offset(cursor, problems)
    if problems:
        raise InvalidInput("the refresher query is not valid", problems)
    trainees = select(Trainee).where(Trainee.partnership_id == principal.partnership_id, col(Trainee.active).is_(True))
    if agency:
        trainees = trainees.where(Trainee.agency == agency)
    people = {t.id: t for t in session.exec(trainees).all()}
    records = session.exec(
        select(TrainingRecord).where(
            TrainingRecord.partnership_id == principal.partnership_id, col(TrainingRecord.trainee_id).in_(list(people))
        )
    ).all()
    by_trainee: dict[uuid.UUID, list[TrainingRecord]] = {}
    for r in records:
        by_trainee.setdefault(r.trainee_id, []).append(r)
    settings = partnership_settings(session, principal)
    today = utcnow().astimezone(LONDON).date()
    rows = [
        refresher
        for trainee_id, own in by_trainee.items()
        for refresher in refreshers_for(people[trainee_id], own, settings, today=today, within_days=within_days)
        if status is None or refresher.status == status
    ]
    rows.sort(key=lambda r: (r.due_on, r.trainee.name, str(r.trainee.id), r.level))
    page = rows[offset : offset + limit]
    more = offset + limit < len(rows)
    return Page(items=page, next_cursor=str(offset + limit) if more else None)


def partnership_settings(session: Session, principal: Principal) -> PartnershipSettings:
    """The caller's partnership's settings (refresher years, follow-up months, agency share)."""
    partnership = session.get(Partnership, principal.partnership_id)
    assert partnership is not None
    return settings_for(partnership.settings)


def _offset(cursor: str | None, problems: list[dict[str, str]]) -> int:
    if cursor is None:
        return 0
    if cursor.isdigit():
        return int(cursor)
    problems.append({"field": "cursor", "message": "pass back exactly the next_cursor value of the previous page"})
    return 0
