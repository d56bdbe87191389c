"""Features that tell people (not partner systems) about task events register here, in the same transaction.

The outbox calls every listener from ``emit_task_event``; features register themselves on import, so the outbox
imports none of them (service/notifications registers the e-mail notices).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

TaskListener = Callable[[Session, str, Any, str], None]  # (session, event type, task, case reference)
_LISTENERS: list[TaskListener] = []


def on_task_event(listener: TaskListener) -> TaskListener:
    """Register ``listener`` for every task event (created, assigned, completed, due soon, overdue)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def tell_listeners(session: Session, event_type: str, task: Any, case_reference: str) -> None:
    """Run every registered listener."""
    for listener in _LISTENERS:
        listener(session, event_type, task, case_reference)
