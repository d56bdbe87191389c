"""The workflow engine: the only package that imports SpiffWorkflow. State in, snapshot out; no database."""

from service.engine.definitions import (  # noqa: I001
    DefinitionInvalid,
    LoadedDefinition,
    ClockDefinition,
    Problem,
    UserTaskInfo,
    content_hash,
    load_definition,
    role_for_lane,
)
from service.engine.escalations import REASON_CODE as ESCALATION_RESOLVED
from service.engine.escalations import ClosedEscalation
from service.engine.expressions import ExpressionError, UnsafeExpression
from service.engine.expressions import evaluate as evaluate_expression
from service.engine.forms import FieldError, validate_submission
from service.engine.openers import CaseOpener
from service.engine.migration import MigrationPlan, migrate, plan_migration
from service.engine.reachability import unreachable_elements
from service.engine.runtime import (
    EngineError,
    InstanceBroken,
    NotWaitingForMessage,
    ReadyTask,
    Snapshot,
    TaskNotReady,
    WaitingTimer,
    complete_task,
    deliver_message,
    fire_due_timers,
    start,
)
from service.engine.serialization import SERIALIZER_VERSION

__all__ = [
    "ESCALATION_RESOLVED",
    "SERIALIZER_VERSION",
    "CaseOpener",
    "ClockDefinition",
    "ClosedEscalation",
    "DefinitionInvalid",
    "EngineError",
    "ExpressionError",
    "FieldError",
    "InstanceBroken",
    "LoadedDefinition",
    "MigrationPlan",
    "NotWaitingForMessage",
    "Problem",
    "ReadyTask",
    "Snapshot",
    "TaskNotReady",
    "UnsafeExpression",
    "UserTaskInfo",
    "WaitingTimer",
    "complete_task",
    "content_hash",
    "deliver_message",
    "evaluate_expression",
    "fire_due_timers",
    "load_definition",
    "migrate",
    "plan_migration",
    "role_for_lane",
    "start",
    "unreachable_elements",
    "validate_submission",
]
