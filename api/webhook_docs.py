"""Document every event partners can receive as OpenAPI 3.1 `webhooks` (they are sent, not served)."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.schemas.webhooks import ActionEvent, CaseEvent, LearningItemEvent, PingEvent, TaskEvent
from service.outbox.events import NOT_YET_EMITTED, EventType

SIGNING = (
    "Signed per Standard Webhooks: headers `webhook-id` (the same on every retry: de-duplicate on it), "
    "`webhook-timestamp` and `webhook-signature` (HMAC-SHA256 with your `whsec_` secret; during a secret "
    "rotation two space-separated signatures). Verify with any Standard Webhooks library. Answer 2xx within "
    "10 s; anything else is retried with backoff; 410 unsubscribes."
)


def _task_event(body: TaskEvent) -> None:
    """A task event (documentation only)."""


def _case_event(body: CaseEvent) -> None:
    """A case event (documentation only)."""


def _action_event(body: ActionEvent) -> None:
    """An action event (documentation only)."""


def _learning_item_event(body: LearningItemEvent) -> None:
    """A learning item event (documentation only)."""


def _ping_event(body: PingEvent) -> None:
    """A test event (documentation only)."""


def install(app: FastAPI) -> None:
    """Add one `webhooks` entry per event type that is emitted today."""
    for event_type in EventType:
        if event_type in NOT_YET_EMITTED:
            continue
        receiver: Callable[..., Any] = (
            _task_event
            if event_type.startswith("task.")
            else _case_event
            if event_type.startswith("case.")
            else _action_event
            if event_type.startswith("action.")
            else _learning_item_event
            if event_type.startswith("learning_item.")
            else _ping_event
        )
        words = event_type.value.replace(".", "_").split("_")
        app.webhooks.post(
            event_type.value,
            summary=f"{event_type.value} event",
            tags=["webhooks"],
            description=SIGNING,
            operation_id="on" + "".join(word.capitalize() for word in words),  # task.due_soon → onTaskDueSoon
            responses={
                200: {"description": "Received: any 2xx acknowledges the delivery, which is then not sent again"},
                410: {"description": "Gone: the subscription is removed and nothing more is sent"},
                500: {"description": "Any other answer, or none within the timeout: the delivery is retried"},
            },
        )(receiver)
