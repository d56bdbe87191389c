"""Fire due timers.

Several workers may run against PostgreSQL. Each due instance is locked with ``FOR UPDATE SKIP LOCKED``:
a worker takes instances nobody else holds, fires every due timer of that instance in one engine step,
and commits. A second worker never fires the same timer: it skips the locked instance, and once the lock
is released the timer is no longer waiting. Timer rows are only changed under their instance's lock, so
workers cannot deadlock on them.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session, col, select

from service import engine
from service.audit.log import record
from service.db.session import unit_of_work
from service.db.types import utcnow
from service.errors import DomainError
from service.models import ProcessInstance, Timer
from service.workflow.stepper import mark_failed, step

log = logging.getLogger(__name__)
BATCH = 50


def due_instance_ids(session: Session, *, limit: int = BATCH) -> list[uuid.UUID]:
    """Instances with at least one timer whose time has come, earliest first."""
    rows = session.exec(
        select(Timer.instance_id, Timer.due_at)
        .where(Timer.status == "waiting", col(Timer.due_at) <= utcnow())
        .order_by(col(Timer.due_at))
        .limit(limit * 4)
    ).all()
    return list(dict.fromkeys(instance_id for instance_id, _ in rows))[:limit]


def fire_instance(session: Session, instance_id: uuid.UUID) -> int:
    """Fire this instance's due timers if no other worker holds it; return how many fired."""
    instance = session.exec(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    if instance is None or instance.status != "running":
        return 0
    due = session.exec(
        select(Timer).where(Timer.instance_id == instance_id, Timer.status == "waiting", col(Timer.due_at) <= utcnow())
    ).all()
    if not due:
        return 0  # another worker fired them between our look-up and our lock
    snapshot = step(session, instance=instance, action=engine.fire_due_timers)
    still_waiting = {timer.task_id for timer in snapshot.timers}
    # Read again, not from the session: the step changes timer rows by statement (service/workflow/stepper.py).
    fired = session.exec(
        select(Timer)
        .where(Timer.instance_id == instance_id, col(Timer.id).in_([t.id for t in due]))
        .execution_options(populate_existing=True)
    ).all()
    count = 0
    for timer in fired:
        if timer.status == "waiting":
            if timer.engine_task_id in still_waiting:
                continue  # the engine had not yet reached the due time by its own clock; keep waiting
            # A row whose timer the engine does not wait on: closed here, or every pass would pick it again.
            log.warning("timer %s of instance %s had no timer waiting in the engine; closed", timer.id, instance_id)
            timer.status = "cancelled"
            session.add(timer)
            continue
        count += 1
        record(
            session,
            partnership_id=timer.partnership_id,
            actor=None,
            action="timer.fired",
            object_type="process_instance",
            object_id=str(instance_id),
            summary=f"Timer '{timer.name or timer.element_id}' fired (due {timer.due_at.isoformat()})",
        )
    return count


def fire_due_timers(*, url: str | None = None) -> int:
    """One pass: fire every due timer, each instance in its own transaction. Returns timers fired."""
    with unit_of_work(write=False, url=url) as session:
        instance_ids = due_instance_ids(session)
    fired = 0
    for instance_id in instance_ids:
        try:
            with unit_of_work(write=True, url=url) as session:
                fired += fire_instance(session, instance_id)
        except DomainError as exc:
            if exc.commit:
                # The instance was marked failed; keep that record (the transaction above rolled back).
                _record_failure(instance_id, str(exc), url)
            log.warning("timer step for instance %s refused: %s", instance_id, exc.detail)
    return fired


def _record_failure(instance_id: uuid.UUID, message: str, url: str | None) -> None:
    with unit_of_work(write=True, url=url) as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is not None and instance.status != "failed":
            mark_failed(session, instance, message)
