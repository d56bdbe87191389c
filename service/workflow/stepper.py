"""Run one engine step on a stored instance, inside the caller's transaction.

Every change to a process instance goes through :func:`step`: lock the row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite writers already hold the database write lock), run the engine on the stored state,
then write the new state, the task projection, the timers and the case in the same transaction, guarded
by the instance's integer version. If anything fails, the transaction rolls back and the previous state
stands untouched.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, and_, bindparam, update
from sqlmodel import Session, select

from service import engine
from service.access.principal import Principal
from service.audit.log import record
from service.db.guarded import update_if_unchanged
from service.db.rows import new_row
from service.db.session import reading
from service.db.types import utcnow
from service.errors import Conflict, InstanceFailed, NotFound
from service.models import Case, HumanTask, ProcessInstance, Timer
from service.outbox.emit import emit_case_event, emit_task_event
from service.outbox.events import EventType
from service.processes import registry
from service.workflow.after_step import StepDone, run_after_step

EngineAction = Callable[[engine.LoadedDefinition, dict[str, Any]], engine.Snapshot]


# Built once, the instance as a parameter: these run on every step, and building a statement (with its cache key)
# cost about as much as running it.
_OPEN_TASKS = select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"), HumanTask.state == "open")
# Timer rows change by statement, not through the ORM: no row is read to change it (see _project_timers).
_TIMERS: Table = Timer.__table__  # type: ignore[attr-defined]
_WAITING = and_(_TIMERS.c.instance_id == bindparam("of_instance"), _TIMERS.c.status == "waiting")
_CLOSE_TIMERS = (
    update(_TIMERS)
    .where(_WAITING, _TIMERS.c.engine_task_id.in_(bindparam("of_tasks", expanding=True)))
    .values(status=bindparam("set_status"), fired_at=bindparam("set_fired_at"))
)
_MOVE_TIMER = (
    update(_TIMERS)
    .where(_WAITING, _TIMERS.c.engine_task_id == bindparam("of_task"))
    .values(due_at=bindparam("set_due_at"))
)


def lock_instance(session: Session, partnership_id: uuid.UUID, instance_id: uuid.UUID) -> ProcessInstance:
    """Load an instance for update, refreshing any copy already in the session. (A task's completion takes the same
    lock in the query that reads its task: service/tasks/service.py, one round trip fewer.)"""
    instance = session.exec(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id, ProcessInstance.partnership_id == partnership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if instance is None:
        raise NotFound(f"there is no process instance {instance_id}")
    return instance


def create_instance(
    session: Session,
    *,
    case: Case,
    definition_id: uuid.UUID,
    data: dict[str, Any],
    actor: Principal | None,
) -> ProcessInstance:
    """Start a case's lifecycle process and project its first tasks and timers."""
    definition = registry.loaded(session, definition_id)
    try:
        snapshot = engine.start(definition, data)
    except engine.EngineError as exc:
        raise Conflict(f"the process could not start: {exc}") from None
    # Inserted with its first state: one INSERT rather than an INSERT and an UPDATE.
    instance = new_row(
        ProcessInstance,
        partnership_id=case.partnership_id,
        case_id=case.id,
        definition_id=definition_id,
        **_stored_state(snapshot, version=1, now=utcnow()),
    )
    session.add(instance)  # its tasks and timers follow it in the flush: service/models orders them
    _apply(session, instance, case, definition, snapshot, completed_task=None, new=True)
    record(
        session,
        partnership_id=case.partnership_id,
        actor=actor,
        action="instance.started",
        object_type="process_instance",
        object_id=str(instance.id),
        summary=f"{definition.name} started for case {case.reference}",
    )
    return instance


def step(
    session: Session,
    *,
    instance: ProcessInstance,
    action: EngineAction,
    completed_task: HumanTask | None = None,
) -> engine.Snapshot:
    """Run ``action`` on a locked instance and store the outcome; see the module docstring."""
    if instance.status != "running":
        raise Conflict(f"the process instance is {instance.status}; it cannot take this step")
    definition = registry.loaded(session, instance.definition_id)
    case = session.get(Case, instance.case_id)
    assert case is not None
    # lock_instance re-read the row, so this dict is ours to give away (the engine consumes it); the
    # new state replaces it below, and on any error the whole transaction is discarded.
    try:
        snapshot = action(definition, instance.state)
    except engine.InstanceBroken as exc:
        _fail(session, instance, case.reference, str(exc))
        raise InstanceFailed(f"the process instance has failed and was stopped: {exc}", commit=True) from None
    except (engine.TaskNotReady, engine.NotWaitingForMessage) as exc:
        raise Conflict(str(exc)) from None
    except engine.EngineError as exc:
        raise Conflict(f"the process could not take this step, nothing was changed: {exc}") from None
    _apply(session, instance, case, definition, snapshot, completed_task=completed_task)
    return snapshot


def migrate_to(session: Session, *, instance: ProcessInstance, target_definition_id: uuid.UUID) -> engine.Snapshot:
    """Move a locked instance to another version of its process (refused with the reason when unsafe)."""
    if instance.status not in ("running", "suspended"):
        raise Conflict(f"the process instance is {instance.status}; only running or suspended instances move")
    source = registry.loaded(session, instance.definition_id)
    target = registry.loaded(session, target_definition_id)
    case = session.get(Case, instance.case_id)
    assert case is not None
    try:
        snapshot = engine.migrate(source, target, instance.state)
    except engine.InstanceBroken as exc:
        raise Conflict(f"the instance would break on the target version: {exc}") from None
    except engine.EngineError as exc:
        raise Conflict(str(exc)) from None
    status = instance.status
    _apply(session, instance, case, target, snapshot, completed_task=None)
    instance.definition_id = target_definition_id
    if status == "suspended" and not snapshot.completed:
        instance.status = "suspended"
    session.add(instance)
    return snapshot


def _apply(
    session: Session,
    instance: ProcessInstance,
    case: Case,
    definition: engine.LoadedDefinition,
    snapshot: engine.Snapshot,
    *,
    completed_task: HumanTask | None,
    new: bool = False,
) -> None:
    """Store a step's outcome. ``new``: the instance was just inserted with this snapshot (it has no tasks or
    timers yet)."""
    now = utcnow()
    if new:
        passed_before: set[str] = set()
        before_waiting: set[str] = set()
    else:
        passed_before = set(instance.completed_element_ids or [])
        before_waiting = set(instance.waiting_messages or [])
        _store(session, instance, _stored_state(snapshot, version=instance.version + 1, now=now))
    stages = _stages(definition, snapshot)
    stage_changed = stages != case.stages
    case.stages = stages
    case.updated_at = now
    if snapshot.completed:  # set now, so the case row is written once (its event still comes last, below)
        case.status = "closed"
        case.closed_at = now
    # Events in causal order: the case enters its new stage, then that stage's tasks appear; closing comes last.
    if stage_changed and not snapshot.completed:
        emit_case_event(session, EventType.CASE_STAGE_CHANGED, case)
    _project_tasks(session, instance, case, definition, snapshot, completed_task, new=new)
    _project_timers(session, instance, snapshot, new=new)
    if snapshot.completed:
        emit_case_event(session, EventType.CASE_CLOSED, case)
    if snapshot.completed:
        record(
            session,
            partnership_id=case.partnership_id,
            actor=None,
            action="case.closed",
            object_type="case",
            object_id=str(case.id),
            summary=f"Case {case.reference} closed: its lifecycle completed",
        )
    session.add(case)
    # Last, so a step these start (a linked case, the review's plan closing) sees this one fully applied.
    run_after_step(
        session,
        StepDone(
            case=case,
            definition=definition,
            snapshot=snapshot,
            passed_before=frozenset(passed_before),
            was_waiting=frozenset(before_waiting),
        ),
    )


def _stored_state(snapshot: engine.Snapshot, *, version: int, now: dt.datetime) -> dict[str, Any]:
    """The instance columns a snapshot sets."""
    return {
        "state": snapshot.state,
        "serializer_version": engine.SERIALIZER_VERSION,
        "version": version,
        "status": "completed" if snapshot.completed else "running",
        "variables": snapshot.variables,
        "active_element_ids": snapshot.active_element_ids,
        "completed_element_ids": snapshot.completed_element_ids,
        "waiting_messages": snapshot.waiting_messages,
        "updated_at": now,
        "completed_at": now if snapshot.completed else None,
    }


def _store(session: Session, instance: ProcessInstance, values: dict[str, Any]) -> None:
    """Write a stored instance's new state, guarded by the version it was read at."""
    if not update_if_unchanged(session, instance, values):
        raise Conflict("the process instance was changed by another request; reload and try again")


def _project_tasks(
    session: Session,
    instance: ProcessInstance,
    case: Case,
    definition: engine.LoadedDefinition,
    snapshot: engine.Snapshot,
    completed_task: HumanTask | None,
    *,
    new: bool,
) -> None:
    if new or _nothing_else_was_open(snapshot, completed_task):
        open_rows = {}
    else:
        with reading(session, HumanTask):
            found = session.exec(_OPEN_TASKS, params={"instance_id": instance.id}).all()
        open_rows = {row.engine_task_id: row for row in found}
    ready = {task.task_id: task for task in snapshot.ready_tasks}
    closed = {escalation.task_id: escalation for escalation in snapshot.closed_escalations}
    for engine_task_id, row in open_rows.items():
        if engine_task_id in ready:
            # Due times move, and after a migration the task's name, lane or stage may have changed.
            task = ready[engine_task_id]
            info = definition.user_tasks.get(task.element_id)
            current = (
                task.due_at,
                task.name,
                info.lane if info else None,
                info.role if info else None,
                info.stage if info else None,
                info.checks_work_of if info else None,
            )
            if (row.due_at, row.name, row.lane, row.role, row.stage, row.checks_work_of) != current:
                row.due_at, row.name, row.lane, row.role, row.stage, row.checks_work_of = current
                row.version += 1
                session.add(row)
        elif completed_task is None or row.id != completed_task.id:
            row.state = "cancelled"
            row.version += 1
            session.add(row)
            if engine_task_id in closed:
                _record_closed(session, row, case, closed[engine_task_id])
    for engine_task_id, task in ready.items():
        if engine_task_id in open_rows:
            continue
        info = definition.user_tasks.get(task.element_id)
        row = new_row(
            HumanTask,
            partnership_id=instance.partnership_id,
            instance_id=instance.id,
            case_id=case.id,
            engine_task_id=engine_task_id,
            element_id=task.element_id,
            name=task.name,
            lane=info.lane if info else None,
            role=info.role if info else None,
            stage=info.stage if info else None,
            checks_work_of=info.checks_work_of if info else None,
            agency_code=task.agency,
            subject=task.subject,
            due_at=task.due_at,
            data={},
            messages=list(task.messages),
        )
        session.add(row)
        emit_task_event(session, EventType.TASK_CREATED, row, case.reference)


def _record_closed(session: Session, row: HumanTask, case: Case, escalation: engine.ClosedEscalation) -> None:
    """A moot escalation closed by itself: the reason is shown on the task and kept in the audit log."""
    row.messages = [
        *row.messages,
        {"level": "info", "text": f"Closed by itself: {escalation.reason}", "code": engine.ESCALATION_RESOLVED},
    ]
    record(
        session,
        partnership_id=case.partnership_id,
        actor=None,
        action="task.closed_moot",
        object_type="task",
        object_id=str(row.id),
        summary=f"'{row.name}' on case {case.reference} closed by itself: {escalation.reason}",
        detail={"reason": escalation.reason, "element_id": escalation.element_id},
    )


def _nothing_else_was_open(snapshot: engine.Snapshot, completed_task: HumanTask | None) -> bool:
    """True when the state the step began from had no ready user task but the one just completed.

    The open rows are the projection of the stored state's ready user tasks: only ``_project_tasks`` writes them,
    under the instance's lock, from the snapshot whose state it stores (a terminated instance's rows are closed
    with it and it takes no more steps). The state read under that lock therefore says which rows are open; when
    none but the completed one, reading them would find nothing (the approval's and the CSPR notice's
    completions: one SELECT fewer)."""
    return snapshot.ready_before <= ({completed_task.engine_task_id} if completed_task is not None else set())


def _project_timers(session: Session, instance: ProcessInstance, snapshot: engine.Snapshot, *, new: bool) -> None:
    """Mirror the engine's waiting timers as rows.

    The rows waiting are the projection of the stored state's waiting timers: only this function writes them, under
    the instance's lock, from the snapshot whose state it stores (a terminated instance's rows are closed with it and
    it takes no more steps). So the timers the step began with (``timers_before``) say which rows wait and when they
    are due, and nothing is read back: a row changes only when its timer went, moved or came (every CSPR step, one
    SELECT fewer; a step that leaves its timers as they were writes nothing to them). ``new``: the instance was just
    inserted, so it has no rows yet. The timer worker closes a row the engine no longer waits on, whatever the cause
    (service/jobs/timers.py)."""
    now = utcnow()
    before = {} if new else {timer.task_id: timer for timer in snapshot.timers_before}
    current = {timer.task_id: timer for timer in snapshot.timers}
    gone = [timer for task_id, timer in before.items() if task_id not in current]
    # Gone from the engine: it fired if its time had come, else its activity ended first.
    _close_timers(session, instance, [t.task_id for t in gone if t.due_at <= now], status="fired", fired_at=now)
    _close_timers(session, instance, [t.task_id for t in gone if t.due_at > now], status="cancelled", fired_at=None)
    for engine_task_id, timer in current.items():
        if engine_task_id in before:
            if before[engine_task_id].due_at != timer.due_at:
                with reading(session, Timer):
                    session.execute(
                        _MOVE_TIMER,
                        {"of_instance": instance.id, "of_task": engine_task_id, "set_due_at": timer.due_at},
                    )
            continue
        session.add(
            new_row(
                Timer,
                partnership_id=instance.partnership_id,
                instance_id=instance.id,
                engine_task_id=engine_task_id,
                element_id=timer.element_id,
                name=timer.name,
                due_at=timer.due_at,
            )
        )


def _close_timers(
    session: Session,
    instance: ProcessInstance,
    engine_task_ids: list[str],
    *,
    status: str,
    fired_at: dt.datetime | None,
) -> None:
    if not engine_task_ids:
        return
    # A row this transaction added is written first (an earlier step of the same instance); the rest stays pending.
    with reading(session, Timer):
        session.execute(
            _CLOSE_TIMERS,
            {
                "of_instance": instance.id,
                "of_tasks": engine_task_ids,
                "set_status": status,
                "set_fired_at": fired_at,
            },
        )


def _stages(definition: engine.LoadedDefinition, snapshot: engine.Snapshot) -> list[str]:
    stages: list[str] = []
    for task in snapshot.ready_tasks:
        info = definition.user_tasks.get(task.element_id)
        stage = info.stage if info and info.stage else None
        if stage and stage != "Escalation" and stage not in stages:
            stages.append(stage)
    if not stages:
        stages = [f"Waiting: {timer.name}" for timer in snapshot.timers if timer.name][:1]
    if not stages:
        stages = [f"Waiting: {name.replace('_', ' ').capitalize()}" for name in snapshot.waiting_messages][:1]
    return ["Closed"] if snapshot.completed else stages


def mark_failed(session: Session, instance: ProcessInstance, message: str) -> None:
    """Stop an instance the engine must not continue, and say why in the audit log."""
    case = session.get(Case, instance.case_id)
    _fail(session, instance, case.reference if case else "?", message)


def _fail(session: Session, instance: ProcessInstance, reference: str, message: str) -> None:
    instance.status = "failed"
    instance.error = message
    instance.updated_at = utcnow()
    instance.version += 1
    session.add(instance)
    record(
        session,
        partnership_id=instance.partnership_id,
        actor=None,
        action="instance.failed",
        object_type="process_instance",
        object_id=str(instance.id),
        summary=f"Process for case {reference} failed: {message}",
    )
