"""After a step: project feature rows from lifecycles that own one (an action, a learning item) and hand a
review over when its action plan closes. Called last in the stepper, so a step these start sees this one applied.
"""

from __future__ import annotations

from sqlmodel import Session

from service import engine
from service.models import Case
from service.workflow.action_sync import ACTION_CASE_TYPE, PLAN_CLOSED_MESSAGE, close_plan_if_done, sync_action
from service.workflow.learning_sync import LEARNING_CASE_TYPE, sync_learning_item


def after_step(session: Session, case: Case, snapshot: engine.Snapshot, *, was_waiting: set[str]) -> None:
    """Run the projection of ``case``'s type, if any, and close a review's plan that is now waiting with no work."""
    if case.case_type == ACTION_CASE_TYPE:
        sync_action(session, case, snapshot)
    elif case.case_type == LEARNING_CASE_TYPE:
        sync_learning_item(session, case, snapshot)
    elif PLAN_CLOSED_MESSAGE in snapshot.waiting_messages and PLAN_CLOSED_MESSAGE not in was_waiting:
        close_plan_if_done(session, case.id)
