"""SQLModel tables, one module per aggregate. Importing this package registers every table."""

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


def _order_inserts(*parents: type[SQLModel]) -> None:
    """Give every foreign key to ``parents`` a relationship, so that one flush writes parents before children.

    The unit of work orders a flush's INSERTs along relationships only; a foreign key alone does not order them
    (unrelated tables go in the order of their classes' names). A case opening or a step writes a case, its members
    and agencies, its instance, its tasks, their timers and notices, and the rows features add after the step: all
    in one flush at the commit, the case with its first stages in its INSERT. The relationships are derived from
    the foreign keys, so a new one is ordered too; they are never loaded (lazy="raise"): code sets and reads the
    id columns. A key to its own table needs none: rows of one table go in the order they were added.
    """
    tables = {parent.__table__: parent for parent in parents}  # type: ignore[attr-defined]
    for mapper in list(SQLModel._sa_registry.mappers):  # SQLModel keeps its registry under this name
        for key in mapper.local_table.foreign_keys:
            parent = tables.get(key.column.table)
            if parent is None or parent is mapper.class_:
                continue
            ordering = relationship(parent, foreign_keys=[key.parent], lazy="raise", viewonly=False)
            mapper.add_property(f"_orders_{key.parent.name}", ordering)


_order_inserts(Case, ProcessInstance, HumanTask)

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
