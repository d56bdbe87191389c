"""SQLModel tables, one module per aggregate. Importing this package registers every table."""

from sqlalchemy import inspect
from sqlalchemy.orm import relationship
from sqlmodel import SQLModel

from service.db.types import configure_metadata

configure_metadata(SQLModel.metadata)

from service.models.access_log import AccessEvent, DisposalEntry, DisposalPermit  # noqa: E402
from service.models.action_plan import (  # noqa: E402
    Action,
    Evidence,
    Recommendation,
    RecommendationTheme,
    RecurringTheme,
    Theme,
)
from service.models.audit import AuditEvent  # noqa: E402
from service.models.case import Case  # noqa: E402
from service.models.idempotency import IdempotencyRecord  # noqa: E402
from service.models.identity import ApiToken, User  # noqa: E402
from service.models.identity_provider import IdentityProvider  # noqa: E402
from service.models.learning import LearningItem, LearningItemTheme, LearningStageVisit  # noqa: E402
from service.models.link import CaseLink  # noqa: E402
from service.models.need_to_know import CaseAgency, CaseMember, CaseSubject  # noqa: E402
from service.models.notification import Notification, NotificationPreference  # noqa: E402
from service.models.partnership import Agency, Partnership  # noqa: E402
from service.models.process import ProcessDefinition, ProcessInstance, Timer  # noqa: E402
from service.models.report_job import ReportJob  # noqa: E402
from service.models.task import HumanTask  # noqa: E402
from service.models.training import (  # noqa: E402
    Course,
    CourseChange,
    Nomination,
    Trainee,
    TrainingEvent,
    TrainingRecord,
)
from service.models.webhook import (  # noqa: E402
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

# The unit of work orders its INSERTs along relationships only (a foreign key alone does not order them). This one
# lets one flush write a step's new tasks and their notices, tasks first, instead of a flush per new task. It is
# never loaded (lazy="raise"): code sets and reads ``task_id``.
inspect(Notification).add_property("task", relationship(HumanTask, lazy="raise"))

__all__ = [
    "AccessEvent",
    "Action",
    "Agency",
    "ApiToken",
    "AuditEvent",
    "Case",
    "CaseAgency",
    "CaseLink",
    "CaseMember",
    "CaseSubject",
    "Course",
    "CourseChange",
    "DisposalEntry",
    "DisposalPermit",
    "Evidence",
    "HumanTask",
    "IdempotencyRecord",
    "IdentityProvider",
    "LearningItem",
    "LearningItemTheme",
    "LearningStageVisit",
    "Nomination",
    "Notification",
    "NotificationPreference",
    "Partnership",
    "ProcessDefinition",
    "ProcessInstance",
    "Recommendation",
    "RecommendationTheme",
    "RecurringTheme",
    "ReportJob",
    "SQLModel",
    "Theme",
    "Timer",
    "Trainee",
    "TrainingEvent",
    "TrainingRecord",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
]
