"""After a step: open the linked cases the process asked for, project feature rows from lifecycles that own one
(an action, a learning item) and hand a review over when its action plan closes. Called last in the stepper, so a
step these start sees this one applied.
"""

from __future__ import annotations

from sqlmodel import Session

from service import engine
from service.models import Case
from service.workflow.action_sync import ACTION_CASE_TYPE, PLAN_CLOSED_MESSAGE, close_plan_if_done, sync_action
from service.workflow.learning_sync import LEARNING_CASE_TYPE, sync_learning_item
from service.workflow.opening import open_linked_cases


def after_step(
    session: Session,
    case: Case,
    definition: engine.LoadedDefinition,
    snapshot: engine.Snapshot,
    *,
    passed_before: set[str],
    was_waiting: set[str],
) -> None:
    """Open linked cases; run the projection of ``case``'s type; close a review's plan now waiting with no work."""
    openers = [e for e in snapshot.completed_element_ids if e in definition.case_openers and e not in passed_before]
    if openers:
        open_linked_cases(session, case=case, definition=definition, passed=openers, variables=snapshot.variables)
    if case.case_type == ACTION_CASE_TYPE:
        sync_action(session, case, snapshot)
    elif case.case_type == LEARNING_CASE_TYPE:
        sync_learning_item(session, case, snapshot)
    elif PLAN_CLOSED_MESSAGE in snapshot.waiting_messages and PLAN_CLOSED_MESSAGE not in was_waiting:
        close_plan_if_done(session, case.id)
