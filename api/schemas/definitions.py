"""Process owners' models: validation reports, deployments, migrations, instance control, history."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Instant
from api.schemas.processes import DefinitionRead
from api.schemas.tasks import TaskMessage
from service.access.roles import Role


class ProblemRead(BaseModel):
    """One finding in a diagram."""

    severity: str = Field(description="error (blocks deployment) | warning")
    element_id: str | None
    element_name: str | None
    line: int | None
    message: str


class ValidationReportRead(BaseModel):
    """Every problem found in a diagram, errors first."""

    valid: bool
    process_key: str | None
    problems: list[ProblemRead]


class DeploymentRead(BaseModel):
    """The deployed version, whether this upload created it (false: identical to the current one)."""

    created: bool
    message: str
    definition: DefinitionRead
    change_note: str
    warnings: list[ProblemRead]


class MigrationTarget(BaseModel):
    """The version to move to."""

    target_definition_id: uuid.UUID


class BatchMigration(BaseModel):
    """Move every running or suspended instance on one version to another."""

    from_definition_id: uuid.UUID
    target_definition_id: uuid.UUID
    dry_run: bool = Field(default=True, description="Only report what would happen.")


class MigrationPlanRead(BaseModel):
    """What moving an instance changes, whether it is safe, and why not."""

    instance_id: uuid.UUID
    from_version: int
    to_version: int
    safe: bool
    reasons: list[str]
    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]
    recreated: list[str] = Field(description="Open tasks/timers that will be re-created from the new version.")
    migrated: bool


class MigrationBatchRead(BaseModel):
    """The outcome of a batch migration: one plan per instance that was on the version."""

    dry_run: bool = Field(description="True: nothing moved; each result says what would happen.")
    results: list[MigrationPlanRead] = Field(description="Per instance; `migrated` says whether it moved.")


class Reason(BaseModel):
    """Why (recorded in the audit log)."""

    reason: str = Field(min_length=1, max_length=500)


class HistoryEntry(BaseModel):
    """One recorded step."""

    at: Instant
    actor_label: str
    action: str
    object_type: str
    object_id: str
    summary: str
    detail: dict[str, Any] = Field(description="Free-form: what the step recorded (differs by action).")


class SimulationRequest(BaseModel):
    """Run a definition in memory: a stored version (definition_id) or an undeployed diagram (bpmn_xml)."""

    definition_id: uuid.UUID | None = None
    bpmn_xml: str | None = Field(default=None, description="The BPMN XML to try before deploying it.")
    start_data: dict[str, Any] = Field(default_factory=dict, description="As for POST /cases (plus involved_agencies).")
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="element_id → answers (a dict, a list used in turn for repeated tasks, or {agency: answers}); "
        "missing answers use the form's defaults. 'message:<name>' → a message payload.",
    )
    fire_boundary_timers: bool = Field(default=False, description="Also let escalation timers fire.")


class SimulatedTaskRead(BaseModel):
    """A user task met on the way, and the answers used."""

    element_id: str
    name: str
    role: Role | None
    agency: str | None
    answers: dict[str, Any] = Field(description="Free-form: the answers used, as the task's form describes them.")
    messages: list[TaskMessage] = Field(
        default_factory=list, description="What the task would show above its form (why it is offered again)."
    )


class SimulatedClockRead(BaseModel):
    """A clock as it would stand at the end."""

    key: str
    label: str
    due_date: str | None
    met_on: str | None


class SimulationRead(BaseModel):
    """The path taken, the tasks met and the clocks computed."""

    completed: bool
    stopped_reason: str | None
    path: list[str]
    tasks: list[SimulatedTaskRead]
    clocks: list[SimulatedClockRead]
    unreachable: list[ProblemRead]
