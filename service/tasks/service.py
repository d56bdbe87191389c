"""Task use cases: find work, claim it, complete it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from service import engine
from service.access import need_to_know
from service.access.principal import Principal
from service.access.roles import Role
from service.audit.access import AccessKind, record_access
from service.audit.log import record
from service.db.guarded import update_if_unchanged
from service.db.session import keep
from service.db.types import utcnow
from service.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from service.models import Case, HumanTask, ProcessInstance
from service.outbox.emit import emit_task_event
from service.outbox.events import EventType
from service.pagination import Page, paginate_by_due
from service.processes import registry
from service.tasks import four_eyes, worklist
from service.tasks.worklist import TaskFilters, TaskScope
from service.workflow.stepper import step


@dataclass
class TaskView:
    """A task with its form as JSON Schema and its case's reference."""

    task: HumanTask
    case_reference: str
    form_schema: dict[str, Any]
    complete_via: str | None = None
    prefill: str | None = None
    prefill_match: str | None = None
    suggested_data: dict[str, Any] | None = None
    checks_work_of: str | None = None


# What a list shows of a task (TaskSummary): no answers, and none of the bookkeeping columns. A list reads these as
# plain rows (see paginate_by_due), so the answers are neither read nor decoded.
LISTED_COLUMNS = tuple(
    col(column)
    for column in (
        HumanTask.id,
        HumanTask.case_id,
        HumanTask.instance_id,
        HumanTask.element_id,
        HumanTask.name,
        HumanTask.lane,
        HumanTask.role,
        HumanTask.stage,
        HumanTask.agency_code,
        HumanTask.subject,
        HumanTask.assignee_id,
        HumanTask.state,
        HumanTask.created_at,
        HumanTask.due_at,
        HumanTask.completed_at,
        HumanTask.completed_by_id,
        HumanTask.version,
        HumanTask.messages,
    )
)


def list_tasks(
    session: Session,
    principal: Principal,
    filters: TaskFilters,
    *,
    scope: TaskScope | None = None,
    cursor: str | None,
    limit: int,
) -> Page[Row[Any]]:
    """The caller's tasks in ``scope`` (default: their work), soonest due first, undated last, then oldest.

    Each item is a row of ``LISTED_COLUMNS``, named as HumanTask's fields.
    """
    scope = scope or worklist.default_scope(principal)
    parts = worklist.scope_parts(principal, scope)  # checks the scope is allowed before anything is read
    where = worklist.filter_conditions(principal, filters, now=utcnow())
    return paginate_by_due(
        session,
        sa_select(*LISTED_COLUMNS).where(*where),
        parts=parts,
        due_col=col(HumanTask.due_at),
        created_col=col(HumanTask.created_at),
        id_col=col(HumanTask.id),
        cursor=cursor,
        limit=limit,
    )


def get_task(session: Session, principal: Principal, task_id: uuid.UUID) -> TaskView:
    """One task with its form schema (404 when the caller may not see it) and any answers brought forward."""
    view = _view(session, _visible_task(session, principal, task_id))
    record_access(
        session, principal, kind=AccessKind.TASK, object_type="task", object_id=view.task.id, case_id=view.task.case_id
    )
    if view.prefill == "previous" and view.task.state == "open":
        view.suggested_data = _previous_answers(session, view.task, view.prefill_match)
    return view


def claim(session: Session, principal: Principal, task_id: uuid.UUID, *, if_match: int | None) -> TaskView:
    """Take an open task: it becomes the caller's."""
    task = _visible_task(session, principal, task_id)
    _check_version(task, if_match)
    _check_open(task)
    _check_may_do(principal, task)
    four_eyes.refuse_own_work(session, principal, task)
    if task.assignee_id not in (None, principal.user_id):
        raise Conflict("the task is already claimed by someone else; they must unclaim it first")
    if task.assignee_id is None:
        task.assignee_id = principal.user_id
        task.version += 1
        session.add(task)
        _audit(session, principal, task, "task.claimed", f"{principal.name} claimed '{task.name}'")
        view = _view(session, task)
        emit_task_event(session, EventType.TASK_ASSIGNED, task, view.case_reference)
        return view
    return _view(session, task)


def unclaim(session: Session, principal: Principal, task_id: uuid.UUID, *, if_match: int | None) -> TaskView:
    """Release a claimed task back to its role's queue (the assignee, or a business manager)."""
    task = _visible_task(session, principal, task_id)
    _check_version(task, if_match)
    _check_open(task)
    if task.assignee_id is not None:
        if task.assignee_id != principal.user_id and not principal.has_role(Role.BUSINESS_MANAGER):
            raise Forbidden("only the assignee or a business manager can unclaim this task")
        task.assignee_id = None
        task.version += 1
        session.add(task)
        _audit(session, principal, task, "task.unclaimed", f"{principal.name} released '{task.name}'")
    return _view(session, task)


def complete(
    session: Session,
    principal: Principal,
    task_id: uuid.UUID,
    data: dict[str, Any],
    *,
    if_match: int | None,
    via: str | None = None,
    outside_data: list[str] | None = None,
) -> TaskView:
    """Submit a task's form; the process moves on in the same transaction.

    ``via`` names the feature completing a task whose diagram says ``completeVia`` (its own checks ran there).
    ``outside_data`` are keys the request sent beside ``data``: refused, naming the form fields among them.
    """
    # The instance is locked by the same query, before the four-eyes check, so the completion that check reads
    # cannot be sent back under it.
    task, instance = _task_to_complete(session, principal, task_id)
    _check_may_do(principal, task)
    four_eyes.refuse_own_work(session, principal, task)
    # A concurrent completion or claim may have changed the task since it was read: the UPDATE that completes it
    # below is guarded by the version read here, and says which check the change now fails.
    _check_current(principal, task, if_match)
    view = _view(session, task)
    if view.complete_via and via != view.complete_via:
        raise Conflict(f"'{task.name}' is completed through {view.complete_via}, which checks it first")
    # A feature completing its completeVia task may also pass process variables no form field can hold (e.g.
    # the attendance register's list of attendees); only the form's own fields are validated then.
    if outside_data:
        _refuse_unwrapped(view.form_schema, outside_data)
    form_data = data
    if view.complete_via:
        form_data = {k: v for k, v in data.items() if k in view.form_schema.get("properties", {})}
    errors = engine.validate_submission(view.form_schema, form_data, variables=instance.variables)
    if errors:
        raise InvalidInput(
            f"the form for '{task.name}' is not valid",
            [{"field": f"data.{e.field}" if e.field else "data", "message": e.message} for e in errors],
        )
    # A submitted form defines every one of its fields (unanswered optional ones as null), as in Camunda,
    # so conditions can test optional answers without failing on an unknown name.
    data = {name: None for name in view.form_schema.get("properties", {})} | data
    _mark_completed(session, principal, task, data, if_match)
    # Before the step: the completion is what causes the next tasks, stage change or closure.
    emit_task_event(session, EventType.TASK_COMPLETED, task, view.case_reference)
    step(
        session,
        instance=instance,
        action=lambda d, s: engine.complete_task(d, s, task.engine_task_id, data),
        completed_task=task,
    )
    _audit(
        session,
        principal,
        task,
        "task.completed",
        f"{principal.name} completed '{task.name}'",
        detail={"fields": sorted(data)},
    )
    return view


def _visible(principal: Principal) -> Any:
    # Need to know: every task of a case seen fully; on a case that involves their agency, the agency's own tasks.
    return select(HumanTask).where(
        HumanTask.partnership_id == principal.partnership_id, need_to_know.task_clause(principal)
    )


@lru_cache(maxsize=256)
def _task_query(principal: Principal, lock_instance: bool) -> Select[Any]:
    """One task by id (``task_id``) as ``principal`` may see it, with its case in the same query: every caller shows
    the task with its case (one round trip fewer); a completion's locked instance too.

    Made once per caller (a Principal is its identity, roles and agency, so a changed role is a new caller) and kept:
    building the need-to-know condition cost 110 µs for an oversight role and 320 µs for an agency's lead, per
    request, more than the query's own run. Who is a member of which case is read when the query runs."""
    query = _visible(principal).add_columns(Case).join(Case, col(Case.id) == col(HumanTask.case_id))
    if lock_instance:
        query = (
            query.add_columns(ProcessInstance)
            .join(ProcessInstance, col(ProcessInstance.id) == col(HumanTask.instance_id))
            .where(ProcessInstance.partnership_id == principal.partnership_id)
            .with_for_update(of=ProcessInstance)
            .execution_options(populate_existing=True)
        )
    by_id: Select[Any] = query.where(HumanTask.id == bindparam("task_id"))
    return by_id


def _visible_task(session: Session, principal: Principal, task_id: uuid.UUID) -> HumanTask:
    return _read_task(session, principal, task_id, lock_instance=False)[0]


def _task_to_complete(session: Session, principal: Principal, task_id: uuid.UUID) -> tuple[HumanTask, ProcessInstance]:
    """The task with its case, and its process instance locked for the step (lock_instance's lock: ``FOR UPDATE``
    on PostgreSQL, the write lock already held on SQLite). The task row may then be older than the lock; the
    guarded UPDATE that completes it refuses it if it is."""
    task, instance = _read_task(session, principal, task_id, lock_instance=True)
    assert instance is not None
    return task, instance


def _read_task(
    session: Session, principal: Principal, task_id: uuid.UUID, *, lock_instance: bool
) -> tuple[HumanTask, ProcessInstance | None]:
    found = session.execute(_task_query(principal, lock_instance), {"task_id": task_id}).first()  # rows, not entities
    if found is None:
        raise NotFound(f"there is no task {task_id}")
    keep(session, found[1])  # the case
    return found[0], found[2] if lock_instance else None


def _view(session: Session, task: HumanTask) -> TaskView:
    instance = session.get(ProcessInstance, task.instance_id)
    case = session.get(Case, task.case_id)
    assert instance is not None and case is not None
    keep(session, case)  # a completion's step reads it again
    definition = registry.loaded(session, instance.definition_id)
    info = definition.user_tasks.get(task.element_id)
    view = TaskView(
        task=task,
        case_reference=case.reference,
        form_schema=info.form_schema if info else {},
        complete_via=info.complete_via if info else None,
        prefill=info.prefill if info else None,
        prefill_match=info.prefill_match if info else None,
        checks_work_of=task.checks_work_of,
    )
    return view


def _previous_answers(session: Session, task: HumanTask, match: str | None) -> dict[str, Any] | None:
    """What the same agency answered on the same element in its latest earlier case of the same type.

    With ``match`` (a variable name, e.g. ``audit_kind``), only an earlier case where it had the same value counts.
    """
    case = session.get(Case, task.case_id)
    instance = session.get(ProcessInstance, task.instance_id)
    assert case is not None and instance is not None
    rows = session.exec(
        select(HumanTask, ProcessInstance)
        .join(Case, col(Case.id) == col(HumanTask.case_id))
        .join(ProcessInstance, col(ProcessInstance.id) == col(HumanTask.instance_id))
        .where(
            HumanTask.partnership_id == task.partnership_id,
            HumanTask.element_id == task.element_id,
            HumanTask.agency_code == task.agency_code,
            HumanTask.state == "completed",
            Case.case_type == case.case_type,
            HumanTask.case_id != task.case_id,
        )
        .order_by(col(HumanTask.completed_at).desc())
        .limit(50)
    ).all()
    wanted = instance.variables.get(match) if match else None
    earlier = next((t for t, i in rows if match is None or i.variables.get(match) == wanted), None)
    # Unanswered optional fields were stored as null; offer only real answers, so the form validates as offered.
    return {k: v for k, v in earlier.data.items() if v is not None} if earlier is not None else None


def _check_may_do(principal: Principal, task: HumanTask) -> None:
    if task.role and not principal.has_role(task.role):
        raise Forbidden(f"this task is for the '{task.role}' role, which you do not hold")
    if task.agency_code and principal.agency_code != task.agency_code:
        raise Forbidden(f"this task is for agency '{task.agency_code}'; only its staff can do it")


def _check_current(principal: Principal, task: HumanTask, if_match: int | None) -> None:
    _check_open(task)
    _check_version(task, if_match)
    if task.assignee_id not in (None, principal.user_id):
        raise Conflict("the task is claimed by someone else")


def _mark_completed(
    session: Session, principal: Principal, task: HumanTask, data: dict[str, Any], if_match: int | None
) -> None:
    """Complete the task row, provided nobody changed it since it was read (one guarded UPDATE, no re-read)."""
    values: dict[str, Any] = {
        "state": "completed",
        "assignee_id": principal.user_id,
        "completed_at": utcnow(),
        "completed_by_id": principal.user_id,
        "data": data,
        "version": task.version + 1,
    }
    if not update_if_unchanged(session, task, values):
        current = session.exec(
            select(HumanTask).where(HumanTask.id == task.id).execution_options(populate_existing=True)
        ).one()
        _check_current(principal, current, if_match)  # completed, claimed or changed meanwhile: say which
        raise Conflict("the task was changed by another request while this one ran; GET it again and retry")


def _check_open(task: HumanTask) -> None:
    if task.state != "open":
        raise Conflict(f"the task is already {task.state}")


def _check_version(task: HumanTask, if_match: int | None) -> None:
    if if_match is not None and if_match != task.version:
        raise PreconditionFailed(
            f"the task has changed since you read it (your version {if_match}, now {task.version}); "
            "GET it again and retry"
        )


def _audit(
    session: Session,
    principal: Principal,
    task: HumanTask,
    action: str,
    summary: str,
    detail: dict[str, Any] | None = None,
) -> None:
    record(
        session,
        partnership_id=task.partnership_id,
        actor=principal,
        action=action,
        object_type="task",
        object_id=str(task.id),
        summary=summary,
        detail=detail,
    )


def _refuse_unwrapped(form_schema: dict[str, Any], keys: list[str]) -> None:
    """Answers sent at the top level instead of inside "data" would be ignored: say where they go."""
    fields = [key for key in keys if key in form_schema.get("properties", {})]
    if fields:
        detail = f'wrap the answers in "data": send {{"data": {{"{fields[0]}": ...}}}}, not {{"{fields[0]}": ...}}'
    else:
        detail = 'the body has one key, "data", holding the answers: {"data": {...}}'
    errors = [
        {"field": key, "message": "a form field: put it inside data" if key in fields else "not read: only data is"}
        for key in keys
    ]
    raise InvalidInput(detail, errors)
