"""SQLModel tables, one module per aggregate. Importing this package registers every table."""

from sqlmodel import SQLModel

from service.db.types import configure_metadata

configure_metadata(SQLModel.metadata)

from service.models.audit import AuditEvent  # noqa: E402
from service.models.case import Case  # noqa: E402
from service.models.idempotency import IdempotencyRecord  # noqa: E402
from service.models.identity import ApiToken, User  # noqa: E402
from service.models.partnership import Agency, Partnership  # noqa: E402
from service.models.process import ProcessDefinition, ProcessInstance, Timer  # noqa: E402
from service.models.task import HumanTask  # noqa: E402
from service.models.webhook import (  # noqa: E402
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "Agency",
    "ApiToken",
    "AuditEvent",
    "Case",
    "HumanTask",
    "IdempotencyRecord",
    "Partnership",
    "ProcessDefinition",
    "ProcessInstance",
    "SQLModel",
    "Timer",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
