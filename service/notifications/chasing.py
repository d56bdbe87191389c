"""Automatic chasing of open agency tasks on the partnership's schedule (policy.ChaseSchedule).

Each pass works out, for every open agency task with a due date, which occasion today is: due soon, the due
date, or the k-th repeat every N working days after it. Each occasion is chased once (its idempotency key), so
a scan every few seconds sends one reminder per occasion; a task that is done is no longer open and is never
chased again (a reminder still queued for it is withdrawn before sending). The chase history of a task is its
``chase`` notifications: who was chased, when, and whether the mail went out.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Session, col, select

from service.config import get_settings
from service.db.types import utcnow
from service.engine.functions import LONDON, working_days_between
from service.models import Case, HumanTask, Notification, Partnership
from service.notifications import recipients
from service.notifications.kinds import Kind
from service.notifications.policy import ChaseSchedule, settings_for
from service.notifications.produce import notify, task_facts

LOOKAHEAD = dt.timedelta(days=31)  # covers any due-soon window in working days


def occasion(schedule: ChaseSchedule, today: dt.date, due: dt.date, due_soon_days: int) -> tuple[str, str] | None:
    """(key, label) of today's chase for a task due on ``due``, or None when today is not a chasing day."""
    if today < due:
        if schedule.at_due_soon and working_days_between(today, due) <= due_soon_days:
            return "due_soon", "due soon"
        return None
    if today == due:
        return ("due_date", "due today") if schedule.on_due_date else None
    if schedule.every_working_days <= 0:
        return None
    repeat = working_days_between(due, today) // schedule.every_working_days
    if 1 <= repeat <= schedule.max_repeats:
        return f"overdue_{repeat}", f"overdue, reminder {repeat}"
    return None


def chase_due(session: Session, *, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Record today's chases for open agency tasks; returns how many notices were recorded."""
    now = now or utcnow()
    today = now.astimezone(LONDON).date()
    due_soon_days = get_settings().due_soon_working_days
    rows = session.exec(
        select(HumanTask, Case)
        .join(Case, col(Case.id) == col(HumanTask.case_id))
        .where(
            HumanTask.state == "open",
            col(HumanTask.agency_code).is_not(None),
            col(HumanTask.due_at).is_not(None),
            col(HumanTask.due_at) <= now + LOOKAHEAD,
        )
        .order_by(col(HumanTask.due_at))
        .limit(limit)
    ).all()
    schedules: dict[uuid.UUID, ChaseSchedule] = {}
    recorded = 0
    for task, case in rows:
        if task.partnership_id not in schedules:
            partnership = session.get(Partnership, task.partnership_id)
            assert partnership is not None
            schedules[task.partnership_id] = settings_for(partnership.notifications).chase
        schedule = schedules[task.partnership_id]
        assert task.due_at is not None
        found = (
            occasion(schedule, today, task.due_at.astimezone(LONDON).date(), due_soon_days)
            if schedule.enabled
            else None
        )
        if found is None:
            continue
        key = f"chase:{task.id}:{found[0]}"
        already = session.exec(
            select(Notification.id).where(
                Notification.task_id == task.id, col(Notification.idempotency_key).startswith(key + ":")
            )
        ).first()
        if already is not None:
            continue
        people = recipients.responsible(session, task, case)
        facts = task_facts(task, case, occasion=found[1])
        recorded += len(
            notify(session, recipients=people, kind=Kind.CHASE, key=key, facts=facts, case=case, task=task, now=now)
        )
    return recorded
