"""Fixed vocabularies as named enums in the OpenAPI document, each derived from the service's own constant.

A rule lives in one place: the service owns each set of values (task states, statuses, roles, event types...);
this module only gives each set a name, so generated clients get a union type and the API refuses any other value
with a 422 naming the field or query parameter (``state=opne`` is an error, not an empty list).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, get_args

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from service.actions.evidence_store import ACCEPTED as EVIDENCE_TYPES
from service.actions.recurrence import RECURRENCE_KINDS
from service.audit.access import AccessKind
from service.cases.clocks import CLOCK_STATUSES
from service.dataprotection.retention import DISPOSABLE_OBJECTS
from service.engine.case_policy import PARTNERSHIP_KINDS
from service.learning.vocabulary import KINDS as LEARNING_KINDS
from service.learning.vocabulary import SOURCE_TYPES, TRAINING_LEVELS
from service.learning.vocabulary import STAGES as LEARNING_STAGES
from service.models.case import CASE_STATUSES
from service.models.notification import NOTIFICATION_STATUSES
from service.models.process import INSTANCE_STATUSES
from service.models.webhook import DELIVERY_STATUSES, SUBSCRIPTION_STATUSES
from service.outbox.events import SUBSCRIBABLE
from service.reports.action_plan import STATUSES as ACTION_STATUSES
from service.reports.chain import GAP_KINDS
from service.tasks.worklist import TaskState
from service.training.refreshers import REFRESHER_STATUSES
from service.training.vocabulary import EVENT_STATUSES, NOMINATION_STATUSES


class OneOf:
    """``Annotated[str, OneOf("TaskState", STATES)]``: a string that must be one of ``values``, named in the schema."""

    def __init__(self, name: str, values: Iterable[str], description: str = "") -> None:
        self.name = name
        self.values = tuple(str(v) for v in values)
        self.description = description

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.literal_schema(list(self.values), ref=self.name)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        target = handler.resolve_ref_schema(json_schema)
        target["title"] = self.name
        if self.description:
            target["description"] = self.description
        return json_schema


# One line per vocabulary: its schema name, the service constant its values come from, and what it means.
TaskStateName = Annotated[str, OneOf("TaskState", get_args(TaskState), "open, then completed or cancelled.")]
CaseStatus = Annotated[str, OneOf("CaseStatus", CASE_STATUSES)]
InstanceStatus = Annotated[str, OneOf("InstanceStatus", INSTANCE_STATUSES)]
ClockStatus = Annotated[str, OneOf("ClockStatus", CLOCK_STATUSES, "What a statutory clock says today.")]
ActionStatus = Annotated[
    str,
    OneOf(
        "ActionStatus", ACTION_STATUSES, "Where an action is in its lifecycle; sustained and not_implemented close it."
    ),
]
LearningKind = Annotated[str, OneOf("LearningKind", LEARNING_KINDS)]
LearningSource = Annotated[str, OneOf("LearningSource", SOURCE_TYPES, "Where learning came from (DOMAIN §3).")]
LearningStage = Annotated[str, OneOf("LearningStage", LEARNING_STAGES, "The stages of the learning loop, in order.")]
PartnershipKind = Annotated[str, OneOf("PartnershipKind", PARTNERSHIP_KINDS)]
NotificationStatus = Annotated[str, OneOf("NotificationStatus", NOTIFICATION_STATUSES)]
AccessKindName = Annotated[str, OneOf("AccessKind", AccessKind.ALL, "The kinds of read the access log records.")]
SubscriptionStatus = Annotated[str, OneOf("SubscriptionStatus", SUBSCRIPTION_STATUSES)]
DeliveryStatus = Annotated[str, OneOf("DeliveryStatus", DELIVERY_STATUSES)]
SubscribableEventType = Annotated[
    str, OneOf("SubscribableEventType", sorted(SUBSCRIBABLE), "Event types a subscription can ask for (not ping).")
]
EventStatus = Annotated[str, OneOf("TrainingEventStatus", EVENT_STATUSES)]
NominationStatus = Annotated[str, OneOf("NominationStatus", NOMINATION_STATUSES)]
RefresherStatus = Annotated[str, OneOf("RefresherStatus", REFRESHER_STATUSES)]
GapKind = Annotated[str, OneOf("GapKind", GAP_KINDS, "A missing link in the chain from recommendation to impact.")]
RecurrenceKind = Annotated[str, OneOf("RecurrenceKind", RECURRENCE_KINDS)]
DisposableObject = Annotated[str, OneOf("DisposableObject", DISPOSABLE_OBJECTS)]
EvidenceMediaType = Annotated[str, OneOf("EvidenceMediaType", EVIDENCE_TYPES, "The file types evidence may be.")]
TrainingLevel = Annotated[int, Field(ge=min(TRAINING_LEVELS), le=max(TRAINING_LEVELS), description="Training level.")]
