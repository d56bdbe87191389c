"""Second-person checks (``checksWorkOf``): whoever did a piece of work may not also check it.

The rule lives here once, as one SQL condition on the stored ``HumanTask.checks_work_of``: the work list leaves
out the checks it holds true for, and claim and complete refuse them, so nobody is offered a task they would be
refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from service.access.principal import Principal
from service.errors import Forbidden
from service.models import HumanTask


def own_work(user_id: uuid.UUID) -> ColumnElement[bool]:
    """True for a check (a HumanTask row) whose checked task was last completed by ``user_id``; never NULL.

    People are compared, not roles: a user holding both lanes' roles is still the one person who did the work.
    After a check sends the work back, the latest completion of the checked task is the one that counts.
    """
    # IS NOT DISTINCT FROM: a task that checks nothing, or whose checked task has no completion, is not own work
    # (a plain = would be NULL there, and NOT NULL would hide the task from everyone).
    return _LATEST_COMPLETER.is_not_distinct_from(user_id)


def not_own_work(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The work list's side of the rule: any task but a check of the caller's own work."""
    # Most tasks check nothing: the first arm lets the database skip the subquery for them.
    return col(HumanTask.checks_work_of).is_(None) | ~own_work(user_id)


def refuse_own_work(session: Session, principal: Principal, task: HumanTask) -> None:
    """Raise Forbidden when the caller completed the work this task checks (the condition the list leaves out)."""
    if task.checks_work_of is None:
        return
    checked_name = session.exec(
        select(_LATEST_NAME).where(col(HumanTask.id) == task.id, own_work(principal.user_id))
    ).first()
    if checked_name is not None:
        raise Forbidden(
            f"this is a second-person check of '{checked_name}', which you completed; someone else must do it"
        )


def _latest_checked(column: Callable[[Any], Any]) -> ScalarSelect[Any]:
    """``column`` of the latest completion of the task the outer HumanTask row checks, in the same instance.

    Correlated on the outer row; walks ix_human_task_instance_id_state (the instance's completed tasks).
    """
    checked = aliased(HumanTask, name="checked_task")
    return (
        select(column(checked))
        .where(
            col(checked.instance_id) == col(HumanTask.instance_id),
            col(checked.element_id) == col(HumanTask.checks_work_of),
            col(checked.state) == "completed",
        )
        .order_by(col(checked.completed_at).desc(), col(checked.created_at).desc())
        .limit(1)
        .correlate(HumanTask)
        .scalar_subquery()
    )


# Built once: an aliased entity and its correlated subquery cost more to construct than the rest of the work list's
# query (measured: 1.1 ms of a 4 ms page); the expressions are immutable, so every query can share them.
_LATEST_COMPLETER = _latest_checked(lambda checked: checked.completed_by_id)
_LATEST_NAME = _latest_checked(lambda checked: checked.name)
