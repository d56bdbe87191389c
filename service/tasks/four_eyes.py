"""Second-person checks (``checksWorkOf``): whoever did a piece of work may not also check it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from service import engine
from service.access.principal import Principal
from service.errors import Forbidden
from service.models import HumanTask, ProcessInstance
from service.processes import registry


def user_task_info(session: Session, task: HumanTask) -> engine.UserTaskInfo | None:
    """What the task's own definition version says about its element."""
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None
    return registry.loaded(session, instance.definition_id).user_tasks.get(task.element_id)


def refuse_own_work(session: Session, principal: Principal, task: HumanTask, info: engine.UserTaskInfo | None) -> None:
    """Raise Forbidden when the caller completed the work this task checks.

    People are compared, not roles: a user holding both lanes' roles is still the one person who did the work.
    After a check sends the work back, the latest completion of the checked task is the one that counts.
    """
    if info is None or info.checks_work_of is None:
        return
    checked = session.exec(
        select(HumanTask)
        .where(
            HumanTask.instance_id == task.instance_id,
            HumanTask.element_id == info.checks_work_of,
            HumanTask.state == "completed",
        )
        .order_by(col(HumanTask.completed_at).desc(), col(HumanTask.created_at).desc())
        .limit(1)
    ).first()
    if checked is not None and checked.completed_by_id == principal.user_id:
        raise Forbidden(
            f"this is a second-person check of '{checked.name}', which you completed; someone else must do it"
        )
